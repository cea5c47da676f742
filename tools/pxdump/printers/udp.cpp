// UDP (RFC 768), as tcpdump 4.99 prints it: "a.p > b.q: " then the application protocol's text
// (part B's printers for DNS, BOOTP, NTP, VXLAN, Geneve) or tcpdump's generic "UDP, length N";
// with -vv over IPv4 and -v over IPv6 the checksum verdict first.
#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

void print_udp_failed(Context& ctx, std::span<const std::byte> bytes, std::uint32_t length) {
  // tcpdump's udp_print reads the ports, checks the length, then the UDP length field; the
  // first field the capture does not hold ends the packet with its marker.
  Out& out = ctx.out;
  auto be16 = [&](std::size_t at) {
    return static_cast<std::uint16_t>(std::to_integer<unsigned>(bytes[at]) << 8 | std::to_integer<unsigned>(bytes[at + 1]));
  };
  if (bytes.size() < 4) {
    // Without ports: the addresses when UDP follows the IP header directly, else nothing.
    const bool direct = (ctx.ip4 != nullptr && ctx.ip4->protocol == 17) || (ctx.ip6 != nullptr && ctx.ip6->next_header == 17);
    if (!direct) return out.truncated("udp");
    if (ctx.ip4 != nullptr) ctx.resolver.ipv4(out, ctx.ip4->src);
    else ctx.resolver.ipv6(out, ctx.ip6->src);
    out.put(" > ");
    if (ctx.ip4 != nullptr) ctx.resolver.ipv4(out, ctx.ip4->dst);
    else ctx.resolver.ipv6(out, ctx.ip6->dst);
    out.put(": ");
    return out.truncated("udp");
  }
  print_transport_addresses(ctx, be16(0), be16(2), true);
  if (length < 8) return out.put("truncated-udp {}", length);
  if (bytes.size() < 6) return out.truncated("udp");
  if (const std::uint16_t ulen = be16(4); ulen < 8) return out.put("truncated-udplength {}", ulen);
  out.truncated("udp");
}

void print_udp(Context& ctx, std::size_t index, std::uint32_t length) {
  const Layer& layer = ctx.layers[index];
  const auto& udp = *layer.as<Udp>();
  Out& out = ctx.out;
  print_transport_addresses(ctx, udp.src_port, udp.dst_port, true);
  if (length < 8) {
    out.put("truncated-udp {}", length);
    return;
  }
  std::uint32_t ulen = udp.length;
  if (ulen < 8) {
    out.put("truncated-udplength {}", ulen);
    return;
  }
  ulen -= 8;
  std::uint32_t len = length - 8;
  if (ulen < len || ctx.fragmented) len = ulen;  // a first fragment: the datagram's length
  if (out.flags.verbose > 0 && !out.flags.no_checksum && !ctx.fragmented) {
    const auto whole = ctx.packet.data().subspan(layer.offset);
    const bool v4 = ctx.ip4 != nullptr && ctx.ip6 == nullptr;
    if (v4 && out.flags.verbose > 1) {
      if (udp.checksum == 0) {
        out.put("[no cksum] ");
      } else if (whole.size() >= len + 8) {
        const std::uint16_t c = checksum_fold(checksum_add(whole.first(len + 8), pseudo_header_sum(ctx, 17, len + 8)));
        if (c != 0) out.put("[bad udp cksum 0x{:04x} -> 0x{:04x}!] ", udp.checksum, checksum_should_be(udp.checksum, c));
        else out.put("[udp sum ok] ");
      }
    } else if (ctx.ip6 != nullptr && whole.size() >= len + 8) {
      const std::uint16_t c = checksum_fold(checksum_add(whole.first(len + 8), pseudo_header_sum(ctx, 17, len + 8)));
      if (c != 0) out.put("[bad udp cksum 0x{:04x} -> 0x{:04x}!] ", udp.checksum, checksum_should_be(udp.checksum, c));
      else out.put("[udp sum ok] ");
    }
  }
  if (out.flags.quiet) {
    out.put("UDP, length {}", ulen);
    return;
  }
  const std::size_t next = index + 1;
  if (next < ctx.layers.size()) {
    const LayerType t = ctx.layers[next].type();
    if (t != LayerType::payload) return print_from(ctx, next, len);
  } else if (ctx.packet.error() != nullptr) {
    return print_from(ctx, next, len);
  }
  out.put("UDP, length {}", len);
}

}  // namespace pxdump::printers
