// Test support: random classic BPF programs from a fixed seed, biased toward the edges the
// kernel's checker cares about (jump targets at the end, scratch indices 15/16, ancillary
// offsets, division by 0, shifts by 31/32, the last instruction).
#pragma once

#include <array>
#include <cstdint>
#include <random>

#include "pcapxx/bpf.hpp"

namespace pcapxx::test {

/// Every opcode the kernel accepts (chk_code_allowed).
inline constexpr std::array<std::uint16_t, 56> kKnownCodes = {
    0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c,
    0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c, 0x84,                                // ALU
    0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60,                    // LD
    0x81, 0xb1, 0x01, 0x61,                                                  // LDX
    0x02, 0x03, 0x07, 0x87, 0x06, 0x16,                                      // ST STX TAX TXA RET
    0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d,                    // JMP
    // codes that look plausible but the kernel refuses
    0x08, 0x09, 0x0e, 0x1e, 0x55, 0x8c, 0x98};

class ProgramGenerator {
 public:
  explicit ProgramGenerator(std::uint32_t seed) : rng_(seed) {}

  std::uint32_t below(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_); }
  bool chance(std::uint32_t percent) { return below(100) < percent; }

  /// A k value for `code` at `pc` in a program of `len` instructions.
  std::uint32_t pick_k(std::uint16_t code, std::size_t pc, std::size_t len) {
    switch (below(10)) {
      case 0: return static_cast<std::uint32_t>(rng_());
      case 1: return bpf::kAdOff + below(72);
      case 2: return below(2) ? bpf::kNetOff + below(64) : bpf::kLlOff + below(64);
      case 3: return 14 + below(3) + 15 * below(2) + 16 * below(2);  // 14..47 around MEM/shift edges
      case 4: return static_cast<std::uint32_t>(len - pc - 1 - below(3));  // JA edge
      case 5: return 0;
      default:
        if (bpf::insn_class(code) == bpf::kLd || bpf::insn_class(code) == bpf::kLdx) return below(80);
        if (code == 0x02 || code == 0x03 || bpf::insn_mode(code) == bpf::kMem) return below(17);
        return below(40);
    }
  }

  std::uint8_t pick_j(std::size_t pc, std::size_t len) {
    if (chance(20)) return static_cast<std::uint8_t>(below(256));
    std::size_t room = len - pc - 1;  // targets pc+1 .. len-1 are inside
    std::size_t j = below(static_cast<std::uint32_t>(room + 2));
    return static_cast<std::uint8_t>(j > 255 ? 255 : j);
  }

  /// A random program: codes from the known list (sometimes anything), edge-biased operands.
  BpfProgram random_program() {
    std::size_t len;
    switch (below(50)) {
      case 0: len = 0; break;
      case 1: len = bpf::kMaxInsns - 1 + below(3); break;
      default: len = 1 + below(24); break;
    }
    BpfProgram p(len);
    for (std::size_t pc = 0; pc < len; ++pc) {
      std::uint16_t code = chance(3) ? static_cast<std::uint16_t>(below(0x10000) & (chance(50) ? 0xff : 0xffff))
                                     : kKnownCodes[below(kKnownCodes.size())];
      if (len > 100) code = chance(98) ? 0x06 : code;  // keep the long ones cheap for the kernel
      p[pc] = BpfInsn{code, pick_j(pc, len), pick_j(pc, len), pick_k(code, pc, len)};
    }
    if (len > 0 && chance(85)) p[len - 1] = BpfInsn{static_cast<std::uint16_t>(chance(50) ? 0x06 : 0x16), 0, 0, below(2) * 0xffff};
    return p;
  }

  /// `p` with one or two fields changed.
  BpfProgram mutate(BpfProgram p) {
    if (p.empty()) return p;
    int n = 1 + static_cast<int>(below(2));
    for (int i = 0; i < n; ++i) {
      std::size_t pc = below(static_cast<std::uint32_t>(p.size()));
      BpfInsn& in = p[pc];
      switch (below(6)) {
        case 0: in.code = kKnownCodes[below(kKnownCodes.size())]; break;
        case 1: in.jt = pick_j(pc, p.size()); break;
        case 2: in.jf = pick_j(pc, p.size()); break;
        case 3: in.k = pick_k(in.code, pc, p.size()); break;
        case 4: in.k ^= 1u << below(32); break;
        default:
          if (p.size() > 1) p.erase(p.begin() + static_cast<std::ptrdiff_t>(pc));
          break;
      }
    }
    return p;
  }

  std::mt19937& engine() { return rng_; }

 private:
  std::mt19937 rng_;
};

}  // namespace pcapxx::test
