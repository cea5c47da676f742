// Immediate mode on TPACKET_V3: packets come out of the block the kernel is still filling
// (checked through the capture's own count of them), every packet exactly once and in order,
// whether they trickle in or flood (then whole blocks still arrive as one batch).
#include <gtest/gtest.h>

#include <thread>

#include "capture/linux/live_impl.hpp"
#include "core/byte_order.hpp"
#include "live/capture/frames.hpp"
#include "live/netns.hpp"

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<LiveCapture> open_immediate(const VethPair& link, CaptureOptions o = {}) {
  InNetns in(link.capture_ns());
  o.immediate = true;
  auto c = LiveCapture::open(link.capture_if(), o);
  if (!c) throw std::runtime_error(c.error().what());
  return std::move(*c);
}

TEST(Immediate, TricklingPacketsComeOutOfTheOpenBlockExactly) {
  VethPair link;
  CaptureOptions o;
  o.timeout_ms = 2000;
  auto cap = open_immediate(link, o);
  EXPECT_NE(cap->ring_description().find("immediate: reads the open block, wakes per packet"), std::string::npos)
      << cap->ring_description();
  EXPECT_TRUE(cap->warnings().empty());
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> sent;
  std::vector<Captured> got;
  // One packet, then read it, twenty times: each must arrive alone, most before its block
  // retires (the block timeout is 1 ms, so some may retire first on a slow machine).
  for (std::uint32_t i = 0; i < 20; ++i) {
    sent.push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype,
                              60 + 50 * i, i, i % 3 == 0 ? std::vector<std::pair<std::uint16_t, std::uint16_t>>{{0x8100, 7}}
                                                          : std::vector<std::pair<std::uint16_t, std::uint16_t>>{}));
    tx.send(sent.back());
    auto one = capture_n(*cap, 1);
    got.insert(got.end(), one.begin(), one.end());
  }
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].data, sent[i]) << "got  " << hex(got[i].data) << "\nsent " << hex(sent[i]);
    EXPECT_EQ(got[i].header.origlen, sent[i].size());
    EXPECT_EQ(got[i].header.direction, Direction::inbound);
  }
  const std::uint64_t early = cap->impl().delivered_from_open_blocks;
  fmt::print("{} of {} packets taken from a block the kernel was still filling\n", early, sent.size());
  EXPECT_GT(early, 0u) << "immediate mode never read an open block";
  auto st = cap->stats();
  EXPECT_EQ(st.received, sent.size());
  EXPECT_EQ(st.dropped, 0u);
}

TEST(Immediate, AFloodArrivesCompleteInOrderAndStillInBatches) {
  VethPair link;
  CaptureOptions o;
  o.timeout_ms = 200;
  o.buffer_size = 8 << 20;  // room for the whole flood: this test is about exactness, not loss
  o.snaplen = 512;
  auto cap = open_immediate(link, o);
  const std::uint32_t count = 20000;
  std::thread sender([&] {
    FrameSender tx(link.peer_ns(), link.peer_if());
    for (std::uint32_t i = 0; i < count; ++i) {
      tx.send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 60 + i % 200, i));
    }
  });
  std::uint32_t next = 0;
  std::size_t batches = 0, largest = 0;
  bool exact = true;
  std::string first_bad;
  auto end = std::chrono::steady_clock::now() + 30s;
  while (next < count && std::chrono::steady_clock::now() < end) {
    auto r = cap->next_batch();
    ASSERT_TRUE(r) << r.error().what();
    if (r->status != BatchStatus::packets) continue;
    ++batches;
    largest = std::max(largest, r->packets.size());
    for (const PacketView& p : r->packets) {
      Bytes want = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 60 + next % 200, next);
      if (exact && !std::equal(p.data.begin(), p.data.end(), want.begin(), want.end())) {
        exact = false;
        first_bad = fmt::format("packet {}: got {} want {}", next, hex(p.data), hex(want));
      }
      ++next;
    }
  }
  sender.join();
  auto st = cap->stats();
  fmt::print("flood: {} packets in {} batches (largest {}), {} from open blocks, dropped {}\n", next, batches,
             largest, cap->impl().delivered_from_open_blocks, st.dropped);
  EXPECT_EQ(st.dropped, 0u);
  EXPECT_EQ(next, count);
  EXPECT_TRUE(exact) << first_bad;
  EXPECT_GT(largest, 1u) << "a flood should still come a block at a time";
}

}  // namespace
}  // namespace pcapxx::test
