// The JIT's shortcuts against known answers and the interpreter: a load compared with a
// constant in packet byte order (alone, and as a chain of EtherType-style tests), indirect
// loads behind ldxb 4*([k]&0xf), the fast copy that runs after one check of the captured length
// and the checked copy that short packets fall back to, and libpcap-shaped random programs.
#include <array>
#include <random>

#include <gtest/gtest.h>

#include "unit/jit/jit_test_util.hpp"

namespace pcapxx {
namespace {

using namespace bpf;
using test::both;

std::uint32_t u8(std::span<const std::byte> f, std::size_t o) { return std::to_integer<std::uint32_t>(f[o]); }
std::uint32_t be16(std::span<const std::byte> f, std::size_t o) { return u8(f, o) << 8 | u8(f, o + 1); }
std::uint32_t be32(std::span<const std::byte> f, std::size_t o) { return be16(f, o) << 16 | be16(f, o + 2); }

const std::vector<test::JitPacket>& ethernet() {
  static const std::vector<test::JitPacket> none;
  const auto& shared = test::shared_packets_by_link();
  auto it = shared.find(dlt::kEn10Mb.dlt);
  return it == shared.end() ? none : it->second;
}

// The first Ethernet frame of the shared captures with this EtherType (IPv4: TCP, no options),
// at least 80 bytes (ARP: 42).
std::vector<std::byte> frame_of_type(std::uint32_t ethertype) {
  for (const auto& p : ethernet())
    if (p.data.size() >= (ethertype == 0x0806 ? 42u : 80u) && be16(p.data, 12) == ethertype &&
        (ethertype != 0x0800 || (u8(p.data, 14) == 0x45 && u8(p.data, 23) == 6)))
      return p.data;
  ADD_FAILURE() << "no Ethernet frame of type " << ethertype << " in the shared captures";
  return std::vector<std::byte>(80);
}

std::span<const std::byte> first(const std::vector<std::byte>& f, std::size_t n) { return std::span(f).first(n); }
std::uint32_t len(std::span<const std::byte> f) { return static_cast<std::uint32_t>(f.size()); }

TEST(JitFastPath, LoadComparedInPacketByteOrder) {
  for (std::uint32_t type : {0x0800u, 0x86ddu, 0x0806u}) {
    auto f = frame_of_type(type);
    SCOPED_TRACE(type);
    auto n = len(f);
    auto jeq = [](std::uint16_t ld, std::uint32_t off, std::uint32_t k) {
      return BpfProgram{stmt(ld, off), jump(kJmp | kJeq | kK, k, 0, 1), stmt(kRet | kK, 1), stmt(kRet | kK, 2)};
    };
    auto jset = [](std::uint16_t ld, std::uint32_t off, std::uint32_t k) {
      return BpfProgram{stmt(ld, off), jump(kJmp | kJset | kK, k, 0, 1), stmt(kRet | kK, 1), stmt(kRet | kK, 2)};
    };
    const std::uint16_t h = kLd | kH | kAbs, w = kLd | kW | kAbs, b8 = kLd | kB | kAbs;
    EXPECT_EQ(both(jeq(h, 12, type), f, n), 1u);
    EXPECT_EQ(both(jeq(h, 12, type ^ 0x0100), f, n), 2u);
    EXPECT_EQ(both(jeq(h, 12, type | 0x10000), f, n), 2u);  // wider than the load: never equal
    EXPECT_EQ(both(jset(h, 12, 0x0100), f, n), (type & 0x0100) != 0 ? 1u : 2u);
    EXPECT_EQ(both(jset(h, 12, 0x0001), f, n), (type & 0x0001) != 0 ? 1u : 2u);
    EXPECT_EQ(both(jset(h, 12, 0xffff0000), f, n), 2u);
    EXPECT_EQ(both(jeq(w, 26, be32(f, 26)), f, n), 1u);
    EXPECT_EQ(both(jeq(w, 26, be32(f, 26) ^ 0x80000000), f, n), 2u);
    EXPECT_EQ(both(jeq(w, 26, be32(f, 26) ^ 0x1), f, n), 2u);
    EXPECT_EQ(both(jset(w, 26, be32(f, 26) & 0xff000000), f, n), (be32(f, 26) & 0xff000000) != 0 ? 1u : 2u);
    EXPECT_EQ(both(jeq(b8, 23, u8(f, 23)), f, n), 1u);
    EXPECT_EQ(both(jeq(b8, 23, u8(f, 23) | 0x100), f, n), 2u);
    EXPECT_EQ(both(jset(b8, 23, 0x100), f, n), 2u);
    // A failed load returns 0 from the program, never the false branch's 2.
    EXPECT_EQ(both(jeq(h, 12, type ^ 1), first(f, 13), 13), 0u);
    EXPECT_EQ(both(jeq(h, 12, type | 0x10000), first(f, 13), 13), 0u);
    EXPECT_EQ(both(jset(w, 26, 0), first(f, 29), 29), 0u);
    EXPECT_EQ(both(jeq(b8, 23, 0x100), first(f, 23), 23), 0u);
    // When a branch reads A, A holds the value in host order.
    EXPECT_EQ(both({stmt(h, 12), jump(kJmp | kJeq | kK, type, 0, 1), stmt(kRet | kA, 0), stmt(kRet | kK, 2)}, f, n),
              type);
    EXPECT_EQ(both({stmt(h, 12), jump(kJmp | kJeq | kK, 0x1234, 1, 0), stmt(kRet | kA, 0), stmt(kRet | kK, 2)}, f, n),
              type);
    // A comparison that is also a jump target compares whatever A each path brings.
    BpfProgram target = {stmt(kLd | kB | kAbs, 14), jump(kJmp | kJeq | kK, 0x45, 1, 0), stmt(h, 12),
                         jump(kJmp | kJeq | kK, 0x45, 0, 1), stmt(kRet | kK, 1), stmt(kRet | kK, 2)};
    EXPECT_EQ(both(target, f, n), u8(f, 14) == 0x45 ? 1u : 2u);
  }
}

TEST(JitFastPath, ChainsOfComparisonsOnOneLoad) {
  // EtherType dispatch as libpcap writes it: each jf continues the chain.
  BpfProgram chain = {stmt(kLd | kH | kAbs, 12),       jump(kJmp | kJeq | kK, 0x86dd, 0, 1),
                      stmt(kRet | kK, 6),              jump(kJmp | kJeq | kK, 0x0800, 0, 1),
                      stmt(kRet | kK, 4),              jump(kJmp | kJset | kK, 0x0006, 0, 1),
                      stmt(kRet | kK, 8),              stmt(kRet | kK, 9)};
  BpfProgram ends_reading_a = chain;
  ends_reading_a.back() = stmt(kRet | kA, 0);
  BpfProgram by_word = {stmt(kLd | kW | kAbs, 12), jump(kJmp | kJeq | kK, 0x86dd6000, 0, 1), stmt(kRet | kK, 6),
                        jump(kJmp | kJset | kK, 0x08000000, 0, 1), stmt(kRet | kK, 4), stmt(kRet | kK, 9)};
  for (std::uint32_t type : {0x0800u, 0x86ddu, 0x0806u}) {
    auto f = frame_of_type(type);
    SCOPED_TRACE(type);
    auto n = len(f);
    const std::uint32_t want = type == 0x86dd ? 6 : type == 0x0800 ? 4 : 8;
    EXPECT_EQ(both(chain, f, n), want);
    EXPECT_EQ(both(chain, first(f, 13), 13), 0u);
    EXPECT_EQ(both(ends_reading_a, f, n), want);
    const std::uint32_t w = be32(f, 12);
    EXPECT_EQ(both(by_word, f, n), (w & 0xfffff000) == 0x86dd6000 ? 6u : (w & 0x08000000) != 0 ? 4u : 9u);
  }
  // Where the chain's last test falls through to "ret a", A is still the loaded value.
  std::vector<std::byte> other = frame_of_type(0x0806);
  BpfProgram to_ret_a = {stmt(kLd | kH | kAbs, 12), jump(kJmp | kJeq | kK, 0x86dd, 0, 1), stmt(kRet | kK, 6),
                         jump(kJmp | kJeq | kK, 0x0800, 0, 1), stmt(kRet | kK, 4), stmt(kRet | kA, 0)};
  EXPECT_EQ(both(to_ret_a, other, len(other)), 0x0806u);
}

TEST(JitFastPath, IndirectLoadsAfterTheIpHeaderLength) {
  auto f = frame_of_type(0x0800);
  const std::uint32_t ihl = (u8(f, 14) & 0xf) * 4;
  const std::uint32_t sport = be16(f, 14 + ihl);
  // sport matches: accepted on the first indirect load, the farther one is never reached.
  auto program = [](std::uint32_t k) {
    return BpfProgram{stmt(kLdx | kB | kMsh, 14), stmt(kLd | kH | kInd, 14), jump(kJmp | kJeq | kK, k, 0, 1),
                      stmt(kRet | kK, 1), stmt(kLd | kW | kInd, 40), stmt(kRet | kA, 0)};
  };
  const std::size_t just = 14 + ihl + 2;  // the first load fits, the second does not
  EXPECT_EQ(both(program(sport), f, len(f)), 1u);
  EXPECT_EQ(both(program(sport), first(f, just), static_cast<std::uint32_t>(just)), 1u);
  EXPECT_EQ(both(program(sport), first(f, just - 1), static_cast<std::uint32_t>(just - 1)), 0u);
  EXPECT_EQ(both(program(sport ^ 1), first(f, just), static_cast<std::uint32_t>(just)), 0u);
  if (f.size() >= ihl + 44) {  // ld [x + 40]: X + 40, after the IP header's length
    EXPECT_EQ(both(program(sport ^ 1), f, len(f)), be32(f, ihl + 40));
  }
  // tcp[13] & 0x10, then neither port 22: one check of X + 28 covers all three loads.
  BpfProgram ack_not_22 = {stmt(kLdx | kB | kMsh, 14),         stmt(kLd | kB | kInd, 27),
                           jump(kJmp | kJset | kK, 0x10, 0, 4), stmt(kLd | kH | kInd, 14),
                           jump(kJmp | kJeq | kK, 22, 2, 0),    stmt(kLd | kH | kInd, 16),
                           jump(kJmp | kJeq | kK, 22, 0, 1),    stmt(kRet | kK, 0),
                           stmt(kRet | kK, 0x40000)};
  const bool ack = (u8(f, 14 + ihl + 13) & 0x10) != 0;
  const bool port22 = sport == 22 || be16(f, 14 + ihl + 2) == 22;
  const std::uint32_t want = ack && !port22 ? 0x40000 : 0;
  EXPECT_EQ(both(ack_not_22, f, len(f)), want);
  for (std::size_t cut = 14 + ihl; cut <= 14 + ihl + 28; ++cut)
    EXPECT_EQ(both(ack_not_22, first(f, cut), static_cast<std::uint32_t>(cut)), cut >= 14 + ihl + 14 ? want : 0u)
        << cut;
}

TEST(JitFastPath, ShortPacketsRunTheCheckedCopy) {
  // The farthest constant load (bytes 60..63) is on the path this frame does not take.
  for (std::uint32_t type : {0x0800u, 0x86ddu}) {
    auto f = frame_of_type(type);
    BpfProgram p = {stmt(kLd | kH | kAbs, 12), jump(kJmp | kJeq | kK, 0x1234, 0, 2), stmt(kLd | kW | kAbs, 60),
                    stmt(kRet | kA, 0),         stmt(kLd | kB | kAbs, 20),             stmt(kRet | kA, 0)};
    for (std::size_t cut : {std::size_t{13}, std::size_t{14}, std::size_t{20}, std::size_t{21}, std::size_t{40},
                            std::size_t{63}, std::size_t{64}, f.size()}) {
      SCOPED_TRACE(cut);
      EXPECT_EQ(both(p, first(f, cut), static_cast<std::uint32_t>(cut)), cut >= 21 ? u8(f, 20) : 0u);
    }
  }
}

// Programs shaped like libpcap's: loads at small constant offsets or behind ldxb 4*([14]&0xf),
// each followed by one to three jeq/jset against bytes the packets really hold, jumping forward
// to the next test or to a return. JIT and interpreter verdicts must agree on captured frames
// and on their truncations.
TEST(JitFastPath, ShapedRandomProgramsMatchTheInterpreter) {
  std::mt19937 rng(20261124);
  auto below = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  std::vector<const test::JitPacket*> sample;
  const auto& eth = ethernet();
  for (std::size_t i = 0; i < eth.size(); i += std::max<std::size_t>(1, eth.size() / 150)) sample.push_back(&eth[i]);
  ASSERT_GE(sample.size(), 100u);
  std::size_t accepted = 0, rejected = 0, runs = 0, failures = 0;
  for (int n = 0; n < 1500 && failures < 5; ++n) {
    BpfProgram p;
    const test::JitPacket& model = *sample[below(static_cast<std::uint32_t>(sample.size()))];
    const std::size_t blocks = 2 + below(6);
    std::vector<std::size_t> jumps_to_fix;  // jumps whose targets are set once the returns exist
    for (std::size_t blk = 0; blk < blocks; ++blk) {
      if (below(3) == 0) p.push_back(below(4) == 0 ? stmt(kLdx | kImm, below(40)) : stmt(kLdx | kB | kMsh, 14));
      const std::uint16_t size = std::array<std::uint16_t, 3>{kB, kH, kW}[below(3)];
      const bool ind = below(3) == 0;
      const std::uint32_t off = ind ? below(48) : below(90);
      p.push_back(stmt(kLd | size | (ind ? kInd : kAbs), off));
      const std::uint32_t width = size == kW ? 4 : size == kH ? 2 : 1;
      std::uint32_t real = 0;  // the model frame's value at off (a guess for indirect loads)
      for (std::uint32_t i = 0; i < width && off + i < model.data.size(); ++i) real = real << 8 | u8(model.data, off + i);
      for (std::uint32_t c = 0, chain = 1 + below(3); c < chain; ++c) {
        std::uint32_t k = below(4) == 0 ? below(0x10000) : below(4) == 0 ? real ^ (1u << below(32)) : real;
        if (below(8) == 0) k |= 0x10000;
        const std::uint16_t op = below(4) == 0 ? kJset : kJeq;
        p.push_back(jump(kJmp | op | kK, k, 0, 0));
        jumps_to_fix.push_back(p.size() - 1);
      }
    }
    const std::size_t rets = p.size();
    p.push_back(stmt(kRet | kK, 0));
    p.push_back(stmt(kRet | kK, 0x40000));
    p.push_back(stmt(kRet | kA, 0));
    for (std::size_t j : jumps_to_fix) {
      // Each outcome goes to the next instruction, a later chain member, or a return.
      auto pick = [&]() -> std::uint8_t {
        std::size_t to = below(3) == 0 ? rets + below(3) : j + 1 + below(static_cast<std::uint32_t>(rets + 3 - j - 1));
        return static_cast<std::uint8_t>(std::min<std::size_t>(to - j - 1, 255));
      };
      p[j].jt = pick();
      p[j].jf = pick();
    }
    if (!validate_program(p, BpfRules::libpcap)) continue;
    auto jit = BpfJitProgram::compile(p);
    ASSERT_TRUE(jit) << jit.error().what();
    for (const test::JitPacket* pkt : sample) {
      for (std::size_t cut : {pkt->data.size(), std::size_t{below(70)}}) {
        cut = std::min(cut, pkt->data.size());
        auto data = std::span(pkt->data).first(cut);
        if (!test::same_verdict(p, *jit, data, pkt->origlen, {}, pkt->source)) ++failures;
        const std::uint32_t v = jit->run(data, pkt->origlen);
        (v != 0 ? accepted : rejected) += 1;
        ++runs;
      }
    }
  }
  EXPECT_EQ(failures, 0u);
  // The programs take both outcomes often: the comparisons use the frames' own bytes.
  EXPECT_GE(accepted, runs / 20);
  EXPECT_GE(rejected, runs / 20);
}

}  // namespace
}  // namespace pcapxx
