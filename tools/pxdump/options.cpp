#include "options.hpp"

#include <cerrno>
#include <cstdlib>
#include <getopt.h>

#include <fmt/format.h>

namespace pxdump {
namespace {

constexpr const char* kUsage =
    "Usage: pxdump [-dDLJOpU] [-B size] [-c count] [-F file] [-i interface] [-j tstamptype]\n"
    "              [-Q in|out|inout] [-r file] [-s snaplen] [-w file] [-y datalinktype]\n"
    "              [--immediate-mode] [--pcapng] [--print] [--time-stamp-precision=micro|nano]\n"
    "              [expression]\n";

constexpr const char* kHelp =
    "pxdump: capture packets or read a savefile, filter them, print or write them (pcapxx's tcpdump).\n"
    "\n"
    "Input\n"
    "  -r FILE     read packets from FILE (pcap or pcapng); '-' reads standard input\n"
    "  -i DEV      capture live on DEV ('any' for all devices); repeat for several devices.\n"
    "              Without -r and -i: the first device -D lists\n"
    "  -D          list the devices a capture can open, as tcpdump -D\n"
    "  -L          list the link types of the device (-i), as tcpdump -L\n"
    "  -J          list the time stamp types of the device (-i)\n"
    "  -j TYPE     time stamp type (only 'host' is implemented)\n"
    "  -p          do not put the device into promiscuous mode\n"
    "  -s N        snapshot length: bytes kept per packet (0 = 262144, the default)\n"
    "  -B KIB      capture buffer size in KiB\n"
    "  -Q DIR      capture direction: in, out or inout\n"
    "  --immediate-mode  deliver each packet as soon as it arrives\n"
    "Filter\n"
    "  EXPRESSION  pcap-filter(7) words after the options, joined with spaces\n"
    "  -F FILE     read the expression from FILE ('#' starts a comment); words on the command\n"
    "              line are then ignored\n"
    "  -d, -dd, -ddd  print the compiled program (text, C array, decimal) and exit\n"
    "  -y TYPE     link type to compile (and capture) for, by name as -L prints it\n"
    "  -O          do not optimize the program\n"
    "Output\n"
    "  -w FILE     write packets to FILE instead of printing them; '-' is standard output.\n"
    "              pcapng when --pcapng is given or FILE ends in .pcapng, pcap otherwise\n"
    "  -c N        stop after N packets\n"
    "  -U, --packet-buffered  with -w, flush the file after every packet\n"
    "  --pcapng    write pcapng\n"
    "  --time-stamp-precision=micro|nano, --micro, --nano\n"
    "              precision of capture, written pcap timestamps and printed times (default micro)\n"
    "  --print     print packets even when writing with -w\n"
    "  --help      this text\n"
    "  --version   version of pxdump and pcapxx\n"
    "\n"
    "Exit status: 0 on success, 1 on any error (as tcpdump).\n";

enum LongOnly { kPcapng = 1000, kHelpOpt, kVersion, kPrecision, kPrint, kImmediate, kMicro, kNano };

bool parse_unsigned(const char* text, unsigned long long& value) {
  char* end = nullptr;
  errno = 0;
  value = std::strtoull(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && text[0] != '-';
}

}  // namespace

const char* usage_text() { return kUsage; }

ParseOutcome parse_options(int argc, char** argv) {
  static const option kLong[] = {
      {"pcapng", no_argument, nullptr, kPcapng},
      {"help", no_argument, nullptr, kHelpOpt},
      {"version", no_argument, nullptr, kVersion},
      {"time-stamp-precision", required_argument, nullptr, kPrecision},
      {"micro", no_argument, nullptr, kMicro},
      {"nano", no_argument, nullptr, kNano},
      {"print", no_argument, nullptr, kPrint},
      {"immediate-mode", no_argument, nullptr, kImmediate},
      {"interface", required_argument, nullptr, 'i'},
      {"list-interfaces", no_argument, nullptr, 'D'},
      {"list-data-link-types", no_argument, nullptr, 'L'},
      {"list-time-stamp-types", no_argument, nullptr, 'J'},
      {"time-stamp-type", required_argument, nullptr, 'j'},
      {"no-promiscuous-mode", no_argument, nullptr, 'p'},
      {"snapshot-length", required_argument, nullptr, 's'},
      {"buffer-size", required_argument, nullptr, 'B'},
      {"direction", required_argument, nullptr, 'Q'},
      {"linktype", required_argument, nullptr, 'y'},
      {"no-optimize", no_argument, nullptr, 'O'},
      {"packet-buffered", no_argument, nullptr, 'U'},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  opterr = 0;
  optind = 1;
  int c;
  unsigned long long n = 0;
  // '+' stops at the first non-option word: the filter expression follows, as in tcpdump.
  while ((c = getopt_long(argc, argv, "+B:c:dDF:hi:j:JLOpQ:r:s:Uw:y:", kLong, nullptr)) != -1) {
    switch (c) {
      case 'r': o.read_file = optarg; break;
      case 'w': o.write_file = optarg; break;
      case 'U': o.packet_buffered = true; break;
      case 'c':
        if (!parse_unsigned(optarg, n) || n == 0) {
          fmt::print(stderr, "pxdump: invalid packet count {}\n", optarg);
          return {std::nullopt, 1};
        }
        o.count = n;
        break;
      case 'd': ++o.dump_program; break;
      case 'D': o.list_devices = true; break;
      case 'F': o.filter_file = optarg; break;
      case 'i': o.devices.emplace_back(optarg); break;
      case 'j': o.time_stamp_type = optarg; break;
      case 'J': o.list_time_stamp_types = true; break;
      case 'L': o.list_link_types = true; break;
      case 'O': o.optimize = false; break;
      case 'p': o.promiscuous = false; break;
      case 'y': o.link_type_name = optarg; break;
      case 's':
        // tcpdump's limits and wording (MAXIMUM_SNAPLEN); 0 means the maximum.
        if (!parse_unsigned(optarg, n) || n > 262144) {
          fmt::print(stderr, "pxdump: invalid snaplen {} (must be >= 0 and <= 262144)\n", optarg);
          return {std::nullopt, 1};
        }
        o.snaplen = n == 0 ? 262144 : static_cast<std::uint32_t>(n);
        break;
      case 'B':
        if (!parse_unsigned(optarg, n) || n == 0 || n > (1ull << 32)) {
          fmt::print(stderr, "pxdump: invalid packet buffer size {}\n", optarg);
          return {std::nullopt, 1};
        }
        o.buffer_kib = n;
        break;
      case 'Q': {
        std::string v = optarg;
        if (v == "in") o.direction = Direction::in;
        else if (v == "out") o.direction = Direction::out;
        else if (v == "inout") o.direction = Direction::inout;
        else {
          fmt::print(stderr, "pxdump: unknown capture direction `{}'\n", v);
          return {std::nullopt, 1};
        }
        break;
      }
      case kPcapng: o.pcapng = true; break;
      case kPrint: o.print_with_write = true; break;
      case kImmediate: o.immediate = true; break;
      case kMicro: o.nanosecond = false; break;
      case kNano: o.nanosecond = true; break;
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
        fmt::print("pxdump version 0.2.0\npcapxx version 0.1.0\n");
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
  return {std::move(o), 0};
}

}  // namespace pxdump
