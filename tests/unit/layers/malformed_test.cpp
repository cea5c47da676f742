// Truncated and malformed packets: every layer ends in an error layer that names the layer,
// the offset and the reason, and never reads outside the bytes (run under ASan in the sanitizer
// build: each truncation is a fresh heap copy of exactly that length).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include <fmt/format.h>

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

// Truncates the packet at every length and checks which layer fails, and where.
struct Expect {
  std::size_t from, to;  // truncation lengths [from, to)
  LayerType layer;       // the layer that must fail
  std::uint32_t offset;  // at this offset
};

void truncate_everywhere(const char* rel, std::initializer_list<Expect> expects) {
  LinkType link;
  const auto bytes = first_packet(rel, link);
  ASSERT_FALSE(bytes.empty());
  for (const Expect& e : expects) {
    for (std::size_t n = e.from; n < e.to; ++n) {
      auto cut = std::make_unique<std::byte[]>(n == 0 ? 1 : n);
      std::copy_n(bytes.begin(), n, cut.get());
      const Packet pkt = Packet::decode(std::span<const std::byte>(cut.get(), n), link);
      const DecodeFailure* f = pkt.error();
      ASSERT_NE(f, nullptr) << rel << " cut at " << n;
      EXPECT_EQ(f->layer, e.layer) << rel << " cut at " << n << ": " << f->message();
      EXPECT_EQ(f->offset, e.offset) << rel << " cut at " << n << ": " << f->message();
      // remaining runs from the failed layer's start to the end of the bytes.
      EXPECT_EQ(f->remaining.data() + f->remaining.size(), cut.get() + n);
      EXPECT_GE(f->remaining.size(), n - e.offset);
      EXPECT_FALSE(f->reason.empty());
    }
  }
}

TEST(LayersMalformed, TruncatedEthernetIpv4TcpWithOptions) {
  // 14 Ethernet + 20 IPv4 + TCP with options (data offset 8: 32 bytes).
  truncate_everywhere("ppp/TcpPacketWithOptions.pcap", {{0, 14, LayerType::ethernet, 0},
                                                        {14, 34, LayerType::ipv4, 14},
                                                        {34, 54, LayerType::tcp, 34},
                                                        {54, 66, LayerType::tcp, 54}});
}

TEST(LayersMalformed, TruncatedStackedVlanArp) {
  // Ethernet, two VLAN tags, ARP (8 fixed bytes, then 2 x (6 + 4) address bytes).
  truncate_everywhere("ppp/ArpRequestWithVlan.pcap", {{14, 18, LayerType::dot1q, 14},
                                                      {18, 22, LayerType::dot1q, 18},
                                                      {22, 30, LayerType::arp, 22},
                                                      {30, 50, LayerType::arp, 30}});
}

TEST(LayersMalformed, TruncatedIpv6Udp) {
  truncate_everywhere("ppp/IPv6UdpPacket.pcap", {{14, 54, LayerType::ipv6, 14}, {54, 62, LayerType::udp, 54}});
}

TEST(LayersMalformed, TruncatedLinuxCookedHeaders) {
  truncate_everywhere("ppp/SllPacket.pcap", {{0, 16, LayerType::linux_sll, 0}});
  truncate_everywhere("ppp/Sll2Packet.pcap", {{0, 20, LayerType::linux_sll2, 0}});
  truncate_everywhere("ppp/null_loopback.pcap", {{0, 4, LayerType::loopback, 0}, {4, 44, LayerType::ipv6, 4}});
}

TEST(LayersMalformed, BadHeaderLengthFields) {
  LinkType link;
  auto bytes = first_packet("ppp/TcpPacketWithOptions.pcap", link);
  ASSERT_GT(bytes.size(), 54u);
  {
    auto b = bytes;
    b[14] = std::byte{0x44};  // IHL 4
    const Packet pkt = Packet::decode(b, link);
    ASSERT_NE(pkt.error(), nullptr);
    EXPECT_EQ(pkt.error()->layer, LayerType::ipv4);
    EXPECT_EQ(pkt.error()->offset, 14u);
    EXPECT_EQ(pkt.error()->message(), fmt::format("IPv4 at offset 14: header length field is below 5 (20 bytes) ({} bytes left)", b.size() - 14));
    EXPECT_EQ(pkt.layers().size(), 1u);  // Ethernet decoded, then the error layer
  }
  {
    auto b = bytes;
    b[14] = std::byte{0x65};  // version 6 in an IPv4 EtherType
    const Packet pkt = Packet::decode(b, link);
    ASSERT_NE(pkt.error(), nullptr);
    EXPECT_EQ(pkt.error()->reason, "version is not 4");
  }
  {
    auto b = bytes;
    b[14 + 20 + 12] = std::byte{0x30};  // TCP data offset 3
    const Packet pkt = Packet::decode(b, link);
    ASSERT_NE(pkt.error(), nullptr);
    EXPECT_EQ(pkt.error()->layer, LayerType::tcp);
    EXPECT_EQ(pkt.error()->offset, 14u + 20 + 12);
    EXPECT_EQ(pkt.layers().size(), 2u);
  }
  {
    auto b = bytes;
    b[14 + 2] = std::byte{0};
    b[14 + 3] = std::byte{12};  // total length 12 < header length
    const Packet pkt = Packet::decode(b, link);
    ASSERT_NE(pkt.error(), nullptr);
    EXPECT_EQ(pkt.error()->offset, 16u);
  }
}

TEST(LayersMalformed, UdpLengthBelowHeader) {
  LinkType link;
  auto b = first_packet("ppp/IPv6UdpPacket.pcap", link);
  b[54 + 4] = std::byte{0};
  b[54 + 5] = std::byte{7};
  const Packet pkt = Packet::decode(b, link);
  ASSERT_NE(pkt.error(), nullptr);
  EXPECT_EQ(pkt.error()->layer, LayerType::udp);
  EXPECT_EQ(pkt.error()->offset, 58u);
}

// Dns.pcap: a DNS response (17 answers) whose first answer's name is a pointer to the question.
class DnsCompression : public ::testing::Test {
 protected:
  void SetUp() override {
    bytes_ = first_packet("ppp/Dns.pcap", link_);
    const Packet pkt = Packet::decode(bytes_, link_);
    const Dns* dns = pkt.layer<Dns>();
    ASSERT_NE(dns, nullptr);
    dns_at_ = static_cast<std::size_t>(dns->contents.data() - pkt.data().data());
    DnsReader r(*dns);
    DnsRecord rec;
    ASSERT_TRUE(r.next_record(rec));
    record_name_ = rec.name_offset;
    ASSERT_EQ(std::to_integer<int>(bytes_[dns_at_ + record_name_]) & 0xc0, 0xc0);  // a pointer
  }
  std::vector<std::byte> bytes_;
  LinkType link_;
  std::size_t dns_at_ = 0;
  std::uint32_t record_name_ = 0;
};

TEST_F(DnsCompression, NamesDecodeThroughPointers) {
  const Packet pkt = Packet::decode(bytes_, link_);
  const Dns* dns = pkt.layer<Dns>();
  DnsReader r(*dns);
  DnsQuestion q;
  ASSERT_TRUE(r.next_question(q));
  DnsRecord rec;
  ASSERT_TRUE(r.next_record(rec));
  // tshark: dns.qry.name www.google-analytics.com; the CNAME target follows in the next answer.
  EXPECT_EQ(dns->name(q.name_offset), "www.google-analytics.com");
  EXPECT_EQ(dns->name(rec.name_offset), "www.google-analytics.com");
  EXPECT_EQ(rec.type, 5);  // CNAME
  EXPECT_EQ(dns->name(rec.rdata_offset), "www-google-analytics.l.google.com");
  std::size_t records = 1;
  while (r.next_record(rec)) ++records;
  EXPECT_EQ(dns->name(rec.name_offset), "www-google-analytics.L.google.com");  // as tshark shows it
  EXPECT_EQ(records, 17u);
}

TEST_F(DnsCompression, PointerLoopIsDetected) {
  // Point the record's name at itself.
  bytes_[dns_at_ + record_name_] = std::byte{static_cast<std::uint8_t>(0xc0 | (record_name_ >> 8))};
  bytes_[dns_at_ + record_name_ + 1] = std::byte{static_cast<std::uint8_t>(record_name_)};
  const Packet pkt = Packet::decode(bytes_, link_);
  ASSERT_NE(pkt.error(), nullptr);
  EXPECT_EQ(pkt.error()->layer, LayerType::dns);
  EXPECT_EQ(pkt.error()->reason, "compression pointer loop");
  EXPECT_EQ(pkt.error()->offset, dns_at_ + record_name_);
}

TEST_F(DnsCompression, PointerOutOfRangeIsDetected) {
  bytes_[dns_at_ + record_name_] = std::byte{0xff};
  bytes_[dns_at_ + record_name_ + 1] = std::byte{0xff};
  const Packet pkt = Packet::decode(bytes_, link_);
  ASSERT_NE(pkt.error(), nullptr);
  EXPECT_EQ(pkt.error()->reason, "compression pointer out of range");
}

TEST(LayersMalformed, DnsStackOverflowSampleEndsInADnsError) {
  // A crafted response whose names chain pointers; it must end in an error, not a crash.
  LinkType link;
  const auto b = first_packet("ppp/dns_stack_overflow.pcap", link);
  const Packet pkt = Packet::decode(b, link);
  ASSERT_NE(pkt.error(), nullptr);
  EXPECT_EQ(pkt.error()->layer, LayerType::dns) << pkt.error()->message();
  EXPECT_NE(pkt.layer<Udp>(), nullptr);
}

std::vector<std::byte> packet_at(const char* rel, std::size_t n, LinkType& link) {
  auto reader = SavefileReader::open((std::filesystem::path(PCAPXX_SHARED_CAPTURES) / rel).string());
  EXPECT_TRUE(reader.has_value()) << rel;
  if (!reader.has_value()) return {};
  link = (*reader)->link_type();
  for (std::size_t i = 0;; ++i) {
    auto v = (*reader)->next();
    EXPECT_TRUE(v.has_value() && *v != nullptr) << rel << " has no packet " << n;
    if (!v.has_value() || *v == nullptr) return {};
    if (i == n) return {(*v)->data.begin(), (*v)->data.end()};
  }
}

// Cuts packet n of a capture at every length up to `upto` bytes and checks each cut against the
// full decode: the layers wholly before the cut decode as before, and the error layer is the
// first layer whose header the cut splits, at an offset inside that header. `expect` lists the
// layer types of the full decode (so the sample is what the test believes it is).
void truncate_against_full_decode(const char* rel, std::size_t n, std::vector<LayerType> expect,
                                  std::size_t upto) {
  LinkType link;
  const auto bytes = packet_at(rel, n, link);
  ASSERT_FALSE(bytes.empty());
  const Packet full = Packet::decode(bytes, link);
  const auto layers = full.layers();
  std::vector<LayerType> types;
  for (const Layer& l : layers) types.push_back(l.type());
  ASSERT_EQ(types, expect) << rel;
  ASSERT_LE(upto, bytes.size());
  std::size_t checked = 0;
  for (std::size_t cut_at = 0; cut_at < upto; ++cut_at) {
    // The first layer whose header does not fit in the cut.
    std::size_t i = 0;
    while (i < layers.size() && layers[i].offset + layers[i].contents().size() <= cut_at) ++i;
    if (i == layers.size() || layers[i].type() == LayerType::payload) break;  // Payload takes any length
    auto cut = std::make_unique<std::byte[]>(cut_at == 0 ? 1 : cut_at);
    std::copy_n(bytes.begin(), cut_at, cut.get());
    const Packet pkt = Packet::decode(std::span<const std::byte>(cut.get(), cut_at), link);
    const DecodeFailure* f = pkt.error();
    ASSERT_NE(f, nullptr) << rel << " cut at " << cut_at;
    EXPECT_EQ(f->layer, layers[i].type()) << rel << " cut at " << cut_at << ": " << f->message();
    EXPECT_GE(f->offset, layers[i].offset) << rel << " cut at " << cut_at << ": " << f->message();
    EXPECT_LE(f->offset, cut_at) << rel << " cut at " << cut_at << ": " << f->message();
    ASSERT_EQ(pkt.layers().size(), i) << rel << " cut at " << cut_at << ": " << f->message();
    for (std::size_t k = 0; k < i; ++k) EXPECT_EQ(pkt.layers()[k].type(), layers[k].type());
    EXPECT_EQ(f->remaining.data() + f->remaining.size(), cut.get() + cut_at);
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

TEST(LayersMalformed, TruncatedIcmpv4EchoAndErrorWithItsInvokingPacket) {
  using enum LayerType;
  // Packet 1: an echo; packet 5: a destination unreachable quoting IPv4/UDP.
  truncate_against_full_decode("ppp/IcmpPackets.pcap", 0, {ethernet, ipv4, icmpv4}, 42);
  truncate_against_full_decode("ppp/IcmpPackets.pcap", 4, {ethernet, ipv4, icmpv4, ipv4, udp}, 70);
}

TEST(LayersMalformed, TruncatedIcmpv6NeighborDiscovery) {
  using enum LayerType;
  truncate_against_full_decode("ppp/IcmpV6_NeighAdvSoli.pcap", 0, {ethernet, ipv6, icmpv6}, 14 + 40 + 8);
}

TEST(LayersMalformed, NeighborDiscoveryOptionsWithBadLengthsStopTheWalk) {
  LinkType link;
  // Packet 2: a neighbor advertisement with a target link-layer address option.
  auto b = packet_at("ppp/IcmpV6_NeighAdvSoli.pcap", 1, link);
  const Packet pkt = Packet::decode(b, link);
  const Icmpv6* nd = pkt.layer<Icmpv6>();
  ASSERT_NE(nd, nullptr);
  ASSERT_TRUE(nd->is_neighbor_discovery());
  ASSERT_FALSE(nd->nd_options().empty());
  {
    OptionReader r = nd->nd_option_reader();
    Option o;
    ASSERT_TRUE(r.next(o));  // the sample's link-layer address option is well formed
    EXPECT_FALSE(r.malformed());
  }
  const auto first_option = static_cast<std::size_t>(nd->nd_options().data() - b.data());
  for (const std::uint8_t len : {0, 200}) {  // 0: no progress (RFC 4861 4.6 says drop); 200: past the end
    auto bad = b;
    bad[first_option + 1] = std::byte{len};
    const Packet p = Packet::decode(bad, link);
    ASSERT_EQ(p.error(), nullptr);  // ND options do not fail the layer: the reader says malformed
    OptionReader r = p.layer<Icmpv6>()->nd_option_reader();
    Option o;
    EXPECT_FALSE(r.next(o)) << int{len};
    EXPECT_TRUE(r.malformed()) << int{len};
  }
  // A body too short for the target address: no target, no options, no crash.
  auto cut = std::make_unique<std::byte[]>(14 + 40 + 8 + 10);
  std::copy_n(b.begin(), 14 + 40 + 8 + 10, cut.get());
  const Packet p = Packet::decode(std::span<const std::byte>(cut.get(), 14 + 40 + 8 + 10), link);
  ASSERT_NE(p.layer<Icmpv6>(), nullptr);
  Ipv6Address target;
  EXPECT_FALSE(p.layer<Icmpv6>()->target(target));
  EXPECT_TRUE(p.layer<Icmpv6>()->nd_options().empty());
}

TEST(LayersMalformed, TruncatedIpv6ExtensionHeadersAndAh) {
  using enum LayerType;
  // Hop-by-hop, destination options, routing, AH, then OSPF (Payload).
  truncate_against_full_decode("ppp/ipv6_options.pcap", 0,
                               {ethernet, ipv6, ipv6_hop_by_hop, ipv6_destination, ipv6_routing, ipsec_ah, payload},
                               158);
  truncate_against_full_decode("ppp/ipv6_options.pcap", 1, {ethernet, ipv6, ipv6_routing, icmpv6}, 102);
}

TEST(LayersMalformed, ExtensionHeaderLengthsRunningPastThePacket) {
  LinkType link;
  const auto b = packet_at("ppp/ipv6_options.pcap", 0, link);
  const Packet pkt = Packet::decode(b, link);
  for (LayerType t : {LayerType::ipv6_hop_by_hop, LayerType::ipv6_destination, LayerType::ipv6_routing,
                      LayerType::ipsec_ah}) {
    const Layer* l = pkt.find(t);
    ASSERT_NE(l, nullptr);
    auto bad = b;
    bad[l->offset + 1] = std::byte{0xff};  // the length byte: far past the end
    const Packet p = Packet::decode(bad, link);
    ASSERT_NE(p.error(), nullptr) << layer_name(t);
    EXPECT_EQ(p.error()->layer, t);
    EXPECT_EQ(p.error()->offset, l->offset + 1) << p.error()->message();
    EXPECT_NE(p.error()->reason.find("runs past"), std::string_view::npos) << p.error()->message();
  }
  // AH's length field counts 32-bit words minus 2: 0 means 8 bytes, below the fixed 12.
  const Layer* ah = pkt.find(LayerType::ipsec_ah);
  auto bad = b;
  bad[ah->offset + 1] = std::byte{0};
  const Packet p = Packet::decode(bad, link);
  ASSERT_NE(p.error(), nullptr);
  EXPECT_EQ(p.error()->reason, "payload length is below the 12-byte minimum");
}

TEST(LayersMalformed, TruncatedAhAndEspOverIpv4) {
  using enum LayerType;
  // ipsec.pcapng: Ethernet, IPv4, AH, ESP (whose encrypted rest stays in its contents).
  LinkType link;
  const auto b = packet_at("ppp/ipsec.pcapng", 0, link);
  const Packet full = Packet::decode(b, link);
  const Layer* esp = full.find(LayerType::ipsec_esp);
  ASSERT_NE(esp, nullptr);
  truncate_against_full_decode("ppp/ipsec.pcapng", 0, {ethernet, ipv4, ipsec_ah, ipsec_esp}, esp->offset + 8);
  // Cut after ESP's SPI and sequence: ESP decodes with what is there.
  const Packet p = Packet::decode(std::span(b).first(esp->offset + 8), link);
  ASSERT_EQ(p.error(), nullptr);
  EXPECT_EQ(p.layer<IpsecEsp>()->spi, full.layer<IpsecEsp>()->spi);
}

TEST(LayersMalformed, Ipv4AndTcpOptionLengthsThatDoNotFit) {
  LinkType link;
  // IgmpPackets.pcap packet 2: IPv4 with a Router Alert option (0x94 0x04 0 0), IGMP.
  auto b = packet_at("ppp/IgmpPackets.pcap", 1, link);
  const Packet pkt = Packet::decode(b, link);
  ASSERT_NE(pkt.layer<Ipv4>(), nullptr);
  ASSERT_EQ(pkt.layer<Ipv4>()->options.size(), 4u);
  for (const std::uint8_t len : {0, 1, 5, 40}) {
    auto bad = b;
    bad[14 + 20 + 1] = std::byte{len};
    const Packet p = Packet::decode(bad, link);
    ASSERT_EQ(p.error(), nullptr);  // the header length is consistent; only the option is not
    OptionReader r = p.layer<Ipv4>()->option_reader();
    Option o;
    EXPECT_FALSE(r.next(o)) << "length " << int{len};
    EXPECT_TRUE(r.malformed()) << "length " << int{len};
    EXPECT_NE(p.layer<Igmp>(), nullptr);
  }
  // TcpPacketWithOptions.pcap: TCP with 12 bytes of options (NOP, NOP, timestamps).
  b = packet_at("ppp/TcpPacketWithOptions.pcap", 0, link);
  const Packet tcp_pkt = Packet::decode(b, link);
  const Tcp* tcp = tcp_pkt.layer<Tcp>();
  ASSERT_NE(tcp, nullptr);
  ASSERT_TRUE(tcp->timestamps().has_value());
  const auto ts_at = static_cast<std::size_t>(tcp->options.data() - b.data()) + 2;  // after the NOPs
  ASSERT_EQ(std::to_integer<int>(b[ts_at]), 8);
  for (const std::uint8_t len : {0, 1, 11, 255}) {
    auto bad = b;
    bad[ts_at + 1] = std::byte{len};
    const Packet p = Packet::decode(bad, link);
    ASSERT_EQ(p.error(), nullptr);
    const Tcp* t = p.layer<Tcp>();
    EXPECT_FALSE(t->timestamps().has_value()) << "length " << int{len};
    EXPECT_FALSE(t->mss().has_value());
    Tcp::SackBlock blocks[4];
    EXPECT_EQ(t->sack_blocks(blocks), 0u);
    OptionReader r = t->option_reader();
    Option o;
    std::size_t n = 0;
    while (r.next(o)) ++n;
    EXPECT_EQ(n, 2u) << "the two NOPs, then the bad option";
    EXPECT_TRUE(r.malformed());
  }
  // A timestamps option of the right kind but the wrong length is not read as timestamps.
  auto bad = b;
  bad[ts_at + 1] = std::byte{6};
  bad[ts_at + 6] = std::byte{1};  // NOP, NOP fill the rest
  bad[ts_at + 7] = std::byte{1};
  bad[ts_at + 8] = std::byte{1};
  bad[ts_at + 9] = std::byte{1};
  const Packet p = Packet::decode(bad, link);
  ASSERT_EQ(p.error(), nullptr);
  EXPECT_FALSE(p.layer<Tcp>()->timestamps().has_value());
  EXPECT_FALSE(p.layer<Tcp>()->option_reader().malformed());
}

TEST(LayersMalformed, ArpAddressLengthsThatDoNotMatchTheBytes) {
  LinkType link;
  const auto b = packet_at("ppp/ArpRequestPacket.pcap", 0, link);
  {
    auto bad = b;
    bad[14 + 4] = std::byte{200};  // hardware length 200: 8 + 2 * 204 bytes needed
    const Packet p = Packet::decode(bad, link);
    ASSERT_NE(p.error(), nullptr);
    EXPECT_EQ(p.error()->layer, LayerType::arp);
    EXPECT_EQ(p.error()->offset, 14u + 8);
    EXPECT_EQ(p.error()->reason, "truncated addresses");
  }
  {
    auto bad = b;
    bad[14 + 5] = std::byte{16};  // protocol length 16 (IPv6-sized) in an IPv4 ARP: 52 bytes needed
    const Packet p = Packet::decode(bad, link);
    if (bad.size() < 14 + 52) {
      ASSERT_NE(p.error(), nullptr);
      EXPECT_EQ(p.error()->layer, LayerType::arp);
    } else {
      ASSERT_EQ(p.error(), nullptr);
      EXPECT_EQ(p.layer<Arp>()->sender_protocol.size(), 16u);
    }
  }
  {
    auto bad = b;
    bad[14 + 4] = std::byte{0};  // no addresses at all: 8 bytes of ARP, the rest is trailer
    bad[14 + 5] = std::byte{0};
    const Packet p = Packet::decode(bad, link);
    ASSERT_EQ(p.error(), nullptr);
    EXPECT_EQ(p.layer<Arp>()->contents.size(), 8u);
    EXPECT_TRUE(p.layer<Arp>()->sender_hardware.empty());
    SerializeBuffer buf;
    p.serialize(buf);
    EXPECT_TRUE(std::ranges::equal(buf.bytes(), bad));
  }
}

TEST(LayersMalformed, An8023LengthLongerOrShorterThanTheFrame) {
  LinkType link;
  // filter_llc.pcap packet 1: 802.3 length 47, LLC, NetBIOS.
  const auto b = packet_at("libpcap/filter_llc.pcap", 0, link);
  const Packet pkt = Packet::decode(b, link);
  ASSERT_TRUE(pkt.layer<Ethernet>()->is_802_3_length());
  ASSERT_EQ(pkt.layer<Ethernet>()->ethertype, 47);
  ASSERT_NE(pkt.layer<Llc>(), nullptr);
  SerializeBuffer buf;
  {
    auto bad = b;
    bad[12] = std::byte{0x05};  // 1500: longer than the frame, read as a short capture
    bad[13] = std::byte{0xdc};
    const Packet p = Packet::decode(bad, link);
    ASSERT_EQ(p.error(), nullptr);
    ASSERT_NE(p.layer<Llc>(), nullptr);
    EXPECT_EQ(p.layers()[0].trailer.size(), 0u);
    EXPECT_EQ(p.layer<Ethernet>()->payload.size(), b.size() - 14);
    p.serialize(buf);
    EXPECT_TRUE(std::ranges::equal(buf.bytes(), bad));
    // fix_lengths writes the length the frame really has.
    p.serialize(buf, {.fix_lengths = true});
    EXPECT_EQ(std::to_integer<std::size_t>(buf.bytes()[12]) << 8 | std::to_integer<std::size_t>(buf.bytes()[13]),
              b.size() - 14);
  }
  {
    auto bad = b;
    bad[12] = std::byte{0};  // 2: the LLC header (3 bytes) does not fit in the declared length
    bad[13] = std::byte{2};
    const Packet p = Packet::decode(bad, link);
    ASSERT_NE(p.error(), nullptr);
    EXPECT_EQ(p.error()->layer, LayerType::llc);
    EXPECT_EQ(p.error()->offset, 14u);
    p.serialize(buf);
    EXPECT_TRUE(std::ranges::equal(buf.bytes(), bad));
  }
  {
    auto bad = b;
    bad[12] = std::byte{0};  // 0: nothing after the header belongs to the frame
    bad[13] = std::byte{0};
    const Packet p = Packet::decode(bad, link);
    ASSERT_EQ(p.error(), nullptr);
    ASSERT_EQ(p.layers().size(), 1u);
    EXPECT_EQ(p.layers()[0].trailer.size(), b.size() - 14);
    p.serialize(buf);
    EXPECT_TRUE(std::ranges::equal(buf.bytes(), bad));
  }
}

}  // namespace
}  // namespace pcapxx::layers
