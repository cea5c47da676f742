// Ring geometry, the ring-size fallback (the kernel refusing a size cannot be produced on
// demand, so a stand-in refuses), header rewrites in frame headroom, and the ARPHRD table.
#include <gtest/gtest.h>

#include <cerrno>

#include "capture/linux/frame_fixups.hpp"
#include "capture/linux/ring.hpp"
#include "pcapxx/device.hpp"

namespace pcapxx::linux_capture {
namespace {

TEST(RingPlan, BlocksHoldTheLargestFrameAndFillTheBuffer) {
  auto g = plan_ring(2 << 20, 262144, 100);
  EXPECT_EQ(g.block_size, 256u << 10);  // 8 blocks of libpcap's V3 size fit 2 MiB
  EXPECT_EQ(g.block_count, 8u);
  EXPECT_GE(g.block_size, g.frame_size + 48);  // a 64 KiB frame plus headers fits a block

  auto one_mib = plan_ring(1 << 20, 262144, 0);  // only 8 of the 128 KiB a 64 KiB frame needs
  EXPECT_EQ(one_mib.block_size, 128u << 10);
  EXPECT_EQ(one_mib.block_count, 8u);
  EXPECT_EQ(g.retire_tov_ms, 100u);
  EXPECT_GE(g.block_size, g.frame_size);
  EXPECT_EQ(g.frame_size % 16, 0u);

  auto small = plan_ring(8192, 128, 0);
  EXPECT_EQ(small.block_size, 4096u);
  EXPECT_EQ(small.block_count, 2u);

  auto mid = plan_ring(8 << 20, 96, 0);  // small frames, large buffer: 256 KiB blocks
  EXPECT_EQ(mid.block_size, 256u << 10);
  EXPECT_EQ(mid.block_count, 32u);

  auto quarter = plan_ring(256 << 10, 96, 0);  // too small for 8 large blocks: a quarter each
  EXPECT_EQ(quarter.block_size, 64u << 10);
  EXPECT_EQ(quarter.block_count, 4u);

  auto tiny = plan_ring(100, 96, 0);
  EXPECT_EQ(tiny.block_count, 1u);
}

TEST(RingFit, HalvesTheBlockCountUntilTheKernelAcceptsAndSaysSo) {
  RingGeometry want{65536, 64, 2048, 0};
  std::vector<std::string> warnings;
  std::vector<std::uint32_t> tried;
  auto fitted = fit_ring(want, "veth0", [&](const RingGeometry& g) {
    tried.push_back(g.block_count);
    return g.bytes() > (1u << 20) ? ENOMEM : 0;
  }, warnings);
  ASSERT_TRUE(fitted);
  EXPECT_EQ(fitted->block_count, 16u);
  EXPECT_EQ(tried, (std::vector<std::uint32_t>{64, 32, 16}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "veth0: ring of 4194304 bytes refused by the kernel; using 16 blocks of 65536 bytes (1048576 bytes)");
}

TEST(RingFit, NoWarningWhenTheFirstTryFits) {
  std::vector<std::string> warnings;
  auto fitted = fit_ring({4096, 4, 4096, 0}, "lo", [](const RingGeometry&) { return 0; }, warnings);
  ASSERT_TRUE(fitted);
  EXPECT_EQ(fitted->block_count, 4u);
  EXPECT_TRUE(warnings.empty());
}

TEST(RingFit, OtherRefusalsAndTheLastBlockAreErrorsNamingTheStep) {
  std::vector<std::string> warnings;
  auto bad = fit_ring({4096, 4, 4096, 0}, "eth1", [](const RingGeometry&) { return EINVAL; }, warnings);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what(), "eth1: activate: setsockopt(PACKET_RX_RING, 4 blocks of 4096 bytes): Invalid argument");
  auto none = fit_ring({4096, 4, 4096, 0}, "eth1", [](const RingGeometry&) { return ENOMEM; }, warnings);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().sys_errno, ENOMEM);
  EXPECT_NE(none.error().what().find("1 blocks of 4096 bytes"), std::string::npos);
}

std::vector<std::uint8_t> bytes_of(const std::byte* p, std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::to_integer<std::uint8_t>(p[i]);
  return v;
}

TEST(FrameFixups, VlanTagGoesBetweenTheMacAddressesAndTheEthertype) {
  std::byte buf[32] = {};
  std::byte* frame = buf + 8;
  for (int i = 0; i < 16; ++i) frame[i] = static_cast<std::byte>(i + 1);  // 12 MAC bytes, type 0d0e, data
  std::byte* start = reinsert_vlan_ethernet(frame, 0x88a8, 0xe00a);
  EXPECT_EQ(start, frame - 4);
  EXPECT_EQ(bytes_of(start, 20), (std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x88, 0xa8,
                                                            0xe0, 0x0a, 13, 14, 15, 16}));
}

TEST(FrameFixups, CookedHeaderWithAndWithoutTag) {
  const std::uint8_t addr[8] = {2, 0x99, 0, 0, 0, 2, 0, 0};
  CookedFields f{4 /* PACKET_OUTGOING */, 1, 6, addr, 0};
  const std::uint8_t proto_be[2] = {0x08, 0x00};
  std::memcpy(&f.protocol_be, proto_be, 2);
  std::byte buf[64] = {};
  std::byte* payload = buf + 32;
  payload[0] = std::byte{0x45};
  std::byte* s = write_cooked_header(payload, f, false, 0, 0);
  EXPECT_EQ(s, payload - 16);
  EXPECT_EQ(bytes_of(s, 17), (std::vector<std::uint8_t>{0, 4, 0, 1, 0, 6, 2, 0x99, 0, 0, 0, 2, 0, 0, 8, 0, 0x45}));
  std::byte* t = write_cooked_header(payload, f, true, 0x8100, 0x0042);
  EXPECT_EQ(t, payload - 20);
  EXPECT_EQ(bytes_of(t, 21), (std::vector<std::uint8_t>{0, 4, 0, 1, 0, 6, 2, 0x99, 0, 0, 0, 2, 0, 0, 0x81, 0,
                                                        0, 0x42, 8, 0, 0x45}));
}

TEST(ArphrdTable, MapsAsLinuxLibpcap) {
  EXPECT_EQ(link_type_for_arphrd(1), dlt::kEn10Mb);       // ETHER
  EXPECT_EQ(link_type_for_arphrd(772), dlt::kEn10Mb);     // LOOPBACK
  EXPECT_EQ(link_type_for_arphrd(0xFFFE), dlt::kRaw);     // NONE (tun)
  EXPECT_EQ(link_type_for_arphrd(519), dlt::kRaw);        // RAWIP
  EXPECT_EQ(link_type_for_arphrd(776), dlt::kRaw);        // SIT
  EXPECT_EQ(link_type_for_arphrd(512), dlt::kLinuxSll);   // PPP: cooked
  EXPECT_EQ(link_type_for_arphrd(801), dlt::kIeee802_11);
  EXPECT_EQ(link_type_for_arphrd(803), dlt::kIeee802_11Radio);
  EXPECT_EQ(link_type_for_arphrd(824), LinkType{253});    // NETLINK
  EXPECT_EQ(link_type_for_arphrd(280), LinkType{227});    // CAN
  EXPECT_EQ(link_type_for_arphrd(9999), dlt::kLinuxSll);  // unknown: cooked
}

}  // namespace
}  // namespace pcapxx::linux_capture
