// ICMPv6 (RFC 4443), Neighbor Discovery (RFC 4861, options 4.6; RDNSS RFC 8106) and MLD (RFC 2710,
// RFC 3810) as tcpdump 4.99 prints them: "ICMP6, neighbor solicitation, who has fe80::1, length
// 32"; at -v the checksum verdict first, the length right after the type of an ND message, and
// each ND option on a "\n\t  " line (-vv adds its bytes in hex). Texts observed by running
// tcpdump.
#include <algorithm>
#include <array>

#include "pcapxx/layers/icmp.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

using text::be16;
using text::be32;
using text::u8;

std::string_view type_name(std::uint8_t t) noexcept {
  switch (t) {
    case 1: return "destination unreachable";
    case 2: return "packet too big";
    case 3: return "time exceeded in-transit";
    case 4: return "parameter problem";
    case 128: return "echo request";
    case 129: return "echo reply";
    case 130: return "multicast listener query";
    case 131: return "multicast listener report";
    case 132: return "multicast listener done";
    case 133: return "router solicitation";
    case 134: return "router advertisement";
    case 135: return "neighbor solicitation";
    case 136: return "neighbor advertisement";
    case 137: return "redirect";
    case 138: return "router renumbering";
    case 139: return "who-are-you request";
    case 140: return "who-are-you reply";
    case 141: return "inverse neighbor solicitation";
    case 142: return "inverse neighbor advertisement";
    case 143: return "multicast listener report v2";
    case 144: return "ha discovery request";
    case 145: return "ha discovery reply";
    case 146: return "mobile router solicitation";
    case 147: return "mobile router advertisement";
    case 155: return "RPL";
    case 200: return "mtrace response";
    case 201: return "mtrace message";
    default: return {};
  }
}

void put_flags(Out& out, std::uint8_t value, std::initializer_list<std::pair<std::uint8_t, std::string_view>> names) {
  out.put("Flags [");
  bool any = false;
  for (const auto& [bit, name] : names) {
    if ((value & bit) == 0) continue;
    if (any) out.put(", ");
    out.put(name);
    any = true;
  }
  if (!any) out.put("none");
  out.put("]");
}

void put_seconds(Out& out, std::uint32_t s) {
  if (s == 0xffffffff) out.put("infinity");
  else out.put("{}s", s);
}

std::string_view option_name(std::uint8_t t) noexcept {
  switch (t) {
    case 1: return "source link-address";
    case 2: return "destination link-address";
    case 3: return "prefix info";
    case 4: return "redirected header";
    case 5: return "mtu";
    case 7: return "advertisement interval";
    case 8: return "homeagent information";
    case 14: return "nonce";
    case 24: return "route info";
    case 25: return "rdnss";
    case 31: return "dnssl";
    default: return "unknown";
  }
}

// The ND options (RFC 4861 4.6), one a line. False when an option runs past the capture.
bool put_nd_options(Out& out, const Names& names, std::span<const std::byte> options) {
  std::size_t pos = 0;
  while (pos < options.size()) {
    if (options.size() - pos < 2) return false;
    const std::uint8_t type = u8(options.data() + pos);
    const std::uint8_t units = u8(options.data() + pos + 1);
    const std::size_t len = std::size_t{units} * 8;
    if (len == 0 || pos + len > options.size()) return false;
    const auto data = options.subspan(pos + 2, len - 2);
    out.put("\n\t  {} option ({}), length {} ({}): ", option_name(type), type, len, units);
    switch (type) {
      case 1:
      case 2:
        // An Ethernet address (the option's first 6 bytes; the rest is padding).
        for (std::size_t i = 0; i < std::min<std::size_t>(6, data.size()); ++i) {
          if (i != 0) out.put(":");
          out.put("{:02x}", u8(data.data() + i));
        }
        break;
      case 3:
        if (data.size() < 30) return false;
        text::ipv6(out, names, data.data() + 14);
        out.put("/{}, ", u8(data.data()));
        put_flags(out, u8(data.data() + 1), {{0x80, "onlink"}, {0x40, "auto"}, {0x20, "router"}});
        out.put(", valid time ");
        put_seconds(out, be32(data.data() + 2));
        out.put(", pref. time ");
        put_seconds(out, be32(data.data() + 6));
        break;
      case 5:
        out.put(" {}", be32(data.data() + 2));
        break;
      case 25: {
        out.put(" lifetime ");
        put_seconds(out, be32(data.data() + 2));
        for (std::size_t a = 6; a + 16 <= data.size(); a += 16) {
          out.put(", addr: ");
          text::ipv6(out, names, data.data() + a);
        }
        break;
      }
      default:
        // Undecoded options show their bytes (at -vv the dump below does).
        if (out.flags.verbose < 2) text::hex_lines(out, data, "\n\t  ");
        break;
    }
    if (out.flags.verbose > 1) text::hex_lines(out, data, "\n\t    ");
    pos += len;
  }
  return true;
}

// MLDv2 sources: a count at -v, the addresses at -vv.
bool put_sources(Out& out, const Names& names, std::span<const std::byte> bytes, std::size_t at, std::uint16_t count) {
  if (out.flags.verbose < 2) {
    out.put(", {} source(s)", count);
    return true;
  }
  out.put(" {");
  for (std::size_t i = 0; i < count; ++i) {
    if (at + 16 * (i + 1) > bytes.size()) return false;
    out.put(" ");
    text::ipv6(out, names, bytes.data() + at + 16 * i);
  }
  out.put(" }");
  return true;
}

bool mld2_report(Out& out, const Names& names, std::span<const std::byte> bytes) {
  const std::uint16_t records = be16(bytes.data() + 6);
  out.put(", {} group record(s)", records);
  if (out.flags.verbose == 0) return true;
  std::size_t at = 8;
  for (std::size_t r = 0; r < records; ++r) {
    if (at + 20 > bytes.size()) return false;
    const std::uint8_t type = u8(bytes.data() + at);
    const std::uint8_t aux = u8(bytes.data() + at + 1);
    const std::uint16_t sources = be16(bytes.data() + at + 2);
    out.put(" [gaddr ");
    text::ipv6(out, names, bytes.data() + at + 4);
    static constexpr std::array<std::string_view, 7> kTypes{"", "is_in", "is_ex", "to_in", "to_ex", "allow", "block"};
    if (type >= 1 && type <= 6) out.put(" {}", kTypes[type]);
    else out.put(" [v2-report-#{}]", type);
    if (!put_sources(out, names, bytes, at + 20, sources)) return false;
    out.put("]");
    at += 20 + 16 * std::size_t{sources} + 4 * std::size_t{aux};
  }
  return true;
}

bool mld2_query(Out& out, const Names& names, std::span<const std::byte> bytes) {
  if (bytes.size() < 28) return false;
  out.put(" v2");
  const std::uint16_t code = be16(bytes.data() + 4);
  // RFC 3810 5.1.3: codes from 32768 on are a floating-point value.
  const std::uint32_t delay =
      code < 32768 ? code : static_cast<std::uint32_t>((code & 0x0fff) | 0x1000) << (((code & 0x7000) >> 12) + 3);
  if (out.flags.verbose > 0) out.put(" [max resp delay={}]", delay);
  out.put(" [gaddr ");
  text::ipv6(out, names, bytes.data() + 8);
  const std::uint8_t flags = u8(bytes.data() + 24);
  const std::uint8_t qqic = u8(bytes.data() + 25);
  const std::uint16_t sources = be16(bytes.data() + 26);
  if (out.flags.verbose > 0) {
    if ((flags & 0x08) != 0) out.put(" sflag");
    if ((flags & 0x07) != 0) out.put(" robustness={}", flags & 0x07);
    const std::uint32_t qqi = qqic < 128 ? qqic : static_cast<std::uint32_t>((qqic & 0x0f) | 0x10) << (((qqic & 0x70) >> 4) + 3);
    out.put(" qqi={}", qqi);
  }
  if (sources != 0 && !put_sources(out, names, bytes, 28, sources)) return false;
  out.put("]");
  return true;
}

bool is_nd(std::uint8_t type) noexcept { return type >= 133 && type <= 137; }

// The quoted packet's addresses and upper-layer ports (for unreachable and time exceeded).
struct Quoted6 {
  const std::byte* src = nullptr;
  const std::byte* dst = nullptr;
  std::uint8_t next = 0;
  std::span<const std::byte> upper;
};

bool quoted(std::span<const std::byte> bytes, Quoted6& q) {
  if (bytes.size() < 8 + 40) return false;
  const auto* ip = bytes.data() + 8;
  q.src = ip + 8;
  q.dst = ip + 24;
  q.next = u8(ip + 6);
  q.upper = bytes.subspan(48);
  return true;
}

// RPL (RFC 6550 6): the control message named by the code, at -v its base object in brackets,
// at -vv its options by name and length (their data in hex at -vvv). Secured messages (codes
// 0x80 and up) are named only, as tcpdump does.
std::string_view rpl_option_name(std::uint8_t type) noexcept {
  switch (type) {
    case 0: return "pad1";
    case 1: return "padN";
    case 2: return "metrics";
    case 3: return "routinginfo";
    case 4: return "config";
    case 5: return "rpltarget";
    case 6: return "transitinfo";
    case 8: return "destprefix";
    case 9: return "rpltargetdesc";
    default: return {};
  }
}

bool rpl_options(Out& out, std::span<const std::byte> b, std::uint32_t length) {
  std::size_t at = 0;
  while (length != 0) {
    if (at >= b.size()) return false;
    const std::uint8_t type = u8(b.data() + at);
    if (type == 0) {
      out.put(" opt:pad1");
      ++at;
      --length;
      continue;
    }
    if (length < 2) return false;
    if (at + 1 >= b.size()) return false;
    const std::uint32_t len = std::uint32_t{u8(b.data() + at + 1)} + 2;
    const auto name = rpl_option_name(type);
    if (name.empty()) out.put(" opt:subopt:{} len:{} ", type, len);
    else out.put(" opt:{} len:{} ", name, len);
    if (at + len > b.size() || length < len) return false;
    if (out.flags.verbose > 2) text::hex_lines(out, b.subspan(at + 2, len - 2), " ");
    at += len;
    length -= len;
  }
  return true;
}

bool rpl(Out& out, const Names& names, std::uint8_t code, std::span<const std::byte> bytes, std::uint32_t length) {
  if ((code & 0x80) != 0) {
    out.put(", (SEC) [worktodo]");
    return true;
  }
  out.put(", (CLR)");
  const int v = out.flags.verbose;
  // The base object follows the type, code and checksum.
  const auto b = bytes.subspan(std::min<std::size_t>(bytes.size(), 4));
  const std::uint32_t len = length >= 4 ? length - 4 : 0;
  static constexpr std::array<std::string_view, 4> kModes{"nonstoring", "storing", "nonstoring-multicast",
                                                          "storing-multicast"};
  switch (code) {
    case 0:
      out.put("DODAG Information Solicitation");
      return true;
    case 1: {
      out.put("DODAG Information Object");
      if (v == 0) return true;
      if (b.size() < 24) return false;
      const std::uint8_t mopprf = u8(b.data() + 4);
      const unsigned mode = (mopprf >> 3) & 7;
      out.put(" [dagid:");
      text::ipv6(out, names, b.data() + 8);
      out.put(",seq:{},instance:{},rank:{},{}", u8(b.data() + 5), u8(b.data()), be16(b.data() + 2),
              (mopprf & 0x80) != 0 ? "grounded," : "");
      if (mode < kModes.size()) out.put("mop:{}", kModes[mode]);
      else out.put("mop:mop{}", mode);
      out.put(",prf:{}]", mopprf & 7);
      return v < 2 || rpl_options(out, b.subspan(24), len >= 24 ? len - 24 : 0);
    }
    case 2: {
      out.put("Destination Advertisement Object");
      if (v == 0) return true;
      if (b.size() < 20) return false;
      if (len < 4) {
        out.put(" [|length too short]");
        return true;
      }
      const std::uint8_t flags = u8(b.data() + 1);
      std::size_t at = 4;
      if ((flags & 0x40) != 0) {
        if (len - 4 < 16) {
          out.put(" [|length too short]");
          return true;
        }
        at += 16;
      }
      out.put(" [dagid:");
      if ((flags & 0x40) != 0) text::ipv6(out, names, b.data() + 4);
      else out.put("<elided>");
      out.put(",seq:{},instance:{}{}{},{:02x}]", u8(b.data() + 3), u8(b.data()), (flags & 0x80) != 0 ? ",acK" : "",
              (flags & 0x40) != 0 ? ",Dagid" : "", flags);
      return v < 2 || rpl_options(out, b.subspan(at), len - static_cast<std::uint32_t>(at));
    }
    case 3: {
      out.put("Destination Advertisement Object Ack");
      if (v == 0) return true;
      if (b.size() < 4) return false;
      if (len < 4) {
        out.put(" [|dao-length too short]");
        return true;
      }
      const std::uint8_t flags = u8(b.data() + 1);
      std::size_t at = 4;
      if ((flags & 0x80) != 0) {
        if (b.size() < 20) return false;
        if (len - 4 < 16) {
          out.put(" [|dao-length too short]");
          return true;
        }
        at += 16;
      }
      out.put(" [dagid:");
      if ((flags & 0x80) != 0) text::ipv6(out, names, b.data() + 4);
      else out.put("<elided>");
      out.put(",seq:{},instance:{},status:{}]", u8(b.data() + 2), u8(b.data()), u8(b.data() + 3));
      return v < 2 || rpl_options(out, b.subspan(at), len - static_cast<std::uint32_t>(at));
    }
    default:
      out.put("RPL message, unknown code {}", code);
      return true;
  }
}

// The type-specific text; false when it needs bytes that were not captured.
bool print_body(Out& out, const Names& names, const pcapxx::layers::Icmpv6& h, std::span<const std::byte> bytes,
                std::uint32_t length, bool& dumped) {
  const int v = out.flags.verbose;
  switch (h.type) {
    case 1: {
      Quoted6 q;
      out.put(", ");
      switch (h.code) {
        case 0: case 1: case 2: case 3: {
          static constexpr std::array<std::string_view, 4> kCodes{"unreachable route", " unreachable prohibited",
                                                                  "beyond scope", "unreachable address"};
          out.put(kCodes[h.code]);
          if (!quoted(bytes, q)) return false;
          out.put(" ");
          text::ipv6(out, names, q.dst);
          if (h.code == 2) {
            out.put(", source address ");
            text::ipv6(out, names, q.src);
          }
          return true;
        }
        case 4:
          out.put("unreachable port");
          if (!quoted(bytes, q) || (q.next != 6 && q.next != 17) || q.upper.size() < 4) return false;
          out.put(", ");
          text::ipv6(out, names, q.dst);
          out.put(q.next == 6 ? " tcp port " : " udp port ");
          text::port(out, names, q.next == 6, be16(q.upper.data() + 2));
          return true;
        default:
          out.put("unknown unreach code ({})", h.code);
          if (v < 2) text::hex_lines(out, bytes.first(std::min<std::size_t>(bytes.size(), length)), "\n\t");
          dumped = true;
          return true;
      }
    }
    case 2:
      out.put(", mtu {}", h.rest);
      return true;
    case 3:
      if (h.code == 0) {
        Quoted6 q;
        if (!quoted(bytes, q)) return false;
        out.put(" for ");
        text::ipv6(out, names, q.dst);
      } else if (h.code == 1) {
        out.put(" (reassembly)");
      } else {
        out.put(", unknown code ({})", h.code);
      }
      return true;
    case 4: {
      if (bytes.size() < 8 + 40) return false;  // tcpdump wants the quoted IPv6 header
      static constexpr std::array<std::string_view, 4> kCodes{"erroneous", "next header", "option",
                                                              "incomplete header chain"};
      if (h.code < 4) out.put(", {} - octet {}", kCodes[h.code], h.rest);
      else out.put(", code-#{}", h.code);
      return true;
    }
    case 128:
    case 129:
      out.put(", id {}, seq {}", h.rest >> 16, h.rest & 0xffff);
      return true;
    case 130:
      if (length >= 28) return mld2_query(out, names, bytes);
      [[fallthrough]];
    case 131:
    case 132:
      if (bytes.size() < 24) return false;
      out.put("max resp delay: {} addr: ", be16(bytes.data() + 4));
      text::ipv6(out, names, bytes.data() + 8);
      return true;
    case 143:
      return mld2_report(out, names, bytes);
    case 144:
    case 146:
      out.put(", id 0x{:04x}", h.rest >> 16);
      return true;
    case 133:
      return v == 0 || put_nd_options(out, names, bytes.subspan(8));
    case 134:
      if (v == 0) return true;
      {
        const std::uint8_t flags = u8(bytes.data() + 5);
        if (bytes.size() < 16) return false;
        out.put("\n\thop limit {}, ", u8(bytes.data() + 4));
        put_flags(out, flags, {{0x80, "managed"}, {0x40, "other stateful"}, {0x20, "home agent"}, {0x04, "proxy"}});
        static constexpr std::array<std::string_view, 4> kPref{"medium", "high", "reserved", "low"};
        out.put(", pref {}, router lifetime {}s, reachable time {}ms, retrans timer {}ms", kPref[(flags >> 3) & 3],
                be16(bytes.data() + 6), be32(bytes.data() + 8), be32(bytes.data() + 12));
        return put_nd_options(out, names, bytes.subspan(16));
      }
    case 135:
      if (bytes.size() < 24) return false;
      out.put(", who has ");
      text::ipv6(out, names, bytes.data() + 8);
      return v == 0 || put_nd_options(out, names, bytes.subspan(24));
    case 136:
      if (bytes.size() < 24) return false;
      out.put(", tgt is ");
      text::ipv6(out, names, bytes.data() + 8);
      if (v == 0) return true;
      out.put(", ");
      put_flags(out, u8(bytes.data() + 4), {{0x80, "router"}, {0x40, "solicited"}, {0x20, "override"}});
      return put_nd_options(out, names, bytes.subspan(24));
    case 155:
      return rpl(out, names, h.code, bytes, length);
    case 137:
      if (bytes.size() < 40) return false;
      out.put(", ");
      text::ipv6(out, names, bytes.data() + 24);
      out.put(" to ");
      text::ipv6(out, names, bytes.data() + 8);
      return v == 0 || put_nd_options(out, names, bytes.subspan(40));
    default:
      return true;
  }
}

}  // namespace

Result print_icmp6(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length,
                   const IpHeader& ip) {
  pcapxx::layers::Icmpv6 h;
  bool decoded = text::decode(h, bytes);
  if (!decoded && bytes.size() >= 2 && u8(bytes.data()) == 155) {
    // RPL reads only type and code before its base object (a DIS may be 6 bytes long; the
    // checksum is verified only on a whole message); the layer wants the 8-byte header.
    h.type = 155;
    h.code = u8(bytes.data() + 1);
    h.checksum = bytes.size() >= 4 ? be16(bytes.data() + 2) : 0;
    decoded = true;
  }
  if (!decoded) {
    // tcpdump reads the type before printing anything: an empty message shows the marker only.
    if (!bytes.empty()) {
      const auto name = type_name(u8(bytes.data()));
      if (name.empty()) out.put("ICMP6, unknown icmp6 type ({})", u8(bytes.data()));
      else out.put("ICMP6, {}", name);
      if (out.flags.verbose > 0 && is_nd(u8(bytes.data()))) out.put(", length {}", length);
    }
    out.truncated("icmp6");
    return {};
  }
  if (out.flags.verbose > 0 && !ip.fragmented && ip.ip6 != nullptr && bytes.size() >= length) {
    // RFC 8200 8.1 pseudo-header: source, destination, upper-layer length, next header 58.
    std::uint32_t sum = 0;
    for (std::size_t i = 8; i < 24; i += 2) sum += be16(ip.ip6 + i);
    const std::byte* dst = ip.ip6_final_dst != nullptr ? ip.ip6_final_dst : ip.ip6 + 24;
    for (std::size_t i = 0; i < 16; i += 2) sum += be16(dst + i);
    sum += (length >> 16) + (length & 0xffff) + 58;
    const auto message = bytes.first(length);
    if (text::internet_checksum(message, sum) == 0) {
      out.put("[icmp6 sum ok] ");
    } else {
      const std::uint16_t computed = text::internet_checksum(message, sum);
      out.put("[bad icmp6 cksum 0x{:04x} -> 0x{:04x}!] ", h.checksum, text::checksum_should_be(h.checksum, computed));
    }
  }
  const auto name = type_name(h.type);
  if (name.empty()) out.put("ICMP6, unknown icmp6 type ({})", h.type);
  else out.put("ICMP6, {}", name);
  if (out.flags.verbose > 0 && is_nd(h.type)) out.put(", length {}", length);
  bool dumped = false;
  if (!print_body(out, names, h, bytes, length, dumped)) {
    out.truncated("icmp6");
    return {};
  }
  if (dumped) return {};
  if (out.flags.verbose == 0 || name.empty() || h.type == 200 || h.type == 201) out.put(", length {}", length);
  // An unknown type's bytes follow in hex (tcpdump leaves them out from -vv on).
  if ((name.empty() || h.type == 200 || h.type == 201) && out.flags.verbose < 2)
    text::hex_lines(out, bytes.first(std::min<std::size_t>(bytes.size(), length)), "\n\t");
  return {};
}

}  // namespace pxdump::printers
