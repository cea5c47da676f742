// FlowClassifier on real frame bytes: Ethernet with 802.1Q, IPv6 with an extension header,
// fragments, frames without IP, and a shared capture read end to end.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "pcapxx/flow_table.hpp"
#include "pcapxx/layers/tcp.hpp"
#include "pcapxx/savefile.hpp"

namespace {

using pcapxx::FlowClassifier;
using pcapxx::FlowPacket;
using pcapxx::PacketView;

std::vector<std::byte> hex(const char* text) {
  std::vector<std::byte> out;
  for (const char* p = text; *p != '\0';) {
    if (*p == ' ') {
      ++p;
      continue;
    }
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.push_back(static_cast<std::byte>(nib(p[0]) << 4 | nib(p[1])));
    p += 2;
  }
  return out;
}

PacketView view(const std::vector<std::byte>& bytes, std::uint32_t origlen = 0) {
  PacketView v;
  v.data = bytes;
  v.header.caplen = static_cast<std::uint32_t>(bytes.size());
  v.header.origlen = origlen != 0 ? origlen : v.header.caplen;
  v.header.ts = pcapxx::Timestamp{42};
  v.header.interface = 2;
  return v;
}

// Ethernet, 802.1Q VLAN 100, IPv4 10.1.2.3 -> 192.168.0.9, TCP 51000 -> 443 SYN seq 0x01020304.
const char* kVlanTcp =
    "001122334455 66778899aabb 8100 0064 0800"
    "4500 0028 1234 4000 4006 0000 0a010203 c0a80009"
    "c738 01bb 01020304 00000000 5002 ffff 0000 0000";

// Ethernet, IPv6 2001:db8::1 -> 2001:db8::2, hop-by-hop (PadN), UDP 5000 -> 53.
const char* kV6HopUdp =
    "001122334455 66778899aabb 86dd"
    "60000000 0010 00 40 20010db8000000000000000000000001 20010db8000000000000000000000002"
    "11 00 0104 00000000"
    "1388 0035 0008 0000";

// IPv4 fragment at offset 8 of a UDP datagram: no ports.
const char* kFragment =
    "001122334455 66778899aabb 0800"
    "4500 001c 4321 0001 4011 0000 0a000001 0a000002"
    "0102030405060708";

// IPv6 2001:db8::1 -> 2001:db8::2 with a type 0 routing header, one segment left, final
// destination 2001:db8::3; UDP 5000 -> 53.
const char* kV6RoutingUdp =
    "001122334455 66778899aabb 86dd"
    "60000000 0020 2b 40 20010db8000000000000000000000001 20010db8000000000000000000000002"
    "11 02 00 01 00000000 20010db8000000000000000000000003"
    "1388 0035 0008 0000";

const char* kArp =
    "ffffffffffff 66778899aabb 0806"
    "0001 0800 06 04 0001 66778899aabb 0a000001 000000000000 0a000002";

TEST(FlowClassifier, VlanIpv4Tcp) {
  FlowClassifier c;
  auto bytes = hex(kVlanTcp);
  FlowPacket p;
  ASSERT_TRUE(c.classify(view(bytes, 1514), pcapxx::dlt::kEn10Mb, p));
  EXPECT_EQ(p.key.to_string(), "proto 6 10.1.2.3:51000 -> 192.168.0.9:443");
  EXPECT_EQ(p.vlan, 100);
  EXPECT_EQ(p.interface, 2u);
  EXPECT_EQ(p.bytes, 1514u);
  EXPECT_EQ(p.ts.ns, 42);
  EXPECT_TRUE(p.has_ports);
  EXPECT_EQ(p.tcp_flags, pcapxx::layers::Tcp::kSyn);
  EXPECT_EQ(p.tcp_seq, 0x01020304u);
}

TEST(FlowClassifier, Ipv6ExtensionHeaderThenUdp) {
  FlowClassifier c;
  auto bytes = hex(kV6HopUdp);
  FlowPacket p;
  ASSERT_TRUE(c.classify(view(bytes), pcapxx::dlt::kEn10Mb, p));
  EXPECT_EQ(p.key.to_string(), "proto 17 [2001:db8::1]:5000 -> [2001:db8::2]:53");
  EXPECT_EQ(p.vlan, 0);
  EXPECT_TRUE(p.has_ports);
}

TEST(FlowClassifier, RoutingHeaderKeysByFinalDestination) {
  FlowClassifier c;
  auto bytes = hex(kV6RoutingUdp);
  FlowPacket p;
  ASSERT_TRUE(c.classify(view(bytes), pcapxx::dlt::kEn10Mb, p));
  EXPECT_EQ(p.key.to_string(), "proto 17 [2001:db8::1]:5000 -> [2001:db8::3]:53");
  // With no segment left the destination is already the final one.
  bytes[14 + 40 + 3] = std::byte{0};
  ASSERT_TRUE(c.classify(view(bytes), pcapxx::dlt::kEn10Mb, p));
  EXPECT_EQ(p.key.to_string(), "proto 17 [2001:db8::1]:5000 -> [2001:db8::2]:53");
}

TEST(FlowClassifier, LaterFragmentHasNoPorts) {
  FlowClassifier c;
  auto bytes = hex(kFragment);
  FlowPacket p;
  ASSERT_TRUE(c.classify(view(bytes), pcapxx::dlt::kEn10Mb, p));
  EXPECT_FALSE(p.has_ports);
  EXPECT_EQ(p.key.protocol, 17);
  EXPECT_EQ(p.key.src_port, 0);
}

TEST(FlowClassifier, NoIpNoFlow) {
  FlowClassifier c;
  auto arp = hex(kArp);
  FlowPacket p;
  EXPECT_FALSE(c.classify(view(arp), pcapxx::dlt::kEn10Mb, p));
  auto tcp = hex(kVlanTcp);
  EXPECT_FALSE(c.classify(view(tcp), pcapxx::LinkType{147}, p));  // a user DLT: no decoder
  // Cut inside the IPv4 header: nothing to key on.
  std::vector<std::byte> cut(tcp.begin(), tcp.begin() + 30);
  EXPECT_FALSE(c.classify(view(cut), pcapxx::dlt::kEn10Mb, p));
  // Cut inside the TCP header: keyed by addresses, without ports.
  std::vector<std::byte> cut_tcp(tcp.begin(), tcp.begin() + 18 + 20 + 8);
  ASSERT_TRUE(c.classify(view(cut_tcp), pcapxx::dlt::kEn10Mb, p));
  EXPECT_FALSE(p.has_ports);
  EXPECT_EQ(p.key.protocol, 6);
}

// A loopback (DLT_NULL) capture from the shared set through classifier and table. tshark -q
// -z conv,tcp on it (run when the test was written): [::1]:58799 <-> [::1]:8080 with 9 frames
// client to server and 11 back, [::1]:58806 <-> [::1]:8080 with 2 and 2.
TEST(FlowClassifier, SharedLoopbackCapture) {
  auto reader = pcapxx::SavefileReader::open(PCAPXX_SHARED_CAPTURES "/gopacket/pcap_test_loopback.pcap");
  ASSERT_TRUE(reader) << reader.error().what();
  FlowClassifier c;
  pcapxx::FlowTable table;
  std::uint64_t n = 0;
  for (const PacketView& v : **reader) {
    FlowPacket p;
    ASSERT_TRUE(c.classify(v, (*reader)->link_type(), p)) << "packet " << n;
    table.add(p);
    ++n;
  }
  EXPECT_EQ(n, 24u);
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> seen;
  table.for_each([&](const pcapxx::FlowRecord& r) {
    EXPECT_TRUE(r.has_ports);
    seen[r.key.to_string()] = {r.dir[0].packets, r.dir[1].packets};
  });
  using P = std::pair<std::uint64_t, std::uint64_t>;
  std::map<std::string, P> want{{"proto 6 [::1]:58799 -> [::1]:8080", P{9, 11}},
                                {"proto 6 [::1]:58806 -> [::1]:8080", P{2, 2}}};
  EXPECT_EQ(seen, want);
}

}  // namespace
