// Several devices in one Source (MultiCapture) and PACKET_FANOUT over several rings.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <set>
#include <thread>

#include "core/byte_order.hpp"
#include "live/capture/frames.hpp"
#include "live/netns.hpp"

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

TEST(MultiCapture, TagsEachPacketWithItsDevice) {
  VethPair a, b;
  CaptureOptions o;
  o.timeout_ms = 100;
  std::vector<std::unique_ptr<LiveCapture>> caps;
  caps.push_back(open_in(a.capture_ns(), a.capture_if(), o));
  o.tpacket_version = TpacketVersion::v2;  // devices may differ in anything
  caps.push_back(open_in(b.capture_ns(), b.capture_if(), o));
  auto multi = MultiCapture::adopt(std::move(caps), 100);
  ASSERT_TRUE(multi) << multi.error().what();
  MultiCapture& m = **multi;
  ASSERT_EQ(m.interfaces().size(), 2u);
  EXPECT_EQ(m.interfaces()[0].name, a.capture_if());
  EXPECT_EQ(m.interfaces()[1].name, b.capture_if());

  FrameSender ta(a.peer_ns(), a.peer_if()), tb(b.peer_ns(), b.peer_if());
  std::map<std::uint32_t, std::uint32_t> device_of;  // sequence -> device index sent on
  for (std::uint32_t i = 0; i < 60; ++i) {
    const bool on_b = i % 3 == 0;
    (on_b ? tb : ta).send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 64 + i, i));
    device_of[i] = on_b ? 1 : 0;
  }
  std::map<std::uint32_t, std::uint32_t> seen;
  int quiet = 0;
  while (quiet < 2 && seen.size() <= 60) {
    auto r = m.next_batch();
    ASSERT_TRUE(r) << r.error().what();
    if (r->status != BatchStatus::packets) {
      ++quiet;
      continue;
    }
    quiet = 0;
    for (const PacketView& p : r->packets) {
      std::uint32_t seq = detail::load_be32(p.data.data() + 14);
      EXPECT_EQ(seen.count(seq), 0u) << "packet " << seq << " twice";
      seen[seq] = p.header.interface;
    }
  }
  EXPECT_EQ(seen, device_of);
  auto st = m.stats();
  EXPECT_EQ(st.received, 60u);
  EXPECT_EQ(m.capture(1).tpacket_version(), TpacketVersion::v2);

  m.break_loop();
  auto r = m.next_batch();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, BatchStatus::end);
}

/// A veth pair in two namespaces plus a second pair x/y inside the capture namespace: a
/// MultiCapture over a.capture_if() and x, fed from a's peer and from y.
struct TwoDevicesInOneNamespace {
  VethPair a;
  std::string x = unique_name("pxm"), y = unique_name("pxn");
  TwoDevicesInOneNamespace() {
    a.capture_ns().ip(fmt::format("link add {} type veth peer name {}", x, y));
    a.capture_ns().ip(fmt::format("link set {} up", x));
    a.capture_ns().ip(fmt::format("link set {} up", y));
  }
  Result<std::unique_ptr<MultiCapture>> open(const CaptureOptions& o) const {
    InNetns in(a.capture_ns());
    std::vector<std::string> devices = {a.capture_if(), x};
    return MultiCapture::open(devices, o);
  }
};

TEST(MultiCapture, OpensSeveralDevicesOfOneNamespaceAndWakesOnAnyOfThem) {
  TwoDevicesInOneNamespace d;
  VethPair& a = d.a;
  const std::string& y = d.y;
  CaptureOptions o;
  o.timeout_ms = 0;  // wait forever: only a packet on either device ends the wait
  o.immediate = true;
  auto opened = d.open(o);
  ASSERT_TRUE(opened) << opened.error().what();
  std::unique_ptr<MultiCapture> m = std::move(*opened);
  auto reader = std::async(std::launch::async, [&] { return m->next_batch(); });
  std::this_thread::sleep_for(20ms);
  FrameSender ty(a.capture_ns(), y);
  Bytes f = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 99, 5);
  ty.send(f);
  if (reader.wait_for(10s) != std::future_status::ready) {
    m->break_loop();
    FAIL() << "a packet on the second device did not wake the reader";
  }
  auto r = reader.get();
  ASSERT_TRUE(r) << r.error().what();
  ASSERT_EQ(r->status, BatchStatus::packets);
  ASSERT_EQ(r->packets.size(), 1u);
  EXPECT_EQ(r->packets[0].header.interface, 1u);
  EXPECT_EQ(Bytes(r->packets[0].data.begin(), r->packets[0].data.end()), f);
}

// Immediate mode over two devices flooded at once: every frame of each arrives, in its
// device's order, tagged with its device, and the floods still come in batches (the waits
// coalesce as a single LiveCapture's do).
TEST(MultiCapture, ImmediateFloodOnTwoDevicesArrivesCompleteInOrder) {
  TwoDevicesInOneNamespace d;
  VethPair& a = d.a;
  const std::string& y = d.y;
  CaptureOptions o;
  o.timeout_ms = 200;
  o.immediate = true;
  o.buffer_size = 8 << 20;  // room for both floods: this test is about exactness, not loss
  o.snaplen = 512;
  auto opened = d.open(o);
  ASSERT_TRUE(opened) << opened.error().what();
  std::unique_ptr<MultiCapture> m = std::move(*opened);
  const std::uint32_t count = 10000;
  auto flood = [&](const Netns& ns, const std::string& dev) {
    FrameSender tx(ns, dev);
    for (std::uint32_t i = 0; i < count; ++i) {
      tx.send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 60 + i % 100, i));
    }
  };
  std::thread s0([&] { flood(a.peer_ns(), a.peer_if()); });
  std::thread s1([&] { flood(a.capture_ns(), y); });
  std::uint32_t next[2] = {0, 0};
  std::size_t batches = 0, largest = 0;
  std::string first_bad;
  auto end = std::chrono::steady_clock::now() + 30s;
  while ((next[0] < count || next[1] < count) && std::chrono::steady_clock::now() < end) {
    auto r = m->next_batch();
    ASSERT_TRUE(r) << r.error().what();
    if (r->status != BatchStatus::packets) continue;
    ++batches;
    largest = std::max(largest, r->packets.size());
    for (const PacketView& p : r->packets) {
      if (p.data.size() < 18 || detail::load_be16(p.data.data() + 12) != kTestEthertype) continue;
      const std::uint32_t dev = p.header.interface;
      ASSERT_LT(dev, 2u);
      const std::uint32_t seq = detail::load_be32(p.data.data() + 14);
      if (first_bad.empty() && (seq != next[dev] || p.data.size() != 60 + seq % 100)) {
        first_bad = fmt::format("device {}: got frame {} of {} bytes, want frame {}", dev, seq, p.data.size(), next[dev]);
      }
      next[dev] = seq + 1;
    }
  }
  s0.join();
  s1.join();
  auto st = m->stats();
  fmt::print("two floods: {} + {} frames in {} batches (largest {}), dropped {}\n", next[0], next[1], batches,
             largest, st.dropped);
  EXPECT_TRUE(first_bad.empty()) << first_bad;
  EXPECT_EQ(next[0], count);
  EXPECT_EQ(next[1], count);
  EXPECT_EQ(st.dropped, 0u);
  EXPECT_GT(largest, 1u) << "a flood should still come a block at a time";
}

/// An Ethernet + IPv4 + UDP frame of a flow, with a sequence number in the payload.
Bytes udp_frame(std::uint32_t src, std::uint32_t dst, std::uint16_t sport, std::uint16_t dport, std::uint32_t seq) {
  Bytes b;
  for (auto x : VethPair::capture_mac()) b.push_back(static_cast<std::byte>(x));
  for (auto x : VethPair::peer_mac()) b.push_back(static_cast<std::byte>(x));
  put16(b, 0x0800);
  put16(b, 0x4500);
  put16(b, 20 + 8 + 4);
  put16(b, 0);
  put16(b, 0);
  put16(b, 0x4011);  // ttl 64, UDP
  put16(b, 0);       // checksum not needed: nothing but the capture looks at it
  put16(b, static_cast<std::uint16_t>(src >> 16));
  put16(b, static_cast<std::uint16_t>(src));
  put16(b, static_cast<std::uint16_t>(dst >> 16));
  put16(b, static_cast<std::uint16_t>(dst));
  put16(b, sport);
  put16(b, dport);
  put16(b, 12);
  put16(b, 0);
  put16(b, static_cast<std::uint16_t>(seq >> 16));
  put16(b, static_cast<std::uint16_t>(seq));
  return b;
}

/// The flow of a UDP frame with its ends ordered, so both directions give one key.
std::string flow_key(std::span<const std::byte> p) {
  std::uint32_t s = detail::load_be32(p.data() + 26), d = detail::load_be32(p.data() + 30);
  std::uint16_t sp = detail::load_be16(p.data() + 34), dp = detail::load_be16(p.data() + 36);
  auto a = std::pair{s, sp}, b = std::pair{d, dp};
  if (b < a) std::swap(a, b);
  return fmt::format("{:08x}:{}-{:08x}:{}", a.first, a.second, b.first, b.second);
}

/// The frames still arriving at a ring (capture_rest), data only.
std::vector<Bytes> read_all(LiveCapture& cap) {
  std::vector<Bytes> out;
  for (auto& c : capture_rest(cap)) out.push_back(std::move(c.data));
  return out;
}

TEST(Fanout, SymmetricFlowsKeepBothDirectionsOnOneRing) {
  VethPair link;
  CaptureOptions o;
  o.timeout_ms = 100;
  FanoutOptions f;
  f.mode = FanoutMode::symmetric_flow;
  std::vector<std::unique_ptr<LiveCapture>> rings;
  {
    InNetns in(link.capture_ns());
    auto r = open_fanout(link.capture_if(), 2, f, o);
    ASSERT_TRUE(r) << r.error().what();
    rings = std::move(*r);
  }
  ASSERT_EQ(rings.size(), 2u);
  ASSERT_TRUE(rings[0]->fanout_group());
  EXPECT_EQ(rings[0]->fanout_group(), rings[1]->fanout_group());

  FrameSender tx(link.peer_ns(), link.peer_if());
  const std::uint32_t flows = 64, per_direction = 5;
  std::uint32_t sent = 0;
  for (std::uint32_t round = 0; round < per_direction; ++round) {
    for (std::uint32_t i = 0; i < flows; ++i) {
      std::uint32_t client = 0x0a000001 + i * 7, server = 0x0a630001 + (i % 5);
      std::uint16_t cport = static_cast<std::uint16_t>(40000 + i * 13), sport = static_cast<std::uint16_t>(i % 2 ? 53 : 443);
      tx.send(udp_frame(client, server, cport, sport, sent++));
      tx.send(udp_frame(server, client, sport, cport, sent++));
    }
  }
  // Each ring read by its own thread, as fanout is meant to be used.
  std::vector<Bytes> got[2];
  std::thread t0([&] { got[0] = read_all(*rings[0]); });
  std::thread t1([&] { got[1] = read_all(*rings[1]); });
  t0.join();
  t1.join();

  std::map<std::string, std::set<int>> rings_of_flow;
  std::set<std::uint32_t> seqs;
  for (int r = 0; r < 2; ++r) {
    for (const Bytes& p : got[r]) {
      ASSERT_EQ(p.size(), 46u);
      rings_of_flow[flow_key(p)].insert(r);
      seqs.insert(detail::load_be32(p.data() + 42));
    }
  }
  fmt::print("fanout: ring 0 {} packets, ring 1 {} packets, {} flows\n", got[0].size(), got[1].size(),
             rings_of_flow.size());
  EXPECT_EQ(got[0].size() + got[1].size(), sent);
  EXPECT_EQ(seqs.size(), sent) << "a packet was lost or duplicated";
  EXPECT_EQ(rings_of_flow.size(), flows);
  for (const auto& [flow, where] : rings_of_flow) EXPECT_EQ(where.size(), 1u) << flow << " is split over both rings";
  EXPECT_GT(got[0].size(), sent / 5) << "the hash should spread flows over both rings";
  EXPECT_GT(got[1].size(), sent / 5) << "the hash should spread flows over both rings";
}

TEST(Fanout, LoadBalanceAlternatesAndModesAndFlagsAreAccepted) {
  VethPair link;
  CaptureOptions o;
  o.timeout_ms = 100;
  for (FanoutMode mode : {FanoutMode::hash, FanoutMode::cpu, FanoutMode::rollover, FanoutMode::random,
                          FanoutMode::queue_mapping}) {
    FanoutOptions f;
    f.mode = mode;
    f.defrag = true;
    f.rollover = mode != FanoutMode::rollover;
    InNetns in(link.capture_ns());
    auto r = open_fanout(link.capture_if(), 3, f, o);
    EXPECT_TRUE(r) << static_cast<int>(mode) << ": " << r.error().what();
  }
  FanoutOptions lb;
  lb.mode = FanoutMode::load_balance;
  std::vector<std::unique_ptr<LiveCapture>> rings;
  {
    InNetns in(link.capture_ns());
    auto r = open_fanout(link.capture_if(), 2, lb, o);
    ASSERT_TRUE(r) << r.error().what();
    rings = std::move(*r);
  }
  FrameSender tx(link.peer_ns(), link.peer_if());
  for (std::uint32_t i = 0; i < 100; ++i) {
    tx.send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 60, i));
  }
  auto a = read_all(*rings[0]);
  auto b = read_all(*rings[1]);
  EXPECT_EQ(a.size(), 50u);
  EXPECT_EQ(b.size(), 50u);

  // A second group on the same device with an explicit id, and a mode clash with it refused.
  FanoutOptions fixed;
  fixed.group_id = static_cast<std::uint16_t>(0x7000 + ::getpid() % 0x1000);
  InNetns in(link.capture_ns());
  auto first = open_fanout(link.capture_if(), 1, fixed, o);
  ASSERT_TRUE(first) << first.error().what();
  EXPECT_EQ((*first)[0]->fanout_group(), fixed.group_id);
  fixed.mode = FanoutMode::load_balance;
  auto clash = open_fanout(link.capture_if(), 1, fixed, o);
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error().what().find(": fanout ring 0: setsockopt(PACKET_FANOUT, group "), std::string::npos)
      << clash.error().what();
  EXPECT_FALSE(open_fanout(link.capture_if(), 0, fixed, o));
}

}  // namespace
}  // namespace pcapxx::test
