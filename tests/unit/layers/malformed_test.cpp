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

}  // namespace
}  // namespace pcapxx::layers
