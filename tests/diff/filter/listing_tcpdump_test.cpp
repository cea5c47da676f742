// Our -d/-dd/-ddd listings must be byte-identical to tcpdump's, and libpcap's userland
// interpreter (loaded at run time in this test program only, as an oracle) must agree with ours
// on random valid programs over real packets.
#include <dlfcn.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "diff/filter/merged_captures.hpp"
#include "unit/filter/random_programs.hpp"

namespace pcapxx {
namespace {

// libpcap's ABI (pcap/bpf.h): struct bpf_insn has our layout.
using BpfImageFn = char* (*)(const BpfInsn*, int);
using BpfFilterFn = unsigned (*)(const BpfInsn*, const unsigned char*, unsigned, unsigned);

struct Libpcap {
  void* handle = ::dlopen("libpcap.so.0.8", RTLD_NOW | RTLD_LOCAL);
  BpfImageFn image = handle ? reinterpret_cast<BpfImageFn>(::dlsym(handle, "bpf_image")) : nullptr;
  BpfFilterFn filter = handle ? reinterpret_cast<BpfFilterFn>(::dlsym(handle, "bpf_filter")) : nullptr;
};

const Libpcap& libpcap() {
  static const Libpcap lib;
  return lib;
}

TEST(ListingVsTcpdump, DashD_DashDD_DashDDD_AreByteIdentical) {
  int compared = 0;
  for (std::string_view expr : test::kFilterCorpus) {
    for (std::string_view lt : {"EN10MB", "LINUX_SLL2", "RAW", "IEEE802_11_RADIO"}) {
      auto ddd = test::run({"tcpdump", "-ddd", "-y", std::string(lt), "--", std::string(expr)});
      if (ddd.status != 0) continue;
      auto program = parse_program_listing(ddd.out);
      ASSERT_TRUE(program) << program.error().what() << "\n" << ddd.out;
      EXPECT_EQ(format_program(*program, BpfListing::decimal), ddd.out) << expr;
      auto d = test::run({"tcpdump", "-d", "-y", std::string(lt), "--", std::string(expr)});
      EXPECT_EQ(format_program(*program, BpfListing::image), d.out) << expr << " on " << lt;
      auto dd = test::run({"tcpdump", "-dd", "-y", std::string(lt), "--", std::string(expr)});
      EXPECT_EQ(format_program(*program, BpfListing::c_array), dd.out) << expr << " on " << lt;
      auto parsed_dd = parse_program_listing(dd.out);
      ASSERT_TRUE(parsed_dd) << parsed_dd.error().what();
      EXPECT_EQ(*parsed_dd, *program) << "the -dd listing parses to another program: " << expr;
      ++compared;
    }
  }
  EXPECT_GT(compared, 300);
}

TEST(ListingVsLibpcap, EveryOpcodeFormatsAsBpfImage) {
  ASSERT_NE(libpcap().image, nullptr) << "libpcap.so.0.8 (the oracle) not loadable: " << ::dlerror();
  test::ProgramGenerator gen(7);
  int compared = 0;
  for (int round = 0; round < 200; ++round) {
    for (std::uint16_t code : test::kKnownCodes) {
      BpfInsn in{code, static_cast<std::uint8_t>(gen.below(256)), static_cast<std::uint8_t>(gen.below(256)),
                 gen.pick_k(code, 0, 300)};
      int pc = static_cast<int>(gen.below(1000));
      std::string theirs = libpcap().image(&in, pc);
      EXPECT_EQ(format_insn(in, static_cast<std::size_t>(pc)), theirs)
          << fmt::format("code 0x{:x} jt {} jf {} k 0x{:x} at {}", in.code, in.jt, in.jf, in.k, pc);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 200 * static_cast<int>(test::kKnownCodes.size()));
}

// Random programs the kernel would accept, without ancillary or negative offsets (libpcap's
// userland interpreter treats those as out of bounds), on real packets.
TEST(InterpreterVsLibpcap, RandomValidProgramsGiveTheSameResult) {
  ASSERT_NE(libpcap().filter, nullptr) << "libpcap.so.0.8 (the oracle) not loadable: " << ::dlerror();
  const auto& merged = test::merged_captures();
  std::vector<const test::StoredPacket*> packets;
  for (const auto& m : merged)
    for (std::size_t i = 0; i < m.packets.size(); i += 97) packets.push_back(&m.packets[i]);
  ASSERT_GT(packets.size(), 200u);
  test::ProgramGenerator gen(99);
  int programs = 0, runs = 0, nonzero = 0;
  while (programs < 5000) {
    BpfProgram p = gen.random_program();
    if (p.size() > 64 || !validate_program(p)) continue;
    bool negative = false;
    for (const BpfInsn& in : p) {
      auto mode = bpf::insn_mode(in.code);
      bool loads = bpf::insn_class(in.code) <= bpf::kLdx && (mode == bpf::kAbs || mode == bpf::kInd || mode == bpf::kMsh);
      if (loads && in.k >= 0x80000000u) negative = true;
    }
    if (negative) continue;
    ++programs;
    for (std::size_t i = 0; i < 40; ++i) {
      const auto* pkt = packets[gen.below(static_cast<std::uint32_t>(packets.size()))];
      auto ours = run_program(p, pkt->data, pkt->origlen);
      auto theirs = libpcap().filter(p.data(), reinterpret_cast<const unsigned char*>(pkt->data.data()), pkt->origlen,
                                     static_cast<unsigned>(pkt->data.size()));
      ++runs;
      nonzero += ours != 0;
      if (ours != theirs) {
        ADD_FAILURE() << "on " << pkt->source << ": ours " << ours << ", libpcap " << theirs << "\n"
                      << format_program(p, BpfListing::image);
        return;
      }
    }
  }
  EXPECT_GT(nonzero, runs / 20);
  fmt::print("{} random programs, {} runs, {} nonzero\n", programs, runs, nonzero);
}

}  // namespace
}  // namespace pcapxx
