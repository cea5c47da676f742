// 802.11 (with and without radiotap) and PPP against libpcap: the 802.11 keywords (type,
// subtype, dir, addr1-addr4, ra, ta, wlan host/src/dst) and the usual primitives, on generated
// frames that hit the edge cases of the variable header offsets (QoS data frames, every DS
// bit combination, radiotap TSFT/Flags/data padding/extended presence, truncation anywhere)
// and on the shared captures of those link types. Both programs run on our interpreter.
#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "diff/filter/byte_maker.hpp"
#include "diff/filter/merged_captures.hpp"
#include "pcapxx/filter.hpp"

namespace pcapxx {
namespace {

using test::Bytes;

class FrameMaker : public test::ByteMaker {
 public:
  using ByteMaker::ByteMaker;

  // An IPv4 or IPv6 packet with a TCP/UDP header (or an ICMPv6 / fragment header).
  void ip_packet(Bytes& b, bool v6) {
    static constexpr unsigned kPorts[] = {80, 53, 443, 1234};
    unsigned proto = std::array<unsigned, 4>{6, 17, 1, 58}[pick(4)];
    if (!v6) {
      static constexpr unsigned kAddrs[][4] = {{10, 0, 0, 1}, {10, 0, 0, 138}, {8, 8, 8, 8}};
      put(b, {0x45, 0, 0, 60, 0, 1, pick(4) == 0 ? 0x20u : 0u, pick(4) == 0 ? 0x10u : 0u, 64, proto, 0, 0});
      for (int i = 0; i < 2; ++i) {
        const auto& a = kAddrs[pick(3)];
        put(b, {a[0], a[1], a[2], a[3]});
      }
    } else {
      if (proto == 1) proto = 44;
      put(b, {0x60, 0, 0, 0, 0, 40, proto, 64});
      for (int i = 0; i < 2; ++i) {
        put(b, {pick(2) ? 0xfeu : 0x20u, pick(2) ? 0x80u : 0x01u, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, pick(2) + 1});
      }
      if (proto == 44) put(b, {pick(2) ? 6u : 17u, 0, 0, 0, 0, 0, 0, 1});
    }
    put16(b, kPorts[pick(4)]);
    put16(b, kPorts[pick(4)]);
    put(b, {0, 0, 0, 1, 0, 0, 0, 0, 0x50, pick(2) ? 0x02u : 0x12u, 0xff, 0xff, 0, 0, 0, 0});
  }

  // What follows an 802.2 LLC header, or a SNAP header and ethertype.
  void llc_payload(Bytes& b) {
    switch (pick(10)) {
      case 7:  // an 802.1Q tag (maybe two), then an ethertype and its packet, or an LLC header
        put(b, {0xaa, 0xaa, 0x03, 0, 0, 0, 0x81, 0x00, 0, pick(2) ? 100u : 200u});
        if (pick(3) == 0) put(b, {0x81, 0x00, 0, 100});
        switch (pick(3)) {
          case 0: put(b, {0x08, 0x00}); ip_packet(b, false); break;
          case 1: put(b, {0x86, 0xdd}); ip_packet(b, true); break;
          default: put(b, {0, 40, pick(2) ? 0x42u : 0xfeu, 0x42, pick(2) ? 0x03u : 0x00u, 0x81, 0, 0}); break;
        }
        break;
      case 8:  // PPPoE session: version/type, code, session ID, length, PPP protocol
        put(b, {0xaa, 0xaa, 0x03, 0, 0, 0, 0x88, 0x64, 0x11, 0, 0, pick(2) ? 7u : 8u, 0, 40});
        if (pick(2)) { put(b, {0x00, 0x21}); ip_packet(b, false); }
        else { put(b, {0x00, 0x57}); ip_packet(b, true); }
        break;
      case 9:  // other LLC control fields: S and U frames
        put(b, {0x42, 0x42, std::array<unsigned, 6>{0x01, 0x05, 0x09, 0x03, 0x63, 0xaf}[pick(6)], 0, 0, 0, 0});
        break;
      case 0: case 1: put(b, {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}); ip_packet(b, false); break;
      case 2: put(b, {0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd}); ip_packet(b, true); break;
      case 3: put(b, {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1}); break;
      case 4: put(b, {0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b, 0, 0, 0, 0}); break;
      case 5: put(b, {0xfe, 0xfe, 0x03, 0x83, 0x1b, 0x01, 0, 0x12}); break;
      default: put(b, {pick(2) ? 0x42u : 0xe0u, 0x42, 0x03, 0, 0, 0, 0}); break;
    }
  }

  Bytes wlan_frame(bool radiotap) {
    Bytes b;
    bool pad = false;
    if (radiotap) {
      // Version, pad, length (little-endian), presence word; TSFT (8 bytes, 8-aligned), Flags.
      bool tsft = pick(2), flags = pick(3) != 0, ext = pick(6) == 0;
      pad = flags && pick(2);
      std::uint32_t present = (tsft ? 1u : 0u) | (flags ? 2u : 0u) | (ext ? 0x80000000u : 0u);
      Bytes fields;
      if (ext) put(fields, {0, 0, 0, 0});
      if (tsft) {
        while ((8 + fields.size()) % 8 != 0) fields.push_back(std::byte{0});
        put(fields, {1, 2, 3, 4, 5, 6, 7, 8});
      }
      if (flags) put(fields, {pad ? 0x20u : (pick(2) ? 0x10u : 0u)});
      std::size_t len = 8 + fields.size() + pick(3);
      if (pick(10) == 0) len = pick(2) ? 0 : 4 + pick(40);  // a bogus length
      put(b, {0, 0, static_cast<unsigned>(len & 0xff), static_cast<unsigned>(len >> 8)});
      put(b, {present & 0xff, present >> 8 & 0xff, present >> 16 & 0xff, present >> 24});
      b.insert(b.end(), fields.begin(), fields.end());
      while (b.size() < len) b.push_back(std::byte{0});
      if (b.size() > len) b.resize(std::max<std::size_t>(len, 8));
    }
    const std::size_t header_at = b.size();
    static constexpr unsigned kTypes[] = {0x08, 0x88, 0x08, 0x88, 0x80, 0x40, 0xd4, 0xc4, 0xb4, 0x48, 0xc8, 0x0c};
    unsigned fc0 = kTypes[pick(std::size(kTypes))];
    unsigned fc1 = pick(4);
    put(b, {fc0, fc1, 0, 0});
    static constexpr unsigned kMacs[][6] = {{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                                            {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}, {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb}};
    for (int a = 0; a < 3; ++a) {
      const auto& m = kMacs[pick(4)];
      put(b, {m[0], m[1], m[2], m[3], m[4], m[5]});
    }
    put(b, {0, 0});  // sequence control
    if (fc1 == 3) {
      const auto& m = kMacs[pick(4)];
      put(b, {m[0], m[1], m[2], m[3], m[4], m[5]});
    }
    if ((fc0 & 0x8c) == 0x88) put(b, {0, 0});  // QoS control
    if (pad)
      while ((b.size() - header_at) % 4 != 0) b.push_back(std::byte{0});
    llc_payload(b);
    return b;
  }

  Bytes ppp_frame() {
    Bytes b;
    put(b, {0xff, 0x03});
    switch (pick(8)) {
      case 0: case 1: put16(b, 0x0021); ip_packet(b, false); break;
      case 2: put16(b, 0x0057); ip_packet(b, true); break;
      case 3: put16(b, 0x0281); put(b, {0, 0x05, 0x21, 64}); ip_packet(b, false); break;
      case 4: put16(b, 0x0023); put(b, {0x83, 0x1b, 0x01, 0, 0x12}); break;
      case 5: put16(b, 0x0029); put(b, {0, 0, 0}); break;
      case 6: put16(b, 0x8864); put(b, {0x11, 0, 0, 7, 0, 20, 0, 0x21}); ip_packet(b, false); break;
      default: put16(b, pick(2) ? 0x002bu : 0x80f3u); put(b, {0, 0, 0, 0}); break;
    }
    return b;
  }

  // Each frame whole and truncated at a random point (a load past the end rejects).
  std::vector<Bytes> frames(int dlt, int count) {
    std::vector<Bytes> out;
    for (int i = 0; i < count; ++i) {
      Bytes f = dlt == 9 ? ppp_frame() : wlan_frame(dlt == 127);
      out.push_back(f);
      Bytes cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(pick(static_cast<std::uint32_t>(f.size()))));
      out.push_back(std::move(cut));
    }
    return out;
  }
};

constexpr std::string_view kWlanFilters[] = {
    "wlan host 00:11:22:33:44:55", "wlan src 00:11:22:33:44:55", "wlan dst ff:ff:ff:ff:ff:ff",
    "ether host 66:77:88:99:aa:bb", "ether src 00:11:22:33:44:55 and ether dst 66:77:88:99:aa:bb",
    "wlan src and dst 00:11:22:33:44:55", "fddi host 00:11:22:33:44:55", "tr dst 00:11:22:33:44:55",
    "wlan addr1 00:11:22:33:44:55", "wlan addr2 00:11:22:33:44:55", "wlan addr3 66:77:88:99:aa:bb",
    "wlan addr4 00:11:22:33:44:55", "wlan ra ff:ff:ff:ff:ff:ff", "wlan ta 00:11:22:33:44:55",
    "wlan address1 00:11:22:33:44:55 or wlan address2 66:77:88:99:aa:bb",
    "type mgt", "type ctl", "type data", "wlan type 8", "type 0x0c", "type 2",
    "type mgt subtype beacon", "type data subtype qos-data", "subtype ack", "subtype qos", "subtype rts or subtype cts",
    "subtype probe-req or subtype probe-resp or subtype assoc-req or subtype deauth",
    "type data subtype 0x80", "type ctl subtype 0xd0", "type mgt subtype ack", "type foo", "subtype bar",
    "dir nods", "dir tods", "dir fromds", "dir dstods", "dir 3", "wlan dir 1 and type data",
    "broadcast", "multicast", "ether broadcast", "wlan multicast and not broadcast", "ip broadcast", "ip multicast",
    "llc", "not llc", "llc i", "llc s or llc rnr", "llc u and not llc ui", "llc xid or llc ua",
    "vlan", "vlan 100", "vlan 200 and ip", "vlan and vlan and ip6", "vlan and tcp port 80", "vlan and (stp or iso)",
    "vlan and llc i", "vlan and ether proto 100", "not vlan and ip",
    "pppoes", "pppoes 7", "pppoes 8 and ip", "pppoes and ip6 and tcp", "pppoes and udp port 53", "pppoed",
    "ip", "ip6", "arp", "atalk", "aarp", "iso", "stp", "ipx", "netbeui", "decnet",
    "ether proto 100", "ether proto 0x0800 or ether proto 0x86dd", "isis", "clnp", "l1", "iih",
    "tcp", "udp", "icmp", "icmp6", "tcp port 80", "udp port 53 or tcp port 443", "src port 1234",
    "portrange 50-100", "host 10.0.0.1", "src host 10.0.0.138 and dst host 8.8.8.8", "net 10.0.0.0/24",
    "host fe80::1", "ip6 dst host 2001::2", "ip proto 17", "ip6 proto 44",
    "tcp[13] & 2 != 0", "tcp[tcpflags] = tcp-syn", "ip[0] = 0x45", "ip[6:2] & 0x1fff = 0", "udp[0:2] = 53",
    "ether[0] = 0x88", "ether[1] & 3 = 3", "link[ether[0] & 0xf] = 0", "ip[ip[0] & 0xf] > 1", "len > 60",
    "wlan type data and ip and host 10.0.0.1", "subtype qos-data and tcp port 80", "dir fromds or udp",
    "not type mgt and ether host 00:11:22:33:44:55", "type data and not type data", "llc and not llc",
    "ip and not ip", "not llc and host 10.0.0.1", "dir 1 and dir 2", "subtype ack and type data",
    "wlan addr1 00:11:22:33:44:55 and not wlan addr1 00:11:22:33:44:55", "iso proto 0x83", "isis proto 0x12",
    "decnet host 10.15", "mpls", "vlan", "protochain 6", "inbound", "addr1 00:11:22:33:44:55",
    // Constant indexes at and above the codegen's variable-offset range (kVarBase, 0x40000000).
    "ether[0x40000000] = 0xaa", "ether[0x40000000] = 0xaa or udp", "ip[0x40000000] = 1 or udp",
    "tcp[0x40000000] = 1 or arp", "link[0x7fffffff] = 0 or ip6",
};

TEST(WlanAndPppVsLibpcap, GeneratedFramesAndCapturesSameVerdicts) {
  struct Target {
    std::string_view name;
    int dlt;
  };
  constexpr Target kTargets[] = {{"IEEE802_11", 105}, {"IEEE802_11_RADIO", 127}, {"PPP", 9}, {"EN10MB", 1}};
  int compared = 0, on_packets = 0, rejected = 0, keeping = 0, dropping = 0;
  std::size_t ours_total = 0, theirs_total = 0;
  for (const Target& t : kTargets) {
    FrameMaker maker(20261124 + static_cast<std::uint32_t>(t.dlt));
    std::vector<Bytes> packets = t.dlt == 1 ? std::vector<Bytes>{} : maker.frames(t.dlt, 400);
    std::vector<std::string> sources(packets.size(), "generated");
    for (const auto& m : test::merged_captures()) {
      if (static_cast<int>(m.linktype) != t.dlt) continue;
      for (const auto& p : m.packets) {
        packets.push_back(p.data);
        sources.push_back(p.source);
      }
    }
    for (std::string_view expr : kWlanFilters) {
      auto theirs = test::tcpdump_program(expr, t.name);
      auto ours = compile_filter(expr, LinkType{t.dlt}, 262144, 0, true);
      std::string where = fmt::format("'{}' on {}", expr, t.name);
      if (!theirs) {
        ASSERT_FALSE(ours) << where << ": libpcap rejects it (" << theirs.error() << ") but we compile\n"
                           << format_program(*ours, BpfListing::image);
        if (ours.error().code == Errc::unsupported) continue;
        std::string diagnosis = theirs.error();
        while (!diagnosis.empty() && diagnosis.back() == '\n') diagnosis.pop_back();
        diagnosis = diagnosis.substr(diagnosis.rfind("tcpdump: ") + 9);
        if (diagnosis.starts_with("can't parse filter expression: ")) diagnosis = "syntax error";
        EXPECT_NE(ours.error().what().find(diagnosis), std::string::npos)
            << where << ": ours '" << ours.error().what() << "', libpcap '" << diagnosis << "'";
        ++rejected;
        continue;
      }
      if (!ours) {
        EXPECT_EQ(ours.error().code, Errc::unsupported) << where << ": libpcap compiles it but we reject it: "
                                                        << ours.error().what();
        continue;
      }
      // protochain loops backward, as libpcap's program does: userland rules only.
      const bool loops = expr.find("protochain") != std::string_view::npos;
      ASSERT_TRUE(validate_program(*ours, loops ? BpfRules::libpcap : BpfRules::kernel)) << where;
      ++compared;
      ours_total += ours->size();
      theirs_total += theirs->size();
      int kept = 0, bad = 0;
      std::string shown;
      for (std::size_t i = 0; i < packets.size(); ++i) {
        const auto& p = packets[i];
        std::uint32_t a = run_program(*ours, p, static_cast<std::uint32_t>(p.size()));
        std::uint32_t b = run_program(*theirs, p, static_cast<std::uint32_t>(p.size()));
        kept += b != 0;
        if ((a != 0) == (b != 0)) continue;
        if (bad++ < 3) {
          shown += fmt::format("  {} packet {} ({} bytes): ours {}, libpcap {}:", sources[i], i, p.size(), a, b);
          for (std::byte x : p) shown += fmt::format(" {:02x}", static_cast<unsigned>(x));
          shown += "\n";
        }
      }
      EXPECT_EQ(bad, 0) << where << ": " << bad << " of " << packets.size() << " packets differ\n" << shown
                        << "ours:\n" << format_program(*ours, BpfListing::image) << "libpcap:\n"
                        << format_program(*theirs, BpfListing::image);
      if (packets.empty()) continue;
      ++on_packets;
      if (t.dlt == 105 || t.dlt == 127) {
        // Unoptimized (tcpdump -O): the prologue and every test as generated.
        auto theirs_plain = test::tcpdump_program(expr, t.name, false);
        auto ours_plain = compile_filter(expr, LinkType{t.dlt}, 262144, 0, false);
        ASSERT_TRUE(theirs_plain && ours_plain) << where << " unoptimized";
        int plain_bad = 0;
        for (const auto& p : packets)
          plain_bad += (run_program(*ours_plain, p, static_cast<std::uint32_t>(p.size())) != 0) !=
                       (run_program(*theirs_plain, p, static_cast<std::uint32_t>(p.size())) != 0);
        EXPECT_EQ(plain_bad, 0) << where << " unoptimized: " << plain_bad << " packets differ\nours:\n"
                                << format_program(*ours_plain, BpfListing::image) << "libpcap:\n"
                                << format_program(*theirs_plain, BpfListing::image);
      }
      keeping += kept > 0;
      dropping += kept < static_cast<int>(packets.size());
    }
  }
  fmt::print("802.11/PPP: {} filter/link-type pairs compiled by both, {} compared on packets ({} keep some, {} drop "
             "some), {} rejected by both; instructions ours {}, libpcap {}\n",
             compared, on_packets, keeping, dropping, rejected, ours_total, theirs_total);
  EXPECT_GE(on_packets, 150);
  EXPECT_GE(keeping, on_packets * 3 / 4);  // the frames exercise the filters: most keep some
  EXPECT_GE(dropping, on_packets * 3 / 4);
  EXPECT_GE(rejected, 20);
}

}  // namespace
}  // namespace pcapxx
