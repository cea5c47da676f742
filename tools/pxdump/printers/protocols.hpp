// pxdump printers, part B: the entry points of the protocol printers the dispatcher (part A) calls
// for ICMP, ICMPv6 (+ Neighbor Discovery), IGMP, SCTP, GRE, VXLAN, Geneve, PPPoE, DNS, DHCP/BOOTP
// and NTP. One file per protocol in this directory; each follows printer.hpp (Out, PrintFlags).
//
// How the dispatcher uses them:
//   - Each printer appends exactly the part of tcpdump 4.99's line named in its comment, nothing
//     before it (no leading space) and no trailing newline.
//   - `bytes` are the captured bytes from the first byte of the protocol's header to the end of
//     the capture (for a decoded layer: from contents().data() to the end of the packet; for a
//     layer that failed to decode: DecodeFailure::remaining). `length` is the length tcpdump
//     passes: what the enclosing header declares (IP payload length, UDP length - 8, ...), which
//     may exceed bytes.size() on a short capture. Printers decode their own layer from `bytes`
//     with the layer's decode() (the same layer code, no second parser) so that a truncated or
//     malformed message still prints its valid prefix and tcpdump's marker ("[|domain]").
//   - A printer that returns Then::inner wants the dispatcher to print the encapsulated packet
//     right after its text, starting with the layer type in `next` (see Result).
//
// How they read bytes: DNS uses the Dns layer for the header and names; ICMP, ICMPv6, IGMP,
// VXLAN, Geneve, PPPoE and SCTP decode their layer and fall back to field-by-field reads where
// tcpdump shows a prefix of a cut header; NTP, GRE and BOOTP read fields one by one from the
// captured bytes (their layers refuse a cut header, and tcpdump prints such a prefix).
//
// NOT DONE YET (next engineer, start here):
//   - ICMPv6: router renumbering, node information (who-are-you), home agent and mobile prefix
//     replies at -v (RPL is done); ND options other than link-address, prefix, MTU, RDNSS (shown as hex);
//     MLDv2 query source lists at -vv when the count is 0.
//   - SCTP: upper-layer payloads of DATA chunks at -vv (M3UA...), chunk parameters of INIT.
//   - GRE: the RFC 1701 routing field's entries; PPP control protocols (LCP, IPCP, PAP) after
//     GREv1 and PPPoE sessions are the PPP printer's (there is none yet: "[|PPP]").
//   - DNS: compression loops shown as tcpdump's "<LOOP>"; an OPT record whose options run past
//     its RDLENGTH (tcpdump reads on into the captured bytes). (Done: EDNS option names and
//     formats, A6/URI/TSIG data, DNS over TCP from tcp.cpp.)
//   - DHCP: option value formats beyond the common ones (Client-FQDN, classless static routes,
//     vendor options show as dotted bytes, which matches tcpdump only where it does the same).
//   - NTP: control (mode 6) and private (mode 7) messages beyond the leap indicator line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pcapxx/layers/layer.hpp"
#include "printers/printer.hpp"

namespace pxdump::printers {

/// Host names as tcpdump prints them. The defaults are numeric (-n); the dispatcher may pass
/// resolving ones. Plain function pointers keep the printers testable without the dispatcher.
struct Names {
  void (*ipv4)(Out&, const pcapxx::layers::Ipv4Address&) = nullptr;  ///< nullptr: dotted quad
  void (*ipv6)(Out&, const pcapxx::layers::Ipv6Address&) = nullptr;  ///< nullptr: RFC 5952 text
  void (*tcp_port)(Out&, std::uint16_t) = nullptr;                   ///< nullptr: decimal
  void (*udp_port)(Out&, std::uint16_t) = nullptr;                   ///< nullptr: decimal
  /// A 6-byte MAC address; without -n tcpdump adds " (oui Vendor)". nullptr: colon hex only.
  void (*mac)(Out&, const std::uint8_t* bytes) = nullptr;
};

/// The IP header a control or transport message arrived in (ICMPv6 needs ip6 and, with a
/// routing header, ip6_final_dst for its checksum; SCTP prints the addresses of ip4/ip6).
struct IpHeader {
  const std::byte* ip4 = nullptr;  ///< the IPv4 header bytes (20+), or nullptr
  const std::byte* ip6 = nullptr;  ///< the fixed IPv6 header bytes (40), or nullptr
  bool fragmented = false;         ///< the message is (part of) a fragmented datagram
  /// IPv6 with a routing header (type 0/2) that has segments left: its last address, which
  /// the upper-layer checksum uses as destination (RFC 8200 8.1); nullptr otherwise.
  const std::byte* ip6_final_dst = nullptr;
};

/// What the dispatcher does after a printer returns.
struct Result {
  enum class Then : std::uint8_t {
    done,   ///< the packet's text is complete
    inner,  ///< print the encapsulated packet after the text, decoded as `next` from `inner`
  };
  Then then = Then::done;
  pcapxx::layers::LayerType next = pcapxx::layers::LayerType::none;  ///< ethernet, ipv4, ipv6, ppp...
  std::span<const std::byte> inner;  ///< the encapsulated bytes (captured)
  std::uint32_t inner_length = 0;    ///< their length as the encapsulating header declares
  /// With Then::inner: text that follows the encapsulated packet (ICMP's RFC 4884 extension
  /// objects after the quoted datagram), printed by calling after(out, after_bytes, after_length).
  void (*after)(Out&, std::span<const std::byte>, std::uint32_t) = nullptr;
  std::span<const std::byte> after_bytes{};
  std::uint32_t after_length = 0;
};

/// ICMPv4: prints from "ICMP" on, after "IP a > b: ", e.g. "ICMP echo request, id 1, seq 2,
/// length 64". length: the IP payload length. Error messages name the inner packet themselves;
/// at -v they print "\n\t" and return Then::inner with the quoted IP datagram, and the RFC 4884
/// extension (MPLS label stack, RFC 4950) as Result::after when the message carries one.
Result print_icmp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length,
                  const IpHeader& ip);

/// ICMPv6: prints from "ICMP6" on, after "IP6 a > b: ", e.g. "ICMP6, neighbor solicitation, who
/// has fe80::1, length 32"; at -v the ND options follow on "\n\t  " lines. length: the IPv6
/// payload length left after extension headers.
Result print_icmp6(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length,
                   const IpHeader& ip);

/// IGMP: prints from "igmp" on, after "IP a > b: ", e.g. "igmp query v2 [max resp time 10]".
Result print_igmp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length);

/// SCTP: prints the whole transport part after "IP " / "IP6 " (tcpdump's sctp_print prints the
/// addresses and ports itself): "10.0.0.1.5000 > 10.0.0.2.6000: sctp[...]" (with -v the chunks
/// on "\n\t" lines). length: the IP payload length.
Result print_sctp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length,
                  const IpHeader& ip);

/// GRE: prints from "GREv0" on, after "IP a > b: ", e.g. "GREv0, length 92: " and returns
/// Then::inner with the payload (its EtherType's layer) when tcpdump prints it.
Result print_gre(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length);

/// VXLAN: prints after "IP a.p > b.q: " "VXLAN, flags [I] (0x08), vni 100\n" and returns
/// Then::inner with the Ethernet frame. length: UDP length - 8.
Result print_vxlan(Out& out, std::span<const std::byte> bytes, std::uint32_t length);

/// Geneve: prints after "IP a.p > b.q: " "Geneve, Flags [none], vni 0x64, proto TEB (0x6558)"
/// (options at -v) and ": " ("\n\t" at -v), and returns Then::inner with the payload. length: UDP length - 8.
Result print_geneve(Out& out, std::span<const std::byte> bytes, std::uint32_t length);

/// PPPoE: prints from "PPPoE" on, where tcpdump's EtherType dispatch prints a protocol (after the
/// link header at -e): discovery "PPPoE PADI [Service-Name] ..." (done) or session
/// "PPPoE  [ses 0x1] " and Then::inner with the PPP frame (next = ppp).
/// length: the frame length from the PPPoE header on.
Result print_pppoe(Out& out, std::span<const std::byte> bytes, std::uint32_t length);

/// DNS (UDP 53, and mDNS 5353 with mdns set; TCP 53 after the 2-byte length, from tcp.cpp):
/// prints after "IP a.p > b.q: " the compact form, e.g. "1234+ A? example.com. (29)".
/// length: the message's length (UDP length - 8; the TCP data minus the prefix).
Result print_dns(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length,
                 bool mdns);

/// BOOTP/DHCP (UDP 67/68): prints after "IP a.p > b.q: " "BOOTP/DHCP, Request from
/// 00:11:22:33:44:55, length 300" and at -v the fields and options on "\n\t  " lines.
Result print_bootp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length);

/// NTP (UDP 123): prints after "IP a.p > b.q: " "NTPv4, Client, length 48" and at -v the
/// header fields on "\n\t" lines.
Result print_ntp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length);

}  // namespace pxdump::printers
