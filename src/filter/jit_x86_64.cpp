// Classic BPF to x86-64 machine code, with run_program's semantics (bpf_interpret.cpp).
//
// Register use (System V: the arguments arrive in rdi, rsi, edx, rcx; only caller-saved
// registers are used, so there is nothing to save):
//   eax  A            r8d  X             rdi  packet bytes     rsi  captured length (64 bit)
//   r9   BpfContext*  r10d wire length   r11d backward jumps taken (libpcap-rules programs)
//   ecx, edx          temporaries (shift counts, division, load offsets)
// Scratch memory M[0..15] is in the System V red zone below rsp (the code is a leaf), or in a
// frame when the program calls out for SKF_AD_NLATTR(_NEST).
//
// Per packet the cost is mostly the packet's cache lines; the code keeps the rest small:
//   - A program whose constant-offset loads need at least two checks is emitted twice: after
//     one check of the captured length against the farthest constant offset it reads, a copy
//     without those checks; shorter packets run the fully checked copy. In the fast copy an
//     indirect load behind ldxb 4*([k]&0xf) (X <= 60) checks once for every indirect load up to
//     the next change of X, and continues in the checked copy when that check fails.
//   - A load whose value only jeq/jset #k read compares the packet bytes with k byte-swapped
//     (cmp/test with a memory operand, or movzx for half-words), with no bswap or rol.
//   - Indirect loads with a bounded X skip the negative-offset (SKF_*) test.
//   - BpfContext::userspace (libpcap's userland meaning: negative offsets reject, X + k does not
//     wrap) is read only where the two meanings differ: constant loads at negative offsets,
//     ancillary loads, and the cold paths of indirect loads with an unbounded X. An indirect
//     load adds X + k in 64 bits; only the kernel's meaning, in cold code, wraps it to 32.
//
// Encodings: Intel SDM volume 2 (REX, ModRM/SIB, opcode tables). Jumps are sized by repeated
// passes: the first pass makes every forward jump rel32, later passes shorten the ones whose
// target the previous pass placed within rel8 reach, until two passes place every label at the
// same address.
#include "filter/jit_x86_64.hpp"

#include <bit>
#include <cstddef>
#include <algorithm>
#include <initializer_list>

namespace pcapxx::detail {

// SKF_AD_NLATTR(_NEST) for the generated code: runs that one load on the interpreter, so the
// netlink attribute walk exists once. Not per packet in any filter libpcap generates.
extern "C" std::uint32_t pcapxx_jit_nlattr(const std::byte* data, std::size_t caplen, std::uint32_t a,
                                           std::uint32_t x, std::uint32_t ancillary) noexcept {
  const BpfInsn load[] = {bpf::stmt(bpf::kLd | bpf::kImm, a), bpf::stmt(bpf::kLdx | bpf::kImm, x),
                          bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, bpf::kAdOff + ancillary),
                          bpf::stmt(bpf::kRet | bpf::kA, 0)};
  BpfContext kernel;  // the generated code only calls this under the kernel's meaning
  kernel.userspace = false;
  return run_program(load, std::span(data, caplen), 0, kernel);
}

namespace {

using namespace bpf;

enum Reg : int { rax = 0, rcx = 1, rdx = 2, rsp = 4, rsi = 6, rdi = 7, r8 = 8, r9 = 9, r10 = 10, r11 = 11 };
constexpr int kRegA = rax;
constexpr int kRegX = r8;
constexpr int kData = rdi;
constexpr int kCaplen = rsi;
constexpr int kCtx = r9;
constexpr int kWireLen = r10;
constexpr int kBackJumps = r11;

// Condition codes (the low nibble of Jcc/CMOVcc); cc ^ 1 is the opposite condition.
enum Cond : int { kCcB = 0x2, kCcAe = 0x3, kCcE = 0x4, kCcNe = 0x5, kCcA = 0x7, kCcS = 0x8 };

// Frame layout when the program calls out: M[0..15], then the six caller-saved registers the
// call clobbers. 120 bytes keep rsp 16-byte aligned at the call (it is 8 mod 16 at entry).
constexpr std::int32_t kFrameSize = 120;
constexpr std::int32_t kSaveBase = 64;
constexpr int kSavedRegs[] = {rdi, rsi, r8, r9, r10, r11};

struct Label {
  std::int64_t prev = -1;  // address in the previous pass, -1 if unknown
  std::int64_t cur = -1;   // address in this pass, -1 until bound
};

// A load whose X + k offset came out negative, or out of bounds in 64 bits, continues in cold
// code after the main body.
struct ColdIndLoad {
  int entry;  // the cold code for a negative 32-bit offset
  int back;   // where the bounds check resumes with rdx = start
  int wrap;   // the cold code for a 64-bit X + k beyond the packet, or -1 (it cannot wrap)
};

class Generator {
 public:
  Generator(std::span<const BpfInsn> program, bool force_long)
      : prog_(program), force_long_(force_long) {
    for (const BpfInsn& in : program) {
      std::uint16_t c = in.code;
      if (c == (kLd | kMem) || c == (kLdx | kMem)) mem_read_ |= static_cast<std::uint16_t>(1u << (in.k & 15));
      if (c == (kJmp | kJa) && in.k >= 0x80000000u) backward_ = true;
      if (insn_class(c) == kLd && insn_mode(c) == kAbs && in.k >= kAdOff &&
          (in.k - kAdOff == kAdNlAttr || in.k - kAdOff == kAdNlAttrNest))
        frame_ = true;
    }
    analyse();
    analyse_flow();
  }

  // One pass over the program; `labels` carries addresses from the previous pass.
  std::vector<std::uint8_t> pass(std::vector<Label>& labels) {
    labels_ = &labels;
    out_.clear();
    cold_.clear();
    next_label_ = 2 * static_cast<int>(prog_.size()) + 2;
    if (labels_->size() < static_cast<std::size_t>(next_label_)) labels_->resize(static_cast<std::size_t>(next_label_));
    for (Label& l : labels) l.cur = -1;
    out_.assign(kJitEntryOffset, 0xcc);
    prologue();
    // With one check of the captured length against the farthest constant offset the program
    // reads, a copy of the program without those loads' checks runs; shorter packets run the
    // fully checked copy.
    if (fast_) {
      if (fast_len_ != 0) {
        alu_imm(7, kCaplen, static_cast<std::uint32_t>(fast_len_), true);  // cmp rsi, fast_len
        jump(kCcB, slow_label());
      }
      body(0);
      bind(slow_label());
    }
    body(1);
    bind(fail_label());
    xor_rr(kRegA, kRegA);
    epilogue();
    for (const ColdIndLoad& c : cold_) cold_ind_load(c);
    return out_;
  }

 private:
  void body(int copy) {
    copy_ = copy;
    for (std::size_t pc = 0; pc < prog_.size(); ++pc) {
      bind(lab(pc));
      pc_ = pc;
      if (fused(pc)) bind(lab(++pc));  // not a jump target: nothing jumps there
      else insn(pc);
    }
  }
  // The label of instruction `pc` in the copy being emitted.
  int lab(std::size_t pc) const { return copy_ * static_cast<int>(prog_.size()) + static_cast<int>(pc); }
  int fail_label() const { return 2 * static_cast<int>(prog_.size()); }
  int slow_label() const { return 2 * static_cast<int>(prog_.size()) + 1; }
  // The captured bytes every path to `pc` has checked, in the copy being emitted.
  std::uint64_t known_len(std::size_t pc) const { return copy_ == 0 ? std::max(checked_[pc], fast_len_) : checked_[pc]; }
  int new_label() {
    int id = next_label_++;
    if (labels_->size() <= static_cast<std::size_t>(id)) labels_->resize(static_cast<std::size_t>(id) + 1);
    return id;
  }
  void bind(int label) { (*labels_)[static_cast<std::size_t>(label)].cur = pos(); }
  std::int64_t pos() const { return static_cast<std::int64_t>(out_.size()); }

  // ---- encoding ----
  void b(std::uint8_t v) { out_.push_back(v); }
  void d32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void d64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void ops(std::initializer_list<std::uint8_t> op) {
    for (std::uint8_t v : op) b(v);
  }
  void rex(bool w, int reg, int index, int base) {
    std::uint8_t r = static_cast<std::uint8_t>(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index & 8) ? 2 : 0) |
                                               ((base & 8) ? 1 : 0));
    if (r != 0x40) b(r);
  }
  static bool fits8(std::int64_t v) { return v >= -128 && v <= 127; }

  // op reg, rm (register direct).
  void rr(std::initializer_list<std::uint8_t> op, int reg, int rm, bool w = false) {
    rex(w, reg, 0, rm);
    ops(op);
    b(static_cast<std::uint8_t>(0xc0 | (reg & 7) << 3 | (rm & 7)));
  }
  // op reg, [base + disp].
  void rm(std::initializer_list<std::uint8_t> op, int reg, int base, std::int32_t disp, bool w = false) {
    rex(w, reg, 0, base);
    ops(op);
    int mod = (disp == 0 && (base & 7) != 5) ? 0 : fits8(disp) ? 1 : 2;
    b(static_cast<std::uint8_t>(mod << 6 | (reg & 7) << 3 | (base & 7)));
    if ((base & 7) == 4) b(0x24);  // SIB: base rsp, no index
    if (mod == 1) b(static_cast<std::uint8_t>(disp));
    if (mod == 2) d32(static_cast<std::uint32_t>(disp));
  }
  // op reg, [base + index] (base is neither rbp nor r13).
  void rmi(std::initializer_list<std::uint8_t> op, int reg, int base, int index) {
    rex(false, reg, index, base);
    ops(op);
    b(static_cast<std::uint8_t>(0x04 | (reg & 7) << 3));
    b(static_cast<std::uint8_t>((index & 7) << 3 | (base & 7)));
  }

  // op reg, [base + index + disp] (base is neither rbp nor r13, index not rsp).
  void rmid(std::initializer_list<std::uint8_t> op, int reg, int base, int index, std::int32_t disp) {
    rex(false, reg, index, base);
    ops(op);
    int mod = disp == 0 ? 0 : fits8(disp) ? 1 : 2;
    b(static_cast<std::uint8_t>(mod << 6 | (reg & 7) << 3 | 4));
    b(static_cast<std::uint8_t>((index & 7) << 3 | (base & 7)));
    if (mod == 1) b(static_cast<std::uint8_t>(disp));
    if (mod == 2) d32(static_cast<std::uint32_t>(disp));
  }

  void mov_imm(int r, std::uint32_t k) {
    if (k == 0) return xor_rr(r, r);
    rex(false, 0, 0, r);
    b(static_cast<std::uint8_t>(0xb8 + (r & 7)));
    d32(k);
  }
  void mov_rr(int dst, int src) { rr({0x89}, src, dst); }
  void xor_rr(int dst, int src) { rr({0x31}, src, dst); }
  // Group-1 ALU with an immediate: ext 0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp.
  void alu_imm(int ext, int r, std::uint32_t k, bool w = false) {
    auto s = static_cast<std::int32_t>(k);
    if (fits8(s)) {
      rr({0x83}, ext, r, w);
      b(static_cast<std::uint8_t>(s));
    } else {
      rr({0x81}, ext, r, w);
      d32(k);
    }
  }
  void shift_imm(int ext, int r, std::uint32_t n) {  // ext 4 shl, 5 shr
    rr({0xc1}, ext, r);
    b(static_cast<std::uint8_t>(n));
  }

  void jump(int cc, int label) {  // cc < 0: jmp
    const Label& l = (*labels_)[static_cast<std::size_t>(label)];
    std::int64_t target = l.cur >= 0 ? l.cur : l.prev;
    bool is_short = false;
    if (target >= 0 && (l.cur >= 0 || !force_long_)) is_short = fits8(target - (pos() + 2));
    if (is_short) {
      b(cc < 0 ? 0xeb : static_cast<std::uint8_t>(0x70 | cc));
      b(static_cast<std::uint8_t>(target - pos() - 1));
      return;
    }
    if (cc < 0) {
      b(0xe9);
    } else {
      b(0x0f);
      b(static_cast<std::uint8_t>(0x80 | cc));
    }
    std::int64_t rel = target < 0 ? 0 : target - (pos() + 4);
    d32(static_cast<std::uint32_t>(static_cast<std::int32_t>(rel)));
  }
  void goto_insn(std::size_t pc, std::size_t target) {
    if (target != pc + 1) jump(-1, lab(target));
  }

  std::int32_t mem_disp(std::uint32_t k) const {
    return static_cast<std::int32_t>((k & 15) * 4) + (frame_ ? 0 : -64);
  }

  // What the prologue must set up, and the captured length each instruction may rely on: a
  // load at a constant offset needs no bounds check when every path to it has already checked
  // a load that reaches as far (a failed check leaves the program, returning 0).
  void analyse() {
    constexpr std::uint64_t kUnset = ~std::uint64_t{0};
    checked_.assign(prog_.size(), kUnset);
    if (!prog_.empty()) checked_[0] = 0;
    bool a_written = false, a_decided = false;
    for (std::size_t pc = 0; pc < prog_.size(); ++pc) {
      const BpfInsn& in = prog_[pc];
      const std::uint16_t cls = insn_class(in.code), mode = insn_mode(in.code);
      const bool ancillary = cls == kLd && mode == kAbs && in.k >= kAdOff;
      const bool reads_x = (cls == kAlu && insn_src(in.code) == kX) || (cls == kJmp && insn_src(in.code) == kX) ||
                           (cls == kLd && mode == kInd) || in.code == kStx || in.code == (kMisc | kTxa) ||
                           (ancillary && (in.k - kAdOff == kAdAluXorX || frame_));
      uses_x_ = uses_x_ || reads_x;
      uses_ctx_ = uses_ctx_ || ancillary || (cls == kLd && mode == kInd) ||
                  (((cls == kLd && mode == kAbs) || (cls == kLdx && mode == kMsh)) && in.k >= kLlOff);
      uses_len_ = uses_len_ || mode == kLen;
      // A's zero matters only if something reads A before the first straight-line write.
      if (!a_decided) {
        const bool writes_a = cls == kLd && !(ancillary && (in.k - kAdOff == kAdAluXorX || frame_));
        if (writes_a || in.code == (kMisc | kTxa)) a_written = a_decided = true;
        else if (cls != kLdx && in.code != kStx) a_decided = true;
      }
      if (backward_) continue;
      std::uint64_t known = checked_[pc];
      if (known == kUnset) continue;  // unreachable
      const bool const_load = (cls == kLd && mode == kAbs && !ancillary) || (cls == kLdx && mode == kMsh);
      if (const_load && static_cast<std::int32_t>(in.k) >= 0)
        known = std::max<std::uint64_t>(known, std::uint64_t{in.k} + (cls == kLdx ? 1 : bytes_of(insn_size(in.code))));
      auto flow = [&](std::size_t to) {
        if (to < checked_.size()) checked_[to] = std::min(checked_[to], known);
      };
      for_each_successor(pc, flow);
    }
    zero_a_ = !a_written;
    if (backward_) std::fill(checked_.begin(), checked_.end(), 0);
    // The fast copy pays off when it drops at least two checks on some path.
    std::uint64_t farthest = 0;
    int checks = 0;
    for (std::size_t pc = 0; pc < prog_.size() && !backward_; ++pc) {
      const BpfInsn& in = prog_[pc];
      const std::uint16_t cls = insn_class(in.code), mode = insn_mode(in.code);
      const bool const_load = (cls == kLd && mode == kAbs && in.k < kAdOff) || (cls == kLdx && mode == kMsh);
      if (!const_load || static_cast<std::int32_t>(in.k) < 0 || checked_[pc] == kUnset) continue;
      const std::uint64_t end = std::uint64_t{in.k} + (cls == kLdx ? 1 : bytes_of(insn_size(in.code)));
      farthest = std::max(farthest, end);
      if (end > checked_[pc]) ++checks;
    }
    fast_len_ = checks >= 2 && farthest <= 0x7fffffff ? farthest : 0;
    fast_ = fast_len_ != 0;
  }

  // Calls visit(to) once for each instruction control may pass to from pc: the target(s) of a
  // jump, nothing after a return, else the next instruction (none past the end).
  template <class Visit>
  void for_each_successor(std::size_t pc, Visit&& visit) const {
    const BpfInsn& in = prog_[pc];
    const std::uint16_t cls = insn_class(in.code);
    if (cls == kRet) return;
    if (in.code == (kJmp | kJa)) {
      visit(pc + 1 + in.k);
    } else if (cls == kJmp) {
      visit(pc + 1 + in.jt);
      if (in.jf != in.jt) visit(pc + 1 + in.jf);
    } else if (pc + 1 < prog_.size()) {
      visit(pc + 1);
    }
  }

  // Liveness of A and X (read before written on some path), an upper bound of X, and the jump
  // targets, for programs without backward jumps. A load followed by a comparison with a
  // constant whose outcome is all that uses the loaded value compares the bytes as they are in
  // the packet (no byte swap, no A); an indirect load whose X is bounded (X after ldxb
  // 4*([k]&0xf) is at most 60) cannot reach the negative SKF_* offsets.
  void analyse_flow() {
    const std::size_t n = prog_.size();
    a_live_.assign(n, true);
    x_live_.assign(n, true);
    target_.assign(n, false);
    xmax_.assign(n, kXUnbounded);
    raw_.assign(n, 0);
    if (backward_ || n == 0) return;
    auto ancillary_of = [](const BpfInsn& in) -> std::int64_t {
      if (insn_class(in.code) != kLd || insn_mode(in.code) != kAbs || in.k < kAdOff) return -1;
      return in.k - kAdOff;
    };
    for (std::size_t pc = n; pc-- > 0;) {
      const BpfInsn& in = prog_[pc];
      const std::uint16_t cls = insn_class(in.code), mode = insn_mode(in.code);
      const std::int64_t anc = ancillary_of(in);
      const bool nlattr = anc == kAdNlAttr || anc == kAdNlAttrNest;
      auto after = [&](const std::vector<bool>& live) {
        bool any = false;
        for_each_successor(pc, [&](std::size_t to) { any = any || live[to]; });
        return any;
      };
      const bool reads_a = cls == kAlu || (cls == kJmp && in.code != (kJmp | kJa)) || in.code == (kRet | kA) ||
                           in.code == kSt || in.code == (kMisc | kTax) || anc == kAdAluXorX || nlattr;
      const bool writes_a = cls == kLd || in.code == (kMisc | kTxa);
      a_live_[pc] = reads_a || (!writes_a && after(a_live_));
      const bool reads_x = ((cls == kAlu || cls == kJmp) && insn_src(in.code) == kX && in.code != (kJmp | kJa)) ||
                           (cls == kLd && mode == kInd) || in.code == kStx || in.code == (kMisc | kTxa) ||
                           anc == kAdAluXorX || nlattr;
      const bool writes_x = cls == kLdx || in.code == (kMisc | kTax);
      x_live_[pc] = reads_x || (!writes_x && after(x_live_));
    }
    constexpr std::uint64_t kUnreached = ~std::uint64_t{0};
    xmax_.assign(n, kUnreached);
    xmax_[0] = 0;
    for (std::size_t pc = 0; pc < n; ++pc) {
      const BpfInsn& in = prog_[pc];
      const std::uint16_t cls = insn_class(in.code), mode = insn_mode(in.code);
      if (cls == kJmp && in.code != (kJmp | kJa)) {
        target_[pc + 1 + in.jt] = true;
        target_[pc + 1 + in.jf] = true;
      } else if (in.code == (kJmp | kJa)) {
        target_[pc + 1 + in.k] = true;
      }
      std::uint64_t x = xmax_[pc];
      if (x == kUnreached) continue;
      if (cls == kLdx) x = mode == kImm ? in.k : mode == kMsh ? 60 : kXUnbounded;
      if (in.code == (kMisc | kTax)) x = kXUnbounded;
      auto flow = [&](std::size_t to) { xmax_[to] = xmax_[to] == kUnreached ? x : std::max(xmax_[to], x); };
      for_each_successor(pc, flow);
    }
    for (std::uint64_t& x : xmax_) x = std::min(x, kXUnbounded);
    find_raw_chains();
    merge_indirect_checks();
    x_zero_ = x_live_[0];
    // The context is needed only by loads that may reach SKF_* offsets.
    uses_ctx_ = false;
    for (std::size_t pc = 0; pc < n; ++pc) {
      const BpfInsn& in = prog_[pc];
      const std::uint16_t cls = insn_class(in.code), mode = insn_mode(in.code);
      if ((cls == kLd && mode == kAbs && in.k >= kLlOff) || (cls == kLdx && mode == kMsh && in.k >= kLlOff) ||
          (cls == kLd && mode == kInd && !ind_bounded(pc, in.k, insn_size(in.code))))
        uses_ctx_ = true;
    }
  }
  // A half-word or word load whose value only a chain of jeq/jset #k reads (each reached only
  // from the load or the chain, e.g. the EtherType tests "jeq #0x86dd jf next; jeq #0x800")
  // leaves A in packet byte order; the chain compares it with byte-swapped constants.
  void find_raw_chains() {
    const std::size_t n = prog_.size();
    raw_.assign(n, 0);
    std::vector<int> preds(n, 0);
    for (std::size_t pc = 0; pc < n; ++pc) for_each_successor(pc, [&](std::size_t to) { ++preds[to]; });
    auto is_cmp_k = [&](std::size_t pc) {
      return prog_[pc].code == (kJmp | kJeq | kK) || prog_[pc].code == (kJmp | kJset | kK);
    };
    std::vector<std::size_t> chain;
    for (std::size_t pc = 0; pc + 1 < n; ++pc) {
      const BpfInsn& ld = prog_[pc];
      const std::uint16_t size = insn_size(ld.code), mode = insn_mode(ld.code);
      if (insn_class(ld.code) != kLd || size == kB) continue;
      if (!(mode == kAbs && static_cast<std::int32_t>(ld.k) >= 0) && !(mode == kInd && ind_bounded(pc, ld.k, size)))
        continue;
      // Every instruction that may read the loaded value must be a chain member.
      chain.clear();
      bool ok = true;
      for (std::size_t todo = pc + 1; ok;) {
        if (!is_cmp_k(todo) || preds[todo] != 1) {
          ok = false;
          break;
        }
        chain.push_back(todo);
        const BpfInsn& j = prog_[todo];
        std::size_t t = todo + 1 + j.jt, f = todo + 1 + j.jf;
        bool live_t = a_live_[t], live_f = a_live_[f];
        if (live_t && live_f) ok = false;  // a chain, not a tree: one successor at most continues
        else if (live_t) todo = t;
        else if (live_f) todo = f;
        else break;
      }
      if (!ok || chain.size() < 2) continue;  // one comparison: fused() compares the memory itself
      for (std::size_t c : chain) raw_[c] = static_cast<std::uint8_t>(size == kW ? 4 : 2);
      raw_load_.push_back(pc);
    }
    std::sort(raw_load_.begin(), raw_load_.end());
  }
  // In the fast copy, an indirect load checks X + the farthest end any bounded indirect load
  // reachable before X changes reads (ind_reach_), and on failure continues in the checked
  // copy at the same instruction; later loads that this covers on every path (ind_known_)
  // need no check. E.g. "ldxb 4*([14]&0xf); ldb [x+27]; ldh [x+14]; ldh [x+16]": one check.
  void merge_indirect_checks() {
    const std::size_t n = prog_.size();
    ind_reach_.assign(n, 0);
    ind_known_.assign(n, 0);
    auto bounded_ind = [&](std::size_t pc) {
      const BpfInsn& in = prog_[pc];
      return insn_class(in.code) == kLd && insn_mode(in.code) == kInd && ind_bounded(pc, in.k, insn_size(in.code));
    };
    auto writes_x = [&](const BpfInsn& in) { return insn_class(in.code) == kLdx || in.code == (kMisc | kTax); };
    int loads = 0;
    for (std::size_t pc = n; pc-- > 0;) {
      const BpfInsn& in = prog_[pc];
      std::uint64_t after = 0;
      for_each_successor(pc, [&](std::size_t to) { after = std::max(after, ind_reach_[to]); });
      if (bounded_ind(pc)) {
        ++loads;
        ind_reach_[pc] = std::max<std::uint64_t>(after, std::uint64_t{in.k} + bytes_of(insn_size(in.code)));
      } else {
        ind_reach_[pc] = writes_x(in) ? 0 : after;
      }
    }
    constexpr std::uint64_t kUnreached = ~std::uint64_t{0};
    std::vector<std::uint64_t> in_known(n, kUnreached);
    in_known[0] = 0;
    for (std::size_t pc = 0; pc < n; ++pc) {
      if (in_known[pc] == kUnreached) continue;
      const BpfInsn& in = prog_[pc];
      ind_known_[pc] = in_known[pc];
      std::uint64_t out = in_known[pc];
      if (bounded_ind(pc)) out = std::max(out, ind_reach_[pc]);
      else if (writes_x(in)) out = 0;
      auto flow = [&](std::size_t to) { in_known[to] = std::min(in_known[to], out); };
      for_each_successor(pc, flow);
    }
    if (loads >= 2) fast_ = true;
  }
  // Before a bounded indirect load of `size` at X + k: the check of the captured length.
  void check_indirect(std::size_t pc, std::uint32_t k, std::uint16_t size) {
    const std::uint64_t end = std::uint64_t{k} + bytes_of(size);
    if (copy_ == 0) {
      if (end <= ind_known_[pc]) return;
      rm({0x8d}, rcx, kRegX, static_cast<std::int32_t>(ind_reach_[pc]), true);  // lea rcx, [r8 + reach]
      rr({0x39}, kCaplen, rcx, true);                                           // cmp rcx, rsi
      return jump(kCcA, static_cast<int>(prog_.size() + pc));                   // the checked copy
    }
    rm({0x8d}, rcx, kRegX, static_cast<std::int32_t>(end), true);  // lea rcx, [r8 + k + n]
    rr({0x39}, kCaplen, rcx, true);                                // cmp rcx, rsi
    jump(kCcA, fail_label());
  }

  bool raw_load(std::size_t pc) const { return std::binary_search(raw_load_.begin(), raw_load_.end(), pc); }

  // Whether X + k + size stays below 2^31 whatever X is at `pc`: the load's offset is X + k.
  bool ind_bounded(std::size_t pc, std::uint32_t k, std::uint16_t size) const {
    return xmax_[pc] < kXUnbounded && xmax_[pc] + k + bytes_of(size) <= 0x7fffffff;
  }

  // A load (ABS at a non-negative offset, or IND with a bounded X) followed by jeq/jset #k that
  // is not a jump target, where neither outcome reads A: compares the packet bytes with k in
  // packet byte order. Emits both and returns true, or returns false.
  bool fused(std::size_t pc) {
    if (backward_ || pc + 1 >= prog_.size() || target_[pc + 1]) return false;
    const BpfInsn& ld = prog_[pc];
    const BpfInsn& j = prog_[pc + 1];
    const std::uint16_t size = insn_size(ld.code), mode = insn_mode(ld.code);
    if (insn_class(ld.code) != kLd || (mode != kAbs && mode != kInd)) return false;
    if (mode == kAbs && std::uint64_t{ld.k} + bytes_of(size) > 0x7fffffff) return false;  // cmp rsi, imm32
    if (mode == kInd && !ind_bounded(pc, ld.k, size)) return false;
    if (j.code != (kJmp | kJeq | kK) && j.code != (kJmp | kJset | kK)) return false;
    const std::size_t t = pc + 2 + j.jt, f = pc + 2 + j.jf;
    if (t == f || a_live_[t] || a_live_[f]) return false;

    const std::uint32_t end = ld.k + bytes_of(size);
    if (mode == kAbs) {
      if (end > known_len(pc)) {
        alu_imm(7, kCaplen, end, true);  // cmp rsi, end
        jump(kCcB, fail_label());
      }
    } else {
      check_indirect(pc, ld.k, size);
    }
    auto address = [&](std::initializer_list<std::uint8_t> op, int reg) {
      if (mode == kAbs) rm(op, reg, kData, static_cast<std::int32_t>(ld.k));
      else rmid(op, reg, kData, kRegX, static_cast<std::int32_t>(ld.k));
    };
    const bool is_set = j.code == (kJmp | kJset | kK);
    const std::uint32_t mask = size == kW ? 0xffffffffu : size == kH ? 0xffffu : 0xffu;
    if (is_set ? (j.k & mask) == 0 : j.k > mask) {  // the outcome is known once the load succeeds
      goto_insn(pc + 1, f);
      return true;
    }
    const std::uint32_t v = j.k & mask;
    const std::uint32_t raw = size == kW ? std::byteswap(v) : size == kH ? (v >> 8 | (v & 0xff) << 8) : v;
    if (size == kH) {  // movzx then a 32-bit immediate: a 16-bit immediate would stall the decoder (LCP)
      address({0x0f, 0xb7}, kRegA);
      if (is_set) {
        b(0xa9);  // test eax, imm32
        d32(raw);
      } else {
        alu_imm(7, kRegA, raw);
      }
    } else if (size == kW) {
      if (is_set) {
        address({0xf7}, 0);  // test dword [..], imm32
        d32(raw);
      } else if (fits8(static_cast<std::int32_t>(raw))) {
        address({0x83}, 7);  // cmp dword [..], imm8
        b(static_cast<std::uint8_t>(raw));
      } else {
        address({0x81}, 7);  // cmp dword [..], imm32
        d32(raw);
      }
    } else {
      address({is_set ? std::uint8_t{0xf6} : std::uint8_t{0x80}}, is_set ? 0 : 7);  // test/cmp byte [..], imm8
      b(static_cast<std::uint8_t>(raw));
    }
    branch(pc + 1, t, f, is_set ? kCcNe : kCcE);
    return true;
  }

  // A conditional reading A in packet byte order (find_raw_chains).
  void raw_conditional(std::size_t pc, const BpfInsn& in) {
    const std::size_t t = pc + 1 + in.jt, f = pc + 1 + in.jf;
    const bool is_set = in.code == (kJmp | kJset | kK);
    const std::uint32_t mask = raw_[pc] == 4 ? 0xffffffffu : 0xffffu;
    if (is_set ? (in.k & mask) == 0 : in.k > mask) return goto_insn(pc, f);
    const std::uint32_t v = in.k & mask;
    const std::uint32_t raw = raw_[pc] == 4 ? std::byteswap(v) : (v >> 8 | (v & 0xff) << 8);
    if (is_set) {
      b(0xa9);  // test eax, imm32
      d32(raw);
    } else if (!fits8(static_cast<std::int32_t>(raw))) {
      b(0x3d);  // cmp eax, imm32
      d32(raw);
    } else {
      alu_imm(7, kRegA, raw);
    }
    branch(pc, t, f, is_set ? kCcNe : kCcE);
  }

  // ---- prologue and epilogue ----
  void prologue() {
    if (frame_) alu_imm(5, rsp, kFrameSize, true);  // sub rsp, 120
    if (zero_a_) xor_rr(kRegA, kRegA);
    if (uses_x_ && x_zero_) xor_rr(kRegX, kRegX);
    if (uses_ctx_) rr({0x89}, rcx, kCtx, true);  // mov r9, rcx
    if (uses_len_) mov_rr(kWireLen, rdx);
    if (backward_) xor_rr(kBackJumps, kBackJumps);
    // The interpreter starts with M[] zeroed; libpcap-rules programs may read before a store.
    for (std::uint32_t k = 0; k < kMemWords; ++k) {
      if ((mem_read_ & (1u << k)) == 0) continue;
      rm({0xc7}, 0, rsp, mem_disp(k));
      d32(0);
    }
  }
  void epilogue() {
    if (frame_) alu_imm(0, rsp, kFrameSize, true);  // add rsp, 120
    b(0xc3);
  }

  // ---- loads ----
  // dst = the big-endian value of `size` bytes at [rdi + rdx]; or X = 4 * (byte & 0xf).
  void load_at_rdx(std::uint16_t size, bool msh) {
    if (msh) {
      rmi({0x0f, 0xb6}, kRegX, kData, rdx);
      msh_fixup();
      return;
    }
    load_value(size, [&](std::initializer_list<std::uint8_t> op) { rmi(op, kRegA, kData, rdx); });
  }
  void load_at_const(std::uint32_t start, std::uint16_t size, bool msh) {
    auto disp = static_cast<std::int32_t>(start);
    if (msh) {
      rm({0x0f, 0xb6}, kRegX, kData, disp);
      msh_fixup();
      return;
    }
    load_value(size, [&](std::initializer_list<std::uint8_t> op) { rm(op, kRegA, kData, disp); });
  }
  template <class Address>
  void load_value(std::uint16_t size, Address address) {
    const bool raw = raw_load(pc_);  // left in packet byte order for a chain of comparisons
    if (size == kW) {
      address({0x8b});  // mov eax, [..]
      if (!raw) ops({0x0f, 0xc8});  // bswap eax
    } else if (size == kH) {
      address({0x0f, 0xb7});  // movzx eax, word [..]
      if (!raw) ops({0x66, 0xc1, 0xc0, 0x08});  // rol ax, 8
    } else {
      address({0x0f, 0xb6});  // movzx eax, byte [..]
    }
  }
  void msh_fixup() {
    alu_imm(4, kRegX, 0xf);
    shift_imm(4, kRegX, 2);
  }
  static std::uint32_t bytes_of(std::uint16_t size) { return size == kW ? 4 : size == kH ? 2 : 1; }

  // rdx = start (64 bit): go to `fail` (default: return 0) unless start + size <= caplen, then load.
  void checked_load_at_rdx(std::uint16_t size, bool msh, int fail = -1) {
    rm({0x8d}, rcx, rdx, static_cast<std::int32_t>(bytes_of(size)), true);  // lea rcx, [rdx + n]
    rr({0x39}, kCaplen, rcx, true);                                          // cmp rcx, rsi
    jump(kCcA, fail < 0 ? fail_label() : fail);
    load_at_rdx(size, msh);
  }
  // Returns 0 when the context asks for libpcap's userland meaning, where every load at a
  // negative offset is out of bounds.
  void fail_if_userspace() {
    rm({0x80}, 7, kCtx, static_cast<std::int32_t>(offsetof(BpfContext, userspace)));  // cmp byte [r9 + ..], 0
    b(0);
    jump(kCcNe, fail_label());
  }

  // A load at a constant offset k (ABS, MSH): the interpreter's locate() decided statically.
  void load_const_offset(std::uint32_t k, std::uint16_t size, bool msh) {
    std::uint64_t start;
    if (static_cast<std::int32_t>(k) >= 0) {
      start = k;
    } else if (k >= kNetOff) {
      fail_if_userspace();
      rm({0x8b}, rdx, kCtx, static_cast<std::int32_t>(offsetof(BpfContext, net_offset)));
      alu_imm(7, rdx, BpfContext::kNoOffset);
      jump(kCcE, fail_label());
      alu_imm(0, rdx, k - kNetOff, true);  // add rdx, k - SKF_NET_OFF
      checked_load_at_rdx(size, msh);
      return;
    } else if (k >= kLlOff) {
      fail_if_userspace();
      start = k - kLlOff;
    } else {
      jump(-1, fail_label());
      return;
    }
    std::uint64_t end = start + bytes_of(size);
    if (end <= known_len(pc_)) return load_at_const(static_cast<std::uint32_t>(start), size, msh);
    if (end <= 0x7fffffff) {
      alu_imm(7, kCaplen, static_cast<std::uint32_t>(end), true);  // cmp rsi, end
    } else {
      rex(true, 0, 0, rcx);
      b(0xb8 + rcx);
      d64(end);                         // mov rcx, end
      rr({0x39}, rcx, kCaplen, true);  // cmp rsi, rcx
    }
    jump(kCcB, fail_label());
    load_at_const(static_cast<std::uint32_t>(start), size, msh);
  }

  // LD IND: offset X + k. For k < 2^31 the sum is taken in 64 bits (X is zero-extended in r8),
  // which is libpcap's meaning; a sum whose low 32 bits are negative, or that is beyond the
  // packet, goes to cold code, where the kernel's meaning wraps it to 32 bits. For k >= 2^31
  // X + k >= 2^31 is beyond any packet for libpcap, and wraps for the kernel.
  void load_indirect(std::uint32_t k, std::uint16_t size) {
    if (ind_bounded(pc_, k, size)) {
      check_indirect(pc_, k, size);
      load_value(size, [&](std::initializer_list<std::uint8_t> op) {
        rmid(op, kRegA, kData, kRegX, static_cast<std::int32_t>(k));
      });
      return;
    }
    const bool negative_k = static_cast<std::int32_t>(k) < 0;
    if (negative_k) fail_if_userspace();
    if (k == 0) {
      mov_rr(rdx, kRegX);
    } else {
      rm({0x8d}, rdx, kRegX, static_cast<std::int32_t>(k), !negative_k);  // lea rdx, [r8 + k] (edx if k < 0)
    }
    ColdIndLoad c{new_label(), new_label(), k == 0 || negative_k ? -1 : new_label()};
    rr({0x85}, rdx, rdx);  // test edx, edx
    jump(kCcS, c.entry);
    bind(c.back);
    checked_load_at_rdx(size, false, c.wrap);
    cold_.push_back(c);
  }
  // edx holds a negative offset: rdx = SKF_NET_OFF/SKF_LL_OFF based start, or fail. For the
  // kernel only: under libpcap's meaning the 64-bit X + k is at least 2^31, beyond any packet.
  void cold_ind_load(const ColdIndLoad& c) {
    if (c.wrap >= 0) {
      // The 64-bit X + k is beyond the packet: the kernel retries with it wrapped to 32 bits.
      bind(c.wrap);
      fail_if_userspace();
      mov_rr(rcx, rdx);            // mov ecx, edx
      rr({0x39}, rdx, rcx, true);  // cmp rcx, rdx
      jump(kCcE, fail_label());    // it did not wrap: out of bounds for the kernel too
      mov_rr(rdx, rdx);            // mov edx, edx
      jump(-1, c.back);
    }
    bind(c.entry);
    fail_if_userspace();
    int ll = new_label();
    alu_imm(7, rdx, kNetOff);  // cmp edx, SKF_NET_OFF
    jump(kCcB, ll);
    rm({0x8b}, rcx, kCtx, static_cast<std::int32_t>(offsetof(BpfContext, net_offset)));
    alu_imm(7, rcx, BpfContext::kNoOffset);
    jump(kCcE, fail_label());
    alu_imm(5, rdx, kNetOff);    // sub edx, SKF_NET_OFF
    rr({0x01}, rcx, rdx, true);  // add rdx, rcx
    if (c.wrap >= 0) {
      // Beyond 2^32 is beyond the packet; fail here, or the wrap path would wrap it.
      mov_rr(rcx, rdx);            // mov ecx, edx
      rr({0x39}, rdx, rcx, true);  // cmp rcx, rdx
      jump(kCcNe, fail_label());
    }
    jump(-1, c.back);
    bind(ll);
    alu_imm(7, rdx, kLlOff);
    jump(kCcB, fail_label());
    alu_imm(5, rdx, kLlOff);
    jump(-1, c.back);
  }

  void ancillary(std::uint32_t off) {
    fail_if_userspace();
    auto field = [&](std::size_t offset, int width) {
      auto disp = static_cast<std::int32_t>(offset);
      if (width == 4) rm({0x8b}, kRegA, kCtx, disp);
      if (width == 2) rm({0x0f, 0xb7}, kRegA, kCtx, disp);
      if (width == 1) rm({0x0f, 0xb6}, kRegA, kCtx, disp);
    };
    switch (off) {
      case kAdProtocol: return field(offsetof(BpfContext, protocol), 2);
      case kAdPktType: return field(offsetof(BpfContext, pkttype), 4);
      case kAdIfIndex: return field(offsetof(BpfContext, ifindex), 4);
      case kAdMark: return field(offsetof(BpfContext, mark), 4);
      case kAdQueue: return field(offsetof(BpfContext, queue), 4);
      case kAdHaType: return field(offsetof(BpfContext, hatype), 4);
      case kAdRxHash: return field(offsetof(BpfContext, rxhash), 4);
      case kAdCpu: return field(offsetof(BpfContext, cpu), 4);
      case kAdVlanTag: return field(offsetof(BpfContext, vlan_tci), 2);
      case kAdVlanTagPresent: return field(offsetof(BpfContext, vlan_present), 1);
      case kAdPayOffset: return field(offsetof(BpfContext, pay_offset), 4);
      case kAdRandom: return field(offsetof(BpfContext, random), 4);
      case kAdVlanTpid: return field(offsetof(BpfContext, vlan_tpid), 2);
      case kAdAluXorX: return rr({0x31}, kRegX, kRegA);
      case kAdNlAttr:
      case kAdNlAttrNest: return call_nlattr(off);
      default: return jump(-1, fail_label());  // refused by validate_program
    }
  }
  void call_nlattr(std::uint32_t off) {
    for (std::size_t i = 0; i < std::size(kSavedRegs); ++i)
      rm({0x89}, kSavedRegs[i], rsp, kSaveBase + static_cast<std::int32_t>(8 * i), true);
    mov_rr(rdx, kRegA);
    mov_rr(rcx, kRegX);
    mov_imm(r8, off);
    rex(true, 0, 0, rax);
    b(0xb8);
    d64(reinterpret_cast<std::uintptr_t>(&pcapxx_jit_nlattr));  // mov rax, helper
    ops({0xff, 0xd0});                                           // call rax
    for (std::size_t i = 0; i < std::size(kSavedRegs); ++i)
      rm({0x8b}, kSavedRegs[i], rsp, kSaveBase + static_cast<std::int32_t>(8 * i), true);
  }

  // ---- ALU ----
  void divide(std::uint16_t op, bool by_x, std::uint32_t k) {
    if (!by_x) {
      if (k == 0) return xor_rr(kRegA, kRegA);  // refused by validate_program; the interpreter gives 0
      if (std::has_single_bit(k)) {
        if (op == kDiv) {
          if (k > 1) shift_imm(5, kRegA, static_cast<std::uint32_t>(std::countr_zero(k)));
        } else {
          alu_imm(4, kRegA, k - 1);
        }
        return;
      }
      mov_imm(rcx, k);
    } else {
      rr({0x85}, kRegX, kRegX);  // test r8d, r8d
      jump(kCcE, fail_label());
    }
    xor_rr(rdx, rdx);
    rr({0xf7}, 6, by_x ? kRegX : rcx);  // div
    if (op == kMod) mov_rr(kRegA, rdx);
  }
  void shift(int ext, bool by_x, std::uint32_t k) {
    if (!by_x) {
      if (k >= 32) return xor_rr(kRegA, kRegA);
      if (k > 0) shift_imm(ext, kRegA, k);
      return;
    }
    mov_rr(rcx, kRegX);
    rr({0xd3}, ext, kRegA);  // shl/shr eax, cl
    xor_rr(rdx, rdx);
    alu_imm(7, kRegX, 31);
    rr({0x0f, 0x47}, kRegA, rdx);  // cmova eax, edx: x >= 32 gives 0
  }
  void alu(const BpfInsn& in) {
    bool by_x = insn_src(in.code) == kX;
    std::uint16_t op = insn_op(in.code);
    auto plain = [&](int ext, std::uint8_t rr_op) {
      if (by_x) return rr({rr_op}, kRegX, kRegA);
      alu_imm(ext, kRegA, in.k);
    };
    switch (op) {
      case kAdd: return by_x || in.k != 0 ? plain(0, 0x01) : void();
      case kSub: return by_x || in.k != 0 ? plain(5, 0x29) : void();
      case kOr: return by_x || in.k != 0 ? plain(1, 0x09) : void();
      case kXor: return by_x || in.k != 0 ? plain(6, 0x31) : void();
      case kAnd: return plain(4, 0x21);
      case kMul:
        if (by_x) return rr({0x0f, 0xaf}, kRegA, kRegX);
        if (in.k == 0) return xor_rr(kRegA, kRegA);
        if (std::has_single_bit(in.k)) return shift(4, false, static_cast<std::uint32_t>(std::countr_zero(in.k)));
        if (fits8(static_cast<std::int32_t>(in.k))) {
          rr({0x6b}, kRegA, kRegA);
          return b(static_cast<std::uint8_t>(in.k));
        }
        rr({0x69}, kRegA, kRegA);
        return d32(in.k);
      case kDiv:
      case kMod: return divide(op, by_x, in.k);
      case kLsh: return shift(4, by_x, in.k);
      case kRsh: return shift(5, by_x, in.k);
      case kNeg: return rr({0xf7}, 3, kRegA);
      default: return jump(-1, fail_label());  // refused by validate_program
    }
  }

  // ---- jumps ----
  void conditional(std::size_t pc, const BpfInsn& in) {
    if (raw_[pc] != 0) return raw_conditional(pc, in);
    std::size_t t = pc + 1 + in.jt;
    std::size_t f = pc + 1 + in.jf;
    if (t == f) return goto_insn(pc, t);
    bool by_x = insn_src(in.code) == kX;
    int cc = kCcNe;
    switch (insn_op(in.code)) {
      case kJeq: cc = kCcE; break;
      case kJgt: cc = kCcA; break;
      case kJge: cc = kCcAe; break;
      case kJset: cc = kCcNe; break;
      default: return jump(-1, fail_label());  // refused by validate_program
    }
    if (insn_op(in.code) == kJset) {
      if (by_x) {
        rr({0x85}, kRegX, kRegA);  // test eax, r8d
      } else if (in.k <= 0xff) {
        b(0xa8);  // test al, imm8
        b(static_cast<std::uint8_t>(in.k));
      } else {
        b(0xa9);  // test eax, imm32
        d32(in.k);
      }
    } else if (by_x) {
      rr({0x39}, kRegX, kRegA);  // cmp eax, r8d
    } else if (in.k == 0 && cc == kCcE) {
      rr({0x85}, kRegA, kRegA);
    } else if (!fits8(static_cast<std::int32_t>(in.k))) {
      b(0x3d);  // cmp eax, imm32
      d32(in.k);
    } else {
      alu_imm(7, kRegA, in.k);
    }
    branch(pc, t, f, cc);
  }
  // The jumps of the conditional at `pc` once the flags hold its condition `cc`.
  void branch(std::size_t pc, std::size_t t, std::size_t f, int cc) {
    if (t == pc + 1) return jump(cc ^ 1, lab(f));
    jump(cc, lab(t));
    goto_insn(pc, f);
  }

  void insn(std::size_t pc) {
    const BpfInsn& in = prog_[pc];
    switch (in.code) {
      case kRet | kK:
        mov_imm(kRegA, in.k);
        return epilogue();
      case kRet | kA: return epilogue();

      case kLd | kW | kAbs:
      case kLd | kH | kAbs:
      case kLd | kB | kAbs:
        if (in.k >= kAdOff) return ancillary(in.k - kAdOff);
        return load_const_offset(in.k, insn_size(in.code), false);
      case kLd | kW | kInd:
      case kLd | kH | kInd:
      case kLd | kB | kInd: return load_indirect(in.k, insn_size(in.code));
      case kLdx | kB | kMsh: return load_const_offset(in.k, kB, true);
      case kLd | kW | kLen: return mov_rr(kRegA, kWireLen);
      case kLdx | kW | kLen: return mov_rr(kRegX, kWireLen);
      case kLd | kImm: return mov_imm(kRegA, in.k);
      case kLdx | kImm: return mov_imm(kRegX, in.k);
      case kLd | kMem: return rm({0x8b}, kRegA, rsp, mem_disp(in.k));
      case kLdx | kMem: return rm({0x8b}, kRegX, rsp, mem_disp(in.k));
      case kSt: return rm({0x89}, kRegA, rsp, mem_disp(in.k));
      case kStx: return rm({0x89}, kRegX, rsp, mem_disp(in.k));
      case kMisc | kTax: return mov_rr(kRegX, kRegA);
      case kMisc | kTxa: return mov_rr(kRegA, kRegX);

      case kJmp | kJa:
        if (in.k >= 0x80000000u) {
          // A libpcap-rules backward jump: bounded like the interpreter's.
          rr({0xff}, 0, kBackJumps);  // inc r11d
          alu_imm(7, kBackJumps, kBpfMaxBackwardJumps);
          jump(kCcA, fail_label());
          return jump(-1, lab(static_cast<std::uint32_t>(pc + 1) + in.k));
        }
        return goto_insn(pc, pc + 1 + in.k);
      default:
        if (insn_class(in.code) == kAlu) return alu(in);
        if (insn_class(in.code) == kJmp) return conditional(pc, in);
        return jump(-1, fail_label());  // refused by validate_program
    }
  }

  std::span<const BpfInsn> prog_;
  bool force_long_;
  bool backward_ = false;
  bool frame_ = false;
  std::uint16_t mem_read_ = 0;
  bool zero_a_ = true, uses_x_ = false, uses_ctx_ = false, uses_len_ = false;
  std::vector<std::uint64_t> checked_;  ///< per instruction: captured bytes every path to it has checked
  static constexpr std::uint64_t kXUnbounded = std::uint64_t{1} << 32;
  std::vector<bool> a_live_, x_live_, target_;  ///< per instruction: A, X read before written; jumped to
  std::vector<std::uint64_t> xmax_;             ///< per instruction: X's upper bound, or kXUnbounded
  bool x_zero_ = true;                          ///< X's initial zero may be read
  std::vector<std::uint8_t> raw_;               ///< per conditional: 2/4 when it reads A unswapped
  std::vector<std::size_t> raw_load_;           ///< the loads that leave A unswapped, sorted
  std::size_t pc_ = 0;
  int copy_ = 1;                ///< 0: the copy for packets of at least fast_len_ bytes; 1: checked
  std::uint64_t fast_len_ = 0;  ///< the fast copy's captured length check (0: none)
  bool fast_ = false;           ///< whether there is a fast copy
  std::vector<std::uint64_t> ind_reach_, ind_known_;  ///< see merge_indirect_checks()
  std::vector<std::uint8_t> out_;
  std::vector<Label>* labels_ = nullptr;
  int next_label_ = 0;
  std::vector<ColdIndLoad> cold_;
};

}  // namespace

std::vector<std::uint8_t> generate_x86_64(std::span<const BpfInsn> program) {
  std::vector<Label> labels(program.size() + 1);
  constexpr int kShrinkPasses = 16;
  for (int round = 0; round < 2; ++round) {
    // Round 0 shortens jumps; if it does not settle, round 1 keeps every forward jump rel32,
    // which settles on its second pass.
    Generator gen(program, round == 1);
    for (auto& l : labels) l.prev = -1;
    for (int i = 0; i < (round == 0 ? kShrinkPasses : 3); ++i) {
      std::vector<std::uint8_t> code = gen.pass(labels);
      bool settled = i > 0;
      for (Label& l : labels) {
        if (l.cur != l.prev) settled = false;
        l.prev = l.cur;
      }
      if (settled) return code;
    }
  }
  return {};  // unreachable: the rel32-only round settles on its second pass
}

}  // namespace pcapxx::detail
