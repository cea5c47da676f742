// The encapsulations and control protocols added in the second part: LLC/SNAP, MPLS, PPPoE/PPP,
// IGMP, GRE, VXLAN, Geneve, SCTP, DHCP, NTP. Real packets from the shared captures are cut at
// every length inside each header (each cut a fresh heap copy, so ASan sees any overread; a cut
// right after a header leaves nothing to decode, which is no error) and
// must fail in that layer at that offset; hand-made malformed headers must fail with a reason;
// crafted packets must decode back to what was crafted and serialize to the same bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "pcapxx/decode.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::layers {
namespace {

std::vector<std::byte> first_packet(const char* rel, LinkType& link) {
  auto reader = SavefileReader::open((std::filesystem::path(PCAPXX_SHARED_CAPTURES) / rel).string());
  EXPECT_TRUE(reader.has_value()) << rel;
  if (!reader.has_value()) return {};
  link = (*reader)->link_type();
  const auto* view = *(*reader)->next();
  EXPECT_NE(view, nullptr);
  return view == nullptr ? std::vector<std::byte>{} : std::vector<std::byte>(view->data.begin(), view->data.end());
}

struct Cut {
  std::size_t from, to;  // truncation lengths [from, to)
  LayerType layer;       // the layer that must fail
  std::uint32_t offset;  // at this offset
};

void cut_everywhere(const char* rel, std::initializer_list<Cut> cuts) {
  LinkType link;
  const auto bytes = first_packet(rel, link);
  ASSERT_FALSE(bytes.empty());
  for (const Cut& c : cuts) {
    for (std::size_t n = c.from; n < c.to; ++n) {
      auto copy = std::make_unique<std::byte[]>(n == 0 ? 1 : n);
      std::copy_n(bytes.begin(), n, copy.get());
      const Packet pkt = Packet::decode(std::span<const std::byte>(copy.get(), n), link);
      const DecodeFailure* f = pkt.error();
      ASSERT_NE(f, nullptr) << rel << " cut at " << n;
      EXPECT_EQ(f->layer, c.layer) << rel << " cut at " << n << ": " << f->message();
      EXPECT_EQ(f->offset, c.offset) << rel << " cut at " << n << ": " << f->message();
      EXPECT_EQ(f->remaining.data() + f->remaining.size(), copy.get() + n);
    }
  }
}

// The whole first packet decodes without error to exactly these layer types and serializes back.
void decodes_to(const char* rel, std::initializer_list<LayerType> types) {
  LinkType link;
  const auto bytes = first_packet(rel, link);
  const Packet pkt = Packet::decode(bytes, link);
  ASSERT_EQ(pkt.error(), nullptr) << rel << ": " << pkt.error()->message();
  std::vector<LayerType> got;
  for (const Layer& l : pkt.layers()) got.push_back(l.type());
  EXPECT_EQ(got, std::vector<LayerType>(types)) << rel;
  SerializeBuffer buf;
  pkt.serialize(buf);
  EXPECT_TRUE(std::equal(buf.bytes().begin(), buf.bytes().end(), bytes.begin(), bytes.end())) << rel;
}

using LT = LayerType;

TEST(LayersTunnels, FirstPacketsDecodeToTheExpectedStacks) {
  decodes_to("ppp/MplsPackets.pcap", {LT::ethernet, LT::dot1q, LT::dot1q, LT::mpls, LT::ipv4, LT::tcp, LT::payload});
  decodes_to("ppp/PPPoESession.pcap", {LT::ethernet, LT::pppoe, LT::ppp, LT::payload});
  decodes_to("ppp/PPPoEDiscovery.pcap", {LT::ethernet, LT::pppoe});
  decodes_to("ppp/Vxlan1.pcap", {LT::ethernet, LT::ipv4, LT::udp, LT::vxlan, LT::ethernet, LT::ipv4, LT::icmpv4, LT::payload});
  decodes_to("ppp/Ntp.pcap", {LT::ethernet, LT::ipv4, LT::udp, LT::ntp});
  decodes_to("ppp/Dhcp1.pcap", {LT::ethernet, LT::ipv4, LT::udp, LT::dhcp});
  decodes_to("ppp/igmpv3.pcap", {LT::ethernet, LT::ipv4, LT::igmp});
  decodes_to("ppp/Stp.pcap", {LT::ethernet, LT::llc, LT::payload});
  decodes_to("ppp/llc_vlan.pcap", {LT::ethernet, LT::dot1q, LT::llc, LT::snap, LT::payload});
  decodes_to("libpcap/filter_geneve.pcap", {LT::ethernet, LT::ipv4, LT::udp, LT::geneve, LT::ethernet, LT::ipv4, LT::icmpv4, LT::payload});
}

TEST(LayersTunnels, TruncatedHeadersFailInTheirLayer) {
  cut_everywhere("ppp/MplsPackets.pcap", {{22, 26, LT::mpls, 22}, {27, 46, LT::ipv4, 26}});
  cut_everywhere("ppp/PPPoESession.pcap", {{14, 20, LT::pppoe, 14}, {21, 22, LT::ppp, 20}});
  cut_everywhere("ppp/PPPoEDiscovery.pcap", {{14, 20, LT::pppoe, 14}});
  cut_everywhere("ppp/Vxlan1.pcap", {{42, 50, LT::vxlan, 42}, {50, 64, LT::ethernet, 50}});
  cut_everywhere("ppp/Ntp.pcap", {{42, 90, LT::ntp, 42}});
  cut_everywhere("ppp/Dhcp1.pcap", {{42, 278, LT::dhcp, 42}});
  // IPv4 with a 4-byte router alert option, then IGMP.
  cut_everywhere("ppp/igmpv3.pcap", {{38, 46, LT::igmp, 38}});
  cut_everywhere("ppp/Stp.pcap", {{15, 17, LT::llc, 14}});
  cut_everywhere("ppp/llc_vlan.pcap", {{19, 21, LT::llc, 18}, {21, 26, LT::snap, 21}});
  cut_everywhere("libpcap/filter_geneve.pcap", {{42, 50, LT::geneve, 42}});
}

// Decodes bytes as the first layer `first` and returns the failure (or nullptr).
struct Decoded {
  Packet pkt;
  const DecodeFailure* error() const { return pkt.error(); }
};
Decoded decode_bytes(std::vector<std::uint8_t> bytes, LayerType first) {
  static std::vector<std::byte> keep;  // the packet views these bytes
  keep.assign(reinterpret_cast<const std::byte*>(bytes.data()),
              reinterpret_cast<const std::byte*>(bytes.data()) + bytes.size());
  return {Packet::decode(keep, first)};
}

TEST(LayersTunnels, MalformedHeadersFailWithAReason) {
  // Nine MPLS entries without a bottom-of-stack bit.
  std::vector<std::uint8_t> mpls;
  for (int i = 0; i < 9; ++i) mpls.insert(mpls.end(), {0x00, 0x01, 0x00, 0x40});
  auto d = decode_bytes(mpls, LT::mpls);
  ASSERT_NE(d.error(), nullptr);
  EXPECT_EQ(d.error()->offset, 32u);
  EXPECT_EQ(d.error()->reason, "label stack deeper than 8 entries");

  // GRE with C, K and S set but only the checksum word present.
  d = decode_bytes({0xb0, 0x00, 0x08, 0x00, 0x12, 0x34, 0x00, 0x00}, LT::gre);
  ASSERT_NE(d.error(), nullptr);
  EXPECT_EQ(d.error()->offset, 8u);
  EXPECT_EQ(d.error()->reason, "truncated key field");

  // SCTP with a chunk length of 2 (below the 4-byte chunk header).
  d = decode_bytes({0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2}, LT::sctp);
  ASSERT_NE(d.error(), nullptr);
  EXPECT_EQ(d.error()->offset, 12u);

  // Geneve version 1.
  d = decode_bytes({0x40, 0, 0x65, 0x58, 0, 0, 1, 0}, LT::geneve);
  ASSERT_NE(d.error(), nullptr);
  EXPECT_EQ(d.error()->reason, "version is not 0");

  // Geneve options length (2 words) beyond the bytes.
  d = decode_bytes({0x02, 0, 0x65, 0x58, 0, 0, 1, 0, 0, 1, 2, 1}, LT::geneve);
  ASSERT_NE(d.error(), nullptr);
  EXPECT_EQ(d.error()->offset, 8u);

  // IGMPv3 report announcing a group record with 3 sources but carrying one.
  d = decode_bytes({0x22, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 3, 239, 1, 1, 1, 10, 0, 0, 1}, LT::igmp);
  ASSERT_NE(d.error(), nullptr);
  EXPECT_EQ(d.error()->offset, 8u);

  // DHCP whose option 53 says 5 bytes but the message ends after 2.
  std::vector<std::uint8_t> dhcp(236, 0);
  dhcp.insert(dhcp.end(), {0x63, 0x82, 0x53, 0x63, 53, 5, 1, 2});
  d = decode_bytes(dhcp, LT::dhcp);
  ASSERT_NE(d.error(), nullptr);
  EXPECT_EQ(d.error()->offset, 240u);
  EXPECT_EQ(d.error()->reason, "option runs past the message");
}

TEST(LayersTunnels, CraftedTunnelsDecodeBackToTheirFields) {
  Ethernet outer;
  outer.ethertype = 0x0800;
  Ipv4 ip;
  ip.protocol = 47;
  ip.src.bytes = {192, 0, 2, 1};
  ip.dst.bytes = {192, 0, 2, 2};
  Gre gre;
  gre.checksum_present = gre.key_present = gre.seq_present = true;
  gre.key = 0xdeadbeef;
  gre.seq = 7;
  gre.protocol = 0x6558;
  Ethernet inner;
  inner.ethertype = 0x8847;
  Mpls mpls;
  mpls.push({100, 1, false, 64});
  mpls.push({200, 2, true, 63});
  Ipv4 ip2;
  ip2.protocol = 132;
  ip2.src.bytes = {10, 0, 0, 1};
  ip2.dst.bytes = {10, 0, 0, 2};
  Sctp sctp;
  sctp.src_port = 2905;
  sctp.dst_port = 2905;
  sctp.verification_tag = 0x01020304;
  static const std::byte chunk[] = {std::byte{4}, std::byte{0}, std::byte{0}, std::byte{8},  // HEARTBEAT
                                    std::byte{0}, std::byte{1}, std::byte{0}, std::byte{4}};
  sctp.chunks = chunk;
  SerializeBuffer buf;
  serialize_layers(buf, {.fix_lengths = true, .compute_checksums = true}, outer, ip, gre, inner, mpls, ip2, sctp);

  const Packet pkt = Packet::decode(buf.bytes(), LT::ethernet);
  ASSERT_EQ(pkt.error(), nullptr) << pkt.error()->message();
  const auto* g = pkt.layer<Gre>();
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->key, 0xdeadbeefu);
  EXPECT_EQ(g->seq, 7u);
  EXPECT_TRUE(g->checksum_ok());
  const auto* m = pkt.layer<Mpls>();
  ASSERT_NE(m, nullptr);
  ASSERT_EQ(m->label_count(), 2u);
  EXPECT_EQ(m->entry(0).label, 100u);
  EXPECT_EQ(m->entry(1).label, 200u);
  EXPECT_TRUE(m->entry(1).bottom);
  const auto* s = pkt.layer<Sctp>();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->verification_tag, 0x01020304u);
  EXPECT_TRUE(s->checksum_ok());
  SctpChunk c;
  SctpChunkReader r(s->chunks);
  ASSERT_TRUE(r.next(c));
  EXPECT_EQ(c.type, 4);
  EXPECT_EQ(c.length, 8);
  EXPECT_EQ(pkt.layers().size(), 7u);
}

}  // namespace
}  // namespace pcapxx::layers
