// Custom decoders registered for an EtherType and a UDP port, over crafted packets.
#include <gtest/gtest.h>

#include "pcapxx/decode.hpp"

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

}  // namespace
}  // namespace pcapxx::layers
