// The same traffic through pcapxx and through tcpdump (the oracle, a separate process writing
// a pcap file): same packets, same bytes, same lengths, same order.
#include <gtest/gtest.h>

#include <memory>

#include "live/capture/frames.hpp"
#include "live/netns.hpp"
#include "live/tcpdump_writer.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

TEST(CaptureDifferential, SameBytesAsTcpdumpOnTheSameTraffic) {
  VethPair link;
  TempFile file("pxdiff");
  // Both directions, as the pcapxx capture below.
  Tcpdump oracle(link.capture_ns(), link.capture_if(), file.path, "", /*inbound_only=*/false);
  std::unique_ptr<LiveCapture> cap;
  {
    InNetns in(link.capture_ns());
    CaptureOptions o;
    o.timeout_ms = 100;
    o.snaplen = 0;  // the maximum, as tcpdump -s 0
    auto c = LiveCapture::open(link.capture_if(), o);
    ASSERT_TRUE(c) << c.error().what();
    cap = std::move(*c);
  }
  FrameSender tx(link.peer_ns(), link.peer_if());
  const MacAddress us = VethPair::capture_mac(), them = VethPair::peer_mac();
  std::vector<Bytes> sent;
  std::uint32_t seq = 0;
  for (std::size_t size = 60; size <= 1514; size += 97) sent.push_back(make_frame(us, them, kTestEthertype, size, seq++));
  sent.push_back(make_frame(us, them, kTestEthertype, 200, seq++, {{0x8100, 0x3010}}));
  sent.push_back(make_frame(us, them, kTestEthertype, 300, seq++, {{0x88a8, 0x0020}, {0x8100, 0x0030}}));
  sent.push_back(make_frame({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, them, 0x0806, 60, seq++));
  sent.push_back(make_frame(test_mac(0x42), them, kOtherEthertype, 1514, seq++));
  for (const auto& f : sent) tx.send(f);

  auto ours = capture_n(*cap, sent.size());
  auto theirs = finish_tcpdump(oracle, file.path, sent.size());

  ASSERT_EQ(ours.size(), sent.size());
  expect_same_as_tcpdump(ours, theirs);
  for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_EQ(ours[i].data, sent[i]) << "frame " << i;
}

}  // namespace
}  // namespace pcapxx::test
