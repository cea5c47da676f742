// The JIT's semantics on hand-made programs with known answers (the interpreter must give the
// same), the W^X property of the code mapping, moves, and BpfRunner's choice of engine,
// including the fallback when the kernel refuses executable memory (seccomp, as systemd's
// MemoryDenyWriteExecute does).
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "unit/jit/jit_test_util.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

using test::both;

std::vector<std::byte> frame() {
  const auto& shared = test::shared_packets_by_link();
  auto it = shared.find(dlt::kEn10Mb.dlt);
  EXPECT_TRUE(it != shared.end() && !it->second.empty());
  if (it == shared.end() || it->second.empty()) return std::vector<std::byte>(60);
  return it->second.front().data;
}

std::uint32_t u8(std::span<const std::byte> f, std::size_t o) { return std::to_integer<std::uint32_t>(f[o]); }

TEST(JitSemantics, LoadsAreBigEndianAndBoundedByTheCapturedBytes) {
  auto f = frame();
  ASSERT_GE(f.size(), 40u);
  auto n = static_cast<std::uint32_t>(f.size());
  std::uint32_t be32_26 = u8(f, 26) << 24 | u8(f, 27) << 16 | u8(f, 28) << 8 | u8(f, 29);
  EXPECT_EQ(both({stmt(kLd | kW | kAbs, 26), stmt(kRet | kA, 0)}, f, n), be32_26);
  EXPECT_EQ(both({stmt(kLd | kH | kAbs, 12), stmt(kRet | kA, 0)}, f, n), u8(f, 12) << 8 | u8(f, 13));
  // The last byte, half-word and word load; one byte further they return 0 from the program.
  EXPECT_EQ(both({stmt(kLd | kB | kAbs, n - 1), stmt(kAlu | kOr | kK, 0x100), stmt(kRet | kA, 0)}, f, n),
            0x100 | u8(f, n - 1));
  EXPECT_EQ(both({stmt(kLd | kH | kAbs, n - 2), stmt(kAlu | kOr | kK, 0x10000), stmt(kRet | kA, 0)}, f, n),
            0x10000 | u8(f, n - 2) << 8 | u8(f, n - 1));
  EXPECT_EQ(both({stmt(kLd | kH | kAbs, n - 1), stmt(kRet | kK, 7)}, f, n), 0u);
  EXPECT_EQ(both({stmt(kLd | kW | kAbs, n - 3), stmt(kRet | kK, 7)}, f, n), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, n - 4), stmt(kLd | kW | kInd, 0), stmt(kRet | kK, 7)}, f, n), 7u);
  EXPECT_EQ(both({stmt(kLdx | kImm, n - 3), stmt(kLd | kW | kInd, 0), stmt(kRet | kK, 7)}, f, n), 0u);
  EXPECT_EQ(both({stmt(kLdx | kB | kMsh, 14), stmt(kMisc | kTxa, 0), stmt(kRet | kA, 0)}, f, n),
            (u8(f, 14) & 0xf) * 4);
  EXPECT_EQ(both({stmt(kLdx | kB | kMsh, n), stmt(kRet | kK, 7)}, f, n), 0u);
  // BPF_LEN is the length on the wire.
  EXPECT_EQ(both({stmt(kLd | kW | kLen, 0), stmt(kRet | kA, 0)}, f, 9000), 9000u);
  EXPECT_EQ(both({stmt(kLdx | kW | kLen, 0), stmt(kMisc | kTxa, 0), stmt(kRet | kA, 0)}, f, 70000), 70000u);
}

TEST(JitSemantics, EmptyAndOneBytePackets) {
  std::vector<std::byte> none;
  std::vector<std::byte> one{std::byte{0xab}};
  EXPECT_EQ(both({stmt(kRet | kK, 5)}, none, 0), 5u);
  EXPECT_EQ(both({stmt(kLd | kB | kAbs, 0), stmt(kRet | kK, 5)}, none, 0), 0u);
  EXPECT_EQ(both({stmt(kLd | kW | kLen, 0), stmt(kRet | kA, 0)}, none, 1500), 1500u);
  EXPECT_EQ(both({stmt(kLd | kB | kAbs, 0), stmt(kRet | kA, 0)}, one, 1), 0xabu);
  EXPECT_EQ(both({stmt(kLd | kH | kAbs, 0), stmt(kRet | kK, 5)}, one, 1), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, 0), stmt(kLd | kB | kInd, 0), stmt(kRet | kA, 0)}, one, 1), 0xabu);
}

TEST(JitSemantics, OffsetsNearTwoToThe31And32) {
  auto f = frame();
  auto n = static_cast<std::uint32_t>(f.size());
  for (std::uint32_t k : {0x7ffffffcu, 0x7fffffffu, 0x80000000u, 0xfffffffcu, 0xffffffffu}) {
    if (k < kAdOff) {  // above, absolute loads are ancillary
      EXPECT_EQ(both({stmt(kLd | kB | kAbs, k), stmt(kRet | kK, 1)}, f, n), 0u) << k;
      EXPECT_EQ(both({stmt(kLd | kW | kAbs, k), stmt(kRet | kK, 1)}, f, n), 0u) << k;
    }
    EXPECT_EQ(both({stmt(kLdx | kB | kMsh, k), stmt(kRet | kK, 1)}, f, n), 0u) << k;
    EXPECT_EQ(both({stmt(kLdx | kImm, k), stmt(kLd | kH | kInd, 0), stmt(kRet | kK, 1)}, f, n), 0u) << k;
  }
  // For the kernel X + k wraps modulo 2^32: X = 2^32 - 1 and k = 13 load byte 12; for libpcap's
  // userland (the default) it does not, and the load is out of bounds. Also with k >= 2^31.
  const BpfProgram wrap = {stmt(kLdx | kImm, 0xffffffff), stmt(kLd | kB | kInd, 13), stmt(kRet | kA, 0)};
  EXPECT_EQ(both(wrap, f, n, test::kernel_meaning()), u8(f, 12));
  EXPECT_EQ(both(wrap, f, n), 0u);
  const BpfProgram wrap_k = {stmt(kLdx | kImm, 20), stmt(kLd | kH | kInd, 0xfffffff8), stmt(kRet | kA, 0)};
  EXPECT_EQ(both(wrap_k, f, n, test::kernel_meaning()), u8(f, 12) << 8 | u8(f, 13));
  EXPECT_EQ(both(wrap_k, f, n), 0u);
  // An X whose sum with k has bit 31 clear after wrapping but is beyond 2^32 in 64 bits.
  const BpfProgram wrap_big = {stmt(kLdx | kImm, 0x80000000), stmt(kLd | kW | kInd, 0x80000010), stmt(kRet | kA, 0)};
  EXPECT_EQ(both(wrap_big, f, n, test::kernel_meaning()),
            u8(f, 16) << 24 | u8(f, 17) << 16 | u8(f, 18) << 8 | u8(f, 19));
  EXPECT_EQ(both(wrap_big, f, n), 0u);
  const BpfProgram wrap_small_k = {stmt(kLdx | kImm, 0xfffffff0), stmt(kLd | kB | kInd, 0x1c), stmt(kRet | kA, 0)};
  EXPECT_EQ(both(wrap_small_k, f, n, test::kernel_meaning()), u8(f, 12));
  EXPECT_EQ(both(wrap_small_k, f, n), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, 0x80000000), stmt(kLd | kB | kInd, 0x7fffffff), stmt(kRet | kK, 1)}, f, n), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, 0x7fffffff), stmt(kLd | kH | kInd, 0), stmt(kRet | kK, 1)}, f, n), 0u);
}

TEST(JitSemantics, NetworkAndLinkLayerOffsets) {
  auto f = frame();
  auto n = static_cast<std::uint32_t>(f.size());
  BpfContext ctx = test::kernel_meaning();
  ctx.net_offset = 14;
  // SKF_NET_OFF + 9: the IPv4 protocol byte; SKF_LL_OFF + 12: the ethertype.
  EXPECT_EQ(both({stmt(kLd | kB | kAbs, kNetOff + 9), stmt(kRet | kA, 0)}, f, n, ctx), u8(f, 23));
  EXPECT_EQ(both({stmt(kLd | kH | kAbs, kLlOff + 12), stmt(kRet | kA, 0)}, f, n, ctx), u8(f, 12) << 8 | u8(f, 13));
  EXPECT_EQ(both({stmt(kLdx | kImm, 9), stmt(kLd | kB | kInd, kNetOff), stmt(kRet | kA, 0)}, f, n, ctx), u8(f, 23));
  EXPECT_EQ(both({stmt(kLdx | kImm, kLlOff), stmt(kLd | kB | kInd, 12), stmt(kRet | kA, 0)}, f, n, ctx), u8(f, 12));
  EXPECT_EQ(both({stmt(kLdx | kB | kMsh, kNetOff), stmt(kMisc | kTxa, 0), stmt(kRet | kA, 0)}, f, n, ctx),
            (u8(f, 14) & 0xf) * 4);
  // Without a network header offset SKF_NET_OFF loads fail; below SKF_LL_OFF every load fails.
  EXPECT_EQ(both({stmt(kLd | kB | kAbs, kNetOff + 9), stmt(kRet | kK, 1)}, f, n), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, kNetOff), stmt(kLd | kB | kInd, 0), stmt(kRet | kK, 1)}, f, n), 0u);
  EXPECT_EQ(both({stmt(kLd | kB | kAbs, kLlOff - 1), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, kLlOff - 1), stmt(kLd | kB | kInd, 0), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
  ctx.net_offset = 0xfffffffe;
  EXPECT_EQ(both({stmt(kLd | kB | kAbs, kNetOff + 2), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
  // libpcap's userland meaning: every load at a negative offset is out of bounds.
  ctx.userspace = true;
  ctx.net_offset = 14;
  EXPECT_EQ(both({stmt(kLd | kB | kAbs, kNetOff + 9), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
  EXPECT_EQ(both({stmt(kLd | kH | kAbs, kLlOff + 12), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, 9), stmt(kLd | kB | kInd, kNetOff), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, kLlOff), stmt(kLd | kB | kInd, 12), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
  EXPECT_EQ(both({stmt(kLdx | kB | kMsh, kNetOff), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
  EXPECT_EQ(both({stmt(kLdx | kB | kMsh, kLlOff + 14), stmt(kRet | kK, 1)}, f, n, ctx), 0u);
}

TEST(JitSemantics, DivisionAndShifts) {
  std::vector<std::byte> none;
  // Division or modulo by X == 0 returns 0 from the program, whatever a later return says.
  EXPECT_EQ(both({stmt(kLd | kImm, 10), stmt(kLdx | kImm, 0), stmt(kAlu | kDiv | kX, 0), stmt(kRet | kK, 9)}, none, 0), 0u);
  EXPECT_EQ(both({stmt(kLd | kImm, 10), stmt(kLdx | kImm, 0), stmt(kAlu | kMod | kX, 0), stmt(kRet | kK, 9)}, none, 0), 0u);
  EXPECT_EQ(both({stmt(kLd | kImm, 100), stmt(kLdx | kImm, 7), stmt(kAlu | kDiv | kX, 0), stmt(kRet | kA, 0)}, none, 0), 14u);
  EXPECT_EQ(both({stmt(kLd | kImm, 100), stmt(kLdx | kImm, 7), stmt(kAlu | kMod | kX, 0), stmt(kRet | kA, 0)}, none, 0), 2u);
  EXPECT_EQ(both({stmt(kLd | kImm, 0xffffffff), stmt(kAlu | kDiv | kK, 3), stmt(kRet | kA, 0)}, none, 0), 0x55555555u);
  EXPECT_EQ(both({stmt(kLd | kImm, 0xffffffff), stmt(kAlu | kMod | kK, 16), stmt(kRet | kA, 0)}, none, 0), 15u);
  EXPECT_EQ(both({stmt(kLd | kImm, 0xffffffff), stmt(kAlu | kDiv | kK, 16), stmt(kRet | kA, 0)}, none, 0), 0x0fffffffu);
  EXPECT_EQ(both({stmt(kLd | kImm, 0x10001), stmt(kAlu | kMul | kK, 0xffff), stmt(kRet | kA, 0)}, none, 0), 0xffffffffu);
  // Shifts by X of 32 or more give 0; by 31 they shift.
  for (std::uint32_t x : {31u, 32u, 33u, 0xffffffffu}) {
    std::uint32_t want = x < 32 ? 0x80000000u : 0u;
    EXPECT_EQ(both({stmt(kLd | kImm, 1), stmt(kLdx | kImm, x), stmt(kAlu | kLsh | kX, 0), stmt(kAlu | kOr | kK, 0), stmt(kRet | kA, 0)}, none, 0), want) << x;
    EXPECT_EQ(both({stmt(kLd | kImm, 0x80000000), stmt(kLdx | kImm, x), stmt(kAlu | kRsh | kX, 0), stmt(kRet | kA, 0)}, none, 0), x < 32 ? 1u : 0u) << x;
  }
  EXPECT_EQ(both({stmt(kLd | kImm, 5), stmt(kAlu | kNeg, 0), stmt(kRet | kA, 0)}, none, 0), 0u - 5u);
}

TEST(JitSemantics, AncillaryLoadsReadTheContext) {
  std::vector<std::byte> pkt(20);
  BpfContext ctx = test::kernel_meaning();
  ctx.protocol = 0x86dd;
  ctx.pkttype = 4;
  ctx.ifindex = 7;
  ctx.mark = 0xdeadbeef;
  ctx.queue = 3;
  ctx.hatype = 772;
  ctx.rxhash = 0x12345678;
  ctx.cpu = 5;
  ctx.vlan_tci = 0x2064;
  ctx.vlan_present = true;
  ctx.vlan_tpid = 0x88a8;
  ctx.pay_offset = 54;
  ctx.random = 0xabcdef01;
  const std::pair<std::uint32_t, std::uint32_t> cases[] = {
      {kAdProtocol, 0x86dd}, {kAdPktType, 4},      {kAdIfIndex, 7},     {kAdMark, 0xdeadbeef},
      {kAdQueue, 3},         {kAdHaType, 772},     {kAdRxHash, 0x12345678}, {kAdCpu, 5},
      {kAdVlanTag, 0x2064},  {kAdVlanTagPresent, 1}, {kAdPayOffset, 54}, {kAdRandom, 0xabcdef01},
      {kAdVlanTpid, 0x88a8}};
  for (auto [off, want] : cases) {
    for (std::uint16_t size : {kW, kH, kB})
      EXPECT_EQ(both({stmt(kLd | size | kAbs, kAdOff + off), stmt(kRet | kA, 0)}, pkt, 20, ctx), want) << off;
  }
  EXPECT_EQ(both({stmt(kLd | kImm, 0xf0), stmt(kLdx | kImm, 0x0f), stmt(kLd | kW | kAbs, kAdOff + kAdAluXorX),
                  stmt(kRet | kA, 0)}, pkt, 20, ctx), 0xffu);
  // With libpcap's userland meaning (the default) each one rejects, whatever the context holds.
  ctx.userspace = true;
  for (auto [off, want] : cases)
    EXPECT_EQ(both({stmt(kLd | kW | kAbs, kAdOff + off), stmt(kRet | kK, 3)}, pkt, 20, ctx), 0u) << off;
}

TEST(JitSemantics, NetlinkAttributeLoads) {
  // Attributes from offset 4 (host byte order): {len 8, type 1}, {len 8, type 5 | NLA_F_NESTED
  // holding {len 4, type 9}}: type 5 is at 12; the nested type 9 at 16.
  std::vector<std::byte> pkt(20);
  auto put16 = [&](std::size_t o, std::uint16_t v) { std::memcpy(pkt.data() + o, &v, 2); };
  put16(4, 8), put16(6, 1), put16(12, 8), put16(14, 5 | 0x8000), put16(16, 4), put16(18, 9);
  EXPECT_EQ(both({stmt(kLd | kImm, 4), stmt(kLdx | kImm, 5), stmt(kLd | kW | kAbs, kAdOff + kAdNlAttr), stmt(kRet | kA, 0)}, pkt, 20, test::kernel_meaning()), 12u);
  EXPECT_EQ(both({stmt(kLd | kImm, 12), stmt(kLdx | kImm, 9), stmt(kLd | kW | kAbs, kAdOff + kAdNlAttrNest), stmt(kRet | kA, 0)}, pkt, 20, test::kernel_meaning()), 16u);
  EXPECT_EQ(both({stmt(kLd | kImm, 4), stmt(kLdx | kImm, 6), stmt(kLd | kW | kAbs, kAdOff + kAdNlAttr), stmt(kRet | kA, 0)}, pkt, 20, test::kernel_meaning()), 0u);
  // X, scratch memory and the packet survive the call.
  EXPECT_EQ(both({stmt(kLd | kImm, 77), stmt(kSt, 3), stmt(kLd | kImm, 4), stmt(kLdx | kImm, 5),
                  stmt(kLd | kW | kAbs, kAdOff + kAdNlAttr), stmt(kAlu | kAdd | kX, 0), stmt(kLdx | kMem, 3),
                  stmt(kAlu | kAdd | kX, 0), stmt(kLdx | kImm, 0), stmt(kLd | kB | kInd, 14), stmt(kRet | kA, 0)}, pkt, 20, test::kernel_meaning()), 5u);
}

TEST(JitSemantics, ScratchMemory) {
  std::vector<std::byte> none;
  BpfProgram p;
  for (std::uint32_t i = 0; i < kMemWords; ++i) p.push_back(stmt(kLd | kImm, i * 3 + 1)), p.push_back(stmt(kSt, i));
  p.push_back(stmt(kLd | kImm, 0));
  for (std::uint32_t i = 0; i < kMemWords; ++i) p.push_back(stmt(kLdx | kMem, i)), p.push_back(stmt(kAlu | kAdd | kX, 0));
  p.push_back(stmt(kRet | kA, 0));
  EXPECT_EQ(both(p, none, 0), 376u);  // sum of 3i+1 for i < 16
  // libpcap's rules let a program read a cell before a store; it reads 0 on both engines even
  // when an earlier program left something on the stack.
  EXPECT_EQ(both({stmt(kLd | kImm, 99), stmt(kSt, 15), stmt(kRet | kK, 1)}, none, 0), 1u);
  EXPECT_EQ(both({stmt(kLd | kMem, 15), stmt(kRet | kA, 0)}, none, 0), 0u);
  EXPECT_EQ(both({stmt(kLdx | kImm, 9), stmt(kStx, 0), stmt(kLd | kMem, 0), stmt(kRet | kA, 0)}, none, 0), 9u);
}

TEST(JitSemantics, BackwardJumpsAreBoundedLikeTheInterpreters) {
  std::vector<std::byte> none;
  auto loop_to = [](std::uint32_t limit) {
    return BpfProgram{stmt(kLdx | kImm, 0), stmt(kMisc | kTxa, 0), stmt(kAlu | kAdd | kK, 1), stmt(kMisc | kTax, 0),
                      jump(kJmp | kJeq | kK, limit, 1, 0), stmt(kJmp | kJa, 0xfffffffb), stmt(kRet | kA, 0)};
  };
  EXPECT_EQ(both(loop_to(100), none, 0), 100u);
  EXPECT_EQ(both(loop_to(kBpfMaxBackwardJumps + 1), none, 0), kBpfMaxBackwardJumps + 1);
  EXPECT_EQ(both(loop_to(kBpfMaxBackwardJumps + 2), none, 0), 0u);
  // A jump to itself.
  EXPECT_EQ(both({stmt(kLd | kImm, 1), stmt(kJmp | kJa, 0xffffffff), stmt(kRet | kA, 0)}, none, 0), 0u);
}

TEST(JitSemantics, LongProgramsNeedLongJumps) {
  // 4096 instructions: jumps over 255 instructions of loads need rel32 encodings.
  auto f = frame();
  BpfProgram p;
  while (p.size() + 2 < kMaxInsns) {
    std::uint32_t o = static_cast<std::uint32_t>(p.size() % 40);
    p.push_back(stmt(kLd | kB | kAbs, o));
    auto room = static_cast<std::uint32_t>(kMaxInsns - 2 - (p.size() + 1));
    p.push_back(jump(kJmp | kJeq | kK, u8(f, o), 0, static_cast<std::uint8_t>(std::min(255u, room))));
  }
  p.push_back(stmt(kRet | kK, 1));
  p.push_back(stmt(kRet | kA, 0));
  EXPECT_EQ(p.size(), kMaxInsns);
  auto n = static_cast<std::uint32_t>(f.size());
  EXPECT_EQ(both(p, f, n), 1u);
  auto g = f;
  g[20] ^= std::byte{1};
  both(p, g, n);  // the engines agree where a test fails and 255 instructions are skipped
  auto jit = BpfJitProgram::compile(p);
  ASSERT_TRUE(jit);
  EXPECT_GT(jit->code().size(), 4096u * 4);
}

// The permissions of the mapping that holds `address` in /proc/self/maps ("r-xp").
std::string permissions_of(const void* address) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  auto a = reinterpret_cast<std::uintptr_t>(address);
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    auto dash = range.find('-');
    std::uintptr_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
    std::uintptr_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (a >= lo && a < hi) return perms;
  }
  return "";
}

TEST(JitProgram, CodeIsReadAndExecuteNeverWritable) {
  auto jit = BpfJitProgram::compile(BpfProgram{stmt(kLd | kH | kAbs, 12), stmt(kRet | kA, 0)});
  ASSERT_TRUE(jit) << jit.error().what();
  ASSERT_FALSE(jit->code().empty());
  EXPECT_EQ(permissions_of(jit->code().data()), "r-xp");
  EXPECT_EQ(permissions_of(jit->code().data() + jit->code().size() - 1), "r-xp");
  EXPECT_TRUE(jit_available());
}

TEST(JitProgram, MovesKeepTheCodeAndUnmapOnce) {
  std::vector<std::byte> pkt{std::byte{0}, std::byte{42}};
  auto a = BpfJitProgram::compile(BpfProgram{stmt(kLd | kB | kAbs, 1), stmt(kRet | kA, 0)});
  auto b = BpfJitProgram::compile(BpfProgram{stmt(kRet | kK, 7)});
  ASSERT_TRUE(a && b);
  const std::byte* b_code = b->code().data();
  BpfJitProgram moved(std::move(*a));
  EXPECT_TRUE(a->code().empty());
  EXPECT_EQ(moved.run(pkt, 2), 42u);
  moved = std::move(*b);
  EXPECT_EQ(moved.run(pkt, 2), 7u);
  EXPECT_EQ(moved.code().data(), b_code);
  EXPECT_EQ(permissions_of(b_code), "r-xp");
}

TEST(JitProgram, InvalidProgramsAreRefused) {
  auto empty = BpfJitProgram::compile(BpfProgram{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);
  EXPECT_FALSE(BpfJitProgram::compile(BpfProgram{stmt(kLd | kImm, 0)}));  // no return at the end
}

TEST(BpfRunner, PicksTheJitAndSaysSo) {
  std::vector<std::byte> pkt{std::byte{0}, std::byte{42}};
  BpfProgram p{stmt(kLd | kB | kAbs, 1), stmt(kRet | kA, 0)};
  auto jit = BpfRunner::create(p);
  ASSERT_TRUE(jit);
  EXPECT_EQ(jit->engine(), BpfEngine::jit);
  EXPECT_EQ(jit->interpreter_reason(), "");
  EXPECT_EQ(jit->run(pkt, 2), 42u);
  auto interp = BpfRunner::create(p, BpfRules::kernel, BpfEngineChoice::interpreter);
  ASSERT_TRUE(interp);
  EXPECT_EQ(interp->engine(), BpfEngine::interpreter);
  EXPECT_EQ(engine_name(interp->engine()), "interpreter");
  EXPECT_EQ(interp->run(pkt, 2), 42u);
  // Kernel rules refuse a backward jump; libpcap's accept it.
  BpfProgram back{stmt(kLd | kImm, 1), stmt(kJmp | kJa, 0xffffffff), stmt(kRet | kA, 0)};
  EXPECT_FALSE(BpfRunner::create(back));
  EXPECT_TRUE(BpfRunner::create(back, BpfRules::libpcap));
}

// In a child: a seccomp filter (our own BpfInsn, same layout as sock_filter) that makes mmap
// and mprotect with PROT_EXEC fail with EPERM, as systemd's MemoryDenyWriteExecute does. Exit
// codes say what went wrong.
int child_without_exec_memory() {
  constexpr std::uint32_t kNr = 0, kArch = 4, kArg2 = 16 + 2 * 8;  // struct seccomp_data
  BpfProgram filter{
      stmt(kLd | kW | kAbs, kArch),
      jump(kJmp | kJeq | kK, AUDIT_ARCH_X86_64, 1, 0),
      stmt(kRet | kK, SECCOMP_RET_ALLOW),
      stmt(kLd | kW | kAbs, kNr),
      jump(kJmp | kJeq | kK, SYS_mprotect, 1, 0),
      jump(kJmp | kJeq | kK, SYS_mmap, 0, 3),
      stmt(kLd | kW | kAbs, kArg2),
      jump(kJmp | kJset | kK, PROT_EXEC, 0, 1),
      stmt(kRet | kK, SECCOMP_RET_ERRNO | EPERM),
      stmt(kRet | kK, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(filter.size()), reinterpret_cast<sock_filter*>(filter.data())};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
  if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return 11;
  if (jit_available()) return 12;
  auto direct = BpfJitProgram::compile(BpfProgram{stmt(kRet | kK, 1)});
  if (direct || direct.error().sys_errno != EPERM) return 13;
  std::vector<std::byte> pkt{std::byte{0}, std::byte{42}};
  auto runner = BpfRunner::create(BpfProgram{stmt(kLd | kB | kAbs, 1), stmt(kRet | kA, 0)});
  if (!runner) return 14;
  if (runner->engine() != BpfEngine::interpreter) return 15;
  if (runner->interpreter_reason().find("mprotect") == std::string::npos) return 16;
  if (runner->run(pkt, 2) != 42) return 17;
  return 0;
}

TEST(BpfRunner, FallsBackToTheInterpreterWhenExecutableMemoryIsRefused) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(child_without_exec_memory());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died with signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see child_without_exec_memory for the meaning";
}

}  // namespace
}  // namespace pcapxx
