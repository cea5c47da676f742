// IGMP v1/v2/v3 (RFC 1112, 2236, 3376) as tcpdump 4.99 prints it: "igmp query v2", "igmp v2
// report 224.0.0.252", "igmp v3 report, 1 group record(s) [gaddr ... is_in, 1 source(s)]".
// The v3 source lists grow with -v (counts) and -vv (addresses). Max response codes: RFC 3376
// 4.1.1. Texts observed by running tcpdump.
#include <array>

#include "pcapxx/layers/igmp.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

using text::be16;
using text::u8;

bool put_sources(Out& out, const Names& names, std::span<const std::byte> bytes, std::size_t at, std::uint16_t count,
                 bool list) {
  if (!list) {
    out.put(", {} source(s)", count);
    return true;
  }
  out.put(" {");
  for (std::size_t i = 0; i < count; ++i) {
    if (at + 4 * (i + 1) > bytes.size()) return false;
    out.put(" ");
    text::ipv4(out, names, bytes.data() + at + 4 * i);
  }
  out.put(" }");
  return true;
}

bool v3_query(Out& out, const Names& names, std::span<const std::byte> bytes) {
  out.put(" v3");
  const std::uint8_t code = u8(bytes.data() + 1);
  // RFC 3376 4.1.1: codes from 128 on are a floating-point value (exponent 3 bits, mantissa 4).
  const std::uint32_t tenths =
      code < 128 ? code : static_cast<std::uint32_t>((code & 0x0f) | 0x10) << (((code & 0x70) >> 4) + 3);
  if (code != 100) {
    out.put(" [max resp time ");
    if (tenths < 600) {
      out.put("{}.{}s", tenths / 10, tenths % 10);
    } else {
      text::duration(out, tenths / 10);
    }
    out.put("]");
  }
  if (bytes.size() < 12) return false;
  if (text::be32(bytes.data() + 4) == 0) return true;
  out.put(" [gaddr ");
  text::ipv4(out, names, bytes.data() + 4);
  if (!put_sources(out, names, bytes, 12, be16(bytes.data() + 10), out.flags.verbose > 1)) return false;
  out.put("]");
  return true;
}

bool v3_report(Out& out, const Names& names, std::span<const std::byte> bytes) {
  if (bytes.size() < 8) return false;
  const std::uint16_t records = be16(bytes.data() + 6);
  out.put(", {} group record(s)", records);
  if (out.flags.verbose == 0) return true;
  std::size_t at = 8;
  for (std::size_t r = 0; r < records; ++r) {
    if (at + 8 > bytes.size()) return false;
    const std::uint8_t type = u8(bytes.data() + at);
    const std::uint8_t aux = u8(bytes.data() + at + 1);
    const std::uint16_t sources = be16(bytes.data() + at + 2);
    out.put(" [gaddr ");
    text::ipv4(out, names, bytes.data() + at + 4);
    static constexpr std::array<std::string_view, 7> kTypes{"", "is_in", "is_ex", "to_in", "to_ex", "allow", "block"};
    if (type >= 1 && type <= 6) out.put(" {}", kTypes[type]);
    else out.put(" [v3-report-#{}]", type);
    if (!put_sources(out, names, bytes, at + 8, sources, out.flags.verbose > 1)) return false;
    out.put("]");
    at += 8 + 4 * std::size_t{sources} + 4 * std::size_t{aux};
  }
  return true;
}

bool group_message(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length,
                   std::string_view what) {
  out.put("igmp {} ", what);
  if (bytes.size() < 8) return false;
  text::ipv4(out, names, bytes.data() + 4);
  if (length != 8) out.put(" [len {}]", length);
  return true;
}

bool print_message(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length) {
  const std::uint8_t type = u8(bytes.data());
  switch (type) {
    case 0x11: {
      out.put("igmp query");
      if (length >= 12) return v3_query(out, names, bytes);
      if (bytes.size() < 8) return false;
      const std::uint8_t code = u8(bytes.data() + 1);
      if (code == 0) {
        out.put(" v1");
      } else {
        out.put(" v2");
        if (code != 100) out.put(" [max resp time {}]", code);
      }
      if (text::be32(bytes.data() + 4) != 0) {
        out.put(" [gaddr ");
        text::ipv4(out, names, bytes.data() + 4);
        out.put("]");
      }
      if (length != 8) out.put(" [len {}]", length);
      return true;
    }
    case 0x12: return group_message(out, names, bytes, length, "v1 report");
    case 0x16: return group_message(out, names, bytes, length, "v2 report");
    case 0x17: return group_message(out, names, bytes, length, "leave");
    case 0x22: out.put("igmp v3 report"); return v3_report(out, names, bytes);
    case 0x1e: out.put("igmp mtrace-resp"); return true;
    case 0x1f: out.put("igmp mtrace"); return true;
    default: out.put("igmp-{}", type); return true;
  }
}

}  // namespace

Result print_igmp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length) {
  if (out.flags.quiet) {  // tcpdump -q names the protocol only
    out.put("igmp");
    return {};
  }
  const std::size_t start = out.buf.size();
  if (bytes.empty() || !print_message(out, names, bytes, length)) {
    // The group address is read before "igmp leave ..." is printed: nothing of it shows.
    const std::uint8_t type = bytes.empty() ? 0 : u8(bytes.data());
    if (bytes.empty() || type == 0x12 || type == 0x16 || type == 0x17) out.buf.resize(start);
    out.truncated("igmp");
    return {};
  }
  if (out.flags.verbose > 0 && bytes.size() >= length && length >= 4) {
    const auto message = bytes.first(length);
    if (text::internet_checksum(message) != 0) out.put(" bad igmp cksum {:x}!", be16(bytes.data() + 2));
  }
  return {};
}

}  // namespace pxdump::printers
