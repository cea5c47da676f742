// Crafted and edited packets, serialized with length and checksum fix-ups, written to a pcap
// and read back by tshark (a separate process) with checksum validation on: the expected
// fields, every checksum "good", and no expert warning or error.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "common/run.hpp"
#include "pcapxx/decode.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::layers {
namespace {

using test::run;

std::span<const std::byte> bytes_of(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

Ipv4Address v4(const char* s) {
  Ipv4Address a;
  EXPECT_TRUE(Ipv4Address::parse(s, a)) << s;
  return a;
}
Ipv6Address v6(const char* s) {
  Ipv6Address a;
  EXPECT_TRUE(Ipv6Address::parse(s, a)) << s;
  return a;
}

class CraftVsTshark : public ::testing::Test {
 protected:
  void add(std::span<const std::byte> frame) { frames_.emplace_back(frame.begin(), frame.end()); }

  // Writes the frames and returns tshark's rows for the given fields.
  std::vector<std::vector<std::string>> tshark(const std::vector<std::string>& fields) {
    const auto path = std::filesystem::temp_directory_path() / fmt::format("pcapxx-craft-{}.pcap", getpid());
    InterfaceDescription ifd;
    ifd.link_type = dlt::kEn10Mb;
    ifd.snaplen = 65535;
    auto w = SavefileWriter::open(path.string(), std::span(&ifd, 1), WriterOptions{});
    EXPECT_TRUE(w.has_value());
    std::int64_t t = 1'700'000'000;
    for (const auto& f : frames_) {
      PacketView v;
      v.header.ts = Timestamp::from(t++, 0);
      v.header.caplen = v.header.origlen = static_cast<std::uint32_t>(f.size());
      v.data = f;
      EXPECT_TRUE((*w)->write(v).has_value());
    }
    EXPECT_TRUE((*w)->close().has_value());
    std::vector<std::string> args = {"tshark", "-r", path.string(), "-n", "-o", "ip.check_checksum:TRUE",
                                     "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                                     "-T", "fields", "-E", "separator=/t", "-e", "_ws.expert.severity",
                                     "-e", "_ws.expert.message", "-e", "_ws.malformed"};
    for (const auto& f : fields) {
      args.push_back("-e");
      args.push_back(f);
    }
    const auto res = run(args);
    std::filesystem::remove(path);
    EXPECT_EQ(res.status, 0) << res.err;
    std::vector<std::vector<std::string>> rows;
    for (const auto& line : test::lines(res.out)) {
      std::vector<std::string> cols;
      std::size_t start = 0;
      for (;;) {
        const auto at = line.find('\t', start);
        cols.push_back(line.substr(start, at - start));
        if (at == std::string::npos) break;
        start = at + 1;
      }
      // No expert info of severity warning (0x00600000) or error (0x00800000), nothing malformed.
      std::size_t pos = 0;
      const std::string& sev = cols[0];
      while (pos < sev.size()) {
        const auto comma = sev.find(',', pos);
        const auto v = std::stoul(sev.substr(pos, comma - pos));
        EXPECT_LT(v, 0x00600000u) << "expert info: " << cols[1];
        pos = comma == std::string::npos ? sev.size() : comma + 1;
      }
      EXPECT_TRUE(cols[2].empty()) << "malformed: " << line;
      rows.push_back(std::vector<std::string>(cols.begin() + 3, cols.end()));
    }
    return rows;
  }

  std::vector<std::vector<std::byte>> frames_;
};

TEST_F(CraftVsTshark, CraftedAndEditedPacketsHaveGoodChecksumsAndTheirFields) {
  SerializeBuffer buf;
  const SerializeOptions fix{.fix_lengths = true, .compute_checksums = true};
  Ethernet eth;
  eth.src.bytes = {0x02, 0, 0, 0, 0, 1};
  eth.dst.bytes = {0x02, 0, 0, 0, 0, 2};

  // 1. IPv4 with a Router Alert option (RFC 2113: 0x94 0x04 0 0), TCP with options, payload.
  {
    eth.ethertype = 0x0800;
    Ipv4 ip;
    ip.src = v4("192.0.2.1");
    ip.dst = v4("198.51.100.7");
    ip.protocol = 6;
    ip.id = 0x1234;
    ip.flags = Ipv4::kDontFragment;
    static const std::byte kRouterAlert[] = {std::byte{0x94}, std::byte{4}, std::byte{0}, std::byte{0}};
    ip.options = kRouterAlert;
    Tcp tcp;
    tcp.src_port = 40000;
    tcp.dst_port = 80;
    tcp.seq = 1000;
    tcp.flags = Tcp::kSyn;  // MSS and window scale belong on a SYN (tshark warns otherwise)
    tcp.window = 501;
    TcpOptionsBuilder ob;
    ob.nop().nop().timestamps(111, 222).mss(1400).window_scale(7);  // 17 bytes: padded to 20
    ASSERT_TRUE(ob.ok());
    tcp.options = ob.bytes();
    Payload data;
    data.contents = bytes_of("GET / HTTP/1.0\r\n\r\n");
    serialize_layers(buf, fix, eth, ip, tcp, data);
    add(buf.bytes());
    const std::byte* where = buf.bytes().data();
    serialize_layers(buf, fix, eth, ip, tcp, data);  // warm: same memory, no growth
    EXPECT_EQ(buf.bytes().data(), where);

    // Decode our own bytes back.
    const Packet pkt = Packet::decode(buf.bytes(), dlt::kEn10Mb);
    ASSERT_EQ(pkt.error(), nullptr);
    ASSERT_NE(pkt.layer<Ipv4>(), nullptr);
    EXPECT_TRUE(pkt.layer<Ipv4>()->checksum_ok());
    EXPECT_EQ(pkt.layer<Ipv4>()->ihl, 6);
    EXPECT_EQ(pkt.layer<Tcp>()->data_offset, 10);
    EXPECT_EQ(pkt.layer<Tcp>()->mss(), 1400);
    EXPECT_EQ(pkt.layer<Tcp>()->window_scale(), 7);
    EXPECT_EQ(pkt.layer<Tcp>()->timestamps()->echo_reply, 222u);
    EXPECT_EQ(pkt.layer<Payload>()->contents.size(), 18u);
  }
  // 2. VLAN, IPv6, hop-by-hop options (padded by fix_lengths), UDP.
  {
    eth.ethertype = 0x8100;
    Dot1Q tag;
    tag.vlan_id = 42;
    tag.priority = 5;
    tag.ethertype = 0x86dd;
    Ipv6 ip;
    ip.src = v6("2001:db8::1");
    ip.dst = v6("2001:db8:0:1::53");
    ip.next_header = 0;
    Ipv6HopByHop hbh;
    hbh.next_header = 17;
    // Router Alert (RFC 2711): type 5, length 2, value 0 (MLD); fix_lengths adds PadN.
    static const std::byte kRa[] = {std::byte{5}, std::byte{2}, std::byte{0}, std::byte{0}};
    hbh.options = kRa;
    Udp udp;
    udp.src_port = 5000;
    udp.dst_port = 6000;
    Payload data;
    data.contents = bytes_of("hello over udp, odd length");
    serialize_layers(buf, fix, eth, tag, ip, hbh, udp, data);
    add(buf.bytes());
  }
  // 3. ICMPv4 echo request; 4. ICMPv6 echo request.
  {
    eth.ethertype = 0x0800;
    Ipv4 ip;
    ip.src = v4("10.1.1.1");
    ip.dst = v4("10.1.1.2");
    ip.protocol = 1;
    Icmpv4 icmp;
    icmp.type = 8;
    icmp.rest = 0x00070001;
    Payload data;
    data.contents = bytes_of("ping!");
    serialize_layers(buf, fix, eth, ip, icmp, data);
    add(buf.bytes());

    eth.ethertype = 0x86dd;
    Ipv6 ip6;
    ip6.src = v6("fe80::1");
    ip6.dst = v6("fe80::2");
    ip6.next_header = 58;
    Icmpv6 icmp6;
    icmp6.type = 128;
    icmp6.rest = 0x00090002;
    serialize_layers(buf, fix, eth, ip6, icmp6, data);
    add(buf.bytes());
  }
  // 5. A real packet, edited: new destination port and TTL, re-serialized with fix-ups.
  {
    auto reader = SavefileReader::open(
        (std::filesystem::path(PCAPXX_SHARED_CAPTURES) / "ppp/TcpPacketWithOptions.pcap").string());
    ASSERT_TRUE(reader.has_value());
    const auto* view = *(*reader)->next();
    Packet pkt = Packet::decode(view->data, (*reader)->link_type());
    ASSERT_EQ(pkt.error(), nullptr);
    pkt.layer<Tcp>()->dst_port = 8080;
    pkt.layer<Ipv4>()->ttl = 17;
    pkt.serialize(buf, fix);
    add(buf.bytes());
  }

  const auto rows = tshark({"vlan.id", "ip.checksum.status", "ip.opt.type", "tcp.checksum.status", "tcp.dstport",
                            "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.timestamp.tsval",
                            "tcp.len", "ipv6.hopopts.len", "udp.checksum.status", "udp.length",
                            "icmp.checksum.status", "icmpv6.checksum.status", "ip.ttl", "ip.len", "ipv6.plen"});
  ASSERT_EQ(rows.size(), 5u);
  // Columns: 0 vlan.id, 1 ip.checksum.status, 2 ip.opt.type, 3 tcp.checksum.status, 4 tcp.dstport,
  // 5 mss, 6 wscale, 7 tsval, 8 tcp.len, 9 hopopts.len, 10 udp.checksum.status, 11 udp.length,
  // 12 icmp.checksum.status, 13 icmpv6.checksum.status, 14 ip.ttl, 15 ip.len, 16 ipv6.plen.
  const auto& r1 = rows[0];
  EXPECT_EQ(r1[1], "1");   // good
  EXPECT_EQ(r1[2], "148");  // Router Alert
  EXPECT_EQ(r1[3], "1");
  EXPECT_EQ(r1[4], "80");
  EXPECT_EQ(r1[5], "1400");
  EXPECT_EQ(r1[6], "7");
  EXPECT_EQ(r1[7], "111");
  EXPECT_EQ(r1[8], "18");
  EXPECT_EQ(r1[15], "82");  // 24 + 40 + 18
  const auto& r2 = rows[1];
  EXPECT_EQ(r2[0], "42");
  EXPECT_EQ(r2[9], "0");    // one 8-byte unit: header_ext_length 0
  EXPECT_EQ(r2[10], "1");
  EXPECT_EQ(r2[11], "34");  // 8 + 26
  EXPECT_EQ(r2[16], "42");  // 8 + 34
  EXPECT_EQ(rows[2][12], "1");
  EXPECT_EQ(rows[2][1], "1");
  EXPECT_EQ(rows[3][13], "1");
  const auto& r5 = rows[4];
  EXPECT_EQ(r5[3], "1");  // the sample's TCP checksum was wrong (offload); now it is right
  EXPECT_EQ(r5[4], "8080");
  EXPECT_EQ(r5[14], "17");
  EXPECT_EQ(r5[1], "1");
}

}  // namespace
}  // namespace pcapxx::layers
