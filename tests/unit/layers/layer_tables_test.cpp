// The tables the decode loop uses instead of visits and out-of-line lookups: Layer::type() and
// layer_class() by variant index, and the registry's inline built-in tables behind a registry
// that also holds custom decoders.
#include <gtest/gtest.h>

#include <type_traits>
#include <variant>

#include "pcapxx/decode.hpp"

namespace pcapxx::layers {
namespace {

template <class T>
void expect_alternative() {
  if constexpr (std::is_same_v<T, CustomLayer>) return;  // per object: checked below
  Layer l;
  l.value.emplace<T>();
  EXPECT_EQ(l.type(), T::kType) << layer_name(T::kType);
  EXPECT_EQ(l.layer_class(), T::kClass) << layer_name(T::kType);
  EXPECT_EQ(l.name(), layer_name(T::kType));
}

template <class... Ts>
void expect_all(std::variant<std::monostate, Ts...>*) {
  (expect_alternative<Ts>(), ...);
}

TEST(LayerTables, EveryAlternativeReportsItsOwnTypeAndClass) {
  expect_all(static_cast<AnyLayer*>(nullptr));
  Layer empty;
  EXPECT_EQ(empty.type(), LayerType::none);
  // CustomLayer is the one alternative whose type and class are per object.
  Layer c;
  auto& custom = c.value.emplace<CustomLayer>();
  custom.type = static_cast<LayerType>(0x8003);
  custom.layer_class = LayerClass::transport;
  custom.name = "Mine";
  EXPECT_EQ(c.type(), static_cast<LayerType>(0x8003));
  EXPECT_EQ(c.layer_class(), LayerClass::transport);
  EXPECT_EQ(c.name(), "Mine");
}

TEST(LayerTables, ARegistryWithCustomDecodersFallsBackToTheBuiltInTables) {
  Registry reg;
  const CustomDecoder skip4 = [](std::span<const std::byte>) {
    return CustomDecodeResult{4, {NextProtocol::Kind::none, 0}, nullptr};
  };
  const auto et = reg.register_ethertype(0x88b5, "Local", skip4);
  const auto ip = reg.register_ip_protocol(253, "Experiment", skip4);
  const auto port = reg.register_port(PortProtocol::udp, 9999, "Game", skip4);
  ASSERT_TRUE(et.has_value() && ip.has_value() && port.has_value());

  EXPECT_EQ(reg.ethertype(0x88b5), *et);
  EXPECT_EQ(reg.ip_protocol(253), *ip);
  EXPECT_EQ(reg.port(PortProtocol::udp, 40000, 9999), *port);
  EXPECT_EQ(reg.port(PortProtocol::tcp, 40000, 9999), LayerType::payload);  // registered for UDP only

  const Registry& builtin = Registry::builtin();
  for (const std::uint16_t t : {0x0800, 0x86dd, 0x0806, 0x8035, 0x8100, 0x88a8, 0x9100, 0x8847, 0x8864, 0x6558,
                                0x880b, 0x1234}) {
    EXPECT_EQ(reg.ethertype(t), builtin.ethertype(t)) << std::hex << t;
  }
  for (unsigned p = 0; p < 256; ++p) {
    if (p == 253) continue;
    EXPECT_EQ(reg.ip_protocol(static_cast<std::uint8_t>(p)), builtin.ip_protocol(static_cast<std::uint8_t>(p))) << p;
  }
  // The lower of two known ports wins in both directions; DNS is a UDP decoder only.
  EXPECT_EQ(reg.port(PortProtocol::udp, 53, 4789), LayerType::dns);
  EXPECT_EQ(reg.port(PortProtocol::udp, 4789, 53), LayerType::dns);
  EXPECT_EQ(reg.port(PortProtocol::udp, 33000, 123), LayerType::ntp);
  EXPECT_EQ(reg.port(PortProtocol::tcp, 53, 40000), LayerType::payload);
  EXPECT_EQ(builtin.port(PortProtocol::udp, 5353, 5353), LayerType::dns);
  EXPECT_EQ(builtin.port(PortProtocol::udp, 40000, 67), LayerType::dhcp);
  EXPECT_EQ(builtin.port(PortProtocol::udp, 6081, 40000), LayerType::geneve);
  EXPECT_EQ(builtin.port(PortProtocol::tcp, 6081, 40000), LayerType::payload);
  EXPECT_EQ(builtin.ip_protocol(6), LayerType::tcp);
  EXPECT_EQ(builtin.ip_protocol(17), LayerType::udp);
  EXPECT_EQ(builtin.ip_protocol(59), LayerType::none);
}

}  // namespace
}  // namespace pcapxx::layers
