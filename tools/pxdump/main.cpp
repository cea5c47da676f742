// pxdump: read a savefile, print a line per packet or write the packets to another savefile.
// Uses only the public pcapxx C++ API.
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "options.hpp"
#include "pcapxx/linktype.hpp"
#include "pcapxx/savefile.hpp"

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

std::string link_type_text(pcapxx::LinkType type) {
  if (const auto* row = pcapxx::find_link_type(type))
    return fmt::format("{} ({})", row->name, row->description);
  return fmt::format("{}", type.dlt);
}

/// Formats "HH:MM:SS.ffffff" in local time, caching the broken-down time per second.
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

int run(const pxdump::Options& opt) {
  auto opened = pcapxx::SavefileReader::open(opt.read_file);
  if (!opened) {
    fmt::print(stderr, "pxdump: {}\n", opened.error().what());
    return 1;
  }
  pcapxx::SavefileReader& reader = **opened;
  fmt::print(stderr, "reading from file {}, link-type {}, snapshot length {}\n",
             opt.read_file, link_type_text(reader.link_type()), reader.snaplen());
  if (!opt.expression.empty()) {
    fmt::print(stderr, "pxdump: filter expressions are not supported yet\n");
    return 1;
  }

  std::unique_ptr<pcapxx::SavefileWriter> writer;
  std::size_t interfaces_written = 0;
  bool pcapng_out = opt.pcapng || opt.write_file.ends_with(".pcapng");
  if (!opt.write_file.empty()) {
    pcapxx::WriterOptions wo;
    wo.format = pcapng_out ? pcapxx::SavefileFormat::pcapng : pcapxx::SavefileFormat::pcap;
    wo.nanosecond = opt.nanosecond;
    wo.flush = opt.packet_buffered ? pcapxx::FlushPolicy::per_packet : pcapxx::FlushPolicy::buffered;
    wo.user_application = "pxdump 0.1.0";
    auto ifs = reader.interfaces();
    // pcap holds one link; pcapng gets every interface seen so far (more may come later).
    auto initial = pcapng_out ? ifs : ifs.first(std::min<std::size_t>(ifs.size(), 1));
    if (!pcapng_out && initial.empty()) {
      fmt::print(stderr, "pxdump: {}: the input has no interface yet, so there is no link type for a pcap "
                         "file; write pcapng (--pcapng)\n", opt.write_file);
      return 1;
    }
    auto w = pcapxx::SavefileWriter::open(opt.write_file, initial, wo);
    if (!w) {
      fmt::print(stderr, "pxdump: {}\n", w.error().what());
      return 1;
    }
    writer = std::move(*w);
    interfaces_written = initial.size();
  }
  bool print = !writer || opt.print_with_write;

  std::FILE* out = stdout;
  static char outbuf[1 << 16];
  std::setvbuf(out, outbuf, _IOFBF, sizeof outbuf);
  fmt::memory_buffer line;
  TimeFormatter time(opt.nanosecond);
  std::uint64_t seen = 0;
  int status = 0;

  while (!g_stop) {
    auto batch = reader.next_batch();
    if (!batch) {
      fmt::print(stderr, "pxdump: {}\n", batch.error().what());
      status = 1;
      break;
    }
    if (batch->status == pcapxx::BatchStatus::end) break;
    pcapxx::Batch packets = batch->packets;
    if (opt.count && seen + packets.size() > *opt.count) packets = packets.first(*opt.count - seen);
    auto ifs = reader.interfaces();
    if (writer) {
      for (const pcapxx::PacketView& p : packets) {
        pcapxx::PacketView v = p;
        if (pcapng_out) {
          while (interfaces_written < ifs.size()) {
            if (auto added = writer->add_interface(ifs[interfaces_written]); !added) {
              fmt::print(stderr, "pxdump: {}\n", added.error().what());
              return 1;
            }
            ++interfaces_written;
          }
        } else if (v.header.interface != 0) {
          // A pcap file has one link; packets of other interfaces fit only if the link agrees.
          if (ifs[v.header.interface].link_type != ifs[0].link_type) {
            fmt::print(stderr,
                       "pxdump: {}: packet {} is on interface {} with link-type {}, which a pcap "
                       "file of link-type {} cannot hold; write pcapng (--pcapng)\n",
                       opt.write_file, seen + 1, v.header.interface,
                       link_type_text(ifs[v.header.interface].link_type), link_type_text(ifs[0].link_type));
            return 1;
          }
          v.header.interface = 0;
        }
        // Only packets that carry pcapng options pay for parsing them (comments survive to pcapng).
        std::vector<std::string_view> comments;
        if (pcapng_out && !v.options.bytes.empty()) {
          if (auto parsed = pcapxx::parse_packet_options(v.options)) comments = std::move(parsed->comments);
        }
        if (auto ok = writer->write(v, comments); !ok) {
          fmt::print(stderr, "pxdump: {}\n", ok.error().what());
          return 1;
        }
      }
    }
    if (print) {
      for (const pcapxx::PacketView& p : packets) {
        line.clear();
        time.append(line, p.header.ts);
        const auto& ifc = ifs[p.header.interface];
        if (!ifc.name.empty()) fmt::format_to(std::back_inserter(line), " {}", ifc.name);
        else fmt::format_to(std::back_inserter(line), " if{}", p.header.interface);
        fmt::format_to(std::back_inserter(line), " caplen {} len {}\n", p.header.caplen, p.header.origlen);
        std::fwrite(line.data(), 1, line.size(), out);
      }
    }
    seen += packets.size();
    if (opt.count && seen >= *opt.count) break;
  }
  std::fflush(out);
  if (writer) {
    if (auto ok = writer->close(); !ok) {
      fmt::print(stderr, "pxdump: {}\n", ok.error().what());
      return 1;
    }
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = pxdump::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_status;
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return run(*parsed.options);
}
