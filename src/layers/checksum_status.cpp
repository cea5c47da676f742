// Verifying IPv4, TCP, UDP, ICMPv4 and ICMPv6 checksums of a decoded packet.
#include "pcapxx/layers/checksum_status.hpp"

#include <cstring>

#include "layers/checksum.hpp"
#include "pcapxx/decode.hpp"

namespace pcapxx::layers {

using namespace detail;

namespace {

// The enclosing IP header of a transport layer and the length it declares for it.
struct Enclosing {
  SerializeContext ip;           // for pseudo_header_sum
  Ipv6 final_ipv6;               // the IPv6 header with the routing header's final destination
  std::size_t declared = 0;      // bytes of the upper-layer packet the IP header announces
  bool fragment = false;         // part of a fragmented datagram: not verifiable alone
  const Ipv6Routing* routing = nullptr;
};

// The final destination a routing header names (RFC 8200 8.1), if it names one we know.
bool final_destination(const Ipv6Routing& r, Ipv6Address& out) {
  const auto d = r.type_data;
  switch (r.routing_type) {
    case 0:  // RFC 2460 (deprecated): 4 reserved bytes, then the addresses; the last is final
      if (d.size() < 4 + 16 || (d.size() - 4) % 16 != 0) return false;
      std::memcpy(out.bytes.data(), d.data() + d.size() - 16, 16);
      return true;
    case 2:  // RFC 6275 6.4: 4 reserved bytes, then the home address
    case 4:  // RFC 8754 2: last entry, flags, tag, then Segment List[0], the final segment
      if (d.size() < 4 + 16) return false;
      std::memcpy(out.bytes.data(), d.data() + 4, 16);
      return true;
    default:
      return false;
  }
}

bool find_enclosing(std::span<const Layer> layers, std::size_t index, Enclosing& out) {
  std::size_t ext_bytes = 0;  // IPv6 extension headers between the IPv6 header and the layer
  for (std::size_t i = index; i-- > 0;) {
    const Layer& l = layers[i];
    if (const auto* ip = l.as<Ipv4>()) {
      out.ip.ipv4 = ip;
      out.fragment = (ip->flags & Ipv4::kMoreFragments) != 0 || ip->fragment_offset != 0;
      const std::size_t total = ip->total_length != 0 ? ip->total_length : ip->contents.size() + ip->payload.size();
      if (total < ip->header_length()) return false;
      out.declared = total - ip->header_length();
      return true;
    }
    if (const auto* ip6 = l.as<Ipv6>()) {
      out.ip.ipv6 = ip6;
      out.ip.ipv6_nearer = true;
      if (out.routing != nullptr && out.routing->segments_left != 0) {
        out.final_ipv6 = *ip6;
        if (!final_destination(*out.routing, out.final_ipv6.dst)) return false;
        out.ip.ipv6 = &out.final_ipv6;
      }
      if (ip6->payload_length < ext_bytes) return false;
      out.declared = ip6->payload_length - ext_bytes;
      return true;
    }
    switch (l.type()) {
      case LayerType::ipv6_hop_by_hop:
      case LayerType::ipv6_destination:
      case LayerType::ipsec_ah:
        ext_bytes += l.contents().size();
        break;
      case LayerType::ipv6_routing:
        ext_bytes += l.contents().size();
        out.routing = l.as<Ipv6Routing>();
        break;
      case LayerType::ipv6_fragment:
        ext_bytes += l.contents().size();
        out.fragment = true;
        break;
      default:
        return false;  // something else in between (a tunnel header): not the enclosing IP
    }
  }
  return false;
}

}  // namespace

ChecksumStatus checksum_status(const Packet& pkt, const Layer& layer) noexcept {
  const auto layers = pkt.layers();
  std::size_t index = 0;
  while (index < layers.size() && &layers[index] != &layer) ++index;
  if (index == layers.size()) return ChecksumStatus::unverified;
  if (const auto* ip = layer.as<Ipv4>()) {
    if (ip->contents.size() < ip->header_length()) return ChecksumStatus::unverified;
    return ip->checksum_ok() ? ChecksumStatus::good : ChecksumStatus::bad;
  }
  std::uint8_t protocol = 0;
  switch (layer.type()) {
    case LayerType::tcp: protocol = 6; break;
    case LayerType::udp: protocol = 17; break;
    case LayerType::icmpv4: protocol = 1; break;
    case LayerType::icmpv6: protocol = 58; break;
    default: return ChecksumStatus::unverified;
  }
  // An ICMP message inside the copy of a packet an ICMP error carries is not verified (as
  // Wireshark does); a TCP or UDP segment there is, when it was copied whole.
  if (protocol == 1 || protocol == 58)
    for (std::size_t i = 0; i < index; ++i)
      if (layers[i].type() == LayerType::icmpv4 || layers[i].type() == LayerType::icmpv6)
        return ChecksumStatus::unverified;
  Enclosing enc;
  if (!find_enclosing(layers, index, enc) || enc.fragment) return ChecksumStatus::unverified;
  std::size_t length = enc.declared;
  if (const auto* udp = layer.as<Udp>()) {
    // RFC 768: zero means the sender computed none (not allowed over IPv6, RFC 8200 8.1).
    if (udp->checksum == 0) return enc.ip.ipv6 == nullptr ? ChecksumStatus::not_present : ChecksumStatus::bad;
    if (udp->length < Udp::kHeaderLength || udp->length > length) return ChecksumStatus::unverified;
    length = udp->length;
  }
  const auto data = pkt.data();
  if (layer.offset > data.size() || data.size() - layer.offset < length) return ChecksumStatus::unverified;
  const auto bytes = data.subspan(layer.offset, length);
  std::uint64_t sum = checksum_add(bytes, 0);
  if (protocol != 1) sum += pseudo_header_sum(enc.ip, protocol, static_cast<std::uint32_t>(length));
  return checksum_finish(sum) == 0 ? ChecksumStatus::good : ChecksumStatus::bad;
}

}  // namespace pcapxx::layers
