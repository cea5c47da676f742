// pcapxx: capture filters. The pcap-filter(7) language compiled to classic BPF with libpcap's
// semantics, and a Filter that runs the program on packets.
//
//   auto f = pcapxx::Filter::compile("tcp port 80", pcapxx::dlt::kEn10Mb);
//   if (!f) fmt::print(stderr, "{}\n", f.error().what());   // "filter column 5: ..."
//   for (const auto& pkt : reader) if (f->matches(pkt)) ...
//
// Link types: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP.
//
// vlan, mpls, pppoes shift the offsets of every test after them in the expression's text (as
// libpcap does, whichever side of and/or the test is on); pppoed, the 802.2 LLC family (llc and
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
//   - geneve (needs libpcap's variable-length offsets), gateway (needs /etc/ethers)
//   - FilterTarget::linux_live compiles as `dead` does: libpcap's live-capture programs test the
//     first vlan with the SKF_AD_VLAN_TAG_PRESENT/SKF_AD_VLAN_TAG ancillary loads and then use
//     variable offsets; ours read the tag in the packet, which the kernel has stripped
//   - ifname, on, rulenum, reason, rset, srnr, subrule, action (pflog)
//   - wlan/802.11, fddi, tr, arcnet, atm, ss7 keywords; decnet and AppleTalk addresses;
//     `iso proto N` and `isis proto N`
//   - link types IEEE802_11, IEEE802_11_RADIO, PPP and the others not listed above
//   - `ip broadcast` with an unknown netmask (libpcap refuses it too)
//   - ether host/src/dst, broadcast and link-layer multicast on link types other than EN10MB
//     (on SLL and SLL2 libpcap 1.10.3 refuses them too; ours gives its messages)
//   - `ip6` on NULL/LOOP tests the host's AF_INET6 value (10), as libpcap does for live and
//     dead handles; libpcap compiles savefiles differently (the BSD values 24, 28, 30)
//   - host and network names resolve through getaddrinfo/getnetbyname only for IPv4/IPv6
//     hosts; `ether host NAME` (ethers file) is not supported
// The optimizer threads jumps over tests whose outcome is known on every path, merges equal
// subgraphs and drops reloads of what A already holds; it does not do libpcap's full dataflow
// optimisation (value numbering across different loads), so some programs are longer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pcapxx/bpf.hpp"
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
};

/// Compiles a pcap-filter(7) expression for a link type into a kernel-valid classic BPF
/// program (libpcap's pcap_compile; with protochain, a userland-only one, see above). Errors
/// carry the 1-based column of the offending word.
Result<BpfProgram> compile_filter(std::string_view expr, LinkType link, std::uint32_t snaplen,
                                  std::uint32_t netmask, bool optimize = true);

/// compile_filter with every option, including the target (savefile, live capture).
Result<BpfProgram> compile_filter(std::string_view expr, LinkType link, const FilterOptions& options);

/// A compiled filter: the program and the interpreter to run it.
class Filter {
 public:
  /// Compiles `expr` for `link`.
  static Result<Filter> compile(std::string_view expr, LinkType link, const FilterOptions& options = {});
  /// Wraps a program someone else compiled (for example `tcpdump -ddd` output); it must pass
  /// validate_program with `rules`.
  static Result<Filter> from_program(BpfProgram program, BpfRules rules = BpfRules::kernel);

  /// The verdict for one packet: 0 drops it, anything else keeps that many bytes.
  [[nodiscard]] std::uint32_t run(const PacketView& packet, const BpfContext& context = {}) const noexcept {
    return run_program(program_, packet.data, packet.header.origlen, context);
  }
  /// Whether the filter keeps the packet.
  [[nodiscard]] bool matches(const PacketView& packet) const noexcept { return run(packet) != 0; }

  /// The compiled program.
  [[nodiscard]] const BpfProgram& program() const noexcept { return program_; }
  /// The expression it was compiled from (empty for from_program).
  [[nodiscard]] const std::string& expression() const noexcept { return expression_; }

 private:
  Filter(BpfProgram program, std::string expression)
      : program_(std::move(program)), expression_(std::move(expression)) {}
  BpfProgram program_;
  std::string expression_;
};

}  // namespace pcapxx
