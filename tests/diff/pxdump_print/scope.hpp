// Which packets the pxdump print test holds to byte-identity with tcpdump: those whose every
// decoded layer is a protocol of issue 9's list whose printer exists. Part B extends kInScope
// when its printers land (flip `ready`). Decided from our own decoded layers, never from the
// oracle's text.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "pcapxx/decode.hpp"

namespace pcapxx::test {

struct ScopeEntry {
  layers::LayerType type;
  bool ready;  ///< its printer exists: differences fail the test
};

inline constexpr ScopeEntry kInScope[] = {
    // Part A (link, network, transport).
    {layers::LayerType::ethernet, true},
    {layers::LayerType::dot1q, true},
    {layers::LayerType::mpls, true},
    {layers::LayerType::arp, true},
    {layers::LayerType::linux_sll, true},
    {layers::LayerType::linux_sll2, true},
    {layers::LayerType::loopback, true},
    {layers::LayerType::ipv4, true},
    {layers::LayerType::ipv6, true},
    {layers::LayerType::ipv6_hop_by_hop, true},
    {layers::LayerType::ipv6_routing, true},
    {layers::LayerType::ipv6_fragment, true},
    {layers::LayerType::ipv6_destination, true},
    {layers::LayerType::tcp, true},
    {layers::LayerType::udp, true},
    // Part B: set ready when the printer is in (tools/pxdump/printers/protocols.hpp).
    {layers::LayerType::icmpv4, true},
    {layers::LayerType::icmpv6, true},
    {layers::LayerType::igmp, true},
    {layers::LayerType::sctp, true},
    {layers::LayerType::gre, true},
    {layers::LayerType::vxlan, true},
    {layers::LayerType::geneve, true},
    {layers::LayerType::pppoe, true},
    {layers::LayerType::ppp, false},
    {layers::LayerType::dns, true},
    {layers::LayerType::dhcp, true},
    {layers::LayerType::ntp, true},
};

inline bool layer_in_scope(layers::LayerType t) {
  for (const auto& e : kInScope)
    if (e.type == t) return e.ready;
  return false;
}

/// Ports on which tcpdump 4.99 runs an application printer we do not have (HTTP, SMB, SNMP,
/// NFS, QUIC...): TCP/UDP data on them prints more than the generic text. All ports below
/// 1024 count (tcpdump dissects most of them); above, the ones tcpdump's tcp.c/udp.c dispatch on.
inline bool tcpdump_dissects_port(std::uint16_t port, bool udp) {
  // TCP 443: tcpdump prints no TLS; TCP 53: DNS over TCP, which pxdump prints (tcp.cpp).
  if (port < 1024) return !(port == 443 && !udp) && !(port == 53 && !udp);
  switch (port) {
    case 1080: case 1645: case 1646: case 1701: case 1723: case 1812: case 1813: case 1900: case 2049:
    case 2152: case 2123: case 3128: case 3260: case 3503: case 3784: case 3785: case 4341: case 4342:
    case 4500: case 4789: case 5060: case 5061: case 5353: case 5355: case 5246: case 5247:
    case 5540: case 5555: case 5556: case 5619: case 6081: case 6633: case 6653: case 6696: case 6697:
    case 7777: case 8000: case 8080: case 8472: case 9000: case 9001: case 9100: case 11211: case 19523:
    case 20000: case 46000: case 6514: case 5004: case 5005: case 2000: case 1234: case 8443: case 4443:
    case 30490: case 30491: case 3306: case 4730: case 4731: case 4796: case 6343: case 6379:
      return true;
    default: return false;
  }
}

/// "Ethernet/IPv4/TCP" and whether the packet is in scope.
struct Classified {
  std::string signature;
  bool in_scope = true;
};

inline Classified classify(const layers::Packet& pkt, bool supported_link) {
  Classified c;
  c.in_scope = supported_link;
  const auto ls = pkt.layers();
  for (std::size_t i = 0; i < ls.size(); ++i) {
    const auto t = ls[i].type();
    if (!c.signature.empty()) c.signature += '/';
    c.signature += std::string(ls[i].name());
    if (t == layers::LayerType::payload) {
      // Undecoded bytes: in scope where tcpdump prints only generic text for them.
      const auto* prev = i > 0 ? &ls[i - 1] : nullptr;
      if (prev == nullptr) { c.in_scope = false; continue; }
      if (const auto* tcp = prev->as<layers::Tcp>()) {
        if (tcpdump_dissects_port(tcp->src_port, false) || tcpdump_dissects_port(tcp->dst_port, false))
          c.in_scope = false;
      } else if (const auto* udp = prev->as<layers::Udp>()) {
        if (tcpdump_dissects_port(udp->src_port, true) || tcpdump_dissects_port(udp->dst_port, true))
          c.in_scope = false;
      } else if (prev->as<layers::Icmpv4>() != nullptr || prev->as<layers::Icmpv6>() != nullptr) {
        // echo data and the like: tcpdump prints nothing of it
      } else if (const auto* ip = prev->as<layers::Ipv4>(); ip != nullptr && ip->fragment_offset != 0) {
        // a later fragment: in scope
      } else if (const auto* f = prev->as<layers::Ipv6Fragment>(); f != nullptr && f->fragment_offset != 0) {
        // a later fragment: in scope
      } else {
        c.in_scope = false;
      }
      continue;
    }
    if (!layer_in_scope(t)) c.in_scope = false;
    // SCTP DATA payloads tcpdump dissects at -vv (M3UA and other PPIDs) are other protocols.
    if (const auto* s = ls[i].as<layers::Sctp>()) {
      layers::SctpChunkReader chunks(s->chunks);
      for (layers::SctpChunk ch; chunks.next(ch);)
        if (ch.type == 0 && ch.value.size() >= 12 && ch.value[11] != std::byte{0}) c.in_scope = false;
    }
    if (const auto* e = ls[i].as<layers::Ethernet>(); e != nullptr && e->is_802_3_length()) c.in_scope = false;
  }
  if (const auto* f = pkt.error()) {
    // A failed layer of a protocol in scope prints tcpdump's marker: in scope too.
    c.signature += (c.signature.empty() ? "" : "/") + std::string("!") + std::string(layers::layer_name(f->layer));
    if (!layer_in_scope(f->layer)) c.in_scope = false;
  }
  if (ls.empty() && pkt.error() == nullptr) c.in_scope = false;
  return c;
}

}  // namespace pcapxx::test
