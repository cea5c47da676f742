// Code generation, the link layer: link types, LLC, direction, Ethernet addresses.
// The generator's class and the facts it shares: codegen_generator.hpp.
#include "filter/codegen_generator.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <fmt/format.h>

namespace pcapxx::filter::codegen_detail {

// ---- link layer
bool Gen::setup_link() {
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

bool Gen::is_ethernet() const { return opt_.link.dlt == 1 || geneve_inner_; }

bool Gen::has_mac_addresses() const { return is_ethernet() || wlan_; }

Cond Gen::load_test(std::uint16_t size, std::uint32_t off, std::uint16_t jop, std::uint32_t k) {
  return test({stmt(kLd | size | kAbs, off)}, kJmp | jop | kK, k);
}

// The link-layer type test (gen_linktype): is the payload of this ethertype (or, for values
// of 1500 or less, of this 802.2 LLC SAP)?
Cond Gen::linktype(std::uint32_t ethertype, std::uint32_t column) {
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

Cond Gen::masked_test(std::uint16_t size, std::uint32_t off, std::uint32_t mask, std::uint32_t v) {
  return test({stmt(kLd | size | kAbs, off), stmt(kAlu | kAnd | kK, mask)}, kJmp | kJeq | kK, v);
}

Cond Gen::any_of(std::uint16_t size, std::uint32_t off, std::initializer_list<std::uint32_t> values) {
  std::optional<Cond> all;
  for (std::uint32_t v : values) {
    Cond one = load_test(size, off, kJeq, v);
    all = all ? graph_.either(*all, one) : one;
  }
  return *all;
}

// An 802.2 SNAP header (AA AA 03, OUI, type) at the link payload.
Cond Gen::snap(std::uint32_t oui, std::uint32_t type) {
  Cond tail = load_test(kW, off_linkpl_ + 4, kJeq, (oui & 0xffff) << 16 | type);
  return graph_.both(tail, load_test(kW, off_linkpl_, kJeq, 0xaaaa0300u | oui >> 16));
}

// Ethernet: type field above 1500, or an 802.3 length and an 802.2 LLC header after it.
Cond Gen::ether_linktype(std::uint32_t proto) {
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
Cond Gen::sll_linktype(std::uint32_t proto) {
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
std::uint32_t Gen::ppp_type(std::uint32_t ethertype) {
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

std::string Gen::link_description() const {
  if (const LinkTypeInfo* info = find_link_type(LinkType{link_})) return std::string(info->description);
  return fmt::format("DLT {}", link_);
}

// gen_llc: any 802.2 LLC frame, or one of a frame format (i, s, u) or a command.
Cond Gen::llc(const Expr& e) {
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
Cond Gen::direction(const Expr& e) {
  constexpr std::uint32_t kPacketOutgoing = 4;  // <linux/if_packet.h> PACKET_OUTGOING
  Cond out;
  if (link_ == 113) {
    out = load_test(kH, 0, kJeq, kPacketOutgoing);
  } else if (link_ == 276) {
    out = load_test(kB, 10, kJeq, kPacketOutgoing);
  } else {
    if (opt_.target == FilterTarget::savefile)
      return error(Errc::invalid_argument, e.column,
                   fmt::format("inbound/outbound not supported on {} when reading savefiles", link_description()));
    out = ancillary_test(kH, kAdPktType, kJeq, kPacketOutgoing);
  }
  return e.type == Expr::Type::outbound ? out : graph_.negate(out);
}

Cond Gen::ifindex(const Expr& e) {
  if (link_ == 276) return load_test(kW, 4, kJeq, e.value);
  if (opt_.target == FilterTarget::savefile)
    return error(Errc::invalid_argument, e.column,
                 fmt::format("ifindex not supported on {} when reading savefiles", link_description()));
  return ancillary_test(kW, kAdIfIndex, kJeq, e.value);
}

// A test of an ancillary value (SKF_AD_*). With radiotap libpcap adds the radiotap length to
// the ancillary offset, as to every link-layer offset: [x + -4092] with X the radiotap length
// is a load past 2^32 for libpcap's interpreter and a negative offset outside every ancillary
// range for the kernel's, so no packet passes it; ours is the same load.
Cond Gen::ancillary_test(std::uint16_t size, std::uint32_t ad, std::uint16_t jop, std::uint32_t k) {
  if (!radiotap_) return load_test(size, kAdOff + ad, jop, k);
  need_radiotap_ = true;
  return test({stmt(kLdx | kMem, kCellRadiotap), stmt(kLd | size | kInd, kAdOff + ad)}, kJmp | jop | kK, k);
}

// ---- ethernet addresses
Cond Gen::ether_addr(const std::array<std::uint8_t, 16>& mac, Dir dir, std::uint32_t col) {
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

}  // namespace pcapxx::filter::codegen_detail
