// Constant offsets at SKF_AD_OFF and above (and in the SKF_NET_OFF/SKF_LL_OFF ranges): the
// compiler emits them as libpcap does (`ether[0xfffffff0:4]` -> `ld [-16]`), the kernel's
// rules refuse unknown ancillary offsets while libpcap's accept them, and every engine rejects
// the packet at such a load.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pcapxx/filter.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

std::vector<std::byte> frame(std::size_t n) {
  std::vector<std::byte> f(n);
  for (std::size_t i = 0; i < n; ++i) f[i] = static_cast<std::byte>(i * 7 + 1);
  f[12] = std::byte{0x08};  // IPv4 ethertype
  f[13] = std::byte{0x00};
  return f;
}

TEST(HugeOffsets, CompilesToTheLoadLibpcapEmits) {
  auto p = compile_filter("ether[0xfffffff0:4] = 1", LinkType{1}, 262144, 0);
  ASSERT_TRUE(p) << p.error().what();
  EXPECT_EQ(format_program(*p, BpfListing::image),
            "(000) ld       [-16]\n(001) jeq      #0x1             jt 2\tjf 3\n(002) ret      #262144\n"
            "(003) ret      #0\n");
  EXPECT_EQ(required_rules(*p), BpfRules::libpcap);
  auto ip = compile_filter("ip[0xfffffff0] = 1", LinkType{1}, 262144, 0);
  ASSERT_TRUE(ip) << ip.error().what();
  EXPECT_NE(format_program(*ip, BpfListing::image).find("ldb      [-2]"), std::string::npos)
      << format_program(*ip, BpfListing::image);
  // A known ancillary offset stays kernel-valid ([proto]).
  auto proto = compile_filter("ether[0xfffff000] = 1", LinkType{1}, 262144, 0);
  ASSERT_TRUE(proto);
  EXPECT_EQ(required_rules(*proto), BpfRules::kernel);
}

TEST(HugeOffsets, KernelRulesRefuseUnknownAncillaryOffsetsLibpcapRulesAccept) {
  for (std::uint32_t k : {0xfffffff0u, 0xfffff001u, kAdOff + kAdMax, 0xffffffffu}) {
    BpfProgram p = {stmt(kLd | kB | kAbs, k), stmt(kRet | kA, 0)};
    auto kernel = validate_program(p, BpfRules::kernel);
    ASSERT_FALSE(kernel) << fmt::format("0x{:x}", k);
    EXPECT_NE(kernel.error().what().find("unknown ancillary offset"), std::string::npos) << kernel.error().what();
    EXPECT_TRUE(validate_program(p, BpfRules::libpcap)) << fmt::format("0x{:x}", k);
    EXPECT_EQ(required_rules(p), BpfRules::libpcap);
  }
  BpfProgram known = {stmt(kLd | kW | kAbs, kAdOff + kAdVlanTpid), stmt(kRet | kA, 0)};
  EXPECT_TRUE(validate_program(known, BpfRules::kernel));
}

TEST(HugeOffsets, EveryEngineRejectsAtTheLoad) {
  const auto f = frame(64);
  for (std::string_view expr : {"ether[0xfffffff0:4] = 1", "not ether[0xfffffff0:4] = 1", "ether[0xffffffff] = 0 or ip",
                                "ether[0xfffff040] != 0 or ip", "ether[0xfffffff0 + 8] = 0 or ip"}) {
    for (BpfEngineChoice engine : {BpfEngineChoice::automatic, BpfEngineChoice::interpreter}) {
      FilterOptions o;
      o.engine = engine;
      auto filter = Filter::compile(expr, LinkType{1}, o);
      ASSERT_TRUE(filter) << expr << ": " << filter.error().what();
      PacketView v;
      v.header.caplen = v.header.origlen = static_cast<std::uint32_t>(f.size());
      v.data = f;
      EXPECT_EQ(filter->run(v), 0u) << expr << "\n" << format_program(filter->program(), BpfListing::image);
    }
  }
  // The same packet passes `ip` alone: the rejection comes from the huge load.
  auto ip = Filter::compile("ip", LinkType{1});
  ASSERT_TRUE(ip);
  PacketView v;
  v.header.caplen = v.header.origlen = static_cast<std::uint32_t>(f.size());
  v.data = f;
  EXPECT_NE(ip->run(v), 0u);
}

// 802.11 with radiotap: libpcap adds the radiotap length and a huge index in A (32-bit wrap),
// then loads [x + 0]; so do we (an [x + -1] load would be out of bounds for libpcap).
TEST(HugeOffsets, RadiotapIndexWrapsInA) {
  auto p = compile_filter("ether[0xffffffff] = 0", LinkType{127}, 262144, 0);
  ASSERT_TRUE(p) << p.error().what();
  int indexed = 0;
  for (const BpfInsn& in : *p) {
    if (insn_class(in.code) != kLd || insn_mode(in.code) != kInd) continue;
    ++indexed;
    EXPECT_LT(in.k, 0x80000000u) << format_program(*p, BpfListing::image);
  }
  EXPECT_GT(indexed, 0);
}

}  // namespace
}  // namespace pcapxx
