// The interpreter's kernel semantics on real packet bytes: bounds, division by zero in X,
// ancillary loads, SKF_NET_OFF/SKF_LL_OFF loads, netlink attributes, backward jumps.
#include <cstring>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/run.hpp"
#include "pcapxx/bpf.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

struct Frame {
  std::vector<std::byte> data;
  std::uint32_t origlen = 0;
};

// The first packet of a shared capture file.
Frame first_frame(std::string_view name) {
  auto reader = SavefileReader::open(std::string(PCAPXX_SHARED_CAPTURES) + "/" + std::string(name));
  EXPECT_TRUE(reader) << reader.error().what();
  if (!reader) return {};
  auto pkt = (*reader)->next();
  EXPECT_TRUE(pkt && *pkt != nullptr);
  if (!pkt || *pkt == nullptr) return {};
  return Frame{{(*pkt)->data.begin(), (*pkt)->data.end()}, (*pkt)->header.origlen};
}

std::uint32_t run(const BpfProgram& p, const Frame& f, const BpfContext& ctx = {}) {
  EXPECT_TRUE(validate_program(p)) << format_program(p, BpfListing::image);
  return run_program(p, f.data, f.origlen, ctx);
}

TEST(Interpreter, LoadsAreBigEndianAndBoundedByTheCapturedBytes) {
  Frame f = first_frame("gopacket/pcap_test_ethernet.pcap");
  ASSERT_GE(f.data.size(), 34u);
  auto be16 = [&](std::size_t o) { return std::to_integer<std::uint32_t>(f.data[o]) << 8 | std::to_integer<std::uint32_t>(f.data[o + 1]); };
  EXPECT_EQ(run({stmt(kLd | kH | kAbs, 12), stmt(kRet | kA, 0)}, f), be16(12));
  EXPECT_EQ(run({stmt(kLd | kW | kAbs, 26), stmt(kRet | kA, 0)}, f), be16(26) << 16 | be16(28));
  auto n = static_cast<std::uint32_t>(f.data.size());
  // The last byte loads; one past it makes the program return 0 even though a later return says 7.
  EXPECT_EQ(run({stmt(kLd | kB | kAbs, n - 1), stmt(kAlu | kOr | kK, 0x100), stmt(kRet | kA, 0)}, f),
            0x100 | std::to_integer<std::uint32_t>(f.data[n - 1]));
  EXPECT_EQ(run({stmt(kLd | kH | kAbs, n - 1), stmt(kRet | kK, 7)}, f), 0u);
  EXPECT_EQ(run({stmt(kLdx | kImm, n - 3), stmt(kLd | kW | kInd, 0), stmt(kRet | kK, 7)}, f), 0u);
  EXPECT_EQ(run({stmt(kLdx | kImm, n - 4), stmt(kLd | kW | kInd, 0), stmt(kRet | kK, 7)}, f), 7u);
  // BPF_LEN is the length on the wire, not the captured length.
  EXPECT_EQ(run({stmt(kLd | kW | kLen, 0), stmt(kRet | kA, 0)}, f), f.origlen);
  // ldxb 4*([14]&0xf): the IPv4 header length.
  EXPECT_EQ(run({stmt(kLdx | kB | kMsh, 14), stmt(kMisc | kTxa, 0), stmt(kRet | kA, 0)}, f),
            (std::to_integer<std::uint32_t>(f.data[14]) & 0xf) * 4);
}

TEST(Interpreter, DivisionByZeroInXReturnsZero) {
  Frame f = first_frame("gopacket/pcap_test_ethernet.pcap");
  EXPECT_EQ(run({stmt(kLd | kImm, 10), stmt(kLdx | kImm, 0), stmt(kAlu | kDiv | kX, 0), stmt(kRet | kK, 9)}, f), 0u);
  EXPECT_EQ(run({stmt(kLd | kImm, 10), stmt(kLdx | kImm, 0), stmt(kAlu | kMod | kX, 0), stmt(kRet | kK, 9)}, f), 0u);
  EXPECT_EQ(run({stmt(kLd | kImm, 10), stmt(kLdx | kImm, 3), stmt(kAlu | kMod | kX, 0), stmt(kRet | kA, 0)}, f), 1u);
  EXPECT_EQ(run({stmt(kLd | kImm, 10), stmt(kAlu | kNeg, 0), stmt(kRet | kA, 0)}, f), 0xfffffff6u);
  EXPECT_EQ(run({stmt(kLd | kImm, 1), stmt(kLdx | kImm, 35), stmt(kAlu | kLsh | kX, 0), stmt(kRet | kA, 0)}, f), 0u);
}

// A context with the kernel's meaning of negative offsets (a live capture's userspace fallback).
BpfContext kernel_context() {
  BpfContext ctx;
  ctx.userspace = false;
  return ctx;
}

TEST(Interpreter, AncillaryLoadsComeFromTheContext) {
  Frame f = first_frame("gopacket/pcap_test_ethernet.pcap");
  BpfContext ctx = kernel_context();
  ctx.protocol = 0x0800;
  ctx.pkttype = 4;
  ctx.ifindex = 3;
  ctx.vlan_tci = 0x0064;
  ctx.vlan_present = true;
  ctx.vlan_tpid = 0x88a8;
  ctx.hatype = 1;
  struct Case { std::uint32_t off; std::uint32_t want; };
  for (Case c : {Case{kAdProtocol, 0x0800}, Case{kAdPktType, 4}, Case{kAdIfIndex, 3}, Case{kAdVlanTag, 0x64},
                 Case{kAdVlanTagPresent, 1}, Case{kAdVlanTpid, 0x88a8}, Case{kAdHaType, 1}}) {
    // The load size does not matter for ancillary data.
    for (std::uint16_t size : {kW, kH, kB})
      EXPECT_EQ(run({stmt(kLd | size | kAbs, kAdOff + c.off), stmt(kRet | kA, 0)}, f, ctx), c.want) << c.off;
  }
  EXPECT_EQ(run({stmt(kLd | kImm, 0xf0), stmt(kLdx | kImm, 0x0f), stmt(kLd | kW | kAbs, kAdOff + kAdAluXorX),
                 stmt(kRet | kA, 0)}, f, ctx), 0xffu);
  // With the default (userspace) meaning, as libpcap's bpf_filter: every one rejects.
  ctx.userspace = true;
  for (std::uint32_t off = 0; off < kAdMax; off += 4)
    EXPECT_EQ(run({stmt(kLd | kW | kAbs, kAdOff + off), stmt(kRet | kK, 7)}, f, ctx), 0u) << off;
}

TEST(Interpreter, NegativeOffsetsIndexFromTheLinkAndNetworkHeaders) {
  Frame f = first_frame("gopacket/pcap_test_ethernet.pcap");
  BpfContext ctx = kernel_context();
  // Without a known network header, SKF_NET_OFF loads fail.
  EXPECT_EQ(run({stmt(kLd | kB | kAbs, kNetOff + 9), stmt(kRet | kK, 5)}, f, ctx), 0u);
  ctx.net_offset = 14;
  EXPECT_EQ(run({stmt(kLd | kB | kAbs, kNetOff + 9), stmt(kRet | kA, 0)}, f, ctx), std::to_integer<std::uint32_t>(f.data[23]));
  EXPECT_EQ(run({stmt(kLd | kH | kAbs, kLlOff + 12), stmt(kRet | kA, 0)}, f, ctx), 0x0800u);
  // Below SKF_LL_OFF nothing is addressable.
  EXPECT_EQ(run({stmt(kLd | kB | kAbs, kLlOff - 1), stmt(kRet | kK, 5)}, f, ctx), 0u);
  // Indexed: X + k wraps in 32 bits, and a negative sum is SKF_LL_OFF based.
  EXPECT_EQ(run({stmt(kLdx | kImm, 0xfffffff0), stmt(kLd | kH | kInd, 28), stmt(kRet | kA, 0)}, f, ctx), 0x0800u);
  EXPECT_EQ(run({stmt(kLdx | kImm, 12), stmt(kLd | kH | kInd, kLlOff), stmt(kRet | kA, 0)}, f, ctx), 0x0800u);
  EXPECT_EQ(run({stmt(kLdx | kB | kMsh, kLlOff + 14), stmt(kMisc | kTxa, 0), stmt(kRet | kA, 0)}, f, ctx),
            (std::to_integer<std::uint32_t>(f.data[14]) & 0xf) * 4);
}

// The default meaning is libpcap's userland bpf_filter (what `tcpdump -r` runs): a negative
// offset is out of bounds, and X + k is not wrapped, whatever the context holds.
TEST(Interpreter, UserspaceMeaningRejectsNegativeOffsetsAndDoesNotWrap) {
  Frame f = first_frame("gopacket/pcap_test_ethernet.pcap");
  ASSERT_GE(f.data.size(), 34u);
  BpfContext ctx;
  ASSERT_TRUE(ctx.userspace);
  ctx.net_offset = 14;
  for (std::uint32_t k : {kNetOff + 9, kLlOff, kLlOff + 12, kAdOff + kAdProtocol, 0x80000000u}) {
    for (std::uint16_t size : {kW, kH, kB})
      EXPECT_EQ(run({stmt(kLd | size | kAbs, k), stmt(kRet | kK, 5)}, f, ctx), 0u) << std::hex << k;
    EXPECT_EQ(run({stmt(kLdx | kB | kMsh, k), stmt(kRet | kK, 5)}, f, ctx), 0u) << std::hex << k;
  }
  // X + k beyond 2^32: wrapped it would be 12 (in the packet); not wrapped it is out of bounds.
  EXPECT_EQ(run({stmt(kLdx | kImm, 0xfffffff0), stmt(kLd | kH | kInd, 28), stmt(kRet | kK, 5)}, f, ctx), 0u);
  EXPECT_EQ(run({stmt(kLdx | kImm, 28), stmt(kLd | kH | kInd, 0xfffffff0), stmt(kRet | kK, 5)}, f, ctx), 0u);
  EXPECT_EQ(run({stmt(kLdx | kImm, 12), stmt(kLd | kB | kInd, kLlOff), stmt(kRet | kK, 5)}, f, ctx), 0u);
  EXPECT_EQ(run({stmt(kLdx | kImm, 0xffffffff), stmt(kLd | kB | kInd, 1), stmt(kRet | kK, 5)}, f, ctx), 0u);
  // The same sums without a wrap still load.
  EXPECT_EQ(run({stmt(kLdx | kImm, 10), stmt(kLd | kH | kInd, 2), stmt(kRet | kA, 0)}, f, ctx), 0x0800u);
  EXPECT_EQ(run({stmt(kLdx | kImm, 0), stmt(kLd | kB | kInd, 0), stmt(kRet | kA, 0)}, f, ctx),
            std::to_integer<std::uint32_t>(f.data[0]));
}

TEST(Interpreter, NetlinkAttributesAreFoundByType) {
  // Netlink attributes are in host byte order, so the capture files (written on other hosts)
  // cannot serve here: build a 4-byte header and an attribute stream by hand.
  std::vector<std::byte> pkt(4, std::byte{0});
  auto attr = [&](std::uint16_t type, std::size_t payload) {
    std::uint16_t len = static_cast<std::uint16_t>(4 + payload);
    std::size_t at = pkt.size();
    pkt.resize(at + ((len + 3u) & ~3u));
    std::memcpy(pkt.data() + at, &len, 2);
    std::memcpy(pkt.data() + at + 2, &type, 2);
    return at;
  };
  attr(1, 4);
  std::size_t nest = attr(0x8000 | 2, 16);  // nested flag set; holds two attributes
  std::uint16_t inner_len = 8, inner_type = 7;
  std::memcpy(pkt.data() + nest + 4 + 8, &inner_len, 2);
  std::memcpy(pkt.data() + nest + 4 + 8 + 2, &inner_type, 2);
  inner_type = 6;
  std::memcpy(pkt.data() + nest + 4, &inner_len, 2);
  std::memcpy(pkt.data() + nest + 4 + 2, &inner_type, 2);
  std::size_t third = attr(3, 1);
  Frame f{pkt, static_cast<std::uint32_t>(pkt.size())};
  auto find = [&](std::uint32_t start, std::uint32_t type, std::uint32_t which) {
    return run({stmt(kLd | kImm, start), stmt(kLdx | kImm, type), stmt(kLd | kW | kAbs, kAdOff + which), stmt(kRet | kA, 0)}, f,
               kernel_context());
  };
  EXPECT_EQ(find(4, 1, kAdNlAttr), 4u);
  EXPECT_EQ(find(4, 2, kAdNlAttr), nest);  // the flag bits do not count
  EXPECT_EQ(find(4, 3, kAdNlAttr), third);
  EXPECT_EQ(find(4, 9, kAdNlAttr), 0u);
  EXPECT_EQ(find(static_cast<std::uint32_t>(nest), 7, kAdNlAttrNest), nest + 12);
  EXPECT_EQ(find(static_cast<std::uint32_t>(nest), 6, kAdNlAttrNest), nest + 4);
  EXPECT_EQ(find(static_cast<std::uint32_t>(nest), 3, kAdNlAttrNest), 0u);
  EXPECT_EQ(find(static_cast<std::uint32_t>(pkt.size()), 1, kAdNlAttr), 0u);
}

TEST(Interpreter, BackwardJumpsRunUnderLibpcapRulesAndAreBounded) {
  Frame f = first_frame("gopacket/pcap_test_ethernet.pcap");
  // A = 0; loop: A += 1; if A == 5 return A; jump back.
  BpfProgram count = {stmt(kLd | kImm, 0), stmt(kAlu | kAdd | kK, 1), jump(kJmp | kJeq | kK, 5, 1, 0),
                      stmt(kJmp | kJa, 0xfffffffd), stmt(kRet | kA, 0)};
  EXPECT_FALSE(validate_program(count));
  ASSERT_TRUE(validate_program(count, BpfRules::libpcap));
  EXPECT_EQ(run_program(count, f.data, f.origlen), 5u);
  BpfProgram forever = {stmt(kLd | kImm, 1), stmt(kJmp | kJa, 0xffffffff), stmt(kRet | kA, 0)};
  ASSERT_TRUE(validate_program(forever, BpfRules::libpcap));
  EXPECT_EQ(run_program(forever, f.data, f.origlen), 0u);
  BpfProgram outside = {stmt(kJmp | kJa, 0xfffffff0), stmt(kRet | kA, 0)};
  EXPECT_FALSE(validate_program(outside, BpfRules::libpcap));
}

TEST(Listing, ParsesDddAndDdAndNamesTheBadLine) {
  auto p = parse_program_listing("3\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n");
  ASSERT_TRUE(p) << p.error().what();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[1], jump(kJmp | kJeq | kK, 2048, 0, 1));
  EXPECT_EQ(format_program(*p, BpfListing::image),
            "(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n(002) ret      #262144\n");
  EXPECT_EQ(format_program(*p, BpfListing::c_array),
            "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x00040000 },\n");
  auto dd = parse_program_listing(format_program(*p, BpfListing::c_array));
  ASSERT_TRUE(dd);
  EXPECT_EQ(*dd, *p);
  auto bad = parse_program_listing("2\n40 0 0 12\n21 0 x 2048\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what(), "bpf listing line 3: bad jf 'x'");
  auto count = parse_program_listing("3\n40 0 0 12\n6 0 0 1\n");
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error().what(), "bpf listing: the count line says 3 instructions, found 2");
}

}  // namespace
}  // namespace pcapxx
