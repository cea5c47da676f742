#include "printers/packet_printer.hpp"

#include <net/if.h>

#include "printers/core.hpp"
#include "printers/names.hpp"
#include "printers/tcp_state.hpp"
#include "printers/timestamp.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

struct PacketPrinter::State {
  explicit State(const PrintOptions& o)
      : options(o), resolver(o.flags.numeric), time(o.timestamp_mode, o.nanosecond) {}
  PrintOptions options;
  Resolver resolver;
  TimestampPrinter time;
  TcpSequenceTable tcp;
  pcapxx::layers::Packet packet;
  pcapxx::LinkType cached_link{-1};
  LayerType first = LayerType::none;
};

PacketPrinter::PacketPrinter(const PrintOptions& options) : state_(std::make_unique<State>(options)) {}
PacketPrinter::~PacketPrinter() = default;

std::size_t index_of(const Context& ctx, const Layer& layer) {
  return static_cast<std::size_t>(&layer - ctx.layers.data());
}

namespace {

/// Where the layer at index starts in the packet's bytes.
std::span<const std::byte> bytes_from(const Context& ctx, std::size_t index) {
  const auto data = ctx.packet.data();
  if (index < ctx.layers.size()) return data.subspan(ctx.layers[index].offset);
  if (const auto* f = ctx.packet.error()) return f->remaining;
  return {};
}

/// Hands a part B printer's request for an inner packet to the walk.
void follow(Context& ctx, const Result& r) {
  if (r.then != Result::Then::inner || r.next == LayerType::none) return;
  print_bytes_as(ctx, r.next, r.inner, r.inner_length);
  if (r.after != nullptr) r.after(ctx.out, r.after_bytes, r.after_length);
}

IpHeader ip_header(const Context& ctx) {
  IpHeader h;
  if (ctx.ip4 != nullptr) h.ip4 = ctx.ip4->contents.data();
  if (ctx.ip6 != nullptr) h.ip6 = ctx.ip6->contents.data();
  h.fragmented = ctx.fragmented;
  h.ip6_final_dst = ctx.ip6_final_destination;
  return h;
}

/// The protocol name tcpdump 4.99 puts in its truncation marker for a layer it could not read
/// ("[|ether]"): the ndo_protocol each of its printers sets.
std::string_view truncation_name(LayerType type) {
  switch (type) {
    case LayerType::ethernet: return "ether";
    case LayerType::dot1q: return "vlan";
    case LayerType::arp: return "arp";
    case LayerType::linux_sll: return "sll";
    case LayerType::linux_sll2: return "sll2";
    case LayerType::loopback: return "null";
    case LayerType::ipv4: return "ip";
    case LayerType::ipv6: return "ip6";
    case LayerType::ipv6_hop_by_hop: return "hbhopt";
    case LayerType::ipv6_destination: return "dstopt";
    case LayerType::ipv6_routing: return "rt6";
    case LayerType::ipv6_fragment: return "frag6";
    case LayerType::ipsec_ah: return "ah";
    case LayerType::ipsec_esp: return "esp";
    case LayerType::icmpv4: return "icmp";
    case LayerType::icmpv6: return "icmp6";
    case LayerType::tcp: return "tcp";
    case LayerType::udp: return "udp";
    case LayerType::dns: return "domain";
    case LayerType::llc: return "llc";
    case LayerType::snap: return "snap";
    case LayerType::mpls: return "mpls";
    case LayerType::pppoe: return "pppoe";
    case LayerType::ppp: return "ppp";
    case LayerType::igmp: return "igmp";
    case LayerType::gre: return "gre";
    case LayerType::vxlan: return "vxlan";
    case LayerType::geneve: return "geneve";
    case LayerType::sctp: return "sctp";
    case LayerType::dhcp: return "bootp";
    case LayerType::ntp: return "ntp";
    default: return layer_name(type);
  }
}

/// An IPv4 header the decode refused at its start, as tcpdump's ip_print shows it: a version
/// other than 4, or a header cut before its fixed part ends ("IP " once the version is read).
/// false for other layers and for other refusals.
bool print_cut_start(Context& ctx, LayerType type, std::span<const std::byte> bytes) {
  Out& out = ctx.out;
  if (type != LayerType::ipv4) return false;
  if (bytes.empty()) {
    out.truncated("ip");
    return true;
  }
  if (const unsigned version = std::to_integer<unsigned>(bytes[0]) >> 4; version != 4) {
    if (version == 6) out.put("IP6, wrong link-layer encapsulation (invalid)");
    else out.put("IP{} (invalid)", version);
    return true;
  }
  if (bytes.size() >= 20) return false;
  if (!out.flags.link_header) out.put("IP ");
  out.truncated("ip");
  return true;
}

}  // namespace

void print_bytes_as(Context& ctx, LayerType type, std::span<const std::byte> bytes, std::uint32_t length) {
  Out& out = ctx.out;
  const Names& names = ctx.names;
  switch (type) {
    case LayerType::tcp: return print_tcp_failed(ctx, bytes, length);
    case LayerType::udp: return print_udp_failed(ctx, bytes, length);
    case LayerType::icmpv4:
      return follow(ctx, print_icmp(out, names, bytes, length, ip_header(ctx)));
    case LayerType::icmpv6:
      return follow(ctx, print_icmp6(out, names, bytes, length, ip_header(ctx)));
    case LayerType::igmp:
      return follow(ctx, print_igmp(out, names, bytes, length));
    case LayerType::gre:
      return follow(ctx, print_gre(out, names, bytes, length));
    case LayerType::sctp:
      return follow(ctx, print_sctp(out, names, bytes, length, ip_header(ctx)));
    case LayerType::dns: {
      // mDNS (RFC 6762) when the UDP ports say 5353 and not 53, as tcpdump's udp dispatch does.
      // LLMNR (5355) decodes as DNS but tcpdump prints it as plain UDP.
      bool mdns = false;
      for (auto it = ctx.layers.rbegin(); it != ctx.layers.rend(); ++it) {
        if (const auto* u = it->as<Udp>()) {
          const bool dns = u->src_port == 53 || u->dst_port == 53;
          mdns = !dns && (u->src_port == 5353 || u->dst_port == 5353);
          if (!dns && !mdns) {
            out.put("UDP, length {}", length);
            return;
          }
          break;
        }
      }
      return follow(ctx, print_dns(out, names, bytes, length, mdns));
    }
    case LayerType::dhcp:
      return follow(ctx, print_bootp(out, names, bytes, length));
    case LayerType::ntp:
      return follow(ctx, print_ntp(out, names, bytes, length));
    case LayerType::vxlan:
      return follow(ctx, print_vxlan(out, bytes, length));
    case LayerType::geneve:
      return follow(ctx, print_geneve(out, bytes, length));
    case LayerType::pppoe:
      return follow(ctx, print_pppoe(out, bytes, length));
    default: break;
  }
  if (type == LayerType::ipv4 && print_ipv4_cut_options(ctx, bytes, length)) return;
  if (print_cut_start(ctx, type, bytes)) return;
  // A layer our decode does not reach as a layer: decode it on its own and walk it.
  if (type == LayerType::ethernet || type == LayerType::ipv4 || type == LayerType::ipv6 ||
      type == LayerType::raw_ip || type == LayerType::ppp || type == LayerType::mpls) {
    // Inner packets get a Context of their own over their own decode (tunnels).
    PooledPacket pooled;
    pcapxx::layers::Packet* inner = ctx.depth < 8 ? pooled.get() : nullptr;
    if (inner != nullptr) inner->assign(bytes, type);
    if (inner == nullptr || inner->layers().empty()) {
      // It fails right at its start: tcpdump's truncation marker, not another walk.
      out.truncated(truncation_name(type));
      return;
    }
    Context sub{ctx.out, ctx.resolver, ctx.names, ctx.tcp_state, *inner, inner->layers(),
                static_cast<std::uint32_t>(bytes.size()), length};
    sub.link_done = true;
    sub.depth = ctx.depth + 1;
    print_from(sub, 0, length);
    return;
  }
  out.truncated(truncation_name(type));
}

void print_from(Context& ctx, std::size_t index, std::uint32_t length) {
  if (index >= ctx.layers.size()) {
    const DecodeFailure* f = ctx.packet.error();
    if (f == nullptr) return;
    // The failed layer starts where the decoded ones end.
    print_bytes_as(ctx, f->layer, f->remaining, length);
    return;
  }
  const Layer& l = ctx.layers[index];
  switch (l.type()) {
    case LayerType::ethernet: return print_ethernet(ctx, index, length);
    case LayerType::dot1q: return print_dot1q(ctx, index, length);
    case LayerType::mpls: return print_mpls(ctx, index, length);
    case LayerType::linux_sll: return print_linux_sll(ctx, index, length);
    case LayerType::linux_sll2: return print_linux_sll2(ctx, index, length);
    case LayerType::loopback: return print_loopback(ctx, index, length);
    case LayerType::arp: return print_arp(ctx, index, length);
    case LayerType::ipv4: return print_ipv4(ctx, index, length);
    case LayerType::ipv6: return print_ipv6(ctx, index, length);
    case LayerType::tcp: return print_tcp(ctx, index, length);
    case LayerType::udp: return print_udp(ctx, index, length);
    default: break;
  }
  auto bytes = bytes_from(ctx, index);
  print_bytes_as(ctx, l.type(), bytes, length);
}

void PacketPrinter::print(fmt::memory_buffer& line, const pcapxx::PacketView& p, pcapxx::LinkType link,
                          std::uint64_t number) {
  State& s = *state_;
  if (!(link == s.cached_link)) {
    s.cached_link = link;
    s.first = Registry::builtin().link_type(link);
  }
  if (s.options.packet_number) fmt::format_to(std::back_inserter(line), "{:5}  ", number);
  s.time.append(line, p.header.ts);
  Out out{line, s.options.flags};
  s.packet.assign(p.data, s.first);
  Context ctx{out, s.resolver, s.resolver.names(), s.tcp, s.packet, s.packet.layers(), p.header.caplen,
              p.header.origlen};
  if (s.first == LayerType::none) {
    out.put("[|unsupported link-type {}]", link.dlt);
  } else {
    print_from(ctx, 0, p.header.origlen);
  }
  // The dumps start after the link header unless doubled (-xx, -XX, -AA).
  const auto& o = s.options;
  auto all = p.data;
  const std::size_t skip = std::min<std::size_t>(ctx.link_header_length, all.size());
  if (o.hex_ascii > 0) hex_dump(out, o.hex_ascii > 1 ? all : all.subspan(skip), true);
  else if (o.hex > 0) hex_only_dump(out, o.hex > 1 ? all : all.subspan(skip));
  else if (o.ascii > 0) ascii_dump(out, o.ascii > 1 ? all : all.subspan(skip));
  line.push_back('\n');
}

}  // namespace pxdump::printers
