// pcapxx layers: verifying the Internet checksums of a decoded packet: the IPv4 header and TCP,
// UDP, ICMPv4 and ICMPv6 with the pseudo-header of the nearest enclosing IPv4 or IPv6 header
// (RFC 9293 3.1, RFC 768, RFC 792, RFC 4443 2.3, RFC 8200 8.1). GRE and SCTP have checksum_ok().
//
// A checksum is unverified when its bytes were not all captured (snaplen, the copy of a packet
// an ICMP error carries), for an ICMP message inside such a copy, or when the segment is an IP
// fragment; UDP over IPv4 with checksum
// 0 has none (RFC 768). The status values are Wireshark's (*.checksum.status): bad 0, good 1,
// unverified 2, not present 3. With a routing header that has segments left, the IPv6
// pseudo-header holds the final destination (RFC 8200 8.1: the last type 0 address, the type 2
// home address, Segment List[0] of an SRH); other routing types are unverified.
#pragma once

#include <cstdint>

namespace pcapxx::layers {

class Packet;
class Layer;

/// What checksum_status() found.
enum class ChecksumStatus : std::uint8_t { bad = 0, good = 1, unverified = 2, not_present = 3 };

/// Verifies the checksum of `layer`, one of pkt's layers (IPv4, TCP, UDP, ICMPv4, ICMPv6);
/// unverified for other layers.
ChecksumStatus checksum_status(const Packet& pkt, const Layer& layer) noexcept;

}  // namespace pcapxx::layers
