// Large host/net/port disjunctions compile to balanced search trees: a 1,000-term disjunction
// fits the kernel's 4,096-instruction limit and no packet runs more than a few dozen
// instructions. (Timings are printed by bench/filter_compile, never asserted.)
#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pcapxx/filter.hpp"

namespace pcapxx {
namespace {

// The most instructions any packet can run: the longest path of the forward-only program.
std::size_t longest_path(const BpfProgram& p) {
  std::vector<std::size_t> len(p.size() + 1, 0);
  for (std::size_t i = p.size(); i-- > 0;) {
    const BpfInsn& in = p[i];
    std::size_t next = 0;
    if (bpf::insn_class(in.code) == bpf::kRet) {
      next = 0;
    } else if (bpf::insn_class(in.code) == bpf::kJmp) {
      if (bpf::insn_op(in.code) == bpf::kJa) next = len[i + 1 + in.k];
      else next = std::max(len[i + 1 + in.jt], len[i + 1 + in.jf]);
    } else {
      next = len[i + 1];
    }
    len[i] = 1 + next;
  }
  return len[0];
}

std::string disjunction(std::string_view kind, std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::string e;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) e += " or ";
    if (kind == "host") e += fmt::format("host 10.{}.{}.{}", rng() % 256, rng() % 256, rng() % 256);
    else if (kind == "net") e += fmt::format("net 172.{}.{}.0/24", 16 + rng() % 16, rng() % 256);
    else e += fmt::format("port {}", 1 + rng() % 65535);
  }
  return e;
}

TEST(Disjunction, ThousandTermsFitTheKernelLimitAsBalancedTrees) {
  for (std::string_view kind : {"host", "net", "port"}) {
    std::string expr = disjunction(kind, 1000, 7);
    auto p = compile_filter(expr, dlt::kEn10Mb, 262144, 0, true);
    ASSERT_TRUE(p) << kind << ": " << p.error().what();
    EXPECT_TRUE(validate_program(*p)) << kind;
    EXPECT_LE(p->size(), bpf::kMaxInsns) << kind;
    // A chain would run thousands; a tree over 1,000 values about 2 * (log2(1000/8) + 8) per field.
    std::size_t path = longest_path(*p);
    EXPECT_LT(path, 120u) << kind << ": longest path " << path;
    fmt::print("1000 '{}' terms: {} instructions, longest path {}\n", kind, p->size(), path);
  }
}

TEST(Disjunction, TreeGivesTheSameVerdictsAsTheTermByTermProgram) {
  // The same 40 hosts as one run (one tree) and split into runs of two by terms that never
  // match, on synthetic IPv4 frames whose source or destination is one of them or not.
  std::mt19937 rng(11);
  std::vector<std::uint32_t> addrs;
  std::string tree, chain;
  for (int i = 0; i < 40; ++i) {
    std::uint32_t a = 0x0a000000u | (rng() & 0xffffff);
    addrs.push_back(a);
    std::string text = fmt::format("{}.{}.{}.{}", a >> 24, a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff);
    tree += fmt::format("{}host {}", i ? " or " : "", text);
    chain += fmt::format("{}{}", i ? " or " : "", i % 2 ? fmt::format("host {}", text) : fmt::format("(host {})", text));
    if (i % 2 == 0) chain += " or ip[0] = 0x100";  // never true; splits the hosts into runs of two
  }
  auto t = compile_filter(tree, dlt::kEn10Mb, 262144, 0, true);
  auto c = compile_filter(chain, dlt::kEn10Mb, 262144, 0, true);
  ASSERT_TRUE(t && c);
  EXPECT_LT(longest_path(*t), longest_path(*c));
  std::array<std::byte, 34> frame{};
  frame[12] = std::byte{0x08};
  frame[14] = std::byte{0x45};
  int kept = 0;
  for (int i = 0; i < 400; ++i) {
    std::uint32_t src = i % 5 == 0 ? addrs[rng() % addrs.size()] : 0x0a000000u | (rng() & 0xffffff);
    std::uint32_t dst = i % 7 == 0 ? addrs[rng() % addrs.size()] : 0x0b000000u | (rng() & 0xffffff);
    for (int b = 0; b < 4; ++b) {
      frame[26 + b] = static_cast<std::byte>(src >> (24 - 8 * b));
      frame[30 + b] = static_cast<std::byte>(dst >> (24 - 8 * b));
    }
    std::uint32_t a = run_program(*t, frame, 34), b = run_program(*c, frame, 34);
    ASSERT_EQ(a, b) << fmt::format("src {:08x} dst {:08x}", src, dst);
    kept += a != 0;
  }
  EXPECT_GT(kept, 100);
  EXPECT_LT(kept, 300);
}

}  // namespace
}  // namespace pcapxx
