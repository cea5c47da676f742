// See dispatch.hpp.
#include "dispatch.hpp"

namespace pxdump::printers::testing {

namespace {

using namespace pcapxx::layers;

std::span<const std::byte> from(const Packet& packet, std::span<const std::byte> start) {
  const auto all = packet.data();
  const auto off = static_cast<std::size_t>(start.data() - all.data());
  return all.subspan(off);
}

}  // namespace

std::optional<Printed> print_part_b(const Packet& packet, const PrintFlags& flags) {
  fmt::memory_buffer buf;
  Out out{buf, flags};
  const Names names;
  std::optional<Result> result;
  std::string_view protocol;
  const auto layers = packet.layers();
  IpHeader ip;
  std::uint32_t ip_left = 0;  // IP payload length left at this layer
  for (std::size_t i = 0; i < layers.size() && !result; ++i) {
    const Layer& l = layers[i];
    if (const auto* p = l.as<Pppoe>()) {
      result = print_pppoe(out, from(packet, p->contents), static_cast<std::uint32_t>(p->contents.size() + p->payload.size())), protocol = "pppoe";
    } else if (const auto* v4 = l.as<Ipv4>()) {
      ip = IpHeader{v4->contents.data(), nullptr, (v4->flags & Ipv4::kMoreFragments) != 0 || v4->fragment_offset != 0};
      ip_left = v4->total_length > v4->header_length() ? v4->total_length - static_cast<std::uint32_t>(v4->header_length()) : 0;
      if (v4->fragment_offset != 0 || v4->total_length < v4->header_length()) return std::nullopt;  // tcpdump: "bad-len"
      const auto body = v4->payload;
      switch (v4->protocol) {
        case 1: result = print_icmp(out, names, body, ip_left, ip), protocol = "icmp"; break;
        case 2: result = print_igmp(out, names, body, ip_left), protocol = "igmp"; break;
        case 47: result = print_gre(out, names, body, ip_left), protocol = "gre"; break;
        case 132: result = print_sctp(out, names, body, ip_left, ip), protocol = "sctp"; break;
        default: break;
      }
    } else if (const auto* v6 = l.as<Ipv6>()) {
      ip = IpHeader{nullptr, v6->contents.data(), false};
      ip_left = v6->payload_length;
      // Walk extension headers by their layers; the upper protocol follows the last one.
      std::uint8_t next = v6->next_header;
      std::size_t j = i + 1;
      std::span<const std::byte> body = v6->payload;
      for (; j < layers.size(); ++j) {
        const Layer& e = layers[j];
        std::uint8_t nh = 0;
        if (const auto* h = e.as<Ipv6HopByHop>()) nh = h->next_header;
        else if (const auto* d = e.as<Ipv6Destination>()) nh = d->next_header;
        else if (const auto* r = e.as<Ipv6Routing>()) {
          nh = r->next_header;
          const std::size_t n = r->type_data.size() >= 4 ? (r->type_data.size() - 4) / 16 : 0;
          if ((r->routing_type == 0 || r->routing_type == 2) && r->segments_left > 0 && n > 0)
            ip.ip6_final_dst = r->type_data.data() + 4 + 16 * (n - 1);
        }
        else if (const auto* f = e.as<Ipv6Fragment>()) { nh = f->next_header; ip.fragmented = true; if (f->fragment_offset != 0) return std::nullopt; }
        else break;
        ip_left -= std::min<std::uint32_t>(ip_left, static_cast<std::uint32_t>(e.contents().size()));
        next = nh;
        body = e.payload();
      }
      switch (next) {
        case 58: result = print_icmp6(out, names, body, ip_left, ip), protocol = "icmp6"; break;
        case 47: result = print_gre(out, names, body, ip_left), protocol = "gre"; break;
        case 132: result = print_sctp(out, names, body, ip_left, ip), protocol = "sctp"; break;
        default: break;
      }
      i = j - 1;
    } else if (const auto* u = l.as<Udp>()) {
      const auto body = u->payload;
      const std::uint32_t len = u->length >= 8 ? u->length - 8u : 0;
      auto is = [&](std::uint16_t port) { return u->src_port == port || u->dst_port == port; };
      if (is(53)) result = print_dns(out, names, body, len, false), protocol = "dns";
      else if (is(5353)) result = print_dns(out, names, body, len, true), protocol = "mdns";
      else if (is(67) || is(68)) result = print_bootp(out, names, body, len), protocol = "bootp";
      else if (is(123)) result = print_ntp(out, names, body, len), protocol = "ntp";
      else if (u->dst_port == 4789) result = print_vxlan(out, body, len), protocol = "vxlan";
      else if (u->dst_port == 6081) result = print_geneve(out, body, len), protocol = "geneve";
      else return std::nullopt;
    } else if (l.as<Tcp>() != nullptr || l.as<Icmpv4>() != nullptr || l.as<Icmpv6>() != nullptr) {
      return std::nullopt;
    }
  }
  if (!result) return std::nullopt;
  if (result->then == Result::Then::inner) buf.push_back(kInner);
  return Printed{fmt::to_string(buf), protocol};
}

bool matches(std::string_view tcpdump, std::string_view ours) {
  // Split ours at the markers: the first piece must start at a word boundary, the pieces must
  // appear in order, and the last must end tcpdump's text.
  std::size_t from = std::string_view::npos;
  std::size_t pos = 0;
  for (std::size_t piece = 0;; ++piece) {
    const std::size_t cut = ours.find(kInner, pos);
    const std::string_view part = ours.substr(pos, cut == std::string_view::npos ? std::string_view::npos : cut - pos);
    if (piece == 0) {
      if (cut == std::string_view::npos) {
        if (!tcpdump.ends_with(part)) return false;
        from = tcpdump.size() - part.size();
      } else {
        from = tcpdump.find(part);
        if (from == std::string_view::npos) return false;
      }
      if (part.empty() || (from != 0 && tcpdump[from - 1] != ' ' && tcpdump[from - 1] != '\n' && tcpdump[from - 1] != '\t'))
        return false;
      from += part.size();
    } else if (cut == std::string_view::npos) {
      if (!tcpdump.ends_with(part) || tcpdump.size() - part.size() < from) return false;
    } else {
      const std::size_t at = tcpdump.find(part, from);
      if (at == std::string_view::npos) return false;
      from = at + part.size();
    }
    if (cut == std::string_view::npos) return true;
    pos = cut + 1;
  }
}

}  // namespace pxdump::printers::testing
