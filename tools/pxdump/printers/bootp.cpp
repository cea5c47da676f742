// BOOTP (RFC 951) and DHCP (RFC 2131, options RFC 2132) as tcpdump 4.99 prints them:
// "BOOTP/DHCP, Request from 00:11:22:33:44:55, length 300"; at -v the header fields and every
// option ("\n\t    Name (code), length n: value"). Option names and texts observed by running
// tcpdump.
#include <array>

#include "pcapxx/layers/dhcp.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

using text::be16;
using text::be32;
using text::u8;

// How an option's value is shown.
enum class Kind : std::uint8_t { bytes, ipv4, ipv4_pairs, u32, s32, u16, u8, text, special };

struct OptionInfo {
  std::string_view name;
  Kind kind;
};

OptionInfo option_info(std::uint8_t code) noexcept {
  switch (code) {
    case 1: return {"Subnet-Mask", Kind::ipv4};
    case 2: return {"Time-Zone", Kind::s32};
    case 3: return {"Default-Gateway", Kind::ipv4};
    case 4: return {"Time-Server", Kind::ipv4};
    case 5: return {"IEN-Name-Server", Kind::ipv4};
    case 6: return {"Domain-Name-Server", Kind::ipv4};
    case 7: return {"LOG", Kind::ipv4};
    case 8: return {"CS", Kind::ipv4};
    case 9: return {"LPR-Server", Kind::ipv4};
    case 10: return {"IM", Kind::ipv4};
    case 11: return {"RL", Kind::ipv4};
    case 12: return {"Hostname", Kind::text};
    case 13: return {"BS", Kind::u16};
    case 14: return {"DP", Kind::text};
    case 15: return {"Domain-Name", Kind::text};
    case 16: return {"SS", Kind::ipv4};
    case 17: return {"RP", Kind::text};
    case 18: return {"EP", Kind::text};
    case 19: return {"IPF", Kind::u8};
    case 20: return {"SRT", Kind::u8};
    case 21: return {"PF", Kind::ipv4_pairs};
    case 22: return {"RSZ", Kind::u16};
    case 23: return {"TTL", Kind::u8};
    case 24: return {"MTU-Timeout", Kind::u32};
    case 25: return {"MTU-Table", Kind::u16};
    case 26: return {"MTU", Kind::u16};
    case 27: return {"LSN", Kind::u8};
    case 28: return {"BR", Kind::ipv4};
    case 29: return {"MD", Kind::u8};
    case 30: return {"MS", Kind::u8};
    case 31: return {"Router-Discovery", Kind::u8};
    case 32: return {"RSA", Kind::ipv4};
    case 33: return {"Static-Route", Kind::ipv4_pairs};
    case 34: return {"UT", Kind::u8};
    case 35: return {"AT", Kind::u32};
    case 36: return {"IE", Kind::u8};
    case 37: return {"TT", Kind::u8};
    case 38: return {"KI", Kind::u32};
    case 39: return {"KG", Kind::u8};
    case 40: return {"YD", Kind::text};
    case 41: return {"YS", Kind::ipv4};
    case 42: return {"NTP", Kind::ipv4};
    case 43: return {"Vendor-Option", Kind::bytes};
    case 44: return {"Netbios-Name-Server", Kind::ipv4};
    case 45: return {"WDD", Kind::ipv4};
    case 46: return {"Netbios-Node", Kind::special};
    case 47: return {"Netbios-Scope", Kind::text};
    case 48: return {"XFS", Kind::ipv4};
    case 49: return {"XDM", Kind::ipv4};
    case 50: return {"Requested-IP", Kind::ipv4};
    case 51: return {"Lease-Time", Kind::u32};
    case 52: return {"OO", Kind::special};
    case 53: return {"DHCP-Message", Kind::special};
    case 54: return {"Server-ID", Kind::ipv4};
    case 55: return {"Parameter-Request", Kind::special};
    case 56: return {"MSG", Kind::text};
    case 57: return {"MSZ", Kind::u16};
    case 58: return {"RN", Kind::u32};
    case 59: return {"RB", Kind::u32};
    case 60: return {"Vendor-Class", Kind::text};
    case 61: return {"Client-ID", Kind::special};
    case 64: return {"N+D", Kind::text};
    case 65: return {"N+S", Kind::ipv4};
    case 66: return {"TFTP", Kind::text};
    case 67: return {"BF", Kind::text};
    case 68: return {"MH", Kind::ipv4};
    case 69: return {"SMTP", Kind::ipv4};
    case 70: return {"POP3", Kind::ipv4};
    case 71: return {"NNTP", Kind::ipv4};
    case 72: return {"WWW", Kind::ipv4};
    case 73: return {"FG", Kind::ipv4};
    case 74: return {"IRC", Kind::ipv4};
    case 75: return {"STS", Kind::ipv4};
    case 76: return {"STDA", Kind::ipv4};
    case 77: return {"User-Class", Kind::special};
    case 78: return {"SLP-DA", Kind::bytes};
    case 79: return {"SLP-SCOPE", Kind::bytes};
    case 80: return {"SLP-NA", Kind::bytes};
    case 81: return {"FQDN", Kind::bytes};
    case 82: return {"Agent-Information", Kind::special};
    case 83: return {"ARMT", Kind::bytes};
    case 88: return {"TZSTR", Kind::bytes};
    case 89: return {"FQDNS", Kind::bytes};
    case 90: return {"AUTH", Kind::bytes};
    case 91: return {"Last-Transaction-Time", Kind::bytes};
    case 92: return {"Associated-IP", Kind::bytes};
    case 93: return {"ARCH", Kind::bytes};
    case 94: return {"NDI", Kind::bytes};
    case 95: return {"LDAP", Kind::bytes};
    case 97: return {"GUID", Kind::bytes};
    case 98: return {"UAP", Kind::bytes};
    case 100: return {"POSIX-TZ", Kind::bytes};
    case 101: return {"TZ-Name", Kind::bytes};
    case 112: return {"NI", Kind::bytes};
    case 113: return {"NITAG", Kind::bytes};
    case 114: return {"URL", Kind::bytes};
    case 116: return {"NOAUTO", Kind::bytes};
    case 117: return {"NSSEARCH", Kind::bytes};
    case 118: return {"SUBNET", Kind::bytes};
    case 121: return {"Classless-Static-Route", Kind::bytes};
    case 150: return {"TFTP-Server-Address", Kind::bytes};
    case 161: return {"MUD-URL", Kind::bytes};
    case 249: return {"Classless-Static-Route-Microsoft", Kind::bytes};
    default: return {"Unknown", Kind::bytes};
  }
}

std::string_view message_type(std::uint8_t t) noexcept {
  static constexpr std::array<std::string_view, 14> kNames{
      "",        "Discover", "Offer",      "Request",         "Decline",      "ACK",         "NACK",
      "Release", "Inform",   "Unknown (9)", "LeaseQuery", "LeaseUnassigned", "LeaseUnknown", "LeaseActive"};
  return t < kNames.size() && t != 0 && t != 9 ? kNames[t] : std::string_view{};
}

void put_dotted_bytes(Out& out, std::span<const std::byte> v) {
  for (std::size_t i = 0; i < v.size(); ++i) { if (i != 0) out.put("."); out.put("{}", u8(v.data() + i)); }
}

// Prints one option's value (after "length n: ").
void put_value(Out& out, const Names& names, std::uint8_t code, std::span<const std::byte> v) {
  const OptionInfo info = option_info(code);
  switch (info.kind) {
    case Kind::ipv4:
    case Kind::ipv4_pairs: {
      const std::size_t step = info.kind == Kind::ipv4 ? 4 : 8;
      if (v.size() % step != 0) return put_dotted_bytes(out, v);
      for (std::size_t i = 0; i < v.size(); i += step) {
        if (i != 0) out.put(",");
        if (step == 8) out.put("(");
        text::ipv4(out, names, v.data() + i);
        if (step == 8) {
          out.put(":");
          text::ipv4(out, names, v.data() + i + 4);
          out.put(")");
        }
      }
      return;
    }
    case Kind::u32:
    case Kind::s32:
      if (v.size() != 4) return put_dotted_bytes(out, v);
      if (info.kind == Kind::s32) out.put("{}", static_cast<std::int32_t>(be32(v.data())));
      else out.put("{}", be32(v.data()));
      return;
    case Kind::u16:
      if (v.size() % 2 != 0) return put_dotted_bytes(out, v);
      for (std::size_t i = 0; i < v.size(); i += 2) { if (i != 0) out.put(","); out.put("{}", be16(v.data() + i)); }
      return;
    case Kind::u8:
      for (std::size_t i = 0; i < v.size(); ++i) { if (i != 0) out.put(","); out.put("{}", u8(v.data() + i)); }
      return;
    case Kind::text:
      out.put("\"");
      text::safe_text(out, v);
      out.put("\"");
      return;
    case Kind::bytes:
      return put_dotted_bytes(out, v);
    case Kind::special:
      break;
  }
  switch (code) {
    case 53: {
      if (v.size() != 1) return put_dotted_bytes(out, v);
      const auto name = message_type(u8(v.data()));
      if (name.empty()) out.put("Unknown ({})", u8(v.data()));
      else out.put(name);
      return;
    }
    case 55:
      for (std::size_t i = 0; i < v.size(); ++i) {
        out.put(i % 4 == 0 ? "\n\t      " : ", ");
        const std::uint8_t c = u8(v.data() + i);
        out.put("{} ({})", option_info(c).name, c);
      }
      return;
    case 52: {
      static constexpr std::array<std::string_view, 4> kOverload{"", "file", "sname", "file+sname"};
      if (v.size() == 1 && u8(v.data()) >= 1 && u8(v.data()) <= 3) out.put(kOverload[u8(v.data())]);
      else put_dotted_bytes(out, v);
      return;
    }
    case 46: {
      static constexpr std::array<std::string_view, 9> kNode{"", "B-node", "P-node", "", "M-node", "", "", "", "H-node"};
      const std::uint8_t n = v.size() == 1 ? u8(v.data()) : 0;
      if (v.size() == 1 && n <= 8 && !kNode[n].empty()) out.put(kNode[n]);
      else put_dotted_bytes(out, v);
      return;
    }
    case 82: {
      // RFC 3046 2.0: sub-options of a code byte, a length byte and text.
      std::size_t pos = 0;
      while (pos + 2 <= v.size()) {
        const std::uint8_t sub = u8(v.data() + pos);
        const std::size_t len = u8(v.data() + pos + 1);
        if (pos + 2 + len > v.size()) return;
        const std::string_view name = sub == 1 ? "Circuit-ID" : sub == 2 ? "Remote-ID" : sub == 6 ? "Subscriber-ID" : "Unknown";
        out.put("\n\t      {} SubOption {}, length {}: ", name, sub, len);
        text::safe_text(out, v.subspan(pos + 2, len));
        pos += 2 + len;
      }
      return;
    }
    case 61:
      if (!v.empty() && u8(v.data()) == 0) {
        out.put("\"");
        text::safe_text(out, v.subspan(1));
        out.put("\"");
      } else if (v.size() == 7 && u8(v.data()) == 1) {
        out.put("ether ");
        for (std::size_t i = 1; i < 7; ++i) { if (i != 1) out.put(":"); out.put("{:02x}", u8(v.data() + i)); }
      } else {
        put_dotted_bytes(out, v);
      }
      return;
    case 77: {
      // RFC 3004 4: instances of a length byte and that many bytes of text.
      std::size_t pos = 0;
      for (unsigned n = 1; pos < v.size(); ++n) {
        const std::size_t len = u8(v.data() + pos);
        if (pos + 1 + len > v.size()) return;
        out.put("\n\t      instance#{}: \"", n);
        text::safe_text(out, v.subspan(pos + 1, len));
        out.put("\", length {}", len);
        pos += 1 + len;
      }
      return;
    }
    default:
      return put_dotted_bytes(out, v);
  }
}

// A NUL-terminated field (sname, file) of `size` bytes as tcpdump shows it; `field` holds what
// was captured of it. False when the capture ends inside the text (shown up to there).
bool put_field(Out& out, std::string_view label, std::span<const std::byte> field, std::size_t size) {
  if (u8(field.data()) == 0) return true;
  out.put("\n\t  {} \"", label);
  bool terminated = false;
  for (const std::byte b : field) {
    if (b == std::byte{0}) {
      terminated = true;
      break;
    }
    text::safe_char(out, static_cast<std::uint8_t>(b));
  }
  out.put("\"");
  return terminated || field.size() == size;
}

}  // namespace

Result print_bootp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length) {
  if (bytes.empty()) {
    out.truncated("bootp");
    return {};
  }
  out.put("BOOTP/DHCP, ");
  const std::uint8_t op = u8(bytes.data());
  if (op == 1) out.put("Request");
  else if (op == 2) out.put("Reply");
  else out.put("op-#{}", op);
  if (bytes.size() < 3) {
    out.truncated("bootp");
    return {};
  }
  const bool ether = u8(bytes.data() + 1) == 1 && u8(bytes.data() + 2) == 6;
  if (op == 1 && ether) {
    if (bytes.size() < 28 + 6) {
      out.truncated("bootp");
      return {};
    }
    out.put(" from ");
    text::mac(out, names, bytes.data() + 28);
  }
  out.put(", length {}", length);
  if (out.flags.verbose == 0) return {};
  // The fixed fields are shown one by one as far as they were captured (RFC 951 layout), as
  // tcpdump does on a short capture; the options come from the decoded layer.
  auto have = [&](std::size_t end) { return bytes.size() >= end; };
  auto cut = [&] {
    out.truncated("bootp");
    return Result{};
  };
  if (!have(10)) return cut();  // tcpdump shows hops, xid and secs once secs is there
  const std::uint8_t hops = u8(bytes.data() + 3);
  if (hops != 0) out.put(", hops {}", hops);
  out.put(", xid 0x{:x}", be32(bytes.data() + 4));
  const std::uint16_t secs = be16(bytes.data() + 8);
  if (secs != 0) out.put(", secs {}", secs);
  if (!have(12)) return cut();
  const std::uint16_t flags = be16(bytes.data() + 10);
  out.put(", Flags [{}]", (flags & 0x8000) != 0 ? "Broadcast" : "none");
  if (out.flags.verbose > 1) out.put(" (0x{:04x})", flags);
  static constexpr std::array<std::string_view, 4> kAddresses{"Client-IP", "Your-IP", "Server-IP", "Gateway-IP"};
  for (std::size_t i = 0; i < kAddresses.size(); ++i) {
    if (!have(16 + 4 * i)) return cut();
    if (be32(bytes.data() + 12 + 4 * i) == 0) continue;
    out.put("\n\t  {} ", kAddresses[i]);
    text::ipv4(out, names, bytes.data() + 12 + 4 * i);
  }
  if (ether) {
    if (!have(34)) return cut();
    out.put("\n\t  Client-Ethernet-Address ");
    text::mac(out, names, bytes.data() + 28);
  }
  if (!have(45)) return cut();
  if (!put_field(out, "sname", bytes.subspan(44, std::min<std::size_t>(64, bytes.size() - 44)), 64)) return cut();
  if (!have(109)) return cut();
  if (!put_field(out, "file", bytes.subspan(108, std::min<std::size_t>(128, bytes.size() - 108)), 128)) return cut();
  if (!have(236 + 4)) return cut();
  // The options are walked here rather than through the Dhcp layer, whose decode() refuses a
  // message cut by the capture: tcpdump shows such a message up to the cut.
  if (be32(bytes.data() + 236) != pcapxx::layers::Dhcp::kMagicCookie) return {};
  out.put("\n\t  Vendor-rfc1048 Extensions\n\t    Magic Cookie 0x{:08x}", pcapxx::layers::Dhcp::kMagicCookie);
  const bool all = out.flags.verbose > 2;
  std::size_t pads = 0;
  auto flush_pads = [&] {
    if (pads != 0 && all) {
      out.put("\n\t    PAD (0), length 0");
      if (pads > 1) out.put(", occurs {}", pads);
    }
    pads = 0;
  };
  std::size_t at = 240;
  bool ended = false;
  while (at < length) {
    if (!have(at + 1)) break;  // the capture ends between options: tcpdump stops quietly
    const std::uint8_t code = u8(bytes.data() + at);
    if (code == 0) {
      ++pads;
      ++at;
      continue;
    }
    flush_pads();
    if (code == 255) {
      if (all) out.put("\n\t    END (255), length 0");
      ++at;
      ended = true;
      break;
    }
    if (!have(at + 2)) return cut();
    const std::size_t len = u8(bytes.data() + at + 1);
    out.put("\n\t    {} ({}), length {}: ", option_info(code).name, code, len);
    if (!have(at + 2 + len)) return cut();
    put_value(out, names, code, bytes.subspan(at + 2, len));
    at += 2 + len;
  }
  if (ended && all) {
    // Padding after the end option, up to the message length (RFC 2131 4.1 minimum size).
    for (; at < length && have(at + 1) && u8(bytes.data() + at) == 0; ++at) ++pads;
    flush_pads();
  }
  return {};
}

}  // namespace pxdump::printers
