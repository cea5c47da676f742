// The classic BPF checker, rule for rule as the Linux kernel applies it when a socket filter is
// attached (net/core/filter.c: bpf_check_basics_ok, chk_code_allowed, bpf_check_classic,
// check_load_and_stores). The order of the checks is the kernel's, so the first error we report
// is the one that made the kernel refuse.
#include <array>

#include <fmt/format.h>

#include "pcapxx/bpf.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

// The opcodes chk_code_allowed lists; every other code is refused.
constexpr bool code_allowed(std::uint16_t code) noexcept {
  switch (code) {
    case kAlu | kAdd | kK: case kAlu | kAdd | kX:
    case kAlu | kSub | kK: case kAlu | kSub | kX:
    case kAlu | kMul | kK: case kAlu | kMul | kX:
    case kAlu | kDiv | kK: case kAlu | kDiv | kX:
    case kAlu | kMod | kK: case kAlu | kMod | kX:
    case kAlu | kAnd | kK: case kAlu | kAnd | kX:
    case kAlu | kOr | kK: case kAlu | kOr | kX:
    case kAlu | kXor | kK: case kAlu | kXor | kX:
    case kAlu | kLsh | kK: case kAlu | kLsh | kX:
    case kAlu | kRsh | kK: case kAlu | kRsh | kX:
    case kAlu | kNeg:
    case kLd | kW | kAbs: case kLd | kH | kAbs: case kLd | kB | kAbs:
    case kLd | kW | kLen:
    case kLd | kW | kInd: case kLd | kH | kInd: case kLd | kB | kInd:
    case kLd | kImm:
    case kLd | kMem:
    case kLdx | kW | kLen:
    case kLdx | kB | kMsh:
    case kLdx | kImm:
    case kLdx | kMem:
    case kSt: case kStx:
    case kMisc | kTax: case kMisc | kTxa:
    case kRet | kK: case kRet | kA:
    case kJmp | kJa:
    case kJmp | kJeq | kK: case kJmp | kJeq | kX:
    case kJmp | kJge | kK: case kJmp | kJge | kX:
    case kJmp | kJgt | kK: case kJmp | kJgt | kX:
    case kJmp | kJset | kK: case kJmp | kJset | kX:
      return true;
    default:
      return false;
  }
}

constexpr bool is_conditional_jump(std::uint16_t code) noexcept {
  return insn_class(code) == kJmp && insn_op(code) != kJa && code_allowed(code);
}

// The ancillary offsets bpf_anc_helper knows (any load size).
constexpr bool ancillary_known(std::uint32_t k) noexcept {
  if (k < kAdOff) return false;
  std::uint32_t off = k - kAdOff;
  return off < kAdMax && off % 4 == 0;
}

std::unexpected<Error> reject(std::size_t pc, const BpfInsn& insn, std::string why) {
  return fail(Errc::invalid_argument,
              fmt::format("bpf instruction {} (code 0x{:02x}, jt {}, jf {}, k 0x{:x}): {}", pc,
                          insn.code, insn.jt, insn.jf, insn.k, why));
}

// check_load_and_stores: every scratch-memory load must follow a store to that cell on every
// path that reaches it. Reachability is approximated as the kernel does: a jump passes its
// state to its targets and the next instruction starts from "all valid" filtered by what jumps
// into it delivered; a return does not reset the state.
Result<void> check_memory_loads(std::span<const BpfInsn> program) {
  std::vector<std::uint16_t> masks(program.size(), 0xffff);
  std::uint16_t valid = 0;
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    const BpfInsn& insn = program[pc];
    valid &= masks[pc];
    std::uint16_t code = insn.code;
    if (code == (kSt) || code == (kStx)) {
      valid |= static_cast<std::uint16_t>(1u << insn.k);
    } else if (code == (kLd | kMem) || code == (kLdx | kMem)) {
      if ((valid & (1u << insn.k)) == 0)
        return reject(pc, insn, fmt::format("M[{}] may be read before anything is stored in it", insn.k));
    } else if (code == (kJmp | kJa)) {
      masks[pc + 1 + insn.k] &= valid;
      valid = 0xffff;
    } else if (is_conditional_jump(code)) {
      masks[pc + 1 + insn.jt] &= valid;
      masks[pc + 1 + insn.jf] &= valid;
      valid = 0xffff;
    }
  }
  return {};
}

}  // namespace

BpfRules required_rules(std::span<const BpfInsn> program) noexcept {
  for (const BpfInsn& insn : program) {
    if (insn.code == (kJmp | kJa) && insn.k >= 0x80000000u) return BpfRules::libpcap;
    if (insn_class(insn.code) == kLd && insn_mode(insn.code) == kAbs && insn.k >= kAdOff && !ancillary_known(insn.k))
      return BpfRules::libpcap;
  }
  return BpfRules::kernel;
}

Result<void> validate_program(std::span<const BpfInsn> program, BpfRules rules) {
  if (program.empty()) return fail(Errc::invalid_argument, "bpf program is empty");
  if (program.size() > kMaxInsns)
    return fail(Errc::invalid_argument,
                fmt::format("bpf program has {} instructions, more than the limit of {}",
                            program.size(), kMaxInsns));
  const std::size_t len = program.size();
  for (std::size_t pc = 0; pc < len; ++pc) {
    const BpfInsn& insn = program[pc];
    if (!code_allowed(insn.code)) return reject(pc, insn, "unknown or unsupported opcode");
    switch (insn.code) {
      case kAlu | kDiv | kK:
      case kAlu | kMod | kK:
        if (insn.k == 0) return reject(pc, insn, "division by the constant 0");
        break;
      case kAlu | kLsh | kK:
      case kAlu | kRsh | kK:
        if (insn.k >= 32) return reject(pc, insn, fmt::format("shift by {} (must be below 32)", insn.k));
        break;
      case kLd | kMem:
      case kLdx | kMem:
      case kSt:
      case kStx:
        if (insn.k >= kMemWords)
          return reject(pc, insn, fmt::format("scratch memory index {} (must be below {})", insn.k, kMemWords));
        break;
      case kJmp | kJa:
        if (rules == BpfRules::libpcap) {
          // libpcap's interpreter adds k to pc modulo 2^32, so a huge k jumps backward.
          std::uint32_t target = static_cast<std::uint32_t>(pc) + 1 + insn.k;
          if (target >= len)
            return reject(pc, insn, fmt::format("jump to {} is not inside the program (length {})",
                                                static_cast<std::int32_t>(target), len));
          break;
        }
        // The kernel compares unsigned, so a huge k cannot wrap around to a backward jump.
        if (insn.k >= len - pc - 1)
          return reject(pc, insn, fmt::format("jump to {} is not inside the program (length {})",
                                              static_cast<std::uint64_t>(pc) + 1 + insn.k, len));
        break;
      case kLd | kW | kAbs:
      case kLd | kH | kAbs:
      case kLd | kB | kAbs:
        // libpcap's bpf_validate accepts any offset: an unknown one is an out-of-bounds load
        // (the program returns 0), e.g. `ether[0xfffffff0:4]`.
        if (rules == BpfRules::kernel && insn.k >= kAdOff && !ancillary_known(insn.k))
          return reject(pc, insn, fmt::format("unknown ancillary offset SKF_AD_OFF + {}", insn.k - kAdOff));
        break;
      default:
        if (is_conditional_jump(insn.code)) {
          if (pc + insn.jt + 1 >= len || pc + insn.jf + 1 >= len)
            return reject(pc, insn, fmt::format("jump to {} or {} is not inside the program (length {})",
                                                pc + insn.jt + 1, pc + insn.jf + 1, len));
        }
        break;
    }
  }
  const BpfInsn& last = program[len - 1];
  if (last.code != (kRet | kK) && last.code != (kRet | kA))
    return reject(len - 1, last, "the last instruction is not a return");
  if (rules == BpfRules::libpcap) return {};
  return check_memory_loads(program);
}

}  // namespace pcapxx
