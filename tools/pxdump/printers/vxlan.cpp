// VXLAN (RFC 7348 5) as tcpdump 4.99 prints it: "VXLAN, flags [I] (0x08), vni 100" and the
// inner Ethernet frame on the next line.
#include "pcapxx/layers/vxlan.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

Result print_vxlan(Out& out, std::span<const std::byte> bytes, std::uint32_t length) {
  // A cut header shows the fields captured before the cut, as tcpdump does.
  out.put("VXLAN");
  if (bytes.size() < 1) {
    out.truncated("vxlan");
    return {};
  }
  const std::uint8_t flags = text::u8(bytes.data());
  out.put(", flags [{}] (0x{:02x}), ", (flags & 0x08) != 0 ? "I" : ".", flags);
  if (bytes.size() < 7) {
    out.truncated("vxlan");
    return {};
  }
  out.put("vni {}\n", text::be24(bytes.data() + 4));
  pcapxx::layers::Vxlan v;
  if (!text::decode(v, bytes)) {
    out.truncated("vxlan");
    return {};
  }
  return {Result::Then::inner, pcapxx::layers::LayerType::ethernet, v.payload, length >= 8 ? length - 8 : 0};
}

}  // namespace pxdump::printers
