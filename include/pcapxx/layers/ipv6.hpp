// pcapxx layers: IPv6 (RFC 8200) and its extension headers: hop-by-hop and destination options
// (4.3, 4.6), routing (4.4), fragment (4.5), AH (RFC 4302) and ESP (RFC 4303). Each extension
// header is its own layer. A payload length of 0 with a jumbo option (RFC 2675) is not handled:
// the payload is then whatever was captured.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// The fixed 40-byte IPv6 header.
struct Ipv6 : LayerBase {
  static constexpr LayerType kType = LayerType::ipv6;
  static constexpr LayerClass kClass = LayerClass::network;
  static constexpr std::size_t kHeaderLength = 40;

  std::uint8_t version = 6;
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;     ///< 20 bits
  std::uint16_t payload_length = 0;
  std::uint8_t next_header = 0;
  std::uint8_t hop_limit = 64;
  Ipv6Address src;
  Ipv6Address dst;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// Hop-by-hop or destination options: next header, length, TLV options (RFC 8200 4.2).
struct Ipv6OptionsHeader : LayerBase {
  static constexpr LayerClass kClass = LayerClass::network;
  std::uint8_t next_header = 0;
  std::uint8_t header_ext_length = 0;  ///< in 8-byte units, not counting the first 8
  std::span<const std::byte> options;  ///< everything after the first two bytes

  [[nodiscard]] OptionReader option_reader() const noexcept { return {options, OptionStyle::ipv6}; }
  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// Hop-by-hop options header (next header 0).
struct Ipv6HopByHop : Ipv6OptionsHeader {
  static constexpr LayerType kType = LayerType::ipv6_hop_by_hop;
};

/// Destination options header (next header 60).
struct Ipv6Destination : Ipv6OptionsHeader {
  static constexpr LayerType kType = LayerType::ipv6_destination;
};

/// Routing header (next header 43).
struct Ipv6Routing : LayerBase {
  static constexpr LayerType kType = LayerType::ipv6_routing;
  static constexpr LayerClass kClass = LayerClass::network;
  std::uint8_t next_header = 0;
  std::uint8_t header_ext_length = 0;
  std::uint8_t routing_type = 0;
  std::uint8_t segments_left = 0;
  std::span<const std::byte> type_data;  ///< type-specific data after the first 4 bytes

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// Fragment header (next header 44). A fragment with a non-zero offset decodes to Payload.
struct Ipv6Fragment : LayerBase {
  static constexpr LayerType kType = LayerType::ipv6_fragment;
  static constexpr LayerClass kClass = LayerClass::network;
  static constexpr std::size_t kHeaderLength = 8;
  std::uint8_t next_header = 0;
  std::uint8_t reserved = 0;
  std::uint16_t fragment_offset = 0;  ///< in 8-byte units
  std::uint8_t reserved2 = 0;         ///< 2 bits
  bool more_fragments = false;
  std::uint32_t identification = 0;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// IP Authentication Header (protocol 51), in IPv4 or IPv6.
struct IpsecAh : LayerBase {
  static constexpr LayerType kType = LayerType::ipsec_ah;
  static constexpr LayerClass kClass = LayerClass::network;
  std::uint8_t next_header = 0;
  std::uint8_t payload_length = 0;  ///< in 32-bit words, minus 2
  std::uint16_t reserved = 0;
  std::uint32_t spi = 0;
  std::uint32_t sequence = 0;
  std::span<const std::byte> icv;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// IP Encapsulating Security Payload (protocol 50): SPI and sequence; the rest is encrypted
/// and stays in payload (the next layer is none).
struct IpsecEsp : LayerBase {
  static constexpr LayerType kType = LayerType::ipsec_esp;
  static constexpr LayerClass kClass = LayerClass::network;
  static constexpr std::size_t kHeaderLength = 8;
  std::uint32_t spi = 0;
  std::uint32_t sequence = 0;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
