// The attributor's per-packet key (FlowId) and its open-addressing map (FlatMap): FlowId against
// the FlowKeys it stands for, FlatMap against std::unordered_map under a long random churn of
// inserts, erases and predicate erases (backward-shift deletion is where such maps go wrong).
#include <netinet/in.h>

#include <random>
#include <unordered_map>

#include <gtest/gtest.h>

#include "process/linux/flat_map.hpp"
#include "process/linux/flow_id.hpp"

namespace pcapxx::detail::process {
namespace {

layers::FlowKey key(int version, std::uint8_t protocol, std::array<std::uint8_t, 16> src, std::uint16_t sport,
                    std::array<std::uint8_t, 16> dst, std::uint16_t dport) {
  layers::FlowKey k;
  k.ip_version = static_cast<std::uint8_t>(version);
  k.protocol = protocol;
  k.src = src;
  k.dst = dst;
  k.src_port = sport;
  k.dst_port = dport;
  return k;
}

TEST(FlowId, BothDirectionsShareOneIdAndTheEndsKeepTheirFields) {
  auto k = key(4, IPPROTO_TCP, {10, 66, 0, 1}, 40000, {10, 66, 0, 2}, 7000);
  bool a0 = false, b0 = false;
  auto a = flow_id(k, a0);
  auto b = flow_id(k.reversed(), b0);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(*a == *b);
  EXPECT_EQ(hash_of(*a), hash_of(*b));
  EXPECT_NE(a0, b0);
  // 10.66.0.1 sorts before 10.66.0.2: the source is end 0.
  EXPECT_TRUE(a0);
  EXPECT_EQ(a->ip_version(), 4);
  EXPECT_EQ(a->protocol(), IPPROTO_TCP);
  EXPECT_EQ(a->port(0), 40000);
  EXPECT_EQ(a->port(1), 7000);
  EXPECT_EQ(a->addr(0), k.src);
  EXPECT_EQ(a->addr(1), k.dst);
}

TEST(FlowId, EndsAreOrderedByAddressBytesThenPort) {
  // Byte order, not the host's word order: 1.0.0.0 is larger than 0.0.0.255.
  bool src0 = true;
  auto id = flow_id(key(4, IPPROTO_UDP, {1, 0, 0, 0}, 1, {0, 0, 0, 255}, 2), src0);
  ASSERT_TRUE(id);
  EXPECT_FALSE(src0);
  EXPECT_EQ(id->port(0), 2);
  // Same address: the smaller port first.
  id = flow_id(key(6, IPPROTO_TCP, {0xfd, 0x66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 9000,
                   {0xfd, 0x66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 80),
               src0);
  ASSERT_TRUE(id);
  EXPECT_FALSE(src0);
  EXPECT_EQ(id->port(0), 80);
  EXPECT_EQ(id->ip_version(), 6);
}

TEST(FlowId, EveryFieldTellsFlowsApartAndOtherProtocolsHaveNone) {
  auto base = key(6, IPPROTO_TCP, {0xfd, 0x66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 40000,
                  {0xfd, 0x66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 443);
  bool s = false;
  auto id = *flow_id(base, s);
  auto differs = [&](layers::FlowKey k) {
    bool s2 = false;
    auto other = flow_id(k, s2);
    return other && !(*other == id);
  };
  auto k = base;
  k.protocol = IPPROTO_UDP;
  EXPECT_TRUE(differs(k));
  k = base;
  k.src[15] = 3;  // the last address byte (second word)
  EXPECT_TRUE(differs(k));
  k = base;
  k.dst[0] = 0xfe;
  EXPECT_TRUE(differs(k));
  k = base;
  k.src_port = 40001;
  EXPECT_TRUE(differs(k));
  k = base;
  k.dst_port = 444;
  EXPECT_TRUE(differs(k));
  k = base;
  k.ip_version = 4;
  EXPECT_TRUE(differs(k));
  k = base;
  k.protocol = IPPROTO_ICMPV6;
  EXPECT_FALSE(flow_id(k, s).has_value());
}

TEST(FlatMap, AgreesWithUnorderedMapUnderRandomChurn) {
  FlatMap<std::uint64_t, std::uint64_t> flat(4);
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  std::mt19937_64 rng(12345);
  // Keys from a small range so that runs collide, erases hit, and the table grows.
  for (int round = 0; round < 200000; ++round) {
    std::uint64_t k = rng() % 5000;
    switch (rng() % 4) {
      case 0:
      case 1:
        flat[k] = k * 3 + static_cast<std::uint64_t>(round);
        ref[k] = k * 3 + static_cast<std::uint64_t>(round);
        break;
      case 2:
        ASSERT_EQ(flat.erase(k), ref.erase(k) == 1) << "erase " << k << " at round " << round;
        break;
      case 3: {
        const std::uint64_t* v = flat.find(k);
        auto it = ref.find(k);
        ASSERT_EQ(v != nullptr, it != ref.end()) << "find " << k << " at round " << round;
        if (v) {
          ASSERT_EQ(*v, it->second) << "value of " << k << " at round " << round;
        }
        break;
      }
    }
    if (round % 50000 == 49999) {
      std::uint64_t m = rng() % 7 + 2;
      flat.erase_if([&](std::uint64_t key, std::uint64_t) { return key % m == 0; });
      std::erase_if(ref, [&](const auto& kv) { return kv.first % m == 0; });
    }
    ASSERT_EQ(flat.size(), ref.size()) << "at round " << round;
  }
  for (const auto& [k, v] : ref) {
    const std::uint64_t* got = flat.find(k);
    ASSERT_NE(got, nullptr) << k;
    EXPECT_EQ(*got, v) << k;
  }
}

TEST(FlatMap, FlowIdKeysFromBothDirectionsMeetInOneEntry) {
  FlatMap<FlowId, int, FlowIdHash> m;
  for (std::uint16_t port = 1000; port < 3000; ++port) {
    bool s = false;
    auto k = key(4, IPPROTO_TCP, {10, 0, 0, 1}, port, {10, 0, 0, 2}, 80);
    m[*flow_id(k, s)] = port;
  }
  EXPECT_EQ(m.size(), 2000u);
  for (std::uint16_t port = 1000; port < 3000; ++port) {
    bool s = false;
    auto k = key(4, IPPROTO_TCP, {10, 0, 0, 1}, port, {10, 0, 0, 2}, 80).reversed();
    const int* v = m.find(*flow_id(k, s));
    ASSERT_NE(v, nullptr) << port;
    EXPECT_EQ(*v, port);
  }
}

}  // namespace
}  // namespace pcapxx::detail::process
