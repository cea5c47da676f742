// MPLS label stacks (RFC 3032), as tcpdump 4.99 prints them: "MPLS (label L, tc T[, [S]], ttl N)"
// per entry, then the payload after " " (or "\n\t" with -v) when it is IP, or the bytes.
#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

namespace {

/// Names of the reserved label values 0-15 (RFC 3032 2.1) as tcpdump 4.99 shows them with -v:
/// four named, the others "rsvd".
std::string_view reserved_label(std::uint32_t label) {
  switch (label) {
    case 0: return "IPv4 explicit NULL";
    case 1: return "router alert";
    case 2: return "IPv6 explicit NULL";
    case 3: return "implicit NULL";
    default: return label < 16 ? "rsvd" : std::string_view();
  }
}

}  // namespace

void print_mpls(Context& ctx, std::size_t index, std::uint32_t length) {
  const auto& m = *ctx.layers[index].as<Mpls>();
  Out& out = ctx.out;
  out.put("MPLS");
  const char* sep = out.flags.verbose > 0 ? "\n\t" : " ";
  for (std::size_t i = 0; i < m.label_count(); ++i) {
    const MplsEntry e = m.entry(i);
    out.put("{}(label {}", i == 0 ? " " : sep, e.label);
    if (const auto r = reserved_label(e.label); !r.empty() && out.flags.verbose > 0) out.put(" ({})", r);
    out.put(", tc {}{}, ttl {})", e.tc, e.bottom ? ", [S]" : "", e.ttl);
  }
  const std::uint32_t hl = static_cast<std::uint32_t>(4 * m.label_count());
  const std::uint32_t rest = length >= hl ? length - hl : 0;
  const std::size_t next = index + 1;
  if (next < ctx.layers.size() &&
      (ctx.layers[next].type() == LayerType::ipv4 || ctx.layers[next].type() == LayerType::ipv6)) {
    out.put("{}", sep);
    return print_from(ctx, next, rest);
  }
  if (next >= ctx.layers.size() && ctx.packet.error() != nullptr &&
      (ctx.packet.error()->layer == LayerType::ipv4 || ctx.packet.error()->layer == LayerType::ipv6)) {
    out.put("{}", sep);
    return print_from(ctx, next, rest);
  }
  if (out.flags.suppress_default_print) return;
  auto payload = ctx.layers[index].payload();
  hex_dump(out, payload, true);
}

}  // namespace pxdump::printers
