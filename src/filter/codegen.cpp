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
#include <span>
#include <utility>
#include <vector>

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
constexpr std::uint32_t kEtherVlan = 0x8100, kEtherQinQ = 0x88a8, kEtherMpls = 0x8847;
constexpr std::uint32_t kEtherPppoeDiscovery = 0x8863, kEtherPppoeSession = 0x8864;
constexpr std::uint32_t kEtherIpx = 0x8137, kEtherAtalk = 0x809b, kEtherAarp = 0x80f3;
// 802.2 LLC SAPs (IEEE registry): ISO network layer, IP, NetBEUI, IPX, spanning tree.
constexpr std::uint32_t kLlcSapIsoNs = 0xfe, kLlcSapIp = 0x06, kLlcSapNetbeui = 0xf0, kLlcSapIpx = 0xe0,
                        kLlcSapStp = 0x42;
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

 private:
  // ---- errors
  Cond error(Errc code, std::uint32_t column, std::string message) {
    if (!err_) err_ = fail_column(code, column, message).error();
    return graph_.konst(false);
  }

  // ---- 802.11: the header's length depends on the frame (QoS data frames are 2 bytes longer)
  // and, with radiotap, on the radiotap header's length and padding. As libpcap does, a
  // prologue computes these offsets into scratch cells once; tests read the link-layer header
  // at X = M[kCellRadiotap] (radiotap) and the payload (802.2 LLC header) at X = M[kCellPayload].
  // Offsets at or above kVarBase in the code below are relative to the payload; test() turns
  // their loads into indexed ones.
  static constexpr std::uint32_t kVarBase = 0x40000000;
  static constexpr std::uint32_t kCellPayload = 15, kCellRadiotap = 14;
  // Geneve (and any later variable offset) uses offsets relative to other cells: the byte
  // above the low 24 bits names the cell (0: 802.11's payload cell, 1 + c: cell c), the low
  // 24 bits hold the offset biased by kVarBias so that "4 bytes before" stays in range.
  static constexpr std::uint32_t kVarBias = 0x800000;
  static constexpr std::uint32_t var_at(std::uint32_t cell, std::uint32_t off) {
    return kVarBase + ((cell + 1) << 24) + kVarBias + off;
  }
  static constexpr bool is_var(std::uint32_t k) { return k >= kVarBase && k < kAdOff; }
  static constexpr bool is_payload_var(std::uint32_t k) { return is_var(k) && ((k - kVarBase) >> 24) == 0; }
  static constexpr std::uint32_t var_cell(std::uint32_t k) {
    const std::uint32_t slot = (k - kVarBase) >> 24;
    return slot == 0 ? kCellPayload : slot - 1;
  }
  static constexpr std::uint32_t var_off(std::uint32_t k) {
    return is_payload_var(k) ? k - kVarBase : (k & 0xffffff) - kVarBias;
  }

  // A test block; loads at payload-relative offsets become loads relative to M[kCellPayload].
  Cond test(std::vector<BpfInsn> stmts, std::uint16_t jcode, std::uint32_t k) {
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

  // A load from the 802.11 header (after the radiotap header, if any).
  std::vector<BpfInsn> hdr(std::uint16_t size, std::uint32_t off) {
    if (!radiotap_) return {stmt(kLd | size | kAbs, off)};
    need_radiotap_ = true;
    return {stmt(kLdx | kMem, kCellRadiotap), stmt(kLd | size | kInd, off)};
  }
  Cond hdr_test(std::uint16_t size, std::uint32_t off, std::uint16_t jop, std::uint32_t k, std::uint32_t mask = 0) {
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
  void set_wlan_prologue() {
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
  Cond wlan_linktype(std::uint32_t proto) {
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
  Cond wlan_addr(const std::array<std::uint8_t, 16>& mac, Dir dir, std::uint32_t col) {
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

  // ---- link layer
  bool setup_link() {
    link_ = opt_.link.dlt;
    auto set = [&](std::uint32_t type_at, std::uint32_t payload_at, std::uint32_t nosnap) {
      off_linktype_ = type_at;
      off_linkpl_ = payload_at;
      nl_ = payload_at;
      nosnap_ = payload_at + nosnap;
      return true;
    };
    switch (opt_.link.dlt) {
      case 1: return set(12, 14, 3);     // EN10MB; an 802.2 LLC header is 3 bytes
      case 113: return set(14, 16, 0);   // LINUX_SLL (libpcap assumes no LLC header)
      case 276: return set(0, 20, 0);    // LINUX_SLL2
      case 12: case 14: case 228: case 229: return set(0, 0, 0);  // RAW (Linux and BSD values), IPV4, IPV6
      case 0: case 108: return set(0, 4, 0);  // NULL, LOOP
      case 9: return set(2, 4, 0);            // PPP: address, control, protocol (RFC 1662)
      case 105: case 127:                     // IEEE802_11, IEEE802_11_RADIO: see wlan_linktype
        wlan_ = true;
        radiotap_ = opt_.link.dlt == 127;
        set(kVarBase + 6, kVarBase, 3);
        nl_ = kVarBase + 8;  // after the 802.2 LLC and SNAP headers
        return true;
      default:
        err_ = Error{Errc::unsupported, fmt::format("filter: link type {} is not supported yet", opt_.link.dlt),
                     std::nullopt, std::nullopt, 0};
        return false;
    }
  }
  bool is_ethernet() const { return opt_.link.dlt == 1 || geneve_inner_; }
  bool has_mac_addresses() const { return is_ethernet() || wlan_; }

  Cond load_test(std::uint16_t size, std::uint32_t off, std::uint16_t jop, std::uint32_t k) {
    return test({stmt(kLd | size | kAbs, off)}, kJmp | jop | kK, k);
  }

  // The link-layer type test (gen_linktype): is the payload of this ethertype (or, for values
  // of 1500 or less, of this 802.2 LLC SAP)?
  Cond linktype(std::uint32_t ethertype, std::uint32_t column) {
    if (mpls_depth_ > 0) {
      // Under MPLS only the bottom-of-stack bit and the IP version nibble say what follows.
      if (ethertype != kEtherIp && ethertype != kEtherIp6)
        return error(Errc::invalid_argument, column, "unsupported protocol over mpls");
      Cond bottom = masked_test(kB, nl_ - 2, 0x01, 0x01);
      return graph_.both(bottom, masked_test(kB, nl_, 0xf0, ethertype == kEtherIp ? 0x40 : 0x60));
    }
    switch (link_) {
      case 1: return ether_linktype(ethertype);
      case 113: return sll_linktype(ethertype);
      case 276: return load_test(kH, off_linktype_, kJeq, ethertype);  // libpcap 1.10: no LLC cases
      case 9: return load_test(kH, off_linktype_, kJeq, ppp_type(ethertype));
      case 105: case 127: return wlan_linktype(ethertype);
      case 12: case 14:
        if (ethertype == kEtherIp || ethertype == kEtherIp6)
          return test({stmt(kLd | kB | kAbs, 0), stmt(kAlu | kAnd | kK, 0xf0)}, kJmp | kJeq | kK,
                             ethertype == kEtherIp ? 0x40 : 0x60);
        return graph_.konst(false);
      case 228: return graph_.konst(ethertype == kEtherIp);
      case 229: return graph_.konst(ethertype == kEtherIp6);
      case 0: case 108: {
        // The address family word: host byte order for NULL, network order for LOOP. IPv6 has
        // no single value: in a savefile libpcap accepts all three BSD ones (24 NetBSD/OpenBSD,
        // 28 FreeBSD, 30 Darwin), elsewhere the host's AF_INET6. A NULL word in a savefile of
        // the other byte order is tested in the file's order (libpcap swaps the constant).
        std::vector<std::uint32_t> afs;
        if (ethertype == kEtherIp) afs = {AF_INET};
        else if (ethertype == kEtherIp6 && opt_.target == FilterTarget::savefile) afs = {30, 24, 28};
        else if (ethertype == kEtherIp6) afs = {AF_INET6};
        else return graph_.konst(false);
        std::optional<Cond> any;
        for (std::uint32_t af : afs) {
          if (opt_.link.dlt == 0 && !(opt_.target == FilterTarget::savefile && opt_.savefile_swapped))
            af = ntohl(af) == af ? af : __builtin_bswap32(af);
          Cond one = load_test(kW, 0, kJeq, af);
          any = any ? graph_.either(*any, one) : one;
        }
        return *any;
      }
      default: return graph_.konst(false);
    }
  }

  Cond masked_test(std::uint16_t size, std::uint32_t off, std::uint32_t mask, std::uint32_t v) {
    return test({stmt(kLd | size | kAbs, off), stmt(kAlu | kAnd | kK, mask)}, kJmp | kJeq | kK, v);
  }
  Cond any_of(std::uint16_t size, std::uint32_t off, std::initializer_list<std::uint32_t> values) {
    std::optional<Cond> all;
    for (std::uint32_t v : values) {
      Cond one = load_test(size, off, kJeq, v);
      all = all ? graph_.either(*all, one) : one;
    }
    return *all;
  }
  // An 802.2 SNAP header (AA AA 03, OUI, type) at the link payload.
  Cond snap(std::uint32_t oui, std::uint32_t type) {
    Cond tail = load_test(kW, off_linkpl_ + 4, kJeq, (oui & 0xffff) << 16 | type);
    return graph_.both(tail, load_test(kW, off_linkpl_, kJeq, 0xaaaa0300u | oui >> 16));
  }

  // Ethernet: type field above 1500, or an 802.3 length and an 802.2 LLC header after it.
  Cond ether_linktype(std::uint32_t proto) {
    auto is_8023 = [&] { return graph_.negate(load_test(kH, off_linktype_, kJgt, 1500)); };
    switch (proto) {
      case kLlcSapIsoNs: case kLlcSapIp: case kLlcSapNetbeui: {
        Cond len = is_8023();
        return graph_.both(len, load_test(kH, off_linkpl_, kJeq, proto << 8 | proto));
      }
      case kLlcSapIpx: {
        // Ethernet II, SNAP, 802.2 with the IPX SAP, or "raw" 802.3 (0xFFFF where the SAPs are).
        Cond eth2 = load_test(kH, off_linktype_, kJeq, kEtherIpx);
        Cond len = is_8023();
        Cond s = snap(0, kEtherIpx);
        Cond sap = graph_.either(s, load_test(kB, off_linkpl_, kJeq, kLlcSapIpx));
        Cond raw = graph_.either(sap, load_test(kH, off_linkpl_, kJeq, 0xffff));
        return graph_.either(eth2, graph_.both(len, raw));
      }
      case kEtherAtalk: case kEtherAarp: {
        Cond eth2 = load_test(kH, off_linktype_, kJeq, proto);
        Cond len = is_8023();
        return graph_.either(eth2, graph_.both(len, snap(proto == kEtherAtalk ? 0x080007 : 0, proto)));
      }
      default:
        if (proto <= 1500) {  // the DSAP after the length field (after Geneve: even for a non-Ethernet payload)
          Cond len = is_8023();
          return graph_.both(len, load_test(kB, off_linktype_ + 2, kJeq, proto));
        }
        return load_test(kH, off_linktype_, kJeq, proto);
    }
  }

  // Linux cooked headers: the protocol field holds an ethertype, or 1 (802.3 frames, Novell)
  // or 4 (802.2 LLC frames) from <linux/if_ether.h> ETH_P_802_3 and ETH_P_802_2.
  Cond sll_linktype(std::uint32_t proto) {
    auto field = [&](std::uint32_t v) { return load_test(kH, off_linktype_, kJeq, v); };
    switch (proto) {
      case kLlcSapIsoNs: case kLlcSapIp: case kLlcSapNetbeui: {
        Cond llc = field(4);
        return graph_.both(llc, load_test(kH, off_linkpl_, kJeq, proto << 8 | proto));
      }
      case kLlcSapIpx: {
        Cond eth2 = field(kEtherIpx);
        Cond raw = field(1);
        Cond llc = field(4);
        Cond sap = load_test(kB, off_linkpl_, kJeq, kLlcSapIpx);
        Cond in_llc = graph_.both(llc, graph_.either(sap, snap(0, kEtherIpx)));
        return graph_.either(eth2, graph_.either(raw, in_llc));
      }
      case kEtherAtalk: case kEtherAarp: {
        Cond eth2 = field(proto);
        Cond llc = field(4);
        return graph_.either(eth2, graph_.both(llc, snap(proto == kEtherAtalk ? 0x080007 : 0, proto)));
      }
      default:
        if (proto <= 1500) {
          Cond llc = field(4);
          return graph_.both(llc, load_test(kB, off_linkpl_, kJeq, proto));
        }
        return field(proto);
    }
  }

  // PPP protocol numbers for ethertypes and SAPs (RFC 1661 and the IANA PPP DLL protocol
  // numbers); anything else is compared as it is.
  static std::uint32_t ppp_type(std::uint32_t ethertype) {
    switch (ethertype) {
      case kEtherIp: return 0x0021;
      case kEtherIp6: return 0x0057;
      case 0x6003: return 0x0027;        // DECnet Phase IV
      case kEtherAtalk: return 0x0029;   // AppleTalk
      case 0x0600: return 0x0025;        // Xerox NS IDP
      case kLlcSapIsoNs: return 0x0023;  // OSI network layer
      case kLlcSapStp: return 0x0031;    // bridging PDU
      case kLlcSapIpx: return 0x002b;    // Novell IPX
      case 0x0bad: return 0x0035;        // Banyan VINES
      case kEtherMpls: return 0x0281;    // MPLS unicast
      default: return ethertype;
    }
  }

  std::string link_description() const {
    if (const LinkTypeInfo* info = find_link_type(LinkType{link_})) return std::string(info->description);
    return fmt::format("DLT {}", link_);
  }

  // ---- encapsulations (gen_vlan, gen_mpls, gen_pppoes): each shifts the offsets of every
  // test after it in the expression's text, whichever branch of and/or that test is in.
  Cond vlan(const Expr& e) {
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

  Cond mpls(const Expr& e) {
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

  Cond pppoes(const Expr& e) {
    if (e.has_value && e.value > 0xffff)
      return error(Errc::invalid_argument, e.id.column, fmt::format("PPPoE session number {} greater than maximum 65535", e.value));
    // libpcap 1.10's radiotap program for pppoes reads M[0] before writing it and loses the
    // radiotap length (observed with tcpdump -d): no defined verdicts to agree with.
    if (radiotap_) return error(Errc::unsupported, e.column, "'pppoes' on 802.11 with radiotap is not supported");
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

  // The cells the expression's arithmetic may use: below 802.11's and Geneve's cells.
  std::uint32_t cell_floor() const { return (wlan_ ? kCellRadiotap : kMemWords) - geneve_cells_; }

  // A block that always takes its true exit (A >= 0), run for its statements' stores.
  Cond always(std::vector<BpfInsn> stmts) { return test(std::move(stmts), kJmp | kJge | kK, 0); }

  // Geneve (RFC 8926): UDP to port 6081, version 0 (the top two bits of the first byte),
  // optionally the VNI (the 24 bits before the last byte of the 8-byte header). Its options
  // make the inner frame's offset variable, so, as libpcap does, the program computes it into
  // scratch cells once the header is known to be there: L = the protocol type field (the
  // Geneve header's, or the inner Ethernet type field for protocol 0x6558, Transparent
  // Ethernet Bridging), H = the inner frame, P = its payload. Later tests read them.
  Cond geneve(const Expr& e) {
    if (wlan_)  // libpcap's 802.11 program reads scratch cells before it writes them
      return error(Errc::unsupported, e.column, "'geneve' on 802.11 is not supported");
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
  Cond geneve_has_ethernet() {
    return graph_.negate(test({stmt(kLd | kMem, var_cell(off_linkhdr_)), stmt(kLdx | kMem, var_cell(off_linkpl_))},
                              kJmp | kJeq | kX, 0));
  }

  // gen_llc: any 802.2 LLC frame, or one of a frame format (i, s, u) or a command.
  Cond llc(const Expr& e) {
    const bool wlan = wlan_ && link_ != 9;
    if (link_ != 1 && !wlan) return error(Errc::invalid_argument, e.column, fmt::format("'llc' not supported for {}", link_description()));
    struct Sub {
      std::string_view name;
      std::uint32_t mask, value;
    };
    // IEEE 802.2 control field: I frames have bit 0 clear; S frames 01 with the command in
    // bits 2-3; U frames 11 with the command in the bits outside the P/F bit (0x10).
    static constexpr Sub kSubtypes[] = {
        {"s", 0x03, 0x01},    {"u", 0x03, 0x03},    {"rr", 0x0f, 0x01},   {"rnr", 0x0f, 0x05},
        {"rej", 0x0f, 0x09},  {"ui", 0xef, 0x03},   {"ua", 0xef, 0x63},   {"disc", 0xef, 0x43},
        {"dm", 0xef, 0x0f},   {"sabme", 0xef, 0x6f}, {"test", 0xef, 0xe3}, {"xid", 0xef, 0xaf},
        {"frmr", 0xef, 0x87}};
    const Sub* sub = nullptr;
    bool i_frame = e.id.text == "i";
    if (!e.id.text.empty() && !i_frame) {
      for (const Sub& s : kSubtypes)
        if (s.name == e.id.text) sub = &s;
      if (sub == nullptr)
        return error(Errc::invalid_argument, e.id.column, fmt::format("unknown LLC type name \"{}\"", e.id.text));
    }
    Cond any;
    if (wlan) {  // 802.11 data frames carry an 802.2 LLC header
      Cond ctl = hdr_test(kB, 0, kJset, 0x04);
      any = graph_.both(graph_.negate(ctl), hdr_test(kB, 0, kJset, 0x08));
    } else {
      Cond len = graph_.negate(load_test(kH, off_linktype_, kJgt, 1500));
      any = graph_.both(len, graph_.negate(load_test(kH, off_linkpl_, kJeq, 0xffff)));
    }
    if (i_frame) return graph_.both(any, graph_.negate(load_test(kB, off_linkpl_ + 2, kJset, 0x01)));
    if (sub != nullptr) return graph_.both(any, masked_test(kB, off_linkpl_ + 2, sub->mask, sub->value));
    return any;
  }

  // The packet's direction: the cooked headers' packet type, else the kernel's (SKF_AD_PKTTYPE).
  Cond direction(const Expr& e) {
    constexpr std::uint32_t kPacketOutgoing = 4;  // <linux/if_packet.h> PACKET_OUTGOING
    // libpcap adds the radiotap length to the ancillary offset, a load no packet satisfies.
    if (radiotap_) return error(Errc::unsupported, e.column, "inbound/outbound on 802.11 with radiotap is not supported yet");
    Cond out;
    if (link_ == 113) {
      out = load_test(kH, 0, kJeq, kPacketOutgoing);
    } else if (link_ == 276) {
      out = load_test(kB, 10, kJeq, kPacketOutgoing);
    } else {
      if (opt_.target == FilterTarget::savefile)
        return error(Errc::invalid_argument, e.column,
                     fmt::format("inbound/outbound not supported on {} when reading savefiles", link_description()));
      out = load_test(kH, kAdOff + kAdPktType, kJeq, kPacketOutgoing);
    }
    return e.type == Expr::Type::outbound ? out : graph_.negate(out);
  }

  Cond ifindex(const Expr& e) {
    if (radiotap_) return error(Errc::unsupported, e.column, "ifindex on 802.11 with radiotap is not supported yet");
    if (link_ == 276) return load_test(kW, 4, kJeq, e.value);
    if (opt_.target == FilterTarget::savefile)
      return error(Errc::invalid_argument, e.column,
                   fmt::format("ifindex not supported on {} when reading savefiles", link_description()));
    return load_test(kW, kAdOff + kAdIfIndex, kJeq, e.value);
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
  Cond iso_proto(std::uint32_t nlpid, std::uint32_t col) {
    Cond iso = linktype(kLlcSapIsoNs, col);
    return graph_.both(iso, load_test(kB, nosnap_, kJeq, nlpid));
  }
  Cond isis_pdu(std::initializer_list<std::uint32_t> types, std::uint32_t col) {
    Cond isis = iso_proto(0x83, col);
    return graph_.both(isis, any_of(kB, nosnap_ + 4, types));
  }

  // DECnet Phase IV addresses "area.node" (area 6 bits, node 10 bits, sent little-endian) in
  // the routing header after the 2-byte length: a short data packet (flags & 7 == 2: dst at
  // +1, src at +3 from the flags) or a long one (flags & 7 == 6: dst at +7, src at +15), each
  // possibly after one byte of padding (flags 0x81). DECnet Routing Layer Functional
  // Specification V2.0, section 5.
  Cond decnet_host(const Expr& e) {
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
  Cond decnet_addr(std::uint32_t addr, Dir dir, std::uint32_t col) {
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

  // ---- hosts and networks
  Cond mcmp(std::uint32_t off, std::uint32_t v, std::uint32_t mask) {
    if (!value_set_.empty()) {  // a run of host/net terms: one search over all their addresses
      std::vector<BpfInsn> load = {stmt(kLd | kW | kAbs, off)};
      if (mask != 0xffffffff) load.push_back(stmt(kAlu | kAnd | kK, mask));
      return value_tree(load, value_set_);
    }
    if (mask == 0xffffffff) return load_test(kW, off, kJeq, v);
    return test({stmt(kLd | kW | kAbs, off), stmt(kAlu | kAnd | kK, mask)}, kJmp | kJeq | kK, v);
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
        if (mpls_depth_ > 0) return ip;  // under MPLS labels libpcap tests IPv4 only
        Cond arp = graph_.either(ip, host4(addr, mask, Proto::arp, dir, col));
        return graph_.either(arp, host4(addr, mask, Proto::rarp, dir, col));
      }
      case Proto::ip: return hostop(addr, mask, dir, kEtherIp, 12, 16, col);
      case Proto::arp: return hostop(addr, mask, dir, kEtherArp, 14, 24, col);
      case Proto::rarp: return hostop(addr, mask, dir, kEtherRarp, 14, 24, col);
      case Proto::decnet: return decnet_addr(addr, dir, col);
      case Proto::atalk: return error(Errc::invalid_argument, col, "AppleTalk host filtering not implemented");
      case Proto::iso: return error(Errc::invalid_argument, col, "ISO host filtering not implemented");
      case Proto::ipx: return error(Errc::invalid_argument, col, "IPX host filtering not implemented");
      case Proto::aarp: return error(Errc::invalid_argument, col, "AARP host filtering not implemented");
      case Proto::lat: return error(Errc::invalid_argument, col, "LAT host filtering not implemented");
      case Proto::sca: return error(Errc::invalid_argument, col, "SCA host filtering not implemented");
      case Proto::moprc: return error(Errc::invalid_argument, col, "MOPRC host filtering not implemented");
      case Proto::mopdl: return error(Errc::invalid_argument, col, "MOPDL host filtering not implemented");
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

  // ---- runs of host, net and port terms in one disjunction ("host a or host b or ..."): the
  // terms share everything but the compared value, so the run becomes one test per header
  // field against a balanced search tree of the values (ports: merged ranges). On whole
  // packets the verdicts are those of the term-by-term program; libpcap's optimizer reorders
  // such runs the same way (all source fields, then all destination fields).
  // Only the first test of a tree loads the value; the others test A as it left it (blocks
  // without statements), so equal subtrees of different fields merge (graph.cpp).
  static constexpr std::size_t kChainMax = 8;  ///< a (sub)set this small is a chain of jeq

  Cond value_tree(const std::vector<BpfInsn>& load, std::span<const std::uint32_t> v) {
    if (v.size() <= kChainMax) {
      std::optional<Cond> all;
      for (std::uint32_t x : v) {
        Cond one = test(all ? std::vector<BpfInsn>{} : load, kJmp | kJeq | kK, x);
        all = all ? graph_.either(*all, one) : one;
      }
      return *all;
    }
    // Split between full chains: ceil(n / kChainMax) leaves, half of them on each side.
    std::size_t leaves = (v.size() + kChainMax - 1) / kChainMax;
    std::size_t mid = std::min(v.size() - 1, leaves / 2 * kChainMax);
    Cond gt = test(load, kJmp | kJgt | kK, v[mid - 1]);
    Cond high = value_tree({}, v.subspan(mid));
    return graph_.choose(gt, high, value_tree({}, v.first(mid)));
  }

  using Range = std::pair<std::uint32_t, std::uint32_t>;
  Cond range_tree(const std::vector<BpfInsn>& load, std::span<const Range> r) {
    if (r.size() == 1) {
      auto [lo, hi] = r[0];
      if (lo == hi) return test(load, kJmp | kJeq | kK, lo);
      Cond ge = test(load, kJmp | kJge | kK, lo);
      return graph_.both(ge, graph_.negate(test({}, kJmp | kJgt | kK, hi)));
    }
    if (r.size() <= kChainMax && std::all_of(r.begin(), r.end(), [](const Range& x) { return x.first == x.second; })) {
      Cond first = range_tree(load, r.first(1));
      return graph_.either(first, range_tree({}, r.subspan(1)));
    }
    std::size_t mid = r.size() / 2;
    Cond gt = test(load, kJmp | kJgt | kK, r[mid - 1].second);
    Cond high = range_tree({}, r.subspan(mid));
    return graph_.choose(gt, high, range_tree({}, r.first(mid)));
  }

  // What a host/net/port term would compare, when it can join a run: the key says which terms
  // share everything else. nullopt for terms that stay on their own (names, IPv6, errors).
  struct RunKey {
    int family = 0;  // 1 host/net, 2 port/portrange
    Proto proto = Proto::none;
    Dir dir = Dir::none;
    std::uint32_t mask = 0;
    friend bool operator==(const RunKey&, const RunKey&) = default;
  };
  struct RunItem {
    RunKey key;
    Range value;
  };
  static std::optional<std::uint32_t> plain_port(std::string_view text) {
    if (text.empty() || text.size() > 5) return std::nullopt;
    std::uint32_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    return v <= 65535 ? std::optional<std::uint32_t>(v) : std::nullopt;
  }
  static std::optional<RunItem> run_item(const Expr& e) {
    if (e.type != Expr::Type::primitive || e.qual.undefined) return std::nullopt;
    const Qual& q = e.qual;
    const Id& id = e.id;
    if (q.kind == Kind::port || q.kind == Kind::portrange) {
      if (q.proto != Proto::none && q.proto != Proto::tcp && q.proto != Proto::udp && q.proto != Proto::sctp)
        return std::nullopt;
      RunKey key{2, q.proto, q.dir, 0};
      if (id.type == Id::Type::number) {
        if (id.value > 65535) return std::nullopt;
        return RunItem{key, {id.value, id.value}};
      }
      if (q.kind != Kind::portrange || id.type != Id::Type::range) return std::nullopt;
      auto dash = id.text.find('-');
      if (dash == std::string::npos) return std::nullopt;
      auto a = plain_port(std::string_view(id.text).substr(0, dash));
      auto b = plain_port(std::string_view(id.text).substr(dash + 1));
      if (!a || !b) return std::nullopt;
      return RunItem{key, {std::min(*a, *b), std::max(*a, *b)}};
    }
    if (q.kind != Kind::host && q.kind != Kind::net && q.kind != Kind::none) return std::nullopt;
    if (q.proto != Proto::none && q.proto != Proto::ip && q.proto != Proto::arp && q.proto != Proto::rarp)
      return std::nullopt;
    if (id.type != Id::Type::ipv4 && id.type != Id::Type::number) return std::nullopt;
    // The same address and mask primitive() computes, for the terms it accepts without error.
    std::uint32_t addr = id.value, mask = 0xffffffff;
    if (id.has_prefix || id.has_mask) {
      if (q.kind == Kind::host) return std::nullopt;
      if (id.type == Id::Type::number) addr = id.value << 24;
      if (id.has_prefix) {
        if (id.prefix_len > 32) return std::nullopt;
        mask = id.prefix_len == 0 ? 0 : 0xffffffffu << (32 - id.prefix_len);
      } else {
        mask = id.mask;
      }
      if (addr & ~mask) return std::nullopt;
    } else if (id.type == Id::Type::number && q.kind == Kind::net) {
      while (addr != 0 && (addr & 0xff000000u) == 0) {
        addr <<= 8;
        mask <<= 8;
      }
    } else if (id.type == Id::Type::ipv4) {
      mask = id.parts == 4 ? 0xffffffffu : 0xffffffffu << (32 - 8 * id.parts);
    }
    return RunItem{RunKey{1, q.proto, q.dir, mask}, {addr & mask, addr & mask}};
  }

  // The in-order leaves of a tree of `op` nodes, without recursion.
  static std::vector<const Expr*> leaves(const Expr& e, Expr::Type op) {
    std::vector<const Expr*> terms;
    std::vector<const Expr*> stack{&e};
    while (!stack.empty()) {
      const Expr* x = stack.back();
      stack.pop_back();
      if (x->type == op) {
        stack.push_back(x->right.get());
        stack.push_back(x->left.get());
      } else {
        terms.push_back(x);
      }
    }
    return terms;
  }

  // A conjunction: "not port 80 and not port 443" is "not (port 80 or port 443)", so runs of
  // negated compatible terms become one negated search.
  Cond conjunction(const Expr& e) {
    std::vector<const Expr*> terms = leaves(e, Expr::Type::and_);
    std::optional<Cond> all;
    for (std::size_t i = 0; i < terms.size();) {
      std::vector<const Expr*> inner;
      if (terms[i]->type == Expr::Type::not_) {
        if (auto first = run_item(*terms[i]->left)) {
          for (std::size_t j = i; j < terms.size() && terms[j]->type == Expr::Type::not_; ++j) {
            auto next = run_item(*terms[j]->left);
            if (!next || !(next->key == first->key)) break;
            inner.push_back(terms[j]->left.get());
          }
        }
      }
      Cond c;
      if (inner.size() >= 2) {
        c = graph_.negate(any_term(inner));
        i += inner.size();
      } else {
        c = expr(*terms[i]);
        ++i;
      }
      all = all ? graph_.both(*all, c) : c;
    }
    return *all;
  }

  // A disjunction: its terms in order, runs of compatible host/net/port terms merged.
  Cond disjunction(const Expr& e) { return any_term(leaves(e, Expr::Type::or_)); }

  Cond any_term(const std::vector<const Expr*>& terms) {
    std::optional<Cond> all;
    for (std::size_t i = 0; i < terms.size();) {
      auto first = run_item(*terms[i]);
      std::size_t j = i + 1;
      std::vector<Range> values;
      if (first) {
        values.push_back(first->value);
        for (; j < terms.size(); ++j) {
          auto next = run_item(*terms[j]);
          if (!next || !(next->key == first->key)) break;
          values.push_back(next->value);
        }
      }
      Cond c;
      if (j - i >= 2) {
        std::sort(values.begin(), values.end());
        if (first->key.family == 1) {
          value_set_.clear();
          for (const Range& r : values)
            if (value_set_.empty() || value_set_.back() != r.first) value_set_.push_back(r.first);
          c = primitive(*terms[i]);
          value_set_.clear();
        } else {
          range_set_.clear();
          for (const Range& r : values) {
            if (!range_set_.empty() && r.first <= range_set_.back().second + 1)
              range_set_.back().second = std::max(range_set_.back().second, r.second);
            else
              range_set_.push_back(r);
          }
          // A few ports in all: one jeq each is shorter than range tests.
          std::uint64_t count = 0;
          for (const Range& r : range_set_) count += r.second - r.first + 1ull;
          if (count <= kChainMax) {
            std::vector<Range> single;
            for (const Range& r : range_set_)
              for (std::uint32_t p = r.first; p <= r.second; ++p) single.push_back({p, p});
            range_set_ = std::move(single);
          }
          c = primitive(*terms[i]);
          range_set_.clear();
        }
      } else {
        j = i + 1;
        c = expr(*terms[i]);
      }
      all = all ? graph_.either(*all, c) : c;
      i = j;
    }
    return *all;
  }

  // ---- ports
  Cond port_atom4(std::uint32_t off, std::uint32_t lo, std::uint32_t hi) {
    std::vector<BpfInsn> load = {stmt(kLdx | kB | kMsh, nl_), stmt(kLd | kH | kInd, nl_ + off)};
    if (!range_set_.empty()) return range_tree(load, range_set_);
    if (lo == hi) return test(load, kJmp | kJeq | kK, lo);
    Cond ge = test(load, kJmp | kJge | kK, lo);
    return graph_.both(ge, graph_.negate(test(load, kJmp | kJgt | kK, hi)));
  }
  Cond port_atom6(std::uint32_t off, std::uint32_t lo, std::uint32_t hi) {
    std::vector<BpfInsn> load = {stmt(kLd | kH | kAbs, nl_ + 40 + off)};
    if (!range_set_.empty()) return range_tree(load, range_set_);
    if (lo == hi) return test(load, kJmp | kJeq | kK, lo);
    Cond ge = test(load, kJmp | kJge | kK, lo);
    return graph_.both(ge, graph_.negate(test(load, kJmp | kJgt | kK, hi)));
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
    // libpcap asks getprotobyname only: `\icmp6`, `\carp` and `\igrp` are unknown names (the
    // /etc/protocols of netbase says ipv6-icmp and has no carp or igrp). These are netbase's
    // names, for hosts without the file.
    static constexpr std::pair<std::string_view, std::uint32_t> kNames[] = {
        {"icmp", 1}, {"igmp", 2}, {"tcp", 6}, {"udp", 17}, {"ah", 51}, {"esp", 50},
        {"ipv6-icmp", 58}, {"pim", 103}, {"vrrp", 112}, {"sctp", 132}};
    for (auto [n, v] : kNames)
      if (id.text == n) return v;
    if (protoent* p = ::getprotobyname(id.text.c_str())) return static_cast<std::uint32_t>(p->p_proto);
    error(Errc::not_found, id.column, fmt::format("unknown ip proto '{}'", id.text));
    return std::nullopt;
  }
  std::optional<std::uint32_t> ether_protocol_number(const Id& id) {
    if (id.type == Id::Type::number) return id.value;
    static constexpr std::pair<std::string_view, std::uint32_t> kNames[] = {
        {"ip", kEtherIp}, {"ip6", kEtherIp6}, {"arp", kEtherArp}, {"rarp", kEtherRarp},
        {"atalk", kEtherAtalk}, {"aarp", kEtherAarp}, {"decnet", 0x6003}, {"lat", 0x6004}, {"sca", 0x6007},
        {"moprc", 0x6002}, {"mopdl", 0x6001}, {"iso", kLlcSapIsoNs}, {"stp", kLlcSapStp}, {"ipx", kLlcSapIpx},
        {"netbeui", kLlcSapNetbeui}};
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
  Cond protochain_primitive(const Expr& e) {
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
  Cond protochain(std::uint32_t v, bool v6, std::uint32_t col) {
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

  // ---- ethernet addresses
  Cond ether_addr(const std::array<std::uint8_t, 16>& mac, Dir dir, std::uint32_t col) {
    if (wlan_ && link_ != 9) return wlan_addr(mac, dir, col);
    if (dir >= Dir::addr1 && is_ethernet()) {
      if (dir == Dir::ra || dir == Dir::ta)
        return error(Errc::invalid_argument, col, fmt::format("'{}' is only supported on 802.11 with 802.11 headers", dir_name(dir)));
      return error(Errc::invalid_argument, col, fmt::format("'{0}' and 'address{1}' are only supported on 802.11 with 802.11 headers",
                                                            dir_name(dir), dir_name(dir).back()));
    }
    if (!is_ethernet())
      return error(Errc::invalid_argument, col, "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel");
    Cond addrs = by_dir(dir, [&](bool src) {
      std::uint32_t off = off_linkhdr_ + (src ? 6 : 0);
      std::uint32_t w = static_cast<std::uint32_t>(mac[2]) << 24 | mac[3] << 16 | mac[4] << 8 | mac[5];
      Cond hi = load_test(kW, off + 2, kJeq, w);
      return graph_.both(hi, load_test(kH, off, kJeq, static_cast<std::uint32_t>(mac[0] << 8 | mac[1])));
    });
    return geneve_inner_ ? graph_.both(geneve_has_ethernet(), addrs) : addrs;
  }

  static std::string_view dir_name(Dir d) {
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
  Cond primitive(const Expr& e) {
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

  Cond multicast(const Expr& e) {
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

  // The destination address's group bit: addr3 in data frames to the DS, else addr1.
  Cond wlan_multicast() {
    Cond c = graph_.negate(hdr_test(kB, 0, kJset, 0x04));
    Cond d = hdr_test(kB, 0, kJset, 0x08);
    Cond to = hdr_test(kB, 1, kJset, 0x01);
    Cond a3 = hdr_test(kB, 16, kJset, 0x01);
    Cond in_data = graph_.choose(to, a3, hdr_test(kB, 4, kJset, 0x01));
    return graph_.both(c, graph_.choose(d, in_data, hdr_test(kB, 4, kJset, 0x01)));
  }

  Cond wlan_field(const Expr& e) {
    if (!wlan_) {
      return error(Errc::invalid_argument, e.column,
                   e.type == Expr::Type::wlan_dir ? "frame direction supported only with 802.11 headers"
                                                  : "802.11 link-layer types supported only on 802.11");
    }
    if (e.type == Expr::Type::wlan_dir) return hdr_test(kB, 1, kJeq, e.value, 0x03);
    return hdr_test(kB, 0, kJeq, e.value, e.id.mask);
  }

  // ---- arithmetic: a value is guards (tests that must pass first) plus code leaving it in A
  struct Value {
    std::vector<Cond> guards;
    std::vector<BpfInsn> code;
    bool is_const = false;
    std::uint32_t k = 0;
  };

  bool alloc_scratch(std::uint32_t& slot, std::uint32_t col) {
    if (scratch_ >= cell_floor()) {
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
        if (is_var(base)) {  // X = the cell's offset plus the index (test() fixes the load)
          if (is_payload_var(base)) need_payload_ = true;
          out.code.push_back(stmt(kLdx | kMem, var_cell(base)));
          out.code.push_back(stmt(kAlu | kAdd | kX, 0));
        }
        out.code.push_back(stmt(kMisc | kTax, 0));
        out.code.push_back(stmt(kLd | size | kInd, base));
      }
    };
    switch (a.proto) {
      case Proto::link:
        out.guards = std::move(index->guards);
        if (geneve_inner_) {  // relative to the inner frame, which may not be Ethernet (libpcap loads it anyway)
          indexed(off_linkhdr_);
          return out;
        }
        if (radiotap_) {  // relative to the 802.11 header, after the radiotap header
          if (index->is_const) {
            out.code = hdr(size, index->k);
          } else {
            need_radiotap_ = true;
            out.code = std::move(index->code);
            out.code.insert(out.code.end(), {stmt(kLdx | kMem, kCellRadiotap), stmt(kAlu | kAdd | kX, 0),
                                             stmt(kMisc | kTax, 0), stmt(kLd | size | kInd, 0)});
          }
          return out;
        }
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
    Cond cmp;
    if (l->is_const && r->is_const) {
      bool v = jop == kJeq ? l->k == r->k : jop == kJgt ? l->k > r->k : l->k >= r->k;
      cmp = graph_.konst(v != invert);
    } else if (r->is_const) {
      cmp = test(std::move(l->code), kJmp | jop | kK, r->k);
      if (invert) cmp = graph_.negate(cmp);
    } else {
      to_a(*l);
      std::uint32_t slot;
      if (!alloc_scratch(slot, e.column)) return graph_.konst(false);
      std::vector<BpfInsn> code = std::move(r->code);
      code.push_back(stmt(kSt, slot));
      for (auto& i : l->code) code.push_back(i);
      code.push_back(stmt(kLdx | kMem, slot));
      cmp = test(std::move(code), kJmp | jop | kX, 0);
      if (invert) cmp = graph_.negate(cmp);
    }
    std::optional<Cond> all;
    for (auto& g : l->guards) all = all ? graph_.both(*all, g) : g;
    for (auto& g : r->guards) all = all ? graph_.both(*all, g) : g;
    return all ? graph_.both(*all, cmp) : cmp;
  }

  Cond expr(const Expr& e) {
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

  CodegenOptions opt_;
  Graph graph_;
  std::optional<Error> err_;
  // Where the current encapsulation's headers are; vlan, mpls and pppoes move them.
  int link_ = 0;                  ///< the DLT whose header the tests read (PPP after pppoes)
  std::uint32_t off_linktype_ = 0;  ///< the type field
  std::uint32_t off_linkpl_ = 0;    ///< the link-layer payload (802.2 LLC header, if any)
  std::uint32_t nl_ = 0;            ///< the network-layer header (after MPLS labels)
  std::uint32_t nosnap_ = 0;        ///< the network layer after a 3-byte LLC header (ISO protocols)
  int mpls_depth_ = 0;
  bool wlan_ = false;            ///< IEEE802_11 or IEEE802_11_RADIO: variable header offsets
  bool radiotap_ = false;
  bool need_radiotap_ = false;   ///< a test reads M[kCellRadiotap]
  bool need_payload_ = false;    ///< a test reads M[kCellPayload]
  bool loops_ = false;  ///< the expression has protochain (libpcap leaves such programs unoptimized)
  // Geneve: each occurrence takes three scratch cells from the top (below 802.11's cells).
  bool geneve_inner_ = false;       ///< tests read the frame inside a Geneve header
  std::uint32_t geneve_cells_ = 0;  ///< cells taken so far
  std::uint32_t off_linkhdr_ = 0;   ///< the (inner) link-layer header: Ethernet addresses, link[]
  std::uint32_t scratch_ = 0;
  std::vector<std::uint32_t> value_set_;  ///< non-empty while a run of host/net terms is generated
  std::vector<Range> range_set_;          ///< non-empty while a run of port terms is generated
};

}  // namespace

Result<BpfProgram> generate(const Expr* expr, const CodegenOptions& options) { return Gen(options).run(expr); }

}  // namespace pcapxx::filter
