// pcapxx layers: VXLAN (RFC 7348 5), UDP port 4789, carrying Ethernet.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// A VXLAN header: 8 bytes.
struct Vxlan : LayerBase {
  static constexpr LayerType kType = LayerType::vxlan;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kHeaderLength = 8;

  std::uint8_t flags = 0x08;     ///< I (0x08): the VNI is valid; other bits reserved
  std::uint32_t reserved1 = 0;   ///< 24 bits (group policy extensions use them)
  std::uint32_t vni = 0;         ///< 24 bits
  std::uint8_t reserved2 = 0;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
