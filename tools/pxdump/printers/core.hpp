// pxdump printers, part A: the walk over one decoded packet and the printers of the link,
// network and transport layers (Ethernet, 802.1Q/ad, MPLS, ARP/RARP, Linux SLL/SLL2, NULL/LOOP,
// IPv4, IPv6 + extension headers, TCP, UDP). Each printer appends tcpdump 4.99's text for its
// layer to ctx.out and hands the rest of the packet to print_from().
//
// `length` everywhere is the length tcpdump passes down: bytes on the wire from this layer on
// (the original length minus the headers before it, trimmed by IP's total length); the captured
// bytes may be fewer (snaplen).
//
// Cut captures: each printer stops where tcpdump stops and prints its marker with tcpdump's
// protocol name (" [|udp]", " [|hbhopt]", " [|rt6]", "options [mss [|tcp]>"...); the
// truncation test cuts real and crafted packets at every length to hold this. NOT DONE: a cut
// routing header of a type other than 0 and 2 (e.g. SRH) shows only its fixed fields; in a
// cut TCP option list tcpdump shows part of MPTCP, TFO and TCP-AO data, pxdump only the name.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pcapxx/decode.hpp"
#include "printers/names.hpp"
#include "printers/printer.hpp"
#include "printers/protocols.hpp"

namespace pxdump::printers {

class TcpSequenceTable;

/// A Packet borrowed from a small per-thread pool, for the decodes a printer starts itself
/// (the inner packet of a tunnel; an extension-header chain past the decoder's layer limit), so
/// that nothing is allocated per packet. Borrowing is scoped, hence last in, first out; get() is
/// nullptr when the pool is used up (nesting deeper than any printer follows).
class PooledPacket {
 public:
  PooledPacket() = default;
  PooledPacket(const PooledPacket&) = delete;
  PooledPacket& operator=(const PooledPacket&) = delete;
  ~PooledPacket() {
    if (packet_ != nullptr) --in_use_;
  }
  /// Borrows one if not yet done.
  pcapxx::layers::Packet* get() {
    if (packet_ == nullptr && in_use_ < kPool) packet_ = &pool_[in_use_++];
    return packet_;
  }

 private:
  static constexpr std::size_t kPool = 16;
  static inline thread_local std::array<pcapxx::layers::Packet, kPool> pool_;
  static inline thread_local std::size_t in_use_ = 0;
  pcapxx::layers::Packet* packet_ = nullptr;
};

/// One packet being printed.
struct Context {
  Out& out;
  const Resolver& resolver;
  const Names& names;             ///< resolver's functions in part B's shape
  TcpSequenceTable& tcp_state;
  const pcapxx::layers::Packet& packet;
  std::span<const pcapxx::layers::Layer> layers;
  std::uint32_t caplen = 0;
  std::uint32_t origlen = 0;
  std::uint32_t link_header_length = 0;  ///< what -x/-X/-A skip (tcpdump's hdrlen)
  bool link_done = false;                 ///< the first non-link printer ran (fixes link_header_length)
  const pcapxx::layers::Ipv4* ip4 = nullptr;  ///< the IP header of the current transport
  const pcapxx::layers::Ipv6* ip6 = nullptr;
  const pcapxx::layers::Layer* ip_layer = nullptr;
  bool fragmented = false;
  std::uint8_t ip6_next_header = 0;       ///< the IPv6 next header the transport came in
  /// The last address of a type 0/2 routing header: the destination of the transport's
  /// pseudo-header (RFC 8200 8.1); nullptr without one.
  const std::byte* ip6_final_destination = nullptr;
  int depth = 0;                          ///< nesting of inner packets (tunnels)
};

/// Prints layers[index] and what follows it. Past the decoded layers: the decode failure at this
/// point (tcpdump's truncation marker), or nothing.
void print_from(Context& ctx, std::size_t index, std::uint32_t length);

/// Prints bytes of the given layer type that the packet's decode did not reach as a layer
/// (a failed decode, or a protocol inside a part B printer's payload).
void print_bytes_as(Context& ctx, pcapxx::layers::LayerType type, std::span<const std::byte> bytes,
                    std::uint32_t length);

/// The index of `layer` in ctx.layers.
std::size_t index_of(const Context& ctx, const pcapxx::layers::Layer& layer);

// Link layers.
void print_ethernet(Context& ctx, std::size_t index, std::uint32_t length);
void print_dot1q(Context& ctx, std::size_t index, std::uint32_t length);
void print_mpls(Context& ctx, std::size_t index, std::uint32_t length);
void print_linux_sll(Context& ctx, std::size_t index, std::uint32_t length);
void print_linux_sll2(Context& ctx, std::size_t index, std::uint32_t length);
void print_loopback(Context& ctx, std::size_t index, std::uint32_t length);
void print_arp(Context& ctx, std::size_t index, std::uint32_t length);
/// What follows an EtherType (after Ethernet, VLAN, SLL, SNAP): the next layer, or tcpdump's
/// text for an EtherType it does not decode.
void print_ethertype_payload(Context& ctx, std::size_t index, std::uint32_t length, std::uint16_t ethertype);
/// tcpdump's name of an EtherType ("IPv4"), or empty.
std::string_view ethertype_name(std::uint16_t ethertype);

// Network layers.
void print_ipv4(Context& ctx, std::size_t index, std::uint32_t length);
void print_ipv6(Context& ctx, std::size_t index, std::uint32_t length);
/// An IPv4 header the decode refused because the capture ends inside its options, printed as
/// tcpdump prints it (fields, the options captured, "[|ip]" where they end); false when the
/// bytes are not such a header.
bool print_ipv4_cut_options(Context& ctx, std::span<const std::byte> bytes, std::uint32_t length);
/// tcpdump's name of an IP protocol number ("TCP"), or empty.
std::string_view ip_protocol_name(std::uint8_t protocol);
/// getprotobynumber()'s lower-case name as tcpdump prints it for fragments ("tcp"), or empty.
std::string_view ip_protocol_short_name(std::uint8_t protocol);

// Transport layers.
void print_tcp(Context& ctx, std::size_t index, std::uint32_t length);
void print_udp(Context& ctx, std::size_t index, std::uint32_t length);
/// UDP bytes whose header did not decode (cut, or a length field below 8): tcpdump's
/// "truncated-udp N", "truncated-udplength N" or "[|udp]" after what it could read.
void print_udp_failed(Context& ctx, std::span<const std::byte> bytes, std::uint32_t length);
/// TCP bytes whose header did not decode: tcpdump's "[bad hdr length ...]" or "[|tcp]".
void print_tcp_failed(Context& ctx, std::span<const std::byte> bytes, std::uint32_t length);
/// "a.p > b.q: " (or "p > q: " when the transport is not directly in IP).
void print_transport_addresses(Context& ctx, std::uint16_t sport, std::uint16_t dport, bool udp);

/// Hex dumps (-x, -X, -A): appended after the packet's text.
void hex_dump(Out& out, std::span<const std::byte> bytes, bool ascii);
void hex_only_dump(Out& out, std::span<const std::byte> bytes);
void ascii_dump(Out& out, std::span<const std::byte> bytes);

/// The Internet checksum of bytes plus a running sum (RFC 1071).
std::uint32_t checksum_add(std::span<const std::byte> bytes, std::uint32_t sum);
std::uint16_t checksum_fold(std::uint32_t sum);
/// tcpdump's in_cksum_shouldbe: the checksum the field should have held.
std::uint16_t checksum_should_be(std::uint16_t sum_field, std::uint16_t computed);
/// Sum of the transport pseudo-header of the current IP header.
std::uint32_t pseudo_header_sum(const Context& ctx, std::uint8_t protocol, std::uint32_t length);

}  // namespace pxdump::printers
