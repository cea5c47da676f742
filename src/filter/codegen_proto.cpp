// Code generation, protocols: IP and IPv6 protocols, ISO, DECnet, proto[], protochain.
// The generator's class and the facts it shares: codegen_generator.hpp.
#include "filter/codegen_generator.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace pcapxx::filter::codegen_detail {

// ---- IP layer
Cond Gen::ipfrag() {  // true when this is the first or only fragment
  return graph_.negate(load_test(kH, nl_ + 6, kJset, 0x1fff));
}

Cond Gen::ip_proto(std::uint32_t v, std::uint32_t col) {
  Cond link = linktype(kEtherIp, col);
  return graph_.both(link, load_test(kB, nl_ + 9, kJeq, v));
}

Cond Gen::ip6_proto(std::uint32_t v, std::uint32_t col) {
  Cond link = linktype(kEtherIp6, col);
  Cond direct = load_test(kB, nl_ + 6, kJeq, v);
  Cond frag = graph_.both(load_test(kB, nl_ + 6, kJeq, kIp6Fragment), load_test(kB, nl_ + 40, kJeq, v));
  return graph_.both(link, graph_.either(direct, frag));
}

Cond Gen::any_proto(std::uint32_t v, std::uint32_t col) {
  Cond a = ip_proto(v, col);
  return graph_.either(a, ip6_proto(v, col));
}

// gen_proto_abbrev: a protocol word on its own.
Cond Gen::proto_abbrev(Proto p, std::uint32_t col) {
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
    case Proto::stp: return linktype(kLlcSapStp, col);
    case Proto::ipx: return linktype(kLlcSapIpx, col);
    case Proto::netbeui: return linktype(kLlcSapNetbeui, col);
    case Proto::iso: return linktype(kLlcSapIsoNs, col);
    case Proto::clnp: return iso_proto(0x81, col);  // ISO 9577 NLPIDs
    case Proto::esis: return iso_proto(0x82, col);
    case Proto::isis: return iso_proto(0x83, col);
    // IS-IS PDU types (ISO 10589): 15/16 LAN hellos, 17 point-to-point hello, 18/20 LSPs,
    // 24/25 complete and 26/27 partial sequence number PDUs, level 1/level 2.
    case Proto::l1: return isis_pdu({0x1a, 0x18, 0x12, 0x0f, 0x11}, col);
    case Proto::l2: return isis_pdu({0x1b, 0x19, 0x14, 0x10, 0x11}, col);
    case Proto::iih: return isis_pdu({0x11, 0x0f, 0x10}, col);
    case Proto::lsp: return isis_pdu({0x12, 0x14}, col);
    case Proto::snp: return isis_pdu({0x1b, 0x1a, 0x18, 0x19}, col);
    case Proto::csnp: return isis_pdu({0x18, 0x19}, col);
    case Proto::psnp: return isis_pdu({0x1a, 0x1b}, col);
    case Proto::decnet: return linktype(0x6003, col);
    case Proto::atalk: return linktype(kEtherAtalk, col);
    case Proto::aarp: return linktype(kEtherAarp, col);
    case Proto::lat: return linktype(0x6004, col);
    case Proto::sca: return linktype(0x6007, col);
    case Proto::moprc: return linktype(0x6002, col);
    case Proto::mopdl: return linktype(0x6001, col);
    case Proto::link: return error(Errc::invalid_argument, col, "link layer applied in wrong context");
    default: return error(Errc::unsupported, col, "protocol not supported yet");
  }
}

// An ISO protocol by its network layer protocol identifier (after the LLC header).
Cond Gen::iso_proto(std::uint32_t nlpid, std::uint32_t col) {
  Cond iso = linktype(kLlcSapIsoNs, col);
  return graph_.both(iso, load_test(kB, nosnap_, kJeq, nlpid));
}

Cond Gen::isis_pdu(std::initializer_list<std::uint32_t> types, std::uint32_t col) {
  Cond isis = iso_proto(0x83, col);
  return graph_.both(isis, any_of(kB, nosnap_ + 4, types));
}

// DECnet Phase IV addresses "area.node" (area 6 bits, node 10 bits, sent little-endian) in
// the routing header after the 2-byte length: a short data packet (flags & 7 == 2: dst at
// +1, src at +3 from the flags) or a long one (flags & 7 == 6: dst at +7, src at +15), each
// possibly after one byte of padding (flags 0x81). DECnet Routing Layer Functional
// Specification V2.0, section 5.
Cond Gen::decnet_host(const Expr& e) {
  const Id& id = e.id;
  // libpcap reads "area.node" as two decimal numbers (anything after a second dot is
  // ignored: "1.2.3.4" is 1.2) and a plain number as the 16-bit address itself.
  auto dot = id.text.find('.');
  const bool dotted = dot != std::string::npos && dot > 0 && dot + 1 < id.text.size() &&
                      std::all_of(id.text.begin(), id.text.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); }) &&
                      id.text[dot + 1] != '.';
  if (id.type == Id::Type::name && !dotted)
    return error(Errc::invalid_argument, id.column, fmt::format("decnet name support not included, '{}' cannot be translated", id.text));
  if (!dotted && id.type != Id::Type::number)
    return error(Errc::unsupported, id.column, fmt::format("DECnet address '{}' in this form is not supported yet", id.text));
  std::uint32_t addr = id.value & 0xffff;
  if (dotted) {
    std::uint32_t area = static_cast<std::uint32_t>(std::strtoul(id.text.c_str(), nullptr, 10));
    std::uint32_t node = static_cast<std::uint32_t>(std::strtoul(id.text.c_str() + dot + 1, nullptr, 10));
    addr = (area << 10 | node) & 0xffff;
  }
  return decnet_addr(addr, e.qual.dir, id.column);
}

Cond Gen::decnet_addr(std::uint32_t addr, Dir dir, std::uint32_t col) {
  addr &= 0xffff;
  std::uint32_t v = (addr & 0xff) << 8 | addr >> 8;
  Cond link = linktype(0x6003, col);
  Cond hosts = by_dir(dir, [&](bool src) {
    const std::uint32_t short_off = src ? 5 : 3, long_off = src ? 17 : 9;
    auto form = [&](std::uint16_t size, std::uint32_t mask, std::uint32_t flags, std::uint32_t off) {
      Cond f = masked_test(size, nl_ + 2, mask, flags);
      return graph_.both(f, load_test(kH, nl_ + off, kJeq, v));
    };
    Cond a = form(kB, 0x7, 0x2, short_off);
    a = graph_.either(a, form(kH, 0xff07, 0x8102, short_off + 1));
    a = graph_.either(a, form(kB, 0x7, 0x6, long_off));
    return graph_.either(a, form(kH, 0xff07, 0x8106, long_off + 1));
  });
  return graph_.both(link, hosts);
}

Cond Gen::proto_primitive(const Expr& e) {
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
    case Proto::iso: {  // the NLPID after the LLC header
      if (id.type != Id::Type::number) return error(Errc::unsupported, id.column, "'iso proto' takes a number here");
      return iso_proto(id.value, id.column);
    }
    case Proto::isis: {  // the IS-IS PDU type (ISO 10589 section 9.5, byte 5 of the header)
      if (id.type != Id::Type::number) return error(Errc::unsupported, id.column, "'isis proto' takes a number here");
      Cond isis = iso_proto(0x83, id.column);
      return graph_.both(isis, load_test(kB, nosnap_ + 4, kJeq, id.value));
    }
    case Proto::arp: case Proto::rarp: case Proto::lat: case Proto::sca: case Proto::moprc: case Proto::mopdl: {
      std::string name(proto_name(e.qual.proto));  // libpcap capitalises the DEC protocols
      if (e.qual.proto != Proto::arp && e.qual.proto != Proto::rarp)
        for (char& c : name) c = static_cast<char>(c - 'a' + 'A');
      return error(Errc::invalid_argument, e.column, fmt::format("{} does not encapsulate another protocol", name));
    }
    case Proto::decnet: return error(Errc::invalid_argument, e.column, "DECNET encapsulation is not specifiable");
    case Proto::atalk: return error(Errc::invalid_argument, e.column, "AppleTalk encapsulation is not specifiable");
    case Proto::clnp: return error(Errc::invalid_argument, e.column, "'clnp proto' is not supported");
    default:
      if (e.qual.proto == Proto::unsupported)
        return error(Errc::unsupported, e.column, "this protocol's 'proto' is not supported yet");
      return error(Errc::invalid_argument, e.column, fmt::format("'{} proto' is bogus", proto_name(e.qual.proto)));
  }
}

// protochain: walk the IPv6 extension headers and IPsec AH headers to the first other one.
Cond Gen::protochain_primitive(const Expr& e) {
  if (e.qual.proto != Proto::none && e.qual.proto != Proto::ip && e.qual.proto != Proto::ip6)
    return error(Errc::invalid_argument, e.column, "bad protocol applied for 'protochain'");
  auto v = ip_protocol_number(e.id);
  if (!v) return graph_.konst(false);
  if (e.qual.proto == Proto::ip) return protochain(*v, false, e.column);
  if (e.qual.proto == Proto::ip6) return protochain(*v, true, e.column);
  Cond four = protochain(*v, false, e.column);
  return graph_.either(four, protochain(*v, true, e.column));
}

// One block whose statements loop (a backward `ja`, as libpcap's program has; such programs
// only run in userland): A holds the current header's protocol, X its offset from the
// network header. The block's own test compares the protocol where the walk stopped.
// Header layouts: RFC 8200 section 4 (extension headers: next header, length in 8-byte units
// not counting the first 8), RFC 4302 section 2 (AH: length in 4-byte units minus 2).
Cond Gen::protochain(std::uint32_t v, bool v6, std::uint32_t col) {
  if (wlan_ || geneve_inner_)
    return error(Errc::invalid_argument, col, "'protochain' not supported with variable length headers");
  loops_ = true;
  Cond link = linktype(v6 ? kEtherIp6 : kEtherIp, col);
  constexpr std::uint32_t kNoNext = 59, kAh = 51;
  std::vector<BpfInsn> s;
  std::vector<std::pair<std::size_t, bool>> to_end;  // (instruction, its true side?) jumping to the test
  if (v6) {
    s = {stmt(kLd | kB | kAbs, nl_ + 6), stmt(kLdx | kImm, 40)};
  } else {
    s = {stmt(kLd | kB | kAbs, nl_ + 9), stmt(kLdx | kB | kMsh, nl_)};
  }
  const std::size_t loop = s.size();
  auto cond = [&](std::uint32_t k) { s.push_back(jump(kJmp | kJeq | kK, k, 0, 0)); return s.size() - 1; };
  auto back = [&] { s.push_back(stmt(kJmp | kJa, static_cast<std::uint32_t>(loop) - static_cast<std::uint32_t>(s.size() + 1))); };
  to_end.push_back({cond(v), true});
  to_end.push_back({cond(kNoNext), true});
  if (v6) {
    // Hop-by-hop options, destination options, routing, fragment.
    std::vector<std::size_t> ext;
    for (std::uint32_t h : {0u, 60u, 43u, 44u}) ext.push_back(cond(h));
    std::size_t last = ext.back();
    std::size_t ext_at = s.size();
    s.insert(s.end(), {stmt(kLd | kB | kInd, nl_), stmt(kSt, 0), stmt(kLd | kB | kInd, nl_ + 1),
                       stmt(kAlu | kAdd | kK, 1), stmt(kAlu | kMul | kK, 8), stmt(kAlu | kAdd | kX, 0),
                       stmt(kMisc | kTax, 0), stmt(kLd | kMem, 0)});
    back();
    for (std::size_t j : ext) s[j].jt = static_cast<std::uint8_t>(ext_at - j - 1);
    s[last].jf = static_cast<std::uint8_t>(s.size() - last - 1);  // not an extension: AH?
  }
  std::size_t ah = cond(kAh);
  to_end.push_back({ah, false});
  // libpcap's AH step sets X to the AH length alone (it does not add the AH's offset); the
  // same here, so the verdicts are libpcap's.
  s.insert(s.end(), {stmt(kLd | kB | kInd, nl_), stmt(kSt, 0), stmt(kMisc | kTxa, 0), stmt(kAlu | kAdd | kK, 1),
                     stmt(kMisc | kTax, 0), stmt(kLd | kB | kInd, nl_), stmt(kAlu | kAdd | kK, 2),
                     stmt(kAlu | kMul | kK, 4), stmt(kMisc | kTax, 0), stmt(kLd | kMem, 0)});
  back();
  const std::size_t end = s.size();
  for (auto [j, on_true] : to_end) {
    // The other side falls through to the next instruction (offset 0).
    (on_true ? s[j].jt : s[j].jf) = static_cast<std::uint8_t>(end - j - 1);
  }
  return graph_.both(link, test(std::move(s), kJmp | kJeq | kK, v));
}

Cond Gen::ip6_proto_direct(std::uint32_t v, std::uint32_t col) {
  Cond link = linktype(kEtherIp6, col);
  return graph_.both(link, load_test(kB, nl_ + 6, kJeq, v));
}

}  // namespace pcapxx::filter::codegen_detail
