// Parsing and building pxsend --frame descriptions (grammar in frame_spec.hpp and docs/pxsend.md).
#include "frame_spec.hpp"

#include <cctype>
#include <charconv>
#include <optional>
#include <variant>

#include <fmt/format.h>

#include "pcapxx/layers/ethernet.hpp"
#include "pcapxx/layers/ipv4.hpp"
#include "pcapxx/layers/ipv6.hpp"
#include "pcapxx/layers/payload.hpp"
#include "pcapxx/layers/serialize.hpp"
#include "pcapxx/layers/tcp.hpp"
#include "pcapxx/layers/udp.hpp"
#include "pcapxx/layers/vlan.hpp"

namespace pxsend {

namespace {

using pcapxx::Errc;
using pcapxx::Result;
namespace L = pcapxx::layers;

struct Arg {
  std::string key;    // empty for a bare value
  std::string value;
  std::size_t column = 0;
};

struct ParsedLayer {
  std::string name;
  std::size_t column = 0;
  std::vector<Arg> args;
};

std::unexpected<pcapxx::Error> at(std::size_t column, std::string message) {
  auto e = pcapxx::fail(Errc::invalid_argument, fmt::format("frame column {}: {}", column, message));
  e.error().column = static_cast<std::uint32_t>(column);
  return e;
}

Result<std::vector<ParsedLayer>> parse(std::string_view text) {
  std::vector<ParsedLayer> out;
  std::size_t i = 0;
  auto col = [&] { return i + 1; };
  auto skip_space = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  };
  while (true) {
    skip_space();
    ParsedLayer layer;
    layer.column = col();
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) layer.name += text[i++];
    if (layer.name.empty()) return at(col(), "expected a layer name (eth, vlan, ipv4, ipv6, udp, tcp, payload)");
    skip_space();
    if (i < text.size() && text[i] == '(') {
      ++i;
      skip_space();
      if (i < text.size() && text[i] == ')') {
        ++i;
      } else {
        while (true) {
          skip_space();
          Arg a;
          a.column = col();
          std::string word;
          while (i < text.size() && text[i] != '=' && text[i] != ',' && text[i] != ')') word += text[i++];
          while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back()))) word.pop_back();
          if (i < text.size() && text[i] == '=') {
            ++i;
            a.key = word;
            skip_space();
            while (i < text.size() && text[i] != ',' && text[i] != ')') a.value += text[i++];
            while (!a.value.empty() && std::isspace(static_cast<unsigned char>(a.value.back()))) a.value.pop_back();
          } else {
            a.value = word;
          }
          if (a.value.empty()) return at(a.column, fmt::format("empty value in {}(...)", layer.name));
          layer.args.push_back(std::move(a));
          if (i >= text.size()) return at(col(), fmt::format("missing ')' after the fields of {}", layer.name));
          if (text[i] == ')') {
            ++i;
            break;
          }
          ++i;  // ','
        }
      }
    }
    out.push_back(std::move(layer));
    skip_space();
    if (i >= text.size()) break;
    if (text[i] != '/') return at(col(), fmt::format("expected '/' between layers, found '{}'", text[i]));
    ++i;
  }
  return out;
}

Result<std::uint64_t> number(const Arg& a, std::uint64_t max) {
  std::string_view v = a.value;
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    v.remove_prefix(2);
    base = 16;
  }
  std::uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x, base);
  if (ec != std::errc{} || p != v.data() + v.size()) return at(a.column, fmt::format("'{}' is not a number", a.value));
  if (x > max) return at(a.column, fmt::format("{} is larger than {} for {}", a.value, max, a.key));
  return x;
}

Result<L::MacAddress> mac(const Arg& a) {
  L::MacAddress m;
  std::string_view v = a.value;
  for (std::size_t k = 0; k < 6; ++k) {
    if (v.size() < 2) return at(a.column, fmt::format("'{}' is not a MAC address (aa:bb:cc:dd:ee:ff)", a.value));
    unsigned x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + 2, x, 16);
    if (ec != std::errc{} || p != v.data() + 2) {
      return at(a.column, fmt::format("'{}' is not a MAC address (aa:bb:cc:dd:ee:ff)", a.value));
    }
    m.bytes[k] = static_cast<std::uint8_t>(x);
    v.remove_prefix(2);
    if (k < 5) {
      if (v.empty() || (v[0] != ':' && v[0] != '-')) return at(a.column, fmt::format("'{}' is not a MAC address", a.value));
      v.remove_prefix(1);
    }
  }
  if (!v.empty()) return at(a.column, fmt::format("'{}' is not a MAC address", a.value));
  return m;
}

Result<std::vector<std::byte>> hex_bytes(const Arg& a) {
  std::string_view v = a.value;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) v.remove_prefix(2);
  if (v.size() % 2 != 0) return at(a.column, fmt::format("hex '{}' has an odd number of digits", a.value));
  std::vector<std::byte> out;
  for (std::size_t k = 0; k < v.size(); k += 2) {
    unsigned x = 0;
    auto [p, ec] = std::from_chars(v.data() + k, v.data() + k + 2, x, 16);
    if (ec != std::errc{} || p != v.data() + k + 2) return at(a.column, fmt::format("'{}' is not hex", a.value));
    out.push_back(static_cast<std::byte>(x));
  }
  return out;
}

std::unexpected<pcapxx::Error> unknown_field(const Arg& a, std::string_view layer, std::string_view known) {
  if (a.key.empty()) return at(a.column, fmt::format("{} takes key=value fields ({})", layer, known));
  return at(a.column, fmt::format("unknown field '{}' for {} ({})", a.key, layer, known));
}

// One layer with what it needs to be serialized; the payload keeps its bytes here.
struct PayloadLayer {
  std::vector<std::byte> bytes;
  L::Payload layer;
};
using AnyLayer = std::variant<L::Ethernet, L::Dot1Q, L::Ipv4, L::Ipv6, L::Udp, L::Tcp, PayloadLayer>;

// The value an outer layer's type field takes when `next` follows it.
std::optional<std::uint16_t> ethertype_of(const ParsedLayer& next) {
  if (next.name == "vlan") return 0x8100;
  if (next.name == "ipv4") return 0x0800;
  if (next.name == "ipv6") return 0x86dd;
  return std::nullopt;
}
std::optional<std::uint8_t> protocol_of(const ParsedLayer& next) {
  if (next.name == "udp") return 17;
  if (next.name == "tcp") return 6;
  if (next.name == "ipv4") return 4;
  if (next.name == "ipv6") return 41;
  return std::nullopt;
}

#define PXSEND_TRY(var, expr)                        \
  auto var##_r = (expr);                             \
  if (!var##_r) return std::unexpected(var##_r.error()); \
  auto var = *var##_r

Result<AnyLayer> make_layer(const ParsedLayer& p, const ParsedLayer* next) {
  if (p.name == "eth") {
    L::Ethernet e;
    e.dst.bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    e.ethertype = next ? ethertype_of(*next).value_or(0x88b5) : 0x88b5;
    for (const Arg& a : p.args) {
      if (a.key == "dst") { PXSEND_TRY(m, mac(a)); e.dst = m; }
      else if (a.key == "src") { PXSEND_TRY(m, mac(a)); e.src = m; }
      else if (a.key == "type") { PXSEND_TRY(x, number(a, 0xffff)); e.ethertype = static_cast<std::uint16_t>(x); }
      else return unknown_field(a, "eth", "dst, src, type");
    }
    return e;
  }
  if (p.name == "vlan") {
    L::Dot1Q v;
    v.ethertype = next ? ethertype_of(*next).value_or(0x88b5) : 0x88b5;
    for (const Arg& a : p.args) {
      if (a.key == "id") { PXSEND_TRY(x, number(a, 4095)); v.vlan_id = static_cast<std::uint16_t>(x); }
      else if (a.key == "pcp") { PXSEND_TRY(x, number(a, 7)); v.priority = static_cast<std::uint8_t>(x); }
      else if (a.key == "dei") { PXSEND_TRY(x, number(a, 1)); v.drop_eligible = x != 0; }
      else if (a.key == "type") { PXSEND_TRY(x, number(a, 0xffff)); v.ethertype = static_cast<std::uint16_t>(x); }
      else return unknown_field(a, "vlan", "id, pcp, dei, type");
    }
    return v;
  }
  if (p.name == "ipv4") {
    L::Ipv4 ip;
    ip.protocol = next ? protocol_of(*next).value_or(253) : 253;
    ip.id = 1;  // non-zero, so a raw IP socket sends it unchanged
    for (const Arg& a : p.args) {
      if (a.key == "src" || a.key == "dst") {
        L::Ipv4Address addr;
        if (!L::Ipv4Address::parse(a.value, addr)) return at(a.column, fmt::format("'{}' is not an IPv4 address", a.value));
        (a.key == "src" ? ip.src : ip.dst) = addr;
      } else if (a.key == "ttl") { PXSEND_TRY(x, number(a, 255)); ip.ttl = static_cast<std::uint8_t>(x); }
      else if (a.key == "id") { PXSEND_TRY(x, number(a, 0xffff)); ip.id = static_cast<std::uint16_t>(x); }
      else if (a.key == "tos") { PXSEND_TRY(x, number(a, 255)); ip.tos = static_cast<std::uint8_t>(x); }
      else if (a.key == "proto") { PXSEND_TRY(x, number(a, 255)); ip.protocol = static_cast<std::uint8_t>(x); }
      else if (a.key == "df") { PXSEND_TRY(x, number(a, 1)); ip.flags = x ? L::Ipv4::kDontFragment : 0; }
      else return unknown_field(a, "ipv4", "src, dst, ttl, id, tos, proto, df");
    }
    return ip;
  }
  if (p.name == "ipv6") {
    L::Ipv6 ip;
    ip.next_header = next ? protocol_of(*next).value_or(59) : 59;  // 59: no next header
    for (const Arg& a : p.args) {
      if (a.key == "src" || a.key == "dst") {
        L::Ipv6Address addr;
        if (!L::Ipv6Address::parse(a.value, addr)) return at(a.column, fmt::format("'{}' is not an IPv6 address", a.value));
        (a.key == "src" ? ip.src : ip.dst) = addr;
      } else if (a.key == "hlim") { PXSEND_TRY(x, number(a, 255)); ip.hop_limit = static_cast<std::uint8_t>(x); }
      else if (a.key == "tc") { PXSEND_TRY(x, number(a, 255)); ip.traffic_class = static_cast<std::uint8_t>(x); }
      else if (a.key == "flow") { PXSEND_TRY(x, number(a, 0xfffff)); ip.flow_label = static_cast<std::uint32_t>(x); }
      else if (a.key == "nh") { PXSEND_TRY(x, number(a, 255)); ip.next_header = static_cast<std::uint8_t>(x); }
      else return unknown_field(a, "ipv6", "src, dst, hlim, tc, flow, nh");
    }
    return ip;
  }
  if (p.name == "udp") {
    L::Udp u;
    for (const Arg& a : p.args) {
      if (a.key == "sport") { PXSEND_TRY(x, number(a, 0xffff)); u.src_port = static_cast<std::uint16_t>(x); }
      else if (a.key == "dport") { PXSEND_TRY(x, number(a, 0xffff)); u.dst_port = static_cast<std::uint16_t>(x); }
      else return unknown_field(a, "udp", "sport, dport");
    }
    return u;
  }
  if (p.name == "tcp") {
    L::Tcp t;
    t.window = 65535;
    for (const Arg& a : p.args) {
      if (a.key == "sport") { PXSEND_TRY(x, number(a, 0xffff)); t.src_port = static_cast<std::uint16_t>(x); }
      else if (a.key == "dport") { PXSEND_TRY(x, number(a, 0xffff)); t.dst_port = static_cast<std::uint16_t>(x); }
      else if (a.key == "seq") { PXSEND_TRY(x, number(a, 0xffffffff)); t.seq = static_cast<std::uint32_t>(x); }
      else if (a.key == "ack") { PXSEND_TRY(x, number(a, 0xffffffff)); t.ack = static_cast<std::uint32_t>(x); }
      else if (a.key == "win") { PXSEND_TRY(x, number(a, 0xffff)); t.window = static_cast<std::uint16_t>(x); }
      else if (a.key == "flags") {
        std::uint16_t f = 0;
        for (char c : a.value) {
          switch (c) {
            case 'F': f |= L::Tcp::kFin; break;
            case 'S': f |= L::Tcp::kSyn; break;
            case 'R': f |= L::Tcp::kRst; break;
            case 'P': f |= L::Tcp::kPsh; break;
            case 'A': f |= L::Tcp::kAck; break;
            case 'U': f |= L::Tcp::kUrg; break;
            case 'E': f |= L::Tcp::kEce; break;
            case 'C': f |= L::Tcp::kCwr; break;
            default: return at(a.column, fmt::format("TCP flag '{}' is not one of FSRPAUEC", c));
          }
        }
        t.flags = f;
      } else return unknown_field(a, "tcp", "sport, dport, seq, ack, win, flags");
    }
    return t;
  }
  if (p.name == "payload") {
    PayloadLayer pl;
    std::optional<std::size_t> len;
    std::uint8_t fill = 0;
    bool fill_set = false;
    for (const Arg& a : p.args) {
      if (a.key == "hex" || (a.key.empty() && a.value.starts_with("0x"))) {
        PXSEND_TRY(b, hex_bytes(a));
        pl.bytes = std::move(b);
      } else if (a.key == "len" || a.key.empty()) {
        PXSEND_TRY(x, number(a, 65535));
        len = static_cast<std::size_t>(x);
      } else if (a.key == "fill") {
        PXSEND_TRY(x, number(a, 255));
        fill = static_cast<std::uint8_t>(x);
        fill_set = true;
      } else return unknown_field(a, "payload", "len, hex, fill");
    }
    if (len) {
      // len pads hex bytes (or truncates them); without fill the bytes count up from 0.
      std::size_t had = pl.bytes.size();
      pl.bytes.resize(*len);
      for (std::size_t k = had; k < *len; ++k) pl.bytes[k] = static_cast<std::byte>(fill_set ? fill : k & 0xff);
    }
    return pl;
  }
  return at(p.column, fmt::format("unknown layer '{}' (eth, vlan, ipv4, ipv6, udp, tcp, payload)", p.name));
}

#undef PXSEND_TRY

}  // namespace

Result<BuiltFrame> build_frame(std::string_view description) {
  auto parsed = parse(description);
  if (!parsed) return std::unexpected(parsed.error());
  std::vector<AnyLayer> stack;
  for (std::size_t k = 0; k < parsed->size(); ++k) {
    const ParsedLayer* next = k + 1 < parsed->size() ? &(*parsed)[k + 1] : nullptr;
    auto layer = make_layer((*parsed)[k], next);
    if (!layer) return std::unexpected(layer.error());
    if (std::holds_alternative<PayloadLayer>(*layer) && next) {
      return at(next->column, "nothing may follow payload");
    }
    stack.push_back(std::move(*layer));
  }
  for (auto& l : stack) {
    if (auto* pl = std::get_if<PayloadLayer>(&l)) pl->layer.contents = pl->bytes;
  }
  // As serialize_layers does for a fixed list: contexts outermost first, bytes innermost first.
  std::vector<L::SerializeContext> ctxs(stack.size());
  L::SerializeContext running{};
  for (std::size_t k = 0; k < stack.size(); ++k) {
    ctxs[k] = running;
    std::visit(
        [&](const auto& l) {
          using T = std::decay_t<decltype(l)>;
          if constexpr (!std::is_same_v<T, PayloadLayer>) L::detail::note_network(running, l);
        },
        stack[k]);
  }
  L::SerializeBuffer buf;
  const L::SerializeOptions opts{.fix_lengths = true, .compute_checksums = true};
  for (std::size_t k = stack.size(); k-- > 0;) {
    std::visit(
        [&](const auto& l) {
          using T = std::decay_t<decltype(l)>;
          if constexpr (std::is_same_v<T, PayloadLayer>) {
            l.layer.serialize(buf, opts, ctxs[k]);
          } else {
            l.serialize(buf, opts, ctxs[k]);
          }
        },
        stack[k]);
  }
  BuiltFrame out;
  out.bytes.assign(buf.bytes().begin(), buf.bytes().end());
  out.starts_with_ip = (*parsed)[0].name == "ipv4" || (*parsed)[0].name == "ipv6";
  return out;
}

}  // namespace pxsend
