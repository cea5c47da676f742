#include "json_output.hpp"

#include <arpa/inet.h>

#include <array>
#include <type_traits>
#include <utility>
#include <variant>

#include "pcapxx/linktype.hpp"

namespace pxdump {
namespace {

namespace L = pcapxx::layers;
using Bytes = std::span<const std::byte>;

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

void append_json_string(fmt::memory_buffer& b, std::string_view v) {
  b.push_back('"');
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      b.push_back('\\');
      b.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      b.append(std::string_view("\\u00"));
      b.push_back(kHex[u >> 4]);
      b.push_back(kHex[u & 15]);
    } else {
      b.push_back(c);
    }
  }
  b.push_back('"');
}

namespace {

/// Appends JSON members to one object; the first member opens without a comma.
class Obj {
 public:
  explicit Obj(fmt::memory_buffer& b) : b_(b) { b_.push_back('{'); }
  void close() { b_.push_back('}'); }

  void key(std::string_view k) {
    if (!first_) b_.push_back(',');
    first_ = false;
    b_.push_back('"');
    b_.append(k);
    b_.append(std::string_view("\":"));
  }
  template <class T>
    requires std::is_integral_v<T>
  void num(std::string_view k, T v) {
    key(k);
    if constexpr (std::is_same_v<T, bool>) b_.append(v ? std::string_view("true") : std::string_view("false"));
    else fmt::format_to(std::back_inserter(b_), "{}", v);
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    quote(b_, v);
  }
  void hex(std::string_view k, Bytes v) {
    key(k);
    b_.push_back('"');
    for (std::byte x : v) {
      auto u = std::to_integer<unsigned>(x);
      b_.push_back(kHex[u >> 4]);
      b_.push_back(kHex[u & 15]);
    }
    b_.push_back('"');
  }
  // Colon-separated hex bytes, the way MAC addresses are written.
  void hw(std::string_view k, Bytes v) {
    key(k);
    b_.push_back('"');
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i != 0) b_.push_back(':');
      auto u = std::to_integer<unsigned>(v[i]);
      b_.push_back(kHex[u >> 4]);
      b_.push_back(kHex[u & 15]);
    }
    b_.push_back('"');
  }
  void mac(std::string_view k, const L::MacAddress& m) { hw(k, std::as_bytes(std::span(m.bytes))); }
  void ip(std::string_view k, int family, const void* addr) {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(family, addr, text, sizeof text);
    str(k, text);
  }
  void ip4(std::string_view k, const L::Ipv4Address& a) { ip(k, AF_INET, a.bytes.data()); }
  void ip6(std::string_view k, const L::Ipv6Address& a) { ip(k, AF_INET6, a.bytes.data()); }
  fmt::memory_buffer& raw() { return b_; }

  static void quote(fmt::memory_buffer& b, std::string_view v) { append_json_string(b, v); }

 private:
  fmt::memory_buffer& b_;
  bool first_ = true;
};

// A fixed-size text field (DHCP sname/file): up to the first NUL.
std::string_view c_string(Bytes v) {
  std::size_t n = 0;
  while (n < v.size() && v[n] != std::byte{0}) ++n;
  return {reinterpret_cast<const char*>(v.data()), n};
}

// An ARP address: MAC text for 6 bytes, dotted quad for 4, hex otherwise.
void arp_address(Obj& o, std::string_view k, Bytes v) {
  if (v.size() == 4) o.ip(k, AF_INET, v.data());
  else if (v.size() == 16) o.ip(k, AF_INET6, v.data());
  else o.hw(k, v);
}

void fields(Obj& o, const L::Ethernet& l) {
  o.mac("dst", l.dst);
  o.mac("src", l.src);
  o.num("ethertype", l.ethertype);
}
void fields(Obj& o, const L::Dot1Q& l) {
  o.num("priority", l.priority);
  o.num("drop_eligible", l.drop_eligible);
  o.num("vlan_id", l.vlan_id);
  o.num("ethertype", l.ethertype);
}
void fields(Obj& o, const L::Arp& l) {
  o.num("hardware_type", l.hardware_type);
  o.num("protocol_type", l.protocol_type);
  o.num("hardware_length", l.hardware_length);
  o.num("protocol_length", l.protocol_length);
  o.num("operation", l.operation);
  arp_address(o, "sender_hardware", l.sender_hardware);
  arp_address(o, "sender_protocol", l.sender_protocol);
  arp_address(o, "target_hardware", l.target_hardware);
  arp_address(o, "target_protocol", l.target_protocol);
}
void sll_address(Obj& o, std::span<const std::uint8_t, 8> a, std::size_t len) {
  o.hw("address", std::as_bytes(std::span(a)).first(std::min<std::size_t>(len, 8)));
}
void fields(Obj& o, const L::LinuxSll& l) {
  o.num("packet_type", l.packet_type);
  o.num("arphrd_type", l.arphrd_type);
  o.num("address_length", l.address_length);
  sll_address(o, l.address, l.address_length);
  o.num("protocol", l.protocol);
}
void fields(Obj& o, const L::LinuxSll2& l) {
  o.num("protocol", l.protocol);
  o.num("reserved", l.reserved);
  o.num("interface_index", l.interface_index);
  o.num("arphrd_type", l.arphrd_type);
  o.num("packet_type", l.packet_type);
  o.num("address_length", l.address_length);
  sll_address(o, l.address, l.address_length);
}
void fields(Obj& o, const L::Loopback& l) {
  o.num("family", l.family);
  o.num("big_endian", l.big_endian);
  o.num("ethertype", l.ethertype);
  o.num("prefix", l.prefix);
}
void fields(Obj& o, const L::Ipv4& l) {
  o.num("version", l.version);
  o.num("ihl", l.ihl);
  o.num("tos", l.tos);
  o.num("total_length", l.total_length);
  o.num("id", l.id);
  o.num("flags", l.flags);
  o.num("fragment_offset", l.fragment_offset);
  o.num("ttl", l.ttl);
  o.num("protocol", l.protocol);
  o.num("checksum", l.checksum);
  o.ip4("src", l.src);
  o.ip4("dst", l.dst);
  o.hex("options", l.options);
}
void fields(Obj& o, const L::Ipv6& l) {
  o.num("version", l.version);
  o.num("traffic_class", l.traffic_class);
  o.num("flow_label", l.flow_label);
  o.num("payload_length", l.payload_length);
  o.num("next_header", l.next_header);
  o.num("hop_limit", l.hop_limit);
  o.ip6("src", l.src);
  o.ip6("dst", l.dst);
}
void fields(Obj& o, const L::Ipv6OptionsHeader& l) {
  o.num("next_header", l.next_header);
  o.num("header_ext_length", l.header_ext_length);
  o.hex("options", l.options);
}
void fields(Obj& o, const L::Ipv6Routing& l) {
  o.num("next_header", l.next_header);
  o.num("header_ext_length", l.header_ext_length);
  o.num("routing_type", l.routing_type);
  o.num("segments_left", l.segments_left);
  o.hex("type_data", l.type_data);
}
void fields(Obj& o, const L::Ipv6Fragment& l) {
  o.num("next_header", l.next_header);
  o.num("reserved", l.reserved);
  o.num("fragment_offset", l.fragment_offset);
  o.num("reserved2", l.reserved2);
  o.num("more_fragments", l.more_fragments);
  o.num("identification", l.identification);
}
void fields(Obj& o, const L::IpsecAh& l) {
  o.num("next_header", l.next_header);
  o.num("payload_length", l.payload_length);
  o.num("reserved", l.reserved);
  o.num("spi", l.spi);
  o.num("sequence", l.sequence);
  o.hex("icv", l.icv);
}
void fields(Obj& o, const L::IpsecEsp& l) {
  o.num("spi", l.spi);
  o.num("sequence", l.sequence);
}
void fields(Obj& o, const L::Icmpv4& l) {
  o.num("type", l.type);
  o.num("code", l.code);
  o.num("checksum", l.checksum);
  o.num("rest", l.rest);
}
void fields(Obj& o, const L::Icmpv6& l) {
  o.num("type", l.type);
  o.num("code", l.code);
  o.num("checksum", l.checksum);
  o.num("rest", l.rest);
  o.hex("body", l.body);
  L::Ipv6Address target;
  if (l.target(target)) o.ip6("target", target);
}
void fields(Obj& o, const L::Tcp& l) {
  o.num("src_port", l.src_port);
  o.num("dst_port", l.dst_port);
  o.num("seq", l.seq);
  o.num("ack", l.ack);
  o.num("data_offset", l.data_offset);
  o.num("flags", l.flags);
  o.num("window", l.window);
  o.num("checksum", l.checksum);
  o.num("urgent", l.urgent);
  o.hex("options", l.options);
}
void fields(Obj& o, const L::Udp& l) {
  o.num("src_port", l.src_port);
  o.num("dst_port", l.dst_port);
  o.num("length", l.length);
  o.num("checksum", l.checksum);
}
void fields(Obj& o, const L::Dns& l) {
  o.num("id", l.id);
  o.num("flags", l.flags);
  o.num("question_count", l.question_count);
  o.num("answer_count", l.answer_count);
  o.num("authority_count", l.authority_count);
  o.num("additional_count", l.additional_count);
  std::array<char, 1024> name;
  L::DnsReader reader(l);
  o.key("questions");
  auto& b = o.raw();
  b.push_back('[');
  L::DnsQuestion q;
  for (bool first = true; reader.next_question(q); first = false) {
    if (!first) b.push_back(',');
    Obj e(b);
    e.str("name", std::string_view(name.data(), l.read_name(q.name_offset, name)));
    e.num("type", q.type);
    e.num("klass", q.klass);
    e.close();
  }
  b.push_back(']');
  o.key("records");
  b.push_back('[');
  L::DnsRecord r;
  for (bool first = true; reader.next_record(r); first = false) {
    if (!first) b.push_back(',');
    Obj e(b);
    static constexpr std::string_view kSection[] = {"answer", "authority", "additional"};
    e.str("section", kSection[static_cast<int>(r.section) % 3]);
    e.str("name", std::string_view(name.data(), l.read_name(r.name_offset, name)));
    e.num("type", r.type);
    e.num("klass", r.klass);
    e.num("ttl", r.ttl);
    e.hex("rdata", r.rdata);
    e.close();
  }
  b.push_back(']');
}
void fields(Obj& o, const L::Llc& l) {
  o.num("dsap", l.dsap);
  o.num("ssap", l.ssap);
  o.num("control", l.control);
  o.num("control_length", l.control_length);
}
void fields(Obj& o, const L::Snap& l) {
  o.num("oui", l.oui);
  o.num("protocol", l.protocol);
}
void fields(Obj& o, const L::Mpls& l) {
  o.key("entries");
  auto& b = o.raw();
  b.push_back('[');
  for (std::size_t i = 0; i < l.label_count(); ++i) {
    if (i != 0) b.push_back(',');
    L::MplsEntry m = l.entry(i);
    Obj e(b);
    e.num("label", m.label);
    e.num("tc", m.tc);
    e.num("bottom", m.bottom);
    e.num("ttl", m.ttl);
    e.close();
  }
  b.push_back(']');
}
void fields(Obj& o, const L::Pppoe& l) {
  o.num("version", l.version);
  o.num("type", l.type);
  o.num("code", l.code);
  o.num("session_id", l.session_id);
  o.num("length", l.length);
}
void fields(Obj& o, const L::Ppp& l) {
  o.num("protocol", l.protocol);
  o.num("compressed", l.compressed);
  o.num("address_control", l.address_control);
}
void fields(Obj& o, const L::Igmp& l) {
  o.num("type", l.type);
  o.num("max_resp_code", l.max_resp_code);
  o.num("checksum", l.checksum);
  o.ip4("group", l.group);
  o.num("reserved", l.reserved);
  o.num("flags", l.flags);
  o.num("qqic", l.qqic);
  o.num("source_count", l.source_count);
  o.hex("sources", l.sources);
  o.num("v3", l.v3);
}
void fields(Obj& o, const L::Gre& l) {
  o.num("checksum_present", l.checksum_present);
  o.num("routing_present", l.routing_present);
  o.num("key_present", l.key_present);
  o.num("seq_present", l.seq_present);
  o.num("strict_source_route", l.strict_source_route);
  o.num("recursion", l.recursion);
  o.num("ack_present", l.ack_present);
  o.num("flags", l.flags);
  o.num("version", l.version);
  o.num("protocol", l.protocol);
  o.num("checksum", l.checksum);
  o.num("offset", l.offset);
  o.num("key", l.key);
  o.num("seq", l.seq);
  o.num("ack", l.ack);
  o.hex("routing", l.routing);
}
void fields(Obj& o, const L::Vxlan& l) {
  o.num("flags", l.flags);
  o.num("reserved1", l.reserved1);
  o.num("vni", l.vni);
  o.num("reserved2", l.reserved2);
}
void fields(Obj& o, const L::Geneve& l) {
  o.num("version", l.version);
  o.num("options_length", l.options_length);
  o.num("oam", l.oam);
  o.num("critical", l.critical);
  o.num("reserved1", l.reserved1);
  o.num("protocol", l.protocol);
  o.num("vni", l.vni);
  o.num("reserved2", l.reserved2);
  o.hex("options", l.options);
}
void fields(Obj& o, const L::Sctp& l) {
  o.num("src_port", l.src_port);
  o.num("dst_port", l.dst_port);
  o.num("verification_tag", l.verification_tag);
  o.num("checksum", l.checksum);
  o.key("chunks");
  auto& b = o.raw();
  b.push_back('[');
  L::SctpChunkReader reader(l.chunks);
  L::SctpChunk c;
  for (bool first = true; reader.next(c); first = false) {
    if (!first) b.push_back(',');
    Obj e(b);
    e.num("type", c.type);
    e.num("flags", c.flags);
    e.num("length", c.length);
    e.close();
  }
  b.push_back(']');
}
void fields(Obj& o, const L::Dhcp& l) {
  o.num("op", l.op);
  o.num("hardware_type", l.hardware_type);
  o.num("hardware_length", l.hardware_length);
  o.num("hops", l.hops);
  o.num("xid", l.xid);
  o.num("secs", l.secs);
  o.num("flags", l.flags);
  o.ip4("client_ip", l.client_ip);
  o.ip4("your_ip", l.your_ip);
  o.ip4("server_ip", l.server_ip);
  o.ip4("relay_ip", l.relay_ip);
  o.hw("client_hardware",
       std::as_bytes(std::span(l.client_hardware)).first(std::min<std::size_t>(l.hardware_length, 16)));
  o.str("server_name", c_string(l.server_name));
  o.str("file", c_string(l.file));
  o.num("has_cookie", l.has_cookie);
  o.hex("options", l.options);
}
void fields(Obj& o, const L::Ntp& l) {
  o.num("leap", l.leap);
  o.num("version", l.version);
  o.num("mode", l.mode);
  o.num("stratum", l.stratum);
  o.num("poll", l.poll);
  o.num("precision", l.precision);
  o.num("root_delay", l.root_delay);
  o.num("root_dispersion", l.root_dispersion);
  o.num("reference_id", l.reference_id);
  o.num("reference_time", l.reference_time);
  o.num("origin_time", l.origin_time);
  o.num("receive_time", l.receive_time);
  o.num("transmit_time", l.transmit_time);
}
void fields(Obj&, const L::Payload&) {}
void fields(Obj& o, const L::CustomLayer& l) { o.str("name", l.name); }
void fields(Obj&, const std::monostate&) {}

void timestamp(fmt::memory_buffer& b, pcapxx::Timestamp ts, bool nano) {
  std::uint64_t a = ts.ns < 0 ? static_cast<std::uint64_t>(-(ts.ns + 1)) + 1 : static_cast<std::uint64_t>(ts.ns);
  if (ts.ns < 0) b.push_back('-');
  if (nano) fmt::format_to(std::back_inserter(b), "{}.{:09}", a / 1'000'000'000, a % 1'000'000'000);
  else fmt::format_to(std::back_inserter(b), "{}.{:06}", a / 1'000'000'000, a % 1'000'000'000 / 1000);
}

std::string_view direction_text(pcapxx::Direction d) {
  switch (d) {
    case pcapxx::Direction::inbound: return "in";
    case pcapxx::Direction::outbound: return "out";
    case pcapxx::Direction::unknown: break;
  }
  return "unknown";
}

}  // namespace

void JsonOutput::append(fmt::memory_buffer& out, const pcapxx::PacketView& p,
                        std::span<const pcapxx::InterfaceDescription> ifs, std::uint64_t frame,
                        std::string_view extra_members) {
  const pcapxx::PacketHeader& h = p.header;
  static const pcapxx::InterfaceDescription kNone{};
  const pcapxx::InterfaceDescription& ifc = h.interface < ifs.size() ? ifs[h.interface] : kNone;
  Obj o(out);
  o.num("frame", frame);
  o.key("ts");
  timestamp(out, h.ts, nano_);
  o.num("ts_ns", h.ts.ns);
  o.num("interface", h.interface);
  o.str("interface_name", ifc.name);
  o.num("link_type", ifc.link_type.dlt);
  const auto* lt = pcapxx::find_link_type(ifc.link_type);
  o.str("link_type_name", lt != nullptr ? lt->name : std::string_view());
  o.num("caplen", h.caplen);
  o.num("len", h.origlen);
  o.str("direction", direction_text(h.direction));

  const L::Registry& registry = L::Registry::builtin();
  const L::LayerType first = registry.link_type(ifc.link_type);
  packet_.assign(p.data, first);
  o.key("layers");
  out.push_back('[');
  bool first_layer = true;
  for (const L::Layer& layer : std::as_const(packet_).layers()) {
    if (!first_layer) out.push_back(',');
    first_layer = false;
    Obj lo(out);
    lo.str("layer", layer.name());
    lo.num("layer_offset", layer.offset);
    lo.num("layer_length", layer.contents().size());
    std::visit([&lo](const auto& l) { fields(lo, l); }, layer.value);
    lo.close();
  }
  out.push_back(']');
  if (first == L::LayerType::none) {
    o.key("error");
    Obj e(out);
    e.str("layer", "None");
    e.num("offset", 0);
    e.str("reason", "link type not supported by the decoder");
    e.close();
  } else if (const L::DecodeFailure* err = packet_.error()) {
    o.key("error");
    Obj e(out);
    e.str("layer", L::layer_name(err->layer));
    e.num("offset", err->offset);
    e.str("reason", err->reason);
    e.close();
  }
  if (!extra_members.empty()) {
    out.push_back(',');
    out.append(extra_members);
  }
  o.close();
  out.push_back('\n');
}

}  // namespace pxdump
