// The JIT against the interpreter on real traffic: every filter of the differential corpus,
// compiled by us for each link type we compile for and by libpcap (pcap_compile, optimized and
// not) for each link type of the shared captures, on every packet of the shared captures.
#include <pcap/pcap.h>

#include <iterator>

#include <gtest/gtest.h>

#include "diff/filter/filter_corpus.hpp"
#include "pcapxx/filter.hpp"
#include "unit/jit/jit_test_util.hpp"

namespace pcapxx {
namespace {

constexpr LinkType kOurLinks[] = {dlt::kNull, dlt::kEn10Mb, dlt::kRaw, dlt::kIpv4,
                                  dlt::kIpv6, dlt::kLoop,   dlt::kLinuxSll, dlt::kLinuxSll2};

struct Counts {
  std::size_t programs = 0;
  std::size_t runs = 0;
  std::size_t accepted = 0;
  std::size_t failures = 0;
};

// Runs `program` on the packets of `link` and on every 20th packet of the other link types,
// with no context and with a network-header offset (SKF_NET_OFF loads) of 14.
void compare_on_captures(const BpfProgram& program, int link, std::string_view where, Counts& counts) {
  auto jit = BpfJitProgram::compile(program);
  ASSERT_TRUE(jit) << where << ": " << jit.error().what();
  ++counts.programs;
  BpfContext with_net;  // a live capture's userspace fallback: the kernel's meaning
  with_net.net_offset = 14;
  with_net.userspace = false;
  for (const auto& [pkt_link, packets] : test::shared_packets_by_link()) {
    std::size_t step = pkt_link == link ? 1 : 20;
    for (std::size_t i = 0; i < packets.size(); i += step) {
      const test::JitPacket& p = packets[i];
      const BpfContext& ctx = i % 2 == 0 ? BpfContext{} : with_net;
      std::string at = fmt::format("{} on {}", where, p.source);
      if (!test::same_verdict(program, *jit, p.data, p.origlen, ctx, at) && ++counts.failures > 5) {
        FAIL() << "stopping after 5 differences";
      }
      ++counts.runs;
      counts.accepted += jit->run(p.data, p.origlen, ctx) != 0;
    }
  }
}

TEST(JitCorpus, SharedCapturesHaveThePacketsTheTestsNeed) {
  const auto& by_link = test::shared_packets_by_link();
  std::size_t total = 0;
  for (const auto& [link, packets] : by_link) total += packets.size();
  // Ethernet, Linux cooked and raw IP traffic at least; a broken reader would leave these empty.
  EXPECT_GE(by_link.size(), 5u);
  EXPECT_TRUE(by_link.contains(dlt::kEn10Mb.dlt));
  EXPECT_TRUE(by_link.contains(dlt::kLinuxSll.dlt));
  EXPECT_GE(total, 1000u);
}

TEST(JitCorpus, OurCompiledFiltersGiveTheInterpretersVerdicts) {
  Counts counts;
  for (std::string_view expr : test::kFilterCorpus) {
    for (LinkType link : kOurLinks) {
      auto program = compile_filter(expr, link, 262144, 0, true);
      if (!program) continue;  // unsupported words; the compiler tests cover them
      compare_on_captures(*program, link.dlt, fmt::format("'{}' (ours, DLT {})", expr, link.dlt), counts);
      if (HasFatalFailure()) return;
    }
  }
  // Most of the corpus compiles for most link types; both verdicts occur.
  EXPECT_GE(counts.programs, 600u);
  EXPECT_GT(counts.accepted, 0u);
  EXPECT_LT(counts.accepted, counts.runs);
  fmt::print("{} programs, {} runs, {} accepted\n", counts.programs, counts.runs, counts.accepted);
}

// libpcap's own programs, including what our compiler does not generate (vlan, mpls, pppoe,
// geneve offset shifting, protochain's backward jumps, the 802.2 LLC tests).
TEST(JitCorpus, LibpcapCompiledFiltersGiveTheInterpretersVerdicts) {
  Counts counts;
  std::size_t backward = 0;
  for (const test::CaptureLinkType& lt : test::kCaptureLinkTypes) {
    int dlt = pcap_datalink_name_to_val(std::string(lt.tcpdump_name).c_str());
    ASSERT_GE(dlt, 0) << lt.tcpdump_name;
    pcap_t* dead = pcap_open_dead(dlt, 262144);
    ASSERT_NE(dead, nullptr);
    for (std::string_view expr : test::kFilterCorpus) {
      for (int optimize : {1, 0}) {
        bpf_program bp{};
        if (pcap_compile(dead, &bp, std::string(expr).c_str(), optimize, PCAP_NETMASK_UNKNOWN) != 0) continue;
        BpfProgram program;
        for (unsigned i = 0; i < bp.bf_len; ++i) {
          const bpf_insn& in = bp.bf_insns[i];
          program.push_back(BpfInsn{in.code, in.jt, in.jf, in.k});
        }
        pcap_freecode(&bp);
        std::string where = fmt::format("'{}' (libpcap{}, {})", expr, optimize ? "" : " -O", lt.tcpdump_name);
        ASSERT_TRUE(validate_program(program, BpfRules::libpcap)) << where;
        for (const BpfInsn& in : program)
          backward += in.code == (bpf::kJmp | bpf::kJa) && in.k >= 0x80000000u;
        compare_on_captures(program, dlt, where, counts);
        if (HasFatalFailure()) {
          pcap_close(dead);
          return;
        }
      }
    }
    pcap_close(dead);
  }
  EXPECT_GE(counts.programs, 1000u);
  EXPECT_GT(backward, 0u) << "no protochain program with a backward jump was compared";
  EXPECT_GT(counts.accepted, 0u);
  EXPECT_LT(counts.accepted, counts.runs);
  fmt::print("{} programs, {} runs, {} accepted\n", counts.programs, counts.runs, counts.accepted);
}

}  // namespace
}  // namespace pcapxx
