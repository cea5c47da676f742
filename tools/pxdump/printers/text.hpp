// Small text helpers shared by pxdump's protocol printers (part B): byte loads from captured
// bytes, addresses through Names, and tcpdump's ways of printing untrusted text and durations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/registry.hpp"
#include "printers/printer.hpp"
#include "printers/protocols.hpp"

namespace pxdump::printers::text {

inline std::uint8_t u8(const std::byte* p) noexcept { return static_cast<std::uint8_t>(*p); }
inline std::uint16_t be16(const std::byte* p) noexcept {
  return static_cast<std::uint16_t>(u8(p) << 8 | u8(p + 1));
}
inline std::uint32_t be24(const std::byte* p) noexcept {
  return std::uint32_t{u8(p)} << 16 | std::uint32_t{u8(p + 1)} << 8 | u8(p + 2);
}
inline std::uint32_t be32(const std::byte* p) noexcept {
  return std::uint32_t{be16(p)} << 16 | be16(p + 2);
}

/// Decodes one layer from bytes with the layer's own decode() (the printers' only parser).
template <class L>
bool decode(L& layer, std::span<const std::byte> bytes) noexcept {
  const pcapxx::layers::DecodeContext context{pcapxx::layers::Registry::builtin()};
  return layer.decode(bytes, context).ok();
}

/// The IPv4 address at p (4 bytes), through names.
void ipv4(Out& out, const Names& names, const std::byte* p);
/// The IPv6 address at p (16 bytes), through names.
void ipv6(Out& out, const Names& names, const std::byte* p);
/// A MAC address (6 bytes at p), through names.
void mac(Out& out, const Names& names, const std::byte* p);
/// A TCP or UDP port, through names.
void port(Out& out, const Names& names, bool tcp, std::uint16_t value);
/// A numeric IPv4/IPv6 address (no name lookup).
void ipv4_numeric(Out& out, const std::byte* p);
void ipv6_numeric(Out& out, const std::byte* p);

/// One byte of untrusted text as tcpdump shows it: printable ASCII as is, other bytes as "M-"
/// (high bit) and "^X" (control) escapes.
void safe_char(Out& out, std::uint8_t c);
/// Untrusted text, byte by byte through safe_char.
void safe_text(Out& out, std::span<const std::byte> bytes);
/// The Internet checksum (RFC 1071) over bytes, with `initial` as a 32-bit partial sum.
std::uint16_t internet_checksum(std::span<const std::byte> bytes, std::uint32_t initial = 0) noexcept;
/// The value a checksum field should have held, from the field and the checksum computed over
/// the data with the field in it (RFC 1624 arithmetic, as tcpdump reports it).
std::uint16_t checksum_should_be(std::uint16_t field, std::uint16_t computed) noexcept;
/// Bytes as lowercase hex without separators.
void hex(Out& out, std::span<const std::byte> bytes);
/// tcpdump's dump of data it does not decode: "indent0x0000: " then 16 bytes a line in 2-byte
/// groups; nothing when -x/-X/-A dump the packet instead.
void hex_lines(Out& out, std::span<const std::byte> bytes, std::string_view indent);
/// A duration in seconds as "1d2h3m4s" (units y w d h m s; "0s" for zero).
void duration(Out& out, std::uint32_t seconds);

}  // namespace pxdump::printers::text
