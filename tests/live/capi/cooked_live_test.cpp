// Cooked captures on "any" through unmodified Debian programs, once on our libpcap.so.0.8 and
// once on Debian's, capturing the same traffic at the same time: tcpdump -y LINUX_SLL2 with a
// filter (the cooked v2 header comes from pcapxx's ring reader, the filter runs in the
// kernel), and dumpcap -i any, whose pcapng file tshark must read cleanly.
#include <gtest/gtest.h>

#include <net/if.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "live/capi/clients.hpp"
#include "live/capture/frames.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx {
namespace {

using test::Background;
using test::Bytes;
using test::ScratchDir;
using test::show;
using test::VethPair;

struct FilePacket {
  std::uint32_t caplen = 0;
  std::uint32_t origlen = 0;
  Bytes data;
};

struct ReadFile {
  LinkType link{};
  std::vector<FilePacket> packets;
  std::string error;
};

// Every packet of a capture file, read with pcapxx's savefile reader.
ReadFile read_packets(const std::string& path) {
  ReadFile out;
  auto reader = SavefileReader::open(path);
  if (!reader) {
    out.error = reader.error().what();
    return out;
  }
  out.link = (*reader)->link_type();
  for (;;) {
    auto batch = (*reader)->next_batch();
    if (!batch) {
      out.error = batch.error().what();
      break;
    }
    if (batch->status != BatchStatus::packets) break;
    for (const PacketView& p : batch->packets)
      out.packets.push_back({p.header.caplen, p.header.origlen, Bytes(p.data.begin(), p.data.end())});
  }
  return out;
}

std::string describe(const ReadFile& f) {
  std::string s = fmt::format("link type {}, {} packets{}\n", f.link.dlt, f.packets.size(),
                              f.error.empty() ? "" : ", error: " + f.error);
  for (const auto& p : f.packets) s += fmt::format("  {} {} {}\n", p.caplen, p.origlen, test::hex(p.data, 40));
  return s;
}

// tcpdump -i any -y LINUX_SLL2 with a filter on both libraries at once, and pxdump with the
// same arguments: the same packets, header and all, and the header is the one the frame and
// the veth call for.
TEST(CookedLive, TcpdumpSll2OnAnyWithAFilterAsLibpcap) {
  VethPair link;
  ScratchDir dir;
  const std::string ours_file = dir.file("ours.pcap");
  const std::string theirs_file = dir.file("theirs.pcap");
  const std::string pxdump_file = dir.file("pxdump.pcap");
  const std::string args = "-i any -y LINUX_SLL2 -c 5 'ether proto 0x88b5'";
  // pxdump is our own program, linked to the library directly: it runs without the environment
  // that puts our libpcap.so.0.8 (and, in sanitizer builds, a preloaded ASan runtime) under tcpdump.
  Background px(link.capture_ns(), false, fmt::format("{}/pxdump -w {} {}", PCAPXX_BIN_DIR, pxdump_file, args), dir,
                "pxdump");
  Background ours(link.capture_ns(), true, fmt::format("tcpdump {} -w {}", args, ours_file), dir, "ours");
  Background theirs(link.capture_ns(), false, fmt::format("tcpdump {} -w {}", args, theirs_file), dir, "theirs");
  ASSERT_TRUE(ours.wait_for("listening on") && theirs.wait_for("listening on") && px.wait_for("listening on"))
      << show(ours.finish()) << show(theirs.finish()) << show(px.finish());
  std::vector<Bytes> sent;
  {
    test::FrameSender tx(link.peer_ns(), link.peer_if());
    const test::MacAddress broadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    for (std::uint32_t i = 0; i < 10; ++i) {
      const bool wanted = i % 2 == 1;
      Bytes f = test::make_frame(i == 3 ? broadcast : VethPair::capture_mac(), VethPair::peer_mac(),
                                 wanted ? test::kTestEthertype : test::kOtherEthertype, 100 + 10 * i, i);
      tx.send(f);
      if (wanted) sent.push_back(f);
    }
  }
  auto a = ours.finish();
  auto b = theirs.finish();
  auto c = px.finish();
  ASSERT_EQ(b.status, 0) << show(b);
  EXPECT_EQ(a.status, 0) << show(a);
  EXPECT_EQ(c.status, 0) << show(c);
  EXPECT_EQ(a.err, b.err) << "=== libpcap\n" << show(b) << "=== pcapxx\n" << show(a);
  EXPECT_NE(b.err.find("link-type LINUX_SLL2"), std::string::npos) << b.err;
  EXPECT_NE(c.err.find("link-type LINUX_SLL2"), std::string::npos) << c.err;

  const ReadFile mine = read_packets(ours_file);
  const ReadFile oracle = read_packets(theirs_file);
  ASSERT_TRUE(oracle.error.empty()) << oracle.error;
  EXPECT_TRUE(mine.error.empty()) << mine.error;
  EXPECT_EQ(oracle.link, dlt::kLinuxSll2);
  EXPECT_EQ(mine.link, dlt::kLinuxSll2);
  const ReadFile from_pxdump = read_packets(pxdump_file);
  EXPECT_TRUE(from_pxdump.error.empty()) << from_pxdump.error;
  EXPECT_EQ(from_pxdump.link, dlt::kLinuxSll2);
  ASSERT_EQ(from_pxdump.packets.size(), oracle.packets.size()) << "=== libpcap\n" << describe(oracle)
                                                               << "=== pxdump\n" << describe(from_pxdump);
  ASSERT_EQ(oracle.packets.size(), sent.size()) << describe(oracle);
  ASSERT_EQ(mine.packets.size(), oracle.packets.size()) << "=== libpcap\n" << describe(oracle) << "=== pcapxx\n"
                                                        << describe(mine);
  std::uint32_t ifindex = 0;
  {
    test::InNetns in(link.capture_ns());
    ifindex = ::if_nametoindex(link.capture_if().c_str());
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    SCOPED_TRACE(fmt::format("packet {}", i));
    const auto& m = mine.packets[i];
    const auto& o = oracle.packets[i];
    ASSERT_GE(o.data.size(), 20u);
    ASSERT_GE(m.data.size(), 20u);
    EXPECT_EQ(Bytes(m.data.begin(), m.data.begin() + 20), Bytes(o.data.begin(), o.data.begin() + 20))
        << "SLL2 header\nlibpcap " << test::hex(o.data, 20) << "\npcapxx  " << test::hex(m.data, 20);
    EXPECT_EQ(Bytes(m.data.begin() + 20, m.data.end()), Bytes(o.data.begin() + 20, o.data.end()))
        << "after the header\nlibpcap " << test::hex(o.data) << "\npcapxx  " << test::hex(m.data);
    EXPECT_EQ(from_pxdump.packets[i].data, o.data)
        << "pxdump\nlibpcap " << test::hex(o.data) << "\npxdump  " << test::hex(from_pxdump.packets[i].data);
    EXPECT_EQ(m.caplen, o.caplen);
    EXPECT_EQ(m.origlen, o.origlen);
    // What both must be: protocol, reserved, the veth's ifindex, ARPHRD_ETHER, packet type
    // (broadcast for frame 3), address length 6, the peer's MAC, then the frame after its
    // Ethernet header.
    Bytes want;
    test::put16(want, test::kTestEthertype);
    test::put16(want, 0);
    test::put16(want, static_cast<std::uint16_t>(ifindex >> 16));
    test::put16(want, static_cast<std::uint16_t>(ifindex));
    test::put16(want, 1);
    want.push_back(std::byte{static_cast<unsigned char>(i == 1 ? 1 : 0)});
    want.push_back(std::byte{6});
    for (auto x : VethPair::peer_mac()) want.push_back(static_cast<std::byte>(x));
    want.push_back(std::byte{0});
    want.push_back(std::byte{0});
    want.insert(want.end(), sent[i].begin() + 14, sent[i].end());
    EXPECT_EQ(o.data, want) << "libpcap " << test::hex(o.data) << "\nwant    " << test::hex(want);
  }
}

// dumpcap -i any on our library: the known frames in a pcapng file that tshark reads without
// complaint, with the same fields as dumpcap's file on Debian's libpcap.
TEST(CookedLive, DumpcapOnAnyReadByTshark) {
  VethPair link;
  ScratchDir dir;
  // Sizes and header fields agree (the two may start at different frames).
  auto r = test::dumpcap_on_both(link, dir, "-q -i any -f 'ether proto 0x88b5' -c 6",
                                 {"frame.len", "frame.cap_len", "sll.pkttype", "sll.hatype", "sll.halen",
                                  "sll.src.eth", "sll.etype", "frame.interface_name"},
                                 6);
  const auto& ta = r.ours_fields;
  const auto& tb = r.theirs_fields;
  // 300 - 14 + 16: LINUX_SLL (dumpcap keeps the first link type libpcap lists).
  const std::string want = fmt::format("302\t302\t0\t1\t6\t{}\t0x88b5\tany", test::mac_text(VethPair::peer_mac()));
  EXPECT_NE(tb.out.find(want), std::string::npos) << tb.out << "\nwant " << want;
  for (const auto& l : test::lines(ta.out)) EXPECT_EQ(l, want);
  EXPECT_EQ(ta.out, tb.out) << "=== libpcap\n" << tb.out << "=== pcapxx\n" << ta.out;
  // capinfos-style check that the file is whole: tshark's own two-pass read.
  auto whole = test::run({"tshark", "-2", "-r", r.ours_file, "-q"});
  EXPECT_EQ(whole.status, 0) << show(whole);
}

}  // namespace
}  // namespace pcapxx
