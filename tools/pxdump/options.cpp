#include "options.hpp"

#include <cerrno>
#include <cstdlib>
#include <getopt.h>

#include <fmt/format.h>

namespace pxdump {
namespace {

constexpr const char* kUsage =
    "Usage: pxdump [-#AdDeIKlLJnOpqStUvxX] [-B size] [-c count] [-F file] [-i interface] [-j tstamptype]\n"
    "              [-Q in|out|inout] [-r file] [-s snaplen] [-w file] [-y datalinktype]\n"
    "              [-C size] [-G seconds] [-V file] [-W count] [-z command] [-Z user]\n"
    "              [--immediate-mode] [--pcapng] [--print] [--time-stamp-precision=micro|nano]\n"
    "              [--json] [--progress|--no-progress]\n"
    "              [--stats [--json] [--max-flows N] [--idle-timeout S] [--active-timeout S] [--top N]]\n"
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
    "  -I          put the device into monitor mode (wireless devices only; not implemented\n"
    "              yet, so it is refused with the reason)\n"
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
    "Printing (as tcpdump 4.99 prints)\n"
    "  -n, -nn     do not resolve host names and ports\n"
    "  -t ... -ttttt  no time, epoch seconds, delta to previous, date and time, delta to first\n"
    "  -v, -vv, -vvv  more header fields;  -q  less;  -e  the link-level header\n"
    "  -x, -xx, -X, -XX, -A, -AA  dump the packet in hex / hex and ASCII / ASCII (doubled: with\n"
    "              the link header)\n"
    "  -S          absolute TCP sequence numbers;  -K  do not verify checksums\n"
    "  -#          number the packets;  -l  line-buffered output\n"
    "  --count     print only the number of matching packets\n"
    "Output\n"
    "  -w FILE     write packets to FILE instead of printing them; '-' is standard output.\n"
    "              pcapng when --pcapng is given or FILE ends in .pcapng, pcap otherwise\n"
    "  -c N        stop after N packets\n"
    "  -U, --packet-buffered  with -w, flush the file after every packet\n"
    "  --pcapng    write pcapng\n"
    "  --time-stamp-precision=micro|nano, --micro, --nano\n"
    "              precision of capture, written pcap timestamps and printed times (default micro)\n"
    "  --print     print packets even when writing with -w\n"
    "Beyond tcpdump's text (docs/pxdump.md)\n"
    "  -r FILE     may be repeated: the files are read in order as one stream\n"
    "  -V LIST     read the savefiles named in LIST, one per line ('-' is standard input)\n"
    "  -C N        with -w: start a new file when the current one is larger than N million bytes\n"
    "  -G S        with -w: start a new file every S seconds; strftime(3) expands the -w name\n"
    "  -W N        with -C: a ring of N files; with -G alone: stop after N files\n"
    "  -z CMD      with -C/-G: run CMD FILE on each file a rotation closes\n"
    "  -Z USER     after opening the capture, the input and -w file, become USER (and drop all\n"
    "              capabilities) before reading any packet; refuse to go on if that fails\n"
    "  --json      one JSON object per packet, one per line (docs/pxdump-json.md)\n"
    "  --progress, --no-progress  progress line on standard error while reading files\n"
    "              (default: on when standard error is a terminal)\n"
    "Traffic statistics (docs/pxdump-stats.md)\n"
    "  --stats     group packets into flows: a table refreshed each second on a terminal (top\n"
    "              flows, top talkers, protocols, packets and bits per second, drops), a report\n"
    "              at the end; with --json one JSON object per flow as flows end (NDJSON)\n"
    "  --max-flows N       flows kept at once (default 65536); the least recently seen goes first\n"
    "  --idle-timeout S    end a flow after S seconds without packets (default 60; 0: never)\n"
    "  --active-timeout S  report a flow open for S seconds and restart its counters (default 1800)\n"
    "  --top N     rows in each table (default 10)\n"
    "Processes (docs/process-attribution.md)\n"
    "  --process   live: the local process of each packet (pid, uid, command, network namespace,\n"
    "              quality) in a column, in --json, and in a pcapng -w file (comment + custom\n"
    "              option); reading such a file shows them again\n"
    "  --pid N, --comm NAME, --uid N  only packets attributed to that process id, command, user\n"
    "  --help      this text\n"
    "  --version   version of pxdump and pcapxx\n"
    "\n"
    "Exit status: 0 on success, 1 on any error (as tcpdump).\n";

enum LongOnly { kPcapng = 1000, kHelpOpt, kVersion, kPrecision, kPrint, kImmediate, kMicro, kNano, kCount, kJson,
                kProgress, kNoProgress, kStats, kMaxFlows, kIdleTimeout, kActiveTimeout, kTop,
                kProcess, kPid, kComm, kUid };

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
      {"count", no_argument, nullptr, kCount},
      {"number", no_argument, nullptr, '#'},
      {"absolute-tcp-sequence-numbers", no_argument, nullptr, 'S'},
      {"dont-verify-checksums", no_argument, nullptr, 'K'},
      {"immediate-mode", no_argument, nullptr, kImmediate},
      {"json", no_argument, nullptr, kJson},
      {"progress", no_argument, nullptr, kProgress},
      {"no-progress", no_argument, nullptr, kNoProgress},
      {"stats", no_argument, nullptr, kStats},
      {"max-flows", required_argument, nullptr, kMaxFlows},
      {"idle-timeout", required_argument, nullptr, kIdleTimeout},
      {"active-timeout", required_argument, nullptr, kActiveTimeout},
      {"top", required_argument, nullptr, kTop},
      {"process", no_argument, nullptr, kProcess},
      {"pid", required_argument, nullptr, kPid},
      {"comm", required_argument, nullptr, kComm},
      {"uid", required_argument, nullptr, kUid},
      {"relinquish-privileges", required_argument, nullptr, 'Z'},
      {"interface", required_argument, nullptr, 'i'},
      {"list-interfaces", no_argument, nullptr, 'D'},
      {"list-data-link-types", no_argument, nullptr, 'L'},
      {"list-time-stamp-types", no_argument, nullptr, 'J'},
      {"time-stamp-type", required_argument, nullptr, 'j'},
      {"no-promiscuous-mode", no_argument, nullptr, 'p'},
      {"monitor-mode", no_argument, nullptr, 'I'},
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
  while ((c = getopt_long(argc, argv, "+#AB:c:C:dDeF:G:hi:Ij:JKlLnOpqQ:r:s:StUvV:w:W:xXy:z:Z:", kLong, nullptr)) != -1) {
    switch (c) {
      case 'r':
        if (o.read_file.empty()) o.read_file = optarg;
        o.read_files.emplace_back(optarg);
        break;
      case 'V': o.read_list_file = optarg; break;
      case 'C':
        // tcpdump's unit: millions of bytes.
        if (!parse_unsigned(optarg, n) || n == 0 || n > (1ull << 40)) {
          fmt::print(stderr, "pxdump: invalid file size {}\n", optarg);
          return {std::nullopt, 1};
        }
        o.rotate_size = n * 1'000'000;
        break;
      case 'G':
        if (!parse_unsigned(optarg, n) || n > (1ull << 31)) {
          fmt::print(stderr, "pxdump: invalid rotate seconds {}\n", optarg);
          return {std::nullopt, 1};
        }
        if (n != 0) o.rotate_seconds = static_cast<std::uint32_t>(n);
        break;
      case 'W':
        if (!parse_unsigned(optarg, n) || n == 0 || n > (1ull << 31)) {
          fmt::print(stderr, "pxdump: invalid number of output files {}\n", optarg);
          return {std::nullopt, 1};
        }
        o.file_count = static_cast<std::uint32_t>(n);
        break;
      case 'z': o.post_rotate_command = optarg; break;
      case 'Z': o.drop_to_user = optarg; break;
      case kJson: o.json = true; break;
      case kProgress: o.progress = true; break;
      case kNoProgress: o.progress = false; break;
      case kStats: o.stats = true; break;
      case kMaxFlows:
        if (!parse_unsigned(optarg, n) || n == 0 || n >= (1ull << 31)) {
          fmt::print(stderr, "pxdump: invalid --max-flows {} (must be 1 to 2147483647)\n", optarg);
          return {std::nullopt, 1};
        }
        o.max_flows = n;
        break;
      case kIdleTimeout:
      case kActiveTimeout:
        if (!parse_unsigned(optarg, n) || n > 86400 * 365) {
          fmt::print(stderr, "pxdump: invalid --{} {} (seconds, 0 to 31536000)\n",
                     c == kIdleTimeout ? "idle-timeout" : "active-timeout", optarg);
          return {std::nullopt, 1};
        }
        (c == kIdleTimeout ? o.idle_timeout_s : o.active_timeout_s) = static_cast<std::uint32_t>(n);
        break;
      case kTop:
        if (!parse_unsigned(optarg, n) || n == 0 || n > 1000) {
          fmt::print(stderr, "pxdump: invalid --top {} (1 to 1000)\n", optarg);
          return {std::nullopt, 1};
        }
        o.stats_top = static_cast<std::uint32_t>(n);
        break;
      case kProcess: o.process = true; break;
      case kPid:
      case kUid:
        if (!parse_unsigned(optarg, n) || n > 0x7fffffffULL) {
          fmt::print(stderr, "pxdump: invalid --{} {} (a number)\n", c == kPid ? "pid" : "uid", optarg);
          return {std::nullopt, 1};
        }
        if (c == kPid) o.process_pid = static_cast<std::int32_t>(n);
        else o.process_uid = static_cast<std::uint32_t>(n);
        break;
      case kComm: o.process_comm = optarg; break;
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
      case 'I': o.monitor = true; break;
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
      case kCount: o.count_only = true; break;
      case '#': o.packet_number = true; break;
      case 'A': ++o.ascii; break;
      case 'e': o.link_header = true; break;
      case 'K': o.no_checksum = true; break;
      case 'l': o.line_buffered = true; break;
      case 'n': ++o.numeric; break;
      case 'q': o.quiet = true; break;
      case 'S': o.absolute_seq = true; break;
      case 't': ++o.timestamp_mode; break;
      case 'v': ++o.verbose; break;
      case 'x': ++o.hex; break;
      case 'X': ++o.hex_ascii; break;
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
