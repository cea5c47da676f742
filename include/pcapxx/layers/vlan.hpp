// pcapxx layers: IEEE 802.1Q VLAN tag, also used for 802.1ad service tags (TPID 0x88a8) and the
// old QinQ TPID 0x9100. Stacked tags decode as consecutive Dot1Q layers.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// The 4 bytes after a VLAN TPID: tag control information and the inner EtherType.
struct Dot1Q : LayerBase {
  static constexpr LayerType kType = LayerType::dot1q;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kHeaderLength = 4;

  std::uint8_t priority = 0;   ///< PCP, 3 bits
  bool drop_eligible = false;  ///< DEI (formerly CFI)
  std::uint16_t vlan_id = 0;   ///< 12 bits
  std::uint16_t ethertype = 0; ///< inner EtherType (or 802.3 length)

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
