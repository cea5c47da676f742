// Names, failure messages and address text forms shared by all layers.
#include <arpa/inet.h>

#include <fmt/format.h>

#include "pcapxx/layers/layer.hpp"

namespace pcapxx::layers {

std::string_view layer_name(LayerType type) noexcept {
  switch (type) {
    case LayerType::none: return "None";
    case LayerType::payload: return "Payload";
    case LayerType::raw_ip: return "RawIP";
    case LayerType::ethernet: return "Ethernet";
    case LayerType::dot1q: return "Dot1Q";
    case LayerType::arp: return "ARP";
    case LayerType::linux_sll: return "LinuxSLL";
    case LayerType::linux_sll2: return "LinuxSLL2";
    case LayerType::loopback: return "Loopback";
    case LayerType::ipv4: return "IPv4";
    case LayerType::ipv6: return "IPv6";
    case LayerType::ipv6_hop_by_hop: return "IPv6HopByHop";
    case LayerType::ipv6_routing: return "IPv6Routing";
    case LayerType::ipv6_fragment: return "IPv6Fragment";
    case LayerType::ipv6_destination: return "IPv6Destination";
    case LayerType::ipsec_ah: return "IPSecAH";
    case LayerType::ipsec_esp: return "IPSecESP";
    case LayerType::icmpv4: return "ICMPv4";
    case LayerType::icmpv6: return "ICMPv6";
    case LayerType::tcp: return "TCP";
    case LayerType::udp: return "UDP";
    case LayerType::dns: return "DNS";
    case LayerType::llc: return "LLC";
    case LayerType::snap: return "SNAP";
    case LayerType::mpls: return "MPLS";
    case LayerType::pppoe: return "PPPoE";
    case LayerType::ppp: return "PPP";
    case LayerType::igmp: return "IGMP";
    case LayerType::gre: return "GRE";
    case LayerType::vxlan: return "VXLAN";
    case LayerType::geneve: return "Geneve";
    case LayerType::sctp: return "SCTP";
    case LayerType::dhcp: return "DHCP";
    case LayerType::ntp: return "NTP";
    case LayerType::kFirstCustom: break;
  }
  return "Custom";
}

std::string DecodeFailure::message() const {
  return fmt::format("{} at offset {}: {} ({} bytes left)", layer_name(layer), offset, reason,
                     remaining.size());
}

std::string MacAddress::to_string() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2],
                     bytes[3], bytes[4], bytes[5]);
}

std::string Ipv4Address::to_string() const {
  return fmt::format("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]);
}

bool Ipv4Address::parse(std::string_view text, Ipv4Address& out) noexcept {
  char buf[INET_ADDRSTRLEN] = {};
  if (text.size() >= sizeof buf) return false;
  text.copy(buf, text.size());
  return inet_pton(AF_INET, buf, out.bytes.data()) == 1;
}

std::string Ipv6Address::to_string() const {
  std::uint16_t w[8];
  for (int i = 0; i < 8; ++i) w[i] = static_cast<std::uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  // RFC 5952 4.2: the longest run of two or more zero groups becomes "::", the first on a tie.
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (w[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  // RFC 5952 5: IPv4-mapped addresses end in dotted decimal.
  const bool mapped = best == 0 && best_len == 5 && w[5] == 0xffff;
  std::string s;
  for (int i = 0; i < (mapped ? 6 : 8); ++i) {
    if (i == best) {
      s += "::";
      i += best_len - 1;
      continue;
    }
    if (!s.empty() && s.back() != ':') s += ':';
    s += fmt::format("{:x}", w[i]);
  }
  if (mapped) s += fmt::format("{}.{}.{}.{}", bytes[12], bytes[13], bytes[14], bytes[15]);
  return s;
}

bool Ipv6Address::parse(std::string_view text, Ipv6Address& out) noexcept {
  char buf[INET6_ADDRSTRLEN] = {};
  if (text.size() >= sizeof buf) return false;
  text.copy(buf, text.size());
  return inet_pton(AF_INET6, buf, out.bytes.data()) == 1;
}

}  // namespace pcapxx::layers
