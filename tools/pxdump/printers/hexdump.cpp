// The dumps after a packet's text, in tcpdump 4.99's layout: -x "\n\t0xOOOO:  hhhh hhhh ...",
// -X the same padded to 16 bytes plus two spaces and the printable bytes ('.' for the others),
// -A the bytes as text (CR before LF or in the last two bytes dropped, other unprintables as
// '.').
#include "printers/core.hpp"

namespace pxdump::printers {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void put_offset(Out& out, std::size_t off) {
  out.buf.append(std::string_view("\n\t0x"));
  for (int shift = 12; shift >= 0; shift -= 4) out.buf.push_back(kHex[(off >> shift) & 15]);
  out.buf.push_back(':');
}

void put_byte(Out& out, std::uint8_t b) {
  out.buf.push_back(kHex[b >> 4]);
  out.buf.push_back(kHex[b & 15]);
}

bool printable(std::uint8_t c) { return c >= 0x21 && c <= 0x7e; }

}  // namespace

void hex_only_dump(Out& out, std::span<const std::byte> bytes) {
  for (std::size_t line = 0; line < bytes.size(); line += 16) {
    put_offset(out, line);
    out.buf.push_back(' ');
    const std::size_t end = std::min(bytes.size(), line + 16);
    for (std::size_t i = line; i < end; i += 2) {
      out.buf.push_back(' ');
      put_byte(out, std::to_integer<std::uint8_t>(bytes[i]));
      if (i + 1 < end) put_byte(out, std::to_integer<std::uint8_t>(bytes[i + 1]));
    }
  }
}

void hex_dump(Out& out, std::span<const std::byte> bytes, bool /*ascii*/) {
  for (std::size_t line = 0; line < bytes.size(); line += 16) {
    put_offset(out, line);
    out.buf.push_back(' ');
    const std::size_t end = std::min(bytes.size(), line + 16);
    std::size_t width = 0;
    for (std::size_t i = line; i < end; i += 2) {
      out.buf.push_back(' ');
      put_byte(out, std::to_integer<std::uint8_t>(bytes[i]));
      width += 3;
      if (i + 1 < end) {
        put_byte(out, std::to_integer<std::uint8_t>(bytes[i + 1]));
        width += 2;
      }
    }
    for (; width < 40; ++width) out.buf.push_back(' ');
    out.buf.append(std::string_view("  "));
    for (std::size_t i = line; i < end; ++i) {
      const auto c = std::to_integer<std::uint8_t>(bytes[i]);
      out.buf.push_back(printable(c) ? static_cast<char>(c) : '.');
    }
  }
}

void ascii_dump(Out& out, std::span<const std::byte> bytes) {
  out.buf.push_back('\n');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = std::to_integer<std::uint8_t>(bytes[i]);
    if (c == '\r') {
      // A CR shows as '.' only with two or more bytes after it and no LF next: tcpdump drops
      // it before a LF and in the last two bytes.
      if (bytes.size() - i > 2 && std::to_integer<std::uint8_t>(bytes[i + 1]) != '\n') out.buf.push_back('.');
    } else if (printable(c) || c == '\t' || c == ' ' || c == '\n') {
      out.buf.push_back(static_cast<char>(c));
    } else {
      out.buf.push_back('.');
    }
  }
}

}  // namespace pxdump::printers
