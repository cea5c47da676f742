// IPv6 (RFC 8200) and its extension headers, as tcpdump 4.99 prints them: "IP6 " (not with -e),
// with -v "(class, flowlabel, hlim, next-header, payload length) ", then "src > dst: " unless the
// transport follows the fixed header directly (it prints the addresses with its ports), then
// "HBH ", "DSTOPT ", "RT6 (...) ", "frag (...) " per extension header.
#include <algorithm>
#include <array>
#include <optional>

#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

namespace {

void print_ext_options(Context& ctx, const Ipv6OptionsHeader& h) {
  if (ctx.out.flags.verbose == 0) return;
  Out& out = ctx.out;
  OptionReader r = h.option_reader();
  for (Option o; r.next(o);) {
    switch (o.kind) {
      case 0: out.put("(pad1)"); break;
      case 1: out.put("(padn)"); break;
      case 5:
        if (o.data.size() == 2)
          out.put("(rtalert: 0x{:04x}) ", std::to_integer<unsigned>(o.data[0]) << 8 | std::to_integer<unsigned>(o.data[1]));
        else out.put("(rtalert: invalid len {})", o.data.size());
        break;
      default: out.put("(opt_type 0x{:02x}: len={})", o.kind, o.data.size()); break;
    }
  }
  out.put(" ");
}

/// The layers after those of `at`, decoded into `more` from where the decode stopped at its layer
/// limit (Packet::kMaxLayers): tcpdump follows a chain of extension headers of any length.
/// nullptr when `at` ended for another reason (or the pool is used up: the chain stays cut).
pcapxx::layers::Packet* continue_decode(const Context& at, PooledPacket& more) {
  const pcapxx::layers::DecodeFailure* f = at.packet.error();
  if (f == nullptr || f->reason != "too many layers" || f->remaining.empty()) return nullptr;
  pcapxx::layers::Packet* packet = more.get();
  if (packet == nullptr) return nullptr;
  // The failure views the original bytes, not the packet being reassigned.
  const auto type = f->layer;
  const auto bytes = f->remaining;
  packet->assign(bytes, type);
  return packet->layers().empty() ? nullptr : packet;
}

std::uint32_t be_at(std::span<const std::byte> b, std::size_t at, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < n; ++k) v = v << 8 | std::to_integer<std::uint32_t>(b[at + k]);
  return v;
}

/// A routing header the decode refused (cut, or a type it does not take), as tcpdump's rt6_print
/// shows it: the fields it could read, then its marker.
void print_cut_routing(Context& ctx, std::span<const std::byte> b) {
  Out& out = ctx.out;
  // ip6_print checks the header's first byte before rt6_print runs.
  if (b.empty()) return out.truncated("ip6");
  out.put("RT6");
  if (b.size() < 2) return out.truncated("rt6");
  const unsigned len = be_at(b, 1, 1);
  out.put(" (len={}", len);
  if (b.size() < 3) return out.truncated("rt6");
  const unsigned type = be_at(b, 2, 1);
  out.put(", type={}{}", type, type == 0 ? " [Deprecated]" : "");
  if (b.size() < 4) return out.truncated("rt6");
  out.put(", segleft={}", be_at(b, 3, 1));
  if (type == 0 || type == 2) {
    // RFC 2460 4.4, RFC 6275 6.4: 4 reserved bytes, then 16-byte addresses.
    if (out.flags.verbose > 0) {
      if (b.size() < 8) return out.truncated("rt6");
      out.put(", rsv=0x{:x}", be_at(b, 4, 4));
    }
    for (std::size_t at = 8, n = 0; n < len / 2; at += 16, ++n) {
      if (b.size() < at + 16) return out.truncated("rt6");
      out.put(", [{}]", n);
      ctx.resolver.ipv6(out, b.data() + at);
    }
  }
  out.truncated("rt6");
}

/// A fragment header the capture cuts: tcpdump's frag6_print shows the offset once it has two
/// bytes of it (the identification too at -v) and stops there.
void print_cut_fragment(Context& ctx, std::span<const std::byte> b, std::uint32_t rest) {
  Out& out = ctx.out;
  if (b.size() < (out.flags.verbose > 0 ? 8u : 4u)) return out.truncated("frag6");
  const std::uint32_t off = be_at(b, 2, 2) & 0xfff8;
  const std::uint32_t flen = rest >= 8 ? rest - 8 : 0;
  if (out.flags.verbose > 0) out.put("frag (0x{:08x}:{}|{})", be_at(b, 4, 4), off, flen);
  else out.put("frag ({}|{})", off, flen);
  if (off == 0) out.put(" ");
}

}  // namespace

void print_ipv6(Context& ctx, std::size_t index, std::uint32_t length) {
  const Layer& layer = ctx.layers[index];
  const auto& ip = *layer.as<Ipv6>();
  Out& out = ctx.out;
  if (index == 0 && !ctx.link_done && out.flags.link_header) out.put("ip: ");
  ctx.link_done = true;
  if (!out.flags.link_header) out.put("IP6 ");
  std::uint32_t len = ip.payload_length;
  const std::uint32_t avail = length >= 40 ? length - 40 : 0;
  if (len > avail) {
    out.put("truncated-ip6 - {} bytes missing!", len - avail);
    len = avail;
  }
  if (out.flags.verbose > 0) {
    out.put("(");
    if (ip.traffic_class != 0) out.put("class 0x{:02x}, ", ip.traffic_class);
    if (ip.flow_label != 0) out.put("flowlabel 0x{:05x}, ", ip.flow_label);
    const auto name = ip_protocol_name(ip.next_header);
    out.put("hlim {}, next-header {} ({}) payload length: {}) ", ip.hop_limit,
            name.empty() ? std::string_view("unknown") : name, ip.next_header, ip.payload_length);
  }
  const auto* saved4 = ctx.ip4;
  const auto* saved6 = ctx.ip6;
  const auto* saved_destination = ctx.ip6_final_destination;
  ctx.ip4 = nullptr;
  ctx.ip6 = &ip;
  ctx.ip_layer = &layer;
  ctx.fragmented = false;
  ctx.ip6_next_header = ip.next_header;
  ctx.ip6_final_destination = nullptr;
  const bool transport_prints = ip.next_header == 6 || ip.next_header == 17 || ip.next_header == 132 ||
                                ip.next_header == 33;
  if (!transport_prints) {
    ctx.resolver.ipv6(out, ip.src);
    out.put(" > ");
    ctx.resolver.ipv6(out, ip.dst);
    out.put(": ");
  }
  std::uint32_t rest = len;
  // Where tcpdump's view of the packet ends: the capture, cut to the payload length.
  const auto all = ctx.packet.data();
  const std::byte* captured_end =
      std::min(all.data() + all.size(), layer.contents().data() + 40 + std::size_t{ip.payload_length});
  std::size_t i = index + 1;
  std::uint8_t next = ip.next_header;
  bool later_fragment = false;
  // `cur` walks the layers; past the decode's layer limit it moves to a continuation.
  Context* cur = &ctx;
  PooledPacket continuation;
  std::optional<Context> sub;
  for (;; ++i) {
    if (i >= cur->layers.size()) {
      pcapxx::layers::Packet* more = continue_decode(*cur, continuation);
      if (more == nullptr) break;
      sub.emplace(Context{ctx.out, ctx.resolver, ctx.names, ctx.tcp_state, *more, more->layers(), ctx.caplen, ctx.origlen});
      cur = &*sub;
      i = static_cast<std::size_t>(-1);  // ++i makes it 0
      continue;
    }
    const Layer& l = cur->layers[i];
    const auto hl = static_cast<std::uint32_t>(l.contents().size());
    if (const auto* h = l.as<Ipv6HopByHop>()) {
      out.put("HBH ");
      print_ext_options(ctx, *h);
      next = h->next_header;
    } else if (const auto* d = l.as<Ipv6Destination>()) {
      out.put("DSTOPT ");
      print_ext_options(ctx, *d);
      next = d->next_header;
    } else if (const auto* r = l.as<Ipv6Routing>()) {
      out.put("RT6 (len={}, type={}{}, segleft={}", r->header_ext_length, r->routing_type,
              r->routing_type == 0 ? " [Deprecated]" : "", r->segments_left);
      if ((r->routing_type == 0 || r->routing_type == 2) && r->type_data.size() >= 4) {
        // Types 0 and 2: 4 reserved bytes (shown with -v), then the addresses (RFC 2460 4.4,
        // RFC 6275 6.4).
        const auto* rsv = r->type_data.data();
        if (out.flags.verbose > 0)
          out.put(", rsv=0x{:x}", std::uint32_t{std::to_integer<std::uint8_t>(rsv[0])} << 24 |
                                    std::uint32_t{std::to_integer<std::uint8_t>(rsv[1])} << 16 |
                                    std::uint32_t{std::to_integer<std::uint8_t>(rsv[2])} << 8 |
                                    std::to_integer<std::uint8_t>(rsv[3]));
        for (std::size_t at = 4, n = 0; at + 16 <= r->type_data.size(); at += 16, ++n) {
          out.put(", [{}]", n);
          ctx.resolver.ipv6(out, r->type_data.data() + at);
          ctx.ip6_final_destination = r->type_data.data() + at;
        }
      }
      out.put(") ");
      next = r->next_header;
    } else if (const auto* f = l.as<Ipv6Fragment>()) {
      const std::uint32_t off = std::uint32_t{f->fragment_offset} * 8;
      const std::uint32_t flen = rest >= 8 ? rest - 8 : 0;
      if (out.flags.verbose > 0) out.put("frag (0x{:08x}:{}|{})", f->identification, off, flen);
      else out.put("frag ({}|{})", off, flen);
      next = f->next_header;
      ctx.fragmented = true;
      // tcpdump's ip6_print stops after a later fragment's header, and after a first
      // fragment's header when the capture (cut to the payload length) ends with it.
      if (off != 0 || l.contents().data() + hl >= captured_end) {
        if (off == 0) out.put(" ");
        later_fragment = true;
        ++i;
        break;
      }
      out.put(" ");
    } else {
      break;
    }
    rest = rest >= hl ? rest - hl : 0;
  }
  ctx.ip6_next_header = next;
  if (cur != &ctx) {
    // The continuation's walk carries this packet's IP state.
    cur->ip4 = ctx.ip4;
    cur->ip6 = ctx.ip6;
    cur->ip_layer = ctx.ip_layer;
    cur->fragmented = ctx.fragmented;
    cur->ip6_next_header = next;
    cur->ip6_final_destination = ctx.ip6_final_destination;
    cur->link_done = true;
    cur->depth = ctx.depth;
  }
  const pcapxx::layers::DecodeFailure* failure = i >= cur->layers.size() ? cur->packet.error() : nullptr;
  if (!later_fragment && failure != nullptr && failure->layer == LayerType::ipv6_routing) {
    print_cut_routing(ctx, failure->remaining);
  } else if (!later_fragment && failure != nullptr && failure->layer == LayerType::ipv6_fragment) {
    print_cut_fragment(ctx, failure->remaining, rest);
  } else if (!later_fragment) {
    if (i < cur->layers.size() && cur->layers[i].type() != LayerType::payload) {
      print_from(*cur, i, rest);
    } else if (i >= cur->layers.size() && cur->packet.error() != nullptr) {
      print_from(*cur, i, rest);
    } else if (next == 59) {
      out.put("no next header");
    } else {
      // tcpdump's default case starts with a space of its own after "a > b: ".
      const auto name = ctx.resolver.numeric() ? std::string_view() : ip_protocol_short_name(next);
      if (!name.empty()) out.put(" {} {}", name, rest);
      else out.put(" ip-proto-{} {}", next, rest);
    }
  }
  ctx.ip4 = saved4;
  ctx.ip6 = saved6;
  ctx.ip6_final_destination = saved_destination;
}

}  // namespace pxdump::printers
