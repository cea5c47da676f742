// pxdump command-line options, parsed in tcpdump's style (short flags may be grouped: -nnc5;
// the filter expression follows the options, its words joined with spaces).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pxdump {

/// Which packets a live capture sees (-Q).
enum class Direction : std::uint8_t { inout, in, out };

struct Options {
  // Input and output.
  std::string read_file;              ///< -r
  std::string write_file;             ///< -w
  std::vector<std::string> devices;   ///< -i, in the order given (several: one capture each)
  std::optional<std::uint64_t> count; ///< -c
  bool pcapng = false;                ///< --pcapng
  bool packet_buffered = false;       ///< -U
  bool nanosecond = false;            ///< --time-stamp-precision=nano
  bool print_with_write = false;      ///< --print

  // Printing (tcpdump's flags; printers/packet_printer.hpp).
  int numeric = 0;                    ///< -n, -nn
  int timestamp_mode = 0;             ///< -t count: none, epoch, delta, date, since first
  int verbose = 0;                    ///< -v count
  bool quiet = false;                 ///< -q
  bool link_header = false;           ///< -e
  int hex = 0;                        ///< -x count
  int hex_ascii = 0;                  ///< -X count
  int ascii = 0;                      ///< -A count
  bool absolute_seq = false;          ///< -S
  bool packet_number = false;         ///< -#
  bool line_buffered = false;         ///< -l
  bool no_checksum = false;           ///< -K
  bool count_only = false;            ///< --count: print only the number of packets

  // Beyond tcpdump's printing (savefile_output.hpp, json_output.hpp, privileges.hpp).
  std::vector<std::string> read_files;           ///< every -r, in order, then the files of -V
  std::string read_list_file;                    ///< -V: a file naming savefiles, one per line
  std::optional<std::uint64_t> rotate_size;      ///< -C, in bytes (the option counts 1,000,000s)
  std::optional<std::uint32_t> rotate_seconds;   ///< -G
  std::optional<std::uint32_t> file_count;       ///< -W
  std::string post_rotate_command;               ///< -z
  std::string drop_to_user;                      ///< -Z
  bool json = false;                             ///< --json
  std::optional<bool> progress;                  ///< --progress / --no-progress (default: stderr is a tty)

  // Traffic statistics (stats/stats_loop.hpp, docs/pxdump-stats.md).
  bool stats = false;                            ///< --stats: flows and counters instead of packets
  std::uint64_t max_flows = 65536;               ///< --max-flows: the flow table's budget
  std::uint32_t idle_timeout_s = 60;             ///< --idle-timeout (0: never)
  std::uint32_t active_timeout_s = 1800;         ///< --active-timeout (0: never)
  std::uint32_t stats_top = 10;                  ///< --top: rows in each table

  // Process attribution (process_column.hpp, docs/process-attribution.md).
  bool process = false;                          ///< --process
  std::optional<std::int32_t> process_pid;       ///< --pid
  std::string process_comm;                      ///< --comm
  std::optional<std::uint32_t> process_uid;      ///< --uid

  // The filter.
  std::vector<std::string> expression;  ///< filter words after the options
  std::string filter_file;            ///< -F: the expression comes from this file instead
  int dump_program = 0;               ///< -d (1), -dd (2), -ddd (3): print the program, exit
  std::string link_type_name;         ///< -y: compile (and capture) for this link type
  bool optimize = true;               ///< -O turns the optimizer off

  // Live capture.
  bool list_devices = false;          ///< -D
  bool list_link_types = false;       ///< -L
  bool list_time_stamp_types = false; ///< -J
  std::string time_stamp_type;        ///< -j
  bool promiscuous = true;            ///< -p turns it off
  bool monitor = false;               ///< -I: monitor mode (refused where unsupported)
  std::uint32_t snaplen = 262144;     ///< -s (0 means 262144)
  std::optional<std::uint64_t> buffer_kib;  ///< -B
  Direction direction = Direction::inout;   ///< -Q
  bool immediate = false;             ///< --immediate-mode
};

/// How parsing ended: run with the options, or exit now with a status.
struct ParseOutcome {
  std::optional<Options> options;
  int exit_status = 0;
};

/// Parses argv; prints --help / --version / usage errors itself.
ParseOutcome parse_options(int argc, char** argv);

/// The usage text (printed after a usage error).
const char* usage_text();

}  // namespace pxdump
