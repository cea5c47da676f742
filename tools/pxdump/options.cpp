#include "options.hpp"

#include <cerrno>
#include <cstdlib>
#include <getopt.h>

#include <fmt/format.h>

namespace pxdump {
namespace {

constexpr const char* kUsage =
    "Usage: pxdump [-U] [-c count] [-r file] [-w file] [--pcapng]\n"
    "              [--time-stamp-precision=micro|nano] [--print] [expression]\n";

constexpr const char* kHelp =
    "pxdump: dump packets from a savefile (pcap or pcapng), pcapxx's tcpdump.\n"
    "\n"
    "  -r FILE     read packets from FILE (pcap or pcapng); '-' reads standard input\n"
    "  -w FILE     write packets to FILE instead of printing them; '-' is standard output.\n"
    "              pcapng when --pcapng is given or FILE ends in .pcapng, pcap otherwise\n"
    "  -c N        stop after N packets\n"
    "  -U          with -w, flush the file after every packet\n"
    "  --pcapng    write pcapng\n"
    "  --time-stamp-precision=micro|nano\n"
    "              precision of written pcap timestamps (default micro)\n"
    "  --print     print packets even when writing with -w\n"
    "  --help      this text\n"
    "  --version   version of pxdump and pcapxx\n"
    "\n"
    "Exit status: 0 on success, 1 on any error (as tcpdump).\n";

enum LongOnly { kPcapng = 1000, kHelpOpt, kVersion, kPrecision, kPrint };

}  // namespace

ParseOutcome parse_options(int argc, char** argv) {
  static const option kLong[] = {
      {"pcapng", no_argument, nullptr, kPcapng},
      {"help", no_argument, nullptr, kHelpOpt},
      {"version", no_argument, nullptr, kVersion},
      {"time-stamp-precision", required_argument, nullptr, kPrecision},
      {"print", no_argument, nullptr, kPrint},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  opterr = 0;
  optind = 1;
  int c;
  // '+' stops at the first non-option word: the filter expression follows, as in tcpdump.
  while ((c = getopt_long(argc, argv, "+c:r:w:Uh", kLong, nullptr)) != -1) {
    switch (c) {
      case 'r': o.read_file = optarg; break;
      case 'w': o.write_file = optarg; break;
      case 'U': o.packet_buffered = true; break;
      case 'c': {
        char* end = nullptr;
        errno = 0;
        unsigned long long n = std::strtoull(optarg, &end, 10);
        if (errno != 0 || end == optarg || *end != '\0' || n == 0 || optarg[0] == '-') {
          fmt::print(stderr, "pxdump: invalid packet count {}\n", optarg);
          return {std::nullopt, 1};
        }
        o.count = n;
        break;
      }
      case kPcapng: o.pcapng = true; break;
      case kPrint: o.print_with_write = true; break;
      case kPrecision: {
        std::string v = optarg;
        if (v == "nano" || v == "nanoseconds") o.nanosecond = true;
        else if (v == "micro" || v == "microseconds") o.nanosecond = false;
        else {
          fmt::print(stderr, "pxdump: unsupported time stamp precision {}\n", v);
          return {std::nullopt, 1};
        }
        break;
      }
      case 'h':
      case kHelpOpt: fmt::print("{}\n{}", kHelp, kUsage); return {std::nullopt, 0};
      case kVersion:
        fmt::print("pxdump version 0.1.0\npcapxx version 0.1.0\n");
        return {std::nullopt, 0};
      default:
        if (optopt != 0 && optopt < 256)
          fmt::print(stderr, "pxdump: option requires an argument or is unknown -- '{}'\n",
                     static_cast<char>(optopt));
        else
          fmt::print(stderr, "pxdump: unrecognized option '{}'\n", argv[optind - 1]);
        fmt::print(stderr, "{}", kUsage);
        return {std::nullopt, 1};
    }
  }
  for (int i = optind; i < argc; ++i) o.expression.emplace_back(argv[i]);
  if (o.read_file.empty()) {
    fmt::print(stderr, "pxdump: no input: live capture is not available yet, use -r FILE\n{}", kUsage);
    return {std::nullopt, 1};
  }
  return {std::move(o), 0};
}

}  // namespace pxdump
