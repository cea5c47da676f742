// Filters on live handles through unmodified Debian tcpdump, once on Debian's libpcap and once
// on ours, capturing the same traffic at the same time: `-i any` with a port filter (the
// cooked socket's kernel filter sees no cooked header), VLAN tests on Ethernet (the kernel
// strips the tag before its filter runs) and a program the kernel refuses (libpcap's warning,
// then userspace filtering).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "live/capi/clients.hpp"
#include "live/capture/frames.hpp"

namespace pcapxx {
namespace {

using test::Background;
using test::Bytes;
using test::RunResult;
using test::ScratchDir;
using test::show;
using test::VethPair;

using test::packets_in;
using test::read_back;

// An Ethernet frame with optional tags carrying IPv4/UDP to `port`, 8 payload bytes with seq.
Bytes udp_frame(std::uint16_t port, std::uint32_t seq, std::vector<std::pair<std::uint16_t, std::uint16_t>> tags = {}) {
  Bytes b;
  for (auto x : VethPair::capture_mac()) b.push_back(static_cast<std::byte>(x));
  for (auto x : VethPair::peer_mac()) b.push_back(static_cast<std::byte>(x));
  for (auto [tpid, tci] : tags) {
    test::put16(b, tpid);
    test::put16(b, tci);
  }
  test::put16(b, 0x0800);
  const std::uint8_t ip[20] = {0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 2, 10, 1, 0, 1};
  for (auto x : ip) b.push_back(static_cast<std::byte>(x));
  for (std::uint16_t v : {std::uint16_t{4000}, port, std::uint16_t{16}, std::uint16_t{0}}) test::put16(b, v);
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::byte>(seq >> (8 * i)));
  while (b.size() < 60) b.push_back(std::byte{0x5a});
  return b;
}

struct BothCapturing {
  ScratchDir dir;
  std::unique_ptr<Background> ours;
  std::unique_ptr<Background> theirs;
  std::string ours_file = dir.file("ours.pcap");
  std::string theirs_file = dir.file("theirs.pcap");

  BothCapturing(const test::Netns& ns, const std::string& args) {
    ours = std::make_unique<Background>(ns, true, fmt::format("tcpdump {} -w {}", args, ours_file), dir, "ours");
    theirs = std::make_unique<Background>(ns, false, fmt::format("tcpdump {} -w {}", args, theirs_file), dir, "theirs");
  }
  bool listening() { return ours->wait_for("listening on") && theirs->wait_for("listening on"); }

  // Sends the frames from the peer, waits for both to end (-c), compares what they wrote.
  // With counts_differ, the closing counts of packets received by the filter and dropped by
  // the interface are left out of the comparison (see the VLAN test).
  void check(const VethPair& link, const std::vector<Bytes>& frames, std::size_t want, bool counts_differ = false) {
    ASSERT_TRUE(listening()) << show(ours->finish()) << show(theirs->finish());
    test::FrameSender tx(link.peer_ns(), link.peer_if());
    for (const auto& f : frames) tx.send(f);
    auto o = ours->finish();
    auto t = theirs->finish();
    ASSERT_EQ(t.status, 0) << show(t);
    EXPECT_EQ(o.status, 0) << show(o);
    auto comparable = [&](const std::string& err) {
      if (!counts_differ) return err;
      std::string kept;
      for (const auto& l : test::lines(err))
        if (l.find("received by filter") == std::string::npos && l.find("dropped by interface") == std::string::npos)
          kept += l + "\n";
      return kept;
    };
    EXPECT_EQ(comparable(o.err), comparable(t.err)) << "=== libpcap\n" << show(t) << "=== pcapxx\n" << show(o);
    auto a = read_back(ours_file);
    auto b = read_back(theirs_file);
    EXPECT_EQ(packets_in(b.out), want) << b.out;
    EXPECT_EQ(a.out, b.out) << "=== libpcap's file\n" << b.out << "=== pcapxx's file\n" << a.out;
  }
};

TEST(TcpdumpFilterLive, AnyDevicePortFilterAsLibpcap) {
  VethPair link;
  BothCapturing both(link.capture_ns(), "-i any -c 3 'udp port 9'");
  std::vector<Bytes> frames;
  for (std::uint32_t i = 0; i < 9; ++i) frames.push_back(udp_frame(i % 3 == 0 ? 9 : 10, i));
  both.check(link, frames, 3);
}

TEST(TcpdumpFilterLive, VlanFilterOnEthernetAsLibpcap) {
  VethPair link;
  BothCapturing both(link.capture_ns(), fmt::format("-i {} -c 3 'vlan 5 and udp port 9'", link.capture_if()));
  std::vector<Bytes> frames = {
      udp_frame(9, 1),                          // untagged
      udp_frame(9, 2, {{0x8100, 0x0005}}),      // wanted
      udp_frame(10, 3, {{0x8100, 0x0005}}),
      udp_frame(9, 4, {{0x8100, 0x0006}}),
      udp_frame(9, 5, {{0x88a8, 0x0005}}),      // wanted (802.1ad)
      udp_frame(9, 6, {{0x8100, 0x0005}, {0x8100, 0x0007}}),
      udp_frame(9, 7, {{0x8100, 0x2005}}),      // wanted (priority 1)
  };
  // libpcap's kernel program tests the stripped tag (SKF_AD_VLAN_TAG); ours passes every
  // tagged packet up to userspace, so its kernel count of packets received by the filter is
  // larger. The interface's drop count (frames of unknown VLANs) libpcap does not report here.
  both.check(link, frames, 3, true);
}

TEST(TcpdumpFilterLive, AProgramTheKernelRefusesAsLibpcap) {
  VethPair link;
  // protochain loops backward: the kernel refuses it; libpcap warns and filters in userspace.
  BothCapturing both(link.capture_ns(), fmt::format("-i {} -c 2 'ip protochain 17'", link.capture_if()));
  std::vector<Bytes> frames;
  for (std::uint32_t i = 0; i < 4; ++i)
    frames.push_back(i % 2 ? udp_frame(9, i)
                           : test::make_frame(VethPair::capture_mac(), VethPair::peer_mac(), test::kTestEthertype, 60, i));
  both.check(link, frames, 2);
}

}  // namespace
}  // namespace pcapxx
