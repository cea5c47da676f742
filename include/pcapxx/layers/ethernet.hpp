// pcapxx layers: Ethernet II and IEEE 802.3 framing (IEEE 802.3 clause 3.2). A type/length
// field of 1500 or less is an 802.3 length; an LLC header (llc.hpp) follows.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// An Ethernet header: 14 bytes, no FCS.
struct Ethernet : LayerBase {
  static constexpr LayerType kType = LayerType::ethernet;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kHeaderLength = 14;

  MacAddress dst;
  MacAddress src;
  std::uint16_t ethertype = 0;  ///< EtherType, or the 802.3 length when <= 1500

  /// Whether ethertype holds an 802.3 length.
  [[nodiscard]] bool is_802_3_length() const noexcept { return ethertype <= 1500; }
  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
