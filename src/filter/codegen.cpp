// Each primitive becomes a graph of test blocks with a true and a false exit, built in the
// order libpcap's gencode.c builds them (the order matters: a load past the captured bytes
// ends the whole program with 0, so which loads run on which path is part of the semantics).
// Facts: header offsets from RFC 791 (IPv4), RFC 8200 (IPv6), RFC 826 (ARP), the LINKTYPE
// registry (SLL, SLL2, NULL, LOOP); the primitive-to-test mapping from pcap-filter(7) and the
// programs libpcap generates.
#include "filter/codegen.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "filter/lexer.hpp"
#include "filter/graph.hpp"

namespace pcapxx::filter {
namespace {

using namespace bpf;

constexpr std::uint16_t kEtherIp = 0x0800;
constexpr std::uint16_t kEtherIp6 = 0x86dd;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kEtherRarp = 0x8035;
constexpr std::uint32_t kIpProtoTcp = 6, kIpProtoUdp = 17, kIpProtoSctp = 132;
constexpr std::uint32_t kIpProtoIcmp6 = 58, kIp6Fragment = 44;
constexpr std::uint32_t kProtoUndef = 0xffffffff;

class Gen {
 public:
  explicit Gen(const CodegenOptions& o) : opt_(o), graph_() {}

  Result<BpfProgram> run(const Expr* e) {
    if (!setup_link()) return std::unexpected(*err_);
    Cond c = e == nullptr ? graph_.konst(true) : expr(*e);
    if (err_) return std::unexpected(*err_);
    return graph_.finish(c, opt_.snaplen, opt_.optimize);
  }

 private:
  // ---- errors
  Cond error(Errc code, std::uint32_t column, std::string message) {
    if (!err_) err_ = fail_column(code, column, message).error();
    return graph_.konst(false);
  }

  // ---- link layer
  bool setup_link() {
    switch (opt_.link.dlt) {
      case 1: nl_ = 14; return true;    // EN10MB
      case 113: nl_ = 16; return true;  // LINUX_SLL
      case 276: nl_ = 20; return true;  // LINUX_SLL2
      case 12: case 14: case 228: case 229: nl_ = 0; return true;  // RAW (Linux and BSD values), IPV4, IPV6
      case 0: case 108: nl_ = 4; return true;  // NULL, LOOP
      default:
        err_ = Error{Errc::unsupported, fmt::format("filter: link type {} is not supported yet", opt_.link.dlt),
                     std::nullopt, std::nullopt, 0};
        return false;
    }
  }
  bool is_ethernet() const { return opt_.link.dlt == 1; }

  Cond load_test(std::uint16_t size, std::uint32_t off, std::uint16_t jop, std::uint32_t k) {
    return graph_.test({stmt(kLd | size | kAbs, off)}, kJmp | jop | kK, k);
  }

  // The link-layer type test (gen_linktype): is the payload of this ethertype?
  Cond linktype(std::uint32_t ethertype, std::uint32_t column) {
    switch (opt_.link.dlt) {
      case 1:
        if (ethertype <= 1500)
          return error(Errc::unsupported, column, "802.2 LLC protocol types are not supported yet");
        return load_test(kH, 12, kJeq, ethertype);
      case 113: return load_test(kH, 14, kJeq, ethertype);
      case 276: return load_test(kH, 0, kJeq, ethertype);
      case 12: case 14:
        if (ethertype == kEtherIp || ethertype == kEtherIp6)
          return graph_.test({stmt(kLd | kB | kAbs, 0), stmt(kAlu | kAnd | kK, 0xf0)}, kJmp | kJeq | kK,
                             ethertype == kEtherIp ? 0x40 : 0x60);
        return graph_.konst(false);
      case 228: return graph_.konst(ethertype == kEtherIp);
      case 229: return graph_.konst(ethertype == kEtherIp6);
      case 0: case 108: {
        // The address family word: host byte order for NULL, network order for LOOP.
        std::uint32_t af;
        if (ethertype == kEtherIp) af = AF_INET;
        else if (ethertype == kEtherIp6) af = AF_INET6;
        else return graph_.konst(false);
        if (opt_.link.dlt == 0) af = ntohl(af) == af ? af : __builtin_bswap32(af);
        return load_test(kW, 0, kJeq, af);
      }
      default: return graph_.konst(false);
    }
  }

  // ---- IP layer
  Cond ipfrag() {  // true when this is the first or only fragment
    return graph_.negate(load_test(kH, nl_ + 6, kJset, 0x1fff));
  }
  Cond ip_proto(std::uint32_t v, std::uint32_t col) {
    Cond link = linktype(kEtherIp, col);
    return graph_.both(link, load_test(kB, nl_ + 9, kJeq, v));
  }
  Cond ip6_proto(std::uint32_t v, std::uint32_t col) {
    Cond link = linktype(kEtherIp6, col);
    Cond direct = load_test(kB, nl_ + 6, kJeq, v);
    Cond frag = graph_.both(load_test(kB, nl_ + 6, kJeq, kIp6Fragment), load_test(kB, nl_ + 40, kJeq, v));
    return graph_.both(link, graph_.either(direct, frag));
  }
  Cond any_proto(std::uint32_t v, std::uint32_t col) {
    Cond a = ip_proto(v, col);
    return graph_.either(a, ip6_proto(v, col));
  }

  // gen_proto_abbrev: a protocol word on its own.
  Cond proto_abbrev(Proto p, std::uint32_t col) {
    switch (p) {
      case Proto::ip: return linktype(kEtherIp, col);
      case Proto::ip6: return linktype(kEtherIp6, col);
      case Proto::arp: return linktype(kEtherArp, col);
      case Proto::rarp: return linktype(kEtherRarp, col);
      case Proto::tcp: return any_proto(kIpProtoTcp, col);
      case Proto::udp: return any_proto(kIpProtoUdp, col);
      case Proto::sctp: return any_proto(kIpProtoSctp, col);
      case Proto::icmp: return ip_proto(1, col);
      case Proto::igmp: return ip_proto(2, col);
      case Proto::igrp: return ip_proto(9, col);
      case Proto::pim: return any_proto(103, col);
      case Proto::vrrp: return ip_proto(112, col);
      case Proto::carp: return ip_proto(112, col);
      case Proto::icmp6: return ip6_proto(kIpProtoIcmp6, col);
      case Proto::ah: return any_proto(51, col);
      case Proto::esp: return any_proto(50, col);
      case Proto::link: return error(Errc::invalid_argument, col, "link layer applied in wrong context");
      default: return error(Errc::unsupported, col, "protocol not supported yet");
    }
  }

  // ---- hosts and networks
  Cond mcmp(std::uint32_t off, std::uint32_t v, std::uint32_t mask) {
    if (mask == 0xffffffff) return load_test(kW, off, kJeq, v);
    return graph_.test({stmt(kLd | kW | kAbs, off), stmt(kAlu | kAnd | kK, mask)}, kJmp | kJeq | kK, v);
  }
  Cond by_dir(Dir dir, const auto& make) {  // make(bool src)
    switch (dir) {
      case Dir::src: return make(true);
      case Dir::dst: return make(false);
      case Dir::src_and_dst: { Cond s = make(true); return graph_.both(s, make(false)); }
      default: { Cond s = make(true); return graph_.either(s, make(false)); }
    }
  }
  Cond hostop(std::uint32_t addr, std::uint32_t mask, Dir dir, std::uint16_t ethertype, std::uint32_t src_off,
              std::uint32_t dst_off, std::uint32_t col) {
    return by_dir(dir, [&](bool src) {
      Cond link = linktype(ethertype, col);
      return graph_.both(link, mcmp(nl_ + (src ? src_off : dst_off), addr, mask));
    });
  }
  Cond host4(std::uint32_t addr, std::uint32_t mask, Proto proto, Dir dir, std::uint32_t col) {
    switch (proto) {
      case Proto::none: {
        Cond ip = host4(addr, mask, Proto::ip, dir, col);
        Cond arp = graph_.either(ip, host4(addr, mask, Proto::arp, dir, col));
        return graph_.either(arp, host4(addr, mask, Proto::rarp, dir, col));
      }
      case Proto::ip: return hostop(addr, mask, dir, kEtherIp, 12, 16, col);
      case Proto::arp: return hostop(addr, mask, dir, kEtherArp, 14, 24, col);
      case Proto::rarp: return hostop(addr, mask, dir, kEtherRarp, 14, 24, col);
      default:
        return error(Errc::invalid_argument, col, fmt::format("'{}' modifier applied to host", proto_name(proto)));
    }
  }
  Cond host6(const std::array<std::uint8_t, 16>& addr, const std::array<std::uint8_t, 16>& mask, Proto proto, Dir dir,
             std::uint32_t col) {
    if (proto != Proto::none && proto != Proto::ip6)
      return error(Errc::invalid_argument, col, fmt::format("'{}' modifier applied to ip6 host", proto_name(proto)));
    return by_dir(dir, [&](bool src) {
      std::uint32_t base = nl_ + (src ? 8 : 24);
      Cond c = linktype(kEtherIp6, col);
      for (std::uint32_t w = 0; w < 4; ++w) {
        std::uint32_t a = 0, m = 0;
        for (std::uint32_t b = 0; b < 4; ++b) {
          a = a << 8 | addr[4 * w + b];
          m = m << 8 | mask[4 * w + b];
        }
        if (m == 0) continue;  // libpcap's optimizer drops the always-true word tests
        c = graph_.both(c, mcmp(base + 4 * w, a & m, m));
      }
      return c;
    });
  }

  // ---- ports
  Cond port_atom4(std::uint32_t off, std::uint32_t lo, std::uint32_t hi) {
    std::vector<BpfInsn> load = {stmt(kLdx | kB | kMsh, nl_), stmt(kLd | kH | kInd, nl_ + off)};
    if (lo == hi) return graph_.test(load, kJmp | kJeq | kK, lo);
    Cond ge = graph_.test(load, kJmp | kJge | kK, lo);
    return graph_.both(ge, graph_.negate(graph_.test(load, kJmp | kJgt | kK, hi)));
  }
  Cond port_atom6(std::uint32_t off, std::uint32_t lo, std::uint32_t hi) {
    std::vector<BpfInsn> load = {stmt(kLd | kH | kAbs, nl_ + 40 + off)};
    if (lo == hi) return graph_.test(load, kJmp | kJeq | kK, lo);
    Cond ge = graph_.test(load, kJmp | kJge | kK, lo);
    return graph_.both(ge, graph_.negate(graph_.test(load, kJmp | kJgt | kK, hi)));
  }
  Cond portop4(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir) {
    Cond p = load_test(kB, nl_ + 9, kJeq, proto);
    Cond b0 = graph_.both(p, ipfrag());
    Cond b1 = by_dir(dir, [&](bool src) { return port_atom4(src ? 0 : 2, lo, hi); });
    return graph_.both(b0, b1);
  }
  Cond portop6(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir) {
    Cond p = load_test(kB, nl_ + 6, kJeq, proto);
    Cond b1 = by_dir(dir, [&](bool src) { return port_atom6(src ? 0 : 2, lo, hi); });
    return graph_.both(p, b1);
  }
  Cond ports(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir, std::uint32_t col) {
    auto family = [&](bool v6) {
      Cond link = linktype(v6 ? kEtherIp6 : kEtherIp, col);
      auto op = [&](std::uint32_t pr) { return v6 ? portop6(lo, hi, pr, dir) : portop4(lo, hi, pr, dir); };
      Cond b1;
      if (proto != kProtoUndef) {
        b1 = op(proto);
      } else {
        Cond sctp = op(kIpProtoSctp);
        Cond tcp = op(kIpProtoTcp);
        b1 = graph_.either(sctp, graph_.either(tcp, op(kIpProtoUdp)));
      }
      return graph_.both(link, b1);
    };
    Cond six = family(true);
    return graph_.either(six, family(false));
  }

  // A port name or number; `proto` is narrowed by what the services database says.
  std::optional<std::uint32_t> port_number(const Id& id, std::uint32_t& proto) {
    if (id.type == Id::Type::number) return id.value;
    if (id.type != Id::Type::name) return std::nullopt;
    servent* tcp = ::getservbyname(id.text.c_str(), "tcp");
    int tcp_port = tcp ? ntohs(static_cast<std::uint16_t>(tcp->s_port)) : -1;
    servent* udp = ::getservbyname(id.text.c_str(), "udp");
    int udp_port = udp ? ntohs(static_cast<std::uint16_t>(udp->s_port)) : -1;
    if (tcp_port < 0 && udp_port < 0) {
      error(Errc::not_found, id.column, fmt::format("unknown port '{}'", id.text));
      return std::nullopt;
    }
    std::uint32_t found = tcp_port >= 0 && udp_port >= 0 ? kProtoUndef : tcp_port >= 0 ? kIpProtoTcp : kIpProtoUdp;
    if (tcp_port >= 0 && udp_port >= 0 && tcp_port != udp_port) {
      error(Errc::invalid_argument, id.column, fmt::format("ambiguous port '{}' in /etc/services", id.text));
      return std::nullopt;
    }
    if (proto == kProtoUndef) {
      proto = found;
    } else if (found != kProtoUndef && found != proto) {
      error(Errc::invalid_argument, id.column, fmt::format("port '{}' is {}", id.text, found == kIpProtoTcp ? "tcp" : "udp"));
      return std::nullopt;
    }
    return static_cast<std::uint32_t>(tcp_port >= 0 ? tcp_port : udp_port);
  }

  Cond port_primitive(const Expr& e) {
    const Id& id = e.id;
    std::uint32_t proto;
    switch (e.qual.proto) {
      case Proto::tcp: proto = kIpProtoTcp; break;
      case Proto::udp: proto = kIpProtoUdp; break;
      case Proto::sctp: proto = kIpProtoSctp; break;
      case Proto::none: proto = kProtoUndef; break;
      default: return error(Errc::invalid_argument, e.column, "illegal qualifier of 'port'");
    }
    std::uint32_t lo, hi;
    if (e.qual.kind == Kind::port) {
      if (id.type != Id::Type::number && id.type != Id::Type::name)
        return error(Errc::invalid_argument, id.column, fmt::format("'{}' is not a port", id.text));
      auto p = port_number(id, proto);
      if (!p) return graph_.konst(false);
      lo = hi = *p;
    } else {
      if (id.type == Id::Type::number) {
        lo = hi = id.value;
      } else {
        auto dash = id.text.find('-');
        if (dash == std::string::npos)
          return error(Errc::invalid_argument, id.column, fmt::format("'{}' is not a port range", id.text));
        Id a = id, b = id;
        a.text = id.text.substr(0, dash);
        b.text = id.text.substr(dash + 1);
        for (Id* part : {&a, &b}) {
          bool overflow = false;
          (void)overflow;
          char* end = nullptr;
          unsigned long v = std::strtoul(part->text.c_str(), &end, 10);
          if (!part->text.empty() && end != nullptr && *end == '\0') {
            part->type = Id::Type::number;
            part->value = static_cast<std::uint32_t>(std::min<unsigned long>(v, 0xffffffffUL));
          } else {
            part->type = Id::Type::name;
          }
        }
        auto pa = port_number(a, proto);
        if (!pa) return graph_.konst(false);
        auto pb = port_number(b, proto);
        if (!pb) return graph_.konst(false);
        lo = std::min(*pa, *pb);
        hi = std::max(*pa, *pb);
      }
    }
    if (hi > 65535) return error(Errc::invalid_argument, id.column, fmt::format("illegal port number {} > 65535", hi));
    return ports(lo, hi, proto, e.qual.dir, e.column);
  }

  // ---- protocol numbers
  std::optional<std::uint32_t> ip_protocol_number(const Id& id) {
    if (id.type == Id::Type::number) return id.value;
    static constexpr std::pair<std::string_view, std::uint32_t> kNames[] = {
        {"icmp", 1}, {"igmp", 2}, {"tcp", 6}, {"igrp", 9}, {"udp", 17}, {"ah", 51}, {"esp", 50},
        {"icmp6", 58}, {"pim", 103}, {"vrrp", 112}, {"carp", 112}, {"sctp", 132}};
    for (auto [n, v] : kNames)
      if (id.text == n) return v;
    if (protoent* p = ::getprotobyname(id.text.c_str())) return static_cast<std::uint32_t>(p->p_proto);
    error(Errc::not_found, id.column, fmt::format("unknown ip proto '{}'", id.text));
    return std::nullopt;
  }
  std::optional<std::uint32_t> ether_protocol_number(const Id& id) {
    if (id.type == Id::Type::number) return id.value;
    static constexpr std::pair<std::string_view, std::uint32_t> kNames[] = {
        {"ip", kEtherIp}, {"ip6", kEtherIp6}, {"arp", kEtherArp}, {"rarp", kEtherRarp}};
    for (auto [n, v] : kNames)
      if (id.text == n) return v;
    error(Errc::unsupported, id.column, fmt::format("ether proto '{}' is not supported yet", id.text));
    return std::nullopt;
  }

  Cond proto_primitive(const Expr& e) {
    const Id& id = e.id;
    switch (e.qual.proto) {
      case Proto::link: {
        auto v = ether_protocol_number(id);
        if (!v) return graph_.konst(false);
        return linktype(*v, id.column);
      }
      case Proto::ip: {
        auto v = ip_protocol_number(id);
        if (!v) return graph_.konst(false);
        return ip_proto(*v, id.column);
      }
      case Proto::ip6: {
        auto v = ip_protocol_number(id);
        if (!v) return graph_.konst(false);
        return ip6_proto(*v, id.column);
      }
      case Proto::none: {
        auto v = ip_protocol_number(id);
        if (!v) return graph_.konst(false);
        return any_proto(*v, id.column);
      }
      default:
        return error(Errc::unsupported, e.column, fmt::format("'{} proto' is not supported yet", proto_name(e.qual.proto)));
    }
  }

  static std::string_view proto_name(Proto p) {
    switch (p) {
      case Proto::link: return "ether";
      case Proto::ip: return "ip";
      case Proto::ip6: return "ip6";
      case Proto::arp: return "arp";
      case Proto::rarp: return "rarp";
      case Proto::tcp: return "tcp";
      case Proto::udp: return "udp";
      case Proto::sctp: return "sctp";
      case Proto::icmp: return "icmp";
      case Proto::icmp6: return "icmp6";
      case Proto::igmp: return "igmp";
      case Proto::igrp: return "igrp";
      case Proto::pim: return "pim";
      case Proto::vrrp: return "vrrp";
      case Proto::carp: return "carp";
      case Proto::ah: return "ah";
      case Proto::esp: return "esp";
      default: return "?";
    }
  }

  // ---- ethernet addresses
  Cond ether_addr(const std::array<std::uint8_t, 16>& mac, Dir dir, std::uint32_t col) {
    if (!is_ethernet())
      return error(Errc::invalid_argument, col, "ethernet addresses supported only on ethernet links here");
    return by_dir(dir, [&](bool src) {
      std::uint32_t off = src ? 6 : 0;
      std::uint32_t w = static_cast<std::uint32_t>(mac[2]) << 24 | mac[3] << 16 | mac[4] << 8 | mac[5];
      Cond hi = load_test(kW, off + 2, kJeq, w);
      return graph_.both(hi, load_test(kH, off, kJeq, static_cast<std::uint32_t>(mac[0] << 8 | mac[1])));
    });
  }

  // ---- primitives
  Cond primitive(const Expr& e) {
    const Qual& q = e.qual;
    const Id& id = e.id;
    if (q.kind == Kind::port || q.kind == Kind::portrange) return port_primitive(e);
    if (q.kind == Kind::proto) return proto_primitive(e);
    // host / net / default
    if (id.type == Id::Type::mac) {
      if (q.proto != Proto::link && q.proto != Proto::none)
        return error(Errc::invalid_argument, id.column, "ethernet address used in non-ether expression");
      if (q.kind == Kind::net) return error(Errc::invalid_argument, id.column, "ethernet address used in non-ether expression");
      return ether_addr(id.bytes, q.dir, id.column);
    }
    if (q.proto == Proto::link) {
      if (id.type == Id::Type::name)
        return error(Errc::unsupported, id.column, fmt::format("ethernet host names ('{}') are not supported", id.text));
      return error(Errc::invalid_argument, id.column, "illegal link layer address");
    }
    if (id.type == Id::Type::ipv6) {
      std::array<std::uint8_t, 16> mask{};
      std::uint32_t len = id.has_prefix ? id.prefix_len : 128;
      if (len > 128) return error(Errc::invalid_argument, id.column, fmt::format("mask length must be <= 128"));
      if (id.has_prefix && q.kind == Kind::host)
        return error(Errc::invalid_argument, id.column, "Mask syntax for networks only");
      for (std::uint32_t b = 0; b < len; ++b) mask[b / 8] = static_cast<std::uint8_t>(mask[b / 8] | (0x80 >> (b % 8)));
      for (std::size_t i = 0; i < 16; ++i)
        if (id.bytes[i] & ~mask[i])
          return error(Errc::invalid_argument, id.column, fmt::format("non-network bits set in \"{}/{}\"", id.text, len));
      return host6(id.bytes, mask, q.proto, q.dir, id.column);
    }
    if (id.type == Id::Type::ipv4 || id.type == Id::Type::number) {
      std::uint32_t addr = id.value;
      std::uint32_t mask = 0xffffffff;
      if (id.has_prefix || id.has_mask) {
        if (q.kind == Kind::host) return error(Errc::invalid_argument, id.column, "Mask syntax for networks only");
        std::uint32_t written = id.type == Id::Type::number ? id.value << 24 : id.value;
        if (id.type == Id::Type::number) addr = written;
        if (id.has_prefix) {
          if (id.prefix_len > 32) return error(Errc::invalid_argument, id.column, fmt::format("mask length must be <= 32"));
          mask = id.prefix_len == 0 ? 0 : 0xffffffffu << (32 - id.prefix_len);
        } else {
          mask = id.mask;
        }
        if (addr & ~mask)
          return error(Errc::invalid_argument, id.column,
                       id.has_prefix ? fmt::format("non-network bits set in \"{}/{}\"", id.text, id.prefix_len)
                                     : fmt::format("non-network bits set in \"{} mask\"", id.text));
      } else if (id.type == Id::Type::number && q.kind == Kind::net) {
        while (addr != 0 && (addr & 0xff000000u) == 0) {  // "net 10" is 10.0.0.0/8
          addr <<= 8;
          mask <<= 8;
        }
      } else if (id.type == Id::Type::ipv4) {
        mask = id.parts == 4 ? 0xffffffffu : 0xffffffffu << (32 - 8 * id.parts);
      }
      return host4(addr, mask, q.proto, q.dir, id.column);
    }
    if (id.type == Id::Type::name) {
      if (q.kind == Kind::net) return error(Errc::unsupported, id.column, "network names are not supported yet");
      return host_name(e);
    }
    return error(Errc::invalid_argument, id.column, fmt::format("syntax error at '{}'", id.text));
  }

  Cond host_name(const Expr& e) {
    const Id& id = e.id;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(id.text.c_str(), nullptr, &hints, &res) != 0 || res == nullptr)
      return error(Errc::not_found, id.column, fmt::format("unknown host '{}'", id.text));
    std::optional<Cond> all;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      std::optional<Cond> one;
      if (ai->ai_family == AF_INET && (e.qual.proto == Proto::none || e.qual.proto == Proto::ip ||
                                       e.qual.proto == Proto::arp || e.qual.proto == Proto::rarp)) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(static_cast<const void*>(ai->ai_addr));
        one = host4(ntohl(sin->sin_addr.s_addr), 0xffffffff, e.qual.proto, e.qual.dir, id.column);
      } else if (ai->ai_family == AF_INET6 && (e.qual.proto == Proto::none || e.qual.proto == Proto::ip6)) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(static_cast<const void*>(ai->ai_addr));
        std::array<std::uint8_t, 16> a{}, m{};
        std::memcpy(a.data(), &sin6->sin6_addr, 16);
        m.fill(0xff);
        one = host6(a, m, e.qual.proto, e.qual.dir, id.column);
      }
      if (one) all = all ? graph_.either(*all, *one) : *one;
    }
    ::freeaddrinfo(res);
    if (!all) return error(Errc::not_found, id.column, fmt::format("unknown host '{}' for this protocol", id.text));
    return *all;
  }

  Cond broadcast(const Expr& e) {
    switch (e.qual.proto) {
      case Proto::none: case Proto::link: {
        if (!is_ethernet()) return error(Errc::invalid_argument, e.column, "not a broadcast link");
        std::array<std::uint8_t, 16> ff{};
        std::fill(ff.begin(), ff.begin() + 6, 0xff);
        return ether_addr(ff, Dir::dst, e.column);
      }
      case Proto::ip: {
        if (opt_.netmask == 0xffffffff)
          return error(Errc::invalid_argument, e.column, "netmask not known, so 'ip broadcast' not supported");
        std::uint32_t hostmask = ~opt_.netmask;
        Cond link = linktype(kEtherIp, e.column);
        Cond zero = mcmp(nl_ + 16, 0, hostmask);
        return graph_.both(link, graph_.either(zero, mcmp(nl_ + 16, hostmask, hostmask)));
      }
      default: return error(Errc::invalid_argument, e.column, "only link-layer/IP broadcast filters supported");
    }
  }

  Cond multicast(const Expr& e) {
    switch (e.qual.proto) {
      case Proto::none: case Proto::link:
        if (!is_ethernet())
          return error(Errc::invalid_argument, e.column, "link-layer multicast filters supported only on ethernet here");
        return load_test(kB, 0, kJset, 1);
      case Proto::ip: {
        Cond link = linktype(kEtherIp, e.column);
        return graph_.both(link, load_test(kB, nl_ + 16, kJge, 224));
      }
      case Proto::ip6: {
        Cond link = linktype(kEtherIp6, e.column);
        return graph_.both(link, load_test(kB, nl_ + 24, kJeq, 255));
      }
      default: return error(Errc::invalid_argument, e.column, "only IP multicast filters supported on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
    }
  }

  // ---- arithmetic: a value is guards (tests that must pass first) plus code leaving it in A
  struct Value {
    std::vector<Cond> guards;
    std::vector<BpfInsn> code;
    bool is_const = false;
    std::uint32_t k = 0;
  };

  bool alloc_scratch(std::uint32_t& slot, std::uint32_t col) {
    if (scratch_ >= kMemWords) {
      error(Errc::invalid_argument, col, "too many registers needed to evaluate expression");
      return false;
    }
    slot = scratch_++;
    return true;
  }

  static void to_a(Value& v) {
    if (v.is_const) {
      v.code = {stmt(kLd | kImm, v.k)};
      v.is_const = false;
    }
  }

  static std::optional<std::uint32_t> fold(ArithOp op, std::uint32_t a, std::uint32_t b) {
    switch (op) {
      case ArithOp::add: return a + b;
      case ArithOp::sub: return a - b;
      case ArithOp::mul: return a * b;
      case ArithOp::div: return b == 0 ? std::nullopt : std::optional<std::uint32_t>(a / b);
      case ArithOp::mod: return b == 0 ? std::nullopt : std::optional<std::uint32_t>(a % b);
      case ArithOp::band: return a & b;
      case ArithOp::bor: return a | b;
      case ArithOp::bxor: return a ^ b;
      case ArithOp::shl: return b < 32 ? a << b : 0;
      case ArithOp::shr: return b < 32 ? a >> b : 0;
    }
    return std::nullopt;
  }
  static std::uint16_t alu_of(ArithOp op) {
    switch (op) {
      case ArithOp::add: return kAdd;
      case ArithOp::sub: return kSub;
      case ArithOp::mul: return kMul;
      case ArithOp::div: return kDiv;
      case ArithOp::mod: return kMod;
      case ArithOp::band: return kAnd;
      case ArithOp::bor: return kOr;
      case ArithOp::bxor: return kXor;
      case ArithOp::shl: return kLsh;
      case ArithOp::shr: return kRsh;
    }
    return kAdd;
  }

  std::optional<Value> arith(const Arith& a) {
    switch (a.type) {
      case Arith::Type::number: return Value{{}, {}, true, a.value};
      case Arith::Type::len: return Value{{}, {stmt(kLd | kW | kLen, 0)}, false, 0};
      case Arith::Type::neg: {
        auto v = arith(*a.left);
        if (!v) return std::nullopt;
        if (v->is_const) return Value{std::move(v->guards), {}, true, 0u - v->k};
        v->code.push_back(stmt(kAlu | kNeg, 0));
        return v;
      }
      case Arith::Type::binary: {
        auto l = arith(*a.left);
        if (!l) return std::nullopt;
        auto r = arith(*a.right);
        if (!r) return std::nullopt;
        if (r->is_const) {
          if ((a.op == ArithOp::div || a.op == ArithOp::mod) && r->k == 0) {
            error(Errc::invalid_argument, a.column, a.op == ArithOp::div ? "division by zero" : "modulus by zero");
            return std::nullopt;
          }
          if ((a.op == ArithOp::shl || a.op == ArithOp::shr) && r->k > 31) {
            error(Errc::invalid_argument, a.column, "shift by more than 31 bits");
            return std::nullopt;
          }
        }
        Value out;
        out.guards = std::move(l->guards);
        for (auto& g : r->guards) out.guards.push_back(g);
        if (l->is_const && r->is_const) {
          out.is_const = true;
          out.k = *fold(a.op, l->k, r->k);
          return out;
        }
        if (r->is_const) {
          out.code = std::move(l->code);
          out.code.push_back(stmt(kAlu | alu_of(a.op) | kK, r->k));
          return out;
        }
        to_a(*l);
        std::uint32_t slot;
        if (!alloc_scratch(slot, a.column)) return std::nullopt;
        out.code = std::move(r->code);
        out.code.push_back(stmt(kSt, slot));
        for (auto& i : l->code) out.code.push_back(i);
        out.code.push_back(stmt(kLdx | kMem, slot));
        out.code.push_back(stmt(kAlu | alu_of(a.op) | kX, 0));
        return out;
      }
      case Arith::Type::load: return load(a);
    }
    return std::nullopt;
  }

  std::optional<Value> load(const Arith& a) {
    auto index = arith(*a.left);
    if (!index) return std::nullopt;
    const std::uint16_t size = a.size == 1 ? kB : a.size == 2 ? kH : kW;
    Value out;
    auto indexed = [&](std::uint32_t base) {  // code: index in A -> load [x + base]
      if (index->is_const) {
        out.code = {stmt(kLd | size | kAbs, base + index->k)};
      } else {
        out.code = std::move(index->code);
        out.code.push_back(stmt(kMisc | kTax, 0));
        out.code.push_back(stmt(kLd | size | kInd, base));
      }
    };
    switch (a.proto) {
      case Proto::link:
        out.guards = std::move(index->guards);
        indexed(0);
        return out;
      case Proto::ip:
      case Proto::ip6:
      case Proto::arp:
      case Proto::rarp: {
        out.guards = std::move(index->guards);
        std::uint16_t type = a.proto == Proto::ip ? kEtherIp : a.proto == Proto::ip6 ? kEtherIp6
                             : a.proto == Proto::arp ? kEtherArp : kEtherRarp;
        out.guards.push_back(linktype(type, a.column));
        indexed(nl_);
        return out;
      }
      case Proto::icmp6: {
        out.guards = std::move(index->guards);
        out.guards.push_back(ip6_proto_direct(kIpProtoIcmp6, a.column));
        indexed(nl_ + 40);
        return out;
      }
      case Proto::tcp: case Proto::udp: case Proto::sctp: case Proto::icmp: case Proto::igmp: case Proto::igrp:
      case Proto::pim: case Proto::vrrp: case Proto::carp: {
        // libpcap's order: IPv4, the index's own guards, the protocol, first fragment.
        out.guards.push_back(linktype(kEtherIp, a.column));
        for (auto& g : index->guards) out.guards.push_back(g);
        out.guards.push_back(proto_abbrev(a.proto, a.column));
        out.guards.push_back(ipfrag());
        if (index->is_const) {
          out.code = {stmt(kLdx | kB | kMsh, nl_), stmt(kLd | size | kInd, nl_ + index->k)};
        } else {
          std::uint32_t slot;
          if (!alloc_scratch(slot, a.column)) return std::nullopt;
          out.code = std::move(index->code);
          out.code.push_back(stmt(kSt, slot));
          out.code.push_back(stmt(kLdx | kB | kMsh, nl_));
          out.code.push_back(stmt(kLd | kMem, slot));
          out.code.push_back(stmt(kAlu | kAdd | kX, 0));
          out.code.push_back(stmt(kMisc | kTax, 0));
          out.code.push_back(stmt(kLd | size | kInd, nl_));
        }
        return out;
      }
      default:
        error(Errc::unsupported, a.column, fmt::format("'{}[...]' is not supported yet", proto_name(a.proto)));
        return std::nullopt;
    }
  }

  Cond ip6_proto_direct(std::uint32_t v, std::uint32_t col) {
    Cond link = linktype(kEtherIp6, col);
    return graph_.both(link, load_test(kB, nl_ + 6, kJeq, v));
  }

  Cond relation(const Expr& e) {
    // Each scratch cell is written once per relation: a value stored for an outer operation
    // stays intact while the code of its operands runs. Blocks never share cells.
    scratch_ = 0;
    auto l = arith(*e.lhs);
    if (!l) return graph_.konst(false);
    auto r = arith(*e.rhs);
    if (!r) return graph_.konst(false);
    std::uint16_t jop = kJeq;
    bool invert = false;
    switch (e.rel) {
      case RelOp::eq: jop = kJeq; break;
      case RelOp::ne: jop = kJeq; invert = true; break;
      case RelOp::gt: jop = kJgt; break;
      case RelOp::ge: jop = kJge; break;
      case RelOp::lt: jop = kJge; invert = true; break;
      case RelOp::le: jop = kJgt; invert = true; break;
    }
    Cond test;
    if (l->is_const && r->is_const) {
      bool v = jop == kJeq ? l->k == r->k : jop == kJgt ? l->k > r->k : l->k >= r->k;
      test = graph_.konst(v != invert);
    } else if (r->is_const) {
      test = graph_.test(std::move(l->code), kJmp | jop | kK, r->k);
      if (invert) test = graph_.negate(test);
    } else {
      to_a(*l);
      std::uint32_t slot;
      if (!alloc_scratch(slot, e.column)) return graph_.konst(false);
      std::vector<BpfInsn> code = std::move(r->code);
      code.push_back(stmt(kSt, slot));
      for (auto& i : l->code) code.push_back(i);
      code.push_back(stmt(kLdx | kMem, slot));
      test = graph_.test(std::move(code), kJmp | jop | kX, 0);
      if (invert) test = graph_.negate(test);
    }
    std::optional<Cond> all;
    for (auto& g : l->guards) all = all ? graph_.both(*all, g) : g;
    for (auto& g : r->guards) all = all ? graph_.both(*all, g) : g;
    return all ? graph_.both(*all, test) : test;
  }

  Cond expr(const Expr& e) {
    switch (e.type) {
      case Expr::Type::and_: { Cond l = expr(*e.left); return graph_.both(l, expr(*e.right)); }
      case Expr::Type::or_: { Cond l = expr(*e.left); return graph_.either(l, expr(*e.right)); }
      case Expr::Type::not_: return graph_.negate(expr(*e.left));
      case Expr::Type::primitive: return primitive(e);
      case Expr::Type::proto_only: return proto_abbrev(e.qual.proto, e.column);
      case Expr::Type::relation: return relation(e);
      case Expr::Type::less:
        return graph_.negate(graph_.test({stmt(kLd | kW | kLen, 0)}, kJmp | kJgt | kK, e.value));
      case Expr::Type::greater: return graph_.test({stmt(kLd | kW | kLen, 0)}, kJmp | kJge | kK, e.value);
      case Expr::Type::broadcast: return broadcast(e);
      case Expr::Type::multicast: return multicast(e);
    }
    return graph_.konst(false);
  }

  CodegenOptions opt_;
  Graph graph_;
  std::optional<Error> err_;
  std::uint32_t nl_ = 0;
  std::uint32_t scratch_ = 0;
};

}  // namespace

Result<BpfProgram> generate(const Expr* expr, const CodegenOptions& options) { return Gen(options).run(expr); }

}  // namespace pcapxx::filter
