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

#include <fmt/format.h>

#include "pcapxx/decode.hpp"
#include "pcapxx/packet.hpp"
#include "pcapxx/source.hpp"

namespace pxdump {

class JsonOutput {
 public:
  /// `nanosecond`: "ts" carries 9 decimals instead of 6.
  explicit JsonOutput(bool nanosecond) : nano_(nanosecond) {}

  /// Appends the object of one packet (and a newline) to `out`. `frame` is its 1-based number.
  void append(fmt::memory_buffer& out, const pcapxx::PacketView& p,
              std::span<const pcapxx::InterfaceDescription> ifs, std::uint64_t frame);

  /// append() into the internal buffer, then one fwrite to `out`.
  void write(const pcapxx::PacketView& p, std::span<const pcapxx::InterfaceDescription> ifs, std::uint64_t frame,
             std::FILE* out) {
    buf_.clear();
    append(buf_, p, ifs, frame);
    std::fwrite(buf_.data(), 1, buf_.size(), out);
  }

 private:
  bool nano_;
  fmt::memory_buffer buf_;
  pcapxx::layers::Packet packet_;
};

}  // namespace pxdump
