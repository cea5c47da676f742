// pcapxx layers: IPv4 (RFC 791) with options. A total length beyond the captured bytes is a
// short capture, not an error: the payload is what was captured. Bytes after the total length
// (Ethernet padding) are reported as the trailer. A non-first fragment decodes to Payload.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// An IPv4 header.
struct Ipv4 : LayerBase {
  static constexpr LayerType kType = LayerType::ipv4;
  static constexpr LayerClass kClass = LayerClass::network;

  std::uint8_t version = 4;
  std::uint8_t ihl = 5;             ///< header length in 32-bit words
  std::uint8_t tos = 0;             ///< DSCP (6 bits) and ECN (2 bits)
  std::uint16_t total_length = 0;
  std::uint16_t id = 0;
  std::uint8_t flags = 0;           ///< 3 bits: reserved, DF (2), MF (1)
  std::uint16_t fragment_offset = 0;  ///< in 8-byte units
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 0;
  std::uint16_t checksum = 0;
  Ipv4Address src;
  Ipv4Address dst;
  std::span<const std::byte> options;  ///< (ihl - 5) * 4 bytes

  static constexpr std::uint8_t kDontFragment = 2;
  static constexpr std::uint8_t kMoreFragments = 1;

  [[nodiscard]] std::size_t header_length() const noexcept { return std::size_t{ihl} * 4; }
  [[nodiscard]] OptionReader option_reader() const noexcept {
    return {options, OptionStyle::ipv4_tcp};
  }
  /// Whether the header checksum in contents is correct.
  [[nodiscard]] bool checksum_ok() const noexcept;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
