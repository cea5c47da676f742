// ICMPv4 (RFC 792; router discovery RFC 1256; address mask RFC 950) as tcpdump 4.99 prints it:
// "ICMP echo request, id 1, seq 2, length 64"; at -v a checksum complaint and, for error
// messages, the quoted datagram after "\n\t" and then any RFC 4884 extension objects (RFC 4950
// MPLS label stack decoded, other objects in hex). Texts observed by running tcpdump.
#include <algorithm>
#include <array>

#include "pcapxx/layers/icmp.hpp"
#include "pcapxx/layers/ipv4.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

using text::be16;
using text::be32;
using text::u8;

constexpr std::uint8_t kEchoReply = 0, kUnreachable = 3, kSourceQuench = 4, kRedirect = 5, kEcho = 8,
                       kRouterAdvert = 9, kRouterSolicit = 10, kTimeExceeded = 11, kParamProblem = 12,
                       kTimestamp = 13, kTimestampReply = 14, kInfoRequest = 15, kInfoReply = 16,
                       kMaskRequest = 17, kMaskReply = 18;

bool is_error(std::uint8_t type) noexcept {
  return type == kUnreachable || type == kSourceQuench || type == kRedirect || type == kTimeExceeded ||
         type == kParamProblem;
}

// Milliseconds since midnight UT (RFC 792 timestamps) as "hh:mm:ss.mmm"; hours may pass 24.
void put_ms_time(Out& out, std::uint32_t ms) {
  out.put("{:02}:{:02}:{:02}.{:03}", ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
}

// The quoted datagram of an error message: what tcpdump reads of its IPv4 header (whatever its
// version field says) and the bytes after it, if captured.
struct Quoted {
  bool ok = false;
  struct {
    std::uint8_t protocol = 0;
    struct {
      std::array<std::uint8_t, 4> bytes{};
    } dst;
  } ip;
  std::span<const std::byte> after;  // bytes after the quoted IP header
};

Quoted quoted(std::span<const std::byte> body) {
  Quoted q;
  if (body.size() < 20) return q;
  q.ok = true;
  q.ip.protocol = u8(body.data() + 9);
  for (std::size_t i = 0; i < 4; ++i) q.ip.dst.bytes[i] = u8(body.data() + 16 + i);
  const std::size_t header = std::size_t{u8(body.data()) & 0x0fu} * 4;
  q.after = body.subspan(std::min(body.size(), header));
  return q;
}

// Prints the type-specific text; false when the bytes it needs were not captured.
bool print_body(Out& out, const Names& names, const pcapxx::layers::Icmpv4& h, std::span<const std::byte> bytes) {
  const auto body = bytes.size() > 8 ? bytes.subspan(8) : std::span<const std::byte>{};
  switch (h.type) {
    case kEchoReply:
    case kEcho:
      out.put("ICMP echo {}, id {}, seq {}", h.type == kEcho ? "request" : "reply", h.id(), h.sequence());
      return true;
    case kUnreachable: {
      const Quoted q = quoted(body);
      if (!q.ok) {
        out.put("ICMP");
        return false;
      }
      out.put("ICMP ");
      auto addr = [&] { text::ipv4(out, names, reinterpret_cast<const std::byte*>(q.ip.dst.bytes.data())); };
      switch (h.code) {
        case 0: out.put("net "); addr(); out.put(" unreachable"); break;
        case 1: out.put("host "); addr(); out.put(" unreachable"); break;
        case 2: addr(); out.put(" protocol {} unreachable", q.ip.protocol); break;
        case 3: {
          if (q.after.size() < 4) return false;
          const std::uint16_t dport = be16(q.after.data() + 2);
          addr();
          if (q.ip.protocol == 6) {
            out.put(" tcp port ");
            text::port(out, names, true, dport);
          } else if (q.ip.protocol == 17) {
            out.put(" udp port ");
            text::port(out, names, false, dport);
          } else {
            out.put(" protocol {} port {}", q.ip.protocol, dport);
          }
          out.put(" unreachable");
          break;
        }
        case 4: {
          const std::uint16_t mtu = static_cast<std::uint16_t>(h.rest);
          addr();
          if (mtu != 0) out.put(" unreachable - need to frag (mtu {})", mtu);
          else out.put(" unreachable - need to frag");
          break;
        }
        case 5: addr(); out.put(" unreachable - source route failed"); break;
        case 6: out.put("net "); addr(); out.put(" unreachable - unknown"); break;
        case 7: out.put("host "); addr(); out.put(" unreachable - unknown"); break;
        case 8: addr(); out.put(" unreachable - source host isolated"); break;
        case 9: out.put("net "); addr(); out.put(" unreachable - admin prohibited"); break;
        case 10: out.put("host "); addr(); out.put(" unreachable - admin prohibited"); break;
        case 11: out.put("net "); addr(); out.put(" unreachable - tos prohibited"); break;
        case 12: out.put("host "); addr(); out.put(" unreachable - tos prohibited"); break;
        case 13: out.put("host "); addr(); out.put(" unreachable - admin prohibited filter"); break;
        case 14: out.put("host "); addr(); out.put(" unreachable - host precedence violation"); break;
        case 15: out.put("host "); addr(); out.put(" unreachable - precedence cutoff"); break;
        default: addr(); out.put(" unreachable - #{}", h.code); break;
      }
      return true;
    }
    case kSourceQuench:
      out.put("ICMP source quench");
      return true;
    case kRedirect: {
      const Quoted q = quoted(body);
      if (!q.ok) {
        out.put("ICMP");
        return false;
      }
      out.put("ICMP ");
      if (h.code < 4) out.put(h.code >= 2 ? "redirect-tos " : "redirect ");
      else out.put("redirect-#{} ", h.code);
      text::ipv4(out, names, reinterpret_cast<const std::byte*>(q.ip.dst.bytes.data()));
      out.put(h.code < 4 ? (h.code % 2 == 0 ? " to net " : " to host ") : " to ");
      text::ipv4(out, names, bytes.data() + 4);
      return true;
    }
    case kRouterAdvert: {
      const std::uint8_t count = u8(bytes.data() + 4);
      const std::uint8_t size = u8(bytes.data() + 5);
      const std::uint16_t lifetime = be16(bytes.data() + 6);
      out.put("ICMP router advertisement lifetime ");
      if (lifetime < 60) out.put("{}", lifetime);
      else if (lifetime < 3600) out.put("{}:{:02}", lifetime / 60, lifetime % 60);
      else out.put("{}:{:02}:{:02}", lifetime / 3600, lifetime / 60 % 60, lifetime % 60);
      out.put(" {}:", count);
      if (size != 2) {
        out.put(" [size {}]", size);
        return true;
      }
      for (std::size_t i = 0; i < count; ++i) {
        if (body.size() < (i + 1) * 8) return false;
        out.put(" {");
        text::ipv4(out, names, body.data() + i * 8);
        out.put(" {}}}", be32(body.data() + i * 8 + 4));
      }
      return true;
    }
    case kRouterSolicit:
      out.put("ICMP router solicitation");
      return true;
    case kTimeExceeded:
      switch (h.code) {
        case 0: out.put("ICMP time exceeded in-transit"); break;
        case 1: out.put("ICMP ip reassembly time exceeded"); break;
        default: out.put("ICMP time exceeded-#{}", h.code); break;
      }
      return true;
    case kParamProblem:
      if (h.code == 0) out.put("ICMP parameter problem - octet {}", u8(bytes.data() + 4));
      else out.put("ICMP parameter problem - code {}", h.code);
      return true;
    case kTimestamp:
      out.put("ICMP time stamp query id {} seq {}", h.id(), h.sequence());
      return true;
    case kTimestampReply:
      out.put("ICMP time stamp reply id {} seq {}: org ", h.id(), h.sequence());
      if (body.size() < 12) return false;
      put_ms_time(out, be32(body.data()));
      out.put(", recv ");
      put_ms_time(out, be32(body.data() + 4));
      out.put(", xmit ");
      put_ms_time(out, be32(body.data() + 8));
      return true;
    case kInfoRequest:
      out.put("ICMP information request");
      return true;
    case kInfoReply:
      out.put("ICMP information reply");
      return true;
    case kMaskRequest:
      out.put("ICMP address mask request");
      return true;
    case kMaskReply:
      if (body.size() < 4) {
        out.put("ICMP");
        return false;
      }
      out.put("ICMP address mask is 0x{:08x}", be32(body.data()));
      return true;
    default:
      out.put("ICMP type-#{}", h.type);
      return true;
  }
}

// RFC 4884 4: an extension structure may follow the original datagram of these messages, which
// is then padded to 128 bytes; the structure starts 8 + 128 bytes into the ICMP message.
bool may_carry_extension(std::uint8_t type) noexcept {
  return type == kUnreachable || type == kTimeExceeded || type == kParamProblem;
}
constexpr std::uint32_t kExtensionOffset = 8 + 128;

std::string_view extension_object_name(std::uint8_t class_num) noexcept {
  switch (class_num) {
    case 1: return "MPLS Stack Entry";  // RFC 4950
    case 2: return "Extended Payload";
    default: return "unknown";
  }
}

// The RFC 4884 extension structure: a 4-byte header (version, checksum) and objects, each with a
// 4-byte header (length, class, C-type). `message`: the ICMP message from its type byte on as
// captured; `length`: its length as the IP header declares. Printed after the quoted datagram.
void print_extension(Out& out, std::span<const std::byte> message, std::uint32_t length) {
  if (message.size() < kExtensionOffset + 4) {
    out.truncated("icmp");
    return;
  }
  const std::uint32_t ext_length = length - kExtensionOffset;
  const bool ext_captured = message.size() >= std::size_t{kExtensionOffset} + ext_length;
  const auto ext = message.subspan(kExtensionOffset, std::min<std::size_t>(ext_length, message.size() - kExtensionOffset));
  // Senders from before RFC 4884 leave the length field (RFC 4884 3.1) at 0; then only a valid
  // checksum shows that an extension is there at all.
  if (u8(message.data() + 5) == 0 && ext_captured && text::internet_checksum(ext) != 0) return;
  const unsigned version = u8(ext.data()) >> 4;
  out.put("\n\tICMP Multi-Part extension v{}", version);
  if (version != 2) {
    out.put(" packet not supported");
    return;
  }
  if (ext_captured)
    out.put(", checksum 0x{:04x} ({}correct), length {}", be16(ext.data() + 2),
            text::internet_checksum(ext) != 0 ? "in" : "", ext_length);
  std::uint32_t left = ext_length >= 4 ? ext_length - 4 : 0;  // an IP length cutting the header
  std::size_t at = 4;
  while (left > 4) {
    if (at + 4 > ext.size()) {
      out.truncated("icmp");
      return;
    }
    const std::uint16_t object_length = be16(ext.data() + at);
    const std::uint8_t class_num = u8(ext.data() + at + 2);
    const std::uint8_t c_type = u8(ext.data() + at + 3);
    out.put("\n\t  {} Object ({}), Class-Type: {}, length {}", extension_object_name(class_num), class_num, c_type,
            object_length);
    at += 4;
    left -= 4;
    // A zero class or a length shorter than the object header would never advance.
    if (class_num == 0 || object_length < 4) return;
    const std::uint32_t data_length = object_length - 4u;
    const auto data = ext.subspan(at, std::min<std::size_t>(data_length, ext.size() - at));
    if (class_num == 1 && c_type == 1) {
      // RFC 4950 2.1: one label stack entry (RFC 3032) per 4 bytes; tcpdump shows the first.
      if (data.size() < 4) {
        out.truncated("icmp");
        return;
      }
      const std::uint32_t entry = be32(data.data());
      out.put("\n\t    label {}, tc {}", entry >> 12, (entry >> 9) & 7u);
      if ((entry & 0x100u) != 0) out.put(", [S]");
      out.put(", ttl {}", entry & 0xffu);
    } else {
      text::hex_lines(out, data, "\n\t    ");
    }
    if (left < data_length) return;
    left -= data_length;
    at += data_length;
  }
}

}  // namespace

Result print_icmp(Out& out, const Names& names, std::span<const std::byte> bytes, std::uint32_t length,
                const IpHeader& ip) {
  // tcpdump composes the whole text first: a message cut short shows only the marker.
  pcapxx::layers::Icmpv4 h;
  const std::size_t start = out.buf.size();
  // What each type needs captured: type and code for the messages without fields, the
  // header for the others, and the quoted IP header for error messages.
  std::size_t need = 8;
  if (bytes.size() >= 1) {
    const std::uint8_t type = u8(bytes.data());
    if (type == kRouterSolicit || type == kInfoRequest || type == kInfoReply || type == kMaskRequest ||
        (type > kMaskReply || (type > kEcho && type < kRouterAdvert) || type == 1 || type == 2 || type == 6 ||
         type == 7))
      need = 2;
    if (is_error(type)) need = 8 + 20;
  }
  bool ok = bytes.size() >= need;
  if (ok && !text::decode(h, bytes)) {
    // Only type and code are needed and captured: the layer wants the 8-byte header.
    h.type = u8(bytes.data());
    h.code = u8(bytes.data() + 1);
  }
  if (!ok || !print_body(out, names, h, bytes)) {
    out.buf.resize(start);
    out.truncated("icmp");
    return {};
  }
  out.put(", length {}", length);
  if (out.flags.verbose == 0) return {};
  if (!ip.fragmented && bytes.size() >= length && length >= 8) {
    const auto message = bytes.first(length);
    const std::uint16_t computed = text::internet_checksum(message);
    if (computed != 0)
      out.put(" (wrong icmp cksum {:x} (->{:x})!)", h.checksum, text::checksum_should_be(h.checksum, computed));
  }
  const bool extension = length > kExtensionOffset && may_carry_extension(h.type);
  if (is_error(h.type) && bytes.size() > 8) {
    out.put("\n\t");
    // The quoted datagram is printed with its own total length (it is usually cut short on
    // purpose, RFC 792: "Internet Header + 64 bits"), as tcpdump does.
    // tcpdump ends the capture it shows at the quoted total length: a length field not captured,
    // or one too short to hold itself, ends the packet with ICMP's marker.
    const std::uint32_t quoted_length = bytes.size() >= 8 + 4 ? text::be16(bytes.data() + 8 + 2) : 0;
    if (quoted_length < 4) {
      out.truncated("icmp");
      return {};
    }
    const auto quoted = bytes.subspan(8);
    Result r{Result::Then::inner, pcapxx::layers::LayerType::ipv4,
             quoted.first(std::min<std::size_t>(quoted.size(), quoted_length)), quoted_length};
    if (extension) {
      r.after = print_extension;
      r.after_bytes = bytes;
      r.after_length = length;
    }
    return r;
  }
  if (extension) print_extension(out, bytes, length);
  return {};
}

}  // namespace pxdump::printers
