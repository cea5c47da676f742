// Geneve (RFC 8926 3) as tcpdump 4.99 prints it: "Geneve, Flags [C], vni 0xa, options [8 bytes]"
// (the options one by one at -v), then ": " or, at -v, "\n\t" and the encapsulated packet.
#include "pcapxx/layers/geneve.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

constexpr std::uint16_t kTransparentEthernet = 0x6558;

std::string_view option_class_name(std::uint16_t c) noexcept {
  // IANA "Geneve Option Class" registry, as far as tcpdump names it.
  switch (c) {
    case 0x0000: return "Standard";
    case 0x0001: case 0x0002: case 0x0003: case 0x0004: case 0x0005: case 0x0006: return "Reserved";
    case 0x0100: return "Linux";
    case 0x0101: return "Open vSwitch";
    case 0x0102: return "Open Virtual Networking (OVN)";
    case 0x0103: return "In-band Network Telemetry (INT)";
    case 0x0104: return "VMware";
    case 0xffff: return "Experimental";
    default: return "Unknown";
  }
}

std::string_view ethertype_name(std::uint16_t t) noexcept {
  switch (t) {
    case 0x0800: return "IPv4";
    case 0x86dd: return "IPv6";
    case 0x0806: return "ARP";
    case 0x8100: return "802.1Q";
    case 0x6558: return "TEB";
    case 0x8847: return "MPLS unicast";
    default: return {};
  }
}

}  // namespace

Result print_geneve(Out& out, std::span<const std::byte> bytes, std::uint32_t length) {
  // Fields are shown as far as they were captured (tcpdump reads them one by one); the
  // options and the payload come from the Geneve layer.
  out.put("Geneve");
  if (bytes.size() < 8) {
    out.truncated("geneve");
    return {};
  }
  const std::uint8_t b0 = text::u8(bytes.data());
  const std::uint8_t b1 = text::u8(bytes.data() + 1);
  if ((b0 >> 6) != 0) {
    out.put(" [version {}]", b0 >> 6);
    return {};
  }
  out.put(", Flags [");
  const bool oam = (b1 & 0x80) != 0, critical = (b1 & 0x40) != 0;
  if (!oam && !critical) out.put("none");
  if (oam) out.put("O");
  if (critical) out.put(oam ? ", C" : "C");
  out.put("]");
  pcapxx::layers::Geneve g;
  out.put(", vni 0x{:x}", text::be24(bytes.data() + 4));
  if (!text::decode(g, bytes)) {
    out.truncated("geneve");
    return {};
  }
  // tcpdump names the payload protocol when it is not Ethernet, and always with -e.
  if (g.protocol != kTransparentEthernet || out.flags.link_header) {
    const auto name = ethertype_name(g.protocol);
    out.put(", proto {} (0x{:04x})", name.empty() ? "Unknown" : name, g.protocol);
  }
  if (!g.options.empty()) {
    if (out.flags.verbose == 0) {
      out.put(", options [{} bytes]", g.options.size());
    } else {
      out.put(", options [");
      pcapxx::layers::GeneveOptionReader reader(g.options);
      pcapxx::layers::GeneveOption o;
      bool first = true;
      while (reader.next(o)) {
        if (!first) out.put(", ");
        first = false;
        out.put("class {} (0x{:x}) type 0x{:x}{} len {}", option_class_name(o.option_class), o.option_class, o.type,
                (o.type & 0x80) != 0 ? "(C)" : "", o.data.size() + 4);
        if (!o.data.empty() && out.flags.verbose > 1) {
          out.put(" data");
          for (std::size_t i = 0; i + 4 <= o.data.size(); i += 4) out.put(" {:08x}", text::be32(o.data.data() + i));
        }
      }
      out.put("]");
    }
  }
  out.put(out.flags.verbose != 0 ? "\n\t" : ": ");
  const std::uint32_t header = 8 + static_cast<std::uint32_t>(g.options.size());
  using pcapxx::layers::LayerType;
  const LayerType next = g.protocol == kTransparentEthernet ? LayerType::ethernet
                         : g.protocol == 0x0800             ? LayerType::ipv4
                         : g.protocol == 0x86dd             ? LayerType::ipv6
                                                            : LayerType::none;
  if (next == LayerType::none) return {};
  return {Result::Then::inner, next, g.payload, length >= header ? length - header : 0};
}

}  // namespace pxdump::printers
