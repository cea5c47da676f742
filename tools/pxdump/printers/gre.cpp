// GRE (RFC 2784/2890, RFC 1701 fields) and PPTP's enhanced GRE (RFC 2637 4.1) as tcpdump 4.99
// prints them: "GREv0, key=0x5, seq 6, length 48: " then the payload ("\n\t" at -v),
// "GREv1, call 24, seq 0, length 26: " then the PPP frame. Texts observed by running tcpdump.
#include "pcapxx/layers/gre.hpp"
#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

using text::be16;

void put_flags(Out& out, std::uint16_t word) {
  static constexpr std::pair<std::uint16_t, std::string_view> kNames[] = {
      {0x8000, "checksum present"}, {0x4000, "routing present"}, {0x2000, "key present"},
      {0x1000, "sequence# present"}, {0x0800, "strict source route"}, {0x0080, "ack present"}};
  out.put(", Flags [");
  bool any = false;
  for (const auto& [bit, name] : kNames) {
    if ((word & bit) == 0) continue;
    if (any) out.put(", ");
    out.put(name);
    any = true;
  }
  if (!any) out.put("none");
  out.put("]");
}

}  // namespace

Result print_gre(Out& out, const Names&, std::span<const std::byte> bytes, std::uint32_t length) {
  using pcapxx::layers::LayerType;
  // Fields are shown one by one as far as they were captured, as tcpdump does; the Gre layer
  // (which needs the whole header) is not used so that a cut header still shows its prefix.
  std::size_t at = 0;
  auto need = [&](std::size_t n) { return bytes.size() >= at + n; };
  if (!need(2)) {
    out.truncated("gre");
    return {};
  }
  const std::uint16_t word = be16(bytes.data());
  at = 2;
  const unsigned version = word & 7;
  out.put("GREv{}", version);
  if (version > 1) {
    out.put(" ERROR: unknown-version");
    return {};
  }
  if (out.flags.verbose > 0) put_flags(out, word);
  const bool c = (word & 0x8000) != 0, r = (word & 0x4000) != 0, k = (word & 0x2000) != 0,
             s = (word & 0x1000) != 0, a = (word & 0x0080) != 0;
  auto cut = [&] {
    out.truncated("gre");
    return Result{};
  };
  if (!need(2)) return cut();
  const std::uint16_t protocol = be16(bytes.data() + at);
  at += 2;
  const char* separator = out.flags.verbose > 0 ? "\n\t" : ": ";
  auto rest = [&] { return bytes.subspan(std::min(at, bytes.size())); };
  auto left = [&] { return length > at ? length - static_cast<std::uint32_t>(at) : 0u; };
  if (version == 1) {
    if (k) {
      if (!need(4)) return cut();
      out.put(", call {}", be16(bytes.data() + at + 2));
      at += 4;
    }
    if (s) {
      if (!need(4)) return cut();
      out.put(", seq {}", text::be32(bytes.data() + at));
      at += 4;
    }
    if (a) {
      if (!need(4)) return cut();
      out.put(", ack {}", text::be32(bytes.data() + at));
      at += 4;
    }
    if (!s) out.put(", no-payload");
    out.put(", length {}", length);
    if (!s) return {};
    out.put(separator);
    if (protocol == 0x880b) return {Result::Then::inner, LayerType::ppp, rest(), left()};
    out.put("gre-proto-0x{:x}", protocol);
    return {};
  }
  if (c || r) {
    if (!need(4)) return cut();
    if (out.flags.verbose > 0) out.put(", sum 0x{:x}", be16(bytes.data() + at));
    out.put(", off 0x{:x}", be16(bytes.data() + at + 2));
    at += 4;
  }
  if (k) {
    if (!need(4)) return cut();
    out.put(", key=0x{:x}", text::be32(bytes.data() + at));
    at += 4;
  }
  if (s) {
    if (!need(4)) return cut();
    out.put(", seq {}", text::be32(bytes.data() + at));
    at += 4;
  }
  if (r) {
    // RFC 1701 source route entries: address family, offset, length, then the route; a zero
    // length ends the list.
    pcapxx::layers::Gre g;
    if (!text::decode(g, bytes)) return cut();
    at = g.contents.size();
  }
  out.put(", length {}", length);
  out.put(separator);
  switch (protocol) {
    case 0x0800: return {Result::Then::inner, LayerType::ipv4, rest(), left()};
    case 0x86dd: return {Result::Then::inner, LayerType::ipv6, rest(), left()};
    case 0x6558: return {Result::Then::inner, LayerType::ethernet, rest(), left()};
    default: out.put("gre-proto-0x{:x}", protocol); return {};
  }
}

}  // namespace pxdump::printers
