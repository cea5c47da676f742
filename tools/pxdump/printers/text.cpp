// Text helpers for the protocol printers (see text.hpp).
#include "printers/text.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace pxdump::printers::text {

void ipv4_numeric(Out& out, const std::byte* p) { out.put("{}.{}.{}.{}", u8(p), u8(p + 1), u8(p + 2), u8(p + 3)); }

void ipv6_numeric(Out& out, const std::byte* p) {
  pcapxx::layers::Ipv6Address a;
  std::memcpy(a.bytes.data(), p, 16);
  // RFC 5952 form; the layer's to_string implements it (allocates: printing is off the capture path).
  out.put(a.to_string());
}

void ipv4(Out& out, const Names& names, const std::byte* p) {
  if (names.ipv4 == nullptr) return ipv4_numeric(out, p);
  pcapxx::layers::Ipv4Address a;
  std::memcpy(a.bytes.data(), p, 4);
  names.ipv4(out, a);
}

void ipv6(Out& out, const Names& names, const std::byte* p) {
  if (names.ipv6 == nullptr) return ipv6_numeric(out, p);
  pcapxx::layers::Ipv6Address a;
  std::memcpy(a.bytes.data(), p, 16);
  names.ipv6(out, a);
}

void mac(Out& out, const Names& names, const std::byte* p) {
  std::array<std::uint8_t, 6> b{};
  for (std::size_t i = 0; i < 6; ++i) b[i] = u8(p + i);
  if (names.mac != nullptr) return names.mac(out, b.data());
  out.put("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
}

void port(Out& out, const Names& names, bool tcp, std::uint16_t value) {
  auto* hook = tcp ? names.tcp_port : names.udp_port;
  if (hook == nullptr) return out.put("{}", value);
  hook(out, value);
}

std::uint16_t internet_checksum(std::span<const std::byte> bytes, std::uint32_t initial) noexcept {
  std::uint64_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) sum += be16(bytes.data() + i);
  if (i < bytes.size()) sum += std::uint32_t{u8(bytes.data() + i)} << 8;
  while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint16_t checksum_should_be(std::uint16_t field, std::uint16_t computed) noexcept {
  std::uint32_t v = std::uint32_t{field} + computed;
  v = (v & 0xffff) + (v >> 16);
  v = (v & 0xffff) + (v >> 16);
  return static_cast<std::uint16_t>(v);
}

void safe_char(Out& out, std::uint8_t c) {
  if (c >= 0x80) {
    out.put("M-");
    c &= 0x7f;
  }
  if (c < 0x20 || c == 0x7f) {
    out.buf.push_back('^');
    out.buf.push_back(static_cast<char>(c ^ 0x40));
  } else {
    out.buf.push_back(static_cast<char>(c));
  }
}

void safe_text(Out& out, std::span<const std::byte> bytes) {
  for (const std::byte b : bytes) safe_char(out, static_cast<std::uint8_t>(b));
}

void hex_lines(Out& out, std::span<const std::byte> bytes, std::string_view indent) {
  if (out.flags.suppress_default_print) return;  // -x/-X/-A dump the packet instead
  for (std::size_t line = 0; line < bytes.size(); line += 16) {
    out.put("{}0x{:04x}: ", indent, line);
    for (std::size_t i = line; i < std::min(bytes.size(), line + 16); i += 2) {
      out.put(" ");
      hex(out, bytes.subspan(i, std::min<std::size_t>(2, bytes.size() - i)));
    }
  }
}

void hex(Out& out, std::span<const std::byte> bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  for (const std::byte b : bytes) {
    const auto v = static_cast<std::uint8_t>(b);
    out.buf.push_back(kDigits[v >> 4]);
    out.buf.push_back(kDigits[v & 15]);
  }
}

void duration(Out& out, std::uint32_t seconds) {
  if (seconds == 0) return out.put("0s");
  constexpr std::array<std::pair<std::uint32_t, char>, 6> kUnits{
      {{31536000, 'y'}, {604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}};
  for (const auto& [size, unit] : kUnits) {
    if (seconds >= size) {
      out.put("{}{}", seconds / size, unit);
      seconds %= size;
    }
  }
}

}  // namespace pxdump::printers::text
