// pcapxx layers: IEEE 802.2 LLC (after an 802.3 length field, or LINUX_SLL protocol 4) and the
// SNAP extension (RFC 1042: DSAP = SSAP = 0xaa, control 0x03). The control field is one byte for
// U-format PDUs (low two bits 11) and two bytes for I- and S-format PDUs (IEEE 802.2 5.2).
// SNAP with OUI 00-00-00 carries an EtherType; other OUIs (Cisco CDP, STP...) decode as Payload.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// An 802.2 LLC header: 3 bytes (U format) or 4 bytes (I/S format).
struct Llc : LayerBase {
  static constexpr LayerType kType = LayerType::llc;
  static constexpr LayerClass kClass = LayerClass::link;

  std::uint8_t dsap = 0xaa;
  std::uint8_t ssap = 0xaa;
  std::uint16_t control = 0x03;  ///< one byte for U format, else two (first byte in the low half)
  std::uint8_t control_length = 1;  ///< 1 (U format) or 2 (I/S format)

  [[nodiscard]] std::size_t header_length() const noexcept { return control_length == 2 ? 4 : 3; }

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// A SNAP header: organization code and protocol id.
struct Snap : LayerBase {
  static constexpr LayerType kType = LayerType::snap;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kHeaderLength = 5;

  std::uint32_t oui = 0;         ///< 24 bits
  std::uint16_t protocol = 0;    ///< an EtherType when oui is 0

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
