// pcapxx layers: which decoder handles which bytes. The built-in table maps link types,
// EtherTypes, IP protocol numbers and well-known ports to layer types; a Registry copy can add
// custom decoders (custom.hpp), which take precedence over the built-in ones.
#pragma once

#include <string>
#include <vector>

#include "pcapxx/error.hpp"
#include "pcapxx/layers/custom.hpp"
#include "pcapxx/layers/layer.hpp"
#include "pcapxx/linktype.hpp"

namespace pcapxx::layers {

/// Transport protocol of a port registration.
enum class PortProtocol : std::uint8_t { tcp, udp };

/// Maps protocol numbers to layer types.
class Registry {
 public:
  /// The built-in table, shared and immutable.
  static const Registry& builtin() noexcept;

  /// A registry with only the built-in decoders; add custom ones to it.
  Registry() = default;

  /// Registers a decoder for an EtherType; returns its new layer type.
  Result<LayerType> register_ethertype(std::uint16_t ethertype, std::string name, CustomDecoder decoder);
  /// Registers a decoder for an IP protocol number (IPv4 protocol / IPv6 next header).
  Result<LayerType> register_ip_protocol(std::uint8_t protocol, std::string name, CustomDecoder decoder);
  /// Registers a decoder for a TCP or UDP port (either source or destination).
  Result<LayerType> register_port(PortProtocol proto, std::uint16_t port, std::string name,
                                  CustomDecoder decoder);

  /// The first layer of a packet of this link type; none if unknown.
  [[nodiscard]] LayerType link_type(LinkType link) const noexcept;
  /// The layer for an EtherType (or payload for unknown ones / 802.3 lengths).
  [[nodiscard]] LayerType ethertype(std::uint16_t ethertype) const noexcept {
    return custom_.empty() ? builtin_ethertype(ethertype) : custom_ethertype(ethertype);
  }
  /// The layer for an IP protocol number (payload for unknown ones).
  [[nodiscard]] LayerType ip_protocol(std::uint8_t protocol) const noexcept {
    return custom_.empty() ? builtin_ip_protocol(protocol) : custom_ip_protocol(protocol);
  }
  /// The layer for a TCP/UDP segment between two ports; payload if no port is known. The
  /// lower-numbered of the two known ports wins, so both directions decode alike.
  [[nodiscard]] LayerType port(PortProtocol proto, std::uint16_t src, std::uint16_t dst) const noexcept {
    return custom_.empty() ? builtin_port_pair(proto, src, dst) : custom_port(proto, src, dst);
  }

  /// The built-in EtherType table alone (inline: the tables are on every packet's path).
  static LayerType builtin_ethertype(std::uint16_t ethertype) noexcept {
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
  /// The built-in IP protocol table alone.
  static LayerType builtin_ip_protocol(std::uint8_t protocol) noexcept {
    // IANA protocol numbers; the common ones first.
    if (protocol == 6) return LayerType::tcp;
    if (protocol == 17) return LayerType::udp;
    switch (protocol) {
      case 0: return LayerType::ipv6_hop_by_hop;
      case 1: return LayerType::icmpv4;
      case 2: return LayerType::igmp;
      case 4: return LayerType::ipv4;
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
  /// The built-in decoder of one TCP/UDP port alone.
  static LayerType builtin_port(PortProtocol proto, std::uint16_t port) noexcept {
    // Only UDP ports have built-in decoders; DNS over TCP (a 2-byte length prefix, RFC 1035
    // 4.2.2, segments to reassemble) is not decoded yet.
    if (proto != PortProtocol::udp) return LayerType::payload;
    switch (port) {
      // 5353 mDNS (RFC 6762) and 5355 LLMNR (RFC 4795) use the DNS message format.
      case 53: case 5353: case 5355: return LayerType::dns;
      case 67: case 68: return LayerType::dhcp;     // RFC 2131
      case 123: return LayerType::ntp;              // RFC 5905
      case 4789: return LayerType::vxlan;           // RFC 7348
      case 6081: return LayerType::geneve;          // RFC 8926
      default: return LayerType::payload;
    }
  }
  /// The built-in decoder of a segment between two ports (the lower known port wins).
  static LayerType builtin_port_pair(PortProtocol proto, std::uint16_t src, std::uint16_t dst) noexcept {
    if (proto != PortProtocol::udp) return LayerType::payload;
    const auto lo = builtin_port(proto, src < dst ? src : dst);
    return lo != LayerType::payload ? lo : builtin_port(proto, src < dst ? dst : src);
  }

  /// A registered decoder and its name, or nullptr.
  struct CustomEntry {
    enum class Key : std::uint8_t { ethertype, ip_protocol, tcp_port, udp_port };
    Key key;
    std::uint16_t value;
    LayerType type;
    std::string name;
    CustomDecoder decoder;
  };
  [[nodiscard]] const CustomEntry* custom(LayerType type) const noexcept;

 private:
  Result<LayerType> add(CustomEntry::Key key, std::uint16_t value, std::string name, CustomDecoder decoder);
  [[nodiscard]] const CustomEntry* find(CustomEntry::Key key, std::uint16_t value) const noexcept;
  [[nodiscard]] LayerType custom_ethertype(std::uint16_t ethertype) const noexcept;
  [[nodiscard]] LayerType custom_ip_protocol(std::uint8_t protocol) const noexcept;
  [[nodiscard]] LayerType custom_port(PortProtocol proto, std::uint16_t src, std::uint16_t dst) const noexcept;
  std::vector<CustomEntry> custom_;
};

}  // namespace pcapxx::layers
