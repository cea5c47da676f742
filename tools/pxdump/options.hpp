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
