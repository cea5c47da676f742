// 20,000 random valid programs (what validate_program accepts under libpcap's rules, a superset
// of the kernel's) on random and edge-case packets: JIT verdicts must equal the interpreter's.
#include <random>

#include <gtest/gtest.h>

#include "unit/filter/random_programs.hpp"
#include "unit/jit/jit_test_util.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

// Programs valid by construction more often than ProgramGenerator's: every kernel opcode,
// k values at the edges of the packet, of 2^31 and of 2^32, jumps inside the program.
class ValidProgramGenerator {
 public:
  explicit ValidProgramGenerator(std::uint32_t seed) : rng_(seed) {}

  BpfProgram next() {
    std::size_t len = 2 + below(below(10) == 0 ? 300 : 30);
    BpfProgram p(len);
    for (std::size_t pc = 0; pc + 1 < len; ++pc) {
      std::uint16_t code = kCodes[below(std::size(kCodes))];
      BpfInsn in{code, 0, 0, pick_k()};
      std::size_t room = len - pc - 2;  // conditional targets pc+1+j must stay below len
      if (insn_class(code) == kJmp) {
        if (code == (kJmp | kJa)) {
          in.k = below(8) == 0 ? static_cast<std::uint32_t>(0u - 1u - below(static_cast<std::uint32_t>(pc + 1)))
                               : below(static_cast<std::uint32_t>(room + 1));
        } else {
          in.jt = static_cast<std::uint8_t>(below(static_cast<std::uint32_t>(std::min<std::size_t>(room, 255) + 1)));
          in.jf = static_cast<std::uint8_t>(below(static_cast<std::uint32_t>(std::min<std::size_t>(room, 255) + 1)));
        }
      }
      if (code == kSt || code == kStx || insn_mode(code) == kMem) in.k = below(kMemWords);
      if ((code == (kAlu | kLsh | kK) || code == (kAlu | kRsh | kK))) in.k = below(32);
      if ((code == (kAlu | kDiv | kK) || code == (kAlu | kMod | kK)) && in.k == 0) in.k = 1 + below(7);
      if (insn_mode(code) == kAbs && in.k >= kAdOff) in.k = kAdOff + 4 * below(kAdMax / 4);
      p[pc] = in;
    }
    p[len - 1] = below(2) ? stmt(kRet | kA, 0) : stmt(kRet | kK, pick_k());
    return p;
  }

  std::uint32_t pick_k() {
    switch (below(12)) {
      case 0: return static_cast<std::uint32_t>(rng_());
      case 1: return 0x7ffffffc + below(8);   // around 2^31
      case 2: return 0xfffffffc + below(4);   // just below 2^32
      case 3: return kNetOff + below(40);
      case 4: return kLlOff + below(40);
      case 5: return kAdOff + 4 * below(kAdMax / 4);
      case 6: return below(2) ? 31 + below(3) : 0;
      default: return below(72);
    }
  }
  std::uint32_t below(std::size_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, static_cast<std::uint32_t>(n - 1))(rng_);
  }
  std::mt19937& engine() { return rng_; }

 private:
  static constexpr std::uint16_t kCodes[] = {
      0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac,
      0x64, 0x6c, 0x74, 0x7c, 0x84, 0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60, 0x81, 0xb1,
      0x01, 0x61, 0x02, 0x03, 0x07, 0x87, 0x06, 0x16, 0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d};
  std::mt19937 rng_;
};

struct Probe {
  std::vector<std::byte> data;
  std::uint32_t wire_len;
};

// Edge-case packets: empty, one byte, the sizes around the loads the programs make, a frame of
// the shared captures; each with random bytes.
std::vector<Probe> probe_packets(std::mt19937& rng) {
  std::vector<Probe> out;
  for (std::size_t size : {0, 1, 2, 3, 4, 5, 14, 15, 34, 40, 41, 64, 71, 72, 75, 80, 120}) {
    Probe p{std::vector<std::byte>(size), static_cast<std::uint32_t>(size + (size % 3) * 100)};
    for (auto& b : p.data) b = static_cast<std::byte>(rng());
    out.push_back(std::move(p));
  }
  // A packet of zeros: X loaded from it is 0, so division and modulo by X hit zero.
  out.push_back(Probe{std::vector<std::byte>(64), 64});
  const auto& shared = test::shared_packets_by_link();
  if (auto it = shared.find(1); it != shared.end() && !it->second.empty())
    out.push_back(Probe{it->second.front().data, it->second.front().origlen});
  return out;
}

std::vector<BpfContext> contexts(std::mt19937& rng) {
  std::vector<BpfContext> out(4);
  for (auto& c : out) {
    c.protocol = static_cast<std::uint16_t>(rng());
    c.pkttype = rng() % 8;
    c.ifindex = rng();
    c.mark = rng();
    c.queue = rng();
    c.hatype = rng();
    c.rxhash = rng();
    c.cpu = rng() % 64;
    c.vlan_tci = static_cast<std::uint16_t>(rng());
    c.vlan_present = rng() % 2;
    c.vlan_tpid = static_cast<std::uint16_t>(rng());
    c.pay_offset = rng() % 100;
    c.random = rng();
  }
  // out[0]: the default, libpcap's userland meaning (ancillary data and SKF_* offsets unused);
  // the others have the kernel's meaning, as a live capture's userspace fallback runs.
  out[0] = BpfContext{};
  out[1].net_offset = 14;
  out[2].net_offset = 0;
  out[3].net_offset = 0xfffffffe;  // SKF_NET_OFF loads must not wrap around to the packet
  for (std::size_t i = 1; i < out.size(); ++i) out[i].userspace = false;
  // Userspace meaning with every field set: the fields must not matter.
  out.push_back(out[1]);
  out.back().userspace = true;
  return out;
}

void run_random(std::uint32_t seed, std::size_t wanted, bool ours) {
  test::ProgramGenerator theirs_gen(seed);
  ValidProgramGenerator ours_gen(seed);
  std::mt19937 rng(seed ^ 0x5eed);
  std::vector<Probe> packets = probe_packets(rng);
  std::vector<BpfContext> ctxs = contexts(rng);
  std::size_t valid = 0, tries = 0, accepted = 0, runs = 0, failures = 0;
  while (valid < wanted) {
    ASSERT_LT(++tries, wanted * 200) << "the generator makes too few valid programs";
    BpfProgram p;
    if (ours) {
      p = ours_gen.next();
    } else {
      p = theirs_gen.random_program();
      if (theirs_gen.chance(50)) p = theirs_gen.mutate(std::move(p));
    }
    if (!validate_program(p, BpfRules::libpcap)) continue;
    ++valid;
    auto jit = BpfJitProgram::compile(p);
    ASSERT_TRUE(jit) << jit.error().what();
    for (std::size_t i = 0; i < packets.size(); ++i) {
      const BpfContext& ctx = ctxs[(i + valid) % ctxs.size()];
      if (!test::same_verdict(p, *jit, packets[i].data, packets[i].wire_len, ctx,
                              fmt::format("seed {} program {}", seed, valid)) &&
          ++failures > 5)
        FAIL() << "stopping after 5 differences";
      accepted += jit->run(packets[i].data, packets[i].wire_len, ctx) != 0;
      ++runs;
    }
  }
  // Both verdicts must be common, or the programs test nothing.
  EXPECT_GT(accepted, runs / 20);
  EXPECT_LT(accepted, runs - runs / 20);
}

TEST(JitRandom, TenThousandStructuredProgramsMatchTheInterpreter) { run_random(20240601, 10000, true); }

TEST(JitRandom, TenThousandEdgeBiasedProgramsMatchTheInterpreter) { run_random(777, 10000, false); }

}  // namespace
}  // namespace pcapxx
