// IPv4 (RFC 791), as tcpdump 4.99 prints it: "IP " (not with -e), with -v the header fields in
// parentheses and the rest on the next line, then "src > dst: " unless the transport prints the
// addresses with its ports; fragments after the first show only the protocol.
#include <algorithm>
#include <array>

#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

std::string_view ip_protocol_name(std::uint8_t p) {
  // The names tcpdump 4.99 prints with -v ("proto X (n)", "next-header X (n)"): exactly the
  // numbers it names, read off its output for all 256 values.
  switch (p) {
    case 0: return "Options";
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 4: return "IPIP";
    case 6: return "TCP";
    case 8: return "EGP";
    case 9: return "IGRP";
    case 17: return "UDP";
    case 33: return "DCCP";
    case 41: return "IPv6";
    case 43: return "Routing";
    case 44: return "Fragment";
    case 46: return "RSVP";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 55: return "Mobile IP";
    case 58: return "ICMPv6";
    case 88: return "EIGRP";
    case 89: return "OSPF";
    case 103: return "PIM";
    case 108: return "Compressed IP";
    case 112: return "VRRP";
    case 113: return "PGM";
    case 132: return "SCTP";
    case 135: return "Mobility";
    case 143: return "Ethernet";
    default: return {};
  }
}

std::string_view ip_protocol_short_name(std::uint8_t p) {
  // tcpdump 4.99 prints IANA's protocol keywords in lower case without -n (its own table, not
  // /etc/protocols); the list read off its output for all 256 values.
  switch (p) {
    case 0: return "hopopt";
    case 1: return "icmp";
    case 2: return "igmp";
    case 3: return "ggp";
    case 4: return "ipencap";
    case 5: return "st";
    case 6: return "tcp";
    case 7: return "cbt";
    case 8: return "egp";
    case 9: return "igp";
    case 10: return "bbn-rcc-mon";
    case 11: return "nvp-ii";
    case 12: return "pup";
    case 13: return "argus";
    case 14: return "emcon";
    case 15: return "xnet";
    case 16: return "chaos";
    case 17: return "udp";
    case 18: return "mux";
    case 19: return "dcn-meas";
    case 20: return "hmp";
    case 21: return "prm";
    case 22: return "xns-idp";
    case 23: return "trunk-1";
    case 24: return "trunk-2";
    case 25: return "leaf-1";
    case 26: return "leaf-2";
    case 27: return "rdp";
    case 28: return "irtp";
    case 29: return "iso-tp4";
    case 30: return "netblt";
    case 31: return "mfe-nsp";
    case 32: return "merit-inp";
    case 33: return "dccp";
    case 34: return "3pc";
    case 35: return "idpr";
    case 36: return "xtp";
    case 37: return "ddp";
    case 38: return "idpr-cmtp";
    case 39: return "tp++";
    case 40: return "il";
    case 41: return "ipv6";
    case 42: return "sdrp";
    case 43: return "ipv6-route";
    case 44: return "ipv6-frag";
    case 45: return "idrp";
    case 46: return "rsvp";
    case 47: return "gre";
    case 48: return "dsr";
    case 49: return "bna";
    case 50: return "esp";
    case 51: return "ah";
    case 52: return "i-nlsp";
    case 53: return "swipe";
    case 54: return "narp";
    case 55: return "mobile";
    case 56: return "tlsp";
    case 57: return "skip";
    case 58: return "ipv6-icmp";
    case 59: return "ipv6-nonxt";
    case 60: return "ipv6-opts";
    case 62: return "cftp";
    case 64: return "sat-expak";
    case 65: return "kryptolan";
    case 66: return "rvd";
    case 67: return "ippc";
    case 69: return "sat-mon";
    case 70: return "visa";
    case 71: return "ipcv";
    case 72: return "cpnx";
    case 73: return "rspf";
    case 74: return "wsn";
    case 75: return "pvp";
    case 76: return "br-sat-mon";
    case 77: return "sun-nd";
    case 78: return "wb-mon";
    case 79: return "wb-expak";
    case 80: return "iso-ip";
    case 81: return "vmtp";
    case 82: return "secure-vmtp";
    case 83: return "vines";
    case 84: return "ttp";
    case 85: return "nsfnet-igp";
    case 86: return "dgp";
    case 87: return "tcf";
    case 88: return "eigrp";
    case 89: return "ospf";
    case 90: return "sprite-rpc";
    case 91: return "larp";
    case 92: return "mtp";
    case 93: return "ax.25";
    case 94: return "ipip";
    case 95: return "micp";
    case 96: return "scc-sp";
    case 97: return "etherip";
    case 98: return "encap";
    case 100: return "gmtp";
    case 101: return "ifmp";
    case 102: return "pnni";
    case 103: return "pim";
    case 104: return "aris";
    case 105: return "scps";
    case 106: return "qnx";
    case 107: return "a/n";
    case 108: return "ipcomp";
    case 109: return "snp";
    case 110: return "compaq-peer";
    case 111: return "ipx-in-ip";
    case 112: return "vrrp";
    case 113: return "pgm";
    case 115: return "l2tp";
    case 116: return "ddx";
    case 117: return "iatp";
    case 118: return "stp";
    case 119: return "srp";
    case 120: return "uti";
    case 121: return "smp";
    case 122: return "sm";
    case 123: return "ptp";
    case 124: return "isis";
    case 125: return "fire";
    case 126: return "crtp";
    case 127: return "crudp";
    case 128: return "sscopmce";
    case 129: return "iplt";
    case 130: return "sps";
    case 131: return "pipe";
    case 132: return "sctp";
    case 133: return "fc";
    case 134: return "rsvp-e2e-ignore";
    case 135: return "mobility-header";
    case 136: return "udplite";
    case 137: return "mpls-in-ip";
    case 138: return "manet";
    case 139: return "hip";
    case 140: return "shim6";
    case 141: return "wesp";
    case 142: return "rohc";
    case 253: return "exptest-253";
    case 254: return "exptest-254";
    case 255: return "reserved";
    default: return {};
  }
}

namespace {

std::uint8_t byte_at(std::span<const std::byte> b, std::size_t i) { return std::to_integer<std::uint8_t>(b[i]); }

/// Record Route, Strict and Loose Source Route (RFC 791 3.1): the address slots, a comma after
/// each one the pointer has passed; length and pointer checked as tcpdump checks them.
void print_route(Context& ctx, std::span<const std::byte> opt) {
  Out& out = ctx.out;
  const std::size_t len = opt.size();
  if (len < 3) {
    out.put(" [bad length {}]", len);
    return;
  }
  if (((len + 1) & 3) != 0) out.put(" [bad length {}]", len);
  const std::size_t ptr = std::size_t{byte_at(opt, 2)} - 1;  // may wrap for 0: then "bad ptr"
  if (ptr < 3 || ((ptr + 1) & 3) != 0 || ptr > len + 1) out.put(" [bad ptr {}]", byte_at(opt, 2));
  for (std::size_t at = 3; at < len; at += 4) {
    out.put(" ");
    if (at + 4 > len) {
      out.put("[|ip]");  // a partial address slot: tcpdump stops at the truncation
      return;
    }
    ctx.resolver.ipv4(out, opt.data() + at);
    if (ptr > at) out.put(",");
  }
}

/// Internet Timestamp (RFC 791 3.1, option 68): the flag names the format; each slot is a
/// timestamp, after an address with flags 1 and 3; "^" marks where the pointer points.
void print_timestamp(Context& ctx, std::span<const std::byte> opt) {
  Out& out = ctx.out;
  const std::size_t len = opt.size();
  if (len < 4) {
    out.put("[bad length {}]", len);
    return;
  }
  out.put(" TS{");
  const unsigned flag = byte_at(opt, 3) & 0xf;
  const std::size_t slot = flag != 0 ? 8 : 4;
  if (((len - 4) & (slot - 1)) != 0) out.put("[bad length {}]", len);
  const std::size_t ptr = std::size_t{byte_at(opt, 2)} - 1;
  std::size_t at = 0;
  if (ptr < 4 || ((ptr - 4) & (slot - 1)) != 0 || ptr > len + 1) out.put("[bad ptr {}]", byte_at(opt, 2));
  bool known = true;
  switch (flag) {
    case 0: out.put("TSONLY"); break;
    case 1: out.put("TS+ADDR"); break;
    case 3: out.put("PRESPEC"); break;
    default: out.put("[bad ts type {}]", flag); known = false; break;
  }
  if (known) {
    for (at = 4; at < len; at += slot) {
      out.put(ptr == at ? " ^ " : " ");
      if (at + slot > len) {
        out.put("[|ip]");
        return;
      }
      const std::size_t t = at + slot - 4;
      out.put("{}@", std::uint32_t{byte_at(opt, t)} << 24 | std::uint32_t{byte_at(opt, t + 1)} << 16 |
                         std::uint32_t{byte_at(opt, t + 2)} << 8 | byte_at(opt, t + 3));
      if (slot == 8) ctx.resolver.ipv4(out, opt.data() + at);
    }
  }
  if (ptr == at) out.put(" ^ ");
  const unsigned overflow = byte_at(opt, 3) >> 4;
  if (overflow != 0) out.put(" [{} hops not recorded]}} ", overflow);
  else out.put("}");
}

/// tcpdump's names of the IPv4 options (IANA "IP Option Numbers").
std::string_view option_name(std::uint8_t kind) {
  switch (kind) {
    case 0: return "EOL";
    case 1: return "NOP";
    case 68: return "timestamp";
    case 130: return "security";
    case 7: return "RR";
    case 137: return "SSRR";
    case 131: return "LSRR";
    case 148: return "RA";
    case 82: return "traceroute";
    default: return {};
  }
}

/// How the option list ended: all printed, the capture ended where tcpdump reads a byte (its
/// marker is printed, the packet ends), or inside an option it checks as a whole.
enum class OptionsEnd { complete, cut, truncated_option };

/// The option list: "NAME[ detail]" per option, comma separated; a length that does not fit
/// ends the list with "[bad length N]"; EOL ends it.
/// `declared`: the option bytes the header length announces; `all` the captured ones (fewer when
/// the capture ends inside the options).
OptionsEnd print_options(Context& ctx, std::span<const std::byte> all, std::size_t declared) {
  Out& out = ctx.out;
  for (std::size_t at = 0; at < declared;) {
    if (at != 0) out.put(",");
    if (at >= all.size()) {
      out.truncated("ip");
      return OptionsEnd::cut;
    }
    const std::uint8_t kind = byte_at(all, at);
    const auto name = option_name(kind);
    if (name.empty()) out.put("unknown {}", kind);
    else out.put(name);
    std::size_t len = 1;
    if (kind > 1) {
      if (at + 1 >= all.size()) {
        out.truncated("ip");
        return OptionsEnd::cut;
      }
      len = byte_at(all, at + 1);
      if (len < 2) {
        out.put(" [bad length {}]", len);
        return OptionsEnd::complete;
      }
    }
    if (len > declared - at) {
      out.put(" [bad length {}]", len);
      return OptionsEnd::complete;
    }
    if (len > all.size() - at) {
      out.put(" [truncated-option]");
      return OptionsEnd::truncated_option;
    }
    const auto opt = all.subspan(at, len);
    switch (kind) {
      case 0: return OptionsEnd::complete;
      case 68: print_timestamp(ctx, opt); break;
      case 7: case 131: case 137: print_route(ctx, opt); break;
      case 148:
        if (len < 4) {
          out.put(" [bad length {}]", len);
          break;
        }
        if (const unsigned v = std::uint32_t{byte_at(opt, 2)} << 8 | byte_at(opt, 3); v != 0) out.put(" value {}", v);
        break;
      default: break;
    }
    at += len;
  }
  return OptionsEnd::complete;
}

}  // namespace

namespace {

/// The IPv4 text for a header `ip` (of ctx.layers[index] when `layer` is set). `hl` is the
/// header length the header announces; `options` the captured option bytes, fewer than
/// hl - 20 when the capture ends inside them (then there is no layer, no checksum and no
/// transport).
void print_ipv4_header(Context& ctx, const Ipv4& ip, const Layer* layer, std::size_t index, std::uint32_t length,
                       std::uint32_t hl, std::span<const std::byte> options) {
  Out& out = ctx.out;
  const bool complete = layer != nullptr;
  if (index == 0 && !ctx.link_done && out.flags.link_header) out.put("ip: ");
  ctx.link_done = true;
  if (!out.flags.link_header) out.put("IP ");
  // tcpdump 4.99 stops at a total length shorter than the header (0 included, as in captures
  // of TSO sends).
  if (ip.total_length < hl) {
    out.put("bad-len {}", ip.total_length);
    return;
  }
  std::uint32_t len = ip.total_length;
  if (len > length) {
    out.put("truncated-ip - {} bytes missing! ", len - length);
    len = length;
  }
  const bool first_fragment = ip.fragment_offset == 0;
  ctx.fragmented = ip.fragment_offset != 0 || (ip.flags & Ipv4::kMoreFragments) != 0;
  if (out.flags.verbose > 0) {
    out.put("(tos 0x{:x}", ip.tos);
    switch (ip.tos & 3) {
      case 1: out.put(",ECT(1)"); break;
      case 2: out.put(",ECT(0)"); break;
      case 3: out.put(",CE"); break;
      default: break;
    }
    if (ip.ttl >= 1) out.put(", ttl {}", ip.ttl);
    out.put(", id {}, offset {}, flags [", ip.id, std::uint32_t{ip.fragment_offset} * 8);
    const char* sep = "";
    if (ip.flags == 0) out.put("none");
    if (ip.flags & Ipv4::kMoreFragments) { out.put("+"); sep = ", "; }
    if (ip.flags & Ipv4::kDontFragment) { out.put("{}DF", sep); sep = ", "; }
    if (ip.flags & 4) out.put("{}rsvd", sep);
    const auto name = ip_protocol_name(ip.protocol);
    out.put("], proto {} ({}), length {}", name.empty() ? std::string_view("unknown") : name, ip.protocol,
            ip.total_length);
    if (hl > 20) {
      out.put(", options (");
      const OptionsEnd end = print_options(ctx, options, hl - 20);
      if (end == OptionsEnd::cut) return;  // tcpdump stops the packet at the end of the capture
      out.put(")");
      if (end == OptionsEnd::truncated_option) {
        // tcpdump closes the header's text and stops after the addresses.
        out.put(")\n    ");
        ctx.resolver.ipv4(out, ip.src);
        out.put(" > ");
        ctx.resolver.ipv4(out, ip.dst);
        out.put(": ");
        out.truncated("ip");
        return;
      }
    }
    if (!complete) {
      // The capture ends inside the options: tcpdump checks no checksum.
    } else if (!out.flags.no_checksum && !ip.checksum_ok()) {
      std::uint16_t sum = checksum_fold(checksum_add(ip.contents, 0));
      out.put(", bad cksum {:x} (->{:x})!", ip.checksum, checksum_should_be(ip.checksum, sum));
    }
    out.put(")\n    ");
  }
  const std::uint32_t payload_len = len >= hl ? len - hl : 0;
  const auto* saved4 = ctx.ip4;
  const auto* saved6 = ctx.ip6;
  ctx.ip4 = &ip;
  ctx.ip6 = nullptr;
  ctx.ip_layer = layer;
  auto addresses = [&](const char* tail) {
    ctx.resolver.ipv4(out, ip.src);
    out.put(" > ");
    ctx.resolver.ipv4(out, ip.dst);
    out.put("{}", tail);
  };
  // TCP, UDP, SCTP and DCCP print the addresses themselves, with their ports.
  const bool transport_prints = ip.protocol == 6 || ip.protocol == 17 || ip.protocol == 132 || ip.protocol == 33;
  if (!first_fragment) {
    addresses(":");
    const auto short_name = ctx.resolver.numeric() ? std::string_view() : ip_protocol_short_name(ip.protocol);
    if (!short_name.empty()) out.put(" {}", short_name);
    else out.put(" ip-proto-{}", ip.protocol);
  } else if (!complete) {
    // A first fragment whose header the capture cut: tcpdump names the captured and the
    // announced header lengths (after the addresses where the transport would not print them).
    if (!transport_prints) addresses(": ");
    out.put(" [remaining caplen({}) < header length({})]", 20 + options.size(), hl);
    out.truncated("ip");
  } else {
    if (!transport_prints) addresses(": ");
    const bool has_next = index + 1 < ctx.layers.size() && ctx.layers[index + 1].type() != LayerType::payload;
    if (has_next || (index + 1 >= ctx.layers.size() && ctx.packet.error() != nullptr)) {
      print_from(ctx, index + 1, payload_len);
    } else if (!transport_prints) {
      // No layer after IP: tcpdump's generic text for protocols it does not know.
      const auto name = ctx.resolver.numeric() ? std::string_view() : ip_protocol_short_name(ip.protocol);
      // tcpdump's default case starts with a space of its own after "a > b: ".
      if (ip.protocol == 59) out.put("no next header");
      else if (!name.empty()) out.put(" {} {}", name, payload_len);
      else out.put(" ip-proto-{} {}", ip.protocol, payload_len);
    }
  }
  ctx.ip4 = saved4;
  ctx.ip6 = saved6;
}

}  // namespace

void print_ipv4(Context& ctx, std::size_t index, std::uint32_t length) {
  const Layer& layer = ctx.layers[index];
  const auto& ip = *layer.as<Ipv4>();
  print_ipv4_header(ctx, ip, &layer, index, length, static_cast<std::uint32_t>(ip.header_length()), ip.options);
}

bool print_ipv4_cut_options(Context& ctx, std::span<const std::byte> bytes, std::uint32_t length) {
  if (bytes.size() < 20 || (byte_at(bytes, 0) >> 4) != 4) return false;
  const std::uint32_t hl = std::uint32_t{byte_at(bytes, 0) & 0x0fu} * 4;
  if (hl <= 20 || hl <= bytes.size()) return false;
  // The fixed header decodes on its own (header length 5 in a copy); the options are what the
  // capture holds of them.
  std::array<std::byte, 20> fixed{};
  std::copy_n(bytes.begin(), 20, fixed.begin());
  fixed[0] = std::byte{0x45};
  Ipv4 ip;
  const pcapxx::layers::DecodeContext decode{pcapxx::layers::Registry::builtin()};
  if (!ip.decode(fixed, decode).ok()) return false;
  print_ipv4_header(ctx, ip, nullptr, ctx.layers.size(), length, hl, bytes.subspan(20));
  return true;
}

}  // namespace pxdump::printers
