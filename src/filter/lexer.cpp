// The token rules follow pcap-filter(7) and libpcap's scanner: a word may contain '-', '_' and
// '.', numbers are decimal, 0x-hex or 0-octal, dotted quads may be partial ("10.118"), MAC
// addresses are six 1-2 digit hex groups, and the TCP/ICMP field names are numbers.
#include "filter/lexer.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace pcapxx::filter {
namespace {

// Named constants of pcap-filter(7) ("tcp[tcpflags] & tcp-syn"), ICMP types from RFC 792,
// ICMPv6 types from RFC 4443 and the IANA registry.
constexpr std::pair<std::string_view, std::uint32_t> kNamedNumbers[] = {
    {"icmptype", 0}, {"icmpcode", 1}, {"icmp-echoreply", 0}, {"icmp-unreach", 3},
    {"icmp-sourcequench", 4}, {"icmp-redirect", 5}, {"icmp-echo", 8}, {"icmp-routeradvert", 9},
    {"icmp-routersolicit", 10}, {"icmp-timxceed", 11}, {"icmp-paramprob", 12}, {"icmp-tstamp", 13},
    {"icmp-tstampreply", 14}, {"icmp-ireq", 15}, {"icmp-ireqreply", 16}, {"icmp-maskreq", 17},
    {"icmp-maskreply", 18},
    {"icmp6type", 0}, {"icmp6code", 1}, {"icmp6-destinationunreach", 1}, {"icmp6-packettoobig", 2},
    {"icmp6-timeexceeded", 3}, {"icmp6-parameterproblem", 4}, {"icmp6-echo", 128}, {"icmp6-echoreply", 129},
    {"icmp6-multicastlistenerquery", 130}, {"icmp6-multicastlistenerreportv1", 131},
    {"icmp6-multicastlistenerdone", 132}, {"icmp6-routersolicit", 133}, {"icmp6-routeradvert", 134},
    {"icmp6-neighborsolicit", 135}, {"icmp6-neighboradvert", 136}, {"icmp6-redirect", 137},
    {"icmp6-routerrenum", 138}, {"icmp6-nodeinformationquery", 139}, {"icmp6-nodeinformationresponse", 140},
    {"icmp6-ineighbordiscoverysolicit", 141}, {"icmp6-ineighbordiscoveryadvert", 142},
    {"icmp6-multicastlistenerreportv2", 143}, {"icmp6-homeagentdiscoveryrequest", 144},
    {"icmp6-homeagentdiscoveryreply", 145}, {"icmp6-mobileprefixsolicit", 146},
    {"icmp6-mobileprefixadvert", 147}, {"icmp6-certpathsolicit", 148}, {"icmp6-certpathadvert", 149},
    {"icmp6-multicastrouteradvert", 151}, {"icmp6-multicastroutersolicit", 152},
    {"icmp6-multicastrouterterm", 153},
    {"tcpflags", 13}, {"tcp-fin", 0x01}, {"tcp-syn", 0x02}, {"tcp-rst", 0x04}, {"tcp-push", 0x08},
    {"tcp-ack", 0x10}, {"tcp-urg", 0x20}, {"tcp-ece", 0x40}, {"tcp-cwr", 0x80},
};

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// A number in libpcap's notation; nullopt if it is not one, or if it overflows 32 bits
// (`overflow` set).
std::optional<std::uint32_t> parse_number(std::string_view s, bool& overflow) {
  overflow = false;
  if (s.empty()) return std::nullopt;
  unsigned base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  std::uint64_t v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
    if (d >= base) return std::nullopt;
    v = v * base + d;
    if (v > 0xffffffffu) overflow = true;
  }
  if (overflow) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

// Six groups of 1-2 hex digits separated by ':' (or '-' or '.'), or three groups of 4 hex
// digits separated by '.'.
std::optional<std::array<std::uint8_t, 16>> parse_mac(std::string_view s) {
  std::array<std::uint8_t, 16> out{};
  auto hexval = [](char c) -> unsigned {
    return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
  };
  // xxxx.xxxx.xxxx
  if (s.size() == 14 && s[4] == '.' && s[9] == '.') {
    int n = 0;
    for (std::size_t i = 0; i < 14; i += 5) {
      for (std::size_t j = 0; j < 4; j += 2) {
        if (!is_hex(s[i + j]) || !is_hex(s[i + j + 1])) return std::nullopt;
        out[static_cast<std::size_t>(n++)] = static_cast<std::uint8_t>(hexval(s[i + j]) << 4 | hexval(s[i + j + 1]));
      }
    }
    return out;
  }
  char sep = 0;
  int groups = 0;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t start = i;
    while (i < s.size() && is_hex(s[i])) ++i;
    std::size_t len = i - start;
    if (len < 1 || len > 2 || groups == 6) return std::nullopt;
    unsigned v = 0;
    for (std::size_t j = start; j < i; ++j) v = v << 4 | hexval(s[j]);
    out[static_cast<std::size_t>(groups++)] = static_cast<std::uint8_t>(v);
    if (i == s.size()) break;
    if (sep == 0) sep = s[i];
    if (s[i] != sep || (sep != ':' && sep != '-' && sep != '.')) return std::nullopt;
    ++i;
  }
  if (groups != 6) return std::nullopt;
  return out;
}

}  // namespace

std::unexpected<Error> fail_column(Errc code, std::uint32_t column, std::string_view message) {
  return std::unexpected(Error{code, fmt::format("filter column {}: {}", column, message), std::nullopt, column, 0});
}

Result<std::vector<Token>> tokenize(std::string_view expr) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = expr.size();
  while (true) {
    while (i < n && std::isspace(static_cast<unsigned char>(expr[i])) != 0) ++i;
    Token t;
    t.column = static_cast<std::uint32_t>(i + 1);
    if (i == n) {
      out.push_back(t);
      return out;
    }
    char c = expr[i];
    char next = i + 1 < n ? expr[i + 1] : '\0';
    auto op = [&](Tok k, std::size_t len) {
      t.kind = k;
      t.text = std::string(expr.substr(i, len));
      i += len;
      out.push_back(t);
    };
    if (c == '&' && next == '&') { op(Tok::andand, 2); continue; }
    if (c == '|' && next == '|') { op(Tok::oror, 2); continue; }
    if (c == '<' && next == '<') { op(Tok::shl, 2); continue; }
    if (c == '>' && next == '>') { op(Tok::shr, 2); continue; }
    if (c == '=' && next == '=') { op(Tok::eq, 2); continue; }
    if (c == '!' && next == '=') { op(Tok::ne, 2); continue; }
    if (c == '>' && next == '=') { op(Tok::ge, 2); continue; }
    if (c == '<' && next == '=') { op(Tok::le, 2); continue; }
    switch (c) {
      case '(': op(Tok::lparen, 1); continue;
      case ')': op(Tok::rparen, 1); continue;
      case '[': op(Tok::lbracket, 1); continue;
      case ']': op(Tok::rbracket, 1); continue;
      case '+': op(Tok::plus, 1); continue;
      case '-': op(Tok::minus, 1); continue;
      case '*': op(Tok::star, 1); continue;
      case '/': op(Tok::slash, 1); continue;
      case '%': op(Tok::percent, 1); continue;
      case '&': op(Tok::amp, 1); continue;
      case '|': op(Tok::pipe, 1); continue;
      case '^': op(Tok::caret, 1); continue;
      case ':':
        if (next != ':') { op(Tok::colon, 1); continue; }
        break;
      case '!': op(Tok::bang, 1); continue;
      case '=': op(Tok::eq, 1); continue;
      case '>': op(Tok::gt, 1); continue;
      case '<': op(Tok::lt, 1); continue;
      default: break;
    }
    bool escaped = false;
    if (c == '\\') {
      escaped = true;
      ++i;
      if (i == n || !is_alnum(expr[i])) return fail_column(Errc::invalid_argument, t.column, "'\\' must be followed by a name");
      c = expr[i];
    }
    // Addresses with colons: IPv6 or MAC.
    if (!escaped && (is_hex(c) || (c == ':' && next == ':'))) {
      std::size_t j = i;
      while (j < n && (is_hex(expr[j]) || expr[j] == ':' || expr[j] == '.' || expr[j] == '-')) ++j;
      // Try the longest prefix that is an address, so "ip6[0:4]"-style text never matches.
      for (std::size_t end = j; end > i; --end) {
        std::string_view s = expr.substr(i, end - i);
        if (s.find(':') == std::string_view::npos && s.find('.') == std::string_view::npos &&
            s.find('-') == std::string_view::npos)
          break;
        if (end < n && (is_alnum(expr[end]) || expr[end] == '_')) continue;
        if (auto mac = parse_mac(s)) {
          t.kind = Tok::mac;
          t.bytes = *mac;
          t.text = std::string(s);
          i = end;
          break;
        }
        if (s.find(':') != std::string_view::npos) {
          std::string z(s);
          in6_addr a6{};
          if (inet_pton(AF_INET6, z.c_str(), &a6) == 1) {
            t.kind = Tok::ipv6;
            std::memcpy(t.bytes.data(), &a6, 16);
            t.text = z;
            i = end;
            break;
          }
        }
      }
      if (t.kind != Tok::end) {
        out.push_back(t);
        continue;
      }
    }
    if (!is_alnum(c)) return fail_column(Errc::invalid_argument, t.column, fmt::format("unexpected character '{}'", c));
    std::size_t j = i + 1;
    while (j < n && (is_alnum(expr[j]) || expr[j] == '-' || expr[j] == '_' || expr[j] == '.')) ++j;
    while (j > i + 1 && (expr[j - 1] == '-' || expr[j - 1] == '_')) --j;
    std::string_view w = expr.substr(i, j - i);
    i = j;
    t.text = std::string(w);
    t.escaped = escaped;
    bool overflow = false;
    if (!escaped) {
      if (auto v = parse_number(w, overflow)) {
        t.kind = Tok::number;
        t.value = *v;
        out.push_back(t);
        continue;
      }
      if (overflow) return fail_column(Errc::invalid_argument, t.column, fmt::format("number {} does not fit in 32 bits", w));
      // Dotted decimal, possibly partial: N.N, N.N.N, N.N.N.N
      if (w.find('.') != std::string_view::npos && w.front() != '.' && w.back() != '.') {
        std::uint32_t addr = 0;
        int parts = 0;
        bool ok = true;
        std::size_t p = 0;
        while (ok && p <= w.size()) {
          std::size_t dot = w.find('.', p);
          std::string_view part = w.substr(p, dot == std::string_view::npos ? std::string_view::npos : dot - p);
          auto v = parse_number(part, overflow);
          if (!v || *v > 255 || parts == 4) ok = false;
          else addr = addr << 8 | *v, ++parts;
          if (dot == std::string_view::npos) break;
          p = dot + 1;
        }
        if (ok && parts >= 2) {
          t.kind = Tok::ipv4;
          t.value = addr << (8 * (4 - parts));
          t.parts = parts;
          out.push_back(t);
          continue;
        }
      }
      bool named = false;
      for (const auto& [name, value] : kNamedNumbers) {
        if (w == name) {
          t.kind = Tok::number;
          t.value = value;
          named = true;
        }
      }
      if (named) {
        out.push_back(t);
        continue;
      }
    }
    t.kind = Tok::word;
    out.push_back(t);
  }
}

}  // namespace pcapxx::filter
