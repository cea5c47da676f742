// Shared by TCP and UDP: the address/port prefix and the Internet checksum.
#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

std::uint32_t checksum_add(std::span<const std::byte> bytes, std::uint32_t sum) {
  std::uint64_t s = sum;
  std::size_t i = 0;
  for (; i + 2 <= bytes.size(); i += 2)
    s += std::to_integer<std::uint32_t>(bytes[i]) << 8 | std::to_integer<std::uint32_t>(bytes[i + 1]);
  if (i < bytes.size()) s += std::to_integer<std::uint32_t>(bytes[i]) << 8;
  while (s >> 32) s = (s & 0xffffffff) + (s >> 32);
  return static_cast<std::uint32_t>(s);
}

std::uint16_t checksum_fold(std::uint32_t sum) {
  std::uint64_t s = sum;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffff);
}

std::uint16_t checksum_should_be(std::uint16_t field, std::uint16_t computed) {
  // RFC 1624 incremental update: adding the checksum computed over the data (field included)
  // to the field gives the value the field should hold.
  std::uint32_t s = std::uint32_t{field} + computed;
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(s);
}

std::uint32_t pseudo_header_sum(const Context& ctx, std::uint8_t protocol, std::uint32_t length) {
  std::uint32_t sum = 0;
  if (ctx.ip6 != nullptr) {
    sum = checksum_add(std::as_bytes(std::span(ctx.ip6->src.bytes)), sum);
    const auto dst = ctx.ip6_final_destination != nullptr ? std::span<const std::byte>(ctx.ip6_final_destination, 16)
                                                          : std::as_bytes(std::span(ctx.ip6->dst.bytes));
    sum = checksum_add(dst, sum);
    sum += length >> 16;
    sum += length & 0xffff;
    sum += protocol;
  } else if (ctx.ip4 != nullptr) {
    sum = checksum_add(std::as_bytes(std::span(ctx.ip4->src.bytes)), sum);
    sum = checksum_add(std::as_bytes(std::span(ctx.ip4->dst.bytes)), sum);
    sum += protocol;
    sum += length & 0xffff;
  }
  return sum;
}

void print_transport_addresses(Context& ctx, std::uint16_t sport, std::uint16_t dport, bool udp) {
  Out& out = ctx.out;
  auto port = [&](std::uint16_t p) { udp ? ctx.resolver.udp_port(out, p) : ctx.resolver.tcp_port(out, p); };
  const std::uint8_t proto = udp ? 17 : 6;
  const bool direct = (ctx.ip4 != nullptr && ctx.ip4->protocol == proto) ||
                      (ctx.ip6 != nullptr && ctx.ip6->next_header == proto);
  if (direct) {
    if (ctx.ip4 != nullptr) ctx.resolver.ipv4(out, ctx.ip4->src);
    else ctx.resolver.ipv6(out, ctx.ip6->src);
    out.put(".");
    port(sport);
    out.put(" > ");
    if (ctx.ip4 != nullptr) ctx.resolver.ipv4(out, ctx.ip4->dst);
    else ctx.resolver.ipv6(out, ctx.ip6->dst);
    out.put(".");
    port(dport);
    out.put(": ");
  } else {
    port(sport);
    out.put(" > ");
    port(dport);
    out.put(": ");
  }
}

}  // namespace pxdump::printers
