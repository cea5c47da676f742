// pxdump --json: newline-delimited JSON, one object per packet: number, timestamp, interface,
// lengths, then every decoded layer with its fields named as in the layers API
// (include/pcapxx/layers/*.hpp). The format is documented, key by key, in docs/pxdump-json.md;
// tests/diff/pxdump_out checks every shared capture against that schema and samples values
// against tshark.
//
// Written with fmt into one reused buffer, decoded into one reused layers::Packet: no
// allocation per packet once the buffer has grown to the largest object.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string_view>

#include <fmt/format.h>

#include "pcapxx/decode.hpp"
#include "pcapxx/packet.hpp"
#include "pcapxx/source.hpp"

namespace pxdump {

/// A JSON string: bytes outside printable ASCII become \u00XX (read as Latin-1), so the output
/// is valid UTF-8 whatever the packet or the process name holds.
void append_json_string(fmt::memory_buffer& out, std::string_view text);

class JsonOutput {
 public:
  /// `nanosecond`: "ts" carries 9 decimals instead of 6.
  explicit JsonOutput(bool nanosecond) : nano_(nanosecond) {}

  /// Appends the object of one packet (and a newline) to `out`. `frame` is its 1-based number;
  /// `extra_members`, when not empty, are members rendered by another part (--process:
  /// `"process":{...}`) and close the object.
  void append(fmt::memory_buffer& out, const pcapxx::PacketView& p,
              std::span<const pcapxx::InterfaceDescription> ifs, std::uint64_t frame,
              std::string_view extra_members = {});

  /// append() into the internal buffer, then one fwrite to `out`.
  void write(const pcapxx::PacketView& p, std::span<const pcapxx::InterfaceDescription> ifs, std::uint64_t frame,
             std::FILE* out, std::string_view extra_members = {}) {
    buf_.clear();
    append(buf_, p, ifs, frame, extra_members);
    std::fwrite(buf_.data(), 1, buf_.size(), out);
  }

 private:
  bool nano_;
  fmt::memory_buffer buf_;
  pcapxx::layers::Packet packet_;
};

}  // namespace pxdump
