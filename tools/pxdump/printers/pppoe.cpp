// PPPoE (RFC 2516) as tcpdump 4.99 prints it: discovery "PPPoE PADS [ses 0x11] [Service-Name]
// [AC-Name "BRAS"] [Host-Uniq 0x64138518]"; session "PPPoE  [ses 0x11] " and the PPP frame.
// Code and tag values from RFC 2516 Appendix A and section 5.
#include "pcapxx/layers/pppoe.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

std::string_view code_name(std::uint8_t code) noexcept {
  switch (code) {
    case 0x00: return "";
    case 0x09: return "PADI";
    case 0x07: return "PADO";
    case 0x19: return "PADR";
    case 0x65: return "PADS";
    case 0xa7: return "PADT";
    default: return {};
  }
}

std::string_view tag_name(std::uint16_t t) noexcept {
  switch (t) {
    case 0x0000: return "EOL";
    case 0x0101: return "Service-Name";
    case 0x0102: return "AC-Name";
    case 0x0103: return "Host-Uniq";
    case 0x0104: return "AC-Cookie";
    case 0x0105: return "Vendor-Specific";
    case 0x0110: return "Relay-Session-ID";
    case 0x0120: return "PPP-Max-Payload";
    case 0x0201: return "Service-Name-Error";
    case 0x0202: return "AC-System-Error";
    case 0x0203: return "Generic-Error";
    default: return {};
  }
}

void put_tag(Out& out, std::uint16_t type, std::span<const std::byte> value) {
  const auto name = tag_name(type);
  if (name.empty()) out.put(" [TAG-0x{:x}", type);
  else out.put(" [{}", name);
  if (!value.empty()) {
    bool printable = true;
    for (const std::byte b : value) {
      const auto c = static_cast<std::uint8_t>(b);
      if (c < 0x20 || c > 0x7e) printable = false;
    }
    if (printable) {
      out.put(" \"");
      text::safe_text(out, value);
      out.put("\"");
    } else {
      out.put(" 0x");
      for (const std::byte b : value) out.put("{:02X}", static_cast<std::uint8_t>(b));
    }
  }
  out.put("]");
}

}  // namespace

Result print_pppoe(Out& out, std::span<const std::byte> bytes, std::uint32_t length) {
  pcapxx::layers::Pppoe p;
  out.put("PPPoE ");
  if (!text::decode(p, bytes)) {
    out.truncated("pppoe");
    return {};
  }
  const auto name = code_name(p.code);
  if (name.empty() && p.code != 0) out.put("CODE-0x{:x}", p.code);
  else out.put(name);
  if (p.session_id != 0 || p.code == 0) out.put(" [ses 0x{:x}]", p.session_id);
  const std::uint32_t declared = p.length;
  if (length > 6 && declared + 6u < length) {
    // Ethernet padding or a wrong length: tcpdump only prints the declared part.
  }
  if (p.code == 0) {
    out.put(" ");
    // IPv4 and IPv6 go straight to the dispatcher (the PPP protocol field is not printed, as in
    // tcpdump); other PPP protocols (LCP, IPCP...) are the PPP printer's.
    pcapxx::layers::Ppp ppp;
    if (text::decode(ppp, p.payload) && (ppp.protocol == 0x0021 || ppp.protocol == 0x0057)) {
      const auto header = static_cast<std::uint32_t>(ppp.contents.size());
      return {Result::Then::inner, ppp.protocol == 0x0021 ? pcapxx::layers::LayerType::ipv4 : pcapxx::layers::LayerType::ipv6,
              ppp.payload, declared > header ? declared - header : 0};
    }
    return {Result::Then::inner, pcapxx::layers::LayerType::ppp, p.payload, declared};
  }
  pcapxx::layers::PppoeTagReader reader(p.tags());
  pcapxx::layers::PppoeTag tag;
  while (reader.next(tag)) put_tag(out, tag.type, tag.value);
  // A tag list cut by the capture (shorter than the PPPoE length says) ends with the marker.
  if (reader.malformed() || p.payload.size() < p.length) out.truncated("pppoe");
  return {};
}

}  // namespace pxdump::printers
