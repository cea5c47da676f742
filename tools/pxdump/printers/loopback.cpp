// DLT_NULL / DLT_LOOP: a 4-byte address family; tcpdump shows it only with -e ("AF IPv4 (2),
// length N: ").
#include "printers/core.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

namespace {

/// Address families of the systems that write these captures (BSD socket.h values).
std::string_view family_name(std::uint32_t f) {
  switch (f) {
    case 2: return "IPv4";
    case 24: case 28: case 30: return "IPv6";
    case 7: return "OSI";
    case 16: return "Appletalk";
    case 23: return "Novell";
    default: return "Unknown";
  }
}

}  // namespace

void print_loopback(Context& ctx, std::size_t index, std::uint32_t length) {
  const auto& l = *ctx.layers[index].as<Loopback>();
  ctx.link_header_length = Loopback::kHeaderLength;
  if (l.family == 0 && l.ethertype != 0) {
    // Our decode reads a big-endian "prefix, EtherType" header here; tcpdump takes all four
    // bytes as a family it does not know and dumps the rest, with or without -e.
    // With -q the name alone, and no dump.
    const std::uint32_t family = std::uint32_t{l.prefix} << 16 | l.ethertype;
    if (ctx.out.flags.quiet) return ctx.out.put("Unknown AF {}, length {}: ", family, length);
    ctx.out.put("AF Unknown ({}), length {}: ", family, length);
    if (!ctx.out.flags.suppress_default_print) hex_dump(ctx.out, ctx.layers[index].payload(), true);
    return;
  }
  if (ctx.out.flags.link_header && ctx.out.flags.quiet) {
    const auto name = family_name(l.family);
    if (name == "Unknown") ctx.out.put("Unknown AF {}, length {}: ", l.family, length);
    else ctx.out.put("{}, length {}: ", name, length);
  } else if (ctx.out.flags.link_header) {
    ctx.out.put("AF {} ({}), length {}: ", family_name(l.family), l.family, length);
  }
  print_from(ctx, index + 1, length >= 4 ? length - 4 : 0);
}

}  // namespace pxdump::printers
