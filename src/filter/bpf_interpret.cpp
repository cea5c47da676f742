// The classic BPF interpreter, with two meanings for the loads a packet's bytes do not answer
// (BpfContext::userspace):
//   - userspace (the default): libpcap's userland bpf_filter, what `tcpdump -r` runs. Every
//     negative offset is out of bounds and an indexed load adds X + k without wrapping, so
//     `ether[0xfffff000]`, `ether[0xffe00000]` or `tcp[0xfffffff0]` ([x + -2]) reject.
//   - kernel: a Linux socket filter (net/core/filter.c: bpf_convert_filter,
//     bpf_skb_load_helper_*, bpf_internal_load_pointer_neg_helper and the SKF_AD_* loads):
//     X + k wraps in 32 bits, SKF_AD_OFF loads read the context, SKF_NET_OFF / SKF_LL_OFF
//     ones index from the network header or the frame's start.
// Both check an in-bounds load of captured bytes the same way, so the common path is shared.
// Per packet: no allocation, no lock, no system call. The JIT mirrors this interpreter.
#include <array>

#include "core/byte_order.hpp"
#include "pcapxx/bpf.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

// Where a load of `size` bytes at signed offset `offset` lands, or nullptr when it is outside
// the packet: non-negative offsets index the captured bytes; for the kernel's meaning,
// SKF_NET_OFF and SKF_LL_OFF based ones index from the network header or the frame's start.
inline const std::byte* locate(std::span<const std::byte> packet, std::uint32_t offset,
                               std::uint32_t size, const BpfContext& ctx) noexcept {
  std::uint64_t start = 0;
  if (static_cast<std::int32_t>(offset) >= 0) {
    start = offset;
  } else if (ctx.userspace) {
    return nullptr;  // libpcap's userland: every negative offset is out of bounds
  } else if (offset >= kNetOff) {
    if (ctx.net_offset == BpfContext::kNoOffset) return nullptr;
    start = std::uint64_t{ctx.net_offset} + (offset - kNetOff);
  } else if (offset >= kLlOff) {
    start = offset - kLlOff;
  } else {
    return nullptr;
  }
  if (start + size > packet.size()) return nullptr;
  return packet.data() + start;
}

// Finds netlink attribute `type` in the attribute stream [begin, begin + length) of `packet`
// (nla_find: host byte order, 4-byte alignment, the top two type bits are flags) and returns
// its offset from the packet start, or 0.
std::uint32_t find_nlattr(std::span<const std::byte> packet, std::uint64_t begin,
                          std::uint64_t length, std::uint32_t type) noexcept {
  constexpr std::uint64_t kHeader = 4;
  std::uint64_t pos = begin;
  std::uint64_t remaining = length;
  while (remaining >= kHeader) {
    std::uint16_t nla_len = detail::load_raw<std::uint16_t>(packet.data() + pos);
    std::uint16_t nla_type = detail::load_raw<std::uint16_t>(packet.data() + pos + 2);
    if (nla_len < kHeader || nla_len > remaining) break;
    if ((nla_type & 0x3fff) == type) return static_cast<std::uint32_t>(pos);
    std::uint64_t step = (std::uint64_t{nla_len} + 3) & ~std::uint64_t{3};
    if (step >= remaining) break;
    pos += step;
    remaining -= step;
  }
  return 0;
}

// SKF_AD_NLATTR: A = offset of attribute X in the stream starting at A (__skb_get_nlattr).
std::uint32_t nlattr(std::span<const std::byte> packet, std::uint32_t a, std::uint32_t x) noexcept {
  std::uint64_t len = packet.size();
  if (len < 4 || a > len - 4) return 0;
  return find_nlattr(packet, a, len - a, x);
}

// SKF_AD_NLATTR_NEST: the same inside the nested attribute at A (__skb_get_nlattr_nest).
std::uint32_t nlattr_nest(std::span<const std::byte> packet, std::uint32_t a, std::uint32_t x) noexcept {
  std::uint64_t len = packet.size();
  if (len < 4 || a > len - 4) return 0;
  std::uint16_t nla_len = detail::load_raw<std::uint16_t>(packet.data() + a);
  if (nla_len > len - a) return 0;
  if (nla_len < 4) return 0;
  return find_nlattr(packet, std::uint64_t{a} + 4, nla_len - 4u, x);
}

// The loads that are not a plain read of the captured bytes: ancillary data (SKF_AD_*) and
// offsets based at SKF_NET_OFF / SKF_LL_OFF. Returns the new A, or kRejectLoad when the load
// rejects the packet. Out of line and by value so the loop keeps A and X in registers.
constexpr std::uint64_t kRejectLoad = std::uint64_t{1} << 32;
[[gnu::noinline]] std::uint64_t load_special(const BpfInsn& in, std::uint32_t offset, std::span<const std::byte> packet,
                                             const BpfContext& ctx, std::uint32_t a, std::uint32_t x) noexcept {
  // libpcap's bpf_filter: the in-bounds loads took the fast path; everything else rejects.
  if (ctx.userspace) return kRejectLoad;
  if (insn_mode(in.code) == kAbs && offset >= kAdOff) {
    switch (offset - kAdOff) {
      case kAdProtocol: return ctx.protocol;
      case kAdPktType: return ctx.pkttype;
      case kAdIfIndex: return ctx.ifindex;
      case kAdNlAttr: return nlattr(packet, a, x);
      case kAdNlAttrNest: return nlattr_nest(packet, a, x);
      case kAdMark: return ctx.mark;
      case kAdQueue: return ctx.queue;
      case kAdHaType: return ctx.hatype;
      case kAdRxHash: return ctx.rxhash;
      case kAdCpu: return ctx.cpu;
      case kAdAluXorX: return a ^ x;
      case kAdVlanTag: return ctx.vlan_tci;
      case kAdVlanTagPresent: return ctx.vlan_present ? 1 : 0;
      case kAdPayOffset: return ctx.pay_offset;
      case kAdRandom: return ctx.random;
      case kAdVlanTpid: return ctx.vlan_tpid;
      default: return kRejectLoad;  // refused by validate_program
    }
  }
  std::uint16_t size = insn_size(in.code);
  std::uint32_t bytes = size == kW ? 4 : size == kH ? 2 : 1;
  const std::byte* p = locate(packet, offset, bytes, ctx);
  if (p == nullptr) return kRejectLoad;
  return size == kW ? detail::load_be32(p) : size == kH ? detail::load_be16(p) : std::to_integer<std::uint32_t>(*p);
}

// The handlers of the interpreter, in the order of its label table.
enum Handler : std::uint8_t {
  kOpBad, kOpRetK, kOpRetA, kOpLdWAbs, kOpLdHAbs, kOpLdBAbs, kOpLdWInd, kOpLdHInd, kOpLdBInd,
  kOpLdLen, kOpLdxLen, kOpLdImm, kOpLdxImm, kOpLdMem, kOpLdxMem, kOpLdxMsh, kOpSt, kOpStx,
  kOpAddK, kOpAddX, kOpSubK, kOpSubX, kOpMulK, kOpMulX, kOpDivK, kOpDivX, kOpModK, kOpModX,
  kOpAndK, kOpAndX, kOpOrK, kOpOrX, kOpXorK, kOpXorX, kOpLshK, kOpLshX, kOpRshK, kOpRshX,
  kOpNeg, kOpTax, kOpTxa, kOpJa, kOpJeqK, kOpJeqX, kOpJgtK, kOpJgtX, kOpJgeK, kOpJgeX,
  kOpJsetK, kOpJsetX, kOpCount
};

// Opcode -> handler; every opcode validate_program refuses maps to kOpBad.
constexpr std::array<std::uint8_t, 256> kHandlerOf = [] {
  std::array<std::uint8_t, 256> t{};
  t[kRet | kK] = kOpRetK;
  t[kRet | kA] = kOpRetA;
  t[kLd | kW | kAbs] = kOpLdWAbs;
  t[kLd | kH | kAbs] = kOpLdHAbs;
  t[kLd | kB | kAbs] = kOpLdBAbs;
  t[kLd | kW | kInd] = kOpLdWInd;
  t[kLd | kH | kInd] = kOpLdHInd;
  t[kLd | kB | kInd] = kOpLdBInd;
  t[kLd | kW | kLen] = kOpLdLen;
  t[kLdx | kW | kLen] = kOpLdxLen;
  t[kLd | kImm] = kOpLdImm;
  t[kLdx | kImm] = kOpLdxImm;
  t[kLd | kMem] = kOpLdMem;
  t[kLdx | kMem] = kOpLdxMem;
  t[kLdx | kB | kMsh] = kOpLdxMsh;
  t[kSt] = kOpSt;
  t[kStx] = kOpStx;
  t[kAlu | kAdd | kK] = kOpAddK;
  t[kAlu | kAdd | kX] = kOpAddX;
  t[kAlu | kSub | kK] = kOpSubK;
  t[kAlu | kSub | kX] = kOpSubX;
  t[kAlu | kMul | kK] = kOpMulK;
  t[kAlu | kMul | kX] = kOpMulX;
  t[kAlu | kDiv | kK] = kOpDivK;
  t[kAlu | kDiv | kX] = kOpDivX;
  t[kAlu | kMod | kK] = kOpModK;
  t[kAlu | kMod | kX] = kOpModX;
  t[kAlu | kAnd | kK] = kOpAndK;
  t[kAlu | kAnd | kX] = kOpAndX;
  t[kAlu | kOr | kK] = kOpOrK;
  t[kAlu | kOr | kX] = kOpOrX;
  t[kAlu | kXor | kK] = kOpXorK;
  t[kAlu | kXor | kX] = kOpXorX;
  t[kAlu | kLsh | kK] = kOpLshK;
  t[kAlu | kLsh | kX] = kOpLshX;
  t[kAlu | kRsh | kK] = kOpRshK;
  t[kAlu | kRsh | kX] = kOpRshX;
  t[kAlu | kNeg] = kOpNeg;
  t[kMisc | kTax] = kOpTax;
  t[kMisc | kTxa] = kOpTxa;
  t[kJmp | kJa] = kOpJa;
  t[kJmp | kJeq | kK] = kOpJeqK;
  t[kJmp | kJeq | kX] = kOpJeqX;
  t[kJmp | kJgt | kK] = kOpJgtK;
  t[kJmp | kJgt | kX] = kOpJgtX;
  t[kJmp | kJge | kK] = kOpJgeK;
  t[kJmp | kJge | kX] = kOpJgeX;
  t[kJmp | kJset | kK] = kOpJsetK;
  t[kJmp | kJset | kX] = kOpJsetX;
  return t;
}();

}  // namespace

// Labels as values and computed goto are a GNU extension that GCC and clang both have.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#ifdef __clang__
#pragma clang diagnostic ignored "-Wgnu-label-as-value"
#endif
// A direct-threaded loop (GCC's labels as values): every handler ends with its own indirect
// jump to the next one, which the branch predictor learns per handler; the common loads of
// captured bytes check bounds once with 64-bit arithmetic and leave the rest to load_special.
std::uint32_t run_program(std::span<const BpfInsn> program, std::span<const std::byte> packet,
                          std::uint32_t wire_len, const BpfContext& ctx) noexcept {
  static const void* const kLabels[kOpCount] = {
      &&op_bad,   &&op_ret_k,  &&op_ret_a,  &&op_ld_w_abs,
      &&op_ld_h_abs, &&op_ld_b_abs, &&op_ld_w_ind,
      &&op_ld_h_ind, &&op_ld_b_ind, &&op_ld_len,
      &&op_ldx_len, &&op_ld_imm, &&op_ldx_imm,
      &&op_ld_mem, &&op_ldx_mem, &&op_ldx_msh, &&op_st,
      &&op_stx,   &&op_add_k,  &&op_add_x,  &&op_sub_k,
      &&op_sub_x, &&op_mul_k,  &&op_mul_x,  &&op_div_k,
      &&op_div_x, &&op_mod_k,  &&op_mod_x,  &&op_and_k,
      &&op_and_x, &&op_or_k,   &&op_or_x,   &&op_xor_k,
      &&op_xor_x, &&op_lsh_k,  &&op_lsh_x,  &&op_rsh_k,
      &&op_rsh_x, &&op_neg,    &&op_tax,    &&op_txa,
      &&op_ja,    &&op_jeq_k,  &&op_jeq_x,  &&op_jgt_k,
      &&op_jgt_x, &&op_jge_k,  &&op_jge_x,  &&op_jset_k,
      &&op_jset_x,
  };
  std::uint32_t a = 0;
  std::uint32_t x = 0;
  std::uint32_t offset = 0;
  std::uint64_t special = 0;
  // Zeroed: programs that pass only BpfRules::libpcap may read a cell before storing to it.
  std::array<std::uint32_t, kMemWords> mem{};
  const BpfInsn* in = program.data();
  const std::byte* data = packet.data();
  const std::uint64_t caplen = packet.size();
  std::uint32_t backward_jumps = 0;

// Opcodes above 0xff are all invalid; they go to op_bad like the invalid ones below.
#define PCAPXX_BPF_DISPATCH() goto* kLabels[in->code < 256 ? kHandlerOf[in->code] : std::uint8_t{kOpBad}]
#define PCAPXX_BPF_NEXT() \
  do {                    \
    ++in;                 \
    PCAPXX_BPF_DISPATCH(); \
  } while (0)
#define PCAPXX_BPF_LOAD(bytes, expr_at)                                               \
  if (static_cast<std::int32_t>(offset) >= 0 && std::uint64_t{offset} + (bytes) <= caplen) { \
    a = (expr_at);                                                                    \
    PCAPXX_BPF_NEXT();                                                                \
  }                                                                                   \
  goto load_special_path

  PCAPXX_BPF_DISPATCH();

op_bad:
  return 0;  // refused by validate_program
op_ret_k:
  return in->k;
op_ret_a:
  return a;
op_ld_w_abs:
  offset = in->k;
  PCAPXX_BPF_LOAD(4, detail::load_be32(data + offset));
op_ld_h_abs:
  offset = in->k;
  PCAPXX_BPF_LOAD(2, detail::load_be16(data + offset));
op_ld_b_abs:
  offset = in->k;
  PCAPXX_BPF_LOAD(1, std::to_integer<std::uint32_t>(data[offset]));
// Indexed loads: an X + k that wraps past 2^32, or any load the fast check refuses, goes to
// load_special, which rejects it (userspace) or gives it the kernel's 32-bit meaning.
op_ld_w_ind:
  offset = x + in->k;
  if (offset < x) goto load_special_path;
  PCAPXX_BPF_LOAD(4, detail::load_be32(data + offset));
op_ld_h_ind:
  offset = x + in->k;
  if (offset < x) goto load_special_path;
  PCAPXX_BPF_LOAD(2, detail::load_be16(data + offset));
op_ld_b_ind:
  offset = x + in->k;
  if (offset < x) goto load_special_path;
  PCAPXX_BPF_LOAD(1, std::to_integer<std::uint32_t>(data[offset]));
load_special_path:
  special = load_special(*in, offset, packet, ctx, a, x);
  if (special == kRejectLoad) return 0;
  a = static_cast<std::uint32_t>(special);
  PCAPXX_BPF_NEXT();
op_ld_len:
  a = wire_len;
  PCAPXX_BPF_NEXT();
op_ldx_len:
  x = wire_len;
  PCAPXX_BPF_NEXT();
op_ld_imm:
  a = in->k;
  PCAPXX_BPF_NEXT();
op_ldx_imm:
  x = in->k;
  PCAPXX_BPF_NEXT();
op_ld_mem:
  a = mem[in->k & (kMemWords - 1)];
  PCAPXX_BPF_NEXT();
op_ldx_mem:
  x = mem[in->k & (kMemWords - 1)];
  PCAPXX_BPF_NEXT();
op_ldx_msh:
  if (static_cast<std::int32_t>(in->k) >= 0 && std::uint64_t{in->k} < caplen) {
    x = (std::to_integer<std::uint32_t>(data[in->k]) & 0xf) << 2;
    PCAPXX_BPF_NEXT();
  }
  if (const std::byte* p = locate(packet, in->k, 1, ctx); p != nullptr) {
    x = (std::to_integer<std::uint32_t>(*p) & 0xf) << 2;
    PCAPXX_BPF_NEXT();
  }
  return 0;
op_st:
  mem[in->k & (kMemWords - 1)] = a;
  PCAPXX_BPF_NEXT();
op_stx:
  mem[in->k & (kMemWords - 1)] = x;
  PCAPXX_BPF_NEXT();
op_add_k:
  a += in->k;
  PCAPXX_BPF_NEXT();
op_add_x:
  a += x;
  PCAPXX_BPF_NEXT();
op_sub_k:
  a -= in->k;
  PCAPXX_BPF_NEXT();
op_sub_x:
  a -= x;
  PCAPXX_BPF_NEXT();
op_mul_k:
  a *= in->k;
  PCAPXX_BPF_NEXT();
op_mul_x:
  a *= x;
  PCAPXX_BPF_NEXT();
op_div_k:
  a = in->k == 0 ? 0 : a / in->k;
  PCAPXX_BPF_NEXT();
op_div_x:
  if (x == 0) return 0;
  a /= x;
  PCAPXX_BPF_NEXT();
op_mod_k:
  a = in->k == 0 ? 0 : a % in->k;
  PCAPXX_BPF_NEXT();
op_mod_x:
  if (x == 0) return 0;
  a %= x;
  PCAPXX_BPF_NEXT();
op_and_k:
  a &= in->k;
  PCAPXX_BPF_NEXT();
op_and_x:
  a &= x;
  PCAPXX_BPF_NEXT();
op_or_k:
  a |= in->k;
  PCAPXX_BPF_NEXT();
op_or_x:
  a |= x;
  PCAPXX_BPF_NEXT();
op_xor_k:
  a ^= in->k;
  PCAPXX_BPF_NEXT();
op_xor_x:
  a ^= x;
  PCAPXX_BPF_NEXT();
op_lsh_k:
  a = in->k < 32 ? a << in->k : 0;
  PCAPXX_BPF_NEXT();
op_lsh_x:
  a = x < 32 ? a << x : 0;
  PCAPXX_BPF_NEXT();
op_rsh_k:
  a = in->k < 32 ? a >> in->k : 0;
  PCAPXX_BPF_NEXT();
op_rsh_x:
  a = x < 32 ? a >> x : 0;
  PCAPXX_BPF_NEXT();
op_neg:
  a = 0u - a;
  PCAPXX_BPF_NEXT();
op_tax:
  x = a;
  PCAPXX_BPF_NEXT();
op_txa:
  a = x;
  PCAPXX_BPF_NEXT();
op_ja:
  // Only BpfRules::libpcap programs jump backward (k wraps around); bound the loop.
  if (in->k >= 0x80000000u && ++backward_jumps > kBpfMaxBackwardJumps) return 0;
  in += static_cast<std::int32_t>(in->k);  // a 32-bit signed displacement
  PCAPXX_BPF_NEXT();
op_jeq_k:
  in += a == in->k ? in->jt : in->jf;
  PCAPXX_BPF_NEXT();
op_jeq_x:
  in += a == x ? in->jt : in->jf;
  PCAPXX_BPF_NEXT();
op_jgt_k:
  in += a > in->k ? in->jt : in->jf;
  PCAPXX_BPF_NEXT();
op_jgt_x:
  in += a > x ? in->jt : in->jf;
  PCAPXX_BPF_NEXT();
op_jge_k:
  in += a >= in->k ? in->jt : in->jf;
  PCAPXX_BPF_NEXT();
op_jge_x:
  in += a >= x ? in->jt : in->jf;
  PCAPXX_BPF_NEXT();
op_jset_k:
  in += (a & in->k) != 0 ? in->jt : in->jf;
  PCAPXX_BPF_NEXT();
op_jset_x:
  in += (a & x) != 0 ? in->jt : in->jf;
  PCAPXX_BPF_NEXT();
#undef PCAPXX_BPF_LOAD
#undef PCAPXX_BPF_NEXT
#undef PCAPXX_BPF_DISPATCH
}
#pragma GCC diagnostic pop

}  // namespace pcapxx
