// pcapxx layers: Linux "cooked" capture headers, LINKTYPE_LINUX_SLL (16 bytes) and
// LINKTYPE_LINUX_SLL2 (20 bytes), as documented in the tcpdump.org link-layer type registry.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// LINUX_SLL: packet type, ARPHRD type, link-layer address, protocol.
struct LinuxSll : LayerBase {
  static constexpr LayerType kType = LayerType::linux_sll;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kHeaderLength = 16;

  std::uint16_t packet_type = 0;   ///< 0 to us, 1 broadcast, 2 multicast, 3 other host, 4 outgoing
  std::uint16_t arphrd_type = 1;   ///< ARPHRD_ value (1 = Ethernet)
  std::uint16_t address_length = 6;
  std::array<std::uint8_t, 8> address{};
  std::uint16_t protocol = 0;      ///< EtherType, or 1 (802.3) / 4 (802.2 LLC) and others

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// LINUX_SLL2: protocol first, then interface index, ARPHRD type, packet type, address.
struct LinuxSll2 : LayerBase {
  static constexpr LayerType kType = LayerType::linux_sll2;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kHeaderLength = 20;

  std::uint16_t protocol = 0;
  std::uint16_t reserved = 0;
  std::uint32_t interface_index = 0;
  std::uint16_t arphrd_type = 1;
  std::uint8_t packet_type = 0;
  std::uint8_t address_length = 6;
  std::array<std::uint8_t, 8> address{};

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
