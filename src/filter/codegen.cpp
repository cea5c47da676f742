// Each primitive becomes a graph of test blocks with a true and a false exit, built in the
// order libpcap's gencode.c builds them (the order matters: a load past the captured bytes
// ends the whole program with 0, so which loads run on which path is part of the semantics).
// Facts: header offsets from RFC 791 (IPv4), RFC 8200 (IPv6), RFC 826 (ARP), the LINKTYPE
// registry (SLL, SLL2, NULL, LOOP); the primitive-to-test mapping from pcap-filter(7) and the
// programs libpcap generates.
#include "filter/codegen_generator.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "filter/lexer.hpp"

namespace pcapxx::filter::codegen_detail {

Result<BpfProgram> Gen::run(const Expr* e) {
  if (!setup_link()) return std::unexpected(*err_);
  Cond c = e == nullptr ? graph_.konst(true) : expr(*e);
  if (err_) return std::unexpected(*err_);
  if (wlan_) set_wlan_prologue();
  if (!wlan_ && geneve_cells_ != 0) {
    // Geneve's cells start at zero. A test after a geneve that may not have matched reads
    // them unwritten: libpcap's program reads whatever the memory holds, ours zero (as the
    // interpreter starts). And the kernel accepts only programs that store before they load,
    // judged along the instruction order (a shared `ret` in the middle of the program passes
    // the state of every jump to it on to the code after it), so every cell is stored here.
    // Behind a prologue the optimizer also keeps every test that loads packet bytes, as
    // libpcap does with Geneve's variable offsets (a load past the captured bytes rejects).
    std::vector<BpfInsn> zero = {stmt(kLd | kImm, 0)};
    for (std::uint32_t cell = cell_floor(); cell < kMemWords; ++cell) zero.push_back(stmt(kSt, cell));
    graph_.set_prologue(std::move(zero), 0);
  }
  return graph_.finish(c, opt_.snaplen, opt_.optimize, !loops_);
}

// ---- errors
Cond Gen::error(Errc code, std::uint32_t column, std::string message) {
  if (!err_) err_ = fail_column(code, column, message).error();
  return graph_.konst(false);
}

// A test block; loads at payload-relative offsets become loads relative to M[kCellPayload].
Cond Gen::test(std::vector<BpfInsn> stmts, std::uint16_t jcode, std::uint32_t k) {
  if (wlan_ || geneve_cells_ != 0) {
    std::vector<BpfInsn> out;
    for (const BpfInsn& i : stmts) {
      const std::uint16_t cls = insn_class(i.code);
      if (!is_var(i.k) || (cls != kLd && cls != kLdx) || (insn_mode(i.code) != kAbs && insn_mode(i.code) != kInd &&
                                                          insn_mode(i.code) != kMsh)) {
        out.push_back(i);
        continue;
      }
      if (is_payload_var(i.k)) need_payload_ = true;
      const std::uint32_t off = var_off(i.k), cell = var_cell(i.k);
      if (insn_mode(i.code) == kInd) {  // X already holds the cell's offset plus an index
        out.push_back(stmt(i.code, off));
      } else if (insn_mode(i.code) == kMsh) {  // X = the cell's offset + IPv4 header length
        out.insert(out.end(), {stmt(kLdx | kMem, cell), stmt(kLd | kB | kInd, off), stmt(kAlu | kAnd | kK, 0xf),
                               stmt(kAlu | kLsh | kK, 2), stmt(kAlu | kAdd | kX, 0), stmt(kMisc | kTax, 0)});
      } else {
        out.insert(out.end(), {stmt(kLdx | kMem, cell), stmt(kLd | insn_size(i.code) | kInd, off)});
      }
    }
    stmts = std::move(out);
  }
  return graph_.test(std::move(stmts), jcode, k);
}

// The cells the expression's arithmetic may use: below 802.11's and Geneve's cells.
std::uint32_t Gen::cell_floor() const { return (wlan_ ? kCellRadiotap : kMemWords) - geneve_cells_; }

// A block that always takes its true exit (A >= 0), run for its statements' stores.
Cond Gen::always(std::vector<BpfInsn> stmts) { return test(std::move(stmts), kJmp | kJge | kK, 0); }

std::string_view Gen::proto_name(Proto p) {
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
    case Proto::stp: return "stp";
    case Proto::ipx: return "ipx";
    case Proto::netbeui: return "netbeui";
    case Proto::iso: return "iso";
    case Proto::clnp: return "clnp";
    case Proto::esis: return "esis";
    case Proto::isis: return "isis";
    case Proto::l1: return "l1";
    case Proto::l2: return "l2";
    case Proto::iih: return "iih";
    case Proto::lsp: return "lsp";
    case Proto::snp: return "snp";
    case Proto::csnp: return "csnp";
    case Proto::psnp: return "psnp";
    case Proto::decnet: return "decnet";
    case Proto::atalk: return "atalk";
    case Proto::aarp: return "aarp";
    case Proto::lat: return "lat";
    case Proto::sca: return "sca";
    case Proto::moprc: return "moprc";
    case Proto::mopdl: return "mopdl";
    default: return "?";
  }
}

std::string_view Gen::dir_name(Dir d) {
  switch (d) {
    case Dir::addr1: return "addr1";
    case Dir::addr2: return "addr2";
    case Dir::addr3: return "addr3";
    case Dir::addr4: return "addr4";
    case Dir::ra: return "ra";
    case Dir::ta: return "ta";
    default: return "";
  }
}

// ---- primitives
Cond Gen::primitive(const Expr& e) {
  const Qual& q = e.qual;
  const Id& id = e.id;
  if (q.undefined) {  // libpcap's diagnoses for a bare identifier without qualifiers to take
    if (id.type == Id::Type::ipv6) return error(Errc::invalid_argument, id.column, "invalid qualifier against IPv6 address");
    if (id.type == Id::Type::mac)
      return error(Errc::invalid_argument, id.column, "ethernet address used in non-ether expression");
    return error(Errc::invalid_argument, id.column, "syntax error in filter expression");
  }
  if (q.kind == Kind::port || q.kind == Kind::portrange) return port_primitive(e);
  if (q.kind == Kind::proto || q.kind == Kind::protochain) {  // libpcap's diagnoses for addresses there
    const char* word = q.kind == Kind::proto ? "proto" : "protochain";
    if (id.type == Id::Type::ipv4)
      return error(Errc::invalid_argument, id.column, fmt::format("'{}' modifier applied to ip host", word));
    if (id.type == Id::Type::ipv6) return error(Errc::invalid_argument, id.column, "invalid qualifier against IPv6 address");
    if (id.type == Id::Type::mac)
      return error(Errc::invalid_argument, id.column, "ethernet address used in non-ether expression");
  }
  if (q.kind == Kind::proto) return proto_primitive(e);
  if (q.kind == Kind::protochain) return protochain_primitive(e);
  // host / net / default
  if (id.type == Id::Type::mac) {
    if (q.proto != Proto::link && (q.proto != Proto::none || q.dir >= Dir::addr1))
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
  if (q.proto == Proto::decnet && (q.kind == Kind::host || q.kind == Kind::net || q.kind == Kind::none) &&
      id.type != Id::Type::ipv6 && id.type != Id::Type::mac) {
    // A network form goes through the IPv4 checks below; libpcap then tests the low 16 bits
    // of the IPv4 value as the DECnet address and ignores the mask. "N/len" does not parse.
    if (id.type == Id::Type::number && id.has_prefix)
      return error(Errc::invalid_argument, id.column, "syntax error");
    if (!id.has_prefix && !id.has_mask) return decnet_host(e);
  }
  if (id.type == Id::Type::ipv4 || id.type == Id::Type::number) {
    std::uint32_t addr = id.value;
    std::uint32_t mask = 0xffffffff;
    if (id.has_prefix || id.has_mask) {
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
      // libpcap looks at the bits first, then at the qualifier.
      if (q.kind == Kind::host) return error(Errc::invalid_argument, id.column, "Mask syntax for networks only");
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

Cond Gen::broadcast(const Expr& e) {
  switch (e.qual.proto) {
    case Proto::none: case Proto::link: {
      if (!has_mac_addresses() || link_ == 9) return error(Errc::invalid_argument, e.column, "not a broadcast link");
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

Cond Gen::multicast(const Expr& e) {
  switch (e.qual.proto) {
    case Proto::none: case Proto::link:
      if (!has_mac_addresses() || link_ == 9)
        return error(Errc::invalid_argument, e.column, "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
      if (wlan_) return wlan_multicast();
      if (geneve_inner_) {
        Cond eth = geneve_has_ethernet();
        return graph_.both(eth, load_test(kB, off_linkhdr_, kJset, 1));
      }
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

Cond Gen::expr(const Expr& e) {
  switch (e.type) {
    case Expr::Type::and_: return conjunction(e);
    case Expr::Type::or_: return disjunction(e);
    case Expr::Type::not_: return graph_.negate(expr(*e.left));
    case Expr::Type::primitive: return primitive(e);
    case Expr::Type::proto_only: return proto_abbrev(e.qual.proto, e.column);
    case Expr::Type::relation: return relation(e);
    case Expr::Type::less:
      return graph_.negate(test({stmt(kLd | kW | kLen, 0)}, kJmp | kJgt | kK, e.value));
    case Expr::Type::greater: return test({stmt(kLd | kW | kLen, 0)}, kJmp | kJge | kK, e.value);
    case Expr::Type::broadcast: return broadcast(e);
    case Expr::Type::multicast: return multicast(e);
    case Expr::Type::vlan: return vlan(e);
    case Expr::Type::mpls: return mpls(e);
    case Expr::Type::pppoed: return linktype(kEtherPppoeDiscovery, e.column);
    case Expr::Type::pppoes: return pppoes(e);
    case Expr::Type::geneve: return geneve(e);
    case Expr::Type::llc: return llc(e);
    case Expr::Type::inbound: case Expr::Type::outbound: return direction(e);
    case Expr::Type::ifindex: return ifindex(e);
    case Expr::Type::wlan_type: case Expr::Type::wlan_dir: return wlan_field(e);
  }
  return graph_.konst(false);
}

}  // namespace pcapxx::filter::codegen_detail

namespace pcapxx::filter {

Result<BpfProgram> generate(const Expr* expr, const CodegenOptions& options) {
  return codegen_detail::Gen(options).run(expr);
}

}  // namespace pcapxx::filter
