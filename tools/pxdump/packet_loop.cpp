#include "packet_loop.hpp"

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "expression.hpp"
#include "pcapxx/savefile.hpp"
#include "json_output.hpp"
#include "printers/packet_printer.hpp"
#include "process_column.hpp"
#include "privileges.hpp"
#include "progress.hpp"
#include "savefile_output.hpp"
#include "signals.hpp"
#include "stats/stats_loop.hpp"

namespace pxdump {
namespace {

/// The printing options of the command line, for the packet printer.
printers::PrintOptions print_options(const Options& opt) {
  printers::PrintOptions p;
  p.flags.verbose = opt.verbose;
  p.flags.numeric = opt.numeric;
  p.flags.quiet = opt.quiet;
  p.flags.link_header = opt.link_header;
  p.flags.absolute_seq = opt.absolute_seq;
  p.flags.no_checksum = opt.no_checksum;
  // -x/-X replace the hex dump of undecoded bytes; -A does not (tcpdump 4.99 prints both).
  p.flags.suppress_default_print = opt.hex > 0 || opt.hex_ascii > 0;
  p.timestamp_mode = opt.timestamp_mode;
  p.nanosecond = opt.nanosecond;
  p.hex = opt.hex;
  p.hex_ascii = opt.hex_ascii;
  p.ascii = opt.ascii;
  p.packet_number = opt.packet_number;
  return p;
}

}  // namespace

std::optional<pcapxx::BatchResult> next_batch_or_end(pcapxx::Source& source, LoopResult& result) {
  if (stop_requested()) {
    result.stopped_by_signal = true;
    return std::nullopt;
  }
  auto batch = source.next_batch();
  if (!batch) {
    fmt::print(stderr, "pxdump: {}\n", batch.error().what());
    result.status = 1;
    return std::nullopt;
  }
  if (batch->status == pcapxx::BatchStatus::end) {
    result.stopped_by_signal = stop_requested();
    return std::nullopt;
  }
  return std::move(*batch);
}

LoopResult run_packet_loop(const Options& opt, pcapxx::Source& source, const pcapxx::Filter* filter, bool live) {
  // --stats: the same sources, filters and counts, but packets go into flows (stats/).
  if (opt.stats) {
    if (!opt.drop_to_user.empty()) {
      if (auto dropped = drop_privileges(opt.drop_to_user); !dropped) {
        fmt::print(stderr, "pxdump: {}\n", dropped.error().what());
        LoopResult failed;
        failed.status = 1;
        return failed;
      }
    }
    return run_stats_loop(opt, source, filter, live);
  }
  LoopResult result;
  std::unique_ptr<SavefileOutput> writer;
  if (!opt.write_file.empty()) {
    writer = SavefileOutput::open(opt, source);
    if (!writer) {
      result.status = 1;
      return result;
    }
  }
  bool print = !writer || opt.print_with_write;
  // --json takes the place of the text lines (json_output.hpp).
  std::unique_ptr<JsonOutput> json;
  if (print && opt.json) {
    json = std::make_unique<JsonOutput>(opt.nanosecond);
    print = false;
  }
  // --count prints only the number of packets at the end (tcpdump 4.99).
  if (opt.count_only) print = false;
  bool emit = print || json != nullptr;
  Progress progress(opt, live);

  std::FILE* out = stdout;
  static char outbuf[1 << 16];
  std::setvbuf(out, outbuf, _IOFBF, sizeof outbuf);
  fmt::memory_buffer line;
  std::unique_ptr<printers::PacketPrinter> printer;
  if (print) printer = std::make_unique<printers::PacketPrinter>(print_options(opt));
  // --process, --pid, --comm, --uid (process_column.hpp).
  auto opened = ProcessColumn::open(opt, live);
  if (!opened) {
    fmt::print(stderr, "pxdump: {}\n", opened.error().what());
    result.status = 1;
    return result;
  }
  std::unique_ptr<ProcessColumn> processes = std::move(*opened);
  fmt::memory_buffer json_extra;  // --process's member of each --json object

  // -Z: the capture, the input and the first -w file are open; no packet has been read yet.
  if (!opt.drop_to_user.empty()) {
    if (auto dropped = drop_privileges(opt.drop_to_user); !dropped) {
      fmt::print(stderr, "pxdump: {}\n", dropped.error().what());
      result.status = 1;
      return result;
    }
  }

  while (result.status == 0) {
    auto batch = next_batch_or_end(source, result);
    if (!batch) break;
    if (batch->status == pcapxx::BatchStatus::timeout) {
      // Live output reaches the reader at least once per timeout, as tcpdump's does.
      if (emit) std::fflush(out);
      if (writer && !writer->tick(source.interfaces())) {
        result.status = 1;
        break;
      }
      if (writer && writer->file_limit_reached()) break;
      continue;
    }
    auto ifs = source.interfaces();
    if (processes) processes->prepare(batch->packets, ifs);
    std::size_t index = 0;
    for (const pcapxx::PacketView& p : batch->packets) {
      std::size_t at = index++;
      if (filter != nullptr && !filter->matches(p)) continue;
      if (processes && !processes->accept(at)) continue;
      ++result.captured;
      if (writer) {
        std::string_view comment;
        pcapxx::CustomOption custom;
        if (processes && processes->annotation(at, comment, custom)) writer->add(p, comment, custom);
        else writer->add(p);
      }
      if (json) {
        json_extra.clear();
        if (processes) processes->json_member(json_extra, at);
        json->write(p, ifs, result.captured, out, std::string_view(json_extra.data(), json_extra.size()));
      }
      if (print) {
        line.clear();
        printer->print(line, p, ifs[p.header.interface].link_type, result.captured);
        if (processes) processes->append_text(line, at);
        std::fwrite(line.data(), 1, line.size(), out);
        if (opt.line_buffered) std::fflush(out);
      }
      if (opt.count && result.captured >= *opt.count) break;
    }
    if (writer && !writer->write_pending(ifs)) {
      result.status = 1;
      break;
    }
    if (writer && writer->file_limit_reached()) break;
    progress.update(batch->packets);
    if (live && emit) std::fflush(out);
    if (opt.count && result.captured >= *opt.count) break;
  }
  // tcpdump ends the printed output with a newline when a signal stopped it (past the "^C").
  if (result.stopped_by_signal && print) std::fputc('\n', out);
  progress.finish();
  if (processes && live) processes->report();
  if (opt.count_only) fmt::print(out, "{} packet{}\n", result.captured, result.captured == 1 ? "" : "s");
  std::fflush(out);
  if (writer) {
    pcapxx::CaptureStats stats = source.stats();
    if (!writer->close(live ? &stats : nullptr)) result.status = 1;
  }
  return result;
}

}  // namespace pxdump
