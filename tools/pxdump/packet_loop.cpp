#include "packet_loop.hpp"

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "expression.hpp"
#include "pcapxx/savefile.hpp"
#include "signals.hpp"

namespace pxdump {
namespace {

/// Formats "HH:MM:SS.ffffff" in local time (tcpdump's default), caching the broken-down time
/// per second.
class TimeFormatter {
 public:
  explicit TimeFormatter(bool nano) : nano_(nano) {}
  void append(fmt::memory_buffer& out, pcapxx::Timestamp ts) {
    std::int64_t sec = ts.seconds();
    if (sec != cached_sec_) {
      std::time_t t = static_cast<std::time_t>(sec);
      std::tm tm{};
      localtime_r(&t, &tm);
      cached_ = fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
      cached_sec_ = sec;
    }
    out.append(cached_);
    if (nano_) fmt::format_to(std::back_inserter(out), ".{:09}", ts.subsec_ns());
    else fmt::format_to(std::back_inserter(out), ".{:06}", ts.subsec_us());
  }

 private:
  bool nano_;
  std::int64_t cached_sec_ = INT64_MIN;
  std::string cached_;
};

/// The -w side: opens the writer with the interfaces known at the start and adds later ones.
class SavefileOutput {
 public:
  static std::unique_ptr<SavefileOutput> open(const Options& opt, const pcapxx::Source& source) {
    auto out = std::unique_ptr<SavefileOutput>(new SavefileOutput(opt));
    pcapxx::WriterOptions wo;
    wo.format = out->pcapng_ ? pcapxx::SavefileFormat::pcapng : pcapxx::SavefileFormat::pcap;
    wo.nanosecond = opt.nanosecond;
    wo.flush = opt.packet_buffered ? pcapxx::FlushPolicy::per_packet : pcapxx::FlushPolicy::buffered;
    wo.user_application = "pxdump 0.2.0";
    auto ifs = source.interfaces();
    // pcap holds one link; pcapng gets every interface seen so far (more may come later).
    auto initial = out->pcapng_ ? ifs : ifs.first(std::min<std::size_t>(ifs.size(), 1));
    if (!out->pcapng_ && initial.empty()) {
      fmt::print(stderr, "pxdump: {}: the input has no interface yet, so there is no link type for a pcap "
                         "file; write pcapng (--pcapng)\n", opt.write_file);
      return nullptr;
    }
    if (!out->pcapng_) {
      for (std::size_t i = 1; i < ifs.size(); ++i)
        if (ifs[i].link_type != ifs[0].link_type && !ifs[i].name.empty()) {
          fmt::print(stderr, "pxdump: {}: {} has link-type {} and {} has {}: a pcap file holds one; write "
                             "pcapng (--pcapng)\n", opt.write_file, ifs[0].name, link_type_text(ifs[0].link_type),
                     ifs[i].name, link_type_text(ifs[i].link_type));
          return nullptr;
        }
    }
    auto w = pcapxx::SavefileWriter::open(opt.write_file, initial, wo);
    if (!w) {
      fmt::print(stderr, "pxdump: {}\n", w.error().what());
      return nullptr;
    }
    out->writer_ = std::move(*w);
    out->interfaces_written_ = initial.size();
    return out;
  }

  /// Writes one packet; false after printing an error.
  bool write(const pcapxx::PacketView& p, std::span<const pcapxx::InterfaceDescription> ifs, std::uint64_t number) {
    pcapxx::PacketView v = p;
    if (pcapng_) {
      while (interfaces_written_ < ifs.size()) {
        if (auto added = writer_->add_interface(ifs[interfaces_written_]); !added) {
          fmt::print(stderr, "pxdump: {}\n", added.error().what());
          return false;
        }
        ++interfaces_written_;
      }
    } else if (v.header.interface != 0) {
      // A pcap file has one link; packets of other interfaces fit only if the link agrees.
      if (ifs[v.header.interface].link_type != ifs[0].link_type) {
        fmt::print(stderr,
                   "pxdump: {}: packet {} is on interface {} with link-type {}, which a pcap "
                   "file of link-type {} cannot hold; write pcapng (--pcapng)\n",
                   opt_.write_file, number, v.header.interface,
                   link_type_text(ifs[v.header.interface].link_type), link_type_text(ifs[0].link_type));
        return false;
      }
      v.header.interface = 0;
    }
    // Only packets that carry pcapng options pay for parsing them (comments survive to pcapng).
    std::vector<std::string_view> comments;
    if (pcapng_ && !v.options.bytes.empty()) {
      if (auto parsed = pcapxx::parse_packet_options(v.options)) comments = std::move(parsed->comments);
    }
    if (auto ok = writer_->write(v, comments); !ok) {
      fmt::print(stderr, "pxdump: {}\n", ok.error().what());
      return false;
    }
    return true;
  }

  bool close(const pcapxx::CaptureStats* stats) {
    if (auto ok = writer_->close(stats); !ok) {
      fmt::print(stderr, "pxdump: {}\n", ok.error().what());
      return false;
    }
    return true;
  }

 private:
  explicit SavefileOutput(const Options& opt)
      : opt_(opt), pcapng_(opt.pcapng || opt.write_file.ends_with(".pcapng")) {}
  const Options& opt_;
  bool pcapng_;
  std::unique_ptr<pcapxx::SavefileWriter> writer_;
  std::size_t interfaces_written_ = 0;
};

}  // namespace

LoopResult run_packet_loop(const Options& opt, pcapxx::Source& source, const pcapxx::Filter* filter, bool live) {
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

  std::FILE* out = stdout;
  static char outbuf[1 << 16];
  std::setvbuf(out, outbuf, _IOFBF, sizeof outbuf);
  fmt::memory_buffer line;
  TimeFormatter time(opt.nanosecond);

  while (result.status == 0) {
    if (stop_requested()) {
      result.stopped_by_signal = true;
      break;
    }
    auto batch = source.next_batch();
    if (!batch) {
      fmt::print(stderr, "pxdump: {}\n", batch.error().what());
      result.status = 1;
      break;
    }
    if (batch->status == pcapxx::BatchStatus::end) {
      result.stopped_by_signal = stop_requested();
      break;
    }
    if (batch->status == pcapxx::BatchStatus::timeout) {
      // Live output reaches the reader at least once per timeout, as tcpdump's does.
      if (print) std::fflush(out);
      continue;
    }
    auto ifs = source.interfaces();
    for (const pcapxx::PacketView& p : batch->packets) {
      if (filter != nullptr && !filter->matches(p)) continue;
      ++result.captured;
      if (writer && !writer->write(p, ifs, result.captured)) {
        result.status = 1;
        break;
      }
      if (print) {
        line.clear();
        time.append(line, p.header.ts);
        const auto& ifc = ifs[p.header.interface];
        if (!ifc.name.empty()) fmt::format_to(std::back_inserter(line), " {}", ifc.name);
        else fmt::format_to(std::back_inserter(line), " if{}", p.header.interface);
        fmt::format_to(std::back_inserter(line), " caplen {} len {}\n", p.header.caplen, p.header.origlen);
        std::fwrite(line.data(), 1, line.size(), out);
      }
      if (opt.count && result.captured >= *opt.count) break;
    }
    if (live && print) std::fflush(out);
    if (opt.count && result.captured >= *opt.count) break;
  }
  // tcpdump ends the printed output with a newline when a signal stopped it (past the "^C").
  if (result.stopped_by_signal && print) std::fputc('\n', out);
  std::fflush(out);
  if (writer) {
    pcapxx::CaptureStats stats = source.stats();
    if (!writer->close(live ? &stats : nullptr)) result.status = 1;
  }
  return result;
}

}  // namespace pxdump
