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
// Encodings: Intel SDM volume 2 (REX, ModRM/SIB, opcode tables). Jumps are sized by repeated
// passes: the first pass makes every forward jump rel32, later passes shorten the ones whose
// target the previous pass placed within rel8 reach, until two passes place every label at the
// same address.
#include "filter/jit_x86_64.hpp"

#include <bit>
#include <cstddef>
#include <initializer_list>

namespace pcapxx::detail {

// SKF_AD_NLATTR(_NEST) for the generated code: runs that one load on the interpreter, so the
// netlink attribute walk exists once. Not per packet in any filter libpcap generates.
extern "C" std::uint32_t pcapxx_jit_nlattr(const std::byte* data, std::size_t caplen, std::uint32_t a,
                                           std::uint32_t x, std::uint32_t ancillary) noexcept {
  const BpfInsn load[] = {bpf::stmt(bpf::kLd | bpf::kImm, a), bpf::stmt(bpf::kLdx | bpf::kImm, x),
                          bpf::stmt(bpf::kLd | bpf::kW | bpf::kAbs, bpf::kAdOff + ancillary),
                          bpf::stmt(bpf::kRet | bpf::kA, 0)};
  return run_program(load, std::span(data, caplen), 0, BpfContext{});
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

// A load whose X + k offset came out negative continues in cold code after the main body.
struct ColdIndLoad {
  int entry;  // the cold code
  int back;   // where the bounds check resumes with rdx = start
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
  }

  // One pass over the program; `labels` carries addresses from the previous pass.
  std::vector<std::uint8_t> pass(std::vector<Label>& labels) {
    labels_ = &labels;
    out_.clear();
    cold_.clear();
    next_label_ = static_cast<int>(prog_.size()) + 1;
    for (Label& l : labels) l.cur = -1;
    out_.assign(kJitEntryOffset, 0xcc);
    prologue();
    for (std::size_t pc = 0; pc < prog_.size(); ++pc) {
      bind(static_cast<int>(pc));
      pc_ = pc;
      insn(pc);
    }
    bind(fail_label());
    xor_rr(kRegA, kRegA);
    epilogue();
    for (const ColdIndLoad& c : cold_) cold_ind_load(c);
    return out_;
  }

 private:
  int fail_label() const { return static_cast<int>(prog_.size()); }
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
    if (target != pc + 1) jump(-1, static_cast<int>(target));
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
                  (((cls == kLd && mode == kAbs) || (cls == kLdx && mode == kMsh)) && in.k >= kNetOff);
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
      if (cls == kRet) continue;
      if (in.code == (kJmp | kJa)) {
        flow(pc + 1 + in.k);
      } else if (cls == kJmp) {
        flow(pc + 1 + in.jt);
        flow(pc + 1 + in.jf);
      } else {
        flow(pc + 1);
      }
    }
    zero_a_ = !a_written;
    if (backward_) std::fill(checked_.begin(), checked_.end(), 0);
  }

  // ---- prologue and epilogue ----
  void prologue() {
    if (frame_) alu_imm(5, rsp, kFrameSize, true);  // sub rsp, 120
    if (zero_a_) xor_rr(kRegA, kRegA);
    if (uses_x_) xor_rr(kRegX, kRegX);
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
    if (size == kW) {
      address({0x8b});  // mov eax, [..]
      ops({0x0f, 0xc8});  // bswap eax
    } else if (size == kH) {
      address({0x0f, 0xb7});  // movzx eax, word [..]
      ops({0x66, 0xc1, 0xc0, 0x08});  // rol ax, 8
    } else {
      address({0x0f, 0xb6});  // movzx eax, byte [..]
    }
  }
  void msh_fixup() {
    alu_imm(4, kRegX, 0xf);
    shift_imm(4, kRegX, 2);
  }
  static std::uint32_t bytes_of(std::uint16_t size) { return size == kW ? 4 : size == kH ? 2 : 1; }

  // rdx = start (64 bit): fail unless start + size <= caplen, then load.
  void checked_load_at_rdx(std::uint16_t size, bool msh) {
    rm({0x8d}, rcx, rdx, static_cast<std::int32_t>(bytes_of(size)), true);  // lea rcx, [rdx + n]
    rr({0x39}, kCaplen, rcx, true);                                          // cmp rcx, rsi
    jump(kCcA, fail_label());
    load_at_rdx(size, msh);
  }

  // A load at a constant offset k (ABS, MSH): the interpreter's locate() decided statically.
  void load_const_offset(std::uint32_t k, std::uint16_t size, bool msh) {
    std::uint64_t start;
    if (static_cast<std::int32_t>(k) >= 0) {
      start = k;
    } else if (k >= kNetOff) {
      rm({0x8b}, rdx, kCtx, static_cast<std::int32_t>(offsetof(BpfContext, net_offset)));
      alu_imm(7, rdx, BpfContext::kNoOffset);
      jump(kCcE, fail_label());
      alu_imm(0, rdx, k - kNetOff, true);  // add rdx, k - SKF_NET_OFF
      checked_load_at_rdx(size, msh);
      return;
    } else if (k >= kLlOff) {
      start = k - kLlOff;
    } else {
      jump(-1, fail_label());
      return;
    }
    std::uint64_t end = start + bytes_of(size);
    if (end <= checked_[pc_]) return load_at_const(static_cast<std::uint32_t>(start), size, msh);
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

  // LD IND: offset X + k (32-bit wrap); negative offsets go to cold code.
  void load_indirect(std::uint32_t k, std::uint16_t size) {
    if (k == 0) {
      mov_rr(rdx, kRegX);
    } else {
      rm({0x8d}, rdx, kRegX, static_cast<std::int32_t>(k));  // lea edx, [r8 + k]
    }
    ColdIndLoad c{new_label(), new_label()};
    rr({0x85}, rdx, rdx);  // test edx, edx
    jump(kCcS, c.entry);
    bind(c.back);
    checked_load_at_rdx(size, false);
    cold_.push_back(c);
  }
  // edx holds a negative offset: rdx = SKF_NET_OFF/SKF_LL_OFF based start, or fail.
  void cold_ind_load(const ColdIndLoad& c) {
    bind(c.entry);
    int ll = new_label();
    alu_imm(7, rdx, kNetOff);  // cmp edx, SKF_NET_OFF
    jump(kCcB, ll);
    rm({0x8b}, rcx, kCtx, static_cast<std::int32_t>(offsetof(BpfContext, net_offset)));
    alu_imm(7, rcx, BpfContext::kNoOffset);
    jump(kCcE, fail_label());
    alu_imm(5, rdx, kNetOff);    // sub edx, SKF_NET_OFF
    rr({0x01}, rcx, rdx, true);  // add rdx, rcx
    jump(-1, c.back);
    bind(ll);
    alu_imm(7, rdx, kLlOff);
    jump(kCcB, fail_label());
    alu_imm(5, rdx, kLlOff);
    jump(-1, c.back);
  }

  void ancillary(std::uint32_t off) {
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
    if (t == pc + 1) return jump(cc ^ 1, static_cast<int>(f));
    jump(cc, static_cast<int>(t));
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
          return jump(-1, static_cast<int>(static_cast<std::uint32_t>(pc + 1) + in.k));
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
  std::size_t pc_ = 0;
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
