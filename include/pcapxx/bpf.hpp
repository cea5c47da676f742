// pcapxx: classic BPF programs (the instruction set of Linux's SO_ATTACH_FILTER and libpcap):
// opcode constants, a validator with the Linux kernel's rules, an interpreter with the kernel's
// semantics, and the listing formats of `tcpdump -d`, `-dd` and `-ddd`.
//
// Facts come from <linux/filter.h>, <linux/bpf_common.h> (opcodes, SKF_* offsets) and
// net/core/filter.c (bpf_check_classic, check_load_and_stores, the ancillary loads).
//
// Where the kernel leaves a result implementation-defined (a shift by X >= 32), the interpreter
// gives 0, as libpcap's userland interpreter does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/error.hpp"

namespace pcapxx {

/// One classic BPF instruction, laid out as struct sock_filter / struct bpf_insn.
struct BpfInsn {
  std::uint16_t code = 0;
  std::uint8_t jt = 0;
  std::uint8_t jf = 0;
  std::uint32_t k = 0;
  friend constexpr bool operator==(const BpfInsn&, const BpfInsn&) = default;
};
static_assert(sizeof(BpfInsn) == 8);

/// A classic BPF program.
using BpfProgram = std::vector<BpfInsn>;

namespace bpf {

// Instruction classes (code & 0x07).
inline constexpr std::uint16_t kLd = 0x00;
inline constexpr std::uint16_t kLdx = 0x01;
inline constexpr std::uint16_t kSt = 0x02;
inline constexpr std::uint16_t kStx = 0x03;
inline constexpr std::uint16_t kAlu = 0x04;
inline constexpr std::uint16_t kJmp = 0x05;
inline constexpr std::uint16_t kRet = 0x06;
inline constexpr std::uint16_t kMisc = 0x07;

// Load sizes (code & 0x18).
inline constexpr std::uint16_t kW = 0x00;
inline constexpr std::uint16_t kH = 0x08;
inline constexpr std::uint16_t kB = 0x10;

// Load modes (code & 0xe0).
inline constexpr std::uint16_t kImm = 0x00;
inline constexpr std::uint16_t kAbs = 0x20;
inline constexpr std::uint16_t kInd = 0x40;
inline constexpr std::uint16_t kMem = 0x60;
inline constexpr std::uint16_t kLen = 0x80;
inline constexpr std::uint16_t kMsh = 0xa0;

// ALU operations (code & 0xf0).
inline constexpr std::uint16_t kAdd = 0x00;
inline constexpr std::uint16_t kSub = 0x10;
inline constexpr std::uint16_t kMul = 0x20;
inline constexpr std::uint16_t kDiv = 0x30;
inline constexpr std::uint16_t kOr = 0x40;
inline constexpr std::uint16_t kAnd = 0x50;
inline constexpr std::uint16_t kLsh = 0x60;
inline constexpr std::uint16_t kRsh = 0x70;
inline constexpr std::uint16_t kNeg = 0x80;
inline constexpr std::uint16_t kMod = 0x90;
inline constexpr std::uint16_t kXor = 0xa0;

// Jump operations (code & 0xf0).
inline constexpr std::uint16_t kJa = 0x00;
inline constexpr std::uint16_t kJeq = 0x10;
inline constexpr std::uint16_t kJgt = 0x20;
inline constexpr std::uint16_t kJge = 0x30;
inline constexpr std::uint16_t kJset = 0x40;

// Operand source (code & 0x08), return value source (code & 0x18), misc ops (code & 0xf8).
inline constexpr std::uint16_t kK = 0x00;
inline constexpr std::uint16_t kX = 0x08;
inline constexpr std::uint16_t kA = 0x10;
inline constexpr std::uint16_t kTax = 0x00;
inline constexpr std::uint16_t kTxa = 0x80;

inline constexpr std::uint32_t kMemWords = 16;    ///< BPF_MEMWORDS
inline constexpr std::uint32_t kMaxInsns = 4096;  ///< BPF_MAXINSNS

// Negative offsets of Linux socket filters (<linux/filter.h>), as unsigned k values.
inline constexpr std::uint32_t kAdOff = 0xfffff000;   ///< SKF_AD_OFF (-0x1000)
inline constexpr std::uint32_t kNetOff = 0xfff00000;  ///< SKF_NET_OFF (-0x100000)
inline constexpr std::uint32_t kLlOff = 0xffe00000;   ///< SKF_LL_OFF (-0x200000)

// Ancillary data offsets, added to kAdOff (SKF_AD_*).
inline constexpr std::uint32_t kAdProtocol = 0;
inline constexpr std::uint32_t kAdPktType = 4;
inline constexpr std::uint32_t kAdIfIndex = 8;
inline constexpr std::uint32_t kAdNlAttr = 12;
inline constexpr std::uint32_t kAdNlAttrNest = 16;
inline constexpr std::uint32_t kAdMark = 20;
inline constexpr std::uint32_t kAdQueue = 24;
inline constexpr std::uint32_t kAdHaType = 28;
inline constexpr std::uint32_t kAdRxHash = 32;
inline constexpr std::uint32_t kAdCpu = 36;
inline constexpr std::uint32_t kAdAluXorX = 40;
inline constexpr std::uint32_t kAdVlanTag = 44;
inline constexpr std::uint32_t kAdVlanTagPresent = 48;
inline constexpr std::uint32_t kAdPayOffset = 52;
inline constexpr std::uint32_t kAdRandom = 56;
inline constexpr std::uint32_t kAdVlanTpid = 60;
inline constexpr std::uint32_t kAdMax = 64;

constexpr std::uint16_t insn_class(std::uint16_t code) noexcept { return code & 0x07; }
constexpr std::uint16_t insn_size(std::uint16_t code) noexcept { return code & 0x18; }
constexpr std::uint16_t insn_mode(std::uint16_t code) noexcept { return code & 0xe0; }
constexpr std::uint16_t insn_op(std::uint16_t code) noexcept { return code & 0xf0; }
constexpr std::uint16_t insn_src(std::uint16_t code) noexcept { return code & 0x08; }

/// A non-jump instruction (BPF_STMT).
constexpr BpfInsn stmt(std::uint16_t code, std::uint32_t k) noexcept { return BpfInsn{code, 0, 0, k}; }
/// A jump instruction (BPF_JUMP).
constexpr BpfInsn jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) noexcept {
  return BpfInsn{code, jt, jf, k};
}

}  // namespace bpf

/// What a Linux socket filter can see besides the packet bytes: the values ancillary loads
/// (k = SKF_AD_OFF + SKF_AD_*) return, and where the network header starts (SKF_NET_OFF).
/// By default (userspace == true) loads have the meaning of libpcap's userland bpf_filter, as
/// `tcpdump -r` runs a filter: every negative offset (SKF_AD_OFF, SKF_NET_OFF, SKF_LL_OFF and
/// the rest) is out of bounds and X + k is not wrapped, so those loads reject the packet and the
/// other fields are not read. Live capture's userspace fallback sets userspace = false and fills
/// in the fields, so a program keeps the meaning the kernel gives it.
struct BpfContext {
  static constexpr std::uint32_t kNoOffset = 0xffffffff;

  std::uint16_t protocol = 0;      ///< SKF_AD_PROTOCOL: the ethertype, host order
  std::uint32_t pkttype = 0;       ///< SKF_AD_PKTTYPE: PACKET_HOST, PACKET_OUTGOING...
  std::uint32_t ifindex = 0;       ///< SKF_AD_IFINDEX
  std::uint32_t mark = 0;          ///< SKF_AD_MARK
  std::uint32_t queue = 0;         ///< SKF_AD_QUEUE
  std::uint32_t hatype = 0;        ///< SKF_AD_HATYPE: ARPHRD_* of the device
  std::uint32_t rxhash = 0;        ///< SKF_AD_RXHASH
  std::uint32_t cpu = 0;           ///< SKF_AD_CPU
  std::uint16_t vlan_tci = 0;      ///< SKF_AD_VLAN_TAG
  bool vlan_present = false;       ///< SKF_AD_VLAN_TAG_PRESENT
  std::uint16_t vlan_tpid = 0;     ///< SKF_AD_VLAN_TPID, host order
  std::uint32_t pay_offset = 0;    ///< SKF_AD_PAY_OFFSET
  std::uint32_t random = 0;        ///< SKF_AD_RANDOM (fixed, so runs are reproducible)
  std::uint32_t net_offset = kNoOffset;  ///< network header offset, or kNoOffset (SKF_NET_OFF loads fail)
  bool userspace = true;  ///< libpcap's userland load semantics; false: the kernel's (SKF_* offsets, X + k wraps)
};

/// Which checker a program must satisfy.
enum class BpfRules : std::uint8_t {
  kernel,   ///< exactly what Linux accepts for SO_ATTACH_FILTER
  libpcap,  ///< the kernel's rules, but unconditional jumps may go backward (libpcap's
            ///< protochain code does; such programs only run in userland), scratch memory
            ///< may be read before a store (it reads as 0 here) and absolute loads may use
            ///< ancillary offsets the kernel does not know (they reject the packet)
};

/// Checks a program with the Linux kernel's classic BPF rules (bpf_check_classic and
/// check_load_and_stores); the error names the first offending instruction and the rule.
Result<void> validate_program(std::span<const BpfInsn> program, BpfRules rules = BpfRules::kernel);

/// The rules a compiled filter needs: libpcap when it jumps backward (protochain) or loads at an
/// ancillary offset the kernel does not know (a user's constant offset, e.g. `ether[0xfffffff0]`,
/// which libpcap compiles to an out-of-bounds load), else kernel.
BpfRules required_rules(std::span<const BpfInsn> program) noexcept;

/// How many backward jumps run_program follows for one packet before it gives up and returns 0.
inline constexpr std::uint32_t kBpfMaxBackwardJumps = 1u << 16;

/// Runs a program over one packet and returns its verdict (0 = drop, else bytes to keep).
/// `packet` is the captured bytes (loads beyond them make the program return 0; negative offsets
/// and indexed loads see `context`, see BpfContext::userspace); `wire_len` is
/// what BPF_LEN loads. Precondition: validate_program accepted the program (either rules).
/// No allocation, no system call.
std::uint32_t run_program(std::span<const BpfInsn> program, std::span<const std::byte> packet,
                          std::uint32_t wire_len, const BpfContext& context = {}) noexcept;

/// Listing styles, as tcpdump prints a compiled filter.
enum class BpfListing : std::uint8_t {
  image,    ///< -d:   "(000) ldh      [12]"
  c_array,  ///< -dd:  "{ 0x28, 0, 0, 0x0000000c },"
  decimal,  ///< -ddd: a count line, then "40 0 0 12" per instruction
};

/// One instruction as `tcpdump -d` prints it at index `pc`, without a newline.
std::string format_insn(const BpfInsn& insn, std::size_t pc);

/// A whole program in one of tcpdump's listing styles, one line per instruction, each ending in '\n'.
std::string format_program(std::span<const BpfInsn> program, BpfListing style);

/// Parses a `-ddd` listing (count line, then "code jt jf k" lines) or a `-dd` listing
/// ("{ 0x28, 0, 0, 0x0000000c }," lines); the error names the line.
Result<BpfProgram> parse_program_listing(std::string_view text);

}  // namespace pcapxx
