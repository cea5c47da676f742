// Linux "cooked" captures, SLL (v1) and SLL2, as tcpdump 4.99 prints them. SLL shows nothing
// without -e and "DIR ADDR ethertype NAME (0xXXXX), length N: " with it; SLL2 always starts with
// the interface name (tcpdump asks the capturing host, if_indextoname, "?" when unknown) and the
// direction, and adds "ifindex N ADDR ethertype ..." with -e.
#include <net/if.h>

#include <unordered_map>

#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

namespace {

std::string_view packet_type_name(unsigned t) {
  switch (t) {
    case 0: return "In";
    case 1: return "B";
    case 2: return "M";
    case 3: return "P";
    case 4: return "Out";
    default: return "?";
  }
}

void put_address(Context& ctx, const std::array<std::uint8_t, 8>& a, unsigned len) {
  if (len == 6) return ctx.resolver.mac(ctx.out, a.data());
  for (unsigned i = 0; i < len && i < 8; ++i) ctx.out.put("{}{:02x}", i == 0 ? "" : ":", a[i]);
}

void put_protocol(Context& ctx, std::uint16_t protocol) {
  // Values below 0x600 are Linux's pseudo protocols (linux/if_ether.h ETH_P_802_3, ETH_P_802_2...).
  switch (protocol) {
    case 1: return ctx.out.put("802.3");
    case 4: return ctx.out.put("802.2");
    default: break;
  }
  const auto name = ethertype_name(protocol);
  ctx.out.put("ethertype {} (0x{:04x})", name.empty() ? std::string_view("Unknown") : name, protocol);
}

/// if_indextoname, looked up once per index (tcpdump asks per packet; the answer does not change).
std::string_view interface_name(std::uint32_t index) {
  static std::unordered_map<std::uint32_t, std::string> cache;
  auto it = cache.find(index);
  if (it == cache.end()) {
    char name[IF_NAMESIZE + 1] = {};
    std::string text = if_indextoname(index, name) != nullptr ? std::string(name) : std::string("?");
    it = cache.emplace(index, std::move(text)).first;
  }
  return it->second;
}

}  // namespace

void print_linux_sll(Context& ctx, std::size_t index, std::uint32_t length) {
  const auto& s = *ctx.layers[index].as<LinuxSll>();
  ctx.link_header_length = LinuxSll::kHeaderLength;
  if (ctx.out.flags.link_header) {
    ctx.out.put("{:>3} ", packet_type_name(s.packet_type));
    put_address(ctx, s.address, s.address_length);
    ctx.out.put(" ");
    put_protocol(ctx, s.protocol);
    ctx.out.put(", length {}: ", length);
  }
  print_from(ctx, index + 1, length >= 16 ? length - 16 : 0);
}

void print_linux_sll2(Context& ctx, std::size_t index, std::uint32_t length) {
  const auto& s = *ctx.layers[index].as<LinuxSll2>();
  ctx.link_header_length = LinuxSll2::kHeaderLength;
  ctx.out.put("{:<5} {:<3} ", interface_name(s.interface_index), packet_type_name(s.packet_type));
  if (ctx.out.flags.link_header) {
    ctx.out.put("ifindex {} ", s.interface_index);
    put_address(ctx, s.address, s.address_length);
    ctx.out.put(" ");
    put_protocol(ctx, s.protocol);
    ctx.out.put(", length {}: ", length);
  }
  print_from(ctx, index + 1, length >= 20 ? length - 20 : 0);
}

}  // namespace pxdump::printers
