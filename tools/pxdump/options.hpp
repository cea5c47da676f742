// pxdump command-line options, parsed in tcpdump's style (short flags may be grouped: -nnc5).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pxdump {

struct Options {
  std::string read_file;              ///< -r
  std::string write_file;             ///< -w
  std::optional<std::uint64_t> count; ///< -c
  bool pcapng = false;                ///< --pcapng
  bool packet_buffered = false;       ///< -U
  bool nanosecond = false;            ///< --time-stamp-precision=nano
  bool print_with_write = false;      ///< --print
  std::vector<std::string> expression;  ///< filter words after the options
};

/// How parsing ended: run with the options, or exit now with a status.
struct ParseOutcome {
  std::optional<Options> options;
  int exit_status = 0;
};

/// Parses argv; prints --help / --version / usage errors itself.
ParseOutcome parse_options(int argc, char** argv);

}  // namespace pxdump
