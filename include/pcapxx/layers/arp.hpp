// pcapxx layers: ARP (RFC 826). Addresses are views of hardware_length / protocol_length bytes.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// An ARP packet.
struct Arp : LayerBase {
  static constexpr LayerType kType = LayerType::arp;
  static constexpr LayerClass kClass = LayerClass::network;

  std::uint16_t hardware_type = 1;      ///< 1 = Ethernet
  std::uint16_t protocol_type = 0x0800; ///< an EtherType
  std::uint8_t hardware_length = 6;
  std::uint8_t protocol_length = 4;
  std::uint16_t operation = 1;          ///< 1 request, 2 reply
  std::span<const std::byte> sender_hardware;
  std::span<const std::byte> sender_protocol;
  std::span<const std::byte> target_hardware;
  std::span<const std::byte> target_protocol;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
