// Editing decoded packets of the shared captures with LayerList: inserting and removing whole
// layers (VLAN tags, MPLS, IPv6 extension headers), labels inside an MPLS stack, swapping the
// payload; each result is checked byte for byte or decoded back.
#include <gtest/gtest.h>

#include <filesystem>

#include "pcapxx/decode.hpp"
#include "pcapxx/layers/layer_list.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::layers {
namespace {

std::vector<std::byte> nth_packet(const char* rel, std::size_t n = 0) {
  auto reader = SavefileReader::open((std::filesystem::path(PCAPXX_SHARED_CAPTURES) / rel).string());
  EXPECT_TRUE(reader.has_value()) << rel;
  if (!reader.has_value()) return {};
  for (std::size_t i = 0;; ++i) {
    auto v = (*reader)->next();
    EXPECT_TRUE(v.has_value() && *v != nullptr) << rel << " has no packet " << n;
    if (!v.has_value() || *v == nullptr) return {};
    if (i == n) return {(*v)->data.begin(), (*v)->data.end()};
  }
}

std::vector<LayerType> types_of(const Packet& p) {
  std::vector<LayerType> out;
  for (const Layer& l : p.layers()) out.push_back(l.type());
  return out;
}

std::vector<std::byte> concat(std::initializer_list<std::span<const std::byte>> parts) {
  std::vector<std::byte> out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

constexpr SerializeOptions kFix{.fix_lengths = true, .compute_checksums = true};

TEST(LayersEdit, UnchangedListSerializesToThePacketBytes) {
  SerializeBuffer buf;
  for (const char* f : {"ppp/VlanPackets.pcap", "ppp/MplsPackets.pcap", "ppp/ipv6_options.pcap", "ppp/Dns.pcap"}) {
    const auto bytes = nth_packet(f);
    const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb, {.lazy = true});
    const LayerList list(pkt);
    EXPECT_EQ(list.size(), pkt.layers().size()) << f;
    list.serialize(buf);
    EXPECT_TRUE(std::ranges::equal(buf.bytes(), bytes)) << f;
  }
  // A truncated packet keeps its failed bytes as the tail.
  auto cut = nth_packet("ppp/TcpPacketWithOptions.pcap");
  cut.resize(40);
  const Packet bad = Packet::decode(cut, dlt::kEn10Mb);
  ASSERT_NE(bad.error(), nullptr);
  const LayerList list(bad);
  EXPECT_EQ(list.tail().size(), 40u - 34u);
  list.serialize(buf);
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), cut));
}

TEST(LayersEdit, RemovingAndReinsertingTheOuterTagOfQinQ) {
  // VlanPackets.pcap: Ethernet, tag 118, tag 10, IPv4, ICMP (tshark: vlan.id 118,10).
  const auto bytes = nth_packet("ppp/VlanPackets.pcap");
  const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb);
  LayerList list(pkt);
  ASSERT_EQ(list[1].as<Dot1Q>()->vlan_id, 118);
  const Layer outer = list[1];
  ASSERT_TRUE(list.remove(1).has_value());
  SerializeBuffer buf;
  list.serialize(buf);
  // The MAC addresses, then everything after the outer tag's TCI (its EtherType names tag 10).
  const std::span<const std::byte> b(bytes);
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), concat({b.first(12), b.subspan(16)})));
  const Packet once = Packet::decode(buf.bytes(), dlt::kEn10Mb);
  ASSERT_EQ(once.error(), nullptr);
  EXPECT_EQ(types_of(once), (std::vector{LayerType::ethernet, LayerType::dot1q, LayerType::ipv4, LayerType::icmpv4,
                                         LayerType::payload}));
  EXPECT_EQ(once.layer<Dot1Q>()->vlan_id, 10);

  // Inserting it back gives the original frame; the fix-ups change nothing on a correct frame.
  ASSERT_TRUE(list.insert(1, outer.value).has_value());
  list.serialize(buf);
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), bytes));
  list.serialize(buf, kFix);
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), bytes));

  // Both tags gone: Ethernet names IPv4 again.
  ASSERT_TRUE(list.remove<Dot1Q>().has_value());
  ASSERT_TRUE(list.remove<Dot1Q>().has_value());
  EXPECT_EQ(list.layer<Ethernet>()->ethertype, 0x0800);
  list.serialize(buf, kFix);
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), concat({b.first(12), b.subspan(20)})));
  EXPECT_FALSE(list.remove<Dot1Q>().has_value());
  EXPECT_EQ(list.remove<Dot1Q>().error().message, "layer list: no Dot1Q layer");
}

TEST(LayersEdit, InsertingATagAfterEthernetLinksBothEtherTypes) {
  const auto bytes = nth_packet("ppp/TcpPacketWithOptions.pcap");
  const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb);
  LayerList list(pkt);
  Dot1Q tag;
  tag.vlan_id = 42;
  tag.priority = 3;
  ASSERT_TRUE(list.insert_after<Ethernet>(tag).has_value());
  EXPECT_EQ(list.layer<Ethernet>()->ethertype, 0x8100);
  EXPECT_EQ(list.layer<Dot1Q>()->ethertype, 0x0800);
  SerializeBuffer buf;
  list.serialize(buf);
  const std::span<const std::byte> b(bytes);
  const std::byte kTag[] = {std::byte{0x81}, std::byte{0x00}, std::byte{0x60}, std::byte{42}};
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), concat({b.first(12), kTag, b.subspan(12)})));

  // A second tag in front of the first: QinQ, the outer TPID stays, the new tag names the old.
  Dot1Q outer;
  outer.vlan_id = 7;
  ASSERT_TRUE(list.insert(1, outer).has_value());
  EXPECT_EQ(list[0].as<Ethernet>()->ethertype, 0x8100);
  EXPECT_EQ(list[1].as<Dot1Q>()->ethertype, 0x8100);
  EXPECT_EQ(list[2].as<Dot1Q>()->ethertype, 0x0800);
  list.serialize(buf, kFix);
  const Packet again = Packet::decode(buf.bytes(), dlt::kEn10Mb);
  ASSERT_EQ(again.error(), nullptr);
  EXPECT_EQ(again.layers()[1].as<Dot1Q>()->vlan_id, 7);
  EXPECT_EQ(again.layers()[2].as<Dot1Q>()->vlan_id, 42);
  EXPECT_TRUE(std::ranges::equal(again.layer<Tcp>()->payload, pkt.layer<Tcp>()->payload));
  EXPECT_TRUE(again.layer<Ipv4>()->checksum_ok());
}

TEST(LayersEdit, ATagInFrontOfAnUnknownEtherTypeCarriesIt) {
  // An LLDP-like frame: Ethernet 0x88cc and bytes no decoder claims.
  Ethernet eth;
  eth.ethertype = 0x88cc;
  const std::byte kBody[] = {std::byte{0x02}, std::byte{0x07}, std::byte{0x04}, std::byte{1}, std::byte{2}};
  Payload body;
  body.contents = kBody;
  LayerList list;
  ASSERT_TRUE(list.push_back(eth).has_value());
  ASSERT_TRUE(list.push_back(body).has_value());
  EXPECT_EQ(list.layer<Ethernet>()->ethertype, 0x88cc);  // Payload has no EtherType: kept
  Dot1Q tag;
  tag.vlan_id = 5;
  ASSERT_TRUE(list.insert(1, tag).has_value());
  EXPECT_EQ(list.layer<Ethernet>()->ethertype, 0x8100);
  EXPECT_EQ(list.layer<Dot1Q>()->ethertype, 0x88cc);
  ASSERT_TRUE(list.remove(1).has_value());
  EXPECT_EQ(list.layer<Ethernet>()->ethertype, 0x88cc);
}

TEST(LayersEdit, MplsLayerAndLabelsInsertedAndRemoved) {
  const auto bytes = nth_packet("ppp/TcpPacketWithOptions.pcap");
  const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb);
  LayerList list(pkt);
  Mpls mpls;
  ASSERT_TRUE(mpls.push({.label = 1000, .tc = 0, .bottom = true, .ttl = 64}));
  ASSERT_TRUE(list.insert_after<Ethernet>(mpls).has_value());
  EXPECT_EQ(list.layer<Ethernet>()->ethertype, 0x8847);
  // Push an outer label on the stack: the S bit moves to the last entry only.
  ASSERT_TRUE(list.layer<Mpls>()->insert(0, {.label = 16, .tc = 5, .bottom = true, .ttl = 255}));
  EXPECT_FALSE(list.layer<Mpls>()->entry(0).bottom);
  EXPECT_TRUE(list.layer<Mpls>()->entry(1).bottom);
  SerializeBuffer buf;
  list.serialize(buf, kFix);
  const std::span<const std::byte> b(bytes);
  const std::byte kLabels[] = {std::byte{0x00}, std::byte{0x01}, std::byte{0x0a}, std::byte{0xff},   // 16, tc 5
                               std::byte{0x00}, std::byte{0x3e}, std::byte{0x81}, std::byte{0x40}};  // 1000, S
  const std::byte kType[] = {std::byte{0x88}, std::byte{0x47}};
  // The sample's TCP checksum is wrong (offload); compare up to the TCP checksum.
  const auto out = buf.bytes();
  ASSERT_EQ(out.size(), bytes.size() + 8);
  EXPECT_TRUE(std::ranges::equal(out.first(14 + 8 + 20 + 16),
                                 concat({b.first(12), kType, kLabels, b.subspan(14, 20 + 16)})));
  const Packet again = Packet::decode(out, dlt::kEn10Mb);
  ASSERT_EQ(again.error(), nullptr);
  ASSERT_NE(again.layer<Mpls>(), nullptr);
  EXPECT_EQ(again.layer<Mpls>()->label_count(), 2u);
  EXPECT_EQ(again.layer<Mpls>()->entry(0).label, 16u);
  EXPECT_EQ(again.layer<Mpls>()->entry(1).label, 1000u);
  ASSERT_NE(again.layer<Tcp>(), nullptr);

  // Pop the outer label, then remove the stack: Ethernet names IPv4 again.
  ASSERT_TRUE(list.layer<Mpls>()->erase(0));
  EXPECT_TRUE(list.layer<Mpls>()->entry(0).bottom);
  EXPECT_EQ(list.layer<Mpls>()->entry(0).label, 1000u);
  EXPECT_FALSE(list.layer<Mpls>()->erase(0));  // the last entry: remove the layer instead
  ASSERT_TRUE(list.remove<Mpls>().has_value());
  EXPECT_EQ(list.layer<Ethernet>()->ethertype, 0x0800);
  list.serialize(buf);
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), bytes));
}

TEST(LayersEdit, MplsStackOfARealPacketLosesItsLabels) {
  // MplsPackets.pcap packet 1: Ethernet, two VLAN tags, one MPLS label, IPv4, TCP.
  const auto bytes = nth_packet("ppp/MplsPackets.pcap");
  const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb);
  LayerList list(pkt);
  const auto i = list.index_of(LayerType::mpls);
  ASSERT_TRUE(i.has_value());
  ASSERT_EQ(*i, 3u);
  ASSERT_TRUE(list.remove(*i).has_value());
  EXPECT_EQ(list[2].as<Dot1Q>()->ethertype, 0x0800);
  SerializeBuffer buf;
  list.serialize(buf);
  const std::span<const std::byte> b(bytes);
  const std::byte kIpv4[] = {std::byte{0x08}, std::byte{0x00}};
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), concat({b.first(20), kIpv4, b.subspan(26)})));
}

TEST(LayersEdit, Ipv6FragmentAndDestinationHeadersInsertedAndRemoved) {
  // IPv6UdpPacket.pcap: Ethernet, IPv6 (next header 17), UDP (SSDP).
  const auto bytes = nth_packet("ppp/IPv6UdpPacket.pcap");
  const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb);
  LayerList list(pkt);
  Ipv6Fragment frag;
  frag.identification = 0xdeadbeef;  // an atomic fragment (RFC 8200 4.5: offset 0, M 0)
  ASSERT_TRUE(list.insert_after<Ipv6>(frag).has_value());
  Ipv6Destination dst;
  const std::byte kPadN[] = {std::byte{1}, std::byte{4}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
  dst.options = kPadN;
  ASSERT_TRUE(list.insert_before<Udp>(dst).has_value());
  EXPECT_EQ(list.layer<Ipv6>()->next_header, 44);
  EXPECT_EQ(list.layer<Ipv6Fragment>()->next_header, 60);
  EXPECT_EQ(list.layer<Ipv6Destination>()->next_header, 17);
  SerializeBuffer buf;
  list.serialize(buf, kFix);
  const Packet again = Packet::decode(buf.bytes(), dlt::kEn10Mb);
  ASSERT_EQ(again.error(), nullptr);
  EXPECT_EQ(types_of(again), (std::vector{LayerType::ethernet, LayerType::ipv6, LayerType::ipv6_fragment,
                                          LayerType::ipv6_destination, LayerType::udp, LayerType::payload}));
  EXPECT_EQ(again.layer<Ipv6>()->payload_length, pkt.layer<Ipv6>()->payload_length + 16);
  EXPECT_EQ(again.layer<Ipv6Fragment>()->identification, 0xdeadbeefu);
  EXPECT_EQ(again.layer<Udp>()->checksum, pkt.layer<Udp>()->checksum);  // same pseudo-header, same data

  // Removed again, in the other order: the original bytes.
  ASSERT_TRUE(list.remove<Ipv6Fragment>().has_value());
  EXPECT_EQ(list.layer<Ipv6>()->next_header, 60);
  ASSERT_TRUE(list.remove<Ipv6Destination>().has_value());
  EXPECT_EQ(list.layer<Ipv6>()->next_header, 17);
  list.serialize(buf, kFix);
  EXPECT_TRUE(std::ranges::equal(buf.bytes(), bytes));
}

TEST(LayersEdit, RemovingARealRoutingHeaderRelinksIpv6) {
  // ipv6_options.pcap packet 2: Ethernet, IPv6, routing header, ICMPv6.
  const auto bytes = nth_packet("ppp/ipv6_options.pcap", 1);
  const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb);
  ASSERT_NE(pkt.layer<Ipv6Routing>(), nullptr);
  LayerList list(pkt);
  const std::size_t routing_length = pkt.layer<Ipv6Routing>()->contents.size();
  ASSERT_TRUE(list.remove<Ipv6Routing>().has_value());
  EXPECT_EQ(list.layer<Ipv6>()->next_header, 58);
  SerializeBuffer buf;
  list.serialize(buf, {.fix_lengths = true});
  const Packet again = Packet::decode(buf.bytes(), dlt::kEn10Mb);
  ASSERT_EQ(again.error(), nullptr);
  EXPECT_EQ(types_of(again), (std::vector{LayerType::ethernet, LayerType::ipv6, LayerType::icmpv6}));
  EXPECT_EQ(again.layer<Ipv6>()->payload_length, pkt.layer<Ipv6>()->payload_length - routing_length);
  EXPECT_TRUE(std::ranges::equal(again.layer<Icmpv6>()->contents, pkt.layer<Icmpv6>()->contents));
}

TEST(LayersEdit, SwappingTheDnsMessageForOtherBytes) {
  const auto bytes = nth_packet("ppp/Dns.pcap");
  const Packet pkt = Packet::decode(bytes, dlt::kEn10Mb);
  ASSERT_NE(pkt.layer<Dns>(), nullptr);
  LayerList list(pkt);
  const std::string_view text = "not dns any more";
  list.set_payload(std::as_bytes(std::span(text)));
  ASSERT_EQ(list.size(), 4u);  // Ethernet, IPv4, UDP, Payload
  EXPECT_EQ(list[3].type(), LayerType::payload);
  SerializeBuffer buf;
  list.serialize(buf, kFix);
  // Decoding sees port 53 and tries DNS; read the UDP layer instead.
  const Packet again = Packet::decode(buf.bytes(), dlt::kEn10Mb);
  ASSERT_NE(again.layer<Udp>(), nullptr);
  EXPECT_EQ(again.layer<Udp>()->length, 8 + text.size());
  EXPECT_EQ(again.layer<Ipv4>()->total_length, 20 + 8 + text.size());
  EXPECT_TRUE(again.layer<Ipv4>()->checksum_ok());
  EXPECT_TRUE(std::ranges::equal(again.layer<Udp>()->payload, std::as_bytes(std::span(text))));
  // An empty payload removes it.
  list.set_payload({});
  EXPECT_EQ(list.size(), 3u);
  list.serialize(buf, kFix);
  EXPECT_EQ(buf.size(), 14u + 20 + 8);
}

TEST(LayersEdit, BadEditsAreErrorsThatSayWhy) {
  LayerList list;
  auto r = list.remove(0);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "layer list: remove 0: there are 0 layers");
  r = list.insert(1, Ethernet{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "layer list: insert at 1: past the end of 0 layers");
  r = list.insert(0, AnyLayer{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "layer list: insert at 0: the layer is empty");
  r = list.insert_after<Ipv4>(Tcp{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "layer list: no IPv4 layer");
  for (std::size_t i = 0; i < LayerList::kMaxLayers; ++i) ASSERT_TRUE(list.push_back(Dot1Q{}).has_value());
  r = list.push_back(Dot1Q{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "layer list: insert at 24: the list is full (24 layers)");
}

}  // namespace
}  // namespace pcapxx::layers
