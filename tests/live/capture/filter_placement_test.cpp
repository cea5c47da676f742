// Where a live filter runs, checked with real frames over veth pairs: on "any" (a cooked
// socket, whose kernel filter sees no cooked header) the program is translated for the kernel
// or, when it reads what the kernel cannot see, run in userspace; VLAN tests on Ethernet (the
// kernel strips the outer tag before its filter runs) go to userspace for tagged packets; a
// program the kernel refuses, or a socket filter that cannot change (SO_LOCK_FILTER), falls
// back to userspace and says so. Each test checks the exact frames delivered and, where the
// kernel filters, that stats().received counts only what the kernel passed.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <cerrno>

#include "live/capture/frames.hpp"
#include "live/capture/tpacket_versions.hpp"
#include "live/netns.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/filter.hpp"

namespace pcapxx::test {
namespace {

using Tags = std::vector<std::pair<std::uint16_t, std::uint16_t>>;

// An Ethernet frame with optional tags carrying IPv4/UDP 10.1.0.2:4000 -> 10.1.0.1:port, 8
// payload bytes holding `seq`.
Bytes udp_frame(const MacAddress& dst, const MacAddress& src, std::uint16_t port, std::uint32_t seq,
                const Tags& tags = {}) {
  Bytes b;
  for (auto x : dst) b.push_back(static_cast<std::byte>(x));
  for (auto x : src) b.push_back(static_cast<std::byte>(x));
  for (auto [tpid, tci] : tags) {
    put16(b, tpid);
    put16(b, tci);
  }
  put16(b, 0x0800);
  const std::uint8_t ip[20] = {0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 2, 10, 1, 0, 1};
  for (auto x : ip) b.push_back(static_cast<std::byte>(x));
  put16(b, 4000);
  put16(b, port);
  put16(b, 16);
  put16(b, 0);
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::byte>(seq >> (8 * i)));
  for (int i = 0; i < 4; ++i) b.push_back(std::byte{0x5a});
  while (b.size() < 60) b.push_back(std::byte{0});  // Ethernet minimum without FCS
  return b;
}

BpfProgram compiled(std::string_view expr, LinkType link) {
  FilterOptions fo;
  fo.target = FilterTarget::linux_live;
  auto p = compile_filter(expr, link, fo);
  if (!p) throw std::runtime_error(fmt::format("{}: {}", expr, p.error().what()));
  return std::move(*p);
}

std::string dump(const std::vector<Captured>& got) {
  std::string s;
  for (const auto& g : got) s += "  " + hex(g.data, 80) + "\n";
  return s;
}

// The frame a cooked capture delivers for an untagged Ethernet frame: a LINUX_SLL header
// (packet type, ARPHRD_ETHER, address length 6, the source MAC) and the frame after its
// Ethernet header.
Bytes cooked(const Bytes& frame, std::uint16_t pkttype) {
  Bytes h;
  put16(h, pkttype);
  put16(h, 1);
  put16(h, 6);
  h.insert(h.end(), frame.begin() + 6, frame.begin() + 12);
  h.push_back(std::byte{0});
  h.push_back(std::byte{0});
  h.insert(h.end(), frame.begin() + 12, frame.end());
  return h;
}

class FilterPlacementTest : public ::testing::TestWithParam<TpacketVersion> {
 protected:
  std::unique_ptr<LiveCapture> open(const std::string& dev, std::optional<BpfProgram> filter) {
    InNetns in(link.capture_ns());
    CaptureOptions o;
    o.timeout_ms = 100;
    o.tpacket_version = GetParam();
    o.filter = std::move(filter);
    auto c = LiveCapture::open(dev, o);
    if (!c) throw std::runtime_error(c.error().what());
    return std::move(*c);
  }

  // Sends each frame from the peer (incoming on the capture side) or from the capture side
  // (outgoing), then reads all the capture delivers.
  std::vector<Captured> exchange(LiveCapture& cap, const std::vector<std::pair<Bytes, bool>>& frames) {
    FrameSender from_peer(link.peer_ns(), link.peer_if());
    FrameSender from_us(link.capture_ns(), link.capture_if());
    for (const auto& [f, outgoing] : frames) (outgoing ? from_us : from_peer).send(f);
    return capture_rest(cap);
  }

  void expect_frames(const std::vector<Captured>& got, const std::vector<Bytes>& want, std::string_view what) {
    std::vector<Bytes> got_bytes;
    for (const auto& g : got) got_bytes.push_back(g.data);
    std::string wanted;
    for (const auto& w : want) wanted += "  " + hex(w, 80) + "\n";
    EXPECT_EQ(got_bytes, want) << what << "\ngot:\n" << dump(got) << "want:\n" << wanted;
  }

  VethPair link;
  MacAddress us = VethPair::capture_mac();
  MacAddress them = VethPair::peer_mac();
};

TEST_P(FilterPlacementTest, AnyDeviceRunsTranslatedPortAndProtocolFiltersInTheKernel) {
  for (const char* expr : {"udp port 9", "ether proto 0x0800 and udp[2:2] = 9"}) {
    SCOPED_TRACE(expr);
    auto cap = open("any", compiled(expr, dlt::kLinuxSll));
    EXPECT_EQ(cap->filter_placement(), FilterPlacement::kernel_translated);
    EXPECT_EQ(cap->filter_note(), "");
    std::vector<std::pair<Bytes, bool>> frames;
    std::vector<Bytes> want;
    for (std::uint32_t i = 0; i < 12; ++i) {
      Bytes f = i % 3 == 0 ? udp_frame(us, them, 9, i) : i % 3 == 1 ? udp_frame(us, them, 10, i)
                                                                    : make_frame(us, them, kTestEthertype, 60, i);
      frames.push_back({f, false});
      if (i % 3 == 0) want.push_back(cooked(f, 0));
    }
    auto got = exchange(*cap, frames);
    expect_frames(got, want, expr);
    // Only what the kernel's filter passed reached the ring.
    EXPECT_EQ(cap->stats().received, want.size());
  }
}

TEST_P(FilterPlacementTest, AnyDeviceTellsInboundFromOutboundInTheKernel) {
  std::vector<std::pair<Bytes, bool>> frames;
  std::vector<Bytes> in, out;
  for (std::uint32_t i = 0; i < 8; ++i) {
    const bool outgoing = i % 4 == 1;
    Bytes f = outgoing ? make_frame(them, us, kTestEthertype, 64, i) : make_frame(us, them, kOtherEthertype, 64, i);
    frames.push_back({f, outgoing});
    (outgoing ? out : in).push_back(cooked(f, outgoing ? 4 : 0));
  }
  for (const char* expr : {"inbound", "outbound"}) {
    SCOPED_TRACE(expr);
    auto cap = open("any", compiled(expr, dlt::kLinuxSll));
    EXPECT_EQ(cap->filter_placement(), FilterPlacement::kernel_translated);
    auto got = exchange(*cap, frames);
    const auto& want = std::string_view(expr) == "inbound" ? in : out;
    expect_frames(got, want, expr);
    EXPECT_EQ(cap->stats().received, want.size());
  }
}

TEST_P(FilterPlacementTest, AnyDeviceFiltersWhatTheKernelCannotSeeInUserspace) {
  // The link-layer address (SLL bytes 6-11) and the length with the cooked header are not
  // in what a cooked socket's filter sees.
  const std::string peer_mac = "link[6:4] = 0x02990000 and link[10:2] = 0x0002";
  std::vector<std::pair<Bytes, bool>> frames;
  std::vector<Bytes> from_peer, long_ones;
  for (std::uint32_t i = 0; i < 8; ++i) {
    const bool outgoing = i % 2 == 1;
    const std::size_t size = 60 + 20 * i;
    Bytes f = outgoing ? make_frame(them, us, kTestEthertype, size, i) : make_frame(us, them, kTestEthertype, size, i);
    frames.push_back({f, outgoing});
    Bytes c = cooked(f, outgoing ? 4 : 0);
    if (!outgoing) from_peer.push_back(c);
    if (c.size() > 150) long_ones.push_back(c);
  }
  for (const auto& [expr, want] : {std::pair{peer_mac, from_peer}, std::pair{std::string("greater 151"), long_ones}}) {
    SCOPED_TRACE(expr);
    auto cap = open("any", compiled(expr, dlt::kLinuxSll));
    EXPECT_EQ(cap->filter_placement(), FilterPlacement::userspace);
    EXPECT_NE(cap->filter_note().find("cooked socket"), std::string::npos) << cap->filter_note();
    ASSERT_FALSE(cap->warnings().empty());
    EXPECT_NE(cap->warnings().back().find("filtering in userspace"), std::string::npos) << cap->warnings().back();
    ASSERT_FALSE(want.empty());
    ASSERT_LT(want.size(), frames.size());
    expect_frames(exchange(*cap, frames), want, expr);
  }
}

TEST_P(FilterPlacementTest, VlanTestsSeeTheTagsTheKernelStripped) {
  struct Sent {
    Bytes frame;
    bool vlan5_udp9;
    bool qinq_5_7_udp9;
  };
  const std::vector<Sent> sent = {
      {udp_frame(us, them, 9, 1, {{0x8100, 0x0005}}), true, false},
      {udp_frame(us, them, 10, 2, {{0x8100, 0x0005}}), false, false},
      {udp_frame(us, them, 9, 3, {{0x8100, 0x0006}}), false, false},
      {udp_frame(us, them, 9, 4), false, false},                                     // untagged
      {udp_frame(us, them, 9, 5, {{0x8100, 0x2005}}), true, false},                 // priority 1, vid 5
      {udp_frame(us, them, 9, 6, {{0x88a8, 0x0005}, {0x8100, 0x0007}}), false, true},  // QinQ 5/7
      {udp_frame(us, them, 9, 7, {{0x88a8, 0x0005}}), true, false},                 // 802.1ad
      {make_frame(us, them, kTestEthertype, 60, 8), false, false},
  };
  std::vector<std::pair<Bytes, bool>> frames;
  std::size_t tagged = 0;
  for (const auto& s : sent) {
    frames.push_back({s.frame, false});
    const auto type = std::to_integer<unsigned>(s.frame[12]) << 8 | std::to_integer<unsigned>(s.frame[13]);
    tagged += type == 0x8100 || type == 0x88a8;
  }
  ASSERT_EQ(tagged, 6u);
  for (const char* expr : {"vlan 5 and udp port 9", "vlan 5 and vlan 7 and udp port 9"}) {
    SCOPED_TRACE(expr);
    auto cap = open(link.capture_if(), compiled(expr, dlt::kEn10Mb));
    EXPECT_EQ(cap->filter_placement(), FilterPlacement::kernel_and_userspace);
    EXPECT_NE(cap->filter_note().find("VLAN"), std::string::npos) << cap->filter_note();
    std::vector<Bytes> want;
    for (const auto& s : sent)
      if (std::string_view(expr).find("vlan 7") == std::string_view::npos ? s.vlan5_udp9 : s.qinq_5_7_udp9)
        want.push_back(s.frame);
    expect_frames(exchange(*cap, frames), want, expr);
    // The kernel passed up the tagged frames only; the untagged ones it decided itself.
    EXPECT_EQ(cap->stats().received, tagged);
  }
}

TEST_P(FilterPlacementTest, AProgramTheKernelRefusesRunsInUserspaceAndSaysSo) {
  // protochain loops backward: the kernel refuses it (EINVAL).
  auto cap = open(link.capture_if(), compiled("ip protochain 17", dlt::kEn10Mb));
  EXPECT_EQ(cap->filter_placement(), FilterPlacement::userspace);
  EXPECT_EQ(cap->filter_refusal_errno(), EINVAL);
  EXPECT_NE(cap->filter_note().find("the kernel refused the program"), std::string::npos) << cap->filter_note();
  std::vector<std::pair<Bytes, bool>> frames;
  std::vector<Bytes> want;
  for (std::uint32_t i = 0; i < 6; ++i) {
    Bytes f = i % 2 ? udp_frame(us, them, 9, i) : make_frame(us, them, kTestEthertype, 60, i);
    frames.push_back({f, false});
    if (i % 2) want.push_back(f);
  }
  expect_frames(exchange(*cap, frames), want, "ip protochain 17");

  // set_filter takes the same path; a program the kernel takes goes back to the kernel.
  ASSERT_TRUE(cap->set_filter(compiled("ip protochain 6", dlt::kEn10Mb)));
  EXPECT_EQ(cap->filter_placement(), FilterPlacement::userspace);
  expect_frames(exchange(*cap, frames), {}, "ip protochain 6");
  ASSERT_TRUE(cap->set_filter(compiled("udp", dlt::kEn10Mb)));
  EXPECT_EQ(cap->filter_placement(), FilterPlacement::kernel);
  EXPECT_EQ(cap->filter_refusal_errno(), 0);
  expect_frames(exchange(*cap, frames), want, "udp");
  // Two rounds with everything passing the kernel, then only the UDP frames.
  EXPECT_EQ(cap->stats().received, 2 * frames.size() + want.size());
}

TEST_P(FilterPlacementTest, ALockedSocketFilterFallsBackToUserspaceOrKeepsTheOldOne) {
  std::vector<std::pair<Bytes, bool>> frames;
  std::vector<Bytes> udp9, test_type;
  for (std::uint32_t i = 0; i < 6; ++i) {
    Bytes f = i % 2 ? udp_frame(us, them, 9, i) : make_frame(us, them, kTestEthertype, 60, i);
    frames.push_back({f, false});
    (i % 2 ? udp9 : test_type).push_back(f);
  }
  {
    // No filter yet: the kernel passes everything, so the program can run in userspace.
    auto cap = open(link.capture_if(), std::nullopt);
    int one = 1;
    ASSERT_EQ(::setsockopt(cap->selectable_fd(), SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof one), 0);
    ASSERT_TRUE(cap->set_filter(compiled("udp port 9", dlt::kEn10Mb)));
    EXPECT_EQ(cap->filter_placement(), FilterPlacement::userspace);
    EXPECT_EQ(cap->filter_refusal_errno(), EPERM);
    ASSERT_FALSE(cap->warnings().empty());
    EXPECT_NE(cap->warnings().back().find("refused to change the socket filter"), std::string::npos)
        << cap->warnings().back();
    expect_frames(exchange(*cap, frames), udp9, "locked, userspace");
  }
  {
    // A kernel filter in place and locked: the new program cannot be honoured; the error says
    // so and the old filter keeps delivering (never silently nothing).
    auto cap = open(link.capture_if(), compiled("ether proto 0x88b5", dlt::kEn10Mb));
    int one = 1;
    ASSERT_EQ(::setsockopt(cap->selectable_fd(), SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof one), 0);
    auto r = cap->set_filter(compiled("udp port 9", dlt::kEn10Mb));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("the previous filter stays"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().sys_errno, EPERM);
    EXPECT_EQ(cap->filter_placement(), FilterPlacement::kernel);
    expect_frames(exchange(*cap, frames), test_type, "locked, old filter");
  }
}

INSTANTIATE_TEST_SUITE_P(Tpacket, FilterPlacementTest, ::testing::Values(TpacketVersion::v3, TpacketVersion::v2),
                         tpacket_version_name);

}  // namespace
}  // namespace pcapxx::test
