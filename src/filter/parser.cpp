#include "filter/parser.hpp"

#include <netdb.h>

#include <optional>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "filter/lexer.hpp"

namespace pcapxx::filter {
namespace {

struct ProtoName {
  std::string_view name;
  Proto proto;
};

// Protocol qualifiers; the ones we parse but cannot compile yet map to Proto::unsupported.
constexpr ProtoName kProtoNames[] = {
    {"ether", Proto::link}, {"link", Proto::link}, {"ip", Proto::ip}, {"ip6", Proto::ip6},
    {"arp", Proto::arp}, {"rarp", Proto::rarp}, {"tcp", Proto::tcp}, {"udp", Proto::udp},
    {"sctp", Proto::sctp}, {"icmp", Proto::icmp}, {"icmp6", Proto::icmp6}, {"igmp", Proto::igmp},
    {"igrp", Proto::igrp}, {"pim", Proto::pim}, {"vrrp", Proto::vrrp}, {"carp", Proto::carp},
    {"ah", Proto::ah}, {"esp", Proto::esp},
    // fddi, tr and wlan qualify link-layer addresses as ether does (on their own link types).
    {"fddi", Proto::link}, {"tr", Proto::link}, {"wlan", Proto::link},
    {"ppp", Proto::unsupported}, {"slip", Proto::unsupported}, {"radio", Proto::unsupported},
    {"decnet", Proto::decnet}, {"atalk", Proto::atalk}, {"aarp", Proto::aarp},
    {"lat", Proto::lat}, {"sca", Proto::sca}, {"moprc", Proto::moprc},
    {"mopdl", Proto::mopdl}, {"iso", Proto::iso}, {"esis", Proto::esis},
    {"es-is", Proto::esis}, {"isis", Proto::isis}, {"is-is", Proto::isis},
    {"clnp", Proto::clnp}, {"stp", Proto::stp}, {"ipx", Proto::ipx},
    {"netbeui", Proto::netbeui}, {"l1", Proto::l1}, {"l2", Proto::l2},
    {"iih", Proto::iih}, {"lsp", Proto::lsp}, {"snp", Proto::snp},
    {"csnp", Proto::csnp}, {"psnp", Proto::psnp},
};

// Words that are never host names.
constexpr std::string_view kKeywords[] = {
    "and", "or", "not", "src", "dst", "host", "net", "mask", "port", "portrange", "gateway", "proto",
    "protochain", "less", "greater", "len", "broadcast", "multicast", "vlan", "mpls", "pppoed", "pppoes",
    "geneve", "llc", "inbound", "outbound", "ifindex", "ifname", "on", "rulenum", "reason", "rset", "srnr", "subrule",
    "action", "addr1", "addr2", "addr3", "addr4", "ra", "ta", "type", "subtype", "dir", "fisu", "lssu",
    "msu", "hfisu", "hlssu", "hmsu", "sio", "opc", "dpc", "sls", "hsio", "hopc", "hdpc", "hsls", "atmfilter",
    "address1", "address2", "address3", "address4"};

// Words libpcap knows that we do not compile yet.
constexpr std::string_view kUnsupportedWords[] = {
    "ifname", "on", "rulenum", "reason", "rset", "srnr", "subrule", "action", "fisu", "lssu", "msu", "hfisu", "hlssu", "hmsu", "sio",
    "opc", "dpc", "sls", "hsio", "hopc", "hdpc", "hsls", "atmfilter"};

std::optional<Proto> proto_named(std::string_view w) {
  for (const auto& p : kProtoNames)
    if (p.name == w) return p.proto;
  return std::nullopt;
}

// 802.11 frame types and subtypes as frame control byte values (IEEE 802.11-2016 9.2.4.1.3,
// Table 9-1: type in bits 2-3, subtype in bits 4-7), with the names pcap-filter(7) gives them.
struct WlanName {
  std::string_view name;
  std::uint32_t value;
};
constexpr WlanName kWlanTypes[] = {{"mgt", 0x00}, {"ctl", 0x04}, {"data", 0x08}};
constexpr WlanName kWlanMgtSubtypes[] = {
    {"assoc-req", 0x00}, {"assocreq", 0x00}, {"assoc-resp", 0x10}, {"assocresp", 0x10},
    {"reassoc-req", 0x20}, {"reassocreq", 0x20}, {"reassoc-resp", 0x30}, {"reassocresp", 0x30},
    {"probe-req", 0x40}, {"probereq", 0x40}, {"probe-resp", 0x50}, {"proberesp", 0x50},
    {"beacon", 0x80}, {"atim", 0x90}, {"disassoc", 0xa0}, {"disassociation", 0xa0},
    {"auth", 0xb0}, {"deauth", 0xc0}, {"deauthentication", 0xc0}};
constexpr WlanName kWlanCtlSubtypes[] = {
    {"ps-poll", 0xa0}, {"rts", 0xb0}, {"cts", 0xc0}, {"ack", 0xd0}, {"cf-end", 0xe0}, {"cf-end-ack", 0xf0}};
constexpr WlanName kWlanDataSubtypes[] = {
    {"data", 0x00}, {"data-cf-ack", 0x10}, {"data-cf-poll", 0x20}, {"data-cf-ack-poll", 0x30},
    {"null", 0x40}, {"cf-ack", 0x50}, {"cf-poll", 0x60}, {"cf-ack-poll", 0x70},
    {"qos-data", 0x80}, {"qos-data-cf-ack", 0x90}, {"qos-data-cf-poll", 0xa0}, {"qos-data-cf-ack-poll", 0xb0},
    {"qos", 0xc0}, {"qos-cf-poll", 0xe0}, {"qos-cf-ack-poll", 0xf0}};
constexpr WlanName kWlanDirs[] = {{"nods", 0}, {"tods", 1}, {"fromds", 2}, {"dstods", 3}};

std::span<const WlanName> wlan_subtypes(std::uint32_t type) {
  if (type == 0x00) return kWlanMgtSubtypes;
  if (type == 0x04) return kWlanCtlSubtypes;
  return kWlanDataSubtypes;
}

std::optional<std::uint32_t> wlan_named(std::span<const WlanName> table, std::string_view w) {
  for (const auto& n : table)
    if (n.name == w) return n.value;
  return std::nullopt;
}

bool one_of(std::string_view w, std::span<const std::string_view> words) {
  for (auto k : words)
    if (k == w) return true;
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Result<std::unique_ptr<Expr>> run() {
    if (peek().kind == Tok::end) return std::unique_ptr<Expr>{};
    auto e = expr();
    if (!e) return std::unexpected(*err_);
    if (peek().kind != Tok::end) {
      if (peek().kind == Tok::rparen) return fail_column(Errc::invalid_argument, peek().column, "unbalanced ')'");
      return fail_column(Errc::invalid_argument, peek().column, fmt::format("syntax error at '{}'", peek().text));
    }
    return e;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    std::size_t i = pos_ + ahead;
    return toks_[i < toks_.size() ? i : toks_.size() - 1];
  }
  const Token& take() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }
  bool is_word(std::string_view w, std::size_t ahead = 0) const {
    return peek(ahead).kind == Tok::word && !peek(ahead).escaped && peek(ahead).text == w;
  }
  bool is_and(std::size_t ahead = 0) const { return is_word("and", ahead) || peek(ahead).kind == Tok::andand; }
  bool is_or(std::size_t ahead = 0) const { return is_word("or", ahead) || peek(ahead).kind == Tok::oror; }
  bool is_not() const { return is_word("not") || peek().kind == Tok::bang; }

  std::nullptr_t error(Errc code, std::uint32_t column, std::string message) {
    // Keep the error that got furthest: with backtracking it is the most useful one.
    if (!err_ || err_->column.value_or(0) <= column) err_ = fail_column(code, column, message).error();
    return nullptr;
  }
  std::nullptr_t syntax_error() {
    const Token& t = peek();
    if (t.kind == Tok::end) return error(Errc::invalid_argument, t.column, "syntax error: unexpected end of expression");
    return error(Errc::invalid_argument, t.column, fmt::format("syntax error at '{}'", t.text));
  }

  static std::unique_ptr<Expr> binary(Expr::Type type, std::unique_ptr<Expr> l, std::unique_ptr<Expr> r) {
    auto e = std::make_unique<Expr>();
    e->type = type;
    e->column = l->column;
    e->left = std::move(l);
    e->right = std::move(r);
    return e;
  }

  // expr := term { (and|or) (bare-id | term) }   -- and/or have equal precedence, left to right
  std::unique_ptr<Expr> expr() {
    auto left = term();
    if (!left) return nullptr;
    while (is_and() || is_or()) {
      Expr::Type type = is_and() ? Expr::Type::and_ : Expr::Type::or_;
      take();
      auto right = term();
      if (!right) return nullptr;
      left = binary(type, std::move(left), std::move(right));
    }
    return left;
  }

  // A term, where a bare identifier takes the qualifiers of the last qualified primitive.
  std::unique_ptr<Expr> term() {
    const Nesting nesting(depth_);
    if (!nesting.ok) return too_deep();
    if (is_not()) {
      std::uint32_t col = take().column;
      auto inner = term();
      if (!inner) return nullptr;
      auto e = std::make_unique<Expr>();
      e->type = Expr::Type::not_;
      e->column = col;
      e->left = std::move(inner);
      return e;
    }
    // Relation first (it may start with '(' or a number); fall back to the other forms.
    std::size_t saved = pos_;
    // "name[" can only start a relation: no fallback, so its errors are the ones reported.
    if (peek().kind == Tok::word && !peek().escaped && peek(1).kind == Tok::lbracket) {
      auto rel = relation();
      qual_defined_ = false;
      seen_term_ = true;
      return rel;
    }
    if (starts_arith()) {
      if (auto rel = relation()) {
        qual_defined_ = false;
        seen_term_ = true;
        return rel;
      }
      pos_ = saved;
    }
    if (peek().kind == Tok::lparen) {
      // After the parenthesis, a bare identifier takes the qualifiers it would have taken
      // before it (libpcap's grammar), not those of the primitives inside.
      const Qual outer = last_qual_;
      const bool outer_defined = qual_defined_;
      take();
      auto e = expr();
      if (!e) return nullptr;
      if (peek().kind != Tok::rparen) return syntax_error();
      take();
      last_qual_ = outer;
      qual_defined_ = outer_defined;
      return e;
    }
    auto e = primitive();
    // Only a qualified primitive (or a bare identifier, which keeps them) leaves qualifiers
    // for a following bare identifier; a protocol alone, a relation or a special word leaves
    // none (libpcap: "syntax error in filter expression").
    if (e && e->type != Expr::Type::primitive) qual_defined_ = false;
    if (e) seen_term_ = true;
    return e;
  }

  bool starts_arith() const {
    const Token& t = peek();
    if (t.kind == Tok::number || t.kind == Tok::lparen || t.kind == Tok::minus) return true;
    if (t.kind == Tok::word && !t.escaped) {
      if (t.text == "len") return true;
      if (peek(1).kind == Tok::lbracket && proto_named(t.text)) return true;
    }
    return false;
  }

  std::unique_ptr<Expr> relation() {
    std::uint32_t col = peek().column;
    auto l = arith();
    if (!l) return nullptr;
    RelOp op;
    switch (peek().kind) {
      case Tok::eq: op = RelOp::eq; break;
      case Tok::ne: op = RelOp::ne; break;
      case Tok::gt: op = RelOp::gt; break;
      case Tok::ge: op = RelOp::ge; break;
      case Tok::lt: op = RelOp::lt; break;
      case Tok::le: op = RelOp::le; break;
      default: return syntax_error();
    }
    take();
    auto r = arith();
    if (!r) return nullptr;
    auto e = std::make_unique<Expr>();
    e->type = Expr::Type::relation;
    e->column = col;
    e->rel = op;
    e->lhs = std::move(l);
    e->rhs = std::move(r);
    return e;
  }

  // Arithmetic as libpcap's grammar groups it: | & << >> + - * / and unary minus with the
  // usual precedences, lowest first, left to right; `%` and `^` have no precedence there, so
  // its parser always shifts past them: `len % 4 + 1` is `len % (4 + 1)`, `len + 1 ^ 2` is
  // `len + (1 ^ 2)`, `-len % 4` is `-(len % 4)`, `a ^ b | c` is `a ^ (b | c)`.
  std::unique_ptr<Arith> arith() { return arith_level(Tok::end); }

  static int precedence(Tok k) {
    switch (k) {
      case Tok::pipe: return 1;
      case Tok::amp: return 2;
      case Tok::shl: case Tok::shr: return 3;
      case Tok::plus: case Tok::minus: return 4;
      case Tok::star: case Tok::slash: return 5;
      case Tok::caret: case Tok::percent: return -1;  // an operator without precedence
      default: return 0;
    }
  }
  static ArithOp op_of(Tok k) {
    switch (k) {
      case Tok::pipe: return ArithOp::bor;
      case Tok::caret: return ArithOp::bxor;
      case Tok::amp: return ArithOp::band;
      case Tok::shl: return ArithOp::shl;
      case Tok::shr: return ArithOp::shr;
      case Tok::plus: return ArithOp::add;
      case Tok::minus: return ArithOp::sub;
      case Tok::star: return ArithOp::mul;
      case Tok::slash: return ArithOp::div;
      default: return ArithOp::mod;
    }
  }

  // Whether `op` continues the operand of `context` (the operator, or unary minus as
  // Tok::minus with `unary`, whose right operand is being read; Tok::end at the top) rather
  // than ending it: yacc's choice between shifting op and reducing the context's rule.
  static bool shifts(Tok context, bool unary, Tok op) {
    if (context == Tok::end) return true;
    if (precedence(op) < 0) return true;
    if (unary) return false;  // unary minus binds tighter than every operator with a precedence
    if (precedence(context) < 0) return true;
    return precedence(op) > precedence(context);
  }

  std::unique_ptr<Arith> arith_level(Tok context, bool unary = false) {
    const Nesting nesting(depth_);
    if (!nesting.ok) return too_deep();
    auto left = arith_unary();
    if (!left) return nullptr;
    while (true) {
      const Tok k = peek().kind;
      if (precedence(k) == 0 || !shifts(context, unary, k)) break;
      const Token& optok = take();
      auto right = arith_level(optok.kind);
      if (!right) return nullptr;
      auto a = std::make_unique<Arith>();
      a->type = Arith::Type::binary;
      a->op = op_of(optok.kind);
      a->column = optok.column;
      a->left = std::move(left);
      a->right = std::move(right);
      left = std::move(a);
    }
    return left;
  }

  std::unique_ptr<Arith> arith_unary() {
    const Token& t = peek();
    if (t.kind == Tok::minus) {
      take();
      auto inner = arith_level(Tok::minus, true);
      if (!inner) return nullptr;
      auto a = std::make_unique<Arith>();
      a->type = Arith::Type::neg;
      a->column = t.column;
      a->left = std::move(inner);
      return a;
    }
    if (t.kind == Tok::number) {
      auto a = std::make_unique<Arith>();
      a->value = t.value;
      a->column = t.column;
      take();
      return a;
    }
    if (t.kind == Tok::lparen) {
      take();
      auto a = arith();
      if (!a) return nullptr;
      if (peek().kind != Tok::rparen) return syntax_error();
      take();
      return a;
    }
    if (t.kind == Tok::word && !t.escaped && t.text == "len") {
      auto a = std::make_unique<Arith>();
      a->type = Arith::Type::len;
      a->column = t.column;
      take();
      return a;
    }
    if (t.kind == Tok::word && !t.escaped && peek(1).kind == Tok::lbracket) {
      auto proto = proto_named(t.text);
      if (!proto) return error(Errc::invalid_argument, t.column, fmt::format("unknown protocol '{}'", t.text));
      std::uint32_t col = t.column;
      std::string name = t.text;
      take();
      take();
      auto index = arith();
      if (!index) return nullptr;
      std::uint32_t size = 1;
      if (peek().kind == Tok::rbracket) {
        take();
      } else if (peek().kind == Tok::colon) {
        take();
        if (peek().kind != Tok::number) return syntax_error();
        size = take().value;
        if (peek().kind != Tok::rbracket) return syntax_error();
        take();
      } else {
        return syntax_error();
      }
      if (size != 1 && size != 2 && size != 4)
        return error(Errc::invalid_argument, col, fmt::format("data size must be 1, 2, or 4, not {}", size));
      if (*proto == Proto::unsupported)
        return error(Errc::unsupported, col, fmt::format("'{}[...]' is not supported yet", name));
      auto a = std::make_unique<Arith>();
      a->type = Arith::Type::load;
      a->proto = *proto;
      a->size = size;
      a->column = col;
      a->left = std::move(index);
      return a;
    }
    return syntax_error();
  }

  // primitive := [proto] [dir] [kind] id | proto | less N | greater N | [proto] broadcast | ...
  std::unique_ptr<Expr> primitive() {
    const Token& first = peek();
    auto e = std::make_unique<Expr>();
    e->column = first.column;
    if (first.kind == Tok::word && !first.escaped) {
      const std::string& w = first.text;
      if (one_of(w, kUnsupportedWords))
        return error(Errc::unsupported, first.column, fmt::format("'{}' is not supported yet", w));
      if (auto t = special_word(w)) {
        take();
        e->type = *t;
        if (*t == Expr::Type::llc) {
          if (peek().kind == Tok::word && !peek().escaped && !one_of(peek().text, kKeywords) && !proto_named(peek().text)) {
            e->id.text = peek().text;
            e->id.column = peek().column;
            take();
          }
          return e;
        }
        if (*t == Expr::Type::inbound || *t == Expr::Type::outbound || *t == Expr::Type::pppoed) return e;
        if (*t == Expr::Type::ifindex && peek().kind != Tok::number) return syntax_error();
        if (peek().kind == Tok::number) {
          e->id.column = peek().column;
          e->value = take().value;
          e->has_value = true;
        }
        return e;
      }
      if (w == "type" || w == "subtype" || w == "dir") return wlan_field(std::move(e));
      if (w == "less" || w == "greater") {
        take();
        if (peek().kind != Tok::number) return syntax_error();
        e->type = w == "less" ? Expr::Type::less : Expr::Type::greater;
        e->value = take().value;
        return e;
      }
    }
    Qual q;
    bool any_qual = false;
    if (first.kind == Tok::word && !first.escaped) {
      if (auto p = proto_named(first.text)) {
        if (*p == Proto::unsupported)
          return error(Errc::unsupported, first.column, fmt::format("'{}' is not supported yet", first.text));
        q.proto = *p;
        any_qual = true;
        take();
        if (is_word("broadcast") || is_word("multicast")) {
          e->type = is_word("broadcast") ? Expr::Type::broadcast : Expr::Type::multicast;
          take();
          e->qual = q;
          return e;
        }
        if (is_word("type") || is_word("subtype") || is_word("dir")) return wlan_field(std::move(e));
        if (is_word("proto")) {
          take();
          q.kind = Kind::proto;
          last_qual_ = q;
          qual_defined_ = true;
          return finish_primitive(std::move(e), q);
        }
        if (is_word("protochain")) {
          take();
          q.kind = Kind::protochain;
          last_qual_ = q;
          qual_defined_ = true;
          return finish_primitive(std::move(e), q);
        }
      }
    }
    if (is_word("broadcast") || is_word("multicast")) {
      e->type = is_word("broadcast") ? Expr::Type::broadcast : Expr::Type::multicast;
      take();
      e->qual = q;
      return e;
    }
    if (is_word("protochain") && !any_qual) {
      take();
      q.kind = Kind::protochain;
      last_qual_ = q;
      qual_defined_ = true;
      return finish_primitive(std::move(e), q);
    }
    if (is_word("proto") && !any_qual) {
      take();
      q.kind = Kind::proto;
      last_qual_ = q;
      qual_defined_ = true;
      return finish_primitive(std::move(e), q);
    }
    if (is_word("src") || is_word("dst")) {
      bool src = is_word("src");
      take();
      q.dir = src ? Dir::src : Dir::dst;
      any_qual = true;
      if ((is_or() || is_and()) && is_word(src ? "dst" : "src", 1)) {
        q.dir = is_or() ? Dir::src_or_dst : Dir::src_and_dst;
        take();
        take();
      }
    }
    static constexpr std::pair<std::string_view, Dir> kAddrWords[] = {
        {"addr1", Dir::addr1}, {"address1", Dir::addr1}, {"addr2", Dir::addr2}, {"address2", Dir::addr2},
        {"addr3", Dir::addr3}, {"address3", Dir::addr3}, {"addr4", Dir::addr4}, {"address4", Dir::addr4},
        {"ra", Dir::ra}, {"ta", Dir::ta}};
    if (q.dir == Dir::none && peek().kind == Tok::word && !peek().escaped) {
      for (auto [word, dir] : kAddrWords) {
        if (peek().text != word) continue;
        take();
        q.dir = dir;
        any_qual = true;
        break;
      }
    }
    if (is_word("host") || is_word("net") || is_word("port") || is_word("portrange")) {
      const std::string& w = peek().text;
      q.kind = w == "host" ? Kind::host : w == "net" ? Kind::net : w == "port" ? Kind::port : Kind::portrange;
      take();
      any_qual = true;
    } else if (is_word("gateway")) {
      return gateway(q);
    }
    if (q.proto != Proto::none && q.dir == Dir::none && q.kind == Kind::none) {
      // A protocol alone: "tcp", "ip6".
      e->type = Expr::Type::proto_only;
      e->qual = q;
      return e;
    }
    if (!any_qual) {
      // A bare identifier takes the qualifiers of the last qualified primitive; there must be one.
      if (!seen_term_) return syntax_error();
      if (!qual_defined_) {  // libpcap's diagnosis comes from the code generator, in text order
        Qual none;
        none.undefined = true;
        return finish_primitive(std::move(e), none);
      }
      return finish_primitive(std::move(e), last_qual_);
    }
    last_qual_ = q;
    qual_defined_ = true;
    return finish_primitive(std::move(e), q);
  }

  // 802.11 `type T [subtype S]`, `subtype S`, `dir D`: names or numbers (libpcap checks only
  // that a type number has no bits outside the type field; a lone subtype needs a name).
  std::unique_ptr<Expr> wlan_field(std::unique_ptr<Expr> e) {
    auto value = [&](std::span<const WlanName> names, std::string_view what) -> std::optional<std::uint32_t> {
      const Token& t = peek();
      if (t.kind == Tok::number) return take().value;
      if (t.kind != Tok::word) return syntax_error(), std::nullopt;
      auto v = wlan_named(names, t.text);
      if (!v) return error(Errc::invalid_argument, t.column, fmt::format("unknown 802.11 {} name \"{}\"", what, t.text)), std::nullopt;
      take();
      return v;
    };
    std::string word = take().text;
    e->type = Expr::Type::wlan_type;
    if (word == "dir") {
      auto v = value(kWlanDirs, "direction");
      if (!v) return nullptr;
      e->type = Expr::Type::wlan_dir;
      e->value = *v;
      return e;
    }
    if (word == "subtype") {
      const Token& t = peek();
      if (t.kind != Tok::word) return syntax_error();
      for (std::uint32_t type : {0x00u, 0x04u, 0x08u}) {
        if (auto v = wlan_named(wlan_subtypes(type), t.text)) {
          take();
          e->value = type | *v;
          e->id.mask = 0xfc;
          return e;
        }
      }
      // libpcap's words for a lone unknown subtype.
      return error(Errc::invalid_argument, t.column, fmt::format("unknown 802.11 type name \"{}\"", t.text));
    }
    const std::uint32_t type_column = peek().column;
    auto type = value(kWlanTypes, "type");
    if (!type) return nullptr;
    if (*type & ~0x0cu)
      return error(Errc::invalid_argument, type_column, fmt::format("invalid 802.11 type value 0x{:02x}", *type));
    e->value = *type;
    e->id.mask = 0x0c;
    if (is_word("subtype")) {
      take();
      auto sub = value(wlan_subtypes(*type), "subtype");
      if (!sub) return nullptr;
      e->value = *type | *sub;
      e->id.mask = 0xfc;
    }
    return e;
  }

  // `[proto] gateway NAME`. libpcap builds gateway tests only without IPv6 support; Debian's
  // libpcap (and any built with IPv6) refuses every gateway primitive once it is parsed, and
  // so do we, with its diagnoses (observed with tcpdump -d): the address forms first.
  std::nullptr_t gateway(const Qual& q) {
    const std::uint32_t col = peek().column;
    take();
    if (q.dir != Dir::none) return syntax_error();
    const Token& t = peek();
    switch (t.kind) {
      case Tok::number: case Tok::ipv4:
        return error(Errc::invalid_argument, t.column, "'gateway' requires a name");
      case Tok::ipv6: return error(Errc::invalid_argument, t.column, "invalid qualifier against IPv6 address");
      case Tok::mac: return error(Errc::invalid_argument, t.column, "ethernet address used in non-ether expression");
      case Tok::word:
        if (!t.escaped && (one_of(t.text, kKeywords) || proto_named(t.text))) return syntax_error();
        return error(Errc::invalid_argument, col, "'gateway' not supported in this configuration");
      default: return syntax_error();
    }
  }

  // The words that make a primitive on their own, with an optional number or name after them.
  static std::optional<Expr::Type> special_word(std::string_view w) {
    static constexpr std::pair<std::string_view, Expr::Type> kWords[] = {
        {"vlan", Expr::Type::vlan},       {"mpls", Expr::Type::mpls},       {"pppoed", Expr::Type::pppoed},
        {"pppoes", Expr::Type::pppoes},   {"llc", Expr::Type::llc},         {"inbound", Expr::Type::inbound},
        {"outbound", Expr::Type::outbound}, {"ifindex", Expr::Type::ifindex}, {"geneve", Expr::Type::geneve}};
    for (auto [name, type] : kWords)
      if (name == w) return type;
    return std::nullopt;
  }

  std::unique_ptr<Expr> finish_primitive(std::unique_ptr<Expr> e, Qual q) {
    const Token& t = peek();
    Id id;
    id.column = t.column;
    id.text = t.text;
    switch (t.kind) {
      case Tok::number: id.type = Id::Type::number; id.value = t.value; break;
      case Tok::ipv4: id.type = Id::Type::ipv4; id.value = t.value; id.parts = t.parts; break;
      case Tok::ipv6: id.type = Id::Type::ipv6; id.bytes = t.bytes; break;
      case Tok::mac: id.type = Id::Type::mac; id.bytes = t.bytes; break;
      case Tok::word:
        if (!t.escaped && one_of(t.text, kKeywords)) return syntax_error();
        if (!t.escaped && proto_named(t.text)) return syntax_error();  // protocol names need a backslash here
        id.type = Id::Type::name;
        id.escaped = t.escaped;
        break;
      default: return syntax_error();
    }
    take();
    if (peek().kind == Tok::slash && (id.type == Id::Type::ipv4 || id.type == Id::Type::ipv6 || id.type == Id::Type::number)) {
      take();
      if (peek().kind != Tok::number) return syntax_error();
      id.has_prefix = true;
      id.prefix_len = take().value;
    } else if (is_word("mask") && (id.type == Id::Type::ipv4 || id.type == Id::Type::number)) {
      take();
      if (peek().kind != Tok::ipv4 || peek().parts != 4) return syntax_error();
      id.has_mask = true;
      id.mask = take().value;
    }
    if (q.kind == Kind::portrange && id.type == Id::Type::name) {
      // "6000-6010" or "ftp-data-telnet": split at the dash that gives two valid ports.
      id.type = Id::Type::range;
    }
    e->type = Expr::Type::primitive;
    e->qual = q;
    e->id = std::move(id);
    return e;
  }

  // Parentheses, `not`, unary minus and right-grouped operators nest the parse (and the
  // tree the code generator walks): past this depth the filter is refused, not the stack
  // overrun (libpcap's parser runs out of memory at its own depth).
  static constexpr int kMaxNesting = 1000;
  struct Nesting {
    explicit Nesting(int& depth) : depth_(depth), ok(++depth <= kMaxNesting) {}
    ~Nesting() { --depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;
    int& depth_;
    const bool ok;
  };
  std::nullptr_t too_deep() {
    return error(Errc::invalid_argument, peek().column,
                 fmt::format("expression nested too deeply (more than {} levels)", kMaxNesting));
  }

  std::vector<Token> toks_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::optional<Error> err_;
  Qual last_qual_{};
  bool qual_defined_ = false;  ///< last_qual_ holds a qualified primitive's qualifiers
  bool seen_term_ = false;     ///< a term was parsed (a bare identifier cannot come first)
};

}  // namespace

Result<std::unique_ptr<Expr>> parse(std::string_view text) {
  auto toks = tokenize(text);
  if (!toks) return std::unexpected(toks.error());
  return Parser(std::move(*toks)).run();
}

}  // namespace pcapxx::filter
