// ARP and RARP (RFC 826, RFC 903), as tcpdump 4.99 prints them for Ethernet/IPv4:
// "Request who-has A tell B", "Reply A is-at M", "Reverse Request who-is M tell M", ...
#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

namespace {

void put_proto(Context& ctx, std::span<const std::byte> a) {
  if (a.size() == 4) return ctx.resolver.ipv4(ctx.out, a.data());
  for (std::size_t i = 0; i < a.size(); ++i) ctx.out.put("{}{:02x}", i == 0 ? "" : ":", std::to_integer<unsigned>(a[i]));
}

void put_hw(Context& ctx, std::span<const std::byte> a) {
  if (a.size() == 6) return ctx.resolver.mac(ctx.out, reinterpret_cast<const std::uint8_t*>(a.data()));
  if (a.empty()) return ctx.out.put("<No address>");
  for (std::size_t i = 0; i < a.size(); ++i) ctx.out.put("{}{:02x}", i == 0 ? "" : ":", std::to_integer<unsigned>(a[i]));
}

bool all_zero(std::span<const std::byte> a) {
  for (auto b : a)
    if (b != std::byte{0}) return false;
  return true;
}

}  // namespace

void print_arp(Context& ctx, std::size_t index, std::uint32_t length) {
  const auto& a = *ctx.layers[index].as<Arp>();
  Out& out = ctx.out;
  if (!out.flags.link_header) out.put("ARP, ");
  const bool ethernet_ip = a.hardware_type == 1 && a.protocol_type == 0x0800 && a.hardware_length == 6 &&
                           a.protocol_length == 4;
  if (!ethernet_ip || out.flags.verbose > 0) {
    out.put("{} (len {}), ", a.hardware_type == 1 ? "Ethernet" : "Unknown Hardware", a.hardware_length);
    const auto proto = a.protocol_type == 0x0800 ? std::string_view("IPv4") : ethertype_name(a.protocol_type);
    if (proto.empty()) out.put("Unknown Protocol (0x{:04x}) (len {}), ", a.protocol_type, a.protocol_length);
    else out.put("{} (len {}), ", proto, a.protocol_length);
  }
  switch (a.operation) {
    case 1:
      out.put("Request who-has ");
      put_proto(ctx, a.target_protocol);
      if (!all_zero(a.target_hardware)) {
        out.put(" (");
        put_hw(ctx, a.target_hardware);
        out.put(")");
      }
      out.put(" tell ");
      put_proto(ctx, a.sender_protocol);
      break;
    case 2:
      out.put("Reply ");
      put_proto(ctx, a.sender_protocol);
      out.put(" is-at ");
      put_hw(ctx, a.sender_hardware);
      break;
    case 3:
      out.put("Reverse Request who-is ");
      put_hw(ctx, a.target_hardware);
      out.put(" tell ");
      put_hw(ctx, a.sender_hardware);
      break;
    case 4:
      out.put("Reverse Reply ");
      put_hw(ctx, a.target_hardware);
      out.put(" at ");
      put_proto(ctx, a.target_protocol);
      break;
    case 8:
      out.put("InARP Request who-is ");
      put_hw(ctx, a.target_hardware);
      out.put(" tell ");
      put_hw(ctx, a.sender_hardware);
      break;
    case 9:
      out.put("InARP Reply ");
      put_hw(ctx, a.target_hardware);
      out.put(" at ");
      put_proto(ctx, a.target_protocol);
      break;
    default: out.put("Unknown ({})", a.operation); break;
  }
  out.put(", length {}", length);
}

}  // namespace pxdump::printers
