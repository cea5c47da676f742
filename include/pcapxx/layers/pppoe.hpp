// pcapxx layers: PPP over Ethernet (RFC 2516): the discovery stage (EtherType 0x8863, a list of
// tags, kept as the layer's payload) and the session stage (0x8864, a PPP frame). The length field bounds the payload; bytes
// after it (Ethernet padding) are the trailer.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// One discovery tag (RFC 2516 Appendix A).
struct PppoeTag {
  std::uint16_t type = 0;           ///< 0x0101 Service-Name, 0x0102 AC-Name, 0x0103 Host-Uniq...
  std::span<const std::byte> value;
};

/// Walks discovery tags; stops at End-Of-List (0) or at a tag that runs past the list.
class PppoeTagReader {
 public:
  explicit PppoeTagReader(std::span<const std::byte> tags) noexcept : bytes_(tags) {}
  /// The next tag; false at the end.
  bool next(PppoeTag& out) noexcept;
  /// Whether the walk stopped at a tag that does not fit.
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
  bool malformed_ = false;
};

/// A PPPoE header (6 bytes), discovery or session.
struct Pppoe : LayerBase {
  static constexpr LayerType kType = LayerType::pppoe;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kHeaderLength = 6;

  std::uint8_t version = 1;
  std::uint8_t type = 1;
  std::uint8_t code = 0;        ///< 0 session data; 0x09 PADI, 0x07 PADO, 0x19 PADR, 0x65 PADS, 0xa7 PADT
  std::uint16_t session_id = 0;
  std::uint16_t length = 0;     ///< payload length

  /// Discovery packets have a non-zero code (RFC 2516 5); session data has code 0.
  [[nodiscard]] bool is_discovery() const noexcept { return code != 0; }
  /// The discovery tags: the payload of a discovery packet (no layer decodes it further).
  [[nodiscard]] std::span<const std::byte> tags() const noexcept {
    return is_discovery() ? payload : std::span<const std::byte>{};
  }

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp). Crafting a discovery packet: put the
  /// tags in a Payload layer after this one.
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// The PPP protocol field (RFC 1661 2), as carried by PPPoE sessions and GRE (0x880b):
/// two bytes, or one when the protocol was compressed (RFC 1661 6.5: the first byte is odd).
struct Ppp : LayerBase {
  static constexpr LayerType kType = LayerType::ppp;
  static constexpr LayerClass kClass = LayerClass::link;

  std::uint16_t protocol = 0x0021;  ///< 0x0021 IPv4, 0x0057 IPv6, 0xc021 LCP...
  bool compressed = false;          ///< one-byte protocol field
  /// The HDLC-like address and control bytes 0xff 0x03 came first (RFC 1662 3.1; PPTP's GRE
  /// carries them, PPPoE does not).
  bool address_control = false;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
