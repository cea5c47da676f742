// pcapxx layers: what every protocol layer shares. Each layer is a plain struct in its own header
// with the same shape:
//
//   struct Xyz : LayerBase {
//     static constexpr LayerType kType = LayerType::xyz;
//     static constexpr LayerClass kClass = LayerClass::...;
//     ...typed fields...
//     DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
//     void serialize(SerializeBuffer& buf, const SerializeOptions& opts,
//                    const SerializeContext& ctx) const;
//   };
//
// decode() fills the fields, `contents` (this layer's header bytes) and `payload` (the bytes the
// next layer decodes), and names the next layer. It never throws, never allocates and never reads
// outside `data`; on malformed or truncated input it returns a DecodeStatus with `error` set.
// serialize() prepends the header in front of what is already in the buffer (its payload).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pcapxx::layers {

/// Every built-in layer type; values from kFirstCustom up are assigned to registered decoders.
enum class LayerType : std::uint16_t {
  none = 0,        ///< no further layer
  payload,         ///< undecoded application bytes
  raw_ip,          ///< not a layer: "IPv4 or IPv6 by the version nibble" (LINKTYPE_RAW)
  ethernet,
  dot1q,           ///< 802.1Q / 802.1ad tag (TPID 0x8100, 0x88a8, 0x9100)
  arp,
  linux_sll,
  linux_sll2,
  loopback,        ///< DLT_NULL / DLT_LOOP 4-byte address family
  ipv4,
  ipv6,
  ipv6_hop_by_hop,
  ipv6_routing,
  ipv6_fragment,
  ipv6_destination,
  ipsec_ah,
  ipsec_esp,
  icmpv4,
  icmpv6,
  tcp,
  udp,
  dns,
  llc,             ///< IEEE 802.2 LLC
  snap,            ///< SNAP after LLC (RFC 1042)
  mpls,
  pppoe,           ///< PPPoE discovery or session
  ppp,             ///< the PPP protocol field
  igmp,
  gre,
  vxlan,
  geneve,
  sctp,
  dhcp,
  ntp,
  kFirstCustom = 0x8000,
};

/// The role a layer plays, for the packet's link/network/transport/application shortcuts.
enum class LayerClass : std::uint8_t { link, network, control, transport, application };

/// The name of a layer type ("Ethernet", "IPv4"...); "Custom" for registered types.
std::string_view layer_name(LayerType type) noexcept;

/// Bytes of a layer: its own header and what follows it. Views into the packet's bytes.
struct LayerBase {
  std::span<const std::byte> contents;  ///< this layer's header (and trailer) bytes
  std::span<const std::byte> payload;   ///< what the next layer decodes
};

namespace detail {
/// Copies a span that decode() has just stored, word by word. decode() stores a span's pointer
/// and size as two 8-byte words; reading them back as one 16-byte load (what the compiler does
/// for a span copy) misses store-to-load forwarding and stalls ~15 cycles on every layer.
inline std::span<const std::byte> fresh_span(const std::span<const std::byte>& s) noexcept {
  const std::byte* p = s.data();
  std::size_t n = s.size();
#if defined(__GNUC__)
  asm("" : "+r"(p), "+r"(n));  // two scalar loads, not one vector load
#endif
  return {p, n};
}
}  // namespace detail

/// What decode() tells the caller: the next layer, or why this one failed.
struct DecodeStatus {
  LayerType next = LayerType::none;
  const char* error = nullptr;      ///< static text; nullptr when the layer decoded
  std::uint32_t error_offset = 0;   ///< where in this layer's input the problem is
  /// Bytes after the length this layer declares (Ethernet padding after an IPv4 packet).
  std::span<const std::byte> trailer;

  [[nodiscard]] bool ok() const noexcept { return error == nullptr; }
};

/// A failed layer: which layer, where in the packet, and why. Kept at the top of a packet's
/// layer stack as its error layer.
struct DecodeFailure {
  LayerType layer = LayerType::none;
  std::uint32_t offset = 0;            ///< byte offset from the start of the packet
  std::string_view reason;             ///< static text
  std::span<const std::byte> remaining;  ///< the bytes that failed to decode (from the layer start)

  /// "TCP at offset 34: data offset 4 is less than 5 (44 bytes left)". Allocates.
  [[nodiscard]] std::string message() const;
};

class Registry;

/// What decode() needs besides the bytes.
struct DecodeContext {
  const Registry& registry;
};

/// A 48-bit MAC address.
struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};
  [[nodiscard]] std::string to_string() const;  ///< "00:1a:2b:3c:4d:5e"
  friend constexpr bool operator==(const MacAddress&, const MacAddress&) = default;
};

/// An IPv4 address in network order.
struct Ipv4Address {
  std::array<std::uint8_t, 4> bytes{};
  [[nodiscard]] std::string to_string() const;  ///< dotted quad
  /// Parses a dotted quad; returns false if `text` is not one.
  static bool parse(std::string_view text, Ipv4Address& out) noexcept;
  friend constexpr bool operator==(const Ipv4Address&, const Ipv4Address&) = default;
};

/// An IPv6 address in network order.
struct Ipv6Address {
  std::array<std::uint8_t, 16> bytes{};
  [[nodiscard]] std::string to_string() const;  ///< RFC 5952 text form
  /// Parses RFC 4291 text; returns false if `text` is not an IPv6 address.
  static bool parse(std::string_view text, Ipv6Address& out) noexcept;
  friend constexpr bool operator==(const Ipv6Address&, const Ipv6Address&) = default;
};

/// One option of a type-length-value option list (IPv4, TCP, IPv6 extension headers, ND).
struct Option {
  std::uint8_t kind = 0;
  std::span<const std::byte> data;   ///< the value bytes (without kind and length)
  std::span<const std::byte> whole;  ///< kind, length and value
};

/// How a list of options encodes lengths.
enum class OptionStyle : std::uint8_t {
  ipv4_tcp,   ///< kind 0 ends the list, kind 1 is one byte, others: length counts kind and length
  ipv6,       ///< type 0 is one byte, others: length counts the value only (RFC 8200 4.2)
  nd,         ///< length in units of 8 bytes, counting type and length (RFC 4861 4.6)
  dhcp,       ///< code 0 is one byte (pad), 255 ends the list, others: length counts the value (RFC 2132 2)
};

/// Walks an option list without allocating. next() returns false at the end or, with
/// malformed() true, at an option that runs past the list.
class OptionReader {
 public:
  OptionReader(std::span<const std::byte> bytes, OptionStyle style) noexcept
      : bytes_(bytes), style_(style) {}

  /// The next option; false when there is none.
  bool next(Option& out) noexcept {
    if (pos_ >= bytes_.size() || malformed_) return false;
    const auto kind = static_cast<std::uint8_t>(bytes_[pos_]);
    const std::size_t left = bytes_.size() - pos_;
    std::size_t len = 0;
    std::size_t hdr = 2;
    if ((style_ == OptionStyle::ipv4_tcp && (kind == 0 || kind == 1)) ||
        (style_ == OptionStyle::ipv6 && kind == 0) || (style_ == OptionStyle::dhcp && (kind == 0 || kind == 255))) {
      out = Option{kind, {}, bytes_.subspan(pos_, 1)};
      const bool end = (style_ == OptionStyle::ipv4_tcp && kind == 0) || (style_ == OptionStyle::dhcp && kind == 255);
      pos_ = end ? bytes_.size() : pos_ + 1;
      return true;
    }
    if (left < 2) return fail();
    const auto l = static_cast<std::size_t>(bytes_[pos_ + 1]);
    switch (style_) {
      case OptionStyle::ipv4_tcp: len = l; break;
      case OptionStyle::dhcp: len = l + 2; break;
      case OptionStyle::ipv6: len = l + 2; break;
      case OptionStyle::nd: len = l * 8; break;
    }
    if (len < hdr || len > left) return fail();
    out = Option{kind, bytes_.subspan(pos_ + hdr, len - hdr), bytes_.subspan(pos_, len)};
    pos_ += len;
    return true;
  }
  /// Whether the walk stopped at an option that does not fit.
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }
  /// Byte offset of the next option within the list.
  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }

 private:
  bool fail() noexcept {
    malformed_ = true;
    return false;
  }
  std::span<const std::byte> bytes_;
  OptionStyle style_;
  std::size_t pos_ = 0;
  bool malformed_ = false;
};

}  // namespace pcapxx::layers
