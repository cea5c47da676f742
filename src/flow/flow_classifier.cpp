// FlowClassifier: frame bytes to a FlowPacket with the fast parser. The flow is keyed by the
// last IP header the parser reaches (the inner one of IP-in-IP), the final destination of an
// IPv6 routing header, and the TCP/UDP header right after the IP extension headers.
#include <array>
#include <memory>
#include <vector>

#include "pcapxx/flow_table.hpp"
#include "pcapxx/layers/ethernet.hpp"
#include "pcapxx/layers/fast_parser.hpp"
#include "pcapxx/layers/linux_sll.hpp"
#include "pcapxx/layers/llc.hpp"
#include "pcapxx/layers/loopback.hpp"
#include "pcapxx/layers/mpls.hpp"
#include "pcapxx/layers/pppoe.hpp"
#include "pcapxx/layers/vlan.hpp"

namespace pcapxx {

namespace {

using namespace layers;

using Parser = FastParser<Ethernet, Dot1Q, LinuxSll, LinuxSll2, Loopback, Llc, Snap, Mpls, Pppoe, Ppp, Ipv4, Ipv6,
                          Ipv6HopByHop, Ipv6Routing, Ipv6Fragment, Ipv6Destination, IpsecAh, Tcp, Udp>;

// With a routing header still to be followed, the transport's end is the final destination, not
// the IPv6 destination (RFC 8200 section 8.1): the last address of type 0 (RFC 2460 4.4) and
// type 2 (RFC 6275 6.4) headers, segment 0 of a Segment Routing Header (type 4, RFC 8754 2).
void final_destination(const Ipv6Routing& rh, std::array<std::uint8_t, 16>& dst) noexcept {
  if (rh.segments_left == 0) return;
  const auto data = rh.type_data;  // after next header, length, type and segments left
  std::size_t at = 0;
  if (rh.routing_type == 0 || rh.routing_type == 2) {
    const std::size_t n = data.size() < 4 ? 0 : (data.size() - 4) / 16;
    if (n == 0) return;
    at = 4 + (n - 1) * 16;
  } else if (rh.routing_type == 4) {
    at = 4;
  } else {
    return;
  }
  if (data.size() < at + 16) return;
  for (std::size_t i = 0; i < 16; ++i) dst[i] = std::to_integer<std::uint8_t>(data[at + i]);
}

struct Entry {
  LinkType link;
  Parser parser;
};

}  // namespace

struct FlowClassifier::Parsers {
  std::vector<std::unique_ptr<Entry>> entries;
  Entry* last = nullptr;
  DecodedLayers decoded;

  Entry* for_link(LinkType link) {
    if (last != nullptr && last->link == link) return last;
    for (auto& e : entries)
      if (e->link == link) return last = e.get();
    const LayerType first = Registry::builtin().link_type(link);
    if (first == LayerType::none) return nullptr;
    entries.push_back(std::make_unique<Entry>(Entry{link, Parser(first)}));
    return last = entries.back().get();
  }
};

FlowClassifier::FlowClassifier() : parsers_(std::make_unique<Parsers>()) {}
FlowClassifier::~FlowClassifier() = default;
FlowClassifier::FlowClassifier(FlowClassifier&&) noexcept = default;
FlowClassifier& FlowClassifier::operator=(FlowClassifier&&) noexcept = default;

bool FlowClassifier::classify(const PacketView& packet, LinkType link, FlowPacket& out) {
  Entry* e = parsers_->for_link(link);
  if (e == nullptr) return false;
  Parser& parser = e->parser;
  DecodedLayers& decoded = parsers_->decoded;
  parser.decode(packet.data, decoded);

  // The last IP header, and what follows it.
  std::size_t ip_at = decoded.size;
  for (std::size_t i = decoded.size; i-- > 0;)
    if (decoded.types[i] == LayerType::ipv4 || decoded.types[i] == LayerType::ipv6) {
      ip_at = i;
      break;
    }
  if (ip_at == decoded.size) return false;

  FlowKey key;
  std::uint8_t protocol = 0;
  if (decoded.types[ip_at] == LayerType::ipv4) {
    key = FlowKey::of(parser.get<Ipv4>());
    protocol = parser.get<Ipv4>().protocol;
  } else {
    key = FlowKey::of(parser.get<Ipv6>());
    protocol = parser.get<Ipv6>().next_header;
  }
  out.has_ports = false;
  out.tcp_flags = 0;
  out.tcp_seq = 0;
  for (std::size_t i = ip_at + 1; i < decoded.size; ++i) {
    const LayerType t = decoded.types[i];
    if (t == LayerType::ipv6_hop_by_hop) protocol = parser.get<Ipv6HopByHop>().next_header;
    else if (t == LayerType::ipv6_destination) protocol = parser.get<Ipv6Destination>().next_header;
    else if (t == LayerType::ipv6_routing) {
      const Ipv6Routing& rh = parser.get<Ipv6Routing>();
      protocol = rh.next_header;
      final_destination(rh, key.dst);
    }
    else if (t == LayerType::ipv6_fragment) protocol = parser.get<Ipv6Fragment>().next_header;
    else if (t == LayerType::ipsec_ah) protocol = parser.get<IpsecAh>().next_header;
    else if (t == LayerType::tcp) {
      const Tcp& tcp = parser.get<Tcp>();
      key.src_port = tcp.src_port;
      key.dst_port = tcp.dst_port;
      protocol = 6;
      out.tcp_flags = tcp.flags;
      out.tcp_seq = tcp.seq;
      out.has_ports = true;
      break;
    } else if (t == LayerType::udp) {
      const Udp& udp = parser.get<Udp>();
      key.src_port = udp.src_port;
      key.dst_port = udp.dst_port;
      protocol = 17;
      out.has_ports = true;
      break;
    } else {
      break;
    }
  }
  key.protocol = protocol;
  out.key = key;

  out.vlan = 0;
  for (std::size_t i = ip_at; i-- > 0;)
    if (decoded.types[i] == LayerType::dot1q) {
      out.vlan = parser.get<Dot1Q>().vlan_id;
      break;
    }
  out.interface = packet.header.interface;
  out.ts = packet.header.ts;
  out.bytes = packet.header.origlen;
  return true;
}

}  // namespace pcapxx
