// PACKET_FANOUT: N sockets of one device in one group, the kernel choosing a ring per packet
// (include/uapi/linux/if_packet.h; Documentation/networking/packet_mmap.rst, "AF_PACKET
// fanout mode"). The symmetric flow mode is PACKET_FANOUT_CBPF with our own classic BPF
// program: the fanout program runs before the packet is handed to a socket, where skb->data
// may point at the link or at the network header depending on direction, so every load goes
// through SKF_NET_OFF (relative to the network header) and the protocol comes from
// SKF_AD_PROTOCOL; the program works unchanged on any link type.
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "capture/linux/live_impl.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

// Newer than some uapi headers; include/uapi/linux/if_packet.h.
constexpr std::uint32_t kFanoutFlagIgnoreOutgoing = 0x4000;

/// A classic BPF program under construction, with forward jumps to named labels.
class BpfAssembler {
 public:
  void op(std::uint16_t code, std::uint32_t k = 0) { program_.push_back({code, 0, 0, k}); }
  /// A conditional jump (A op k): to `yes` when true, `no` when false ("" = next instruction).
  void jump(std::uint16_t code, std::uint32_t k, std::string yes, std::string no) {
    fixups_.push_back({program_.size(), std::move(yes), std::move(no)});
    program_.push_back({code, 0, 0, k});
  }
  /// An unconditional jump to `to`.
  void jump_always(std::string to) {
    fixups_.push_back({program_.size(), std::move(to), "", true});
    program_.push_back({kJmp | kJa, 0, 0, 0});
  }
  void label(const std::string& name) { labels_.push_back({name, program_.size()}); }
  BpfProgram finish() {
    for (const auto& f : fixups_) {
      auto target = [&](const std::string& name) -> std::uint8_t {
        if (name.empty()) return 0;
        for (const auto& [n, at] : labels_) {
          if (n == name) return static_cast<std::uint8_t>(at - f.at - 1);
        }
        return 0;
      };
      if (f.always) {
        program_[f.at].k = target(f.yes);
      } else {
        program_[f.at].jt = target(f.yes);
        program_[f.at].jf = target(f.no);
      }
    }
    return program_;
  }

 private:
  struct Fixup {
    std::size_t at;
    std::string yes, no;
    bool always = false;
  };
  BpfProgram program_;
  std::vector<Fixup> fixups_;
  std::vector<std::pair<std::string, std::size_t>> labels_;
};

constexpr std::uint16_t kLdW = kLd | kW | kAbs, kLdH = kLd | kH | kAbs, kLdB = kLd | kB | kAbs;
constexpr std::uint16_t kLdHInd = kLd | kH | kInd;
constexpr std::uint16_t kJeqK = kJmp | kJeq | kK, kJsetK = kJmp | kJset | kK;

/// A ^= X after loading A from `a` and X from `b` (both 32-bit loads at network offsets).
void xor_words(BpfAssembler& as, std::uint32_t a, std::uint32_t b) {
  as.op(kLdW, kNetOff + a);
  as.op(kMisc | kTax);
  as.op(kLdW, kNetOff + b);
  as.op(kAlu | kXor | kX);
}

/// Ports at X past the network header, XORed into M[0]; X holds the transport offset.
void xor_ports(BpfAssembler& as) {
  as.op(kLdHInd, kNetOff + 0);
  as.op(kSt, 1);
  as.op(kLdHInd, kNetOff + 2);
  as.op(kLdx | kMem, 1);
  as.op(kAlu | kXor | kX);
  as.op(kLdx | kMem, 0);
  as.op(kAlu | kXor | kX);
  as.op(kSt, 0);
}

int fanout_type(FanoutMode mode) {
  switch (mode) {
    case FanoutMode::hash: return PACKET_FANOUT_HASH;
    case FanoutMode::load_balance: return PACKET_FANOUT_LB;
    case FanoutMode::cpu: return PACKET_FANOUT_CPU;
    case FanoutMode::rollover: return PACKET_FANOUT_ROLLOVER;
    case FanoutMode::random: return PACKET_FANOUT_RND;
    case FanoutMode::queue_mapping: return PACKET_FANOUT_QM;
    case FanoutMode::symmetric_flow: return PACKET_FANOUT_CBPF;
  }
  return PACKET_FANOUT_HASH;
}

}  // namespace

BpfProgram symmetric_flow_program(unsigned count, std::uint32_t network_offset) {
  // The loads are relative to the network header (SKF_NET_OFF), so the link header length
  // does not matter to the kernel; it is kept in the signature for programs run on raw bytes.
  (void)network_offset;
  if (count == 0) count = 1;
  BpfAssembler as;
  as.op(kLd | kW | kAbs, kAdOff + kAdProtocol);
  as.jump(kJeqK, 0x0800, "ipv4", "");
  as.jump(kJeqK, 0x86dd, "ipv6", "other");

  as.label("ipv4");
  xor_words(as, 12, 16);  // source ^ destination address
  as.op(kSt, 0);
  as.op(kLdH, kNetOff + 6);  // a later fragment has no ports
  as.jump(kJsetK, 0x1fff, "mix", "");
  as.op(kLdB, kNetOff + 9);
  as.jump(kJeqK, 6, "v4ports", "");
  as.jump(kJeqK, 17, "v4ports", "");
  as.jump(kJeqK, 132, "v4ports", "mix");
  as.label("v4ports");
  as.op(kLdB, kNetOff + 0);  // X = IHL * 4
  as.op(kAlu | kAnd | kK, 0x0f);
  as.op(kAlu | kLsh | kK, 2);
  as.op(kMisc | kTax);
  xor_ports(as);
  as.jump_always("mix");

  as.label("ipv6");
  xor_words(as, 8, 24);
  as.op(kSt, 0);
  for (std::uint32_t w = 1; w < 4; ++w) {
    xor_words(as, 8 + 4 * w, 24 + 4 * w);
    as.op(kLdx | kMem, 0);
    as.op(kAlu | kXor | kX);
    as.op(kSt, 0);
  }
  as.op(kLdB, kNetOff + 6);  // next header directly TCP, UDP or SCTP
  as.jump(kJeqK, 6, "v6ports", "");
  as.jump(kJeqK, 17, "v6ports", "");
  as.jump(kJeqK, 132, "v6ports", "mix");
  as.label("v6ports");
  as.op(kLdx | kImm, 40);
  xor_ports(as);

  as.label("mix");  // A = M[0], then two xorshift-multiply rounds so ring choice is even
  as.op(kLd | kMem, 0);
  as.op(kMisc | kTax);
  as.op(kAlu | kRsh | kK, 16);
  as.op(kAlu | kXor | kX);
  as.op(kAlu | kMul | kK, 0x045d9f3b);
  as.op(kMisc | kTax);
  as.op(kAlu | kRsh | kK, 16);
  as.op(kAlu | kXor | kX);
  as.op(kAlu | kMod | kK, count);
  as.op(kRet | kA);

  as.label("other");
  as.op(kRet | kK, 0);
  return as.finish();
}

Result<std::vector<std::unique_ptr<LiveCapture>>> open_fanout(std::string_view device, unsigned count,
                                                              const FanoutOptions& fanout,
                                                              const CaptureOptions& options) {
  if (count == 0 || count > 65536) {
    return fail(Errc::invalid_argument, fmt::format("{}: fanout: {} rings asked; 1 to 65536 can join a group", device, count));
  }
  std::uint32_t flags = 0;
  if (fanout.defrag) flags |= PACKET_FANOUT_FLAG_DEFRAG;
  if (fanout.rollover) flags |= PACKET_FANOUT_FLAG_ROLLOVER;
  if (fanout.ignore_outgoing) flags |= kFanoutFlagIgnoreOutgoing;
  const auto type = static_cast<std::uint32_t>(fanout_type(fanout.mode));
  const BpfProgram program = fanout.mode == FanoutMode::symmetric_flow ? symmetric_flow_program(count) : BpfProgram{};

  std::optional<std::uint16_t> group = fanout.group_id;
  std::vector<std::unique_ptr<LiveCapture>> captures;
  for (unsigned i = 0; i < count; ++i) {
    auto join = [&](LiveCapture::Impl& c) -> Result<void> {
      const int s = c.sock.get();
      std::uint32_t arg = 0;
      if (group) {
        arg = *group | ((type | flags) << 16);
      } else {
        arg = (type | flags | PACKET_FANOUT_FLAG_UNIQUEID) << 16;  // id 0: the kernel picks one
      }
      if (::setsockopt(s, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) {
        return fail_errno(errno, fmt::format("{}: fanout ring {}: setsockopt(PACKET_FANOUT, group {}, mode {}, flags {:#x})",
                                             c.device, i, group ? std::to_string(*group) : "new", type, flags));
      }
      if (!group) {
        std::uint32_t got = 0;
        socklen_t len = sizeof got;
        if (::getsockopt(s, SOL_PACKET, PACKET_FANOUT, &got, &len) < 0) {
          return fail_errno(errno, fmt::format("{}: fanout ring {}: getsockopt(PACKET_FANOUT)", c.device, i));
        }
        group = static_cast<std::uint16_t>(got & 0xffff);
      }
      if (i == 0 && !program.empty()) {
        sock_fprog prog{};
        prog.len = static_cast<unsigned short>(program.size());
        prog.filter = const_cast<sock_filter*>(static_cast<const sock_filter*>(static_cast<const void*>(program.data())));
        if (::setsockopt(s, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof prog) < 0) {
          return fail_errno(errno, fmt::format("{}: fanout: setsockopt(PACKET_FANOUT_DATA, symmetric flow program of {} instructions)",
                                               c.device, program.size()));
        }
      }
      c.fanout_group = group;
      return {};
    };
    auto cap = LiveCapture::Impl::open(device, options, join);
    if (!cap) return std::unexpected(cap.error());
    captures.push_back(std::move(*cap));
  }
  return captures;
}

}  // namespace pcapxx
