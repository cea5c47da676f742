// The capture path allocates nothing per packet on Ethernet: a flood read through next_batch
// with every TPACKET version while this thread's operator new calls are counted
// (allocation_counter.hpp; the cooked LINUX_SLL/SLL2 counterpart is in sll2_test.cpp).
#include <gtest/gtest.h>

#include <atomic>
#include <new>
#include <thread>

#include "live/capture/allocation_counter.hpp"
#include "live/capture/frames.hpp"
#include "live/capture/tpacket_versions.hpp"
#include "live/netns.hpp"
#include "pcapxx/capture.hpp"

namespace pcapxx::test {
namespace {

class EthernetNoAllocation : public ::testing::TestWithParam<TpacketVersion> {};

TEST_P(EthernetNoAllocation, ReadingAFloodAllocatesNothing) {
  // The counter itself must see an allocation, or the test could never fail.
  static void* volatile probe = nullptr;  // volatile: the allocation cannot be elided
  const std::uint64_t at_probe = allocations_counted();
  count_allocations(true);
  probe = ::operator new(16);
  count_allocations(false);
  ::operator delete(probe);
  ASSERT_EQ(allocations_counted() - at_probe, 1u) << "the replaced operator new is not in use";

  VethPair link;
  std::unique_ptr<LiveCapture> cap;
  {
    InNetns in(link.capture_ns());
    CaptureOptions o;
    o.timeout_ms = 200;
    o.tpacket_version = GetParam();
    o.buffer_size = 4 << 20;
    auto c = LiveCapture::open(link.capture_if(), o);
    ASSERT_TRUE(c) << c.error().what();
    cap = std::move(*c);
  }
  constexpr std::uint32_t kFlood = 20000;
  std::vector<Bytes> frames;
  for (std::uint32_t i = 0; i < 64; ++i) {
    frames.push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 60 + i * 23, i));
  }
  frames.push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 300, 0, {{0x8100, 0x0123}}));
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::atomic<bool> sending{true};
  std::thread sender([&] {
    for (std::uint32_t i = 0; i < kFlood; ++i) tx.send(frames[i % frames.size()]);
    sending = false;
  });

  // The dispatch loop, as a caller writes it: take batches, look at every byte of every packet.
  std::uint64_t packets = 0, batches = 0, bytes = 0, checksum = 0;
  int quiet = 0;
  const std::uint64_t before = allocations_counted();
  count_allocations(true);
  while (quiet < 2) {
    auto r = cap->next_batch();
    if (!r) break;  // the message is read below, outside the counted loop
    if (r->status != BatchStatus::packets) {
      if (!sending) ++quiet;
      continue;
    }
    quiet = 0;
    ++batches;
    for (const PacketView& p : r->packets) {
      ++packets;
      bytes += p.data.size();
      for (std::byte b : p.data) checksum += std::to_integer<unsigned>(b);
      checksum += p.header.origlen + p.header.interface;
    }
  }
  count_allocations(false);
  const std::uint64_t news = allocations_counted() - before;
  sender.join();
  auto st = cap->stats();
  fmt::print("TPACKET_V{}: {} packets in {} batches ({} bytes, sum {}), {} dropped, {} operator new calls\n",
             static_cast<int>(GetParam()), packets, batches, bytes, checksum, st.dropped, news);
  EXPECT_EQ(news, 0u) << "the capture path allocated";
  EXPECT_GE(packets, 1000u) << "too few packets read to show anything";
  EXPECT_EQ(packets + st.dropped, st.received);
}

INSTANTIATE_TEST_SUITE_P(Tpacket, EthernetNoAllocation,
                         ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);

}  // namespace
}  // namespace pcapxx::test
