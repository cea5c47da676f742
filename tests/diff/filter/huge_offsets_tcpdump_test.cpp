// Constant offsets in the Linux socket-filter ranges (SKF_LL_OFF -0x200000, SKF_NET_OFF
// -0x100000, SKF_AD_OFF -0x1000 as unsigned 32-bit offsets) against libpcap: `tcpdump -d`
// compiles `ether[0xfffffff0:4]=1` to `ld [-16]` on every link type, so we must accept exactly
// what it accepts, print the same -d listing, and give the same verdicts. The verdict that
// matters for savefiles is our program on our interpreter with its default (userspace)
// context against libpcap's program on libpcap's own userland bpf_filter (loaded at run time as
// an oracle), where every such load is out of bounds and X + k does not wrap. Also checked: both
// programs on libpcap's bpf_filter, both on our interpreter with the kernel's meaning (what a
// live capture's userspace fallback runs), and our JIT against our interpreter under both.
#include <dlfcn.h>

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "diff/filter/merged_captures.hpp"
#include "pcapxx/bpf_jit.hpp"
#include "pcapxx/filter.hpp"
#include "unit/filter/random_programs.hpp"

namespace pcapxx {
namespace {

using BpfFilterFn = unsigned (*)(const BpfInsn*, const unsigned char*, unsigned, unsigned);

BpfFilterFn libpcap_bpf_filter() {
  static void* handle = ::dlopen("libpcap.so.0.8", RTLD_NOW | RTLD_LOCAL);
  return handle ? reinterpret_cast<BpfFilterFn>(::dlsym(handle, "bpf_filter")) : nullptr;
}

constexpr std::string_view kHugeOffsetFilters[] = {
    "ether[0xfffffff0:4] = 1",          // SKF_AD_OFF + 4080: unknown to the kernel
    "ether[0xfffffff0:4] = 1 or ip",    // the failing load rejects the packet, ip or not
    "ether[0xffffffff] = 0 or ip6",
    "ether[0xfffff001:2] = 0 or arp",   // misaligned ancillary offset
    "ether[0xfffff040] = 0 or udp",     // just past SKF_AD_MAX
    "ether[0xfffff000] = 1 or tcp",     // SKF_AD_PROTOCOL ([proto])
    "ether[0xfffff038:4] != 7",         // SKF_AD_RANDOM
    "ether[0xfff00000:2] = 0x4500 or tcp",  // SKF_NET_OFF
    "ether[0xffe00000] = 0 or udp",     // SKF_LL_OFF
    "ether[0xffdfffff] = 0 or icmp",    // below SKF_LL_OFF
    "link[0xfffffffc:4] != 0 or ip6",
    "ip[0xfffffff0] = 1 or udp",
    "ip[0xfffffff2:2] = 0x0800",
    "tcp[0xfffffff0] = 1 or arp",       // [x + -2]: libpcap's userland rejects, X + k is beyond the packet
    "udp[0xffffffff] = 0 or tcp",
    "ip6[0xffffff00] = 0 or ip",
    "ether[0xfffffff0 + 8] = 0 or ip",  // the constant folded by the parser
    "not ether[0xfffffff0:4] = 1",
};

// The -d text (without the "(NNN) " prefix) of every load at an offset of 2^31 or more.
std::set<std::string> huge_loads(const BpfProgram& program) {
  std::set<std::string> out;
  for (const BpfInsn& in : program) {
    const auto cls = bpf::insn_class(in.code), mode = bpf::insn_mode(in.code);
    const bool load = (cls == bpf::kLd || cls == bpf::kLdx) && (mode == bpf::kAbs || mode == bpf::kInd || mode == bpf::kMsh);
    if (load && in.k >= 0x80000000u) out.insert(format_insn(in, 0).substr(6));
  }
  return out;
}

struct Target {
  std::string_view name;
  int dlt;
  std::uint32_t file_linktype;
};
constexpr Target kTargets[] = {{"EN10MB", 1, 1},         {"LINUX_SLL", 113, 113},       {"RAW", 12, 101},
                               {"IEEE802_11", 105, 105}, {"IEEE802_11_RADIO", 127, 127}, {"PPP", 9, 9}};

// Every seventh packet: the programs are short and the loads fail early; this keeps the test
// under a few seconds under the sanitizers.
constexpr std::size_t kStride = 7;

TEST(HugeOffsetsVsLibpcap, SameAcceptanceListingsAndVerdicts) {
  BpfFilterFn oracle = libpcap_bpf_filter();
  ASSERT_NE(oracle, nullptr) << "libpcap.so.0.8 (the oracle) not loadable: " << ::dlerror();
  const auto& merged = test::merged_captures();
  int compared = 0, verdicts = 0, kept = 0, kept_userland = 0, kept_kernel = 0;
  for (const Target& t : kTargets) {
    const test::MergedCapture* m = nullptr;
    for (const auto& mc : merged)
      if (mc.linktype == t.file_linktype) m = &mc;
    for (std::string_view expr : kHugeOffsetFilters) {
      const std::string where = fmt::format("'{}' on {}", expr, t.name);
      auto theirs = test::tcpdump_program(expr, t.name);
      auto ours = compile_filter(expr, LinkType{t.dlt}, 262144, 0, true);
      if (!theirs) {
        EXPECT_FALSE(ours) << where << ": libpcap rejects it (" << theirs.error() << ") but we compile\n"
                           << format_program(*ours, BpfListing::image);
        continue;
      }
      ASSERT_TRUE(ours) << where << ": libpcap compiles it but we reject it: " << ours.error().what() << "\nlibpcap:\n"
                        << format_program(*theirs, BpfListing::image);
      ASSERT_TRUE(validate_program(*ours, required_rules(*ours))) << where;
      // libpcap's -d listing is what tcpdump prints, and each of our loads at a huge offset
      // prints as one of libpcap's ([-16], [proto], [x + -2]); the rest of the layout may differ.
      auto d = test::run({"tcpdump", "-d", "-y", std::string(t.name), "--", std::string(expr)});
      EXPECT_EQ(format_program(*theirs, BpfListing::image), d.out) << where;
      const auto ours_loads = huge_loads(*ours), theirs_loads = huge_loads(*theirs);
      EXPECT_FALSE(ours_loads.empty() && !theirs_loads.empty()) << where;
      // (On 802.11 libpcap puts the offset in X, `ld [x + 0]`: nothing to compare the text with.)
      for (const std::string& l : theirs_loads.empty() ? std::set<std::string>{} : ours_loads)
        EXPECT_TRUE(theirs_loads.contains(l)) << where << ": our load '" << l << "' is not in libpcap's listing\n"
                                              << d.out;
      // The compiled Filter (JIT where it runs) agrees with the interpreter.
      auto filter = Filter::compile(expr, LinkType{t.dlt});
      ASSERT_TRUE(filter) << where << ": " << filter.error().what();
      ++compared;
      if (m == nullptr) continue;
      int bad = 0;
      std::string shown;
      for (std::size_t i = 0; i < m->packets.size(); i += kStride) {
        const auto& p = m->packets[i];
        const auto* bytes = reinterpret_cast<const unsigned char*>(p.data.data());
        const auto caplen = static_cast<unsigned>(p.data.size());
        const std::uint32_t ours_here = run_program(*ours, p.data, p.origlen);
        const std::uint32_t theirs_here = run_program(*theirs, p.data, p.origlen);
        BpfContext kernel;
        kernel.userspace = false;
        const std::uint32_t ours_kernel = run_program(*ours, p.data, p.origlen, kernel);
        const std::uint32_t theirs_kernel = run_program(*theirs, p.data, p.origlen, kernel);
        const unsigned ours_libpcap = oracle(ours->data(), bytes, p.origlen, caplen);
        const unsigned theirs_libpcap = oracle(theirs->data(), bytes, p.origlen, caplen);
        PacketView view;
        view.header.caplen = caplen;
        view.header.origlen = p.origlen;
        view.data = p.data;
        const std::uint32_t jit = filter->run(view);
        const std::uint32_t jit_kernel = filter->run(view, kernel);
        ++verdicts;
        kept += ours_here != 0;
        kept_userland += theirs_libpcap != 0;
        kept_kernel += theirs_kernel != 0;
        const bool same = ours_here == theirs_libpcap && theirs_here == theirs_libpcap &&
                          (ours_libpcap != 0) == (theirs_libpcap != 0) && jit == ours_here &&
                          (ours_kernel != 0) == (theirs_kernel != 0) && jit_kernel == ours_kernel;
        if (same) continue;
        if (bad++ < 3)
          shown += fmt::format("  {} ({} bytes): libpcap's program on libpcap's bpf_filter {}, ours on our interpreter "
                               "{}; ours on libpcap's bpf_filter {}, libpcap's on our interpreter {}; our Filter {}; "
                               "kernel meaning: ours {}, libpcap's {}, our Filter {}\n",
                               p.source, p.data.size(), theirs_libpcap, ours_here, ours_libpcap, theirs_here, jit,
                               ours_kernel, theirs_kernel, jit_kernel);
      }
      EXPECT_EQ(bad, 0) << where << ": " << bad << " packets differ\n"
                        << shown << "ours:\n"
                        << format_program(*ours, BpfListing::image) << "libpcap:\n"
                        << format_program(*theirs, BpfListing::image);
    }
  }
  fmt::print("{} filter/link-type pairs compiled by both, {} verdicts compared; kept: ours on our interpreter {}, "
             "libpcap's on libpcap's bpf_filter {}; libpcap's on our interpreter with the kernel's meaning {}\n",
             compared, verdicts, kept, kept_userland, kept_kernel);
  EXPECT_GE(compared, static_cast<int>(std::size(kHugeOffsetFilters)) * 4);
  EXPECT_GT(verdicts, 1000);
}

// Random programs with loads at negative offsets, indexed loads whose X + k passes 2^32, and
// ancillary loads: our interpreter and JIT with the default (userspace) context must give
// exactly what libpcap's userland bpf_filter gives, on real packets.
TEST(HugeOffsetsVsLibpcap, RandomProgramsWithNegativeAndWrappingLoads) {
  BpfFilterFn oracle = libpcap_bpf_filter();
  ASSERT_NE(oracle, nullptr) << "libpcap.so.0.8 (the oracle) not loadable: " << ::dlerror();
  std::vector<const test::StoredPacket*> packets;
  for (const auto& m : test::merged_captures())
    for (std::size_t i = 0; i < m.packets.size(); i += 97) packets.push_back(&m.packets[i]);
  ASSERT_GT(packets.size(), 200u);
  test::ProgramGenerator gen(4);
  int programs = 0, runs = 0, nonzero = 0, wrapped = 0, failures = 0;
  while (programs < 3000) {
    BpfProgram p = gen.random_program();
    // Kernel rules: no backward jumps and no scratch read before a store, where libpcap's
    // bpf_filter loops or reads its uninitialized memory. Then maybe an ABS load moves to an
    // offset the kernel does not know (libpcap's rules).
    if (p.size() > 64 || !validate_program(p)) continue;
    if (gen.chance(30))
      for (BpfInsn& in : p)
        if (bpf::insn_class(in.code) == bpf::kLd && bpf::insn_mode(in.code) == bpf::kAbs && gen.chance(50))
          in.k = 0xfffff000u + gen.below(0x1000);
    if (!validate_program(p, BpfRules::libpcap)) continue;
    bool huge = false;
    for (const BpfInsn& in : p) {
      const auto cls = bpf::insn_class(in.code), mode = bpf::insn_mode(in.code);
      if (cls <= bpf::kLdx && (mode == bpf::kAbs || mode == bpf::kMsh) && in.k >= 0x80000000u) huge = true;
      if (cls == bpf::kLd && mode == bpf::kInd) huge = true;
    }
    if (!huge) continue;
    ++programs;
    auto jit = BpfJitProgram::compile(p);
    ASSERT_TRUE(jit) << jit.error().what();
    for (std::size_t i = 0; i < 20; ++i) {
      const auto* pkt = packets[gen.below(static_cast<std::uint32_t>(packets.size()))];
      const auto caplen = static_cast<unsigned>(pkt->data.size());
      const std::uint32_t ours = run_program(p, pkt->data, pkt->origlen);
      const std::uint32_t jitted = jit->run(pkt->data, pkt->origlen);
      const unsigned theirs = oracle(p.data(), reinterpret_cast<const unsigned char*>(pkt->data.data()),
                                     pkt->origlen, caplen);
      BpfContext kernel;
      kernel.userspace = false;
      ++runs;
      nonzero += theirs != 0;
      // Where the kernel's meaning differs, the test exercised a negative or wrapping load.
      wrapped += run_program(p, pkt->data, pkt->origlen, kernel) != ours;
      if (ours == theirs && jitted == ours) continue;
      ADD_FAILURE() << "on " << pkt->source << " (" << caplen << " bytes): libpcap's bpf_filter " << theirs
                    << ", our interpreter " << ours << ", our JIT " << jitted << "\n"
                    << format_program(p, BpfListing::image);
      if (++failures >= 3) return;
    }
  }
  fmt::print("{} random programs, {} runs, {} kept by libpcap, {} where the kernel's meaning differs\n", programs,
             runs, nonzero, wrapped);
  EXPECT_GT(nonzero, runs / 50);
  EXPECT_GT(wrapped, runs / 100);
}

}  // namespace
}  // namespace pcapxx
