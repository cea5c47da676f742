// Truncated and inconsistent headers of the layers the captured samples leave out: crafted
// packets (GRE with every optional field, SCTP, DNS with every section, IGMPv3 reports, ICMPv6
// router advertisements, raw IP) cut at every length inside each header must fail in that layer;
// inconsistent length and count fields must fail with their reason. Each cut is a fresh heap copy
// of exactly that length, so the sanitizer build sees any overread.
#include <gtest/gtest.h>

#include <memory>

#include <fmt/format.h>

#include "common/craft.hpp"
#include "pcapxx/decode.hpp"

namespace pcapxx::layers {
namespace {

using LT = LayerType;

constexpr SerializeOptions kFix{.fix_lengths = true, .compute_checksums = true};

std::vector<std::byte> bytes_of(std::span<const std::byte> s) { return {s.begin(), s.end()}; }

using test::hex;

// Cuts `bytes` at every length and checks each cut against the full decode: the layers wholly
// before the cut decode as before and the error layer is the first layer whose header (contents)
// the cut splits. `expect` is the full decode's layer types; cuts at `whole` lengths leave a
// valid packet (a chunk boundary) and cuts from `upto` on are not tried. Returns the reasons seen.
std::set<std::string> cut_everywhere(const std::vector<std::byte>& bytes, LayerType first, std::vector<LT> expect,
                                     std::set<std::size_t> whole = {}, std::size_t upto = SIZE_MAX) {
  std::set<std::string> reasons;
  const Packet full = Packet::decode(bytes, first);
  EXPECT_EQ(full.error(), nullptr) << full.error()->message();
  const auto layers = full.layers();
  std::vector<LT> types;
  for (const Layer& l : layers) types.push_back(l.type());
  EXPECT_EQ(types, expect);
  if (types != expect) return reasons;
  std::size_t checked = 0;
  for (std::size_t cut_at = 0; cut_at < std::min(upto, bytes.size()); ++cut_at) {
    if (whole.contains(cut_at)) continue;
    std::size_t i = 0;
    while (i < layers.size() && layers[i].offset + layers[i].contents().size() <= cut_at) ++i;
    if (i == layers.size() || layers[i].type() == LT::payload) break;
    // A cut right after a header leaves no bytes for the next one: that is no error.
    if (i > 0 && cut_at == layers[i].offset) continue;
    auto cut = std::make_unique<std::byte[]>(cut_at == 0 ? 1 : cut_at);
    std::copy_n(bytes.begin(), cut_at, cut.get());
    const Packet pkt = Packet::decode(std::span<const std::byte>(cut.get(), cut_at), first);
    const DecodeFailure* f = pkt.error();
    EXPECT_NE(f, nullptr) << "cut at " << cut_at << " (in " << layer_name(layers[i].type()) << ")";
    if (f == nullptr) continue;
    EXPECT_EQ(f->layer, layers[i].type()) << "cut at " << cut_at << ": " << f->message();
    EXPECT_GE(f->offset, layers[i].offset) << "cut at " << cut_at << ": " << f->message();
    EXPECT_LE(f->offset, cut_at) << "cut at " << cut_at << ": " << f->message();
    EXPECT_EQ(pkt.layers().size(), i) << "cut at " << cut_at << ": " << f->message();
    EXPECT_EQ(f->remaining.data() + f->remaining.size(), cut.get() + cut_at);
    reasons.insert(std::string(f->reason));
    ++checked;
  }
  EXPECT_GT(checked, 0u);
  return reasons;
}

// Decodes bytes as `first` and returns the error (layer, offset, reason) as text, or "ok".
std::string failure(const std::vector<std::byte>& bytes, LayerType first) {
  auto copy = std::make_unique<std::byte[]>(bytes.empty() ? 1 : bytes.size());
  std::copy(bytes.begin(), bytes.end(), copy.get());
  const Packet pkt = Packet::decode(std::span<const std::byte>(copy.get(), bytes.size()), first);
  if (pkt.error() == nullptr) return "ok";
  return fmt::format("{} at {}: {}", layer_name(pkt.error()->layer), pkt.error()->offset, pkt.error()->reason);
}

Ipv4 ipv4(std::uint8_t protocol) { return test::ipv4_between("192.0.2.1", "192.0.2.2", protocol); }

Ethernet ether(std::uint16_t type) {
  Ethernet e;
  e.ethertype = type;
  return e;
}

TEST(LayersMalformedCrafted, GreWithChecksumKeyAndSequenceCutInEachField) {
  Gre gre;
  gre.checksum_present = gre.key_present = gre.seq_present = true;
  gre.key = 7;
  gre.seq = 9;
  gre.protocol = 0x0800;
  Ipv4 inner = ipv4(17);
  Udp udp;
  udp.src_port = udp.dst_port = 9;
  SerializeBuffer buf;
  serialize_layers(buf, kFix, ether(0x0800), ipv4(47), gre, inner, udp);
  const auto reasons = cut_everywhere(bytes_of(buf.bytes()), LT::ethernet,
                                      {LT::ethernet, LT::ipv4, LT::gre, LT::ipv4, LT::udp});
  for (const char* r : {"truncated header: needs 4 bytes", "truncated checksum field", "truncated key field",
                        "truncated sequence number field"})
    EXPECT_TRUE(reasons.contains(r)) << r;
}

TEST(LayersMalformedCrafted, GreSourceRouteEntriesThatDoNotFit) {
  // RFC 1701: R set; checksum/offset word; one SRE (address family 0x0800, offset 0, length 8)
  // announcing 8 bytes of which 4 are there.
  EXPECT_EQ(failure(hex("4000 0800 0000 0000 0800 00 08 c0000201"), LT::gre),
            "GRE at 8: source route entry runs past the packet");
  // An SRE header cut short.
  EXPECT_EQ(failure(hex("4000 0800 0000 0000 0800"), LT::gre), "GRE at 8: truncated source route entry");
  // Version 1 (PPTP) with A set but no acknowledgment number.
  EXPECT_EQ(failure(hex("2081 880b 0000 0001"), LT::gre), "GRE at 8: truncated acknowledgment number field");
}

TEST(LayersMalformedCrafted, SctpCommonHeaderAndChunksCut) {
  Sctp sctp;
  sctp.src_port = 2905;
  sctp.dst_port = 2905;
  sctp.verification_tag = 1;
  static const auto kChunks = hex("04 00 0008 00010004  0e 00 0004");  // HEARTBEAT, SHUTDOWN COMPLETE
  sctp.chunks = kChunks;
  SerializeBuffer buf;
  serialize_layers(buf, kFix, ether(0x0800), ipv4(132), sctp);
  const auto bytes = bytes_of(buf.bytes());
  // Cut after the common header or after the first chunk: fewer chunks, no error.
  const auto reasons = cut_everywhere(bytes, LT::ethernet, {LT::ethernet, LT::ipv4, LT::sctp}, {34 + 12, 34 + 20});
  EXPECT_TRUE(reasons.contains("truncated common header: needs 12 bytes"));
  EXPECT_TRUE(reasons.contains("chunk length runs past the packet or is below 4"));
  // A chunk whose length is not a multiple of 4 is padded (RFC 9260 3.2): a 5-byte chunk at
  // the end without its padding is cut short.
  auto odd = hex("0b59 0b59 00000001 00000000 00 00 0005 ff");
  EXPECT_EQ(failure(odd, LT::sctp), "ok");  // the last chunk's padding may be left out
  odd = hex("0b59 0b59 00000001 00000000 00 00 0009 ff");
  EXPECT_EQ(failure(odd, LT::sctp), "SCTP at 12: chunk length runs past the packet or is below 4");
}

TEST(LayersMalformedCrafted, DnsMessageCutInEverySection) {
  DnsBuilder b;
  b.start(1, Dns::kResponse)
      .question("www.example.com", Dns::kTypeA)
      .a(DnsRecord::Section::answer, {"www.example.com", 60}, Ipv4Address{{192, 0, 2, 80}})
      .ns(DnsRecord::Section::authority, {"example.com", 60}, "ns.example.com")
      .a(DnsRecord::Section::additional, {"ns.example.com", 60}, Ipv4Address{{192, 0, 2, 53}});
  ASSERT_TRUE(b.ok());
  Udp udp;
  udp.src_port = 53;
  udp.dst_port = 40000;
  SerializeBuffer buf;
  serialize_layers(buf, kFix, ether(0x0800), ipv4(17), udp, b.dns());
  const auto reasons = cut_everywhere(bytes_of(buf.bytes()), LT::ethernet, {LT::ethernet, LT::ipv4, LT::udp, LT::dns});
  for (const char* r : {"truncated header: needs 12 bytes", "name runs past the end of the message",
                        "label runs past the end of the message", "truncated question", "truncated resource record",
                        "record data runs past the end of the message", "truncated compression pointer"})
    EXPECT_TRUE(reasons.contains(r)) << r;

  // Counts that promise more than the message holds.
  auto msg = bytes_of(b.bytes());
  auto more = msg;
  more[5] = std::byte{2};  // two questions: the answer is read as one, the records shift
  EXPECT_EQ(failure(more, LT::dns), "DNS at 48: record data runs past the end of the message");
  more = msg;
  more[11] = std::byte{2};  // two additional records
  EXPECT_EQ(failure(more, LT::dns), fmt::format("DNS at {}: name runs past the end of the message", msg.size()));
  // A record data length beyond the message.
  auto longer = msg;
  longer[msg.size() - 5] = std::byte{5};
  EXPECT_EQ(failure(longer, LT::dns),
            fmt::format("DNS at {}: record data runs past the end of the message", msg.size() - 6));
  // A label length of 64 (0x40: the extended label type RFC 6891 retired).
  auto ext = msg;
  ext[12] = std::byte{0x40};
  EXPECT_EQ(failure(ext, LT::dns), "DNS at 12: unsupported label type (0x40/0x80)");
}

TEST(LayersMalformedCrafted, Igmpv3ReportRecordsThatDoNotFit) {
  // Report, 1 group record: type 1, aux data 0, 1 source, group, source.
  const auto report = hex("22 00 0000 0000 0001  01 00 0001 ef010101 0a000001");
  EXPECT_EQ(failure(report, LT::igmp), "ok");
  auto cut = report;
  cut.resize(8 + 6);
  EXPECT_EQ(failure(cut, LT::igmp), "IGMP at 8: truncated group record");
  cut = report;
  cut.resize(8 + 10);
  EXPECT_EQ(failure(cut, LT::igmp), "IGMP at 8: group record runs past the message");
  // A v3 query announcing two sources and carrying one.
  EXPECT_EQ(failure(hex("11 64 0000 e0000001 02 7d 0002 0a000001"), LT::igmp),
            "IGMP at 12: source list runs past the message");
  auto aux = report;
  aux[9] = std::byte{1};  // one word of auxiliary data that is not there
  EXPECT_EQ(failure(aux, LT::igmp), "IGMP at 8: group record runs past the message");
  auto two = report;
  two[7] = std::byte{2};  // two records announced, one present
  EXPECT_EQ(failure(two, LT::igmp), "IGMP at 20: truncated group record");
  cut = report;
  cut.resize(7);
  EXPECT_EQ(failure(cut, LT::igmp), "IGMP at 0: truncated message: needs 8 bytes");
}

TEST(LayersMalformedCrafted, RouterAdvertisementWithOptionsCut) {
  Ipv6 ip;
  ip.next_header = 58;
  ip.hop_limit = 255;
  ip.src.bytes = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  ip.dst.bytes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  Icmpv6 ra;
  ra.type = Icmpv6::kRouterAdvertisement;
  ra.rest = 0x40001800;  // hop limit 64, lifetime 6144 s
  // Reachable time, retrans timer; source link-layer address; MTU 1500; prefix 2001:db8::/64.
  static const auto kBody = hex(
      "00000000 00000000  0101 020000000001  0501 0000 000005dc"
      "  0304 40 c0 00278d00 00093a80 00000000 20010db8000000000000000000000000");
  ra.body = kBody;
  SerializeBuffer buf;
  serialize_layers(buf, kFix, ether(0x86dd), ip, ra);
  const Packet pkt = Packet::decode(buf.bytes(), dlt::kEn10Mb);
  ASSERT_EQ(pkt.error(), nullptr);
  std::vector<int> kinds;
  OptionReader r = pkt.layer<Icmpv6>()->nd_option_reader();
  for (Option o; r.next(o);) kinds.push_back(o.kind);
  EXPECT_EQ(kinds, (std::vector<int>{1, 5, 3}));
  EXPECT_FALSE(r.malformed());
  // The 8-byte ICMPv6 header; a cut ND body is kept as it is (target() and the options say what
  // is missing).
  cut_everywhere(bytes_of(buf.bytes()), LT::ethernet, {LT::ethernet, LT::ipv6, LT::icmpv6}, {}, 14 + 40 + 8);
  // Cut inside the options, the header still decodes but the option walk stops, malformed.
  for (std::size_t drop : {1u, 7u, 20u}) {
    auto cut = bytes_of(buf.bytes());
    cut.resize(cut.size() - drop);
    const Packet p = Packet::decode(cut, dlt::kEn10Mb);
    ASSERT_EQ(p.error(), nullptr);
    OptionReader rr = p.layer<Icmpv6>()->nd_option_reader();
    std::size_t n = 0;
    for (Option o; rr.next(o);) ++n;
    EXPECT_LT(n, 3u);
    EXPECT_TRUE(rr.malformed()) << "dropped " << drop;
  }
}

TEST(LayersMalformedCrafted, RawIpWithTheWrongVersionOrCutShort) {
  Udp udp;
  udp.src_port = udp.dst_port = 9;
  SerializeBuffer buf;
  serialize_layers(buf, kFix, ipv4(17), udp);
  auto v4bytes = bytes_of(buf.bytes());
  // No bytes at all: no version nibble to choose by.
  EXPECT_EQ(failure({}, LT::raw_ip), "RawIP at 0: raw IP: version nibble is neither 4 nor 6");
  EXPECT_TRUE(cut_everywhere(v4bytes, LT::raw_ip, {LT::ipv4, LT::udp}, {0}).contains("truncated header: needs 20 bytes"));
  Ipv6 ip6;
  ip6.next_header = 17;
  serialize_layers(buf, kFix, ip6, udp);
  auto v6bytes = bytes_of(buf.bytes());
  EXPECT_TRUE(cut_everywhere(v6bytes, LT::raw_ip, {LT::ipv6, LT::udp}, {0}).contains("truncated header: needs 40 bytes"));
  // Raw IP picks the header by its version nibble; an IPv6 EtherType with an IPv4 header fails.
  v4bytes[0] = std::byte{0x55};
  EXPECT_NE(failure(v4bytes, LT::raw_ip), "ok");
  auto wrong = bytes_of(std::span<const std::byte>(v6bytes));
  wrong[0] = std::byte{0x45};
  EXPECT_EQ(failure(wrong, LT::ipv6), "IPv6 at 0: version is not 6");
  // UDP length beyond IPv6's payload length: a short capture, not an error; below 8: an error.
  auto shortlen = v6bytes;
  shortlen[40 + 5] = std::byte{4};
  EXPECT_EQ(failure(shortlen, LT::raw_ip), "UDP at 44: length is below 8");
}

TEST(LayersMalformedCrafted, VxlanNtpPppoeAndLoopbackCutShort) {
  // VXLAN carrying Ethernet/IPv4/UDP.
  Udp outer;
  outer.src_port = 49152;
  outer.dst_port = 4789;
  Vxlan vx;
  vx.vni = 42;
  Udp inner;
  inner.src_port = inner.dst_port = 9;
  SerializeBuffer buf;
  serialize_layers(buf, kFix, ether(0x0800), ipv4(17), outer, vx, ether(0x0800), ipv4(17), inner);
  cut_everywhere(bytes_of(buf.bytes()), LT::ethernet,
                 {LT::ethernet, LT::ipv4, LT::udp, LT::vxlan, LT::ethernet, LT::ipv4, LT::udp});
  // NTP client request.
  Udp ntp_udp;
  ntp_udp.src_port = ntp_udp.dst_port = 123;
  Ntp ntp;
  ntp.mode = 3;
  ntp.version = 4;
  serialize_layers(buf, kFix, ether(0x0800), ipv4(17), ntp_udp, ntp);
  EXPECT_TRUE(cut_everywhere(bytes_of(buf.bytes()), LT::ethernet, {LT::ethernet, LT::ipv4, LT::udp, LT::ntp})
                  .contains("truncated header: needs 48 bytes"));
  // PPPoE session, PPP, IPv4.
  Pppoe session;
  session.session_id = 1;
  Ppp ppp;
  serialize_layers(buf, kFix, ether(0x8864), session, ppp, ipv4(17), inner);
  const auto reasons = cut_everywhere(bytes_of(buf.bytes()), LT::ethernet,
                                      {LT::ethernet, LT::pppoe, LT::ppp, LT::ipv4, LT::udp});
  EXPECT_TRUE(reasons.contains("truncated header: needs 6 bytes"));
  // NULL/LOOP 4-byte family, IPv4 (family 2, host order).
  Loopback lo;
  lo.family = 2;
  serialize_layers(buf, kFix, lo, ipv4(17), inner);
  EXPECT_TRUE(cut_everywhere(bytes_of(buf.bytes()), LT::loopback, {LT::loopback, LT::ipv4, LT::udp})
                  .contains("truncated header: needs 4 bytes"));
}

}  // namespace
}  // namespace pcapxx::layers
