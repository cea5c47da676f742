// DNS in tcpdump 4.99's compact form: "id flags [counts] question/answers (length)"; -vv adds the
// question of a response and the authority/additional sections, -vvv the record TTLs.
// Format facts observed by running tcpdump; record layout from RFC 1035 3.2/4.1, EDNS from
// RFC 6891 6.1. Sections are read with the layer's DnsReader (no second parser).
#include <algorithm>
#include <array>
#include <string_view>

#include "pcapxx/layers/dns.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

using pcapxx::layers::Dns;
using pcapxx::layers::DnsQuestion;
using pcapxx::layers::DnsRecord;
using text::be16;

constexpr std::uint16_t kTypeA = 1, kTypeNs = 2, kTypeMd = 3, kTypeMf = 4, kTypeCname = 5, kTypeSoa = 6,
                        kTypeMb = 7, kTypeMg = 8, kTypeMr = 9, kTypePtr = 12, kTypeMx = 15, kTypeTxt = 16,
                        kTypeAaaa = 28, kTypeSrv = 33, kTypeA6 = 38, kTypeDname = 39, kTypeOpt = 41,
                        kTypeTsig = 250, kTypeUri = 256;
constexpr std::uint16_t kClassIn = 1;
constexpr std::uint16_t kMdnsUnicastOrFlush = 0x8000;  // RFC 6762 5.4 (QU) and 10.2 (cache flush)

// RR type names as tcpdump prints them (IANA "Resource Record (RR) TYPEs" mnemonics).
std::string_view type_name(std::uint16_t t) noexcept {
  static constexpr std::array<std::string_view, 49> kLow{
      "",      "A",    "NS",   "MD",    "MF",   "CNAME", "SOA",   "MB",       "MG",  "MR",
      "NULL",  "WKS",  "PTR",  "HINFO", "MINFO", "MX",   "TXT",   "RP",       "AFSDB", "X25",
      "ISDN",  "RT",   "NSAP", "NSAP_PTR", "SIG", "KEY", "PX",    "GPOS",     "AAAA", "LOC",
      "NXT",   "EID",  "NIMLOC", "SRV", "ATMA", "NAPTR", "KX",    "CERT",     "A6",  "DNAME",
      "SINK",  "OPT",  "APL",  "DS",    "SSHFP", "IPSECKEY", "RRSIG", "NSEC", "DNSKEY"};
  if (t >= 1 && t < kLow.size()) return kLow[t];
  switch (t) {
    case 99: return "SPF";
    case 100: return "UINFO";
    case 101: return "UID";
    case 102: return "GID";
    case 103: return "UNSPEC";
    case 104: return "UNSPECA";
    case 249: return "TKEY";
    case 250: return "TSIG";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 253: return "MAILB";
    case 254: return "MAILA";
    case 255: return "ANY";
    case 256: return "URI";
    default: return {};
  }
}

void put_type(Out& out, std::uint16_t t) {
  const auto name = type_name(t);
  if (name.empty()) return out.put(" Type{}", t);
  out.put(" {}", name);
}

void put_class(Out& out, std::uint16_t c) {
  switch (c) {
    case 1: return out.put(" IN");
    case 3: return out.put(" CHAOS");
    case 4: return out.put(" HS");
    case 255: return out.put(" ANY");
    default: return out.put(" (Class {})", c);
  }
}

std::string_view rcode_text(std::uint8_t rcode) noexcept {
  static constexpr std::array<std::string_view, 16> kNames{
      "",          " FormErr",  " ServFail", " NXDomain", " NotImp",   " Refused",  " YXDomain", " YXRRSet",
      " NXRRSet",  " NotAuth",  " NotZone",  " Resp11",   " Resp12",   " Resp13",   " Resp14",   " NoChange"};
  return kNames[rcode & 15];
}

std::string_view opcode_text(std::uint8_t op) noexcept {
  static constexpr std::array<std::string_view, 16> kNames{
      "",      " inv_q", " stat",  " op3",  " notify", " update", " op6",  " op7",
      " op8",  " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef"};
  return kNames[op & 15];
}

// A name at `offset` of the message, as tcpdump prints it ("www.example.com.", "." for the root).
// False if the name cannot be read (truncated or malformed).
bool put_name(Out& out, const Dns& dns, std::uint32_t offset) {
  std::array<char, 1100> buf;
  const std::size_t n = dns.read_name(offset, buf);
  if (n == 0) return false;
  const std::string_view name(buf.data(), n);
  if (name == "<Root>") {
    out.put(".");
    return true;
  }
  for (const char c : name) text::safe_char(out, static_cast<std::uint8_t>(c));
  out.put(".");
  return true;
}

bool put_question(Out& out, const Dns& dns, const DnsQuestion& q, bool mdns) {
  std::uint16_t klass = q.klass;
  bool unicast = false;
  if (mdns && (klass & kMdnsUnicastOrFlush) != 0) {
    unicast = true;
    klass &= ~kMdnsUnicastOrFlush;
  }
  put_type(out, q.type);
  if (klass != kClassIn) put_class(out, klass);
  if (mdns) out.put(unicast ? " (QU)" : " (QM)");
  out.put("? ");
  return put_name(out, dns, q.name_offset);
}

// Where the name at `pos` ends in the message (after its last label or first pointer), or 0
// when it runs past the captured bytes.
std::size_t name_end(std::span<const std::byte> msg, std::size_t pos) {
  while (pos < msg.size()) {
    const auto l = text::u8(msg.data() + pos);
    if ((l & 0xc0) == 0xc0) return pos + 2 <= msg.size() ? pos + 2 : 0;
    if ((l & 0xc0) != 0) return 0;  // label types 0x40 and 0x80 (RFC 6891 5): tcpdump stops
    pos += 1 + std::size_t{l};
    if (l == 0) return pos;
  }
  return 0;
}

// tcpdump's names of EDNS option codes (IANA "DNS EDNS0 Option Codes"); others print "OptN".
std::string_view edns_option_name(std::uint16_t code) noexcept {
  switch (code) {
    case 1: return "LLQ";
    case 2: return "UL";
    case 3: return "NSID";
    case 5: return "DAU";
    case 6: return "DHU";
    case 7: return "N3U";
    case 8: return "ECS";
    case 9: return "EXPIRE";
    case 10: return "COOKIE";
    case 11: return "KEEPALIVE";
    case 12: return "PADDING";
    case 13: return "CHAIN";
    case 14: return "KEY-TAG";
    case 16: return "CLIENT-TAG";
    case 17: return "SERVER-TAG";
    default: return {};
  }
}

// Algorithm names of the DAU, DHU and N3U options (RFC 6975): DNSSEC algorithms, DS digest
// types, NSEC3 hash algorithms, as tcpdump names them.
std::string_view algorithm_name(std::uint16_t option, std::uint8_t a) noexcept {
  if (option == 5) {
    switch (a) {
      case 0: return "DELETE";
      case 1: return "RSAMD5";
      case 2: return "DH";
      case 3: return "DS";  // DSA, as tcpdump 4.99 prints it
      case 5: return "RSASHA1";
      case 6: return "DSA-NSEC3-SHA1";
      case 7: return "RSASHA1-NSEC3-SHA1";
      case 8: return "RSASHA256";
      case 10: return "RSASHA512";
      case 12: return "ECC-GOST";
      case 13: return "ECDSAP256SHA256";
      case 14: return "ECDSAP384SHA384";
      case 15: return "ED25519";
      case 16: return "ED448";
      case 252: return "INDIRECT";
      case 253: return "PRIVATEDNS";
      case 254: return "PRIVATEOID";
      default: return {};
    }
  }
  if (option == 6) {
    switch (a) {
      case 1: return "SHA-1";
      case 2: return "SHA-256";
      case 3: return "GOST_R_34.11-94";
      case 4: return "SHA-384";
      default: return {};
    }
  }
  return a == 1 ? std::string_view("SHA-1") : std::string_view();
}

// EDNS Client Subnet (RFC 7871 6): "address/source/scope", the address padded with zeros.
void put_client_subnet(Out& out, std::span<const std::byte> d) {
  if (d.size() < 4) return out.put(" (invalid)");
  const std::uint16_t family = be16(d.data());
  const unsigned source = text::u8(d.data() + 2);
  const unsigned scope = text::u8(d.data() + 3);
  const unsigned bits = family == 1 ? 32 : family == 2 ? 128 : 0;
  if (bits == 0 || d.size() - 4 > bits / 8 || source > bits || scope > bits || (source + 7) / 8 != d.size() - 4)
    return out.put(" (invalid)");
  std::array<std::byte, 16> padded{};
  std::copy(d.begin() + 4, d.end(), padded.begin());
  if (family == 1) text::ipv4_numeric(out, padded.data());
  else text::ipv6_numeric(out, padded.data());
  out.put("/{}/{}", source, scope);
}

// EDNS options (RFC 6891 6.1.2) inside an OPT record's data (at `offset` in the message), with
// tcpdump's rendering of the options it knows.
bool put_edns_options(Out& out, const Dns& dns, std::span<const std::byte> data, std::size_t offset) {
  out.put(" [");
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4) return false;
    const std::uint16_t code = be16(data.data() + pos);
    const std::uint16_t len = be16(data.data() + pos + 2);
    if (data.size() - pos - 4 < len) return false;
    const auto name = edns_option_name(code);
    if (name.empty()) out.put("Opt{}", code);
    else out.put(name);
    const auto d = data.subspan(pos + 4, len);
    if (len > 0) {
      out.put(" ");
      switch (code) {
        case 8: put_client_subnet(out, d); break;
        case 10:  // client cookie (8), then the server's (8 to 32): RFC 7873 4
          if (len < 8 || (len > 8 && len < 16) || len > 40) {
            out.put(" (invalid)");
          } else {
            text::hex(out, d.first(8));
            if (len > 8) {
              out.put(" ");
              text::hex(out, d.subspan(8));
            }
          }
          break;
        case 11:  // units of 100 ms (RFC 7828 3.1)
          if (len != 2) out.put(" (invalid)");
          else out.put("{}.{} sec", be16(d.data()) / 10, be16(d.data()) % 10);
          break;
        case 9:
          if (len != 4) out.put(" (invalid)");
          else out.put("{} sec", text::be32(d.data()));
          break;
        case 12: out.put("({})", len); break;
        case 14:
          if (len % 2 != 0) {
            out.put(" (invalid)");
          } else {
            for (std::size_t i = 0; i < len; i += 2) {
              if (i > 0) out.put(" ");
              out.put("{}", be16(d.data() + i));
            }
          }
          break;
        case 5: case 6: case 7:
          for (std::size_t i = 0; i < len; ++i) {
            if (i > 0) out.put(" ");
            const auto alg = text::u8(d.data() + i);
            const auto n = algorithm_name(code, alg);
            if (n.empty()) out.put("Alg_{}", alg);
            else out.put(n);
          }
          break;
        case 13:
          if (!put_name(out, dns, static_cast<std::uint32_t>(offset + pos + 4))) return false;
          break;
        default: text::hex(out, d); break;
      }
    }
    pos += 4 + std::size_t{len};
    if (pos < data.size()) out.put(",");
  }
  out.put("]");
  return true;
}

// One resource record: " name [ttl] TYPE data". False on data tcpdump cannot show (truncated).
bool put_record(Out& out, const Dns& dns, const DnsRecord& r, bool mdns, bool data_captured = true) {
  // At -v the name comes first (its leading space is printed by the caller).
  if (out.flags.verbose > 0 && !put_name(out, dns, r.name_offset)) return false;
  std::uint16_t klass = r.klass;
  bool flush = false;
  if (mdns && (klass & kMdnsUnicastOrFlush) != 0) {
    flush = true;
    klass &= ~kMdnsUnicastOrFlush;
  }
  if (klass != kClassIn && r.type != kTypeOpt) put_class(out, klass);
  if (mdns && flush) out.put(" (Cache flush)");
  if (r.type != kTypeOpt && out.flags.verbose > 2) {
    out.put(" [");
    text::duration(out, r.ttl);
    out.put("]");
  }
  put_type(out, r.type);
  if (!data_captured) return false;
  const auto d = r.rdata;
  switch (r.type) {
    case kTypeA:
      if (d.size() < 4) return false;
      out.put(" ");
      text::ipv4_numeric(out, d.data());
      break;
    case kTypeAaaa:
      if (d.size() < 16) return false;
      out.put(" ");
      text::ipv6_numeric(out, d.data());
      break;
    case kTypeNs: case kTypeMd: case kTypeMf: case kTypeCname: case kTypeMb: case kTypeMg: case kTypeMr:
    case kTypePtr: case kTypeDname:
      out.put(" ");
      return put_name(out, dns, r.rdata_offset);
    case kTypeSoa: {
      if (out.flags.verbose == 0) break;
      out.put(" ");
      if (!put_name(out, dns, r.rdata_offset)) return false;
      // The two names may be compressed: find where the second starts by walking the first.
      std::uint32_t pos = r.rdata_offset;
      for (int i = 0; i < 2; ++i) {
        const auto msg = dns.contents;
        while (pos < msg.size()) {
          const auto l = text::u8(msg.data() + pos);
          if ((l & 0xc0) == 0xc0) { pos += 2; break; }
          pos += 1 + l;
          if (l == 0) break;
        }
        if (i == 0) {
          out.put(" ");
          if (!put_name(out, dns, pos)) return false;
        }
      }
      const std::size_t end = r.rdata_offset + d.size();
      if (pos + 20 > end) return false;
      const auto* p = dns.contents.data() + pos;
      out.put(" {} {} {} {} {}", text::be32(p), text::be32(p + 4), text::be32(p + 8), text::be32(p + 12),
              text::be32(p + 16));
      break;
    }
    case kTypeMx:
      if (d.size() < 3) return false;
      out.put(" ");
      if (!put_name(out, dns, r.rdata_offset + 2)) return false;
      out.put(" {}", be16(d.data()));
      break;
    case kTypeTxt: {
      std::size_t pos = 0;
      while (pos < d.size()) {
        const std::size_t len = text::u8(d.data() + pos);
        if (pos + 1 + len > d.size()) return false;
        out.put(" \"");
        text::safe_text(out, d.subspan(pos + 1, len));
        out.put("\"");
        pos += 1 + len;
      }
      break;
    }
    case kTypeSrv:
      if (d.size() < 7) return false;
      out.put(" ");
      if (!put_name(out, dns, r.rdata_offset + 6)) return false;
      out.put(":{} {} {}", be16(d.data() + 4), be16(d.data()), be16(d.data() + 2));
      break;
    case kTypeOpt:
      out.put(" UDPsize={}", r.klass);
      if ((r.ttl & 0x8000) != 0) out.put(" DO");
      if (!d.empty()) return put_edns_options(out, dns, d, r.rdata_offset);
      break;
    case kTypeA6: {
      // RFC 2874 3.1.1: prefix length, the address suffix, the prefix name.
      if (d.empty()) return false;
      const unsigned bits = text::u8(d.data());
      const std::size_t prefix_bytes = (bits & ~7u) / 8;
      if (bits > 128) {
        out.put(" {}(bad plen)", bits);
        break;
      }
      if (bits < 128) {
        if (d.size() < 1 + 16 - prefix_bytes) return false;
        std::array<std::byte, 16> a{};
        std::copy_n(d.begin() + 1, 16 - prefix_bytes, a.begin() + static_cast<std::ptrdiff_t>(prefix_bytes));
        out.put(" {} ", bits);
        text::ipv6_numeric(out, a.data());
      }
      if (bits > 0) {
        out.put(" ");
        return put_name(out, dns, static_cast<std::uint32_t>(r.rdata_offset + 1 + 16 - prefix_bytes));
      }
      break;
    }
    case kTypeUri:
      // RFC 7553 4.5: priority, weight, target.
      if (d.size() < 4) return false;
      out.put(" {} {} ", be16(d.data()), be16(d.data() + 2));
      text::safe_text(out, d.subspan(4));
      break;
    case kTypeTsig: {
      // RFC 8945 4.2: algorithm name, time signed (48 bits), fudge, MAC size and MAC, original
      // ID, error, other length; shown with -v.
      if (out.flags.verbose == 0) break;
      out.put(" ");
      if (!put_name(out, dns, r.rdata_offset)) return false;
      const auto msg = dns.contents;
      const std::size_t name_end_at = name_end(msg, r.rdata_offset);
      if (name_end_at == 0) return false;
      std::size_t at = name_end_at + 6;
      auto field = [&](std::uint16_t& v) {
        if (at + 2 > msg.size()) return false;
        v = be16(msg.data() + at);
        at += 2;
        return true;
      };
      std::uint16_t v = 0;
      if (!field(v)) return false;
      out.put(" fudge={}", v);
      if (!field(v)) return false;
      out.put(" maclen={}", v);
      at += v;
      if (!field(v)) return false;
      out.put(" origid={}", v);
      if (!field(v)) return false;
      out.put(" error={}", v);
      if (!field(v)) return false;
      out.put(" otherlen={}", v);
      break;
    }
    default:
      break;
  }
  return true;
}

// The walk over the sections as tcpdump does it: `pos` moves through the captured bytes.
enum class Step : std::uint8_t { ok, end, cut };

// One question (" TYPE? name."); a question cut by the capture is a cut.
Step put_question_at(Out& out, const Dns& dns, std::size_t& pos, bool mdns) {
  const auto msg = dns.contents;
  const std::size_t end = name_end(msg, pos);
  if (end == 0 || end + 4 > msg.size()) return Step::cut;
  const DnsQuestion q{static_cast<std::uint32_t>(pos), be16(msg.data() + end), be16(msg.data() + end + 2)};
  if (!put_question(out, dns, q, mdns)) return Step::cut;
  pos = end + 4;
  return Step::ok;
}

// One record. Without the fixed fields after the name tcpdump stops the section quietly
// (Step::end); record data cut by the capture is a cut (after the type is shown).
Step put_record_at(Out& out, const Dns& dns, std::size_t& pos, bool mdns) {
  const auto msg = dns.contents;
  if (out.flags.verbose > 0) {
    out.put(" ");
    if (name_end(msg, pos) == 0) return Step::cut;
  }
  const std::size_t end = name_end(msg, pos);
  if (end == 0 || end + 10 > msg.size()) {
    if (out.flags.verbose > 0 && end != 0) put_name(out, dns, static_cast<std::uint32_t>(pos));
    pos = msg.size();
    return Step::end;
  }
  DnsRecord r;
  r.name_offset = static_cast<std::uint32_t>(pos);
  r.type = be16(msg.data() + end);
  r.klass = be16(msg.data() + end + 2);
  r.ttl = text::be32(msg.data() + end + 4);
  const std::size_t rdlength = be16(msg.data() + end + 8);
  r.rdata_offset = static_cast<std::uint32_t>(end + 10);
  if (end + 10 + rdlength > msg.size()) {
    put_record(out, dns, r, mdns, false);  // shown up to the type, then the marker
    return Step::cut;
  }
  r.rdata = msg.subspan(end + 10, rdlength);
  if (!put_record(out, dns, r, mdns)) return Step::cut;
  pos = end + 10 + rdlength;
  return Step::ok;
}

// `count` records: the first always, the next ones while captured bytes remain, separated by
// ","; false (the marker) when the section was cut or records are left over.
bool put_records(Out& out, const Dns& dns, std::size_t& pos, std::uint32_t count, bool mdns) {
  if (count == 0) return true;
  std::uint32_t left = count;
  for (bool first = true; left > 0 && (first || pos < dns.contents.size()); first = false) {
    if (!first) out.put(",");
    if (put_record_at(out, dns, pos, mdns) == Step::cut) return false;
    --left;
  }
  return left == 0;
}

// The authority or additional section at -vv: " ns:" / " ar:" and its records, when bytes remain.
bool put_section(Out& out, const Dns& dns, std::size_t& pos, std::uint32_t count, std::string_view label,
                 bool mdns) {
  if (count == 0) return true;
  if (pos >= dns.contents.size()) return false;
  out.put(label);
  return put_records(out, dns, pos, count, mdns);
}

bool print_response(Out& out, const Dns& dns, bool mdns) {
  const int v = out.flags.verbose;
  out.put("{}{}{}{}{}{}{}", dns.id, opcode_text(dns.opcode()), rcode_text(dns.rcode()),
          (dns.flags & 0x0400) != 0 ? "*" : "", (dns.flags & 0x0080) != 0 ? "" : "-",
          (dns.flags & 0x0200) != 0 ? "|" : "", (dns.flags & 0x0020) != 0 ? "$" : "");
  if (dns.question_count != 1) out.put(" [{}q]", dns.question_count);
  std::size_t pos = Dns::kHeaderLength;
  for (std::uint32_t i = 0; i < dns.question_count; ++i) {
    if (v > 1) {
      if (i != 0) out.put(",");
      out.put(" q:");
      if (put_question_at(out, dns, pos, mdns) != Step::ok) return false;
    } else {
      // Skipped: only the name must be there (tcpdump steps over type and class unchecked).
      const std::size_t end = name_end(dns.contents, pos);
      if (end == 0) return false;
      pos = end + 4;
    }
  }
  out.put(" {}/{}/{}", dns.answer_count, dns.authority_count, dns.additional_count);
  if (!put_records(out, dns, pos, dns.answer_count, mdns)) return false;
  if (v > 1) {
    if (!put_section(out, dns, pos, dns.authority_count, " ns:", mdns)) return false;
    if (!put_section(out, dns, pos, dns.additional_count, " ar:", mdns)) return false;
  }
  return true;
}

bool print_query(Out& out, const Dns& dns, bool mdns) {
  out.put("{}{}{}{}", dns.id, opcode_text(dns.opcode()), (dns.flags & 0x0100) != 0 ? "+" : "",
          (dns.flags & 0x0010) != 0 ? "%" : "");
  // Bits a query should not carry (AA, TC, RA, Z, RCODE): tcpdump shows the whole word.
  if ((dns.flags & 0x06cf) != 0) out.put(" [b2&3=0x{:x}]", dns.flags);
  if (dns.opcode() == 1) {  // inverse query (RFC 1035 6.4, obsolete)
    if (dns.question_count != 0) out.put(" [{}q]", dns.question_count);
    if (dns.answer_count != 1) out.put(" [{}a]", dns.answer_count);
  } else {
    if (dns.answer_count != 0) out.put(" [{}a]", dns.answer_count);
    if (dns.question_count != 1) out.put(" [{}q]", dns.question_count);
  }
  if (dns.authority_count != 0) out.put(" [{}n]", dns.authority_count);
  if (dns.additional_count != 0) out.put(" [{}au]", dns.additional_count);
  std::size_t pos = Dns::kHeaderLength;
  std::uint32_t left = dns.question_count;
  for (bool first = true; left > 0 && (first || pos < dns.contents.size()); first = false) {
    if (put_question_at(out, dns, pos, mdns) != Step::ok) return false;
    --left;
  }
  if (left != 0) return false;
  if (out.flags.verbose > 1) {
    if (!put_records(out, dns, pos, dns.answer_count, mdns)) return false;
    if (!put_section(out, dns, pos, dns.authority_count, " ns:", mdns)) return false;
    if (!put_section(out, dns, pos, dns.additional_count, " ar:", mdns)) return false;
  }
  return true;
}

}  // namespace

Result print_dns(Out& out, const Names&, std::span<const std::byte> bytes, std::uint32_t length, bool mdns) {
  // A message shorter than its header is malformed, not cut (RFC 1035 4.1.1: 12 bytes).
  if (length < 12) {
    out.put("domain [length {} < 12] (invalid)", length);
    return {};
  }
  Dns dns;
  if (!dns.decode_header(bytes)) {
    out.truncated("domain");
    return {};
  }
  const bool ok = dns.is_response() ? print_response(out, dns, mdns) : print_query(out, dns, mdns);
  if (!ok) {
    out.truncated("domain");
    return {};
  }
  out.put(" ({})", length);
  return {};
}

}  // namespace pxdump::printers
