// Code generation, hosts, networks and ports, and runs of them in one disjunction.
// The generator's class and the facts it shares: codegen_generator.hpp.
#include "filter/codegen_generator.hpp"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace pcapxx::filter::codegen_detail {

// ---- hosts and networks
Cond Gen::mcmp(std::uint32_t off, std::uint32_t v, std::uint32_t mask) {
  if (!value_set_.empty()) {  // a run of host/net terms: one search over all their addresses
    std::vector<BpfInsn> load = {stmt(kLd | kW | kAbs, off)};
    if (mask != 0xffffffff) load.push_back(stmt(kAlu | kAnd | kK, mask));
    return value_tree(load, value_set_);
  }
  if (mask == 0xffffffff) return load_test(kW, off, kJeq, v);
  return test({stmt(kLd | kW | kAbs, off), stmt(kAlu | kAnd | kK, mask)}, kJmp | kJeq | kK, v);
}

Cond Gen::hostop(std::uint32_t addr, std::uint32_t mask, Dir dir, std::uint16_t ethertype, std::uint32_t src_off,
                 std::uint32_t dst_off, std::uint32_t col) {
  return by_dir(dir, [&](bool src) {
    Cond link = linktype(ethertype, col);
    return graph_.both(link, mcmp(nl_ + (src ? src_off : dst_off), addr, mask));
  });
}

Cond Gen::host4(std::uint32_t addr, std::uint32_t mask, Proto proto, Dir dir, std::uint32_t col) {
  switch (proto) {
    case Proto::none: {
      Cond ip = host4(addr, mask, Proto::ip, dir, col);
      if (mpls_depth_ > 0) return ip;  // under MPLS labels libpcap tests IPv4 only
      Cond arp = graph_.either(ip, host4(addr, mask, Proto::arp, dir, col));
      return graph_.either(arp, host4(addr, mask, Proto::rarp, dir, col));
    }
    case Proto::ip: return hostop(addr, mask, dir, kEtherIp, 12, 16, col);
    case Proto::arp: return hostop(addr, mask, dir, kEtherArp, 14, 24, col);
    case Proto::rarp: return hostop(addr, mask, dir, kEtherRarp, 14, 24, col);
    case Proto::decnet: return decnet_addr(addr, dir, col);
    case Proto::atalk: return error(Errc::invalid_argument, col, "AppleTalk host filtering not implemented");
    case Proto::iso: return error(Errc::invalid_argument, col, "ISO host filtering not implemented");
    case Proto::ipx: return error(Errc::invalid_argument, col, "IPX host filtering not implemented");
    case Proto::aarp: return error(Errc::invalid_argument, col, "AARP host filtering not implemented");
    case Proto::lat: return error(Errc::invalid_argument, col, "LAT host filtering not implemented");
    case Proto::sca: return error(Errc::invalid_argument, col, "SCA host filtering not implemented");
    case Proto::moprc: return error(Errc::invalid_argument, col, "MOPRC host filtering not implemented");
    case Proto::mopdl: return error(Errc::invalid_argument, col, "MOPDL host filtering not implemented");
    default:
      return error(Errc::invalid_argument, col, fmt::format("'{}' modifier applied to host", proto_name(proto)));
  }
}

Cond Gen::host6(const std::array<std::uint8_t, 16>& addr, const std::array<std::uint8_t, 16>& mask, Proto proto, Dir dir,
                std::uint32_t col) {
  if (proto != Proto::none && proto != Proto::ip6)
    return error(Errc::invalid_argument, col, fmt::format("'{}' modifier applied to ip6 host", proto_name(proto)));
  return by_dir(dir, [&](bool src) {
    std::uint32_t base = nl_ + (src ? 8 : 24);
    Cond c = linktype(kEtherIp6, col);
    for (std::uint32_t w = 0; w < 4; ++w) {
      std::uint32_t a = 0, m = 0;
      for (std::uint32_t b = 0; b < 4; ++b) {
        a = a << 8 | addr[4 * w + b];
        m = m << 8 | mask[4 * w + b];
      }
      if (m == 0) continue;  // libpcap's optimizer drops the always-true word tests
      c = graph_.both(c, mcmp(base + 4 * w, a & m, m));
    }
    return c;
  });
}

Cond Gen::value_tree(const std::vector<BpfInsn>& load, std::span<const std::uint32_t> v) {
  if (v.size() <= kChainMax) {
    std::optional<Cond> all;
    for (std::uint32_t x : v) {
      Cond one = test(all ? std::vector<BpfInsn>{} : load, kJmp | kJeq | kK, x);
      all = all ? graph_.either(*all, one) : one;
    }
    return *all;
  }
  // Split between full chains: ceil(n / kChainMax) leaves, half of them on each side.
  std::size_t leaves = (v.size() + kChainMax - 1) / kChainMax;
  std::size_t mid = std::min(v.size() - 1, leaves / 2 * kChainMax);
  Cond gt = test(load, kJmp | kJgt | kK, v[mid - 1]);
  Cond high = value_tree({}, v.subspan(mid));
  return graph_.choose(gt, high, value_tree({}, v.first(mid)));
}

Cond Gen::range_tree(const std::vector<BpfInsn>& load, std::span<const Range> r) {
  if (r.size() == 1) {
    auto [lo, hi] = r[0];
    if (lo == hi) return test(load, kJmp | kJeq | kK, lo);
    Cond ge = test(load, kJmp | kJge | kK, lo);
    return graph_.both(ge, graph_.negate(test({}, kJmp | kJgt | kK, hi)));
  }
  if (r.size() <= kChainMax && std::all_of(r.begin(), r.end(), [](const Range& x) { return x.first == x.second; })) {
    Cond first = range_tree(load, r.first(1));
    return graph_.either(first, range_tree({}, r.subspan(1)));
  }
  std::size_t mid = r.size() / 2;
  Cond gt = test(load, kJmp | kJgt | kK, r[mid - 1].second);
  Cond high = range_tree({}, r.subspan(mid));
  return graph_.choose(gt, high, range_tree({}, r.first(mid)));
}

std::optional<std::uint32_t> Gen::plain_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return v <= 65535 ? std::optional<std::uint32_t>(v) : std::nullopt;
}

std::optional<Gen::RunItem> Gen::run_item(const Expr& e) {
  if (e.type != Expr::Type::primitive || e.qual.undefined) return std::nullopt;
  const Qual& q = e.qual;
  const Id& id = e.id;
  if (q.kind == Kind::port || q.kind == Kind::portrange) {
    if (q.proto != Proto::none && q.proto != Proto::tcp && q.proto != Proto::udp && q.proto != Proto::sctp)
      return std::nullopt;
    RunKey key{2, q.proto, q.dir, 0};
    if (id.type == Id::Type::number) {
      if (id.value > 65535) return std::nullopt;
      return RunItem{key, {id.value, id.value}};
    }
    if (q.kind != Kind::portrange || id.type != Id::Type::range) return std::nullopt;
    auto dash = id.text.find('-');
    if (dash == std::string::npos) return std::nullopt;
    auto a = plain_port(std::string_view(id.text).substr(0, dash));
    auto b = plain_port(std::string_view(id.text).substr(dash + 1));
    if (!a || !b) return std::nullopt;
    return RunItem{key, {std::min(*a, *b), std::max(*a, *b)}};
  }
  if (q.kind != Kind::host && q.kind != Kind::net && q.kind != Kind::none) return std::nullopt;
  if (q.proto != Proto::none && q.proto != Proto::ip && q.proto != Proto::arp && q.proto != Proto::rarp)
    return std::nullopt;
  if (id.type != Id::Type::ipv4 && id.type != Id::Type::number) return std::nullopt;
  // The same address and mask primitive() computes, for the terms it accepts without error.
  std::uint32_t addr = id.value, mask = 0xffffffff;
  if (id.has_prefix || id.has_mask) {
    if (q.kind == Kind::host) return std::nullopt;
    if (id.type == Id::Type::number) addr = id.value << 24;
    if (id.has_prefix) {
      if (id.prefix_len > 32) return std::nullopt;
      mask = id.prefix_len == 0 ? 0 : 0xffffffffu << (32 - id.prefix_len);
    } else {
      mask = id.mask;
    }
    if (addr & ~mask) return std::nullopt;
  } else if (id.type == Id::Type::number && q.kind == Kind::net) {
    while (addr != 0 && (addr & 0xff000000u) == 0) {
      addr <<= 8;
      mask <<= 8;
    }
  } else if (id.type == Id::Type::ipv4) {
    mask = id.parts == 4 ? 0xffffffffu : 0xffffffffu << (32 - 8 * id.parts);
  }
  return RunItem{RunKey{1, q.proto, q.dir, mask}, {addr & mask, addr & mask}};
}

// The in-order leaves of a tree of `op` nodes, without recursion.
std::vector<const Expr*> Gen::leaves(const Expr& e, Expr::Type op) {
  std::vector<const Expr*> terms;
  std::vector<const Expr*> stack{&e};
  while (!stack.empty()) {
    const Expr* x = stack.back();
    stack.pop_back();
    if (x->type == op) {
      stack.push_back(x->right.get());
      stack.push_back(x->left.get());
    } else {
      terms.push_back(x);
    }
  }
  return terms;
}

// A conjunction: "not port 80 and not port 443" is "not (port 80 or port 443)", so runs of
// negated compatible terms become one negated search.
Cond Gen::conjunction(const Expr& e) {
  std::vector<const Expr*> terms = leaves(e, Expr::Type::and_);
  std::optional<Cond> all;
  for (std::size_t i = 0; i < terms.size();) {
    std::vector<const Expr*> inner;
    if (terms[i]->type == Expr::Type::not_) {
      if (auto first = run_item(*terms[i]->left)) {
        for (std::size_t j = i; j < terms.size() && terms[j]->type == Expr::Type::not_; ++j) {
          auto next = run_item(*terms[j]->left);
          if (!next || !(next->key == first->key)) break;
          inner.push_back(terms[j]->left.get());
        }
      }
    }
    Cond c;
    if (inner.size() >= 2) {
      c = graph_.negate(any_term(inner));
      i += inner.size();
    } else {
      c = expr(*terms[i]);
      ++i;
    }
    all = all ? graph_.both(*all, c) : c;
  }
  return *all;
}

// A disjunction: its terms in order, runs of compatible host/net/port terms merged.
Cond Gen::disjunction(const Expr& e) { return any_term(leaves(e, Expr::Type::or_)); }

Cond Gen::any_term(const std::vector<const Expr*>& terms) {
  std::optional<Cond> all;
  for (std::size_t i = 0; i < terms.size();) {
    auto first = run_item(*terms[i]);
    std::size_t j = i + 1;
    std::vector<Range> values;
    if (first) {
      values.push_back(first->value);
      for (; j < terms.size(); ++j) {
        auto next = run_item(*terms[j]);
        if (!next || !(next->key == first->key)) break;
        values.push_back(next->value);
      }
    }
    Cond c;
    if (j - i >= 2) {
      std::sort(values.begin(), values.end());
      if (first->key.family == 1) {
        value_set_.clear();
        for (const Range& r : values)
          if (value_set_.empty() || value_set_.back() != r.first) value_set_.push_back(r.first);
        c = primitive(*terms[i]);
        value_set_.clear();
      } else {
        range_set_.clear();
        for (const Range& r : values) {
          if (!range_set_.empty() && r.first <= range_set_.back().second + 1)
            range_set_.back().second = std::max(range_set_.back().second, r.second);
          else
            range_set_.push_back(r);
        }
        // A few ports in all: one jeq each is shorter than range tests.
        std::uint64_t count = 0;
        for (const Range& r : range_set_) count += r.second - r.first + 1ull;
        if (count <= kChainMax) {
          std::vector<Range> single;
          for (const Range& r : range_set_)
            for (std::uint32_t p = r.first; p <= r.second; ++p) single.push_back({p, p});
          range_set_ = std::move(single);
        }
        c = primitive(*terms[i]);
        range_set_.clear();
      }
    } else {
      j = i + 1;
      c = expr(*terms[i]);
    }
    all = all ? graph_.either(*all, c) : c;
    i = j;
  }
  return *all;
}

// ---- ports
Cond Gen::port_atom4(std::uint32_t off, std::uint32_t lo, std::uint32_t hi) {
  std::vector<BpfInsn> load = {stmt(kLdx | kB | kMsh, nl_), stmt(kLd | kH | kInd, nl_ + off)};
  if (!range_set_.empty()) return range_tree(load, range_set_);
  if (lo == hi) return test(load, kJmp | kJeq | kK, lo);
  Cond ge = test(load, kJmp | kJge | kK, lo);
  return graph_.both(ge, graph_.negate(test(load, kJmp | kJgt | kK, hi)));
}

Cond Gen::port_atom6(std::uint32_t off, std::uint32_t lo, std::uint32_t hi) {
  std::vector<BpfInsn> load = {stmt(kLd | kH | kAbs, nl_ + 40 + off)};
  if (!range_set_.empty()) return range_tree(load, range_set_);
  if (lo == hi) return test(load, kJmp | kJeq | kK, lo);
  Cond ge = test(load, kJmp | kJge | kK, lo);
  return graph_.both(ge, graph_.negate(test(load, kJmp | kJgt | kK, hi)));
}

Cond Gen::portop4(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir) {
  Cond p = load_test(kB, nl_ + 9, kJeq, proto);
  Cond b0 = graph_.both(p, ipfrag());
  Cond b1 = by_dir(dir, [&](bool src) { return port_atom4(src ? 0 : 2, lo, hi); });
  return graph_.both(b0, b1);
}

Cond Gen::portop6(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir) {
  Cond p = load_test(kB, nl_ + 6, kJeq, proto);
  Cond b1 = by_dir(dir, [&](bool src) { return port_atom6(src ? 0 : 2, lo, hi); });
  return graph_.both(p, b1);
}

Cond Gen::ports(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir, std::uint32_t col) {
  auto family = [&](bool v6) {
    Cond link = linktype(v6 ? kEtherIp6 : kEtherIp, col);
    auto op = [&](std::uint32_t pr) { return v6 ? portop6(lo, hi, pr, dir) : portop4(lo, hi, pr, dir); };
    Cond b1;
    if (proto != kProtoUndef) {
      b1 = op(proto);
    } else {
      Cond sctp = op(kIpProtoSctp);
      Cond tcp = op(kIpProtoTcp);
      b1 = graph_.either(sctp, graph_.either(tcp, op(kIpProtoUdp)));
    }
    return graph_.both(link, b1);
  };
  Cond six = family(true);
  return graph_.either(six, family(false));
}

Cond Gen::port_primitive(const Expr& e) {
  const Id& id = e.id;
  std::uint32_t proto;
  switch (e.qual.proto) {
    case Proto::tcp: proto = kIpProtoTcp; break;
    case Proto::udp: proto = kIpProtoUdp; break;
    case Proto::sctp: proto = kIpProtoSctp; break;
    case Proto::none: proto = kProtoUndef; break;
    default: return error(Errc::invalid_argument, e.column, "illegal qualifier of 'port'");
  }
  std::uint32_t lo, hi;
  if (e.qual.kind == Kind::port) {
    if (id.type != Id::Type::number && id.type != Id::Type::name)
      return error(Errc::invalid_argument, id.column, fmt::format("'{}' is not a port", id.text));
    auto p = port_number(id, proto);
    if (!p) return graph_.konst(false);
    lo = hi = *p;
  } else {
    if (id.type == Id::Type::number) {
      lo = hi = id.value;
    } else {
      auto dash = id.text.find('-');
      if (dash == std::string::npos)
        return error(Errc::invalid_argument, id.column, fmt::format("'{}' is not a port range", id.text));
      Id a = id, b = id;
      a.text = id.text.substr(0, dash);
      b.text = id.text.substr(dash + 1);
      for (Id* part : {&a, &b}) {
        bool overflow = false;
        (void)overflow;
        char* end = nullptr;
        unsigned long v = std::strtoul(part->text.c_str(), &end, 10);
        if (!part->text.empty() && end != nullptr && *end == '\0') {
          part->type = Id::Type::number;
          part->value = static_cast<std::uint32_t>(std::min<unsigned long>(v, 0xffffffffUL));
        } else {
          part->type = Id::Type::name;
        }
      }
      auto pa = port_number(a, proto);
      if (!pa) return graph_.konst(false);
      auto pb = port_number(b, proto);
      if (!pb) return graph_.konst(false);
      lo = std::min(*pa, *pb);
      hi = std::max(*pa, *pb);
    }
  }
  if (hi > 65535) return error(Errc::invalid_argument, id.column, fmt::format("illegal port number {} > 65535", hi));
  return ports(lo, hi, proto, e.qual.dir, e.column);
}

}  // namespace pcapxx::filter::codegen_detail
