// pcapxx: capture filters. The pcap-filter(7) language compiled to classic BPF with libpcap's
// semantics, and a Filter that runs the program on packets.
//
//   auto f = pcapxx::Filter::compile("tcp port 80", pcapxx::dlt::kEn10Mb);
//   if (!f) fmt::print(stderr, "{}\n", f.error().what());   // "filter column 5: ..."
//   for (const auto& pkt : reader) if (f->matches(pkt)) ...
//
// Link types: EN10MB, LINUX_SLL, LINUX_SLL2, RAW, IPV4, IPV6, NULL, LOOP.
//
// Not supported yet (compile_filter fails with Errc::unsupported and says which word):
//   - vlan, mpls, pppoed, pppoes, geneve (libpcap's offset-shifting primitives)
//   - protochain, gateway
//   - llc, stp, ipx, netbeui, decnet, iso, esis, isis, clnp, atalk, aarp, lat, sca, mopdl,
//     moprc, and `ether proto` values of 1500 or less (the 802.2 LLC encapsulations)
//   - inbound, outbound, ifname, on, rulenum, reason, rset, srnr, subrule, action (pflog and
//     Linux-ancillary direction tests)
//   - wlan/802.11, fddi, tr, arcnet, atm, ss7 keywords; decnet and AppleTalk addresses
//   - `ip broadcast` with an unknown netmask (libpcap refuses it too)
//   - ether host/src/dst, broadcast and link-layer multicast on link types other than EN10MB
//   - `ip6` on NULL/LOOP tests the host's AF_INET6 value (10), as libpcap does for live and
//     dead handles; libpcap compiles savefiles differently (the BSD values 24, 28, 30)
//   - host and network names resolve through getaddrinfo/getnetbyname only for IPv4/IPv6
//     hosts; `ether host NAME` (ethers file) is not supported
// The optimizer folds constants and removes duplicate tests on one path; it does not do
// libpcap's full dataflow optimisation, so programs are often longer than libpcap's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pcapxx/bpf.hpp"
#include "pcapxx/error.hpp"
#include "pcapxx/linktype.hpp"
#include "pcapxx/packet.hpp"

namespace pcapxx {

/// How a filter is compiled.
struct FilterOptions {
  std::uint32_t snaplen = 262144;  ///< what an accepting program returns
  std::uint32_t netmask = 0;       ///< for `ip broadcast`; 0xffffffff means unknown (PCAP_NETMASK_UNKNOWN)
  bool optimize = true;            ///< fold constants and remove redundant tests
};

/// Compiles a pcap-filter(7) expression for a link type into a kernel-valid classic BPF
/// program (libpcap's pcap_compile). Errors carry the 1-based column of the offending word.
Result<BpfProgram> compile_filter(std::string_view expr, LinkType link, std::uint32_t snaplen,
                                  std::uint32_t netmask, bool optimize = true);

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
