// DnsBuilder: messages with every record type we type, with and without name compression,
// serialized inside Ethernet/IPv4/UDP and Ethernet/IPv6/UDP with fix-ups, decoded back field for
// field. Bad names and out-of-order sections are errors that say which entry and why; record
// data that does not fit its type is reported by parse_rdata().
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "common/craft.hpp"
#include "pcapxx/decode.hpp"

namespace pcapxx::layers {
namespace {

using Section = DnsRecord::Section;

using test::v4;
using test::v6;

// One response with a record of each type in each section.
void build_full_response(DnsBuilder& b) {
  static const std::string_view kTxt[] = {"v=spf1 -all", "", "second string"};
  b.start(0xbeef, Dns::kResponse | Dns::kRecursionDesired | Dns::kRecursionAvailable)
      .question("www.example.com", Dns::kTypeA)
      .cname(Section::answer, {"www.example.com", 300}, "web.example.com")
      .a(Section::answer, {"web.example.com", 60}, v4("192.0.2.80"))
      .aaaa(Section::answer, {"web.example.com.", 61}, v6("2001:db8::80"))
      .mx(Section::answer, {"example.com", 3600}, 10, "mail.example.com")
      .txt(Section::answer, {"example.com", 3600}, kTxt)
      .srv(Section::answer, {"_sip._udp.example.com", 86400}, 5, 20, 5060, "sip.example.com")
      .ptr(Section::answer, {"80.2.0.192.in-addr.arpa", 7200}, "web.example.com")
      .ns(Section::authority, {"example.com", 172800}, "ns1.example.net")
      .soa(Section::authority, {"example.com", 900},
           {"ns1.example.net", "hostmaster.example.com", 2024010101, 7200, 3600, 1209600, 300})
      .a(Section::additional, {"ns1.example.net", 172800, Dns::kClassIn}, v4("198.51.100.53"));
}

struct Expected {
  Section section;
  std::string name;
  std::uint16_t type;
  std::uint32_t ttl;
  std::string data;  // the typed data as text
};

const std::vector<Expected> kExpected = {
    {Section::answer, "www.example.com", Dns::kTypeCname, 300, "web.example.com"},
    {Section::answer, "web.example.com", Dns::kTypeA, 60, "192.0.2.80"},
    {Section::answer, "web.example.com", Dns::kTypeAaaa, 61, "2001:db8::80"},
    {Section::answer, "example.com", Dns::kTypeMx, 3600, "10 mail.example.com"},
    {Section::answer, "example.com", Dns::kTypeTxt, 3600, "[v=spf1 -all][][second string]"},
    {Section::answer, "_sip._udp.example.com", Dns::kTypeSrv, 86400, "5 20 5060 sip.example.com"},
    {Section::answer, "80.2.0.192.in-addr.arpa", Dns::kTypePtr, 7200, "web.example.com"},
    {Section::authority, "example.com", Dns::kTypeNs, 172800, "ns1.example.net"},
    {Section::authority, "example.com", Dns::kTypeSoa, 900,
     "ns1.example.net hostmaster.example.com 2024010101 7200 3600 1209600 300"},
    {Section::additional, "ns1.example.net", Dns::kTypeA, 172800, "198.51.100.53"},
};

// The record's data as text, through parse_rdata (and DnsTextReader for TXT).
std::string rdata_text(const Dns& dns, const DnsRecord& r) {
  DnsRdata d;
  if (const char* why = dns.parse_rdata(r, d)) return fmt::format("<error: {}>", why);
  if (!d.known) return "<unknown>";
  switch (r.type) {
    case Dns::kTypeA: return d.a.to_string();
    case Dns::kTypeAaaa: return d.aaaa.to_string();
    case Dns::kTypeMx: return fmt::format("{} {}", d.preference, dns.name(d.name));
    case Dns::kTypeSrv: return fmt::format("{} {} {} {}", d.preference, d.weight, d.port, dns.name(d.name));
    case Dns::kTypeSoa:
      return fmt::format("{} {} {} {} {} {} {}", dns.name(d.name), dns.name(d.name2), d.serial, d.refresh, d.retry,
                         d.expire, d.minimum);
    case Dns::kTypeTxt: {
      std::string s;
      DnsTextReader t(r.rdata);
      for (std::string_view part; t.next(part);) s += fmt::format("[{}]", part);
      return s;
    }
    default: return dns.name(d.name);
  }
}

void expect_full_response(const Dns& dns) {
  EXPECT_EQ(dns.id, 0xbeef);
  EXPECT_TRUE(dns.is_response());
  EXPECT_EQ(dns.flags, 0x8180);
  EXPECT_EQ(dns.question_count, 1);
  EXPECT_EQ(dns.answer_count, 7);
  EXPECT_EQ(dns.authority_count, 2);
  EXPECT_EQ(dns.additional_count, 1);
  DnsReader r(dns);
  DnsQuestion q;
  ASSERT_TRUE(r.next_question(q));
  EXPECT_EQ(dns.name(q.name_offset), "www.example.com");
  EXPECT_EQ(q.type, Dns::kTypeA);
  EXPECT_EQ(q.klass, Dns::kClassIn);
  std::size_t i = 0;
  for (DnsRecord rec; r.next_record(rec); ++i) {
    ASSERT_LT(i, kExpected.size());
    const Expected& e = kExpected[i];
    EXPECT_EQ(rec.section, e.section) << "record " << i;
    EXPECT_EQ(dns.name(rec.name_offset), e.name) << "record " << i;
    EXPECT_EQ(rec.type, e.type) << "record " << i;
    EXPECT_EQ(rec.klass, Dns::kClassIn) << "record " << i;
    EXPECT_EQ(rec.ttl, e.ttl) << "record " << i;
    EXPECT_EQ(rdata_text(dns, rec), e.data) << "record " << i;
  }
  EXPECT_EQ(i, kExpected.size());
}

// How many compression pointers the names of the message use (any 0xc0 label in a name).
std::size_t pointers_in(const Dns& dns) {
  std::size_t n = 0;
  auto count = [&](std::uint32_t at) {
    for (std::size_t p = at; p < dns.contents.size();) {
      const auto l = std::to_integer<std::uint8_t>(dns.contents[p]);
      if ((l & 0xc0) == 0xc0) {
        ++n;
        return;
      }
      if (l == 0) return;
      p += 1 + l;
    }
  };
  DnsReader r(dns);
  for (DnsQuestion q; r.next_question(q);) count(q.name_offset);
  for (DnsRecord rec; r.next_record(rec);) {
    count(rec.name_offset);
    DnsRdata d;
    if (dns.parse_rdata(rec, d) == nullptr && d.known && rec.type != Dns::kTypeA && rec.type != Dns::kTypeAaaa &&
        rec.type != Dns::kTypeTxt) {
      count(d.name);
      if (rec.type == Dns::kTypeSoa) count(d.name2);
    }
  }
  return n;
}

TEST(DnsBuilder, EveryRecordTypeDecodesBackWithAndWithoutCompression) {
  DnsBuilder plain(false), packed(true);
  build_full_response(plain);
  build_full_response(packed);
  ASSERT_TRUE(plain.ok()) << plain.result().error().message;
  ASSERT_TRUE(packed.ok()) << packed.result().error().message;
  // Compression saves bytes, and only the compressed message has pointers.
  EXPECT_LT(packed.bytes().size(), plain.bytes().size());
  for (DnsBuilder* b : {&plain, &packed}) {
    Dns dns;
    ASSERT_TRUE(dns.decode(b->bytes(), DecodeContext{Registry::builtin()}).ok());
    SCOPED_TRACE(b == &plain ? "uncompressed" : "compressed");
    expect_full_response(dns);
    expect_full_response(b->dns());
  }
  Dns p;
  p.decode_header(plain.bytes());
  EXPECT_EQ(pointers_in(p), 0u);
  Dns c;
  c.decode_header(packed.bytes());
  // Every name but the question's and the first of each new suffix points back; the SRV
  // target (RFC 2782) is written whole.
  EXPECT_GE(pointers_in(c), 12u);
  // "mail.example.com" after "example.com" was written: one label, then a pointer to it.
  DnsReader r(c);
  DnsRecord rec;
  for (int k = 0; k < 4; ++k) ASSERT_TRUE(r.next_record(rec));
  ASSERT_EQ(rec.type, Dns::kTypeMx);
  const auto* d = c.contents.data() + rec.rdata_offset;
  EXPECT_EQ(std::to_integer<int>(d[2]), 4);  // "mail"
  EXPECT_EQ(std::to_integer<int>(d[7]) & 0xc0, 0xc0);
  EXPECT_EQ(rec.rdata.size(), 2u + 5 + 2);
}

TEST(DnsBuilder, SerializedInsideUdpOverIpv4AndIpv6WithFixUps) {
  DnsBuilder b;
  build_full_response(b);
  const Dns dns = b.dns();
  const Udp udp = test::udp_ports(53, 40000);
  SerializeBuffer buf;
  const SerializeOptions fix{.fix_lengths = true, .compute_checksums = true};
  {
    const Ipv4 ip = test::ipv4_between("192.0.2.53", "192.0.2.1", 17);
    serialize_layers(buf, fix, test::eth_frame(0x0800), ip, udp, dns);
    const Packet pkt = Packet::decode(buf.bytes(), dlt::kEn10Mb);
    ASSERT_EQ(pkt.error(), nullptr) << pkt.error()->message();
    EXPECT_TRUE(pkt.layer<Ipv4>()->checksum_ok());
    EXPECT_EQ(pkt.layer<Ipv4>()->total_length, 20 + 8 + b.bytes().size());
    EXPECT_EQ(pkt.layer<Udp>()->length, 8 + b.bytes().size());
    EXPECT_EQ(checksum_status(pkt, *pkt.find(LayerType::udp)), ChecksumStatus::good);
    ASSERT_NE(pkt.layer<Dns>(), nullptr);
    expect_full_response(*pkt.layer<Dns>());
    // Unchanged, the decoded packet serializes to the same bytes.
    const std::vector<std::byte> first(buf.bytes().begin(), buf.bytes().end());
    SerializeBuffer again;
    pkt.serialize(again);
    EXPECT_TRUE(std::ranges::equal(again.bytes(), first));
  }
  {
    const Ipv6 ip = test::ipv6_between("2001:db8::53", "2001:db8::1", 17);
    serialize_layers(buf, fix, test::eth_frame(0x86dd), ip, udp, dns);
    const Packet pkt = Packet::decode(buf.bytes(), dlt::kEn10Mb);
    ASSERT_EQ(pkt.error(), nullptr) << pkt.error()->message();
    EXPECT_EQ(pkt.layer<Ipv6>()->payload_length, 8 + b.bytes().size());
    EXPECT_EQ(checksum_status(pkt, *pkt.find(LayerType::udp)), ChecksumStatus::good);
    ASSERT_NE(pkt.layer<Dns>(), nullptr);
    expect_full_response(*pkt.layer<Dns>());
  }
}

TEST(DnsBuilder, AWarmBuilderReusesItsMemory) {
  DnsBuilder b;
  build_full_response(b);
  const std::byte* where = b.bytes().data();
  const std::vector<std::byte> first(b.bytes().begin(), b.bytes().end());
  build_full_response(b);
  EXPECT_EQ(b.bytes().data(), where);
  EXPECT_TRUE(std::ranges::equal(b.bytes(), first));
  // A query: header, one question, nothing else.
  b.start(7, Dns::kRecursionDesired).question("example.org.", Dns::kTypeAaaa);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.bytes().size(), 12u + 13 + 4);
  const Dns q = b.dns();
  EXPECT_FALSE(q.is_response());
  EXPECT_EQ(q.question_count, 1);
  EXPECT_EQ(q.answer_count, 0);
  DnsReader r(q);
  DnsQuestion question;
  ASSERT_TRUE(r.next_question(question));
  EXPECT_EQ(q.name(question.name_offset), "example.org");
  EXPECT_EQ(question.type, Dns::kTypeAaaa);
  // The root name and a record of any type as raw bytes (an EDNS OPT pseudo-record).
  static const std::byte kNoOptions[1] = {};
  b.start(8, 0).question(".", 2).raw(Section::additional, Dns::kTypeOpt, {"", 0, 1232},
                                     std::span<const std::byte>(kNoOptions, 0));
  ASSERT_TRUE(b.ok());
  const Dns o = b.dns();
  DnsReader ro(o);
  ASSERT_TRUE(ro.next_question(question));
  EXPECT_EQ(o.name(question.name_offset), "<Root>");
  DnsRecord rec;
  ASSERT_TRUE(ro.next_record(rec));
  EXPECT_EQ(rec.type, Dns::kTypeOpt);
  EXPECT_EQ(rec.klass, 1232);  // the UDP payload size (RFC 6891 6.1.2)
  EXPECT_TRUE(rec.rdata.empty());
  (void)kNoOptions;
}

TEST(DnsBuilder, BadNamesAndOrderAreErrorsNamingTheEntry) {
  const std::string long_label(64, 'x');
  std::string long_name;
  for (int i = 0; i < 26; ++i) long_name += "abcdefghi.";  // 26 x 10 = 260 bytes in wire form
  struct Case {
    std::function<void(DnsBuilder&)> build;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[&](DnsBuilder& b) { b.question(long_label + ".com", 1); },
       "DNS builder: question 1: label '" + long_label + "' of name '" + long_label + ".com' is longer than 63 bytes"},
      {[&](DnsBuilder& b) { b.question("a.com", 1).a(Section::answer, {long_name, 1}, {}); },
       "DNS builder: answer 1: name '" + long_name.substr(0, long_name.size() - 1) +
           "' is longer than 255 bytes in wire form"},
      {[](DnsBuilder& b) { b.question("a..com", 1); }, "DNS builder: question 1: name 'a..com' has an empty label"},
      {[](DnsBuilder& b) { b.question("a.com", 1).ns(Section::authority, {"a.com", 1}, "ns.a.com").cname(Section::answer, {"a.com", 1}, "b.com"); },
       "DNS builder: answer 1: after authority records: records must be added in section order"},
      {[](DnsBuilder& b) { b.a(Section::answer, {"a.com", 1}, {}).question("a.com", 1); },
       "DNS builder: question 1: after answer records: questions come first"},
      {[](DnsBuilder& b) {
         const std::string big(256, 't');
         const std::string_view parts[] = {big};
         b.a(Section::answer, {"a.com", 1}, {}).txt(Section::answer, {"a.com", 1}, parts);
       },
       "DNS builder: answer 2: TXT character-string of 256 bytes (at most 255)"},
      {[](DnsBuilder& b) {
         const std::vector<std::byte> big(60000);
         b.raw(Section::answer, 99, {"a.com", 1}, big).raw(Section::answer, 99, {"b.com", 1}, big);
       },
       "DNS builder: answer 2: the message would be longer than 65535 bytes"},
  };
  for (const Case& c : cases) {
    DnsBuilder b;
    c.build(b);
    EXPECT_FALSE(b.ok());
    auto res = b.result();
    ASSERT_FALSE(res.has_value()) << c.message;
    EXPECT_EQ(res.error().message, c.message);
    EXPECT_EQ(res.error().code, Errc::invalid_argument);
    EXPECT_TRUE(b.dns().contents.empty());
    // The error sticks; a new start() clears it.
    b.question("ok.com", 1);
    EXPECT_FALSE(b.ok());
    b.start(1, 0).question("ok.com", 1);
    EXPECT_TRUE(b.ok());
  }
}

// Record data written raw that does not fit its type: parse_rdata says why; the message itself
// still decodes (the record lengths are consistent).
TEST(DnsBuilder, RecordDataThatDoesNotFitItsTypeIsReported) {
  auto bytes = [](std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int x : v) out.push_back(static_cast<std::byte>(x));
    return out;
  };
  struct Case {
    std::uint16_t type;
    std::vector<std::byte> rdata;
    const char* why;
  };
  const std::vector<Case> cases = {
      {Dns::kTypeA, bytes({192, 0, 2}), "A record data is not 4 bytes"},
      {Dns::kTypeAaaa, bytes({1, 2, 3, 4}), "AAAA record data is not 16 bytes"},
      {Dns::kTypeCname, bytes({3, 'a', 'b', 'c'}), "name runs past the record data"},
      {Dns::kTypeNs, bytes({1, 'a', 0, 9}), "record data longer than its fields"},
      {Dns::kTypePtr, bytes({0xc0, 0x7f}), "compression pointer out of range"},
      {Dns::kTypeMx, bytes({0, 10}), "MX record data shorter than 3 bytes"},
      {Dns::kTypeSrv, bytes({0, 1, 0, 2, 0, 3}), "SRV record data shorter than 7 bytes"},
      {Dns::kTypeSoa, bytes({0, 0, 0, 0, 0, 1}), "SOA record data too short for its five numbers"},
      {Dns::kTypeTxt, bytes({3, 'a', 'b'}), "TXT character-string runs past the record data"},
      {Dns::kTypeCname, bytes({0x40, 'a', 0}), "unsupported label type (0x40/0x80)"},
  };
  for (const Case& c : cases) {
    DnsBuilder b(false);
    // A record after it: a name running on reads into it, not past the message.
    b.start(1, Dns::kResponse)
        .question("q.example", c.type)
        .raw(Section::answer, c.type, {"q.example", 5}, c.rdata)
        .a(Section::additional, {"q.example", 5}, {});
    ASSERT_TRUE(b.ok());
    Dns dns;
    ASSERT_TRUE(dns.decode(b.bytes(), DecodeContext{Registry::builtin()}).ok()) << c.why;
    DnsReader r(dns);
    DnsRecord rec;
    ASSERT_TRUE(r.next_record(rec));
    DnsRdata d;
    const char* why = dns.parse_rdata(rec, d);
    ASSERT_NE(why, nullptr) << "type " << c.type << " should fail with: " << c.why;
    EXPECT_STREQ(why, c.why) << "type " << c.type;
    EXPECT_FALSE(d.known);
  }
  // A type parse_rdata does not know: no error, not known.
  DnsBuilder b;
  b.start(1, Dns::kResponse).raw(Section::answer, 99, {"q.example", 5}, bytes({1, 2, 3}));
  const Dns dns = b.dns();
  DnsReader r(dns);
  DnsRecord rec;
  ASSERT_TRUE(r.next_record(rec));
  DnsRdata d;
  EXPECT_EQ(dns.parse_rdata(rec, d), nullptr);
  EXPECT_FALSE(d.known);
}

// Compression never merges names that differ only in case, and a pointer names the longest
// suffix: "a.b.example.com" after "b.example.com" is "a" and a pointer to all of it.
TEST(DnsBuilder, CompressionPicksTheLongestExactSuffix) {
  DnsBuilder b;
  b.start(2, Dns::kResponse)
      .question("b.example.com", 1)
      .a(Section::answer, {"a.b.example.com", 1}, {})
      .a(Section::answer, {"B.EXAMPLE.com", 1}, {});
  ASSERT_TRUE(b.ok());
  const Dns dns = b.dns();
  DnsReader r(dns);
  DnsRecord first, second;
  ASSERT_TRUE(r.next_record(first));
  ASSERT_TRUE(r.next_record(second));
  EXPECT_EQ(dns.name(first.name_offset), "a.b.example.com");
  EXPECT_EQ(dns.name(second.name_offset), "B.EXAMPLE.com");
  const auto* n = dns.contents.data() + first.name_offset;
  EXPECT_EQ(std::to_integer<int>(n[0]), 1);
  EXPECT_EQ(std::to_integer<int>(n[2]), 0xc0);
  EXPECT_EQ(std::to_integer<int>(n[3]), 12);  // the question's name, right after the header
  EXPECT_EQ(dns.name_end(first.name_offset), first.name_offset + 4u);
  // "B" and "EXAMPLE" are written; "com" points into the question.
  const auto* m = dns.contents.data() + second.name_offset;
  EXPECT_EQ(std::to_integer<int>(m[0]), 1);
  EXPECT_EQ(std::to_integer<int>(m[2]), 7);
  EXPECT_EQ(std::to_integer<int>(m[10]), 0xc0);
}

}  // namespace
}  // namespace pcapxx::layers
