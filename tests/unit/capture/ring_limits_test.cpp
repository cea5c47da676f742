// Ring geometry limits that need no kernel to check: a frame count past 32 bits (the kernel's
// tp_frame_nr) is reduced before the kernel is asked, with the usual warning.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>

#include "capture/linux/ring.hpp"

namespace pcapxx::linux_capture {
namespace {

TEST(RingLimits, FrameCountPast32BitsIsReducedBeforeTheKernelIsAsked) {
  // 2^26 blocks of 64 KiB cut into 160-byte frames: 409 * 2^26 frames, more than 2^32.
  const RingGeometry want{65536, 1u << 26, 160, 0};
  ASSERT_GT(std::uint64_t{want.frames_per_block()} * want.block_count, std::uint64_t{UINT32_MAX});
  std::vector<std::string> warnings;
  std::uint32_t asked = 0;
  // As af_packet.c packet_set_ring: EINVAL when the frame count overflows 32 bits.
  auto fitted = fit_ring(want, "veth0", [&](const RingGeometry& g) {
    ++asked;
    return std::uint64_t{g.frames_per_block()} * g.block_count > UINT32_MAX ? EINVAL : 0;
  }, warnings);
  ASSERT_TRUE(fitted) << fitted.error().what();
  EXPECT_EQ(asked, 1u) << "the first geometry asked for must already fit";
  EXPECT_EQ(fitted->block_count, 1u << 23);
  EXPECT_LE(std::uint64_t{fitted->frames_per_block()} * fitted->block_count, std::uint64_t{UINT32_MAX});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("veth0: ring of 4398046511104 bytes"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace pcapxx::linux_capture
