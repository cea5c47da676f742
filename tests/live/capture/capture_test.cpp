// Live capture over veth pairs in namespaces: known frames in, exactly those frames out.
#include <gtest/gtest.h>

#include <linux/capability.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <future>
#include <optional>
#include <thread>

#include "capture/linux/live_impl.hpp"
#include "capture/linux/netlink.hpp"
#include "core/byte_order.hpp"
#include "live/capture/frames.hpp"
#include "live/capture/tpacket_versions.hpp"
#include "live/netns.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/device.hpp"

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

// The ring layout the running test uses (every test runs once per TPACKET version).
TpacketVersion g_version = TpacketVersion::v3;

CaptureOptions quick(CaptureOptions o = {}) {
  o.timeout_ms = 100;
  o.tpacket_version = g_version;
  return o;
}

/// open_in at the version under test.
std::unique_ptr<LiveCapture> open_at_version(const Netns& ns, const std::string& dev, CaptureOptions o) {
  o.tpacket_version = g_version;
  return open_in(ns, dev, o);
}

/// next_batch on another thread, given 10 s (a guard against hanging, not a timing check): its
/// result, or nothing when it was still waiting (the loop is then broken so the thread ends).
std::optional<Result<BatchResult>> next_batch_or_hang(LiveCapture& cap) {
  auto reader = std::async(std::launch::async, [&] { return cap.next_batch(); });
  if (reader.wait_for(10s) != std::future_status::ready) {
    cap.break_loop();
    return std::nullopt;
  }
  return reader.get();
}

std::uint64_t rx_packets(const Netns& ns, const std::string& dev) {
  InNetns in(ns);
  auto link = linux_capture::get_link(::if_nametoindex(dev.c_str()));
  if (!link) throw std::runtime_error(link.error().what());
  return link->rx_packets;
}

BpfProgram accept_only_ethertype(std::uint16_t type) {
  // ldh [12]; jeq #type, accept, reject; accept: ret #262144; reject: ret #0
  return {{0x28, 0, 0, 12}, {0x15, 0, 1, type}, {0x06, 0, 0, 262144}, {0x06, 0, 0, 0}};
}

class Capture : public ::testing::TestWithParam<TpacketVersion> {
 protected:
  void SetUp() override { g_version = GetParam(); }
  void TearDown() override { g_version = TpacketVersion::v3; }
  static bool v1() { return g_version == TpacketVersion::v1; }

  VethPair link;
  MacAddress us = VethPair::capture_mac();
  MacAddress them = VethPair::peer_mac();
};

TEST_P(Capture, DeliversKnownFramesExactlyInOrder) {
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), quick());
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> sent;
  std::uint32_t seq = 0;
  for (std::size_t size : {60, 61, 64, 100, 255, 256, 512, 1000, 1499, 1513, 1514}) {
    sent.push_back(make_frame(us, them, kTestEthertype, size, seq++));
  }
  sent.push_back(make_frame({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, them, kTestEthertype, 70, seq++));
  sent.push_back(make_frame({0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, them, kTestEthertype, 80, seq++));
  sent.push_back(make_frame(test_mac(0x77), them, kTestEthertype, 90, seq++));  // someone else's
  const std::int64_t before = Timestamp::from(std::time(nullptr) - 1, 0).ns;
  for (const auto& f : sent) tx.send(f);
  auto got = capture_n(*cap, sent.size());
  auto extra = capture_rest(*cap);
  const std::int64_t after = Timestamp::from(std::time(nullptr) + 1, 0).ns;

  ASSERT_EQ(got.size(), sent.size());
  EXPECT_TRUE(extra.empty()) << extra.size() << " unexpected packets, first " << hex(extra[0].data);
  const PacketFlags reception[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 2, 4};  // unicast..., bcast, mcast, other
  for (std::size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(fmt::format("frame {} of {} bytes", i, sent[i].size()));
    EXPECT_EQ(got[i].data, sent[i]) << "got  " << hex(got[i].data) << "\nsent " << hex(sent[i]);
    EXPECT_EQ(got[i].header.caplen, sent[i].size());
    EXPECT_EQ(got[i].header.origlen, sent[i].size());
    EXPECT_EQ(got[i].header.direction, Direction::inbound);
    EXPECT_EQ(got[i].header.interface, 0u);
    EXPECT_EQ(got[i].header.flags, 1u | (reception[i] << 2));
    EXPECT_GT(got[i].header.ts.ns, before);
    EXPECT_LT(got[i].header.ts.ns, after);
    EXPECT_EQ(got[i].header.ts.ns % 1000, 0) << "µs precision asked";
    if (i > 0) {
      EXPECT_GE(got[i].header.ts, got[i - 1].header.ts);
    }
  }
  ASSERT_EQ(cap->interfaces().size(), 1u);
  EXPECT_EQ(cap->interfaces()[0].name, link.capture_if());
  EXPECT_EQ(cap->link_type(), dlt::kEn10Mb);
  EXPECT_EQ(cap->snaplen(), 262144u);
  auto st = cap->stats();
  EXPECT_EQ(st.received, sent.size());
  EXPECT_EQ(st.dropped, 0u);
}

TEST_P(Capture, NanosecondTimestampsWhenAsked) {
  CaptureOptions o = quick();
  o.nanosecond = true;
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), o);
  FrameSender tx(link.peer_ns(), link.peer_if());
  for (std::uint32_t i = 0; i < 20; ++i) tx.send(make_frame(us, them, kTestEthertype, 60, i));
  auto got = capture_n(*cap, 20);
  ASSERT_EQ(got.size(), 20u);
  if (v1()) {
    // The V1 header carries microseconds only; the capture says so and does not pretend.
    EXPECT_EQ(cap->interfaces()[0].ts_units_per_second, 1'000'000u);
    ASSERT_EQ(cap->warnings().size(), 1u);
    EXPECT_EQ(cap->warnings()[0], link.capture_if() + ": TPACKET_V1 has microsecond timestamps only");
    for (auto& g : got) EXPECT_EQ(g.header.ts.ns % 1000, 0);
    return;
  }
  EXPECT_EQ(cap->interfaces()[0].ts_units_per_second, 1'000'000'000u);
  // With ns precision at least one of 20 stamps is not a whole microsecond (all would be with
  // probability 1e-60).
  bool sub_us = false;
  for (auto& g : got) sub_us |= g.header.ts.ns % 1000 != 0;
  EXPECT_TRUE(sub_us);
}

TEST_P(Capture, ReinsertsVlanTagsTheKernelStripped) {
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), quick());
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> sent = {
      make_frame(us, them, kTestEthertype, 100, 1, {{0x8100, 0x2005}}),                  // 802.1Q, prio 1 vid 5
      make_frame(us, them, kTestEthertype, 64, 2, {{0x88a8, 0x0123}}),                   // 802.1ad
      make_frame(us, them, kTestEthertype, 1000, 3, {{0x88a8, 0x0064}, {0x8100, 0xe00a}}),  // QinQ
      make_frame(us, them, kTestEthertype, 60, 4),                                       // untagged
      make_frame(us, them, kTestEthertype, 64, 5, {{0x8100, 0x0000}}),                   // priority tag, vid 0
  };
  for (const auto& f : sent) tx.send(f);
  auto got = capture_n(*cap, sent.size());
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(i);
    Bytes want = sent[i];
    if (v1() && i != 3) {
      // The V1 header has no VLAN fields: the outer tag the kernel stripped is gone.
      want.erase(want.begin() + 12, want.begin() + 16);
    }
    EXPECT_EQ(got[i].data, want) << "got  " << hex(got[i].data) << "\nwant " << hex(want);
    EXPECT_EQ(got[i].header.origlen, want.size());
  }
}

TEST_P(Capture, AnyDeviceDeliversCookedHeaders) {
  auto cap = open_at_version(link.capture_ns(), "any", quick());
  EXPECT_EQ(cap->link_type(), dlt::kLinuxSll);
  FrameSender tx(link.peer_ns(), link.peer_if());
  Bytes plain = make_frame(us, them, kTestEthertype, 100, 7);
  Bytes tagged = make_frame({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, them, kTestEthertype, 120, 8, {{0x8100, 0x0042}});
  tx.send(plain);
  tx.send(tagged);
  auto first = cap->next_batch();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, BatchStatus::packets);
  ASSERT_EQ(cap->batch_ifindexes().size(), first->packets.size());
  {
    InNetns in(link.capture_ns());
    EXPECT_EQ(cap->batch_ifindexes()[0], ::if_nametoindex(link.capture_if().c_str()));
  }
  std::vector<Captured> got;
  for (const PacketView& p : first->packets) got.push_back({p.header, Bytes(p.data.begin(), p.data.end())});
  if (got.size() < 2) {
    auto more = capture_n(*cap, 2 - got.size());
    got.insert(got.end(), more.begin(), more.end());
  }
  ASSERT_EQ(got.size(), 2u);

  auto cooked = [&](std::uint16_t pkttype, std::uint16_t protocol) {
    Bytes h;
    put16(h, pkttype);
    put16(h, 1);  // ARPHRD_ETHER
    put16(h, 6);
    for (auto x : them) h.push_back(static_cast<std::byte>(x));
    h.push_back(std::byte{0});
    h.push_back(std::byte{0});
    put16(h, protocol);
    return h;
  };
  Bytes want1 = cooked(0 /* PACKET_HOST */, kTestEthertype);
  want1.insert(want1.end(), plain.begin() + 14, plain.end());
  Bytes want2;
  if (v1()) {  // no VLAN fields in the V1 header: the tag the kernel stripped is gone
    want2 = cooked(1 /* PACKET_BROADCAST */, kTestEthertype);
  } else {
    want2 = cooked(1 /* PACKET_BROADCAST */, 0x8100);
    put16(want2, 0x0042);
    put16(want2, kTestEthertype);
  }
  want2.insert(want2.end(), tagged.begin() + 18, tagged.end());
  EXPECT_EQ(got[0].data, want1) << "got  " << hex(got[0].data) << "\nwant " << hex(want1);
  EXPECT_EQ(got[1].data, want2) << "got  " << hex(got[1].data) << "\nwant " << hex(want2);
  EXPECT_EQ(got[0].header.origlen, want1.size());
  EXPECT_EQ(got[1].header.origlen, want2.size());
}

TEST_P(Capture, SnaplenTruncatesAndKeepsTheOriginalLength) {
  CaptureOptions o = quick();
  o.snaplen = 100;
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), o);
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> sent = {make_frame(us, them, kTestEthertype, 60, 0),
                             make_frame(us, them, kTestEthertype, 100, 1),
                             make_frame(us, them, kTestEthertype, 101, 2),
                             make_frame(us, them, kTestEthertype, 1514, 3),
                             make_frame(us, them, kTestEthertype, 300, 4, {{0x8100, 0x0007}})};
  for (const auto& f : sent) tx.send(f);
  auto got = capture_n(*cap, sent.size());
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(i);
    Bytes want = sent[i];
    if (v1() && i == 4) want.erase(want.begin() + 12, want.begin() + 16);  // V1: tag not reinserted
    std::size_t keep = std::min<std::size_t>(100, want.size());
    EXPECT_EQ(got[i].header.caplen, keep);
    EXPECT_EQ(got[i].header.origlen, want.size());
    EXPECT_EQ(got[i].data, Bytes(want.begin(), want.begin() + static_cast<std::ptrdiff_t>(keep)));
  }
  EXPECT_EQ(cap->snaplen(), 100u);
}

std::uint32_t promiscuity(const Netns& ns, const std::string& dev) {
  InNetns in(ns);
  auto d = find_device(dev);
  if (!d) throw std::runtime_error(d.error().what());
  return d->promiscuity;
}

// On veth, AF_PACKET sees frames for other MACs with or without promiscuous mode (veth does
// no MAC filtering; they arrive as PACKET_OTHERHOST), so what promiscuous mode changes here is
// the device's promiscuity count, which the kernel reports through IFLA_PROMISCUITY.
TEST_P(Capture, PromiscuousModeIsHeldExactlyWhileOpen) {
  ASSERT_EQ(promiscuity(link.capture_ns(), link.capture_if()), 0u);
  {
    auto plain = open_at_version(link.capture_ns(), link.capture_if(), quick());
    EXPECT_EQ(promiscuity(link.capture_ns(), link.capture_if()), 0u);
    CaptureOptions o = quick();
    o.promiscuous = true;
    auto promisc = open_at_version(link.capture_ns(), link.capture_if(), o);
    EXPECT_EQ(promiscuity(link.capture_ns(), link.capture_if()), 1u);

    FrameSender tx(link.peer_ns(), link.peer_if());
    tx.send(make_frame(test_mac(0x55), them, kTestEthertype, 60, 1));
    auto got = capture_n(*promisc, 1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].header.flags >> 2 & 7, 4u) << "reception type: promiscuous (PACKET_OTHERHOST)";
  }
  EXPECT_EQ(promiscuity(link.capture_ns(), link.capture_if()), 0u);
}

TEST_P(Capture, FilterGivenAtOpenSelectsPackets) {
  CaptureOptions o = quick();
  o.filter = accept_only_ethertype(kTestEthertype);
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), o);
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> want;
  for (std::uint32_t i = 0; i < 20; ++i) {
    Bytes f = make_frame(us, them, i % 2 ? kTestEthertype : kOtherEthertype, 60 + i, i);
    tx.send(f);
    if (i % 2) want.push_back(f);
  }
  auto got = capture_n(*cap, want.size());
  auto extra = capture_rest(*cap);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(extra.empty());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i].data, want[i]) << i;
  EXPECT_EQ(cap->stats().received, want.size()) << "rejected packets are not counted";
}

TEST_P(Capture, SetFilterNeverDeliversPacketsFromBeforeIt) {
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), quick());
  FrameSender tx(link.peer_ns(), link.peer_if());
  for (std::uint32_t i = 0; i < 10; ++i) tx.send(make_frame(us, them, kOtherEthertype, 60, i));
  // Wait until the ten are in the ring (counted by the kernel), without reading them.
  std::uint64_t seen = 0;
  for (int i = 0; i < 1000 && seen < 10; ++i) {
    seen = cap->stats().received;
    if (seen < 10) std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(seen, 10u);
  ASSERT_TRUE(cap->set_filter(accept_only_ethertype(kTestEthertype)));
  std::vector<Bytes> want;
  for (std::uint32_t i = 0; i < 10; ++i) {
    Bytes f = make_frame(us, them, i % 2 ? kTestEthertype : kOtherEthertype, 70, 100 + i);
    tx.send(f);
    if (i % 2) want.push_back(f);
  }
  auto got = capture_n(*cap, want.size());
  auto extra = capture_rest(*cap);
  got.insert(got.end(), extra.begin(), extra.end());
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i].data, want[i]) << i;
}

TEST_P(Capture, RejectAllFilterDeliversNothing) {
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), quick());
  ASSERT_TRUE(cap->set_filter({{0x06, 0, 0, 0}}));
  FrameSender tx(link.peer_ns(), link.peer_if());
  for (std::uint32_t i = 0; i < 10; ++i) tx.send(make_frame(us, them, kTestEthertype, 60, i));
  EXPECT_TRUE(capture_rest(*cap).empty());
  EXPECT_EQ(cap->stats().received, 0u);
  // And the capture still works once the filter accepts again.
  ASSERT_TRUE(cap->set_filter({{0x06, 0, 0, 262144}}));
  tx.send(make_frame(us, them, kTestEthertype, 60, 99));
  EXPECT_EQ(capture_n(*cap, 1).size(), 1u);
}

TEST_P(Capture, BadFilterIsRefusedWithTheStep) {
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), quick());
  auto r = cap->set_filter({{0x15, 5, 5, 1}});  // jumps past the end, no return
  ASSERT_FALSE(r);
  // Checked before the socket is touched (a program the kernel refuses but userspace can run
  // falls back to userspace: filter_placement_test.cpp).
  EXPECT_TRUE(r.error().what().starts_with(link.capture_if() + ": set filter: ")) << r.error().what();
  EXPECT_EQ(r.error().code, Errc::invalid_argument) << r.error().what();
  auto empty = cap->set_filter({});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);
}

TEST_P(Capture, BreakLoopWakesAWaitingReader) {
  CaptureOptions o;
  o.timeout_ms = 0;  // wait forever
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), o);
  auto reader = std::async(std::launch::async, [&] { return cap->next_batch(); });
  std::this_thread::sleep_for(50ms);  // let it block in poll (if not yet, the flag still ends it)
  cap->break_loop();
  ASSERT_EQ(reader.wait_for(10s), std::future_status::ready) << "break_loop did not wake the reader";
  auto r = reader.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, BatchStatus::end);
}

TEST_P(Capture, BreakLoopBeforeTheCallEndsItOnceThenPacketsFlow) {
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), quick());
  FrameSender tx(link.peer_ns(), link.peer_if());
  tx.send(make_frame(us, them, kTestEthertype, 60, 1));
  cap->break_loop();
  auto r = cap->next_batch();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, BatchStatus::end);
  EXPECT_EQ(capture_n(*cap, 1).size(), 1u);
}

TEST_P(Capture, NonBlockingReturnsAtOnceAndTheFdSaysWhenToRead) {
  CaptureOptions o;
  o.timeout_ms = 0;  // would wait forever when blocking
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), o);
  cap->set_nonblocking(true);
  EXPECT_TRUE(cap->nonblocking());
  auto first = next_batch_or_hang(*cap);
  ASSERT_TRUE(first) << "next_batch blocked in non-blocking mode";
  auto r = std::move(*first);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, BatchStatus::timeout);

  FrameSender tx(link.peer_ns(), link.peer_if());
  tx.send(make_frame(us, them, kTestEthertype, 60, 1));
  pollfd p{cap->selectable_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1) << "the block never became readable";
  auto r2 = cap->next_batch();
  ASSERT_TRUE(r2);
  ASSERT_EQ(r2->status, BatchStatus::packets);
  EXPECT_EQ(r2->packets.size(), 1u);
}

TEST_P(Capture, DirectionSelectsSentOrReceivedPackets) {
  // Capture on the sending side: what the peer sends is outbound there.
  auto both = open_at_version(link.peer_ns(), link.peer_if(), quick());
  CaptureOptions in_only = quick(), out_only = quick();
  in_only.direction = CaptureDirection::in;
  out_only.direction = CaptureDirection::out;
  auto in = open_at_version(link.peer_ns(), link.peer_if(), in_only);
  auto out = open_at_version(link.peer_ns(), link.peer_if(), out_only);
  FrameSender from_peer(link.peer_ns(), link.peer_if());
  FrameSender from_capture(link.capture_ns(), link.capture_if());
  Bytes sent = make_frame(us, them, kTestEthertype, 60, 1);
  Bytes received = make_frame(them, us, kTestEthertype, 61, 2);
  from_peer.send(sent);
  from_capture.send(received);

  auto b = capture_n(*both, 2);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].data, sent);
  EXPECT_EQ(b[0].header.direction, Direction::outbound);
  EXPECT_EQ(b[0].header.flags & 3, 2u);
  EXPECT_EQ(b[1].data, received);
  EXPECT_EQ(b[1].header.direction, Direction::inbound);

  auto i = capture_n(*in, 1);
  auto ie = capture_rest(*in);
  ASSERT_EQ(i.size(), 1u);
  EXPECT_EQ(i[0].data, received);
  EXPECT_TRUE(ie.empty());
  auto o = capture_n(*out, 1);
  auto oe = capture_rest(*out);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data, sent);
  EXPECT_TRUE(oe.empty());
}

TEST_P(Capture, LoopbackDeliversEachPacketOnce) {
  link.capture_ns().ip("link set lo up");
  auto cap = open_at_version(link.capture_ns(), "lo", quick());
  FrameSender tx(link.capture_ns(), "lo");
  std::vector<Bytes> sent;
  for (std::uint32_t i = 0; i < 3; ++i) {
    sent.push_back(make_frame({0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0}, kTestEthertype, 100 + i, i));
    tx.send(sent.back());
  }
  auto got = capture_n(*cap, 3);
  auto extra = capture_rest(*cap);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(extra.empty()) << "the outgoing copy on lo was not skipped";
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].data, sent[i]);
    EXPECT_EQ(got[i].header.direction, Direction::inbound);
  }
}

// received (libpcap's ps_recv on Linux) counts every packet that passed the filter, dropped
// ones included; dropped counts those the full ring had no room for. "Arrived" is what the
// device took in (its rx_packets), which is what the capture could possibly see.
TEST_P(Capture, OverloadAccountsForEveryPacketThatArrived) {
  CaptureOptions o = quick();
  o.snaplen = 128;
  o.buffer_size = 8192;  // two blocks of one page
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), o);
  const std::uint64_t rx_before = rx_packets(link.capture_ns(), link.capture_if());
  FrameSender tx(link.peer_ns(), link.peer_if());
  const std::uint32_t sent = 2000;
  for (std::uint32_t i = 0; i < sent; ++i) tx.send(make_frame(us, them, kTestEthertype, 200, i));
  const std::uint64_t arrived = rx_packets(link.capture_ns(), link.capture_if()) - rx_before;

  CaptureStats st{};
  for (int i = 0; i < 2000 && st.received < arrived; ++i) {
    st = cap->stats();
    if (st.received < arrived) std::this_thread::sleep_for(5ms);
  }
  cap->set_nonblocking(true);
  std::uint64_t delivered = 0;
  std::uint32_t last_seq = 0;
  bool in_order = true;
  for (;;) {
    auto r = cap->next_batch();
    ASSERT_TRUE(r) << r.error().what();
    if (r->status != BatchStatus::packets) break;
    for (const PacketView& p : r->packets) {
      std::uint32_t s = detail::load_be32(p.data.data() + 14);
      if (delivered > 0 && s <= last_seq) in_order = false;
      last_seq = s;
      ++delivered;
    }
  }
  st = cap->stats();
  fmt::print("overload: sent {}, arrived {}, received {}, delivered {}, dropped {}, ring: {}\n", sent,
             arrived, st.received, delivered, st.dropped, cap->ring_description());
  EXPECT_GT(arrived, 0u);
  EXPECT_EQ(st.received, arrived);
  EXPECT_EQ(delivered + st.dropped, arrived);
  EXPECT_GT(st.dropped, 0u) << "the flood did not overflow the ring; the test proves nothing";
  EXPECT_TRUE(in_order);

  // The account says the same, and says where: the ring, not the device or the CPUs.
  LossAccount a = cap->loss_account();
  fmt::print("account: {}\n", a.summary());
  EXPECT_EQ(a.received, st.received);
  EXPECT_EQ(a.delivered, delivered);
  EXPECT_EQ(a.ring_dropped, st.dropped);
  EXPECT_EQ(a.received, a.delivered + a.ring_dropped);
  EXPECT_TRUE(a.device_counters);
  EXPECT_EQ(a.if_rx_dropped, 0u);
  if (g_version == TpacketVersion::v3) {
    EXPECT_GT(a.ring_freezes, 0u) << "a V3 ring that dropped was frozen at least once";
  } else {
    EXPECT_EQ(a.ring_freezes, 0u) << "V1/V2 have no freeze counter";
  }
  const std::string lost = fmt::format("received {}, delivered {}; lost {} in the ring", a.received,
                                       a.delivered, a.ring_dropped);
  EXPECT_EQ(a.summary().rfind(lost, 0), 0u) << a.summary();
  EXPECT_NE(a.summary().find("none dropped by the device"), std::string::npos) << a.summary();
}

// A V3 block of small frames holds thousands of them; it goes out in batches of at most
// kRetiredChunk (so the views are still cached when read) and is released after the last one:
// every frame once, in order, across the chunk boundaries.
TEST_P(Capture, AFullBlockOfSmallFramesArrivesCompleteInOrderInBoundedBatches) {
  CaptureOptions o = quick();
  o.timeout_ms = 300;  // the block retires on the timeout, holding everything sent before it
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), o);
  FrameSender tx(link.peer_ns(), link.peer_if());
  const std::uint32_t sent = 1200;  // below the V1/V2 ring's 1,280 frames at this buffer size
  for (std::uint32_t i = 0; i < sent; ++i) tx.send(make_frame(us, them, kTestEthertype, 60, i));
  std::vector<std::size_t> batches;
  std::uint32_t next = 0;
  for (int timeouts = 0; next < sent;) {
    auto r = next_batch_or_hang(*cap);
    ASSERT_TRUE(r.has_value()) << "no batch within 10 s after " << next << " frames";
    ASSERT_TRUE(*r) << r->error().what();
    if ((*r)->status != BatchStatus::packets) {
      ASSERT_LT(++timeouts, 20) << "only " << next << " of " << sent << " frames arrived";
      continue;
    }
    batches.push_back((*r)->packets.size());
    for (const PacketView& p : (*r)->packets) {
      if (p.data.size() < 18 || detail::load_be16(p.data.data() + 12) != kTestEthertype) continue;
      ASSERT_EQ(detail::load_be32(p.data.data() + 14), next) << "frame out of order or lost";
      ++next;
    }
  }
  EXPECT_TRUE(capture_rest(*cap).empty());
  EXPECT_EQ(cap->stats().dropped, 0u);
  const std::size_t largest = *std::max_element(batches.begin(), batches.end());
  fmt::print("{} frames in {} batches, the largest {}\n", sent, batches.size(), largest);
  if (g_version == TpacketVersion::v3) {
    EXPECT_LE(largest, LiveCapture::Impl::kRetiredChunk);
    EXPECT_EQ(largest, LiveCapture::Impl::kRetiredChunk) << "no block held more than one chunk: nothing tested";
  }
}

TEST_P(Capture, ErrorsNameTheDeviceAndTheStep) {
  {
    InNetns in(link.capture_ns());
    auto missing = LiveCapture::open("nosuch0", quick());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_EQ(missing.error().what(), "nosuch0: no such device");
  }
  std::string down = unique_name("pxx"), down_peer = unique_name("pxy");
  link.capture_ns().ip(fmt::format("link add {} type veth peer name {}", down, down_peer));
  {
    InNetns in(link.capture_ns());
    auto r = LiveCapture::open(down, quick());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().what(), down + ": activate: the interface is down");
    EXPECT_EQ(r.error().sys_errno, ENETDOWN);
  }
}

TEST_P(Capture, ReadingFailsWithAMessageWhenTheInterfaceGoesDown) {
  CaptureOptions o;
  o.timeout_ms = 0;
  auto cap = open_at_version(link.capture_ns(), link.capture_if(), o);
  link.capture_ns().ip(fmt::format("link set {} down", link.capture_if()));
  auto read = next_batch_or_hang(*cap);
  ASSERT_TRUE(read) << "next_batch kept waiting on a device that went down";
  auto r = std::move(*read);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), link.capture_if() + ": read: the interface went down");
}

TEST_P(Capture, WithoutCapNetRawTheErrorSaysSo) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    std::string msg;
    if (::syscall(SYS_capset, &hdr, data) != 0) {
      msg = "capset failed";
    } else {
      auto r = LiveCapture::open("lo", quick());
      msg = r ? "opened" : r.error().what();
    }
    [[maybe_unused]] auto n = ::write(fds[1], msg.data(), msg.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(msg, "lo: activate: socket(AF_PACKET): Operation not permitted (needs CAP_NET_RAW)");
}

INSTANTIATE_TEST_SUITE_P(Tpacket, Capture,
                         ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);

}  // namespace
}  // namespace pcapxx::test
