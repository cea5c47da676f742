// Code generation, encapsulations: 802.11 and radiotap, vlan, mpls, pppoes, geneve.
// The generator's class and the facts it shares: codegen_generator.hpp.
#include "filter/codegen_generator.hpp"

#include <utility>
#include <vector>

#include <fmt/format.h>

namespace pcapxx::filter::codegen_detail {

// A load from the 802.11 header (after the radiotap header, if any).
std::vector<BpfInsn> Gen::hdr(std::uint16_t size, std::uint32_t off) {
  if (!radiotap_) return index_load(size, 0, off);
  need_radiotap_ = true;
  // A user's index in the variable range (see offset_fits) or one that wraps the sum around
  // (ether[0xffffffff]): X = M[radiotap] + off, added in A as libpcap does (libpcap's
  // interpreter refuses [x + k] with a huge k, but loads the byte the 32-bit sum names).
  if (is_var(off) || off >= 0x80000000u)
    return {stmt(kLd | kMem, kCellRadiotap), stmt(kAlu | kAdd | kK, off), stmt(kMisc | kTax, 0),
            stmt(kLd | size | kInd, 0)};
  return {stmt(kLdx | kMem, kCellRadiotap), stmt(kLd | size | kInd, off)};
}

Cond Gen::hdr_test(std::uint16_t size, std::uint32_t off, std::uint16_t jop, std::uint32_t k, std::uint32_t mask) {
  auto s = hdr(size, off);
  if (mask != 0) s.push_back(stmt(kAlu | kAnd | kK, mask));
  return test(std::move(s), kJmp | jop | kK, k);
}

// The prologue (libpcap's facts; the code is ours): radiotap length (little-endian u16 at
// offset 2), the 802.11 header (24 bytes, 26 for QoS data frames: type data, subtype bit
// 0x80), and with radiotap the Flags field's "data padding" bit (0x20), which aligns the
// payload to 4 bytes. Flags is present when bit 1 of the first presence word is set and
// sits at offset 8, or 16 after a TSFT field (bit 0); libpcap looks for it only when the
// presence word has no extension (bit 31). Radiotap: https://www.radiotap.org/fields/defined
void Gen::set_wlan_prologue() {
  std::vector<BpfInsn> p;
  std::uint32_t cells = 0;
  if (radiotap_ && (need_radiotap_ || need_payload_)) {
    p = {stmt(kLd | kB | kAbs, 3), stmt(kAlu | kLsh | kK, 8), stmt(kMisc | kTax, 0), stmt(kLd | kB | kAbs, 2),
         stmt(kAlu | kOr | kX, 0), stmt(kSt, kCellRadiotap)};
    cells |= 1u << kCellRadiotap;
  }
  if (need_payload_) {
    const BpfInsn fc = radiotap_ ? stmt(kLd | kB | kInd, 0) : stmt(kLd | kB | kAbs, 0);
    if (radiotap_) p.push_back(stmt(kMisc | kTax, 0));
    // A = header length: 26 for a QoS data frame, else 24 (plus the radiotap length in X).
    p.insert(p.end(), {fc, stmt(kAlu | kAnd | kK, 0x8c), jump(kJmp | kJeq | kK, 0x88, 0, 2), stmt(kLd | kImm, 26),
                       stmt(kJmp | kJa, 1), stmt(kLd | kImm, 24)});
    if (radiotap_) p.push_back(stmt(kAlu | kAdd | kX, 0));
    p.push_back(stmt(kSt, kCellPayload));
    if (radiotap_) {
      // ld [4]: presence word (big-endian load: bit 1 -> 0x02000000, bit 0 -> 0x01000000, bit 31 -> 0x80).
      p.insert(p.end(), {stmt(kLd | kW | kAbs, 4), jump(kJmp | kJset | kK, 0x02000000, 0, 10),
                         jump(kJmp | kJset | kK, 0x80, 9, 0), jump(kJmp | kJset | kK, 0x01000000, 0, 2),
                         stmt(kLd | kB | kAbs, 16), stmt(kJmp | kJa, 1), stmt(kLd | kB | kAbs, 8),
                         jump(kJmp | kJset | kK, 0x20, 0, 4), stmt(kLd | kMem, kCellPayload),
                         stmt(kAlu | kAdd | kK, 3), stmt(kAlu | kAnd | kK, 0xfffffffc), stmt(kSt, kCellPayload)});
    }
    cells |= 1u << kCellPayload;
  }
  // With radiotap, X holds the radiotap length at the end (the code above leaves it there).
  if (radiotap_ && !need_payload_ && need_radiotap_) p.push_back(stmt(kMisc | kTax, 0));
  graph_.set_prologue(std::move(p), cells, radiotap_ && cells != 0 ? static_cast<int>(kCellRadiotap) : -1);
}

// 802.11 data frames carry an 802.2 LLC header: the link-layer type test (gen_llc_linktype).
Cond Gen::wlan_linktype(std::uint32_t proto) {
  Cond ctl = hdr_test(kB, 0, kJset, 0x04);
  Cond data = graph_.both(graph_.negate(ctl), hdr_test(kB, 0, kJset, 0x08));
  Cond llc;
  switch (proto) {
    case kLlcSapIsoNs: case kLlcSapIp: case kLlcSapNetbeui:
      llc = load_test(kH, off_linkpl_, kJeq, proto << 8 | proto);
      break;
    case kLlcSapIpx: llc = load_test(kB, off_linkpl_, kJeq, proto); break;
    case kEtherAtalk: llc = snap(0x080007, proto); break;
    default:
      llc = proto <= 1500 ? load_test(kB, off_linkpl_, kJeq, proto) : load_test(kH, off_linktype_, kJeq, proto);
  }
  return graph_.both(data, llc);
}

// An 802.11 address field compared with a MAC address (IEEE 802.11-2016 9.3: which of the
// four addresses is the source and destination depends on the frame type and the DS bits).
Cond Gen::wlan_addr(const std::array<std::uint8_t, 16>& mac, Dir dir, std::uint32_t col) {
  auto at = [&](std::uint32_t off) {
    std::uint32_t w = static_cast<std::uint32_t>(mac[2]) << 24 | mac[3] << 16 | mac[4] << 8 | mac[5];
    Cond lo = hdr_test(kW, off + 2, kJeq, w);
    return graph_.both(lo, hdr_test(kH, off, kJeq, static_cast<std::uint32_t>(mac[0] << 8 | mac[1])));
  };
  auto ctl = [&] { return hdr_test(kB, 0, kJset, 0x04); };
  auto data = [&] { return hdr_test(kB, 0, kJset, 0x08); };
  auto is_ctl = [&] { return hdr_test(kB, 0, kJeq, 0x04, 0x0c); };
  auto cts_or_ack = [&] {  // control frames without a transmitter address
    Cond cts = hdr_test(kB, 0, kJeq, 0xc0, 0xf0);
    return graph_.either(cts, hdr_test(kB, 0, kJeq, 0xd0, 0xf0));
  };
  auto src = [&] {
    Cond c = graph_.negate(ctl());
    Cond d = data();
    Cond from = hdr_test(kB, 1, kJset, 0x02);
    Cond to = hdr_test(kB, 1, kJset, 0x01);
    Cond a4 = at(24);
    Cond a3 = at(16);
    Cond in_data = graph_.choose(from, graph_.choose(to, a4, a3), at(10));
    return graph_.both(c, graph_.choose(d, in_data, at(10)));
  };
  auto dst = [&] {
    Cond c = graph_.negate(ctl());
    Cond d = data();
    Cond to = hdr_test(kB, 1, kJset, 0x01);
    Cond a3 = at(16);
    Cond in_data = graph_.choose(to, a3, at(4));
    return graph_.both(c, graph_.choose(d, in_data, at(4)));
  };
  auto addr2 = [&] {
    Cond c = is_ctl();
    Cond no_ta = cts_or_ack();
    Cond in_ctl = graph_.both(graph_.negate(no_ta), at(10));
    return graph_.choose(c, in_ctl, at(10));
  };
  (void)col;
  switch (dir) {
    case Dir::src: return src();
    case Dir::dst: return dst();
    case Dir::src_and_dst: { Cond a = src(); return graph_.both(a, dst()); }
    case Dir::addr1: return at(4);
    case Dir::addr2: return addr2();
    case Dir::addr3: { Cond c = graph_.negate(is_ctl()); return graph_.both(c, at(16)); }
    case Dir::addr4: { Cond c = hdr_test(kB, 1, kJeq, 0x03, 0x03); return graph_.both(c, at(24)); }
    case Dir::ra: { Cond c = data(); return graph_.both(c, at(4)); }
    case Dir::ta: { Cond c = data(); return graph_.both(c, addr2()); }
    default: { Cond a = src(); return graph_.either(a, dst()); }
  }
}

// ---- encapsulations (gen_vlan, gen_mpls, gen_pppoes): each shifts the offsets of every
// test after it in the expression's text, whichever branch of and/or that test is in.
Cond Gen::vlan(const Expr& e) {
  const bool wlan = wlan_ && link_ != 9;
  if (link_ != 1 && !wlan)
    return error(Errc::invalid_argument, e.column, fmt::format("no VLAN support for {}", link_description()));
  if (e.has_value && e.value > 4095)
    return error(Errc::invalid_argument, e.id.column, fmt::format("VLAN tag {} greater than maximum 4095", e.value));
  // On 802.11 each TPID is a link-layer type test (a data frame whose SNAP type it is).
  Cond tpid = wlan ? graph_.either(graph_.either(linktype(kEtherVlan, e.column), linktype(kEtherQinQ, e.column)),
                                   linktype(0x9100, e.column))
                   : any_of(kH, off_linktype_, {kEtherVlan, kEtherQinQ, 0x9100});
  // The tag control information follows the type field (IEEE 802.1Q 9.6).
  if (e.has_value) tpid = graph_.both(tpid, masked_test(kH, off_linktype_ + 2, 0x0fff, e.value));
  off_linktype_ += 4;
  off_linkpl_ += 4;
  nl_ += 4;
  nosnap_ += 4;
  return tpid;
}

Cond Gen::mpls(const Expr& e) {
  Cond c;
  if (mpls_depth_ > 0) {
    c = graph_.negate(load_test(kB, nl_ - 2, kJset, 0x01));  // the previous label is not the last
  } else if (link_ == 1 || link_ == 9) {
    c = linktype(kEtherMpls, e.column);
  } else {
    return error(Errc::invalid_argument, e.column, fmt::format("no MPLS support for {}", link_description()));
  }
  if (e.has_value) {
    if (e.value > 0xfffff)
      return error(Errc::invalid_argument, e.id.column, fmt::format("MPLS label {} greater than maximum 1048575", e.value));
    c = graph_.both(c, masked_test(kW, nl_, 0xfffff000u, e.value << 12));
  }
  nl_ += 4;
  nosnap_ += 4;
  ++mpls_depth_;
  return c;
}

Cond Gen::pppoes(const Expr& e) {
  if (e.has_value && e.value > 0xffff)
    return error(Errc::invalid_argument, e.id.column, fmt::format("PPPoE session number {} greater than maximum 65535", e.value));
  // libpcap 1.10's radiotap program for pppoes reads M[0] before writing it and loses the
  // radiotap length (observed with tcpdump -d): no defined verdicts to agree with.
  if (radiotap_)
    return error(Errc::unsupported, e.column,
                 "'pppoes' on 802.11 with radiotap is not supported: libpcap's program for it reads a scratch "
                 "cell it never wrote, so there is no meaning to match");
  Cond c = linktype(kEtherPppoeSession, e.column);
  // The session ID: the low half of the PPPoE header's first word (RFC 2516 section 4).
  if (e.has_value) c = graph_.both(c, masked_test(kW, nl_, 0xffff, e.value));
  // RFC 2516: a 6-byte PPPoE header, then the PPP protocol field and the PPP payload.
  link_ = 9;
  off_linktype_ = nl_ + 6;
  off_linkpl_ = off_linktype_ + 2;
  nl_ = off_linkpl_;
  nosnap_ = off_linkpl_;
  return c;
}

// Geneve (RFC 8926): UDP to port 6081, version 0 (the top two bits of the first byte),
// optionally the VNI (the 24 bits before the last byte of the 8-byte header). Its options
// make the inner frame's offset variable, so, as libpcap does, the program computes it into
// scratch cells once the header is known to be there: L = the protocol type field (the
// Geneve header's, or the inner Ethernet type field for protocol 0x6558, Transparent
// Ethernet Bridging), H = the inner frame, P = its payload. Later tests read them.
Cond Gen::geneve(const Expr& e) {
  if (wlan_)  // libpcap's 802.11 program reads scratch cells before it writes them
    return error(Errc::unsupported, e.column,
                 "'geneve' on 802.11 is not supported: libpcap's program for it reads scratch cells it never "
                 "wrote, so there is no meaning to match");
  if (e.has_value && e.value > 0xffffff)
    return error(Errc::invalid_argument, e.id.column, fmt::format("Geneve VNI {} greater than maximum 16777215", e.value));
  if (cell_floor() < 3) return error(Errc::invalid_argument, e.column, "too many registers needed to evaluate expression");
  constexpr std::uint32_t kGenevePort = 6081;  // RFC 8926 section 3.3
  const std::uint32_t top = cell_floor();
  const std::uint32_t cell_l = top - 1, cell_h = top - 2, cell_p = top - 3;
  geneve_cells_ += 3;
  // The checks, IPv4 (first fragment) then IPv6 (UDP right after the fixed header), each
  // followed by a block that leaves the Geneve header's offset in M[H].
  // udp_of: the UDP header's offset (for IPv4, after X = the IPv4 header's length).
  auto checks = [&](std::uint32_t udp_of, bool v6) {
    std::vector<BpfInsn> hl;
    if (!v6) hl = {stmt(kLdx | kB | kMsh, nl_)};
    auto at = [&](std::uint16_t size, std::uint32_t k) {
      std::vector<BpfInsn> s = hl;
      s.push_back(stmt(kLd | size | (v6 ? kAbs : kInd), udp_of + k));
      return s;
    };
    Cond c = linktype(v6 ? kEtherIp6 : kEtherIp, e.column);
    c = graph_.both(c, load_test(kB, nl_ + (v6 ? 6 : 9), kJeq, kIpProtoUdp));
    if (!v6) c = graph_.both(c, ipfrag());
    c = graph_.both(c, test(at(kH, 2), kJmp | kJeq | kK, kGenevePort));
    std::vector<BpfInsn> ver = at(kB, 8);
    ver.push_back(stmt(kAlu | kAnd | kK, 0xc0));
    c = graph_.both(c, test(std::move(ver), kJmp | kJeq | kK, 0));
    if (e.has_value) {
      std::vector<BpfInsn> vni = at(kW, 12);
      vni.push_back(stmt(kAlu | kAnd | kK, 0xffffff00));
      c = graph_.both(c, test(std::move(vni), kJmp | kJeq | kK, e.value << 8));
    }
    // A = the Geneve header's offset.
    std::vector<BpfInsn> s;
    if (is_var(nl_)) {
      const std::uint32_t off = var_off(nl_);
      if (v6) s = {stmt(kLd | kMem, var_cell(nl_)), stmt(kAlu | kAdd | kK, off + 48)};
      else s = {stmt(kLdx | kMem, var_cell(nl_)), stmt(kLd | kB | kInd, off), stmt(kAlu | kAnd | kK, 0xf),
                stmt(kAlu | kLsh | kK, 2), stmt(kAlu | kAdd | kX, 0), stmt(kAlu | kAdd | kK, off + 8)};
    } else if (v6) {
      s = {stmt(kLd | kImm, nl_ + 48)};
    } else {
      s = {stmt(kLdx | kB | kMsh, nl_), stmt(kMisc | kTxa, 0), stmt(kAlu | kAdd | kK, nl_ + 8)};
    }
    s.push_back(stmt(kSt, cell_h));
    return graph_.both(c, always(std::move(s)));
  };
  const std::uint32_t udp4 = nl_, udp6 = nl_ + 40;
  Cond four = checks(udp4, false);
  Cond found = graph_.either(four, checks(udp6, true));
  // The options' length is in 4-byte words in the low 6 bits of the first byte; the
  // protocol type is at offset 2.
  Cond type = test({stmt(kLdx | kMem, cell_h), stmt(kMisc | kTxa, 0), stmt(kAlu | kAdd | kK, 2), stmt(kSt, cell_l),
                    stmt(kLd | kB | kInd, 0), stmt(kAlu | kAnd | kK, 0x3f), stmt(kAlu | kMul | kK, 4),
                    stmt(kAlu | kAdd | kK, 8), stmt(kAlu | kAdd | kX, 0), stmt(kSt, cell_h), stmt(kLd | kH | kInd, 2)},
                   kJmp | kJeq | kK, 0x6558);
  Cond ethernet = always({stmt(kLd | kMem, cell_h), stmt(kAlu | kAdd | kK, 12), stmt(kSt, cell_l),
                          stmt(kAlu | kAdd | kK, 2), stmt(kSt, cell_p)});
  Cond other = always({stmt(kLd | kMem, cell_h), stmt(kSt, cell_p)});
  Cond c = graph_.both(found, graph_.choose(type, ethernet, other));
  geneve_inner_ = true;
  link_ = 1;
  off_linktype_ = var_at(cell_l, 0);
  off_linkhdr_ = var_at(cell_h, 0);
  off_linkpl_ = var_at(cell_p, 0);
  nl_ = off_linkpl_;
  nosnap_ = var_at(cell_p, 3);
  return c;
}

// After Geneve: is the inner frame Ethernet (its payload does not start where it does)?
Cond Gen::geneve_has_ethernet() {
  return graph_.negate(test({stmt(kLd | kMem, var_cell(off_linkhdr_)), stmt(kLdx | kMem, var_cell(off_linkpl_))},
                            kJmp | kJeq | kX, 0));
}

// The destination address's group bit: addr3 in data frames to the DS, else addr1.
Cond Gen::wlan_multicast() {
  Cond c = graph_.negate(hdr_test(kB, 0, kJset, 0x04));
  Cond d = hdr_test(kB, 0, kJset, 0x08);
  Cond to = hdr_test(kB, 1, kJset, 0x01);
  Cond a3 = hdr_test(kB, 16, kJset, 0x01);
  Cond in_data = graph_.choose(to, a3, hdr_test(kB, 4, kJset, 0x01));
  return graph_.both(c, graph_.choose(d, in_data, hdr_test(kB, 4, kJset, 0x01)));
}

Cond Gen::wlan_field(const Expr& e) {
  if (!wlan_) {
    return error(Errc::invalid_argument, e.column,
                 e.type == Expr::Type::wlan_dir ? "frame direction supported only with 802.11 headers"
                                                : "802.11 link-layer types supported only on 802.11");
  }
  if (e.type == Expr::Type::wlan_dir) return hdr_test(kB, 1, kJeq, e.value, 0x03);
  return hdr_test(kB, 0, kJeq, e.value, e.id.mask);
}

}  // namespace pcapxx::filter::codegen_detail
