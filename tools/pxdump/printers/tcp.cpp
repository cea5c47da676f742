// TCP (RFC 9293), as tcpdump 4.99 prints it: "a.p > b.q: Flags [S.], cksum (with -v), seq, ack,
// win, urg, options [...], length N", sequence numbers relative to the connection's first
// ACK-carrying segment unless -S (tcp_state.hpp), "tcp N" with -q, and tcpdump's markers for
// truncated or malformed headers.
#include <algorithm>
#include <array>

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

/// The whole SACK blocks in d, as "{left:right}" each.
void print_option_sack_blocks(Out& out, std::span<const std::byte> d, std::uint32_t base_seq, std::uint32_t base_ack,
                              bool rev) {
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
}

/// One option's text (without the separator). `d` is the option's data after kind and length.
void print_option(Out& out, std::uint8_t kind, std::span<const std::byte> d, std::uint32_t base_seq,
                  std::uint32_t base_ack, bool rev) {
  switch (kind) {
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
    case 5:
      out.put("sack {} ", d.size() / 8);
      print_option_sack_blocks(out, d, base_seq, base_ack, rev);
      break;
    case 8:
      if (d.size() == 8) out.put("TS val {} ecr {}", be32(d.data()), be32(d.data() + 4));
      else out.put("TS [bad opt]");
      break;
    case 19: out.put("md5 shared secret not supplied with -M, can't check - "); for (auto b : d) out.put("{:02x}", std::to_integer<unsigned>(b)); break;
    case 30: out.put("mptcp"); break;
    case 34: out.put("tfo"); break;
    default:
      out.put("unknown-{}", kind);
      if (!d.empty()) {
        out.put(" 0x");
        for (auto b : d) out.put("{:02x}", std::to_integer<unsigned>(b));
      }
      break;
  }
}

/// tcpdump's option name, printed before it checks that the option's data was captured.
std::string_view option_name(std::uint8_t kind) {
  switch (kind) {
    case 0: return "eol";
    case 1: return "nop";
    case 2: return "mss";
    case 3: return "wscale";
    case 4: return "sackOK";
    case 5: return "sack";
    case 8: return "TS";
    case 19: return "md5";
    case 30: return "mptcp";
    case 34: return "tfo";
    default: return {};
  }
}

void print_options(Context& ctx, const Tcp& tcp, std::uint32_t base_seq, std::uint32_t base_ack, bool rev) {
  Out& out = ctx.out;
  out.put(", options [");
  OptionReader r = tcp.option_reader();
  bool first = true;
  for (Option o; r.next(o);) {
    if (!first) out.put(",");
    first = false;
    print_option(out, o.kind, o.data, base_seq, base_ack, rev);
  }
  if (r.malformed()) out.put("{}[bad opt]", first ? "" : ",");
  out.put("]");
}

/// Options of a header the capture ends in (`captured` of `declared` option bytes), as
/// tcpdump's loop prints them: whole options, then " [|tcp]" at the first byte it cannot read
/// (after the separator, or after the name of an option whose data is cut). Returns whether
/// the list ended (an EOL before the cut) and the segment's text goes on.
bool print_cut_options(Out& out, std::span<const std::byte> captured, std::size_t declared, std::uint32_t base_seq,
                       std::uint32_t base_ack, bool rev) {
  out.put(", options [");
  std::size_t at = 0;
  std::size_t left = declared;
  bool first = true;
  while (left > 0) {
    if (!first) out.put(",");
    first = false;
    if (at >= captured.size()) {
      out.truncated("tcp");
      return false;
    }
    const auto kind = std::to_integer<std::uint8_t>(captured[at]);
    std::size_t len = 1;
    if (kind > 1) {
      if (at + 1 >= captured.size()) {
        out.truncated("tcp");
        return false;
      }
      len = std::to_integer<std::size_t>(captured[at + 1]);
      if (len < 2 || len > left) {
        // tcpdump closes the list only after an option was printed.
        out.put("[bad opt]");
        if (at > 0) out.put("]");
        return false;
      }
    }
    if (at + len > captured.size()) {
      // What tcpdump prints of the option's data before the byte it cannot read: the whole
      // SACK blocks, the bytes of an option it shows in hex.
      const auto data = captured.subspan(at + 2);
      const auto name = option_name(kind);
      if (name.empty()) {
        out.put("unknown-{}", kind);
        if (len > 2) out.put(" 0x");
        for (auto b : data) out.put("{:02x}", std::to_integer<unsigned>(b));
      } else if (kind == 5) {
        out.put("sack {} ", (len - 2) / 8);
        print_option_sack_blocks(out, data, base_seq, base_ack, rev);
      } else {
        out.put(name);
      }
      // tcpdump's own bounds check ends with ">" once an option was printed before.
      out.truncated("tcp");
      if (at > 0) out.put(">");
      return false;
    }
    print_option(out, kind, captured.subspan(at + std::min<std::size_t>(len, 2), len - std::min<std::size_t>(len, 2)),
                 base_seq, base_ack, rev);
    at += len;
    left -= len;
    if (kind == 0) break;
  }
  out.put("]");
  return true;
}

}  // namespace

namespace {

/// Whether tcpdump 4.99's TCP port dispatch reaches DNS (port 53 on either side): the ports it
/// tries first (telnet, SMTP, whois, BGP, PPTP, Redis, SSH, NetBIOS, SMB, BEEP, OpenFlow, FTP,
/// HTTP, RTSP) take the segment before.
bool dns_over_tcp(std::uint16_t sport, std::uint16_t dport) {
  if (sport != 53 && dport != 53) return false;
  for (const std::uint16_t p : {sport, dport}) {
    switch (p) {
      case 21: case 22: case 23: case 25: case 43: case 80: case 139: case 179: case 445: case 554:
      case 1723: case 6379: case 6633: case 6653: case 8080: case 8554: case 10288:
        return false;
      default: break;
    }
  }
  return true;
}

/// DNS over TCP (RFC 1035 4.2.2): the 2-byte message length, then the message, which must
/// fill the segment; tcpdump prints the message as over UDP after a space.
void print_dns_over_tcp(Context& ctx, std::span<const std::byte> data, std::uint32_t length) {
  Out& out = ctx.out;
  if (length < 2) return out.put(" [DNS over TCP: length {} < 2] (invalid)", length);
  if (data.size() < 2) return out.truncated("domain");
  const std::uint32_t prefix = be16(data.data());
  if (prefix != length - 2) return out.put(" [prefix length({}) != length({})] (invalid)", prefix, length - 2);
  out.put(" ");
  print_dns(out, ctx.names, data.subspan(2), length - 2, false);
}

/// The segment's text from the flags on. `tcp` holds the fixed header; `hl` the header length
/// it announces; `whole` the captured bytes from the header on; `cut_options` the captured
/// option bytes when the capture ends inside the options (tcpdump stops at the cut with
/// "[|tcp]").
void print_segment(Context& ctx, const Tcp& tcp, std::uint32_t hl, std::span<const std::byte> whole,
                   std::uint32_t length, const std::span<const std::byte>* cut_options) {
  Out& out = ctx.out;
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
      (ctx.ip4 != nullptr || ctx.ip6 != nullptr) && whole.size() >= length) {
    const std::uint32_t sum = checksum_add(whole.first(length), pseudo_header_sum(ctx, 6, length));
    const std::uint16_t computed = checksum_fold(sum);
    out.put(", cksum 0x{:04x}", tcp.checksum);
    if (computed != 0) out.put(" (incorrect -> 0x{:04x})", checksum_should_be(tcp.checksum, computed));
    else out.put(" (correct)");
  }
  if (out.flags.verbose > 1 || data_len > 0 || (tcp.flags & (Tcp::kSyn | Tcp::kFin | Tcp::kRst))) {
    out.put(", seq {}", seq);
    if (data_len > 0) out.put(":{}", seq + data_len);
  }
  if (tcp.flags & Tcp::kAck) out.put(", ack {}", ack);
  out.put(", win {}", tcp.window);
  if (tcp.flags & Tcp::kUrg) out.put(", urg {}", tcp.urgent);
  if (cut_options != nullptr) {
    if (!print_cut_options(out, *cut_options, hl - 20, base_seq, base_ack, rev)) return;
  } else if (hl > 20) {
    print_options(ctx, tcp, base_seq, base_ack, rev);
  }
  out.put(", length {}", data_len);
  if (data_len == 0) return;
  if (whole.size() < hl) {
    // The options ended with EOL before the cut, in the header's padding.
    out.put(" [remaining caplen({}) < header length({})]", whole.size(), hl);
    return out.truncated("tcp");
  }
  // Application protocols over TCP: DNS is part B's; others print nothing more here.
  if (dns_over_tcp(tcp.src_port, tcp.dst_port)) print_dns_over_tcp(ctx, whole.subspan(std::min<std::size_t>(hl, whole.size())), data_len);
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
  // The capture ends inside the options: the fixed header decodes on its own (data offset 5 in
  // a copy), and the options print up to the cut.
  std::array<std::byte, 20> fixed{};
  std::copy_n(bytes.begin(), 20, fixed.begin());
  fixed[12] = std::byte{0x50} | (bytes[12] & std::byte{0x0f});
  Tcp tcp;
  const pcapxx::layers::DecodeContext decode{pcapxx::layers::Registry::builtin()};
  if (!tcp.decode(fixed, decode).ok()) return out.put(" [|tcp]");
  const auto options = bytes.subspan(20);
  print_segment(ctx, tcp, hl, bytes, length, &options);
}

void print_tcp(Context& ctx, std::size_t index, std::uint32_t length) {
  const Layer& layer = ctx.layers[index];
  const auto& tcp = *layer.as<Tcp>();
  print_transport_addresses(ctx, tcp.src_port, tcp.dst_port, false);
  print_segment(ctx, tcp, static_cast<std::uint32_t>(tcp.header_length()), ctx.packet.data().subspan(layer.offset),
                length, nullptr);
}

}  // namespace pxdump::printers
