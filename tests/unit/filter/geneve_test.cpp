// Geneve's scratch cells: three per geneve from the top, zeroed first when a later test may
// read them unwritten, and what is left for arithmetic; a crafted Geneve frame (RFC 8926
// header with options, inner Ethernet) through the compiled filter.
#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pcapxx/filter.hpp"

namespace pcapxx {
namespace {

using Bytes = std::vector<std::byte>;

BpfProgram compiled(std::string_view expr) {
  auto p = compile_filter(expr, dlt::kEn10Mb, 262144, 0, true);
  EXPECT_TRUE(p) << expr << ": " << p.error().what();
  return p ? *p : BpfProgram{};
}

void put(Bytes& b, std::initializer_list<unsigned> v) {
  for (unsigned x : v) b.push_back(static_cast<std::byte>(x));
}

// Ethernet / IPv4 / UDP to 6081 / Geneve (one 4-byte option, VNI 100) / Ethernet / IPv4 / TCP to 80.
Bytes geneve_frame(unsigned protocol = 0x6558) {
  Bytes b;
  put(b, {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00});
  put(b, {0x45, 0, 0, 100, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
  put(b, {0x30, 0x39, 0x17, 0xc1, 0, 80, 0, 0});
  put(b, {0x01, 0, protocol >> 8, protocol & 0xff, 0, 0, 100, 0, 0xaa, 0xbb, 0xcc, 0xdd});
  if (protocol == 0x6558) put(b, {0, 0x0c, 0x29, 0x36, 0x5a, 0xae, 0, 0x50, 0x56, 0xc0, 0, 0x08, 0x08, 0x00});
  put(b, {0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 168, 0, 1, 192, 168, 0, 2});
  put(b, {0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0});
  return b;
}

bool keeps(std::string_view expr, const Bytes& frame) {
  BpfProgram p = compiled(expr);
  return run_program(p, frame, static_cast<std::uint32_t>(frame.size())) != 0;
}

TEST(Geneve, InnerFrameTestsSeeTheEncapsulatedPacket) {
  const Bytes frame = geneve_frame();
  EXPECT_TRUE(keeps("geneve", frame));
  EXPECT_TRUE(keeps("geneve 100", frame));
  EXPECT_FALSE(keeps("geneve 101", frame));
  EXPECT_TRUE(keeps("geneve and tcp dst port 80", frame));
  EXPECT_TRUE(keeps("geneve and ip host 192.168.0.2", frame));
  EXPECT_FALSE(keeps("geneve and ip host 10.0.0.2", frame));  // the outer address
  EXPECT_TRUE(keeps("geneve and ether src 00:50:56:c0:00:08", frame));
  EXPECT_TRUE(keeps("geneve and tcp[13] = 2 and ip[9] = 6", frame));
  // Without an inner Ethernet header (protocol 0x0800) there are no MAC addresses to test.
  const Bytes bare = geneve_frame(0x0800);
  EXPECT_TRUE(keeps("geneve and tcp port 80", bare));
  EXPECT_FALSE(keeps("geneve and ether src 00:50:56:c0:00:08", bare));
  // Cut inside the Geneve header (before the protocol type's second byte): the load past the
  // end rejects; cut after the header, "geneve" alone still matches (it reads no further).
  EXPECT_FALSE(keeps("geneve", Bytes(frame.begin(), frame.begin() + 45)));
  EXPECT_TRUE(keeps("geneve", Bytes(frame.begin(), frame.begin() + 50)));
  EXPECT_FALSE(keeps("geneve and ip", Bytes(frame.begin(), frame.begin() + 50)));
}

TEST(Geneve, CellsAreWrittenBeforeTheyAreRead) {
  // Every program passes the kernel's rules, which refuse loads of unwritten cells; a geneve
  // that may not have matched gets its cells zeroed first.
  for (std::string_view expr : {"geneve and ip", "not geneve and ip", "geneve 1 or geneve 2 and ip",
                                "(geneve or vlan) and tcp port 80", "geneve and geneve and ip[0] + ip[1] = tcp[0]"}) {
    BpfProgram p = compiled(expr);
    EXPECT_TRUE(validate_program(p, BpfRules::kernel)) << expr << "\n" << format_program(p, BpfListing::image);
  }
  BpfProgram p = compiled("not geneve and ip");
  ASSERT_GE(p.size(), 2u);
  EXPECT_EQ(p[0].code, bpf::kLd | bpf::kImm) << format_program(p, BpfListing::image);
  EXPECT_EQ(p[0].k, 0u);
}

TEST(Geneve, EachTakesThreeCellsFromTheTop) {
  std::string five = "geneve";
  for (int i = 0; i < 4; ++i) five += " and geneve";
  compiled(five);
  auto six = compile_filter(five + " and geneve", dlt::kEn10Mb, 262144, 0, true);
  ASSERT_FALSE(six);
  EXPECT_EQ(six.error().what(), "filter column 56: too many registers needed to evaluate expression");
  // One cell is left for arithmetic after five: a relation needing two fails.
  auto arith = compile_filter(five + " and ip[0] + ip[1] = ip[2] + ip[3]", dlt::kEn10Mb, 262144, 0, true);
  EXPECT_FALSE(arith);
  EXPECT_TRUE(compile_filter(five + " and ip[0] = 1", dlt::kEn10Mb, 262144, 0, true));
}

TEST(Geneve, RefusedWhereLibpcapHasNoDefinedProgram) {
  auto wlan = compile_filter("geneve", dlt::kIeee802_11, 262144, 0, true);
  ASSERT_FALSE(wlan);
  EXPECT_EQ(wlan.error().code, Errc::unsupported);
  auto vni = compile_filter("geneve 16777216", dlt::kEn10Mb, 262144, 0, true);
  ASSERT_FALSE(vni);
  EXPECT_EQ(vni.error().what(), "filter column 8: Geneve VNI 16777216 greater than maximum 16777215");
}

}  // namespace
}  // namespace pcapxx
