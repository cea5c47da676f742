// pcapxx: capture filters. The pcap-filter(7) language compiled to classic BPF with libpcap's
// semantics, and a Filter that runs the program on packets.
//
//   auto f = pcapxx::Filter::compile("tcp port 80", pcapxx::dlt::kEn10Mb);
//   if (!f) fmt::print(stderr, "{}\n", f.error().what());   // "filter column 5: ..."
//   for (const auto& pkt : reader) if (f->matches(pkt)) ...
//
// Link types: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP, PPP, IEEE802_11 and
// IEEE802_11_RADIO. On 802.11 the payload's offset depends on the frame (QoS data frames) and
// on the radiotap header (its length, and the Flags field's data padding): as libpcap does, a
// prologue computes it into M[15] (and the radiotap length into M[14]), so expressions there
// get 14 scratch cells, not 16. The 802.11 keywords: `type T [subtype S]`, `subtype S`, `dir D`
// (names or numbers), `wlan`/`ether`/`fddi`/`tr` host/src/dst and addr1-addr4, ra, ta.
// DECnet addresses (`area.node`, a plain 16-bit number, IPv4 network forms, whose low 16 bits
// libpcap tests), `iso proto N` and `isis proto N` compile as libpcap's do.
//
// vlan, mpls, pppoes shift the offsets of every test after them in the expression's text (as
// libpcap does, whichever side of and/or the test is on); on 802.11 vlan and pppoes read the
// tag and session after the SNAP header. `geneve [VNI]` (UDP port 6081 over IPv4 or IPv6)
// moves every later test into the inner frame: as libpcap does, the program computes the
// inner frame's offsets into three scratch cells per geneve (taken from the top, so fewer
// remain for arithmetic), and later tests load relative to them. A test after a geneve that
// may not have matched (`not geneve and ip`) reads cells nothing wrote: libpcap's program
// reads whatever memory holds there; ours zeroes those cells first (the kernel refuses loads
// of unwritten cells), so verdicts agree with libpcap's program run on zeroed memory.
// `gateway NAME` is refused with the diagnoses of Debian's libpcap, which is built with IPv6
// and then refuses every gateway primitive ("'gateway' not supported in this configuration";
// "'gateway' requires a name" for addresses). A bare identifier after a protocol alone, a
// relation, a special word or a parenthesis has no qualifiers to take and is refused as
// libpcap refuses it ("syntax error in filter expression"). pppoed, the 802.2 LLC family (llc and
// its frame types, stp, ipx, netbeui, iso, clnp, esis, isis and its PDU types, decnet, atalk,
// aarp, lat, sca, moprc, mopdl), `ether proto` values of 1500 or less, inbound/outbound and
// ifindex (SLL/SLL2 header fields, else Linux ancillary loads, refused for savefiles as libpcap
// refuses them) compile as libpcap 1.10 compiles them. Runs of host/net/port terms in one
// disjunction become balanced search trees (a 1,000-term disjunction fits in 4,096 instructions).
// protochain loops backward as libpcap's program does: such a program passes validate_program
// only with BpfRules::libpcap and runs in userland (the kernel refuses it, as it refuses
// libpcap's); like libpcap, an expression with protochain is never refused as "rejects all".
//
// Not supported yet (compile_filter fails with Errc::unsupported and says which word):
//   - on 802.11: geneve, and with radiotap pppoes (libpcap's programs read scratch cells before
//     writing them and lose the radiotap length: no defined verdicts to agree with),
//     inbound/outbound and ifindex (libpcap adds the radiotap length to the ancillary offset: a
//     program that rejects everything); AppleTalk addresses (libpcap does not implement them
//     either)
//   - FilterTarget::linux_live compiles as `dead` does: libpcap's live-capture programs test the
//     first vlan with the SKF_AD_VLAN_TAG_PRESENT/SKF_AD_VLAN_TAG ancillary loads and then use
//     variable offsets; ours read the tag in the packet, which the kernel has stripped
//   - ifname, on, rulenum, reason, rset, srnr, subrule, action (pflog)
//   - arcnet, atm, ss7 keywords
//   - link types not listed above
//   - `ip broadcast` with an unknown netmask (libpcap refuses it too)
//   - ether host/src/dst, broadcast and link-layer multicast on link types other than EN10MB
//     (on SLL and SLL2 libpcap 1.10.3 refuses them too; ours gives its messages)
//   (`ip6` on NULL/LOOP tests the host's AF_INET6 value, 10, for live and dead targets and the
//   BSD values 24, 28 and 30 for savefiles, as libpcap does; set savefile_swapped for a NULL
//   savefile of the other byte order)
//   - host and network names resolve through getaddrinfo/getnetbyname only for IPv4/IPv6
//     hosts; `ether host NAME` (ethers file) is not supported
// The optimizer folds masks and constants into tests (`and #m; jeq #0` -> `jset #m`), threads
// jumps over tests whose outcome is known on every path, merges equal subgraphs, and drops
// loads and stores whose result a register or scratch cell already holds (value numbering over
// the block graph). It does not do all of libpcap's dataflow optimisation: 46 of 2,920 corpus
// pairs are still longer than libpcap's (mostly and/or mixes of host terms; none on 802.11).
// Behind 802.11's prologue no test that loads packet bytes is skipped (libpcap skips none
// there, and a load past the captured bytes rejects the packet). "Rejects all packets" is
// decided with libpcap's weaker implications so both reject the same filters (behind a
// branching 802.11 prologue libpcap concludes nothing, and neither does that check).
// Filter runs the JIT (bpf_jit.hpp) by default and the interpreter where the JIT cannot run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pcapxx/bpf.hpp"
#include "pcapxx/bpf_jit.hpp"
#include "pcapxx/error.hpp"
#include "pcapxx/linktype.hpp"
#include "pcapxx/packet.hpp"

namespace pcapxx {

/// What the program will filter; libpcap compiles a few primitives differently for each.
enum class FilterTarget : std::uint8_t {
  dead,       ///< no capture (pcap_open_dead, `tcpdump -d -y TYPE`): Linux ancillary loads allowed
  savefile,   ///< a savefile (`tcpdump -r`): inbound/outbound/ifindex need a header field
  linux_live, ///< a Linux AF_PACKET socket (same programs as `dead` for now; see the list above)
};

/// How a filter is compiled.
struct FilterOptions {
  std::uint32_t snaplen = 262144;  ///< what an accepting program returns
  std::uint32_t netmask = 0;       ///< for `ip broadcast`; 0xffffffff means unknown (PCAP_NETMASK_UNKNOWN)
  bool optimize = true;            ///< fold constants and remove redundant tests
  FilterTarget target = FilterTarget::dead;  ///< what the program will filter
  BpfEngineChoice engine = BpfEngineChoice::automatic;  ///< Filter: the JIT where it runs, else the interpreter
  bool savefile_swapped = false;  ///< savefile target: the file's byte order is not the host's (NULL's family word)
};

/// Compiles a pcap-filter(7) expression for a link type into a kernel-valid classic BPF
/// program (libpcap's pcap_compile; with protochain, a userland-only one, see above). Errors
/// carry the 1-based column of the offending word.
Result<BpfProgram> compile_filter(std::string_view expr, LinkType link, std::uint32_t snaplen,
                                  std::uint32_t netmask, bool optimize = true);

/// compile_filter with every option, including the target (savefile, live capture).
Result<BpfProgram> compile_filter(std::string_view expr, LinkType link, const FilterOptions& options);

/// A compiled filter: the program and the engine that runs it (the x86-64 JIT by default, the
/// interpreter where the JIT cannot run or when FilterOptions::engine asks for it).
class Filter {
 public:
  /// Compiles `expr` for `link`.
  static Result<Filter> compile(std::string_view expr, LinkType link, const FilterOptions& options = {});
  /// Wraps a program someone else compiled (for example `tcpdump -ddd` output); it must pass
  /// validate_program with `rules`.
  static Result<Filter> from_program(BpfProgram program, BpfRules rules = BpfRules::kernel,
                                     BpfEngineChoice engine = BpfEngineChoice::automatic);

  /// The verdict for one packet: 0 drops it, anything else keeps that many bytes.
  [[nodiscard]] std::uint32_t run(const PacketView& packet, const BpfContext& context = {}) const noexcept {
    return runner_.run(packet.data, packet.header.origlen, context);
  }
  /// Whether the filter keeps the packet.
  [[nodiscard]] bool matches(const PacketView& packet) const noexcept { return run(packet) != 0; }

  /// The compiled program.
  [[nodiscard]] const BpfProgram& program() const noexcept { return runner_.program(); }
  /// The expression it was compiled from (empty for from_program).
  [[nodiscard]] const std::string& expression() const noexcept { return expression_; }
  /// The engine that runs the program.
  [[nodiscard]] BpfEngine engine() const noexcept { return runner_.engine(); }
  /// Why the interpreter runs instead of the JIT ("" when the JIT runs).
  [[nodiscard]] const std::string& interpreter_reason() const noexcept { return runner_.interpreter_reason(); }

 private:
  Filter(BpfRunner runner, std::string expression)
      : runner_(std::move(runner)), expression_(std::move(expression)) {}
  BpfRunner runner_;
  std::string expression_;
};

}  // namespace pcapxx
