// The classic BPF interpreter with the semantics a Linux socket filter has (net/core/filter.c:
// bpf_convert_filter, bpf_skb_load_helper_*, bpf_internal_load_pointer_neg_helper and the
// SKF_AD_* loads). Per packet: no allocation, no lock, no system call.
#include <array>

#include "core/byte_order.hpp"
#include "pcapxx/bpf.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

// Where a load of `size` bytes at signed offset `offset` lands, or nullptr when it is outside
// the packet: non-negative offsets index the captured bytes; SKF_NET_OFF and SKF_LL_OFF based
// ones index from the network header or the start of the frame.
inline const std::byte* locate(std::span<const std::byte> packet, std::uint32_t offset,
                               std::uint32_t size, const BpfContext& ctx) noexcept {
  std::uint64_t start = 0;
  if (static_cast<std::int32_t>(offset) >= 0) {
    start = offset;
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

}  // namespace

std::uint32_t run_program(std::span<const BpfInsn> program, std::span<const std::byte> packet,
                          std::uint32_t wire_len, const BpfContext& ctx) noexcept {
  std::uint32_t a = 0;
  std::uint32_t x = 0;
  std::array<std::uint32_t, kMemWords> mem{};
  const BpfInsn* insns = program.data();
  std::uint32_t backward_jumps = 0;
  for (std::uint32_t pc = 0;; ++pc) {
    const BpfInsn& in = insns[pc];
    switch (in.code) {
      case kRet | kK: return in.k;
      case kRet | kA: return a;

      case kLd | kW | kAbs:
      case kLd | kH | kAbs:
      case kLd | kB | kAbs:
        if (in.k >= kAdOff) {
          switch (in.k - kAdOff) {
            case kAdProtocol: a = ctx.protocol; break;
            case kAdPktType: a = ctx.pkttype; break;
            case kAdIfIndex: a = ctx.ifindex; break;
            case kAdNlAttr: a = nlattr(packet, a, x); break;
            case kAdNlAttrNest: a = nlattr_nest(packet, a, x); break;
            case kAdMark: a = ctx.mark; break;
            case kAdQueue: a = ctx.queue; break;
            case kAdHaType: a = ctx.hatype; break;
            case kAdRxHash: a = ctx.rxhash; break;
            case kAdCpu: a = ctx.cpu; break;
            case kAdAluXorX: a ^= x; break;
            case kAdVlanTag: a = ctx.vlan_tci; break;
            case kAdVlanTagPresent: a = ctx.vlan_present ? 1 : 0; break;
            case kAdPayOffset: a = ctx.pay_offset; break;
            case kAdRandom: a = ctx.random; break;
            case kAdVlanTpid: a = ctx.vlan_tpid; break;
            default: return 0;  // refused by validate_program
          }
          break;
        }
        [[fallthrough]];
      case kLd | kW | kInd:
      case kLd | kH | kInd:
      case kLd | kB | kInd: {
        std::uint32_t offset = insn_mode(in.code) == kInd ? x + in.k : in.k;
        std::uint16_t size = insn_size(in.code);
        std::uint32_t bytes = size == kW ? 4 : size == kH ? 2 : 1;
        const std::byte* p = locate(packet, offset, bytes, ctx);
        if (p == nullptr) return 0;
        a = size == kW ? detail::load_be32(p) : size == kH ? detail::load_be16(p)
                                                           : std::to_integer<std::uint32_t>(*p);
        break;
      }
      case kLd | kW | kLen: a = wire_len; break;
      case kLdx | kW | kLen: x = wire_len; break;
      case kLd | kImm: a = in.k; break;
      case kLdx | kImm: x = in.k; break;
      case kLd | kMem: a = mem[in.k & (kMemWords - 1)]; break;
      case kLdx | kMem: x = mem[in.k & (kMemWords - 1)]; break;
      case kLdx | kB | kMsh: {
        const std::byte* p = locate(packet, in.k, 1, ctx);
        if (p == nullptr) return 0;
        x = (std::to_integer<std::uint32_t>(*p) & 0xf) << 2;
        break;
      }
      case kSt: mem[in.k & (kMemWords - 1)] = a; break;
      case kStx: mem[in.k & (kMemWords - 1)] = x; break;

      case kAlu | kAdd | kK: a += in.k; break;
      case kAlu | kAdd | kX: a += x; break;
      case kAlu | kSub | kK: a -= in.k; break;
      case kAlu | kSub | kX: a -= x; break;
      case kAlu | kMul | kK: a *= in.k; break;
      case kAlu | kMul | kX: a *= x; break;
      case kAlu | kDiv | kK: a = in.k == 0 ? 0 : a / in.k; break;
      case kAlu | kDiv | kX:
        if (x == 0) return 0;
        a /= x;
        break;
      case kAlu | kMod | kK: a = in.k == 0 ? 0 : a % in.k; break;
      case kAlu | kMod | kX:
        if (x == 0) return 0;
        a %= x;
        break;
      case kAlu | kAnd | kK: a &= in.k; break;
      case kAlu | kAnd | kX: a &= x; break;
      case kAlu | kOr | kK: a |= in.k; break;
      case kAlu | kOr | kX: a |= x; break;
      case kAlu | kXor | kK: a ^= in.k; break;
      case kAlu | kXor | kX: a ^= x; break;
      case kAlu | kLsh | kK: a = in.k < 32 ? a << in.k : 0; break;
      case kAlu | kLsh | kX: a = x < 32 ? a << x : 0; break;
      case kAlu | kRsh | kK: a = in.k < 32 ? a >> in.k : 0; break;
      case kAlu | kRsh | kX: a = x < 32 ? a >> x : 0; break;
      case kAlu | kNeg: a = 0u - a; break;

      case kMisc | kTax: x = a; break;
      case kMisc | kTxa: a = x; break;

      case kJmp | kJa:
        // Only BpfRules::libpcap programs jump backward (k wraps around); bound the loop.
        if (in.k >= 0x80000000u && ++backward_jumps > kBpfMaxBackwardJumps) return 0;
        pc += in.k;
        break;
      case kJmp | kJeq | kK: pc += a == in.k ? in.jt : in.jf; break;
      case kJmp | kJeq | kX: pc += a == x ? in.jt : in.jf; break;
      case kJmp | kJgt | kK: pc += a > in.k ? in.jt : in.jf; break;
      case kJmp | kJgt | kX: pc += a > x ? in.jt : in.jf; break;
      case kJmp | kJge | kK: pc += a >= in.k ? in.jt : in.jf; break;
      case kJmp | kJge | kX: pc += a >= x ? in.jt : in.jf; break;
      case kJmp | kJset | kK: pc += (a & in.k) != 0 ? in.jt : in.jf; break;
      case kJmp | kJset | kX: pc += (a & x) != 0 ? in.jt : in.jf; break;

      default: return 0;  // refused by validate_program
    }
  }
}

}  // namespace pcapxx
