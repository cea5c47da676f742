// TCP (RFC 9293), as tcpdump 4.99 prints it: "a.p > b.q: Flags [S.], cksum (with -v), seq, ack,
// win, urg, options [...], length N", sequence numbers relative to the connection's first
// ACK-carrying segment unless -S (tcp_state.hpp), "tcp N" with -q, and tcpdump's markers for
// truncated or malformed headers.
#include "printers/core.hpp"
#include "printers/tcp_state.hpp"

namespace pxdump::printers {

using namespace pcapxx::layers;

namespace {

std::uint16_t be16(const std::byte* p) {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) << 8 | std::to_integer<unsigned>(p[1]));
}
std::uint32_t be32(const std::byte* p) { return std::uint32_t{be16(p)} << 16 | be16(p + 2); }

void put_flags(Out& out, std::uint16_t f) {
  out.put("Flags [");
  const auto start = out.buf.size();
  if (f & Tcp::kFin) out.buf.push_back('F');
  if (f & Tcp::kSyn) out.buf.push_back('S');
  if (f & Tcp::kRst) out.buf.push_back('R');
  if (f & Tcp::kPsh) out.buf.push_back('P');
  if (f & Tcp::kAck) out.buf.push_back('.');
  if (f & Tcp::kUrg) out.buf.push_back('U');
  if (f & Tcp::kEce) out.buf.push_back('E');
  if (f & Tcp::kCwr) out.buf.push_back('W');
  if (out.buf.size() == start) out.put("none");
  out.put("]");
}

/// The connection key in tcpdump's order: addresses compared bytewise, then ports.
TcpSequenceTable::Key make_key(const Context& ctx, std::uint16_t sport, std::uint16_t dport, bool& rev) {
  TcpSequenceTable::Key k;
  const std::uint8_t* src;
  const std::uint8_t* dst;
  std::size_t n;
  if (ctx.ip6 != nullptr) {
    src = ctx.ip6->src.bytes.data();
    dst = ctx.ip6->dst.bytes.data();
    n = 16;
    k.family = 6;
  } else {
    src = ctx.ip4->src.bytes.data();
    dst = ctx.ip4->dst.bytes.data();
    n = 4;
  }
  const int c = std::memcmp(src, dst, n);
  rev = c > 0 || (c == 0 && sport > dport);
  if (rev) {
    std::memcpy(k.lo.data(), dst, n);
    std::memcpy(k.hi.data(), src, n);
    k.ports = std::uint32_t{dport} << 16 | sport;
  } else {
    std::memcpy(k.lo.data(), src, n);
    std::memcpy(k.hi.data(), dst, n);
    k.ports = std::uint32_t{sport} << 16 | dport;
  }
  return k;
}

void print_options(Context& ctx, const Tcp& tcp, std::uint32_t base_seq, std::uint32_t base_ack, bool rev) {
  Out& out = ctx.out;
  out.put(", options [");
  OptionReader r = tcp.option_reader();
  bool first = true;
  for (Option o; r.next(o);) {
    if (!first) out.put(",");
    first = false;
    const auto& d = o.data;
    switch (o.kind) {
      case 0: out.put("eol"); break;
      case 1: out.put("nop"); break;
      case 2:
        if (d.size() == 2) out.put("mss {}", be16(d.data()));
        else out.put("mss [bad opt]");
        break;
      case 3:
        if (d.size() == 1) out.put("wscale {}", std::to_integer<unsigned>(d[0]));
        else out.put("wscale [bad opt]");
        break;
      case 4: out.put("sackOK"); break;
      case 5: {
        out.put("sack {} ", d.size() / 8);
        for (std::size_t at = 0; at + 8 <= d.size(); at += 8) {
          std::uint32_t s = be32(d.data() + at);
          std::uint32_t e = be32(d.data() + at + 4);
          // SACK blocks acknowledge the other direction's data: relative to its base.
          if (!out.flags.absolute_seq) {
            const std::uint32_t b = rev ? base_seq : base_ack;
            s -= b;
            e -= b;
          }
          out.put("{{{}:{}}}", s, e);
        }
        break;
      }
      case 8:
        if (d.size() == 8) out.put("TS val {} ecr {}", be32(d.data()), be32(d.data() + 4));
        else out.put("TS [bad opt]");
        break;
      case 19: out.put("md5 shared secret not supplied with -M, can't check - "); for (auto b : d) out.put("{:02x}", std::to_integer<unsigned>(b)); break;
      case 30: out.put("mptcp"); break;
      case 34: out.put("tfo"); break;
      default:
        out.put("unknown-{}", o.kind);
        if (!d.empty()) {
          out.put(" 0x");
          for (auto b : d) out.put("{:02x}", std::to_integer<unsigned>(b));
        }
        break;
    }
  }
  if (r.malformed()) out.put("{}[bad opt]", first ? "" : ",");
  out.put("]");
}

}  // namespace

void print_tcp_failed(Context& ctx, std::span<const std::byte> bytes, std::uint32_t length) {
  // The header did not decode (short capture, or a data offset past the segment).
  Out& out = ctx.out;
  if (bytes.size() < 4) {
    if (ctx.ip4 != nullptr) ctx.resolver.ipv4(out, ctx.ip4->src);
    else if (ctx.ip6 != nullptr) ctx.resolver.ipv6(out, ctx.ip6->src);
    out.put(" > ");
    if (ctx.ip4 != nullptr) ctx.resolver.ipv4(out, ctx.ip4->dst);
    else if (ctx.ip6 != nullptr) ctx.resolver.ipv6(out, ctx.ip6->dst);
    out.put(": [|tcp]");
    return;
  }
  print_transport_addresses(ctx, be16(bytes.data()), be16(bytes.data() + 2), false);
  if (bytes.size() < 20) return out.put(" [|tcp]");
  const std::uint32_t hl = (std::to_integer<std::uint32_t>(bytes[12]) >> 4) * 4;
  if (hl < 20) {
    out.put("tcp {} [bad hdr length {} - too short, < 20]", length - hl, hl);  // unsigned, as tcpdump
    return;
  }
  if (out.flags.quiet) {
    out.put("tcp {}", length - hl);  // wraps below zero, as tcpdump's unsigned arithmetic does
  } else {
    put_flags(out, static_cast<std::uint16_t>((std::to_integer<unsigned>(bytes[12]) & 0x0f) << 8 |
                                              std::to_integer<unsigned>(bytes[13])));
  }
  if (hl > length) out.put(" [bad hdr length {} - too long, > {}]", hl, length);
  else out.put(" [|tcp]");
}

void print_tcp(Context& ctx, std::size_t index, std::uint32_t length) {
  const Layer& layer = ctx.layers[index];
  const auto& tcp = *layer.as<Tcp>();
  Out& out = ctx.out;
  print_transport_addresses(ctx, tcp.src_port, tcp.dst_port, false);
  const std::uint32_t hl = static_cast<std::uint32_t>(tcp.header_length());
  if (out.flags.quiet) {
    out.put("tcp {}", length - hl);  // wraps below zero, as tcpdump's unsigned arithmetic does
    if (hl > length) out.put(" [bad hdr length {} - too long, > {}]", hl, length);
    return;
  }
  put_flags(out, tcp.flags);
  if (hl > length) {
    out.put(" [bad hdr length {} - too long, > {}]", hl, length);
    return;
  }
  std::uint32_t seq = tcp.seq;
  std::uint32_t ack = tcp.ack;
  std::uint32_t base_seq = 0, base_ack = 0;
  bool rev = false;
  if (!out.flags.absolute_seq && (ctx.ip4 != nullptr || ctx.ip6 != nullptr)) {
    const auto key = make_key(ctx, tcp.src_port, tcp.dst_port, rev);
    if (tcp.flags & Tcp::kAck) {
      bool created = false;
      auto& b = ctx.tcp_state.find(key, created);
      if (created || (tcp.flags & Tcp::kSyn)) {
        if (rev) {
          b.ack = seq;
          b.seq = ack - 1;
        } else {
          b.seq = seq;
          b.ack = ack - 1;
        }
      } else if (rev) {
        seq -= b.ack;
        ack -= b.seq;
      } else {
        seq -= b.seq;
        ack -= b.ack;
      }
      base_seq = b.seq;
      base_ack = b.ack;
    }
  }
  const std::uint32_t data_len = length - hl;
  if (out.flags.verbose > 0 && !out.flags.no_checksum && !ctx.fragmented &&
      (ctx.ip4 != nullptr || ctx.ip6 != nullptr)) {
    const auto whole = ctx.packet.data().subspan(layer.offset);
    if (whole.size() >= length) {
      const std::uint32_t sum = checksum_add(whole.first(length), pseudo_header_sum(ctx, 6, length));
      const std::uint16_t computed = checksum_fold(sum);
      out.put(", cksum 0x{:04x}", tcp.checksum);
      if (computed != 0) out.put(" (incorrect -> 0x{:04x})", checksum_should_be(tcp.checksum, computed));
      else out.put(" (correct)");
    }
  }
  if (out.flags.verbose > 1 || data_len > 0 || (tcp.flags & (Tcp::kSyn | Tcp::kFin | Tcp::kRst))) {
    out.put(", seq {}", seq);
    if (data_len > 0) out.put(":{}", seq + data_len);
  }
  if (tcp.flags & Tcp::kAck) out.put(", ack {}", ack);
  out.put(", win {}", tcp.window);
  if (tcp.flags & Tcp::kUrg) out.put(", urg {}", tcp.urgent);
  if (hl > 20) print_options(ctx, tcp, base_seq, base_ack, rev);
  out.put(", length {}", data_len);
  if (data_len == 0) return;
  // Application protocols over TCP: DNS is part B's; others print nothing more here.
  if (index + 1 < ctx.layers.size() && ctx.layers[index + 1].type() == LayerType::dns) {
    out.put(": ");
    print_from(ctx, index + 1, data_len);
  }
}

}  // namespace pxdump::printers
