// Crafted packets read back by tshark (see craft_fixture.hpp): the layers and options the first
// file leaves out, and DnsBuilder messages with every record type it types.
#include "craft_fixture.hpp"

namespace pcapxx::layers {
namespace {

using namespace craft_test;

// What the other crafted tests leave out: the other link types (Linux SLL and SLL2, NULL, LOOP,
// raw IP, each an interface of one pcapng), AH and ESP, ICMPv6 router solicitation and
// advertisement with link-layer address, MTU and prefix information options, redirect, SCTP with
// its CRC32c, TCP SACK-permitted, IPv4 Record Route and Timestamp options, an ICMP error with
// the packet it is about, IGMPv1 and IGMPv3 reports.
TEST_F(CraftVsTshark, OtherLinkTypesIpsecNdOptionsSctpAndIgmpReportsReadBackByTshark) {
  SerializeBuffer buf;
  const Ipv4 ip = ipv4_between("192.0.2.1", "198.51.100.7", 17);
  const Ipv6 ip6 = ipv6_between("2001:db8::1", "2001:db8::2", 17);
  const Udp udp = udp_ports(40000, 9);
  Payload data;
  data.contents = bytes_of("payload bytes, odd count");
  {
    LinuxSll sll;
    sll.packet_type = 4;  // outgoing
    sll.address = {0x02, 0, 0, 0, 0, 1, 0, 0};
    sll.protocol = 0x0800;
    add("Linux SLL", craft(buf, sll, ip, udp, data),
        {{"sll.pkttype", "4"}, {"sll.etype", "0x0800"}, {"sll.src.eth", "02:00:00:00:00:01"},
         {"udp.checksum.status", "1"}, {"ip.checksum.status", "1"}},
        dlt::kLinuxSll);
    LinuxSll2 sll2;
    sll2.protocol = 0x86dd;
    sll2.interface_index = 7;
    sll2.packet_type = 0;
    sll2.address = {0x02, 0, 0, 0, 0, 2, 0, 0};
    add("Linux SLL2", craft(buf, sll2, ip6, udp, data),
        {{"sll.ifindex", "7"}, {"sll.etype", "0x86dd"}, {"udp.checksum.status", "1"}, {"ipv6.plen", "32"}},
        dlt::kLinuxSll2);
    Loopback null_lo;
    null_lo.family = 2;  // AF_INET, host (little-endian) order
    add("NULL", craft(buf, null_lo, ip, udp, data), {{"null.family", "2"}, {"udp.checksum.status", "1"}}, dlt::kNull);
    Loopback loop;
    loop.family = 24;  // a BSD AF_INET6, network order (DLT_LOOP)
    loop.big_endian = true;
    add("LOOP", craft(buf, loop, ip6, udp, data), {{"null.family", "24"}, {"udp.checksum.status", "1"}}, dlt::kLoop);
    add("raw IPv4", craft(buf, ip, udp, data), {{"ip.len", "52"}, {"udp.checksum.status", "1"}}, dlt::kRaw);
    add("raw IPv6", craft(buf, ip6, udp, data), {{"ipv6.plen", "32"}, {"udp.checksum.status", "1"}}, dlt::kRaw);
  }
  Ethernet eth = eth_frame();
  // AH (RFC 4302, a 12-byte ICV) over IPv4 carrying ICMP; ESP (RFC 4303) over IPv6.
  {
    eth.ethertype = 0x0800;
    Ipv4 outer = ip;
    outer.protocol = 51;
    IpsecAh ah;
    ah.next_header = 1;
    ah.spi = 0x1000;
    ah.sequence = 3;
    static const auto kIcv = hex("0102030405060708090a0b0c");
    ah.icv = kIcv;
    Icmpv4 echo;
    echo.rest = 0x00050006;
    add("AH", craft(buf, eth, outer, ah, echo, data),
        {{"ah.spi", "0x00001000"}, {"ah.sequence", "3"}, {"ah.icv", "0102030405060708090a0b0c"},
         {"icmp.checksum.status", "1"}, {"ip.checksum.status", "1"}});
    eth.ethertype = 0x86dd;
    Ipv6 outer6 = ip6;
    outer6.next_header = 50;
    IpsecEsp esp;
    esp.spi = 0x2000;
    esp.sequence = 4;
    Payload sealed;
    static const auto kSealed = hex("00112233445566778899aabbccddeeff");
    sealed.contents = kSealed;
    add("ESP", craft(buf, eth, outer6, esp, sealed),
        {{"esp.spi", "0x00002000"}, {"esp.sequence", "4"}, {"ipv6.nxt", "50"}, {"ipv6.plen", "24"}});
  }
  // Router solicitation and advertisement (RFC 4861 4.1, 4.2) and redirect (4.5).
  {
    eth.ethertype = 0x86dd;
    Ipv6 nd;
    nd.src = v6("fe80::1");
    nd.dst = v6("ff02::2");
    nd.hop_limit = 255;
    nd.next_header = 58;
    Icmpv6 rs;
    rs.type = Icmpv6::kRouterSolicitation;
    static const auto kRs = hex("0101 020000000001");
    rs.body = kRs;
    add("ICMPv6 RS", craft(buf, eth, nd, rs),
        {{"icmpv6.type", "133"}, {"icmpv6.opt.type", "1"}, {"icmpv6.opt.linkaddr", "02:00:00:00:00:01"},
         {"icmpv6.checksum.status", "1"}});
    nd.src = v6("fe80::fe");
    nd.dst = v6("ff02::1");
    Icmpv6 ra;
    ra.type = Icmpv6::kRouterAdvertisement;
    ra.rest = 0x40c00708;  // hop limit 64, M and O, router lifetime 1800 s
    static const auto kRa = hex(
        "00007530 000003e8  0101 0200000000fe  0501 0000 000005dc"
        "  0304 40 c0 00278d00 00093a80 00000000 20010db8000100000000000000000000");
    ra.body = kRa;
    add("ICMPv6 RA", craft(buf, eth, nd, ra),
        {{"icmpv6.nd.ra.cur_hop_limit", "64"}, {"icmpv6.nd.ra.router_lifetime", "1800"},
         {"icmpv6.nd.ra.reachable_time", "30000"}, {"icmpv6.nd.ra.retrans_timer", "1000"},
         {"icmpv6.opt.type", "1,5,3"}, {"icmpv6.opt.linkaddr", "02:00:00:00:00:fe"}, {"icmpv6.opt.mtu", "1500"},
         {"icmpv6.opt.prefix.length", "64"}, {"icmpv6.opt.prefix.flag", "0xc0"},
         {"icmpv6.opt.prefix.valid_lifetime", "2592000"}, {"icmpv6.opt.prefix.preferred_lifetime", "604800"},
         {"icmpv6.opt.prefix", "2001:db8:1::"}, {"icmpv6.checksum.status", "1"}});
    nd.dst = v6("fe80::1");
    Icmpv6 redirect;
    redirect.type = Icmpv6::kRedirect;
    static const auto kRedirect = hex("fe800000000000000000000000000099 20010db8000000000000000000000042"
                                      "0201 020000000099");
    redirect.body = kRedirect;
    add("ICMPv6 redirect", craft(buf, eth, nd, redirect),
        {{"icmpv6.nd.rd.target_address", "fe80::99"}, {"icmpv6.rd.na.destination_address", "2001:db8::42"},
         {"icmpv6.opt.type", "2"}, {"icmpv6.opt.linkaddr", "02:00:00:00:00:99"}, {"icmpv6.checksum.status", "1"}});
  }
  // SCTP: INIT chunk (RFC 9260 3.3.2) with its CRC32c.
  {
    eth.ethertype = 0x0800;
    Ipv4 sip = ip;
    sip.protocol = 132;
    Sctp sctp;
    sctp.src_port = 2905;
    sctp.dst_port = 2906;
    sctp.verification_tag = 0;
    // INIT: tag 0x01020304, a_rwnd 65536, 10 out, 10 in, initial TSN 1.
    static const auto kInit = hex("01 00 0014 01020304 00010000 000a 000a 00000001");
    sctp.chunks = kInit;
    add("SCTP INIT", craft(buf, eth, sip, sctp),
        {{"sctp.srcport", "2905"}, {"sctp.chunk_type", "1"}, {"sctp.init_initiate_tag", "0x01020304"}, {"sctp.init_nr_out_streams", "10"},
         {"sctp.checksum.status", "1"}});
  }
  // TCP SYN with MSS and SACK-permitted.
  {
    eth.ethertype = 0x0800;
    Ipv4 tip = ip;
    tip.protocol = 6;
    Tcp tcp;
    tcp.src_port = 40004;
    tcp.dst_port = 9;
    tcp.seq = 77;
    tcp.flags = Tcp::kSyn;
    tcp.window = 1000;
    TcpOptionsBuilder ob;
    ob.mss(1460).sack_permitted().nop().window_scale(2);  // 10 bytes: fix_lengths pads with two EOL
    ASSERT_TRUE(ob.ok());
    tcp.options = ob.bytes();
    add("TCP SACK permitted", craft(buf, eth, tip, tcp),
        {{"tcp.option_kind", "2,4,1,3,0,0"}, {"tcp.options.sack_perm", "0402"}, {"tcp.checksum.status", "1"},
         {"tcp.hdr_len", "32"}});
  }
  // IPv4 options beyond Router Alert: NOP, Record Route with one empty slot (RFC 791: pointer 4),
  // Timestamp with one empty slot (pointer 5, flag 0); an ICMP port unreachable carrying the
  // IPv4/UDP packet it is about.
  {
    eth.ethertype = 0x0800;
    Ipv4 opt = ip;
    opt.protocol = 17;
    static const auto kOptions = hex("01  07 07 04 00000000  44 08 05 00 00000000");
    opt.options = kOptions;
    add("IPv4 options", craft(buf, eth, opt, udp, data),
        {{"ip.opt.type", "1,7,68"}, {"ip.hdr_len", "36"}, {"ip.checksum.status", "1"}, {"udp.checksum.status", "1"}});
    Ipv4 outer = ip;
    std::swap(outer.src, outer.dst);
    outer.protocol = 1;
    Icmpv4 unreachable;
    unreachable.type = 3;
    unreachable.code = 3;
    Ipv4 invoking = ip;
    invoking.protocol = 17;
    add("ICMP port unreachable", craft(buf, eth, outer, unreachable, invoking, udp, data),
        {{"icmp.type", "3"}, {"icmp.code", "3"}, {"icmp.checksum.status", "1"}, {"ip.proto", "1,17"},
         {"udp.dstport", "9"}, {"ip.checksum.status", "1,1"}});
  }
  // IGMPv1 report; IGMPv3 report with one group record (RFC 3376 4.2).
  {
    eth.ethertype = 0x0800;
    Ipv4 mc = ipv4_between("192.0.2.1", "239.1.1.1", 2);
    mc.ttl = 1;
    Igmp v1;
    v1.type = 0x12;
    v1.group = v4("239.1.1.1");
    add("IGMPv1 report", craft(buf, eth, mc, v1),
        {{"igmp.version", "1"}, {"igmp.type", "0x12"}, {"igmp.maddr", "239.1.1.1"}, {"igmp.checksum.status", "1"}});
    mc.dst = v4("224.0.0.22");
    static const auto kRouterAlert = hex("94040000");
    mc.options = kRouterAlert;
    Igmp v3;
    v3.type = 0x22;
    v3.v3 = true;
    v3.source_count = 1;  // group records
    static const auto kRecord = hex("01 00 0001 ef010101 0a000001");  // MODE_IS_INCLUDE, one source
    v3.sources = kRecord;
    add("IGMPv3 report", craft(buf, eth, mc, v3),
        {{"igmp.version", "3"}, {"igmp.num_grp_recs", "1"}, {"igmp.maddr", "239.1.1.1"}, {"igmp.saddr", "10.0.0.1"},
         {"igmp.checksum.status", "1"}});
  }
  check_all();
}

// DnsBuilder messages (every record type we type, compressed and not) inside UDP over IPv4 and
// IPv6: tshark reads every record's type, class, TTL and data back, the section counts, good
// checksums, and no malformed or warning expert info.
TEST_F(CraftVsTshark, DnsBuilderMessagesReadBackByTshark) {
  SerializeBuffer buf;
  Ethernet eth = eth_frame();
  Ipv4 ip = ipv4_between("192.0.2.1", "192.0.2.53", 17);
  Ipv6 ip6 = ipv6_between("2001:db8::1", "2001:db8::53", 17);
  const Udp query_udp = udp_ports(40053, 53);
  const Udp answer_udp = udp_ports(53, 40053);
  using S = DnsRecord::Section;
  static const std::string_view kTxt[] = {"v=spf1 -all", "second string"};
  auto full_response = [&](DnsBuilder& b, std::uint16_t id) {
    b.start(id, Dns::kResponse | Dns::kRecursionDesired | Dns::kRecursionAvailable)
        .question("www.example.com", Dns::kTypeA)
        .cname(S::answer, {"www.example.com", 300}, "web.example.com")
        .a(S::answer, {"web.example.com", 60}, v4("192.0.2.80"))
        .aaaa(S::answer, {"web.example.com", 61}, v6("2001:db8::80"))
        .mx(S::answer, {"example.com", 3600}, 10, "mail.example.com")
        .txt(S::answer, {"example.com", 3601}, kTxt)
        .srv(S::answer, {"_sip._udp.example.com", 86400}, 5, 20, 5060, "sip.example.com")
        .ptr(S::answer, {"80.2.0.192.in-addr.arpa", 7200}, "web.example.com")
        .ns(S::authority, {"example.com", 172800}, "ns1.example.net")
        .soa(S::authority, {"example.com", 900},
             {"ns1.example.net", "hostmaster.example.com", 2024010101, 7200, 3600, 1209600, 300})
        .a(S::additional, {"ns1.example.net", 172801}, v4("198.51.100.53"));
    ASSERT_TRUE(b.ok()) << b.result().error().message;
  };
  const Fields full = {
      {"dns.count.queries", "1"}, {"dns.count.answers", "7"}, {"dns.count.auth_rr", "2"}, {"dns.count.add_rr", "1"},
      {"dns.qry.name", "www.example.com"},
      // tshark names an SRV record's owner dns.srv.service, .proto and .name (RFC 2782), not dns.resp.name.
      {"dns.resp.name", "www.example.com,web.example.com,web.example.com,example.com,example.com,"
                        "80.2.0.192.in-addr.arpa,example.com,example.com,ns1.example.net"},
      {"dns.srv.service", "_sip"}, {"dns.srv.proto", "_udp"}, {"dns.srv.name", "example.com"},
      {"dns.resp.type", "5,1,28,15,16,33,12,2,6,1"},
      {"dns.resp.class", "0x0001,0x0001,0x0001,0x0001,0x0001,0x0001,0x0001,0x0001,0x0001,0x0001"},
      {"dns.resp.ttl", "300,60,61,3600,3601,86400,7200,172800,900,172801"},
      {"dns.cname", "web.example.com"}, {"dns.a", "192.0.2.80,198.51.100.53"}, {"dns.aaaa", "2001:db8::80"},
      {"dns.mx.preference", "10"}, {"dns.mx.mail_exchange", "mail.example.com"},
      {"dns.txt", "v=spf1 -all,second string"}, {"dns.srv.priority", "5"}, {"dns.srv.weight", "20"},
      {"dns.srv.port", "5060"}, {"dns.srv.target", "sip.example.com"}, {"dns.ptr.domain_name", "web.example.com"},
      {"dns.ns", "ns1.example.net"}, {"dns.soa.mname", "ns1.example.net"},
      {"dns.soa.rname", "hostmaster.example.com"}, {"dns.soa.serial_number", "2024010101"},
      {"dns.soa.refresh_interval", "7200"}, {"dns.soa.retry_interval", "3600"}, {"dns.soa.expire_limit", "1209600"},
      {"dns.soa.minimum_ttl", "300"}, {"udp.checksum.status", "1"}, {"dns.flags.response", "1"},
  };
  // The query, then its answer compressed over IPv4; the same exchange uncompressed over IPv6.
  for (const bool compress : {true, false}) {
    DnsBuilder b(compress);
    const std::uint16_t id = compress ? 0x1001 : 0x2002;
    b.start(id, Dns::kRecursionDesired).question("www.example.com", Dns::kTypeA);
    ASSERT_TRUE(b.ok());
    const Dns query = b.dns();
    const std::string what = compress ? "IPv4, compressed" : "IPv6, uncompressed";
    if (compress) {
      eth.ethertype = 0x0800;
      add("DNS query over " + what, craft(buf, eth, ip, query_udp, query),
          {{"dns.flags.response", "0"}, {"dns.qry.name", "www.example.com"}, {"dns.qry.type", "1"},
           {"udp.checksum.status", "1"}, {"ip.checksum.status", "1"}});
    } else {
      eth.ethertype = 0x86dd;
      add("DNS query over " + what, craft(buf, eth, ip6, query_udp, query),
          {{"dns.flags.response", "0"}, {"dns.qry.name", "www.example.com"}, {"udp.checksum.status", "1"}});
    }
    full_response(b, id);
    std::swap(ip.src, ip.dst);
    std::swap(ip6.src, ip6.dst);
    const Dns answer = b.dns();
    Fields expect = full;
    expect.emplace_back("dns.id", fmt::format("0x{:04x}", id));
    add("DNS response over " + what,
        compress ? craft(buf, eth, ip, answer_udp, answer) : craft(buf, eth, ip6, answer_udp, answer), expect);
    std::swap(ip.src, ip.dst);
    std::swap(ip6.src, ip6.dst);
  }
  check_all();
}

}  // namespace
}  // namespace pcapxx::layers
