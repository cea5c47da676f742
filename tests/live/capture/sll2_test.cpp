// LINUX_SLL2 on cooked captures, written by the ring reader in the frame's headroom: known
// frames over a veth pair must come out of "any" behind exactly the header the
// LINKTYPE_LINUX_SLL2 description gives (protocol, reserved, ifindex, ARPHRD, packet type,
// address length, address), for each TPACKET version; filters for SLL2 run in the kernel; and
// the per-packet path allocates nothing (a counting global operator new in this binary).
#include <gtest/gtest.h>

#include <net/if.h>

#include "live/capture/allocation_counter.hpp"
#include "live/capture/frames.hpp"
#include "live/capture/tpacket_versions.hpp"
#include "live/netns.hpp"
#include "pcapxx/capture.hpp"

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kSll2Length = 20;

class CookedV2 : public ::testing::TestWithParam<TpacketVersion> {
 protected:
  CaptureOptions options(LinkType cooked = dlt::kLinuxSll2) const {
    CaptureOptions o;
    o.timeout_ms = 100;
    o.tpacket_version = GetParam();
    o.cooked_link_type = cooked;
    return o;
  }
  std::unique_ptr<LiveCapture> open_any(const CaptureOptions& o) {
    InNetns in(link.capture_ns());
    auto c = LiveCapture::open("any", o);
    if (!c) throw std::runtime_error(c.error().what());
    return std::move(*c);
  }
  std::uint32_t capture_ifindex() {
    InNetns in(link.capture_ns());
    return ::if_nametoindex(link.capture_if().c_str());
  }
  // The LINUX_SLL2 header of a frame from the peer: protocol, reserved, ifindex, ARPHRD_ETHER,
  // packet type, address length 6, the peer's MAC padded to 8 bytes.
  Bytes sll2(std::uint16_t protocol, std::uint32_t ifindex, std::uint8_t pkttype) const {
    Bytes h;
    put16(h, protocol);
    put16(h, 0);
    put16(h, static_cast<std::uint16_t>(ifindex >> 16));
    put16(h, static_cast<std::uint16_t>(ifindex));
    put16(h, 1);  // ARPHRD_ETHER
    h.push_back(std::byte{pkttype});
    h.push_back(std::byte{6});
    for (auto x : them) h.push_back(static_cast<std::byte>(x));
    h.push_back(std::byte{0});
    h.push_back(std::byte{0});
    return h;
  }

  VethPair link;
  MacAddress us = VethPair::capture_mac();
  MacAddress them = VethPair::peer_mac();
};

TEST_P(CookedV2, AnyDeliversKnownFramesBehindSll2Headers) {
  auto cap = open_any(options());
  EXPECT_EQ(cap->link_type(), dlt::kLinuxSll2);
  EXPECT_EQ(cap->interfaces()[0].link_type, dlt::kLinuxSll2);
  const std::uint32_t ifindex = capture_ifindex();
  FrameSender tx(link.peer_ns(), link.peer_if());
  const MacAddress broadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  std::vector<Bytes> sent = {make_frame(us, them, kTestEthertype, 100, 1),
                             make_frame(broadcast, them, kTestEthertype, 1514, 2),
                             make_frame({0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, them, kOtherEthertype, 64, 3),
                             make_frame(test_mac(0x77), them, kTestEthertype, 60, 4),
                             // The kernel strips the tag; as libpcap, SLL2 frames do not get it back.
                             make_frame(us, them, kTestEthertype, 120, 5, {{0x8100, 0x0042}})};
  const std::uint8_t pkttypes[] = {0 /* HOST */, 1 /* BROADCAST */, 2 /* MULTICAST */, 3 /* OTHERHOST */, 0};
  const std::uint16_t protocols[] = {kTestEthertype, kTestEthertype, kOtherEthertype, kTestEthertype, kTestEthertype};
  for (const auto& f : sent) tx.send(f);
  auto got = capture_n(*cap, sent.size());
  auto extra = capture_rest(*cap);
  ASSERT_EQ(got.size(), sent.size());
  EXPECT_TRUE(extra.empty()) << extra.size() << " unexpected packets, first " << hex(extra[0].data);
  for (std::size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(fmt::format("frame {}", i));
    Bytes want = sll2(protocols[i], ifindex, pkttypes[i]);
    const std::size_t link_header = i == 4 ? 18 : 14;
    want.insert(want.end(), sent[i].begin() + static_cast<std::ptrdiff_t>(link_header), sent[i].end());
    EXPECT_EQ(got[i].data, want) << "got  " << hex(got[i].data, 40) << "\nwant " << hex(want, 40);
    EXPECT_EQ(got[i].header.caplen, want.size());
    EXPECT_EQ(got[i].header.origlen, want.size());
    EXPECT_EQ(got[i].header.direction, Direction::inbound);
  }
}

TEST_P(CookedV2, SnaplenCountsTheSll2Header) {
  CaptureOptions o = options();
  o.snaplen = 64;
  auto cap = open_any(o);
  FrameSender tx(link.peer_ns(), link.peer_if());
  Bytes frame = make_frame(us, them, kTestEthertype, 300, 9);
  tx.send(frame);
  auto got = capture_n(*cap, 1);
  ASSERT_EQ(got.size(), 1u);
  // As libpcap: the header is part of the snapshot; origlen is the header plus the packet.
  EXPECT_EQ(got[0].header.caplen, 64u);
  EXPECT_EQ(got[0].header.origlen, kSll2Length + 300 - 14);
  Bytes want = sll2(kTestEthertype, capture_ifindex(), 0);
  want.insert(want.end(), frame.begin() + 14, frame.begin() + 14 + (64 - kSll2Length));
  EXPECT_EQ(got[0].data, want) << "got  " << hex(got[0].data) << "\nwant " << hex(want);
}

TEST_P(CookedV2, SetLinkTypeSwitchesBetweenSllAndSll2) {
  auto cap = open_any(options(dlt::kLinuxSll));
  ASSERT_EQ(cap->link_types().size(), 2u);
  EXPECT_EQ(cap->link_types()[0], dlt::kLinuxSll);
  EXPECT_EQ(cap->link_types()[1], dlt::kLinuxSll2);
  auto refused = cap->set_link_type(dlt::kEn10Mb);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unsupported);
  EXPECT_EQ(refused.error().message, "any: set link type 1: this capture delivers only link type(s) 113, 276");
  ASSERT_TRUE(cap->set_link_type(dlt::kLinuxSll2));
  EXPECT_EQ(cap->link_type(), dlt::kLinuxSll2);
  FrameSender tx(link.peer_ns(), link.peer_if());
  Bytes frame = make_frame(us, them, kTestEthertype, 80, 3);
  tx.send(frame);
  auto got = capture_n(*cap, 1);
  ASSERT_EQ(got.size(), 1u);
  Bytes want = sll2(kTestEthertype, capture_ifindex(), 0);
  want.insert(want.end(), frame.begin() + 14, frame.end());
  EXPECT_EQ(got[0].data, want) << "got  " << hex(got[0].data) << "\nwant " << hex(want);

  ASSERT_TRUE(cap->set_link_type(dlt::kLinuxSll));
  tx.send(frame);
  got = capture_n(*cap, 1);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].data.size(), 16u + 80 - 14);
  EXPECT_EQ(Bytes(got[0].data.begin() + 16, got[0].data.end()), Bytes(frame.begin() + 14, frame.end()));
  EXPECT_EQ(got[0].data[14], std::byte{0x88});  // LINUX_SLL: the protocol at 14
  EXPECT_EQ(got[0].data[15], std::byte{0xb5});

  // A device with a link header of its own offers only that.
  InNetns in(link.capture_ns());
  auto eth = LiveCapture::open(link.capture_if(), options());
  ASSERT_TRUE(eth) << eth.error().what();
  EXPECT_EQ((*eth)->link_type(), dlt::kEn10Mb);  // cooked_link_type is for cooked captures only
  ASSERT_EQ((*eth)->link_types().size(), 1u);
  EXPECT_FALSE((*eth)->set_link_type(dlt::kLinuxSll2));
}

TEST_P(CookedV2, RefusesALinkTypeThatIsNotCooked) {
  InNetns in(link.capture_ns());
  auto cap = LiveCapture::open("any", options(dlt::kEn10Mb));
  ASSERT_FALSE(cap);
  EXPECT_EQ(cap.error().code, Errc::invalid_argument);
  EXPECT_EQ(cap.error().message, "any: a cooked capture delivers LINUX_SLL (113) or LINUX_SLL2 (276) frames, not link type 1");
}

// A program for LINUX_SLL2 that tests the protocol (offset 0) and the interface index
// (offset 4) translates to SKF_AD_PROTOCOL and SKF_AD_IFINDEX: the kernel decides, so frames
// it rejects are never counted as received.
TEST_P(CookedV2, FilterForSll2RunsInTheKernel) {
  const std::uint32_t ifindex = capture_ifindex();
  const BpfProgram program = {
      {0x28, 0, 0, 0},                // ldh [0]          protocol
      {0x15, 0, 3, kTestEthertype},   // jeq #0x88b5
      {0x20, 0, 0, 4},                // ld [4]           ifindex
      {0x15, 0, 1, ifindex},          // jeq #ifindex
      {0x06, 0, 0, 262144},
      {0x06, 0, 0, 0},
  };
  CaptureOptions o = options();
  o.filter = program;
  auto cap = open_any(o);
  EXPECT_EQ(cap->filter_placement(), FilterPlacement::kernel_translated) << cap->filter_note();
  FrameSender tx(link.peer_ns(), link.peer_if());
  for (std::uint32_t i = 0; i < 6; ++i) tx.send(make_frame(us, them, i % 2 == 0 ? kTestEthertype : kOtherEthertype, 90, i));
  auto got = capture_n(*cap, 3);
  auto extra = capture_rest(*cap);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(extra.empty()) << hex(extra[0].data);
  for (std::size_t i = 0; i < got.size(); ++i) {
    ASSERT_GE(got[i].data.size(), kSll2Length + 4);
    EXPECT_EQ(got[i].data[0], std::byte{0x88});
    EXPECT_EQ(got[i].data[1], std::byte{0xb5});
    EXPECT_EQ(got[i].data[kSll2Length + 3], std::byte(2 * i)) << "sequence number";
  }
  // The kernel counts what its filter passed: the three others never reached the socket.
  EXPECT_EQ(cap->stats().received, 3u);

  // set_filter with the same program after open: the same placement.
  ASSERT_TRUE(cap->set_filter(program));
  EXPECT_EQ(cap->filter_placement(), FilterPlacement::kernel_translated);
}

// Several devices in one source, "any" among them: its frames carry SLL2 headers, the veth's
// stay Ethernet; each member reports its own link type.
TEST_P(CookedV2, MultiCaptureWithAnyDeliversSll2) {
  std::unique_ptr<MultiCapture> multi;
  {
    InNetns in(link.capture_ns());
    std::vector<std::string> devices = {"any", link.capture_if()};
    auto m = MultiCapture::open(devices, options());
    ASSERT_TRUE(m) << m.error().what();
    multi = std::move(*m);
  }
  ASSERT_EQ(multi->interfaces().size(), 2u);
  EXPECT_EQ(multi->interfaces()[0].link_type, dlt::kLinuxSll2);
  EXPECT_EQ(multi->interfaces()[1].link_type, dlt::kEn10Mb);
  FrameSender tx(link.peer_ns(), link.peer_if());
  Bytes frame = make_frame(us, them, kTestEthertype, 150, 11);
  tx.send(frame);
  Bytes want_cooked = sll2(kTestEthertype, capture_ifindex(), 0);
  want_cooked.insert(want_cooked.end(), frame.begin() + 14, frame.end());
  std::vector<std::pair<std::uint32_t, Bytes>> got;
  for (int i = 0; i < 50 && got.size() < 2; ++i) {
    auto r = multi->next_batch();
    ASSERT_TRUE(r) << r.error().what();
    if (r->status != BatchStatus::packets) continue;
    for (const PacketView& p : r->packets) got.emplace_back(p.header.interface, Bytes(p.data.begin(), p.data.end()));
  }
  ASSERT_EQ(got.size(), 2u);
  for (const auto& [iface, data] : got) {
    if (iface == 0) {
      EXPECT_EQ(data, want_cooked) << "got  " << hex(data) << "\nwant " << hex(want_cooked);
    } else {
      EXPECT_EQ(data, frame) << "got  " << hex(data);
    }
  }
  EXPECT_NE(got[0].first, got[1].first);
}

// The per-packet path allocates nothing: frames are sent first, then next_batch runs until
// every one came out, with this thread's allocations counted (the views are reserved at open).
TEST_P(CookedV2, DispatchLoopDoesNotAllocate) {
  for (LinkType cooked : {dlt::kLinuxSll, dlt::kLinuxSll2}) {
    SCOPED_TRACE(cooked.dlt);
    CaptureOptions o = options(cooked);
    o.timeout_ms = 200;
    o.snaplen = 512;  // small V1/V2 frames: the ring holds every frame sent
    auto cap = open_any(o);
    constexpr std::uint32_t kFrames = 300;
    {
      FrameSender tx(link.peer_ns(), link.peer_if());
      for (std::uint32_t i = 0; i < kFrames; ++i) tx.send(make_frame(us, them, kTestEthertype, 60 + i % 200, i));
    }
    std::uint64_t packets = 0;
    std::uint64_t checksum = 0;
    std::uint64_t errors = 0;
    const std::uint64_t before = allocations_counted();
    count_allocations(true);
    for (int rounds = 0; rounds < 200 && packets < kFrames; ++rounds) {
      auto r = cap->next_batch();
      if (!r) {
        ++errors;
        break;
      }
      if (r->status == BatchStatus::end) break;
      for (const PacketView& p : r->packets) {
        ++packets;
        checksum += std::to_integer<unsigned>(p.data[p.data.size() - 1]);
      }
    }
    count_allocations(false);
    const std::uint64_t allocations = allocations_counted() - before;
    EXPECT_EQ(errors, 0u);
    EXPECT_EQ(packets, kFrames);
    EXPECT_NE(checksum, 0u);
    EXPECT_EQ(allocations, 0u) << "allocations while taking " << packets << " packets out of the ring";
  }
}

// The counter itself works: an allocation on the counting thread is seen (else the test above
// could not fail).
TEST(AllocationCounter, CountsThisThreadsAllocations) {
  const std::uint64_t before = allocations_counted();
  count_allocations(true);
  void* p = ::operator new(64);  // a call, not a new-expression: the compiler may not elide it
  count_allocations(false);
  ::operator delete(p);
  EXPECT_EQ(allocations_counted() - before, 1u);
}

INSTANTIATE_TEST_SUITE_P(Tpacket, CookedV2,
                         ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);

}  // namespace
}  // namespace pcapxx::test
