// Crafted and edited packets, serialized with length and checksum fix-ups, written to a pcap
// and read back by tshark (a separate process) with checksum validation on: the expected
// fields, every checksum "good", and no expert warning or error.
#include "craft_fixture.hpp"

namespace pcapxx::layers {
namespace {

using namespace craft_test;

TEST_F(CraftVsTshark, CraftedAndEditedPacketsHaveGoodChecksumsAndTheirFields) {
  SerializeBuffer buf;
  Ethernet eth = eth_frame();

  // 1. IPv4 with a Router Alert option (RFC 2113: 0x94 0x04 0 0), TCP with options, payload.
  {
    eth.ethertype = 0x0800;
    Ipv4 ip = ipv4_between("192.0.2.1", "198.51.100.7", 6);
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
    serialize_layers(buf, kFix, eth, ip, tcp, data);
    add(buf.bytes());
    const std::byte* where = buf.bytes().data();
    serialize_layers(buf, kFix, eth, ip, tcp, data);  // warm: same memory, no growth
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
    const Ipv6 ip = ipv6_between("2001:db8::1", "2001:db8:0:1::53", 0);
    Ipv6HopByHop hbh;
    hbh.next_header = 17;
    // Router Alert (RFC 2711): type 5, length 2, value 0 (MLD); fix_lengths adds PadN.
    static const std::byte kRa[] = {std::byte{5}, std::byte{2}, std::byte{0}, std::byte{0}};
    hbh.options = kRa;
    const Udp udp = udp_ports(5000, 6000);
    Payload data;
    data.contents = bytes_of("hello over udp, odd length");
    serialize_layers(buf, kFix, eth, tag, ip, hbh, udp, data);
    add(buf.bytes());
  }
  // 3. ICMPv4 echo request; 4. ICMPv6 echo request.
  {
    eth.ethertype = 0x0800;
    const Ipv4 ip = ipv4_between("10.1.1.1", "10.1.1.2", 1);
    Icmpv4 icmp;
    icmp.type = 8;
    icmp.rest = 0x00070001;
    Payload data;
    data.contents = bytes_of("ping!");
    serialize_layers(buf, kFix, eth, ip, icmp, data);
    add(buf.bytes());

    eth.ethertype = 0x86dd;
    const Ipv6 ip6 = ipv6_between("fe80::1", "fe80::2", 58);
    Icmpv6 icmp6;
    icmp6.type = 128;
    icmp6.rest = 0x00090002;
    serialize_layers(buf, kFix, eth, ip6, icmp6, data);
    add(buf.bytes());
  }
  // 5. A real packet, edited: new destination port and TTL, re-serialized with fix-ups.
  {
    const auto sample = first_packet_of("ppp/TcpPacketWithOptions.pcap");
    Packet pkt = Packet::decode(sample, dlt::kEn10Mb);
    ASSERT_EQ(pkt.error(), nullptr);
    pkt.layer<Tcp>()->dst_port = 8080;
    pkt.layer<Ipv4>()->ttl = 17;
    pkt.serialize(buf, kFix);
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

// Real packets edited through LayerList (layers inserted, removed, payload swapped), re-serialized
// with fix-ups: tshark sees the new stack, good checksums and no warnings.
TEST_F(CraftVsTshark, EditedPacketsReadBackWithTheirNewLayers) {
  SerializeBuffer buf;
  const auto tcp_bytes = first_packet_of("ppp/TcpPacketWithOptions.pcap");
  {
    const Packet pkt = Packet::decode(tcp_bytes, dlt::kEn10Mb);
    LayerList list(pkt);
    Dot1Q tag;
    tag.vlan_id = 42;
    ASSERT_TRUE(list.insert_after<Ethernet>(tag).has_value());
    list.serialize(buf, kFix);
    add("VLAN tag inserted", buf.bytes(),
        {{"vlan.id", "42"}, {"vlan.etype", "0x0800"}, {"ip.checksum.status", "1"}, {"tcp.checksum.status", "1"},
         {"tcp.len", std::to_string(pkt.layer<Tcp>()->payload.size())}});
  }
  {
    const Packet pkt = Packet::decode(tcp_bytes, dlt::kEn10Mb);
    LayerList list(pkt);
    Mpls labels;
    labels.push({.label = 16, .tc = 0, .bottom = false, .ttl = 255});
    labels.push({.label = 1000, .tc = 0, .bottom = true, .ttl = 64});
    ASSERT_TRUE(list.insert(1, labels).has_value());
    list.serialize(buf, kFix);
    add("MPLS stack inserted", buf.bytes(),
        {{"mpls.label", "16,1000"}, {"mpls.bottom", "0,1"}, {"ip.checksum.status", "1"}, {"tcp.checksum.status", "1"}});
  }
  {
    const Packet pkt = Packet::decode(tcp_bytes, dlt::kEn10Mb);
    LayerList list(pkt);
    static const std::string_view kBody = "HTTP/1.0 204 No Content\r\n\r\n";
    list.set_payload(bytes_of(kBody));
    list.layer<Tcp>()->src_port = 8080;  // not HTTP's port: the body is plain data to tshark
    list.serialize(buf, kFix);
    add("payload swapped", buf.bytes(),
        {{"tcp.len", std::to_string(kBody.size())}, {"tcp.checksum.status", "1"},
         {"ip.len", std::to_string(20 + pkt.layer<Tcp>()->contents.size() + kBody.size())}});
  }
  const auto qinq = first_packet_of("ppp/VlanPackets.pcap");
  {
    const Packet pkt = Packet::decode(qinq, dlt::kEn10Mb);
    LayerList list(pkt);
    ASSERT_TRUE(list.remove<Dot1Q>().has_value());
    list.serialize(buf, kFix);
    add("outer VLAN tag removed", buf.bytes(), {{"vlan.id", "10"}, {"icmp.checksum.status", "1"}});
  }
  const auto v6udp = first_packet_of("ppp/IPv6UdpPacket.pcap");
  {
    const Packet pkt = Packet::decode(v6udp, dlt::kEn10Mb);
    LayerList list(pkt);
    Ipv6Fragment frag;
    frag.identification = 0xdeadbeef;
    ASSERT_TRUE(list.insert_after<Ipv6>(frag).has_value());
    Ipv6Destination dst;
    static const std::byte kTunnelLimit[] = {std::byte{4}, std::byte{1}, std::byte{3}};  // RFC 2473 6.6
    dst.options = kTunnelLimit;
    ASSERT_TRUE(list.insert_before<Udp>(dst).has_value());
    list.serialize(buf, kFix);
    add("IPv6 fragment and destination options inserted", buf.bytes(),
        {{"ipv6.nxt", "44"}, {"ipv6.fraghdr.ident", "0xdeadbeef"}, {"ipv6.dstopts.len", "0"},
         {"ipv6.plen", std::to_string(pkt.layer<Ipv6>()->payload_length + 16)}, {"udp.checksum.status", "1"}});
  }
  const auto routed = first_packet_of("ppp/ipv6_options.pcap", 1);
  {
    const Packet pkt = Packet::decode(routed, dlt::kEn10Mb);
    ASSERT_NE(pkt.layer<Ipv6Routing>(), nullptr);
    LayerList list(pkt);
    ASSERT_TRUE(list.remove<Ipv6Routing>().has_value());
    list.serialize(buf, kFix);
    add("IPv6 routing header removed", buf.bytes(),
        {{"ipv6.nxt", "58"}, {"ipv6.routing.type", ""}, {"icmpv6.checksum.status", "1"}});
  }
  check_all();
}

// One crafted packet per layer and option, all in one capture and one tshark run: the fields
// tshark reads, every checksum good, no expert warning, nothing malformed.
TEST_F(CraftVsTshark, EveryLayerCraftedReadsBackByTshark) {
  SerializeBuffer buf;
  Ethernet eth = eth_frame();
  Ipv4 ip = ipv4_between("192.0.2.1", "198.51.100.7", 0);  // protocol set per frame
  ip.id = 7;
  Ipv6 ip6 = ipv6_between("2001:db8::1", "2001:db8::2", 0);
  const Udp udp = udp_ports(40000, 9);  // discard: tshark shows the data as data
  Payload data;
  data.contents = bytes_of("payload bytes, odd count");

  // TCP over IPv6 (the IPv6 pseudo-header) and UDP over IPv4.
  {
    eth.ethertype = 0x86dd;
    ip6.next_header = 6;
    Tcp tcp;
    tcp.src_port = 40000;
    tcp.dst_port = 9;
    tcp.seq = 1;
    tcp.ack = 1;
    tcp.flags = Tcp::kAck | Tcp::kPsh;
    tcp.window = 1000;
    add("TCP/IPv6", craft(buf, eth, ip6, tcp, data),
        {{"tcp.checksum.status", "1"}, {"ipv6.plen", "44"}, {"tcp.len", "24"}});
    eth.ethertype = 0x0800;
    ip.protocol = 17;
    add("UDP/IPv4", craft(buf, eth, ip, udp, data),
        {{"udp.checksum.status", "1"}, {"ip.checksum.status", "1"}, {"udp.length", "32"}, {"ip.len", "52"}});
  }
  // TCP SACK (RFC 2018) on an ACK.
  {
    eth.ethertype = 0x0800;
    ip.protocol = 6;
    Tcp tcp;
    tcp.src_port = 40001;
    tcp.dst_port = 9;
    tcp.seq = 5000;
    tcp.ack = 9000;
    tcp.flags = Tcp::kAck;
    tcp.window = 1000;
    const Tcp::SackBlock blocks[] = {{10000, 11000}, {12000, 13000}};
    TcpOptionsBuilder ob;
    ob.nop().nop().sack(blocks);
    ASSERT_TRUE(ob.ok());
    tcp.options = ob.bytes();
    add("TCP SACK", craft(buf, eth, ip, tcp),
        {{"tcp.options.sack.count", "2"}, {"tcp.checksum.status", "1"}, {"tcp.hdr_len", "40"}});
  }
  // ARP request.
  {
    eth.ethertype = 0x0806;
    Arp arp;
    static const std::byte kSha[] = {std::byte{2}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};
    static const std::byte kTha[6] = {};
    static const std::byte kSpa[] = {std::byte{192}, std::byte{0}, std::byte{2}, std::byte{1}};
    static const std::byte kTpa[] = {std::byte{192}, std::byte{0}, std::byte{2}, std::byte{99}};
    arp.sender_hardware = kSha;
    arp.sender_protocol = kSpa;
    arp.target_hardware = kTha;
    arp.target_protocol = kTpa;
    add("ARP", craft(buf, eth, arp),
        {{"arp.opcode", "1"}, {"arp.src.proto_ipv4", "192.0.2.1"}, {"arp.dst.proto_ipv4", "192.0.2.99"},
         {"arp.src.hw_mac", "02:00:00:00:00:01"}});
  }
  // 802.3 length, LLC, SNAP carrying IPv4/UDP.
  {
    eth.ethertype = 0;  // an 802.3 length: fix_lengths writes it
    Llc llc;
    Snap snap;
    snap.protocol = 0x0800;
    ip.protocol = 17;
    add("LLC/SNAP", craft(buf, eth, llc, snap, ip, udp, data),
        {{"eth.len", "60"}, {"llc.dsap", "0xaa"}, {"llc.type", "0x0800"}, {"udp.checksum.status", "1"}});
  }
  // QinQ: an 802.1ad service tag, then a customer tag.
  {
    eth.ethertype = 0x88a8;
    Dot1Q s_tag;
    s_tag.vlan_id = 100;
    s_tag.ethertype = 0x8100;
    Dot1Q c_tag;
    c_tag.vlan_id = 200;
    c_tag.priority = 6;
    c_tag.ethertype = 0x0800;
    ip.protocol = 1;
    Icmpv4 echo;
    echo.rest = 0x00010001;
    add("QinQ", craft(buf, eth, s_tag, c_tag, ip, echo, data),
        {{"ieee8021ad.id", "100"}, {"vlan.id", "200"}, {"vlan.priority", "6"}, {"icmp.checksum.status", "1"}});
  }
  // MPLS, two labels.
  {
    eth.ethertype = 0x8847;
    Mpls mpls;
    mpls.push({.label = 100, .tc = 1, .bottom = false, .ttl = 64});
    mpls.push({.label = 200, .tc = 0, .bottom = true, .ttl = 63});
    ip.protocol = 17;
    add("MPLS", craft(buf, eth, mpls, ip, udp, data),
        {{"mpls.label", "100,200"}, {"mpls.bottom", "0,1"}, {"mpls.exp", "1,0"}, {"udp.checksum.status", "1"}});
  }
  // PPPoE session with PPP carrying IPv4; PPPoE discovery (PADI) with tags.
  {
    eth.ethertype = 0x8864;
    Pppoe session;
    session.session_id = 0x1234;
    Ppp ppp;
    ip.protocol = 17;
    add("PPPoE session", craft(buf, eth, session, ppp, ip, udp, data),
        {{"pppoe.session_id", "0x1234"}, {"pppoe.payload_length", "54"}, {"ppp.protocol", "0x0021"},
         {"udp.checksum.status", "1"}});
    eth.ethertype = 0x8863;
    Pppoe padi;
    padi.code = 0x09;
    static const auto kTags = hex("0101 0000 0103 0004 deadbeef");  // Service-Name (any), Host-Uniq
    Payload tags;
    tags.contents = kTags;
    add("PPPoE PADI", craft(buf, eth, padi, tags),
        {{"pppoe.code", "0x09"}, {"pppoed.tags.host_uniq", "deadbeef"}, {"pppoe.payload_length", "12"}});
  }
  // IPv6 extension headers: segment routing header (RFC 8754, segments left 0), destination
  // options, an atomic fragment header.
  {
    eth.ethertype = 0x86dd;
    ip6.next_header = 43;
    Ipv6Routing srh;
    srh.next_header = 60;
    srh.routing_type = 4;
    srh.segments_left = 0;
    static const auto kSrh = hex("00 00 0000 20010db8000000000000000000000002");  // last entry, flags, tag, list[0]
    srh.type_data = kSrh;
    Ipv6Destination dst;
    dst.next_header = 44;
    static const auto kLimit = hex("04 01 05");  // tunnel encapsulation limit 5 (RFC 2473 6.6)
    dst.options = kLimit;
    Ipv6Fragment frag;
    frag.next_header = 17;
    frag.identification = 77;
    add("IPv6 SRH, destination options, fragment", craft(buf, eth, ip6, srh, dst, frag, udp, data),
        {{"ipv6.routing.type", "4"}, {"ipv6.routing.len", "2"}, {"ipv6.routing.srh.addr", "2001:db8::2"},
         {"ipv6.dstopts.len", "0"}, {"ipv6.opt.tel", "5"}, {"ipv6.fraghdr.ident", "0x0000004d"},
         {"udp.checksum.status", "1"}, {"ipv6.plen", "72"}});
  }
  // ICMPv6 neighbor solicitation with a source link-layer address option; advertisement with a
  // target link-layer address option.
  {
    eth.ethertype = 0x86dd;
    Ipv6 nd;
    nd.src = v6("fe80::1");
    nd.dst = v6("ff02::1:ff00:2");
    nd.hop_limit = 255;  // RFC 4861 7.1.1
    nd.next_header = 58;
    Icmpv6 ns;
    ns.type = Icmpv6::kNeighborSolicitation;
    ns.rest = 0;
    static const auto kNs = hex("fe800000000000000000000000000002 01 01 020000000001");
    ns.body = kNs;
    add("ICMPv6 NS", craft(buf, eth, nd, ns),
        {{"icmpv6.nd.ns.target_address", "fe80::2"}, {"icmpv6.opt.linkaddr", "02:00:00:00:00:01"},
         {"icmpv6.checksum.status", "1"}});
    nd.src = v6("fe80::2");
    nd.dst = v6("fe80::1");
    Icmpv6 na;
    na.type = Icmpv6::kNeighborAdvertisement;
    na.rest = 0x60000000;  // solicited, override
    static const auto kNa = hex("fe800000000000000000000000000002 02 01 020000000002");
    na.body = kNa;
    add("ICMPv6 NA", craft(buf, eth, nd, na),
        {{"icmpv6.nd.na.flag.s", "1"}, {"icmpv6.opt.type", "2"}, {"icmpv6.opt.linkaddr", "02:00:00:00:00:02"},
         {"icmpv6.checksum.status", "1"}});
  }
  // IGMPv2 report (with a router alert, TTL 1) and an IGMPv3 general query.
  {
    eth.ethertype = 0x0800;
    Ipv4 mc = ipv4_between("192.0.2.1", "239.1.2.3", 2);
    mc.ttl = 1;
    static const auto kRouterAlert = hex("94040000");
    mc.options = kRouterAlert;
    Igmp report;
    report.type = 0x16;
    report.group = v4("239.1.2.3");
    add("IGMPv2 report", craft(buf, eth, mc, report),
        {{"igmp.version", "2"}, {"igmp.type", "0x16"}, {"igmp.maddr", "239.1.2.3"}, {"igmp.checksum.status", "1"}});
    mc.dst = v4("224.0.0.1");
    Igmp query;
    query.type = 0x11;
    query.v3 = true;
    query.max_resp_code = 100;
    query.flags = 2;  // QRV 2
    query.qqic = 125;
    add("IGMPv3 query", craft(buf, eth, mc, query),
        {{"igmp.version", "3"}, {"igmp.qrv", "2"}, {"igmp.qqic", "125"}, {"igmp.checksum.status", "1"}});
  }
  // GRE with checksum and key, carrying IPv4/ICMP.
  {
    eth.ethertype = 0x0800;
    Ipv4 outer = ip;
    outer.protocol = 47;
    Gre gre;
    gre.checksum_present = true;
    gre.key_present = true;
    gre.key = 42;
    gre.protocol = 0x0800;
    const Ipv4 inner = ipv4_between("10.0.0.1", "10.0.0.2", 1);
    Icmpv4 echo;
    echo.rest = 0x00020003;
    add("GRE", craft(buf, eth, outer, gre, inner, echo, data),
        {{"gre.proto", "0x0800"}, {"gre.key", "0x0000002a"}, {"gre.checksum.status", "1"},
         {"icmp.checksum.status", "1"}, {"ip.checksum.status", "1,1"}});
  }
  // VXLAN and Geneve (with an option), each carrying Ethernet/IPv4/TCP.
  {
    Ethernet inner_eth;
    inner_eth.src.bytes = {0x02, 0, 0, 0, 0, 0x11};
    inner_eth.dst.bytes = {0x02, 0, 0, 0, 0, 0x12};
    inner_eth.ethertype = 0x0800;
    const Ipv4 inner = ipv4_between("10.0.0.1", "10.0.0.2", 6);
    Tcp tcp;
    tcp.src_port = 40002;
    tcp.dst_port = 9;
    tcp.flags = Tcp::kSyn;
    tcp.window = 1000;
    eth.ethertype = 0x0800;
    ip.protocol = 17;
    Udp tunnel = udp_ports(49152, 4789);
    Vxlan vxlan;
    vxlan.vni = 5000;
    add("VXLAN", craft(buf, eth, ip, tunnel, vxlan, inner_eth, inner, tcp),
        {{"vxlan.vni", "5000"}, {"udp.checksum.status", "1"}, {"tcp.checksum.status", "1"},
         {"ip.checksum.status", "1,1"}});
    tunnel.dst_port = 6081;
    Geneve geneve;
    geneve.vni = 77;
    static const auto kOption = hex("0103 01 01 0000002a");  // class 0x0103, type 1, one word
    geneve.options = kOption;
    add("Geneve", craft(buf, eth, ip, tunnel, geneve, inner_eth, inner, tcp),
        // geneve.option.length names both the header's options length and the option's, in bytes.
        {{"geneve.vni", "0x00004d"}, {"geneve.option.class", "0x0103"}, {"geneve.option.length", "8,8"},
         {"geneve.option.type", "0x01"}, {"udp.checksum.status", "1"}, {"tcp.checksum.status", "1"}});
  }
  // DNS query, DHCP discover, NTP client request.
  {
    eth.ethertype = 0x0800;
    ip.protocol = 17;
    const Udp dns_udp = udp_ports(40003, 53);
    Dns dns;
    dns.id = 0x4242;
    dns.flags = 0x0100;  // RD
    dns.question_count = 1;
    static const auto kQuery = hex("000000000000000000000000 076578616d706c6503636f6d00 0001 0001");
    dns.contents = kQuery;  // the header is rewritten from the fields; the question is copied
    add("DNS", craft(buf, eth, ip, dns_udp, dns),
        {{"dns.id", "0x4242"}, {"dns.qry.name", "example.com"}, {"dns.qry.type", "1"}, {"dns.flags.recdesired", "1"},
         {"udp.checksum.status", "1"}});

    const Ipv4 bootp = ipv4_between("0.0.0.0", "255.255.255.255", 17);
    const Udp dhcp_udp = udp_ports(68, 67);
    Dhcp dhcp;
    dhcp.xid = 0x01020304;
    dhcp.flags = 0x8000;
    dhcp.client_hardware = {0x02, 0, 0, 0, 0, 0x33};
    static const auto kOpts = hex("350101 3703010306 ff");  // DISCOVER; parameter list; end
    dhcp.options = kOpts;
    add("DHCP", craft(buf, eth, bootp, dhcp_udp, dhcp),
        {{"dhcp.option.dhcp", "1"}, {"dhcp.id", "0x01020304"}, {"dhcp.hw.mac_addr", "02:00:00:00:00:33"},
         {"udp.checksum.status", "1"}});

    const Udp ntp_udp = udp_ports(123, 123);
    Ntp ntp;
    ntp.mode = 3;
    ntp.version = 4;
    ntp.poll = 6;
    ntp.precision = -20;
    ntp.transmit_time = 0xe0000000'80000000ull;
    add("NTP", craft(buf, eth, ip, ntp_udp, ntp),
        {{"ntp.flags.mode", "3"}, {"ntp.flags.vn", "4"}, {"ntp.ppoll", "6"}, {"ntp.precision", "236"},  // tshark prints the raw byte of -20
         {"udp.checksum.status", "1"}});
  }
  check_all();
}

}  // namespace
}  // namespace pcapxx::layers
