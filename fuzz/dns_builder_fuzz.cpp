// libFuzzer target: DnsBuilder driven by the input (questions and records of every type with
// names made of arbitrary bytes, compression on or off), then the property that matters for name
// compression: a message the builder accepts decodes, and every name, type, class, TTL and typed
// record field reads back as it was given. A rejected entry must leave an error that names it.
// Input: byte 0 bit 0 = compress; then entries: kind byte, name (length byte + bytes), value bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/decode.hpp"

namespace {

using namespace pcapxx;
using namespace pcapxx::layers;

struct Input {
  std::span<const std::uint8_t> d;
  std::size_t at = 0;
  std::uint8_t byte() { return at < d.size() ? d[at++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(u16()) << 16 | u16(); }
  std::string text() {
    const std::size_t n = byte();
    std::string s;
    for (std::size_t i = 0; i < n && at < d.size(); ++i) s.push_back(static_cast<char>(d[at++]));
    return s;
  }
  [[nodiscard]] bool done() const { return at >= d.size(); }
};

// What a record must read back as.
struct Want {
  bool question = false;
  std::uint16_t type = 0, klass = 0;
  std::uint32_t ttl = 0;
  std::string name, target, target2;
  std::uint16_t preference = 0, weight = 0, port = 0;
  std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
  std::vector<std::string> strings;
};

// The text read_name() gives for a name the builder was given.
std::string expected_text(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s.empty() ? "<Root>" : s;
}

[[noreturn]] void fail(const char* what, std::size_t entry) {
  std::fprintf(stderr, "dns_builder_fuzz: entry %zu: %s\n", entry, what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in{std::span(data, size)};
  DnsBuilder b((in.byte() & 1) != 0);
  b.start(in.u16(), in.u16());
  std::vector<Want> wants;
  for (std::size_t n = 0; !in.done() && n < 64; ++n) {
    const std::uint8_t kind = in.byte();
    Want w;
    w.name = in.text();
    w.klass = Dns::kClassIn;
    const auto section = static_cast<DnsRecord::Section>((kind >> 4) % 3);
    const DnsOwner owner{w.name, w.ttl = in.u32(), w.klass};
    switch (kind & 0x0f) {
      case 0:
        w.question = true;
        w.type = in.u16();
        w.ttl = 0;
        b.question(w.name, w.type);
        break;
      case 1: {
        w.type = Dns::kTypeA;
        Ipv4Address a{{in.byte(), in.byte(), in.byte(), in.byte()}};
        w.target = a.to_string();
        b.a(section, owner, a);
        break;
      }
      case 2: {
        w.type = Dns::kTypeAaaa;
        Ipv6Address a;
        for (auto& x : a.bytes) x = in.byte();
        w.target = a.to_string();
        b.aaaa(section, owner, a);
        break;
      }
      case 3:
      case 4:
      case 5:
        w.type = (kind & 0x0f) == 3 ? Dns::kTypeCname : (kind & 0x0f) == 4 ? Dns::kTypeNs : Dns::kTypePtr;
        w.target = in.text();
        b.name_record(section, w.type, owner, w.target);
        w.target = expected_text(w.target);
        break;
      case 6:
        w.type = Dns::kTypeMx;
        w.preference = in.u16();
        w.target = in.text();
        b.mx(section, owner, w.preference, w.target);
        w.target = expected_text(w.target);
        break;
      case 7: {
        w.type = Dns::kTypeTxt;
        const std::size_t count = 1 + in.byte() % 3;
        for (std::size_t i = 0; i < count; ++i) w.strings.push_back(in.text());
        std::vector<std::string_view> views(w.strings.begin(), w.strings.end());
        b.txt(section, owner, views);
        break;
      }
      case 8: {
        w.type = Dns::kTypeSoa;
        w.target = in.text();
        w.target2 = in.text();
        w.serial = in.u32();
        w.refresh = in.u32();
        w.retry = in.u32();
        w.expire = in.u32();
        w.minimum = in.u32();
        b.soa(section, owner, {w.target, w.target2, w.serial, w.refresh, w.retry, w.expire, w.minimum});
        w.target = expected_text(w.target);
        w.target2 = expected_text(w.target2);
        break;
      }
      case 9:
        w.type = Dns::kTypeSrv;
        w.preference = in.u16();
        w.weight = in.u16();
        w.port = in.u16();
        w.target = in.text();
        b.srv(section, owner, w.preference, w.weight, w.port, w.target);
        w.target = expected_text(w.target);
        break;
      default: {
        w.type = static_cast<std::uint16_t>(64 + (kind & 0x0f));
        w.target = in.text();  // the RDATA, as given
        b.raw(section, w.type, owner, std::as_bytes(std::span(w.target.data(), w.target.size())));
        break;
      }
    }
    w.name = expected_text(w.name);
    if (!b.ok()) break;
    wants.push_back(std::move(w));
  }
  if (!b.ok()) {
    const auto r = b.result();
    if (r.has_value() || r.error().message.rfind("DNS builder: ", 0) != 0) fail("an error without its message", 0);
    return 0;
  }
  // The message decodes; everything reads back as given, in order (questions first).
  Dns dns;
  const DecodeStatus st = dns.decode(b.bytes(), DecodeContext{Registry::builtin()});
  if (!st.ok()) fail(st.error, 0);
  DnsReader reader(dns);
  std::size_t i = 0;
  for (DnsQuestion q; reader.next_question(q); ++i) {
    if (i >= wants.size() || !wants[i].question) fail("a question that was not asked", i);
    if (dns.name(q.name_offset) != wants[i].name) fail("question name differs", i);
    if (q.type != wants[i].type) fail("question type differs", i);
  }
  for (DnsRecord r; reader.next_record(r); ++i) {
    if (i >= wants.size() || wants[i].question) fail("a record that was not added", i);
    const Want& w = wants[i];
    if (dns.name(r.name_offset) != w.name) fail("record name differs", i);
    if (r.type != w.type || r.klass != w.klass || r.ttl != w.ttl) fail("record type, class or TTL differs", i);
    DnsRdata d;
    if (const char* why = dns.parse_rdata(r, d)) fail(why, i);
    switch (r.type) {
      case Dns::kTypeA:
        if (d.a.to_string() != w.target) fail("A differs", i);
        break;
      case Dns::kTypeAaaa:
        if (d.aaaa.to_string() != w.target) fail("AAAA differs", i);
        break;
      case Dns::kTypeCname:
      case Dns::kTypeNs:
      case Dns::kTypePtr:
        if (dns.name(d.name) != w.target) fail("target name differs", i);
        break;
      case Dns::kTypeMx:
        if (dns.name(d.name) != w.target || d.preference != w.preference) fail("MX differs", i);
        break;
      case Dns::kTypeSoa:
        if (dns.name(d.name) != w.target || dns.name(d.name2) != w.target2 || d.serial != w.serial ||
            d.refresh != w.refresh || d.retry != w.retry || d.expire != w.expire || d.minimum != w.minimum)
          fail("SOA differs", i);
        break;
      case Dns::kTypeSrv:
        if (dns.name(d.name) != w.target || d.preference != w.preference || d.weight != w.weight || d.port != w.port)
          fail("SRV differs", i);
        break;
      case Dns::kTypeTxt: {
        DnsTextReader t(r.rdata);
        std::size_t k = 0;
        for (std::string_view s; t.next(s); ++k)
          if (k >= w.strings.size() || s != w.strings[k]) fail("TXT string differs", i);
        if (k != w.strings.size() || t.malformed()) fail("TXT string count differs", i);
        break;
      }
      default:
        if (std::string_view(reinterpret_cast<const char*>(r.rdata.data()), r.rdata.size()) != w.target)
          fail("RDATA differs", i);
        break;
    }
  }
  if (i != wants.size()) fail("entries missing from the message", i);
  return 0;
}
