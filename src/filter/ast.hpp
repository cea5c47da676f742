// The syntax tree of a pcap-filter(7) expression: boolean nodes over primitives (qualified
// identifiers, protocol names, special words) and relations between arithmetic expressions.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pcapxx::filter {

/// Protocol qualifiers (pcap-filter(7) "proto" qualifiers and protocol names).
enum class Proto : std::uint8_t {
  none, link, ip, ip6, arp, rarp, tcp, udp, sctp, icmp, icmp6, igmp, igrp, pim, vrrp, carp, ah, esp,
  // The 802.2 LLC family and other link-level protocols (pcap-filter(7) "proto" names).
  stp, ipx, netbeui, iso, clnp, esis, isis, l1, l2, iih, lsp, snp, csnp, psnp,
  decnet, atalk, aarp, lat, sca, moprc, mopdl,
  unsupported,
};

enum class Dir : std::uint8_t {
  none, src, dst, src_or_dst, src_and_dst,
  addr1, addr2, addr3, addr4, ra, ta,  ///< 802.11 address fields (pcap-filter(7))
};
enum class Kind : std::uint8_t { none, host, net, port, portrange, proto, protochain };

struct Qual {
  Proto proto = Proto::none;
  Dir dir = Dir::none;
  Kind kind = Kind::none;
  bool undefined = false;  ///< a bare identifier with no qualified primitive before it to inherit from
};

/// The identifier after the qualifiers: a number, an address, a name.
struct Id {
  enum class Type : std::uint8_t { number, ipv4, ipv6, mac, name, range } type = Type::number;
  std::uint32_t value = 0;      ///< number, IPv4 address, range low end
  std::uint32_t value2 = 0;     ///< range high end
  int parts = 4;                ///< dotted parts written (IPv4)
  std::array<std::uint8_t, 16> bytes{};
  std::string text;
  bool escaped = false;
  // Network forms: "A/len" and "A mask M".
  bool has_prefix = false;
  std::uint32_t prefix_len = 0;
  bool has_mask = false;
  std::uint32_t mask = 0;
  std::uint32_t column = 1;
};

enum class ArithOp : std::uint8_t { add, sub, mul, div, mod, band, bor, bxor, shl, shr };

struct Arith {
  enum class Type : std::uint8_t { number, len, load, binary, neg } type = Type::number;
  std::uint32_t value = 0;
  Proto proto = Proto::none;  ///< load: which header the index is relative to
  std::uint32_t size = 1;     ///< load: 1, 2 or 4 bytes
  ArithOp op = ArithOp::add;
  std::unique_ptr<Arith> left, right;  ///< binary: both; load: left is the index; neg: left
  std::uint32_t column = 1;
};

enum class RelOp : std::uint8_t { eq, ne, gt, ge, lt, le };

struct Expr {
  enum class Type : std::uint8_t {
    and_, or_, not_,
    primitive,   ///< qual + id
    proto_only,  ///< "tcp", "ip6", "ether proto"-less protocol test
    relation,    ///< arith relop arith
    less, greater,
    broadcast, multicast,  ///< qual.proto: none/link, ip, ip6
    // Encapsulations that shift the offsets of everything after them (has_value: a number follows).
    vlan, mpls, pppoed, pppoes, geneve,
    llc,                   ///< id.text: the subtype name, empty for any LLC frame
    inbound, outbound, ifindex,
    wlan_type,  ///< 802.11 frame control byte: (byte & id.mask) == value
    wlan_dir,   ///< 802.11 flags byte: (byte & 3) == value
  } type = Type::primitive;
  std::unique_ptr<Expr> left, right;
  Qual qual;
  Id id;
  RelOp rel = RelOp::eq;
  std::unique_ptr<Arith> lhs, rhs;
  std::uint32_t value = 0;
  bool has_value = false;
  std::uint32_t column = 1;
};

}  // namespace pcapxx::filter
