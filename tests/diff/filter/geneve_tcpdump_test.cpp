// Geneve and DECnet addresses against libpcap, on generated frames (with the corpus's gateway
// and bare-identifier expressions, whose diagnoses must be libpcap's): Geneve over IPv4 (with
// and without IP options, fragments) and IPv6, behind VLAN tags, with options of every length,
// versions 0 and 1, inner Ethernet frames (Transparent Ethernet Bridging) and bare inner IP
// packets, nested Geneve, other UDP ports, truncated anywhere; DECnet Phase IV routing
// headers (short and long data packets, with and without padding). Every link type we compile
// for gets the same network-layer packets behind its own header. Both programs run on our
// interpreter; rejections must agree with libpcap's and carry its diagnosis.
#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "diff/filter/filter_corpus.hpp"
#include "diff/filter/byte_maker.hpp"
#include "diff/filter/merged_captures.hpp"
#include "pcapxx/filter.hpp"

namespace pcapxx {
namespace {

using test::Bytes;

class PacketMaker : public test::ByteMaker {
 public:
  using ByteMaker::ByteMaker;

  // A transport header after an IP header of protocol `proto`.
  void transport(Bytes& b, unsigned proto, int depth) {
    static constexpr unsigned kPorts[] = {80, 53, 443, 6081, 1234};
    if (proto == 17 && depth < 2 && pick(3) != 0) {  // UDP to Geneve (or nearly)
      put16(b, kPorts[pick(5)]);
      put16(b, pick(6) == 0 ? 4789u : 6081u);
      put(b, {0, 0, 0, 0});
      geneve(b, depth);
      return;
    }
    put16(b, kPorts[pick(5)]);
    put16(b, kPorts[pick(5)]);
    put(b, {0, 0, 0, 1, 0, 0, 0, 0, 0x50, pick(2) ? 0x02u : 0x12u, 0xff, 0xff, 0, 0, 0, 0});
  }

  void ipv4(Bytes& b, int depth) {
    static constexpr unsigned kAddrs[][4] = {{10, 0, 0, 1}, {10, 0, 0, 138}, {1, 2, 3, 4}};
    const unsigned proto = std::array<unsigned, 4>{17, 17, 6, 1}[pick(4)];
    const bool options = pick(4) == 0;
    put(b, {options ? 0x46u : 0x45u, 0, 0, 80, 0, 1, pick(6) == 0 ? 0x20u : 0u, pick(6) == 0 ? 0x10u : 0u, 64, proto, 0, 0});
    for (int i = 0; i < 2; ++i) {
      const auto& a = kAddrs[pick(3)];
      put(b, {a[0], a[1], a[2], a[3]});
    }
    if (options) put(b, {1, 1, 1, 0});
    transport(b, proto, depth);
  }

  void ipv6(Bytes& b, int depth) {
    unsigned proto = std::array<unsigned, 4>{17, 17, 6, 44}[pick(4)];
    put(b, {0x60, 0, 0, 0, 0, 40, proto, 64});
    for (int i = 0; i < 2; ++i) put(b, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, pick(2) + 1});
    if (proto == 44) {
      proto = pick(2) ? 17u : 6u;
      put(b, {proto, 0, 0, 0, 0, 0, 0, 1});
    }
    transport(b, proto, depth);
  }

  // RFC 8926 section 3.4: version and option length, flags, protocol type, VNI, reserved.
  void geneve(Bytes& b, int depth) {
    const unsigned opt_words = std::array<unsigned, 5>{0, 0, 1, 2, 5}[pick(5)];
    const unsigned version = pick(8) == 0 ? 1u : 0u;
    const unsigned protocol = std::array<unsigned, 5>{0x6558, 0x6558, 0x6558, 0x0800, 0x86dd}[pick(5)];
    const std::uint32_t vni = std::array<std::uint32_t, 4>{100, 1, 2, 0xabcdef}[pick(4)];
    put(b, {version << 6 | opt_words, 0});
    put16(b, protocol);
    put32(b, vni << 8 | pick(256));
    for (unsigned i = 0; i < opt_words * 4; ++i) put(b, {pick(256)});
    if (protocol == 0x0800) return ipv4(b, depth + 1);
    if (protocol == 0x86dd) return ipv6(b, depth + 1);
    ethernet(b, depth + 1);
  }

  // DECnet Phase IV routing header after its 2-byte length: flags, then destination and
  // source (short: 2-byte addresses; long: area, subarea and 6-byte IDs), maybe after a pad.
  void decnet(Bytes& b) {
    static constexpr unsigned kAddrs[] = {0x0204, 0x000a, 0x0010, 0x2802, 0x0300, 0x0400, 0x9f86, 0x0000};
    put(b, {40, 0});
    const bool pad = pick(3) == 0, long_form = pick(2) == 0;
    if (pad) put(b, {0x81});
    put(b, {long_form ? 0x26u : 0x02u});
    auto addr = [&] {
      unsigned a = kAddrs[pick(8)];
      put(b, {a >> 8, a & 0xff});
    };
    if (long_form) {
      put(b, {0, 0, 0xaa, 0, 4, 0});
      addr();
      put(b, {0, 0, 0xaa, 0, 4, 0});
      addr();
    } else {
      addr();
      addr();
    }
    put(b, {0, 0, 0, 0, 0, 0});
  }

  void ethernet(Bytes& b, int depth) {
    static constexpr unsigned kMacs[][6] = {{0x00, 0x0c, 0x29, 0x36, 0x5a, 0xae},
                                            {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                                            {0x01, 0x00, 0x5e, 0, 0, 1},
                                            {0x00, 0x50, 0x56, 0xc0, 0x00, 0x08}};
    for (int i = 0; i < 2; ++i) {
      const auto& m = kMacs[pick(4)];
      put(b, {m[0], m[1], m[2], m[3], m[4], m[5]});
    }
    if (pick(5) == 0) put(b, {0x81, 0x00, 0, pick(2) ? 100u : 200u});
    switch (pick(depth == 0 ? 8 : 10)) {
      case 0: case 1: case 2: put16(b, 0x0800); ipv4(b, depth); break;
      case 3: case 4: put16(b, 0x86dd); ipv6(b, depth); break;
      case 5: put16(b, 0x6003); decnet(b); break;
      case 6: put16(b, 0x0806); put(b, {0, 1, 8, 0, 6, 4, 0, 1, 0, 0, 0, 0, 0, 1, 10, 0, 0, 1}); break;
      case 7: put16(b, 46); put(b, {pick(2) ? 0x42u : 0xfeu, pick(2) ? 0x42u : 0xfeu, 0x03, 0x81, 0, 0, 0}); break;
      case 8: put16(b, 0x8847); put(b, {0, 0x06, 0x41, 64}); ipv4(b, depth); break;
      default: put16(b, 0x8864); put(b, {0x11, 0, 0, 7, 0, 40, 0, 0x21}); ipv4(b, depth); break;
    }
  }

  // A network-layer packet (IPv4, IPv6) for link types without a link-layer header.
  Bytes network_packet() {
    Bytes b;
    if (pick(3) == 0) ipv6(b, 0);
    else ipv4(b, 0);
    return b;
  }

  // A frame of link type `dlt`; some are cut short anywhere.
  Bytes frame(int dlt) {
    Bytes b;
    if (dlt == 1) {
      ethernet(b, 0);
    } else {
      Bytes pkt = network_packet();
      const bool v6 = (static_cast<unsigned>(pkt[0]) >> 4) == 6;
      const unsigned type = v6 ? 0x86dd : 0x0800;
      switch (dlt) {
        case 113: put(b, {0, 0, 0, 1, 0, 6, 0, 0x0c, 0x29, 0x36, 0x5a, 0xae, 0, 0}); put16(b, type); break;
        case 276: put16(b, type); put(b, {0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0, 0x0c, 0x29, 0x36, 0x5a, 0xae, 0, 0}); break;
        case 0: put(b, {v6 ? 10u : 2u, 0, 0, 0}); break;  // host byte order (little-endian here)
        case 108: put(b, {0, 0, 0, v6 ? 10u : 2u}); break;
        case 9: put(b, {0xff, 0x03}); put16(b, v6 ? 0x57 : 0x21); break;
        default: break;  // RAW, IPV4, IPV6
      }
      b.insert(b.end(), pkt.begin(), pkt.end());
    }
    if (pick(6) == 0) b.resize(pick(static_cast<std::uint32_t>(b.size())));
    return b;
  }
};

// Extra expressions beyond the corpus's Geneve and DECnet entries: among them the ones libpcap
// refuses (the corpus holds only expressions that compile somewhere) and Geneve programs that
// read scratch cells no Geneve test wrote (libpcap's memory is then undefined, so tcpdump -r
// gives no reference; both programs here run on our interpreter, which starts with zeros).
constexpr std::string_view kExtraFilters[] = {
    "geneve 1 or geneve 2 and ip",
    "not geneve and ip",
    "geneve or ip host 10.0.0.1",
    "geneve 16777216",
    "geneve and protochain 6",
    "decnet host 1.2/8",
    "decnet host 1.0/8",
    "decnet net 10/8",
    "decnet host 1.",
    "decnet host ::1",
    "decnet port 1",
    "gateway router1",
    "gateway 10.0.0.1",
    "gateway ::1",
    "gateway 00:0c:29:36:5a:ae",
    "ip gateway router1",
    "src gateway router1",
    "tcp port 80 and gateway router1",
    "tcp or 10.0.0.1",
    "vlan 1 or 2",
    "ip[0] = 0x45 or 10.0.0.1",
    "(host 10.0.0.1) or 10.0.0.138",
    "ether proto 1 or 10.0.0.1",
    "udp or ::1",
    "10.0.0.1",
    "geneve 2 and ip6",
    "geneve 0xabcdef and arp",
    "geneve and ip and udp port 6081 and geneve and tcp",
    "geneve and decnet src 1.2",
    "geneve and mpls and ip",
    "geneve and not (vlan or mpls)",
    "geneve and ip host 10.0.0.1",
    "geneve and ip6 host ::1",
    "not geneve 100",
    "(geneve or vlan) and ip",
    "geneve and link[12:2] = 0x800",
    "geneve and ip[ip[0] & 0xf] = 0 or udp",
    "geneve and tcp[tcp[12] / 16] = 0",
    "udp port 53 or geneve and udp port 53",
    "decnet dst 63.1023 or decnet src 0.16",
    "decnet and decnet host 0x0",
    "vlan and decnet host 10",
    "gateway \\tcp",
    "arp gateway router1 or ip",
    "gateway",
    "less 100 or 10.0.0.1",
    "tcp or not 10.0.0.1",
    "port 80 or tcp or 443",
    "ether proto 10.0.0.1",
    "protochain 10.0.0.1",
    "ip proto ::1",
    "host 10.0.0.1 and (tcp or 10.0.0.138)",
    // Constant indexes at and above the codegen's variable-offset range (kVarBase, 0x40000000).
    "geneve and ether[0x40000000] = 0x45 or udp",
    "geneve and ip[0x40000000] = 1 or udp",
    "geneve and tcp[0x7ffffff0:2] = 0 or ip6",
};

TEST(GeneveAndDecnetVsLibpcap, GeneratedPacketsSameVerdictsAndSameRejections) {
  struct Target {
    std::string_view name;
    int dlt;
  };
  constexpr Target kTargets[] = {{"EN10MB", 1},    {"LINUX_SLL", 113}, {"LINUX_SLL2", 276}, {"RAW", 12}, {"IPV4", 228},
                                 {"IPV6", 229},    {"NULL", 0},        {"LOOP", 108},       {"PPP", 9}};
  std::vector<std::string_view> filters;
  for (std::string_view f : test::kFilterCorpus)
    if (f.find("geneve") != std::string_view::npos || f.find("decnet") != std::string_view::npos ||
        f.find(" or ") != std::string_view::npos)
      filters.push_back(f);
  filters.insert(filters.end(), std::begin(kExtraFilters), std::end(kExtraFilters));
  int compared = 0, rejected = 0, keeping = 0, dropping = 0;
  std::size_t ours_total = 0, theirs_total = 0;
  std::vector<std::string> longer;
  for (const Target& t : kTargets) {
    PacketMaker maker(20261124 + static_cast<std::uint32_t>(t.dlt));
    std::vector<Bytes> packets;
    for (int i = 0; i < (t.dlt == 1 ? 3000 : 1000); ++i) {
      Bytes f = maker.frame(t.dlt);
      // IPV4 and IPV6 hold one version each.
      if (t.dlt == 228 && !f.empty() && (static_cast<unsigned>(f[0]) >> 4) != 4) continue;
      if (t.dlt == 229 && !f.empty() && (static_cast<unsigned>(f[0]) >> 4) != 6) continue;
      packets.push_back(std::move(f));
    }
    for (std::string_view expr : filters) {
      auto theirs = test::tcpdump_program(expr, t.name);
      auto ours = compile_filter(expr, LinkType{t.dlt}, 262144, 0, true);
      std::string where = fmt::format("'{}' on {}", expr, t.name);
      if (!theirs) {
        ASSERT_FALSE(ours) << where << ": libpcap rejects it (" << theirs.error() << ") but we compile\n"
                           << format_program(*ours, BpfListing::image);
        std::string diagnosis = theirs.error();
        while (!diagnosis.empty() && diagnosis.back() == '\n') diagnosis.pop_back();
        diagnosis = diagnosis.substr(diagnosis.rfind("tcpdump: ") + 9);
        if (diagnosis.starts_with("can't parse filter expression: ")) diagnosis = "syntax error";
        EXPECT_NE(ours.error().what().find(diagnosis), std::string::npos)
            << where << ": ours '" << ours.error().what() << "', libpcap '" << diagnosis << "'";
        ++rejected;
        continue;
      }
      ASSERT_TRUE(ours) << where << ": libpcap compiles it but we reject it: " << ours.error().what();
      ASSERT_TRUE(validate_program(*ours, BpfRules::kernel)) << where;
      ++compared;
      ours_total += ours->size();
      theirs_total += theirs->size();
      if (ours->size() > theirs->size()) longer.push_back(fmt::format("{}: ours {}, libpcap {}", where, ours->size(), theirs->size()));
      int kept = 0, bad = 0;
      std::string shown;
      for (std::size_t i = 0; i < packets.size(); ++i) {
        const auto& p = packets[i];
        std::uint32_t a = run_program(*ours, p, static_cast<std::uint32_t>(p.size()));
        std::uint32_t b = run_program(*theirs, p, static_cast<std::uint32_t>(p.size()));
        kept += b != 0;
        if ((a != 0) == (b != 0)) continue;
        if (bad++ < 3) {
          shown += fmt::format("  packet {} ({} bytes): ours {}, libpcap {}:", i, p.size(), a, b);
          for (std::byte x : p) shown += fmt::format(" {:02x}", static_cast<unsigned>(x));
          shown += "\n";
        }
      }
      EXPECT_EQ(bad, 0) << where << ": " << bad << " of " << packets.size() << " packets differ\n" << shown
                        << "ours:\n" << format_program(*ours, BpfListing::image) << "libpcap:\n"
                        << format_program(*theirs, BpfListing::image);
      keeping += kept > 0;
      dropping += kept < static_cast<int>(packets.size());
    }
  }
  fmt::print("Geneve/DECnet: {} filters, {} filter/link-type pairs compared ({} keep some packets, {} drop some), "
             "{} rejected by both; instructions ours {}, libpcap {}; longer than libpcap's: {}\n",
             filters.size(), compared, keeping, dropping, rejected, ours_total, theirs_total, longer.size());
  for (const auto& l : longer) fmt::print("  {}\n", l);
  EXPECT_GE(compared, 250);
  EXPECT_GE(keeping, compared * 2 / 3);  // the packets exercise the filters
  EXPECT_GE(dropping, compared * 3 / 4);
  EXPECT_GE(rejected, 40);
}

// The shared captures hold real Geneve and DECnet traffic (libpcap/filter_geneve.pcap,
// libpcap/filter_decnet.pcap): libpcap keeps some of it for each of these filters, and we keep
// the same packets.
TEST(GeneveAndDecnetVsLibpcap, CapturedTrafficSameVerdicts) {
  const test::MergedCapture* ether = nullptr;
  for (const auto& m : test::merged_captures())
    if (m.linktype == 1) ether = &m;
  ASSERT_NE(ether, nullptr);
  constexpr std::string_view kFilters[] = {"geneve", "geneve and ip", "geneve and tcp", "geneve 10", "geneve 11 and tcp",
                                           "geneve and ether src b6:9e:d2:49:51:48", "geneve 11 or geneve 10",
                                           "decnet", "decnet host 1.2 or decnet src 1.1 or decnet dst 1.1"};
  for (std::string_view expr : kFilters) {
    auto theirs = test::tcpdump_program(expr, "EN10MB");
    ASSERT_TRUE(theirs) << expr << ": " << theirs.error();
    auto ours = compile_filter(expr, LinkType{1}, 262144, 0, true);
    ASSERT_TRUE(ours) << expr << ": " << ours.error().what();
    auto kept_theirs = test::kept_by(*theirs, *ether);
    auto kept_ours = test::kept_by(*ours, *ether);
    fmt::print("'{}': libpcap keeps {}, we keep {} of {} Ethernet packets\n", expr, kept_theirs.size(), kept_ours.size(),
               ether->packets.size());
    EXPECT_FALSE(kept_theirs.empty()) << "'" << expr << "': no packet of the captures matches";
    EXPECT_EQ(kept_ours, kept_theirs) << expr << "\nours:\n" << format_program(*ours, BpfListing::image) << "libpcap:\n"
                                      << format_program(*theirs, BpfListing::image);
  }
}

}  // namespace
}  // namespace pcapxx
