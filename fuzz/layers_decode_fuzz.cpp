// libFuzzer target: any bytes as one packet of each link type the decoder knows (EN10MB,
// LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW), decoded eagerly, lazily (asking for layers out of
// order) and by a FastParser holding every built-in layer. Every field and accessor of every
// layer is read. Beyond "never crash, never read out of bounds" the three modes must agree on
// the layer types and on the error; a disagreement aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "pcapxx/decode.hpp"

namespace {

using namespace pcapxx;
using namespace pcapxx::layers;

volatile std::uint64_t g_sink;

void touch(std::span<const std::byte> bytes) {
  std::uint64_t acc = bytes.size();
  for (std::byte b : bytes) acc = acc * 31 + std::to_integer<std::uint8_t>(b);
  g_sink = g_sink + acc;
}
void touch(std::uint64_t v) { g_sink = g_sink + v; }
void touch(std::string_view s) { touch(std::as_bytes(std::span(s.data(), s.size()))); }

void touch_options(OptionReader r) {
  for (Option o; r.next(o);) {
    touch(o.kind);
    touch(o.data);
    touch(o.whole);
  }
  touch(r.malformed());
  touch(r.offset());
}

// The fields every layer has, then its own accessors. Serializing reads every field too.
template <class L>
void touch_layer(const L& l) {
  touch(l.contents);
  touch(l.payload);
  if constexpr (std::is_same_v<L, Ethernet>) {
    touch(l.is_802_3_length());
    touch(l.src.to_string());
  } else if constexpr (std::is_same_v<L, Ipv4>) {
    touch(l.checksum_ok());
    touch_options(l.option_reader());
    touch(l.src.to_string());
  } else if constexpr (std::is_same_v<L, Ipv6>) {
    touch(l.dst.to_string());
  } else if constexpr (std::is_same_v<L, Ipv6HopByHop> || std::is_same_v<L, Ipv6Destination>) {
    touch_options(l.option_reader());
  } else if constexpr (std::is_same_v<L, Tcp>) {
    touch_options(l.option_reader());
    touch(l.mss().value_or(0));
    touch(l.window_scale().value_or(0));
    touch(l.sack_permitted());
    if (auto ts = l.timestamps()) touch(ts->value ^ ts->echo_reply);
    Tcp::SackBlock blocks[4];
    const std::size_t n = l.sack_blocks(blocks);
    for (std::size_t i = 0; i < n; ++i) touch(blocks[i].left ^ blocks[i].right);
  } else if constexpr (std::is_same_v<L, Icmpv4>) {
    touch(l.id() ^ l.sequence());
  } else if constexpr (std::is_same_v<L, Icmpv6>) {
    Ipv6Address a;
    if (l.target(a)) touch(a.to_string());
    touch(l.nd_options());
    touch_options(l.nd_option_reader());
  } else if constexpr (std::is_same_v<L, Dns>) {
    DnsReader r(l);
    char name[Dns::kMaxNameLength + 8];
    for (DnsQuestion q; r.next_question(q);) touch(l.read_name(q.name_offset, name) + q.type + q.klass);
    for (DnsRecord rec; r.next_record(rec);) {
      touch(l.read_name(rec.name_offset, name) + rec.type + rec.ttl);
      touch(rec.rdata);
      touch(l.name(rec.name_offset));
      touch(l.name_end(rec.name_offset));
      // Typed record data: names it points to must read (or fail) like any other name.
      DnsRdata d;
      if (const char* why = l.parse_rdata(rec, d)) {
        touch(std::string_view(why));
      } else if (d.known) {
        touch(l.read_name(d.name, name) + l.read_name(d.name2, name) + d.preference + d.weight + d.port + d.serial);
        touch(d.a.to_string());
        touch(d.aaaa.to_string());
      }
      DnsTextReader t(rec.rdata);
      for (std::string_view s; t.next(s);) touch(s);
      touch(t.malformed());
    }
  } else if constexpr (std::is_same_v<L, Mpls>) {
    for (std::size_t i = 0; i < l.label_count(); ++i) touch(l.entry(i).label);
  } else if constexpr (std::is_same_v<L, Igmp>) {
    IgmpGroupRecord g;
    for (IgmpReader r(l); r.next(g);) {
      touch(g.sources);
      touch(g.auxiliary);
      touch(g.group.to_string());
    }
    touch(l.sources);
  } else if constexpr (std::is_same_v<L, Geneve>) {
    GeneveOption o;
    for (GeneveOptionReader r(l.options); r.next(o);) touch(o.data);
  } else if constexpr (std::is_same_v<L, Sctp>) {
    SctpChunk c;
    for (SctpChunkReader r(l.chunks); r.next(c);) touch(c.value);
  } else if constexpr (std::is_same_v<L, Dhcp>) {
    Option o;
    for (OptionReader r = l.option_reader(); r.next(o);) touch(o.data);
    touch(l.message_type().value_or(0));
  } else if constexpr (std::is_same_v<L, Pppoe>) {
    PppoeTag t;
    for (PppoeTagReader r(l.tags()); r.next(t);) touch(t.value);
  }
}

void touch_packet(const Packet& pkt) {
  SerializeBuffer buf(256);
  for (const Layer& l : pkt.layers()) {
    touch(static_cast<std::uint64_t>(l.type()));
    touch(static_cast<std::uint64_t>(l.layer_class()));
    touch(l.name());
    touch(l.offset);
    touch(l.trailer);
    touch(static_cast<std::uint64_t>(checksum_status(pkt, l)));
    std::visit(
        [&](const auto& x) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(x)>, std::monostate>) touch_layer(x);
        },
        l.value);
  }
  if (const DecodeFailure* f = pkt.error()) {
    touch(f->message());
    touch(f->remaining);
  }
  if (auto flow = pkt.flow()) {
    touch(flow->hash() ^ flow->symmetric_hash());
    touch(flow->to_string());
  }
  touch(pkt.link_layer() != nullptr);
  touch(pkt.application_layer() != nullptr);
  pkt.serialize(buf);
  touch(buf.bytes());
  pkt.serialize(buf, {.fix_lengths = true, .compute_checksums = true});
  touch(buf.bytes());
}

[[noreturn]] void disagree(const char* what, LinkType link, std::size_t layer) {
  std::fprintf(stderr, "layers_decode_fuzz: link %u: %s (layer %zu)\n", static_cast<unsigned>(link.dlt), what,
               layer);
  std::abort();
}

using AllLayers = FastParser<Ethernet, Dot1Q, Arp, LinuxSll, LinuxSll2, Loopback, Ipv4, Ipv6, Ipv6HopByHop,
                             Ipv6Routing, Ipv6Fragment, Ipv6Destination, IpsecAh, IpsecEsp, Icmpv4, Icmpv6, Tcp,
                             Udp, Dns, Llc, Snap, Mpls, Pppoe, Ppp, Igmp, Gre, Vxlan, Geneve, Sctp, Dhcp, Ntp,
                             Payload>;

void one_link(std::span<const std::byte> data, LinkType link) {
  const Packet eager = Packet::decode(data, link);
  touch_packet(eager);

  // Lazy: ask for the last layer type first, then compare the whole stack with the eager one.
  const Packet lazy = Packet::decode(data, link, {.lazy = true});
  touch(lazy.transport_layer() != nullptr);
  touch(lazy.layer<Dns>() != nullptr);
  const auto e = eager.layers();
  const auto z = lazy.layers();
  if (e.size() != z.size()) disagree("eager and lazy layer counts differ", link, e.size());
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (e[i].type() != z[i].type()) disagree("eager and lazy layer types differ", link, i);
    if (e[i].offset != z[i].offset) disagree("eager and lazy offsets differ", link, i);
  }
  if ((eager.error() == nullptr) != (lazy.error() == nullptr)) disagree("eager and lazy errors differ", link, 0);

  // The fast parser names the same types in the same order and fails where the packet fails.
  static AllLayers parser(LayerType::none);
  parser = AllLayers(Registry::builtin().link_type(link));
  DecodedLayers decoded;
  const FastResult r = parser.decode(data, decoded);
  if (decoded.size != e.size()) disagree("fast parser and packet layer counts differ", link, decoded.size);
  for (std::size_t i = 0; i < e.size(); ++i)
    if (decoded.types[i] != e[i].type()) disagree("fast parser and packet layer types differ", link, i);
  if (r.stop == FastStop::unsupported) disagree("fast parser met a built-in type it does not hold", link, 0);
  const DecodeFailure* f = eager.error();
  const bool too_many = f != nullptr && f->reason == "too many layers";
  if ((r.stop == FastStop::too_many_layers) != too_many) disagree("fast parser and packet layer limits differ", link, 0);
  if ((r.stop == FastStop::error) != (f != nullptr && !too_many && f->layer != LayerType::none))
    disagree("fast parser and packet errors differ", link, 0);
  if (r.stop == FastStop::error && r.failure.offset != eager.error()->offset)
    disagree("fast parser and packet error offsets differ", link, 0);
  touch(parser.get<Tcp>().dst_port);
  touch(r.remaining);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  // DLT values: EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW.
  for (std::uint16_t dlt : {1, 113, 276, 0, 108, 12}) one_link(bytes, LinkType{dlt});
  return 0;
}
