// pcapxx layers: GRE (RFC 2784 with the key and sequence number of RFC 2890; the routing of
// RFC 1701) and the enhanced GRE of PPTP (version 1, RFC 2637 4.1). The protocol type is an
// EtherType: 0x6558 (transparent Ethernet bridging) decodes Ethernet, 0x880b PPP.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// A GRE header with its optional fields.
struct Gre : LayerBase {
  static constexpr LayerType kType = LayerType::gre;
  static constexpr LayerClass kClass = LayerClass::network;

  bool checksum_present = false;  ///< C
  bool routing_present = false;   ///< R (RFC 1701)
  bool key_present = false;       ///< K
  bool seq_present = false;       ///< S
  bool strict_source_route = false;  ///< s (RFC 1701)
  std::uint8_t recursion = 0;     ///< 3 bits (RFC 1701)
  bool ack_present = false;       ///< A (version 1)
  std::uint8_t flags = 0;         ///< the remaining 4 flag bits
  std::uint8_t version = 0;       ///< 3 bits
  std::uint16_t protocol = 0;     ///< EtherType of the payload
  std::uint16_t checksum = 0;     ///< with C or R
  std::uint16_t offset = 0;       ///< with C or R
  std::uint32_t key = 0;          ///< with K (version 1: payload length << 16 | call id)
  std::uint32_t seq = 0;          ///< with S
  std::uint32_t ack = 0;          ///< with A
  std::span<const std::byte> routing;  ///< with R: the source route entries, ending with the null one

  /// The 16-bit flags-and-version word.
  [[nodiscard]] std::uint16_t flags_and_version() const noexcept;
  [[nodiscard]] std::size_t header_length() const noexcept;
  /// Whether the checksum over contents and payload is correct (true when absent).
  [[nodiscard]] bool checksum_ok() const noexcept;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp); compute_checksums fills the checksum when
  /// checksum_present.
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
