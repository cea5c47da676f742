// SCTP (RFC 9260) as tcpdump 4.99 prints it: "a.p > b.q: sctp (1) [INIT] [init tag: ...] ..."
// one bracketed group per chunk ("\n\tN) " instead of " (N) " at -vv). DATA, INIT, INIT ACK and
// SACK show their fields; other chunks their name. Upper-layer payloads (M3UA...) are not
// printed. Texts observed by running tcpdump.
#include "pcapxx/layers/sctp.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

using text::be16;
using text::be32;
using text::u8;

std::string_view chunk_name(std::uint8_t t) noexcept {
  switch (t) {
    case 0: return "DATA";
    case 1: return "INIT";
    case 2: return "INIT ACK";
    case 3: return "SACK";
    case 4: return "HB REQ";
    case 5: return "HB ACK";
    case 6: return "ABORT";
    case 7: return "SHUTDOWN";
    case 8: return "SHUTDOWN ACK";
    case 9: return "OP ERR";
    case 10: return "COOKIE ECHO";
    case 11: return "COOKIE ACK";
    case 12: return "ECN ECHO";
    case 13: return "ECN CWR";
    case 14: return "SHUTDOWN COMPLETE";
    case 192: return "FOR CID";
    default: return {};
  }
}

// Payload protocol identifiers (IANA "SCTP Payload Protocol Identifiers"), as tcpdump names them.
std::string_view ppid_name(std::uint32_t p) noexcept {
  switch (p) {
    case 1: return "IUA";
    case 2: return "M2UA";
    case 3: return "M3UA";
    case 4: return "SUA";
    case 5: return "M2PA";
    case 6: return "V5.2";
    case 7: return "H.248";
    case 8: return "BICC";
    case 9: return "TALI";
    case 10: return "DUA";
    case 11: return "ASAP";
    case 12: return "ENRP";
    case 13: return "H.323";
    case 18: return "S1AP";
    case 46: return "DIAMETER";
    default: return {};
  }
}

// One chunk's text after its number; false when the chunk's fields were not captured.
bool put_chunk(Out& out, const pcapxx::layers::SctpChunk& c) {
  const auto name = chunk_name(c.type);
  if (name.empty()) out.put("[Unknown chunk type: {}] ", c.type);
  else out.put("[{}] ", name);
  const auto v = c.value;
  switch (c.type) {
    case 0: {
      const bool u = (c.flags & 4) != 0, b = (c.flags & 2) != 0, e = (c.flags & 1) != 0;
      if (u) out.put("(U)");
      if (b) out.put("(B)");
      if (e) out.put("(E)");
      if (u || b || e) out.put(" ");
      if (v.size() < 12) return false;
      out.put("[TSN: {}] [SID: {}] [SSEQ {}] ", be32(v.data()), be16(v.data() + 4), be16(v.data() + 6));
      const std::uint32_t ppid = be32(v.data() + 8);
      const auto pname = ppid_name(ppid);
      if (pname.empty()) out.put("[PPID 0x{:x}] ", ppid);
      else out.put("[PPID {}] ", pname);
      return true;
    }
    case 1:
    case 2:
      if (v.size() < 16) return false;
      out.put("[init tag: {}] [rwnd: {}] [OS: {}] [MIS: {}] [init TSN: {}] ", be32(v.data()), be32(v.data() + 4),
              be16(v.data() + 8), be16(v.data() + 10), be32(v.data() + 12));
      return true;
    case 3: {
      if (v.size() < 12) return false;
      const std::uint16_t gaps = be16(v.data() + 8);
      const std::uint16_t dups = be16(v.data() + 10);
      out.put("[cum ack {}] [a_rwnd {}] [#gap acks {}] [#dup tsns {}] ", be32(v.data()), be32(v.data() + 4), gaps,
              dups);
      const std::uint32_t cum = be32(v.data());
      std::size_t at = 12;
      for (unsigned i = 1; i <= gaps; ++i, at += 4) {
        if (at + 4 > v.size()) return false;
        out.put("\n\t\t[gap ack block #{}: start = {}, end = {}] ", i, cum + be16(v.data() + at),
                cum + be16(v.data() + at + 2));
      }
      for (unsigned i = 1; i <= dups; ++i, at += 4) {
        if (at + 4 > v.size()) return false;
        out.put("\n\t\t[dup TSN #{}: {}] ", i, be32(v.data() + at));
      }
      return true;
    }
    default:
      return true;
  }
}

}  // namespace

Result print_sctp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length,
                  const IpHeader& ip) {
  pcapxx::layers::Sctp s;
  if (bytes.size() < pcapxx::layers::Sctp::kHeaderLength || (ip.ip4 == nullptr && ip.ip6 == nullptr)) {
    out.truncated("sctp");
    return {};
  }
  const std::uint16_t sport = be16(bytes.data());
  const std::uint16_t dport = be16(bytes.data() + 2);
  if (ip.ip4 != nullptr) text::ipv4(out, names, ip.ip4 + 12);
  else text::ipv6(out, names, ip.ip6 + 8);
  out.put(".{} > ", sport);
  if (ip.ip4 != nullptr) text::ipv4(out, names, ip.ip4 + 16);
  else text::ipv6(out, names, ip.ip6 + 24);
  out.put(".{}: sctp", dport);
  // The layer refuses a chunk that runs past the capture; walk what was captured instead.
  pcapxx::layers::SctpChunkReader reader(bytes.subspan(pcapxx::layers::Sctp::kHeaderLength));
  pcapxx::layers::SctpChunk c;
  for (unsigned n = 1; reader.next(c); ++n) {
    if (out.flags.verbose > 1) out.put("\n\t{}) ", n);
    else out.put(" ({}) ", n);
    if (!put_chunk(out, c)) {
      out.truncated("sctp");
      return {};
    }
  }
  // A chunk cut by the capture ends the text with the marker.
  if (reader.malformed() || reader.offset() < bytes.size() - pcapxx::layers::Sctp::kHeaderLength ||
      bytes.size() < length)
    out.truncated("sctp");
  (void)s;
  return {};
}

}  // namespace pxdump::printers
