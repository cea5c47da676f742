// Custom decoders registered for an EtherType, an IP protocol, and TCP and UDP ports, over
// crafted packets.
#include <gtest/gtest.h>

#include "pcapxx/decode.hpp"
#include "pcapxx/layers/layer_list.hpp"

namespace pcapxx::layers {
namespace {

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

// A 4-byte shim: 2 bytes of tag, then the EtherType of what follows.
CustomDecodeResult decode_shim(std::span<const std::byte> data) {
  if (data.size() < 4) return {0, {}, "shim needs 4 bytes"};
  const auto type = static_cast<std::uint16_t>(std::to_integer<unsigned>(data[2]) << 8 | std::to_integer<unsigned>(data[3]));
  return {4, {NextProtocol::Kind::ethertype, type}, nullptr};
}

TEST(LayersCustom, EthertypeAndPortDecodersRunAndChain) {
  Registry reg;
  auto shim = reg.register_ethertype(0x88b5, "Shim", decode_shim);  // IEEE local experimental
  ASSERT_TRUE(shim.has_value());
  auto app = reg.register_port(PortProtocol::udp, 7777, "Hello", [](std::span<const std::byte> d) {
    return CustomDecodeResult{d.size() < 5 ? d.size() : 5, {NextProtocol::Kind::payload, 0}, nullptr};
  });
  ASSERT_TRUE(app.has_value());
  EXPECT_NE(*shim, *app);
  EXPECT_FALSE(reg.register_ethertype(0x88b5, "Again", decode_shim).has_value());  // taken

  // Ethernet (0x88b5) / shim -> IPv4 / UDP 7777 / "HELLO" + "world".
  Ethernet eth;
  eth.ethertype = 0x88b5;
  static const std::byte kShim[] = {std::byte{0xab}, std::byte{0xcd}, std::byte{0x08}, std::byte{0x00}};
  CustomLayer shim_layer;
  shim_layer.contents = kShim;
  Ipv4 ip;
  ip.protocol = 17;
  Ipv4Address::parse("10.0.0.1", ip.src);
  Ipv4Address::parse("10.0.0.2", ip.dst);
  Udp udp;
  udp.src_port = 1234;
  udp.dst_port = 7777;
  Payload data;
  data.contents = bytes_of("HELLOworld");
  SerializeBuffer buf;
  serialize_layers(buf, {.fix_lengths = true, .compute_checksums = true}, eth, shim_layer, ip, udp, data);

  const Packet plain = Packet::decode(buf.bytes(), dlt::kEn10Mb);
  ASSERT_EQ(plain.layers().size(), 2u);  // without the registry: Ethernet, then Payload
  EXPECT_EQ(plain.layers()[1].type(), LayerType::payload);

  const Packet pkt = Packet::decode(buf.bytes(), dlt::kEn10Mb, {.registry = &reg});
  ASSERT_EQ(pkt.error(), nullptr);
  const auto layers = pkt.layers();
  ASSERT_EQ(layers.size(), 6u);
  EXPECT_EQ(layers[1].type(), *shim);
  EXPECT_EQ(layers[1].name(), "Shim");
  EXPECT_EQ(layers[1].contents().size(), 4u);
  EXPECT_EQ(layers[2].type(), LayerType::ipv4);
  EXPECT_EQ(layers[3].type(), LayerType::udp);
  EXPECT_EQ(layers[4].type(), *app);
  EXPECT_EQ(layers[4].name(), "Hello");
  EXPECT_TRUE(std::ranges::equal(layers[4].contents(), bytes_of("HELLO")));
  EXPECT_TRUE(std::ranges::equal(layers[5].contents(), bytes_of("world")));
  EXPECT_EQ(pkt.application_layer(), &layers[4]);
  EXPECT_EQ(layers[1].layer_class(), LayerClass::link);

  // The fast parser with CustomLayer in its set decodes the same chain.
  FastParser<Ethernet, CustomLayer, Ipv4, Udp, Payload> parser(LayerType::ethernet, reg);
  DecodedLayers decoded;
  ASSERT_TRUE(parser.decode(buf.bytes(), decoded).ok());
  ASSERT_EQ(decoded.size, 6u);
  EXPECT_EQ(decoded.types[1], *shim);
  EXPECT_EQ(decoded.types[4], *app);

  // A custom decoder's error becomes the error layer.
  std::vector<std::byte> cut(buf.bytes().begin(), buf.bytes().begin() + 16);
  const Packet bad = Packet::decode(cut, dlt::kEn10Mb, {.registry = &reg});
  ASSERT_NE(bad.error(), nullptr);
  EXPECT_EQ(bad.error()->layer, *shim);
  EXPECT_EQ(bad.error()->offset, 14u);
  EXPECT_EQ(bad.error()->reason, "shim needs 4 bytes");
}

// A 4-byte shim after IP: next protocol, 3 bytes of label (IANA 253 is for experiments, RFC 3692).
CustomDecodeResult decode_ip_shim(std::span<const std::byte> data) {
  if (data.size() < 4) return {0, {}, "ip shim needs 4 bytes"};
  return {4, {NextProtocol::Kind::ip_protocol, std::to_integer<std::uint16_t>(data[0])}, nullptr};
}

TEST(LayersCustom, IpProtocolAndTcpPortDecodersOverIpv4AndIpv6) {
  Registry reg;
  auto shim = reg.register_ip_protocol(253, "IpShim", decode_ip_shim);
  ASSERT_TRUE(shim.has_value());
  auto banner = reg.register_port(PortProtocol::tcp, 9999, "Banner", [](std::span<const std::byte> d) {
    // "BNR" and a length byte, then that many bytes of banner; the rest is payload.
    if (d.size() < 4 || d[0] != std::byte{'B'}) return CustomDecodeResult{0, {}, "not a banner"};
    const std::size_t n = 4 + std::to_integer<std::size_t>(d[3]);
    if (n > d.size()) return CustomDecodeResult{0, {}, "banner runs past the segment"};
    return CustomDecodeResult{n, {NextProtocol::Kind::payload, 0}, nullptr};
  });
  ASSERT_TRUE(banner.has_value());
  EXPECT_FALSE(reg.register_ip_protocol(253, "Again", decode_ip_shim).has_value());
  // The same number for another key is a different registration.
  EXPECT_TRUE(reg.register_port(PortProtocol::udp, 9999, "UdpBanner", decode_ip_shim).has_value());

  static const std::byte kShim[] = {std::byte{6}, std::byte{0xaa}, std::byte{0xbb}, std::byte{0xcc}};
  CustomLayer shim_layer;
  shim_layer.contents = kShim;
  Tcp tcp;
  tcp.src_port = 40001;
  tcp.dst_port = 9999;
  tcp.flags = Tcp::kAck | Tcp::kPsh;
  Payload data;
  data.contents = bytes_of("BNR\x05hellorest");
  SerializeBuffer buf;
  const SerializeOptions fix{.fix_lengths = true, .compute_checksums = true};

  for (const bool v6 : {false, true}) {
    Ethernet eth;
    Ipv4 ip4;
    Ipv6 ip6;
    if (v6) {
      eth.ethertype = 0x86dd;
      ip6.next_header = 253;
      Ipv6Address::parse("2001:db8::1", ip6.src);
      Ipv6Address::parse("2001:db8::2", ip6.dst);
      serialize_layers(buf, fix, eth, ip6, shim_layer, tcp, data);
    } else {
      eth.ethertype = 0x0800;
      ip4.protocol = 253;
      Ipv4Address::parse("10.0.0.1", ip4.src);
      Ipv4Address::parse("10.0.0.2", ip4.dst);
      serialize_layers(buf, fix, eth, ip4, shim_layer, tcp, data);
    }
    const Packet plain = Packet::decode(buf.bytes(), dlt::kEn10Mb);
    ASSERT_EQ(plain.layers().size(), 3u) << v6;  // Ethernet, IP, then Payload (253 is not built in)
    EXPECT_EQ(plain.layers()[2].type(), LayerType::payload);

    const Packet pkt = Packet::decode(buf.bytes(), dlt::kEn10Mb, {.registry = &reg});
    ASSERT_EQ(pkt.error(), nullptr) << pkt.error()->message();
    const auto layers = pkt.layers();
    ASSERT_EQ(layers.size(), 6u) << v6;
    EXPECT_EQ(layers[2].type(), *shim);
    EXPECT_EQ(layers[2].name(), "IpShim");
    EXPECT_EQ(layers[2].layer_class(), LayerClass::transport);
    EXPECT_EQ(layers[2].offset, v6 ? 54u : 34u);
    EXPECT_EQ(layers[3].type(), LayerType::tcp);
    EXPECT_EQ(layers[4].type(), *banner);
    EXPECT_EQ(layers[4].name(), "Banner");
    EXPECT_EQ(layers[4].layer_class(), LayerClass::application);
    EXPECT_TRUE(std::ranges::equal(layers[4].contents(), bytes_of("BNR\x05hello")));
    EXPECT_TRUE(std::ranges::equal(layers[5].contents(), bytes_of("rest")));
    // The shim is the first transport-class layer: the shortcut finds it, not TCP.
    EXPECT_EQ(pkt.transport_layer(), &layers[2]);
    EXPECT_EQ(pkt.application_layer(), &layers[4]);
    // Either direction: the port is matched as source too.
    Tcp back = tcp;
    std::swap(back.src_port, back.dst_port);
    if (v6) {
      serialize_layers(buf, fix, eth, ip6, shim_layer, back, data);
    } else {
      serialize_layers(buf, fix, eth, ip4, shim_layer, back, data);
    }
    EXPECT_EQ(Packet::decode(buf.bytes(), dlt::kEn10Mb, {.registry = &reg}).layers()[4].type(), *banner);
  }

  // The decoder's error, at the shim's offset, names the registered layer.
  Ethernet eth;
  eth.ethertype = 0x0800;
  Ipv4 ip;
  ip.protocol = 253;
  Payload two;
  two.contents = bytes_of("\x06");  // one byte of the 4
  serialize_layers(buf, fix, eth, ip, two);
  const Packet bad = Packet::decode(buf.bytes(), dlt::kEn10Mb, {.registry = &reg});
  ASSERT_NE(bad.error(), nullptr);
  EXPECT_EQ(bad.error()->layer, *shim);
  EXPECT_EQ(bad.error()->offset, 34u);
  EXPECT_EQ(bad.error()->reason, "ip shim needs 4 bytes");
}

TEST(LayersCustom, ACustomPortTakesPrecedenceOverTheBuiltInDecoder) {
  Registry reg;
  auto mine = reg.register_port(PortProtocol::udp, 53, "NotDns", [](std::span<const std::byte> d) {
    return CustomDecodeResult{d.size(), {NextProtocol::Kind::none, 0}, nullptr};
  });
  ASSERT_TRUE(mine.has_value());
  Ethernet eth;
  eth.ethertype = 0x0800;
  Ipv4 ip;
  ip.protocol = 17;
  Udp udp;
  udp.src_port = 5555;
  udp.dst_port = 53;
  Payload data;
  data.contents = bytes_of("this is not a DNS message at all");
  SerializeBuffer buf;
  serialize_layers(buf, {.fix_lengths = true, .compute_checksums = true}, eth, ip, udp, data);
  const std::vector<std::byte> bytes(buf.bytes().begin(), buf.bytes().end());
  const Packet builtin = Packet::decode(bytes, dlt::kEn10Mb);
  ASSERT_GE(builtin.layers().size(), 3u);
  EXPECT_TRUE(builtin.layer<Dns>() != nullptr || (builtin.error() != nullptr && builtin.error()->layer == LayerType::dns));
  const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb, {.registry = &reg});
  ASSERT_EQ(pkt.error(), nullptr);
  ASSERT_EQ(pkt.layers().size(), 4u);
  EXPECT_EQ(pkt.layers()[3].type(), *mine);
  EXPECT_EQ(pkt.layers()[3].name(), "NotDns");
  // The edited copy keeps the custom layer's bytes.
  LayerList list(pkt);
  list.serialize(buf);
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), bytes));
}

}  // namespace
}  // namespace pcapxx::layers
