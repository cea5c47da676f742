// Each sending path, over a veth pair between two namespaces: the frames sent from the peer side
// are captured on the other end by tcpdump (the oracle, a separate process writing a pcap file)
// and by LiveCapture; both captures must hold exactly the frames sent, byte for byte, in order.
#include <gtest/gtest.h>

#include <functional>

#include "live/inject/support.hpp"
#include "pcapxx/layers/ethernet.hpp"
#include "pcapxx/layers/ipv4.hpp"
#include "pcapxx/layers/ipv6.hpp"
#include "pcapxx/layers/payload.hpp"
#include "pcapxx/layers/serialize.hpp"
#include "pcapxx/layers/udp.hpp"

namespace pcapxx::test {
namespace {

/// Sends `frames` with `send` (run inside the peer namespace) and checks what both captures saw.
void send_and_compare(const std::vector<Bytes>& expected, const std::function<void(const VethPair&)>& send,
                      const std::string& tcpdump_filter = "",
                      const std::function<bool(const Bytes&)>& keep = nullptr) {
  VethPair link;
  TempFile file("pxinj");
  Tcpdump oracle(link.capture_ns(), link.capture_if(), file.path, tcpdump_filter);
  auto cap = open_capture(link);
  send(link);
  auto ours = keep ? only(capture_n(*cap, expected.size()), keep) : capture_n(*cap, expected.size());
  // Anything sent after the expected frames (a repeat, a stray frame) must show up too.
  for (auto& extra : capture_until_quiet(*cap)) {
    if (!keep || keep(extra.data)) ours.push_back(std::move(extra));
  }
  auto theirs = finish_tcpdump(oracle, file.path, expected.size());
  if (keep) theirs = only(std::move(theirs), keep);
  expect_same(expected, theirs, "tcpdump");
  expect_same(expected, ours, "LiveCapture");
}

TEST(InjectPaths, SingleFramesArriveByteIdentical) {
  const auto frames = test_frames(100);
  send_and_compare(frames, [&](const VethPair& link) {
    InNetns in(link.peer_ns());
    auto tx = Injector::open(link.peer_if());
    ASSERT_TRUE(tx) << tx.error().what();
    EXPECT_EQ(tx->limits().mtu, 1500u);
    EXPECT_EQ(tx->limits().link_header, 14u);
    for (const auto& f : frames) {
      auto n = tx->inject(f);
      ASSERT_TRUE(n) << n.error().what();
      EXPECT_EQ(*n, f.size());
    }
  });
}

TEST(InjectPaths, BatchArrivesByteIdentical) {
  const auto frames = test_frames(200, 4);
  const auto v = views(frames);
  send_and_compare(frames, [&](const VethPair& link) {
    InNetns in(link.peer_ns());
    auto tx = Injector::open(link.peer_if());
    ASSERT_TRUE(tx) << tx.error().what();
    auto n = tx->send_batch(v);
    ASSERT_TRUE(n) << n.error().what();
    EXPECT_EQ(*n, frames.size());
    EXPECT_EQ(tx->last_batch_sent(), frames.size());
  });
}

void tx_ring_case(TxRingVersion version, bool bypass, std::string_view want_version, std::size_t linear_bytes = 2048,
                  std::string_view want_layout = "frames up to 2048 bytes linear") {
  // More frames than slots, so the ring wraps and the sender waits for completions.
  const auto frames = test_frames(300, 5);
  const auto v = views(frames);
  send_and_compare(frames, [&](const VethPair& link) {
    InNetns in(link.peer_ns());
    TxRingOptions o;
    o.version = version;
    o.qdisc_bypass = bypass;
    o.frame_count = 32;
    o.linear_bytes = linear_bytes;
    auto ring = TxRing::open(link.peer_if(), o);
    ASSERT_TRUE(ring) << ring.error().what();
    EXPECT_NE(ring->ring_description().find(want_version), std::string::npos) << ring->ring_description();
    EXPECT_NE(ring->ring_description().find(want_layout), std::string::npos) << ring->ring_description();
    EXPECT_EQ(ring->slot_capacity(), 2048u - (want_version == "TPACKET_V2" ? 32u : 48u) - (linear_bytes ? 10u : 0u));
    EXPECT_LT(ring->ring_description().find("slots"), std::string::npos);
    ASSERT_LT(32u, frames.size());
    auto n = ring->send_batch(v);
    ASSERT_TRUE(n) << n.error().what();
    EXPECT_EQ(*n, frames.size());
    auto done = ring->wait_completion(10000);
    ASSERT_TRUE(done) << done.error().what();
    EXPECT_EQ(*done, frames.size());
    auto st = ring->stats();
    EXPECT_EQ(st.queued, frames.size());
    EXPECT_EQ(st.completed, frames.size());
    EXPECT_EQ(st.rejected, 0u);
  });
}

TEST(InjectPaths, TxRingV3ArrivesByteIdenticalWithCompletions) {
  tx_ring_case(TxRingVersion::v3, false, "TPACKET_V3");
}

TEST(InjectPaths, TxRingV2ArrivesByteIdenticalWithCompletions) {
  tx_ring_case(TxRingVersion::v2, false, "TPACKET_V2");
}

TEST(InjectPaths, TxRingWithQdiscBypassArrivesByteIdentical) {
  tx_ring_case(TxRingVersion::automatic, true, "qdisc bypass on");
}

// The zero-copy layout (no virtio_net_hdr: every frame as page fragments of the ring) and a
// split one (the first 100 bytes linear, the rest fragments) carry the same bytes.
TEST(InjectPaths, TxRingPageFragmentLayoutArrivesByteIdentical) {
  tx_ring_case(TxRingVersion::v2, false, "TPACKET_V2", 0, "page fragments, qdisc");
}

TEST(InjectPaths, TxRingPartlyLinearLayoutArrivesByteIdentical) {
  tx_ring_case(TxRingVersion::v3, false, "TPACKET_V3", 100, "frames up to 100 bytes linear");
}

Bytes to_bytes(std::span<const std::byte> s) { return Bytes(s.begin(), s.end()); }

/// IP datagrams of the given total sizes: UDP from port 40000 to 9, a payload pattern, the
/// IPv4 id set (so the kernel keeps it) and checksums computed.
std::vector<Bytes> ip_datagrams(int version, const std::vector<std::size_t>& sizes) {
  std::vector<Bytes> out;
  layers::SerializeBuffer buf;
  std::uint16_t id = 0x1200;
  for (std::size_t size : sizes) {
    const std::size_t header = version == 4 ? 20 : 40;
    Bytes payload(size - header - 8);
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<std::byte>(i * 13 + size);
    layers::Udp udp;
    udp.src_port = 40000;
    udp.dst_port = 9;
    layers::Payload pl;
    pl.contents = payload;
    if (version == 4) {
      layers::Ipv4 ip;
      ip.id = id++;
      ip.protocol = 17;
      layers::Ipv4Address::parse("10.77.0.2", ip.src);
      layers::Ipv4Address::parse("10.77.0.1", ip.dst);
      layers::serialize_layers(buf, {.fix_lengths = true, .compute_checksums = true}, ip, udp, pl);
    } else {
      layers::Ipv6 ip;
      ip.next_header = 17;
      layers::Ipv6Address::parse("fd00:77::2", ip.src);
      layers::Ipv6Address::parse("fd00:77::1", ip.dst);
      layers::serialize_layers(buf, {.fix_lengths = true, .compute_checksums = true}, ip, udp, pl);
    }
    out.push_back(to_bytes(buf.bytes()));
  }
  return out;
}

/// What the capture side sees: the kernel's Ethernet header in front of each datagram.
std::vector<Bytes> with_ethernet(const std::vector<Bytes>& datagrams, std::uint16_t ethertype) {
  std::vector<Bytes> out;
  const MacAddress dst = VethPair::capture_mac(), src = VethPair::peer_mac();
  for (const auto& d : datagrams) {
    Bytes f;
    for (auto x : dst) f.push_back(static_cast<std::byte>(x));
    for (auto x : src) f.push_back(static_cast<std::byte>(x));
    put16(f, ethertype);
    f.insert(f.end(), d.begin(), d.end());
    out.push_back(std::move(f));
  }
  return out;
}

/// The peer end addressed 10.77.0.2/24, with the capture end (10.77.0.1) as a permanent
/// neighbour: the kernel sends without asking ARP.
void address_peer_v4(const VethPair& link) {
  link.peer_ns().ip(fmt::format("addr add 10.77.0.2/24 dev {}", link.peer_if()));
  link.peer_ns().ip(fmt::format("neigh add 10.77.0.1 lladdr {} dev {} nud permanent",
                                mac_text(VethPair::capture_mac()), link.peer_if()));
}

/// IPv6 switched on at the peer end only (stable address mode, no DAD, no router
/// solicitations), fd00:77::2/64 on it and fd00:77::1 as the capture end's permanent neighbour.
void address_peer_v6(const VethPair& link) {
  const auto& ns = link.peer_ns();
  const auto& dev = link.peer_if();
  must(ns.exec_command(fmt::format(
      "sysctl -qw net.ipv6.conf.{0}.addr_gen_mode=1 net.ipv6.conf.{0}.accept_dad=0 "
      "net.ipv6.conf.{0}.router_solicitations=0 net.ipv6.conf.{0}.disable_ipv6=0",
      dev)));
  ns.ip(fmt::format("-6 addr add fd00:77::2/64 dev {} nodad", dev));
  ns.ip(fmt::format("-6 neigh add fd00:77::1 lladdr {} dev {} nud permanent", mac_text(VethPair::capture_mac()), dev));
}

/// Sends all datagrams as one batch with a RawIpSender on the peer end; all must be taken.
void send_raw_batch(const VethPair& link, const std::vector<Bytes>& datagrams) {
  InNetns in(link.peer_ns());
  auto tx = RawIpSender::open(link.peer_if());
  ASSERT_TRUE(tx) << tx.error().what();
  std::vector<std::span<const std::byte>> all(datagrams.begin(), datagrams.end());
  auto n = tx->send_batch(all);
  ASSERT_TRUE(n) << n.error().what();
  EXPECT_EQ(*n, all.size());
}

const std::vector<std::size_t> kIpSizes = {28, 29, 46, 47, 100, 333, 576, 1001, 1279, 1499, 1500};

TEST(InjectPaths, RawIpv4DatagramsArriveWithKernelEthernetHeader) {
  const auto datagrams = ip_datagrams(4, kIpSizes);
  // The capture side has no address: the datagrams are not for it and nothing answers.
  send_and_compare(with_ethernet(datagrams, 0x0800), [&](const VethPair& link) {
    address_peer_v4(link);
    InNetns in(link.peer_ns());
    auto tx = RawIpSender::open(link.peer_if());
    ASSERT_TRUE(tx) << tx.error().what();
    // Half one by one, half as one batch.
    const std::size_t half = datagrams.size() / 2;
    for (std::size_t i = 0; i < half; ++i) {
      auto n = tx->send(datagrams[i]);
      ASSERT_TRUE(n) << n.error().what();
      EXPECT_EQ(*n, datagrams[i].size());
    }
    std::vector<std::span<const std::byte>> rest(datagrams.begin() + static_cast<std::ptrdiff_t>(half), datagrams.end());
    auto n = tx->send_batch(rest);
    ASSERT_TRUE(n) << n.error().what();
    EXPECT_EQ(*n, rest.size());
  });
}

TEST(InjectPaths, RawIpv6DatagramsArriveWithKernelEthernetHeader) {
  const auto datagrams = ip_datagrams(6, {48, 49, 100, 333, 1001, 1280, 1499, 1500});
  auto is_ours = [](const Bytes& f) {
    // IPv6, next header UDP, destination port 9: drops the MLD reports IPv6 sends on its own.
    return f.size() >= 58 && f[12] == std::byte{0x86} && f[13] == std::byte{0xdd} && f[20] == std::byte{17} &&
           f[56] == std::byte{0} && f[57] == std::byte{9};
  };
  send_and_compare(
      with_ethernet(datagrams, 0x86dd),
      [&](const VethPair& link) {
        address_peer_v6(link);
        send_raw_batch(link, datagrams);
      },
      "ip6 and udp dst port 9", is_ours);
}

TEST(InjectPaths, RawIpMixedVersionsInOneBatchKeepOrder) {
  auto v4 = ip_datagrams(4, {60, 200, 1500});
  auto v6 = ip_datagrams(6, {80, 300});
  std::vector<Bytes> datagrams = {v4[0], v6[0], v4[1], v6[1], v4[2]};
  std::vector<Bytes> expected;
  for (const auto& d : datagrams) {
    expected.push_back(with_ethernet({d}, (std::to_integer<int>(d[0]) >> 4) == 4 ? 0x0800 : 0x86dd)[0]);
  }
  auto is_ours = [](const Bytes& f) {
    if (f.size() < 14) return false;
    if (f[12] == std::byte{0x08} && f[13] == std::byte{0x00}) return true;
    return f.size() >= 58 && f[12] == std::byte{0x86} && f[13] == std::byte{0xdd} && f[20] == std::byte{17} &&
           f[57] == std::byte{9};
  };
  send_and_compare(
      expected,
      [&](const VethPair& link) {
        address_peer_v6(link);
        address_peer_v4(link);
        send_raw_batch(link, datagrams);
      },
      "ip or (ip6 and udp dst port 9)", is_ours);
}

}  // namespace
}  // namespace pcapxx::test
