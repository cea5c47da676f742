// The built-in protocol-number table and custom decoder registration.
#include "pcapxx/layers/registry.hpp"

#include <fmt/format.h>

namespace pcapxx::layers {

const Registry& Registry::builtin() noexcept {
  static const Registry r;
  return r;
}

Result<LayerType> Registry::add(CustomEntry::Key key, std::uint16_t value, std::string name,
                                CustomDecoder decoder) {
  if (!decoder) return fail(Errc::invalid_argument, fmt::format("custom layer '{}': no decoder", name));
  if (find(key, value) != nullptr)
    return fail(Errc::invalid_argument,
                fmt::format("custom layer '{}': number {} already has a custom decoder", name, value));
  if (custom_.size() >= 0x7fff) return fail(Errc::invalid_argument, "too many custom layers");
  const auto type = static_cast<LayerType>(static_cast<std::uint16_t>(LayerType::kFirstCustom) + custom_.size());
  custom_.push_back(CustomEntry{key, value, type, std::move(name), std::move(decoder)});
  return type;
}

Result<LayerType> Registry::register_ethertype(std::uint16_t ethertype, std::string name,
                                               CustomDecoder decoder) {
  return add(CustomEntry::Key::ethertype, ethertype, std::move(name), std::move(decoder));
}
Result<LayerType> Registry::register_ip_protocol(std::uint8_t protocol, std::string name,
                                                 CustomDecoder decoder) {
  return add(CustomEntry::Key::ip_protocol, protocol, std::move(name), std::move(decoder));
}
Result<LayerType> Registry::register_port(PortProtocol proto, std::uint16_t port, std::string name,
                                          CustomDecoder decoder) {
  return add(proto == PortProtocol::tcp ? CustomEntry::Key::tcp_port : CustomEntry::Key::udp_port, port,
             std::move(name), std::move(decoder));
}

const Registry::CustomEntry* Registry::find(CustomEntry::Key key, std::uint16_t value) const noexcept {
  for (const auto& e : custom_)
    if (e.key == key && e.value == value) return &e;
  return nullptr;
}

const Registry::CustomEntry* Registry::custom(LayerType type) const noexcept {
  const auto v = static_cast<std::uint16_t>(type);
  const auto first = static_cast<std::uint16_t>(LayerType::kFirstCustom);
  if (v < first || static_cast<std::size_t>(v - first) >= custom_.size()) return nullptr;
  return &custom_[v - first];
}

LayerType Registry::link_type(LinkType link) const noexcept {
  switch (link.dlt) {
    case 0: case 108: return LayerType::loopback;                 // DLT_NULL, DLT_LOOP
    case 1: return LayerType::ethernet;                            // DLT_EN10MB
    case 12: case 14: case 101: return LayerType::raw_ip;          // DLT_RAW (all its values)
    case 113: return LayerType::linux_sll;
    case 276: return LayerType::linux_sll2;
    case 228: return LayerType::ipv4;
    case 229: return LayerType::ipv6;
    default: return LayerType::none;
  }
}

LayerType Registry::ethertype(std::uint16_t ethertype) const noexcept {
  if (!custom_.empty())
    if (const auto* e = find(CustomEntry::Key::ethertype, ethertype)) return e->type;
  switch (ethertype) {
    case 0x0800: return LayerType::ipv4;
    case 0x86dd: return LayerType::ipv6;
    case 0x0806: case 0x8035: return LayerType::arp;  // ARP, RARP (RFC 903: the same format)
    case 0x8100: case 0x88a8: case 0x9100: return LayerType::dot1q;
    case 0x8847: case 0x8848: return LayerType::mpls;     // unicast, multicast (RFC 5332)
    case 0x8863: case 0x8864: return LayerType::pppoe;    // discovery, session (RFC 2516)
    case 0x6558: return LayerType::ethernet;              // transparent Ethernet bridging
    case 0x880b: return LayerType::ppp;                   // PPP (GRE, RFC 2637)
    default: return LayerType::payload;
  }
}

LayerType Registry::ip_protocol(std::uint8_t protocol) const noexcept {
  if (!custom_.empty())
    if (const auto* e = find(CustomEntry::Key::ip_protocol, protocol)) return e->type;
  // IANA protocol numbers.
  switch (protocol) {
    case 0: return LayerType::ipv6_hop_by_hop;
    case 1: return LayerType::icmpv4;
    case 2: return LayerType::igmp;
    case 4: return LayerType::ipv4;
    case 6: return LayerType::tcp;
    case 17: return LayerType::udp;
    case 47: return LayerType::gre;
    case 41: return LayerType::ipv6;
    case 43: return LayerType::ipv6_routing;
    case 44: return LayerType::ipv6_fragment;
    case 50: return LayerType::ipsec_esp;
    case 51: return LayerType::ipsec_ah;
    case 58: return LayerType::icmpv6;
    case 59: return LayerType::none;  // No Next Header
    case 60: return LayerType::ipv6_destination;
    case 132: return LayerType::sctp;
    default: return LayerType::payload;
  }
}

namespace {
LayerType builtin_port(PortProtocol proto, std::uint16_t port) noexcept {
  switch (port) {
    // 5353 mDNS (RFC 6762) and 5355 LLMNR (RFC 4795) use the DNS message format.
    // DNS over TCP has a 2-byte length prefix (RFC 1035 4.2.2) and may span segments: not yet.
    case 53: case 5353: case 5355: return proto == PortProtocol::udp ? LayerType::dns : LayerType::payload;
    case 67: case 68: return proto == PortProtocol::udp ? LayerType::dhcp : LayerType::payload;  // RFC 2131
    case 123: return proto == PortProtocol::udp ? LayerType::ntp : LayerType::payload;           // RFC 5905
    case 4789: return proto == PortProtocol::udp ? LayerType::vxlan : LayerType::payload;        // RFC 7348
    case 6081: return proto == PortProtocol::udp ? LayerType::geneve : LayerType::payload;       // RFC 8926
    default: return LayerType::payload;
  }
}
}  // namespace

LayerType Registry::port(PortProtocol proto, std::uint16_t src, std::uint16_t dst) const noexcept {
  if (!custom_.empty()) {
    const auto key = proto == PortProtocol::tcp ? CustomEntry::Key::tcp_port : CustomEntry::Key::udp_port;
    const auto* a = find(key, src < dst ? src : dst);
    if (a == nullptr) a = find(key, src < dst ? dst : src);
    if (a != nullptr) return a->type;
  }
  const auto lo = builtin_port(proto, src < dst ? src : dst);
  return lo != LayerType::payload ? lo : builtin_port(proto, src < dst ? dst : src);
}

}  // namespace pcapxx::layers
