// Ethernet II / 802.3 and 802.1Q/802.1ad tags, as tcpdump 4.99 prints them: nothing of the link
// header without -e ("src > dst, ethertype NAME (0xXXXX), length N: " with it; tags as
// "vlan V, p P[, DEI], ethertype ..."), then the EtherType's protocol.
#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

std::string_view ethertype_name(std::uint16_t t) {
  // EtherType assignments (IEEE registry) under the names tcpdump prints.
  switch (t) {
    case 0x0800: return "IPv4";
    case 0x86dd: return "IPv6";
    case 0x0806: return "ARP";
    case 0x8035: return "Reverse ARP";
    case 0x8100: return "802.1Q";
    case 0x88a8: return "802.1Q-QinQ";
    case 0x9100: return "802.1Q-9100";
    case 0x9200: return "802.1Q-9200";
    case 0x8847: return "MPLS unicast";
    case 0x8848: return "MPLS multicast";
    case 0x8863: return "PPPoE D";
    case 0x8864: return "PPPoE S";
    case 0x9000: return "Loopback";
    case 0x6003: return "DN";
    case 0x88cc: return "LLDP";
    case 0x888e: return "EAPOL";
    case 0x8809: return "Slow Protocols";
    case 0x88f7: return "PTP";
    case 0x8137: return "IPX";
    case 0x809b: return "Appletalk";
    case 0x80f3: return "Appletalk ARP";
    case 0x0200: return "PUP";
    case 0x8902: return "CFM";
    case 0x88e5: return "MACsec";
    case 0x8906: return "FCoE";
    case 0x894f: return "NSH";
    default: return {};
  }
}

namespace {

void put_ethertype(Out& out, std::uint16_t t) {
  const auto name = ethertype_name(t);
  out.put("ethertype {} (0x{:04x})", name.empty() ? std::string_view("Unknown") : name, t);
}

bool is_vlan_tpid(std::uint16_t t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200; }

/// tcpdump's default print of bytes it cannot decode: hex and ASCII lines (suppressed by -x etc.,
/// whose own dump covers them).
void default_print(Context& ctx, std::span<const std::byte> bytes) {
  if (ctx.out.flags.suppress_default_print) return;
  hex_dump(ctx.out, bytes, true);
}

}  // namespace

void print_ethertype_payload(Context& ctx, std::size_t index, std::uint32_t length, std::uint16_t ethertype) {
  if (index < ctx.layers.size() || ctx.packet.error() != nullptr) {
    const LayerType next = index < ctx.layers.size() ? ctx.layers[index].type() : ctx.packet.error()->layer;
    if (next != LayerType::payload && next != LayerType::none) return print_from(ctx, index, length);
  }
  // No decoder for this EtherType: tcpdump prints the link header (even without -e) and the bytes.
  (void)ethertype;
}

void print_ethernet(Context& ctx, std::size_t index, std::uint32_t length) {
  const Layer& layer = ctx.layers[index];
  const auto& e = *layer.as<Ethernet>();
  Out& out = ctx.out;
  ctx.link_header_length = static_cast<std::uint32_t>(layer.offset + Ethernet::kHeaderLength);
  const std::uint32_t caplen_left = ctx.caplen - layer.offset;
  (void)caplen_left;
  const std::uint32_t rest = length >= 14 ? length - 14 : 0;
  // Walk the tags: tcpdump prints them only with -e.
  std::size_t i = index + 1;
  std::uint16_t type = e.ethertype;
  auto header = [&] {
    ctx.resolver.mac(out, e.src.bytes.data());
    out.put(" > ");
    ctx.resolver.mac(out, e.dst.bytes.data());
    out.put(", ");
  };
  if (e.is_802_3_length()) {
    if (out.flags.link_header) {
      header();
      out.put("802.3, length {}: ", length);
    }
    return print_from(ctx, i, rest);
  }
  bool known = !ethertype_name(type).empty() && !is_vlan_tpid(type);
  std::uint32_t len = rest;
  if (out.flags.link_header) {
    header();
    put_ethertype(out, type);
    out.put(", length {}: ", length);
  }
  while (is_vlan_tpid(type) && i < ctx.layers.size() && ctx.layers[i].type() == LayerType::dot1q) {
    const auto& tag = *ctx.layers[i].as<Dot1Q>();
    ctx.link_header_length += 4;
    if (out.flags.link_header) {
      out.put("vlan {}, p {}{}, ", tag.vlan_id, tag.priority, tag.drop_eligible ? ", DEI" : "");
      put_ethertype(out, tag.ethertype);
      out.put(", ");
    }
    type = tag.ethertype;
    len = len >= 4 ? len - 4 : 0;
    ++i;
  }
  known = !ethertype_name(type).empty();
  bool decoded = i < ctx.layers.size() && ctx.layers[i].type() != LayerType::payload;
  if (!decoded && i >= ctx.layers.size() && ctx.packet.error() != nullptr) decoded = true;
  if (type <= 1500) return print_from(ctx, i, len);  // 802.3 inside a tag: LLC
  if (decoded && known && type != 0x9000 && type != 0x6003) return print_from(ctx, i, len);
  if (!out.flags.link_header) {
    header();
    put_ethertype(out, type);
    out.put(", length {}: ", length);
  }
  auto data = ctx.packet.data();
  const std::size_t at = std::min<std::size_t>(ctx.link_header_length, data.size());
  default_print(ctx, data.subspan(at));
}

void print_dot1q(Context& ctx, std::size_t index, std::uint32_t length) {
  // Tags are printed by the link layer before them; a tag first in a packet (no Ethernet) just
  // passes on.
  const auto& tag = *ctx.layers[index].as<Dot1Q>();
  if (ctx.out.flags.link_header) {
    ctx.out.put("vlan {}, p {}{}, ", tag.vlan_id, tag.priority, tag.drop_eligible ? ", DEI" : "");
    put_ethertype(ctx.out, tag.ethertype);
    ctx.out.put(", ");
  }
  print_from(ctx, index + 1, length >= 4 ? length - 4 : 0);
}

}  // namespace pxdump::printers
