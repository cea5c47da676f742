// The contract every protocol printer of pxdump follows (tools/pxdump/printers/, one file per
// protocol). Printers read decoded layers (pcapxx/decode.hpp) — there is no second parser — and
// append tcpdump 4.99's text for their part of the line to Out::buf.
#pragma once

#include <cstdint>
#include <iterator>
#include <span>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace pxdump::printers {

/// tcpdump's printing flags, counted as on the command line.
struct PrintFlags {
  int verbose = 0;            ///< -v, -vv, -vvv
  int numeric = 0;            ///< -n (1), -nn (2): no name resolution
  bool quiet = false;         ///< -q
  bool link_header = false;   ///< -e
  bool absolute_seq = false;  ///< -S
  bool no_checksum = false;   ///< -K: do not verify checksums
  bool suppress_default_print = false;  ///< -x/-X/-A given: no hex dump of undecoded payloads
};

/// Where one packet's text goes, and the flags every printer needs.
struct Out {
  fmt::memory_buffer& buf;
  const PrintFlags& flags;

  template <typename... Args>
  void put(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(buf), format, std::forward<Args>(args)...);
  }
  /// Text as it is: braces are not doubled here, unlike in the formatting put above.
  void put(std::string_view text) { buf.append(text); }
  /// tcpdump's truncation marker, for example "[|domain]".
  void truncated(std::string_view protocol) { put(" [|{}]", protocol); }
};

}  // namespace pxdump::printers
