// pcapxx layers: ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861).
// Error messages (v4: 3, 4, 5, 11, 12; v6: 1-4) carry the invoking packet, which decodes as the
// next layer. ND messages (133-137) keep their body and options in contents.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// An ICMPv4 header: type, code, checksum and the 4-byte rest of header.
struct Icmpv4 : LayerBase {
  static constexpr LayerType kType = LayerType::icmpv4;
  static constexpr LayerClass kClass = LayerClass::control;
  static constexpr std::size_t kHeaderLength = 8;

  std::uint8_t type = 8;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;
  std::uint32_t rest = 0;  ///< identifier and sequence for echo, gateway for redirect, ...

  [[nodiscard]] std::uint16_t id() const noexcept { return static_cast<std::uint16_t>(rest >> 16); }
  [[nodiscard]] std::uint16_t sequence() const noexcept { return static_cast<std::uint16_t>(rest); }

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// An ICMPv6 message.
struct Icmpv6 : LayerBase {
  static constexpr LayerType kType = LayerType::icmpv6;
  static constexpr LayerClass kClass = LayerClass::control;

  std::uint8_t type = 128;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;
  std::uint32_t rest = 0;
  /// ND messages: what follows the first 8 bytes (target address, options), part of contents.
  std::span<const std::byte> body;

  static constexpr std::uint8_t kRouterSolicitation = 133, kRouterAdvertisement = 134,
                                kNeighborSolicitation = 135, kNeighborAdvertisement = 136,
                                kRedirect = 137;

  [[nodiscard]] bool is_neighbor_discovery() const noexcept { return type >= 133 && type <= 137; }
  /// The target address of a neighbor solicitation/advertisement or redirect, if present.
  [[nodiscard]] bool target(Ipv6Address& out) const noexcept;
  /// The ND options (RFC 4861 4.6) of an ND message; empty for other types.
  [[nodiscard]] std::span<const std::byte> nd_options() const noexcept;
  [[nodiscard]] OptionReader nd_option_reader() const noexcept {
    return {nd_options(), OptionStyle::nd};
  }

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
