// What the kernel runs for a capture filter (plan_kernel_filter, capture.hpp). Pure functions
// over programs: no socket here.
//
// Kernel facts (net/packet/af_packet.c packet_rcv/tpacket_rcv; net/core/filter.c
// convert_bpf_extensions; Documentation/networking/filter.rst):
//   - on a SOCK_DGRAM (cooked) packet socket the filter runs on the packet from the network
//     header on; the cooked header is built afterwards from sockaddr_ll;
//   - an SKF_AD_OFF + SKF_AD_* load gives the whole value whatever its size (B, H or W):
//     PROTOCOL is skb->protocol in host order, PKTTYPE skb->pkt_type (0..7), HATYPE the
//     device's ARPHRD type, IFINDEX the device's index (the same device as sll_ifindex);
//   - the outer VLAN tag is out of the packet bytes (skb vlan_tci) when the filter runs, and
//     SKF_AD_VLAN_TAG_PRESENT says whether there was one.
// Layouts: LINKTYPE_LINUX_SLL (16 bytes: packet type 0-1, ARPHRD 2-3, address length 4-5,
// address 6-13, protocol 14-15) and LINKTYPE_LINUX_SLL2 (20 bytes: protocol 0-1, reserved 2-3,
// interface index 4-7, ARPHRD 8-9, packet type 10, address length 11, address 12-19), from
// https://www.tcpdump.org/linktypes/.
#include <algorithm>
#include <array>
#include <optional>

#include <fmt/format.h>

#include "pcapxx/capture.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

// A cooked header field a load may read, and what the kernel offers for it instead.
struct CookedField {
  std::uint32_t offset;
  std::uint16_t size;       // kB, kH or kW
  std::uint32_t ancillary;  // SKF_AD_*
};

// A 1-byte load of the low byte of SLL's 16-bit packet type is the packet type too: the
// kernel's values are below 8.
constexpr std::array kSllFields = {CookedField{0, kH, kAdPktType}, CookedField{1, kB, kAdPktType},
                                   CookedField{2, kH, kAdHaType}, CookedField{14, kH, kAdProtocol}};
constexpr std::array kSll2Fields = {CookedField{0, kH, kAdProtocol}, CookedField{4, kW, kAdIfIndex},
                                    CookedField{8, kH, kAdHaType}, CookedField{10, kB, kAdPktType}};

constexpr std::uint32_t kSllLength = 16;
constexpr std::uint32_t kSll2Length = 20;

bool special_offset(std::uint32_t k) noexcept { return k >= kLlOff; }  // SKF_LL_OFF, SKF_NET_OFF, SKF_AD_OFF

std::uint32_t load_bytes(std::uint16_t size) noexcept { return size == kW ? 4 : size == kH ? 2 : 1; }

// Rewrites one instruction of a cooked program for the kernel's view; an error says why it
// cannot be.
std::optional<std::string> translate(BpfInsn& in, std::size_t pc, std::uint32_t header,
                                     std::span<const CookedField> fields) {
  const std::uint16_t cls = insn_class(in.code);
  const std::uint16_t mode = insn_mode(in.code);
  if (cls == kLd && mode == kAbs) {
    if (special_offset(in.k)) return std::nullopt;  // already relative to what the kernel sees
    if (in.k >= header) {
      in.k -= header;
      return std::nullopt;
    }
    const std::uint16_t size = insn_size(in.code);
    for (const auto& f : fields) {
      if (f.offset == in.k && f.size == size) {
        in.k = kAdOff + f.ancillary;
        return std::nullopt;
      }
    }
    return fmt::format("instruction {} loads {} byte(s) at {} of the cooked header, which the kernel's "
                       "filter does not see", pc, load_bytes(size), in.k);
  }
  if ((cls == kLd && mode == kInd) || (cls == kLdx && mode == kMsh)) {
    // [x + k] with k past the header reads the same byte header bytes earlier; with a
    // smaller k the place depends on x.
    if (in.k >= header && !special_offset(in.k)) {
      in.k -= header;
      return std::nullopt;
    }
    return fmt::format("instruction {} loads at an offset of {} into the cooked header", pc, in.k);
  }
  if ((cls == kLd || cls == kLdx) && mode == kLen) {
    return fmt::format("instruction {} loads the packet length, which the kernel counts without "
                       "the cooked header", pc);
  }
  return std::nullopt;
}

bool is_vlan_tpid(std::uint32_t k) noexcept { return k == 0x8100 || k == 0x88a8 || k == 0x9100; }

// Whether the program compares the frame's link-type field (a 2-byte load at `field`) with a
// VLAN TPID: it then tests tags in the frame, which the kernel's filter does not see. A
// forward dataflow over A, X and the scratch cells ("may hold that field") that follows every
// jump, since the optimizer keeps a loaded value across tests.
bool tests_vlan_tags(std::span<const BpfInsn> program, std::uint32_t field) {
  struct State {
    bool a = false, x = false;
    std::uint16_t mem = 0;
    bool reached = false;
  };
  std::vector<State> in(program.size() + 1);
  if (program.empty()) return false;
  in[0].reached = true;
  auto flow = [&](std::size_t to, const State& s) {
    if (to >= in.size()) return;
    State& d = in[to];
    d.a |= s.a;
    d.x |= s.x;
    d.mem |= s.mem;
    d.reached = true;
  };
  for (std::size_t pc = 0; pc < program.size(); ++pc) {
    State s = in[pc];
    if (!s.reached) continue;
    const BpfInsn& i = program[pc];
    const std::uint16_t cls = insn_class(i.code);
    switch (cls) {
      case kLd:
        if (insn_mode(i.code) == kMem) s.a = i.k < 16 && ((s.mem >> i.k) & 1) != 0;
        else s.a = insn_mode(i.code) == kAbs && insn_size(i.code) == kH && i.k == field;
        break;
      case kLdx:
        s.x = insn_mode(i.code) == kMem && i.k < 16 && ((s.mem >> i.k) & 1) != 0;
        break;
      case kSt:
      case kStx:
        if (i.k < 16) {
          const bool v = cls == kSt ? s.a : s.x;
          s.mem = static_cast<std::uint16_t>(v ? s.mem | (1u << i.k) : s.mem & ~(1u << i.k));
        }
        break;
      case kAlu: s.a = false; break;
      case kMisc:
        if ((i.code & 0xf8) == kTxa) s.a = s.x;
        else s.x = s.a;
        break;
      case kRet: continue;
      case kJmp: {
        const std::uint16_t op = insn_op(i.code);
        if (op == kJa) {
          flow(pc + 1 + i.k, s);
          continue;
        }
        if (s.a || (insn_src(i.code) == kX && s.x)) {
          if (insn_src(i.code) == kX) return true;  // compared with an unknown value: assume a TPID
          if ((op == kJeq || op == kJset) && is_vlan_tpid(i.k)) return true;
          // A search tree over ethertypes pivots near the TPIDs.
          if ((op == kJgt || op == kJge) && i.k >= 0x8000 && i.k <= 0x9200) return true;
        }
        flow(pc + 1 + i.jt, s);
        flow(pc + 1 + i.jf, s);
        continue;
      }
      default: break;
    }
    flow(pc + 1, s);
  }
  return false;
}

BpfProgram accept_all(std::uint32_t snaplen) { return {bpf::stmt(kRet | kK, snaplen)}; }

}  // namespace

KernelFilterPlan plan_kernel_filter(std::span<const BpfInsn> program, LinkType link, std::uint32_t snaplen) {
  KernelFilterPlan plan;
  plan.kernel.assign(program.begin(), program.end());
  std::uint32_t header = 0;
  std::span<const CookedField> fields;
  std::uint32_t link_type_field = 0;
  if (link == dlt::kLinuxSll) {
    header = kSllLength;
    fields = kSllFields;
    link_type_field = 14;
  } else if (link == dlt::kLinuxSll2) {
    header = kSll2Length;
    fields = kSll2Fields;
    link_type_field = 0;
  } else if (link == dlt::kEn10Mb) {
    link_type_field = 12;
  } else {
    return plan;  // the socket sees the frame as the user gets it
  }

  if (header != 0) {
    for (std::size_t pc = 0; pc < plan.kernel.size(); ++pc) {
      if (auto why = translate(plan.kernel[pc], pc, header, fields)) {
        plan.kernel = accept_all(snaplen);
        plan.placement = FilterPlacement::userspace;
        plan.reason = fmt::format("the kernel cannot run it on a cooked socket: {}", *why);
        return plan;
      }
    }
    plan.placement = FilterPlacement::kernel_translated;
  }

  if (tests_vlan_tags(program, link_type_field)) {
    plan.reason = "it tests VLAN tags, which the kernel strips before its filter runs; packets that had a tag are "
                  "filtered in userspace";
    // A packet whose tag the kernel stripped goes up to userspace; one without a stripped tag
    // has the same bytes in the kernel as in the frame delivered, so the program decides it.
    constexpr std::size_t kPrologue = 3;
    if (plan.kernel.size() + kPrologue > kMaxInsns) {
      plan.kernel = accept_all(snaplen);
      plan.placement = FilterPlacement::userspace;
      return plan;
    }
    BpfProgram with_prologue = {
        bpf::stmt(kLd | kW | kAbs, kAdOff + kAdVlanTagPresent),
        bpf::jump(kJmp | kJeq | kK, 0, 1, 0),
        bpf::stmt(kRet | kK, snaplen),
    };
    with_prologue.insert(with_prologue.end(), plan.kernel.begin(), plan.kernel.end());
    plan.kernel = std::move(with_prologue);
    plan.placement = FilterPlacement::kernel_and_userspace;
  }
  return plan;
}

}  // namespace pcapxx
