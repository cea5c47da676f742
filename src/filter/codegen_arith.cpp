// Code generation, arithmetic and relations (len, proto[expr], comparisons).
// The generator's class and the facts it shares: codegen_generator.hpp.
#include "filter/codegen_generator.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace pcapxx::filter::codegen_detail {

bool Gen::alloc_scratch(std::uint32_t& slot, std::uint32_t col) {
  if (scratch_ >= cell_floor()) {
    error(Errc::invalid_argument, col, "too many registers needed to evaluate expression");
    return false;
  }
  slot = scratch_++;
  return true;
}

void Gen::to_a(Value& v) {
  if (v.is_const) {
    v.code = {stmt(kLd | kImm, v.k)};
    v.is_const = false;
  }
}

std::optional<std::uint32_t> Gen::fold(ArithOp op, std::uint32_t a, std::uint32_t b) {
  switch (op) {
    case ArithOp::add: return a + b;
    case ArithOp::sub: return a - b;
    case ArithOp::mul: return a * b;
    case ArithOp::div: return b == 0 ? std::nullopt : std::optional<std::uint32_t>(a / b);
    case ArithOp::mod: return b == 0 ? std::nullopt : std::optional<std::uint32_t>(a % b);
    case ArithOp::band: return a & b;
    case ArithOp::bor: return a | b;
    case ArithOp::bxor: return a ^ b;
    case ArithOp::shl: return b < 32 ? a << b : 0;
    case ArithOp::shr: return b < 32 ? a >> b : 0;
  }
  return std::nullopt;
}

std::uint16_t Gen::alu_of(ArithOp op) {
  switch (op) {
    case ArithOp::add: return kAdd;
    case ArithOp::sub: return kSub;
    case ArithOp::mul: return kMul;
    case ArithOp::div: return kDiv;
    case ArithOp::mod: return kMod;
    case ArithOp::band: return kAnd;
    case ArithOp::bor: return kOr;
    case ArithOp::bxor: return kXor;
    case ArithOp::shl: return kLsh;
    case ArithOp::shr: return kRsh;
  }
  return kAdd;
}

// Whether code reads or writes X (so X cannot hold a value across it), counting the loads at
// variable offsets that test() turns into indexed ones.
bool Gen::uses_x(const std::vector<BpfInsn>& code) {
  for (const BpfInsn& i : code) {
    const auto cls = insn_class(i.code);
    if (cls == kLdx || cls == kStx || cls == kMisc) return true;
    if (cls == kLd && (insn_mode(i.code) == kInd || (insn_mode(i.code) == kAbs && is_var(i.k)))) return true;
    if ((cls == kAlu || cls == kJmp) && insn_src(i.code) == kX) return true;
  }
  return false;
}

// Whether code ends `tax; ld #K; add x` (the code of `K + e`) and base + K is a load offset
// that test() leaves alone.
bool Gen::folds_add(std::span<const BpfInsn> c, std::uint32_t base) const {
  return c.size() >= 3 && c[c.size() - 3] == stmt(kMisc | kTax, 0) && c[c.size() - 2].code == (kLd | kImm) &&
         c.back() == stmt(kAlu | kAdd | kX, 0) && offset_fits(base, c[c.size() - 2].k);
}

std::optional<Gen::Value> Gen::arith(const Arith& a) {
  switch (a.type) {
    case Arith::Type::number: return Value{{}, {}, true, a.value, a.value};
    case Arith::Type::len: return Value{{}, {stmt(kLd | kW | kLen, 0)}, false, 0, std::nullopt};
    case Arith::Type::neg: {
      auto v = arith(*a.left);
      if (!v) return std::nullopt;
      if (v->is_const) return Value{std::move(v->guards), {}, true, 0u - v->k, v->lead};
      v->code.push_back(stmt(kAlu | kNeg, 0));
      return v;
    }
    case Arith::Type::binary: {
      auto l = arith(*a.left);
      if (!l) return std::nullopt;
      auto r = arith(*a.right);
      if (!r) return std::nullopt;
      const bool divides = a.op == ArithOp::div || a.op == ArithOp::mod, shifts = a.op == ArithOp::shl || a.op == ArithOp::shr;
      // libpcap's checks: its parser's on the divisor's or count's leading constant, then its
      // optimizer's on a constant divisor or count (a shift of a constant by 32 or more folds
      // to 0: `2 << (20 + 20) = 0` compiles, `len << (20 + 20)` does not).
      auto refuse = [&](bool zero) {
        error(Errc::invalid_argument, a.column,
              !zero ? "shift by more than 31 bits" : a.op == ArithOp::div ? "division by zero" : "modulus by zero");
        return std::nullopt;
      };
      if (divides && (r->lead == 0u || (r->is_const && r->k == 0) || r->zero)) return refuse(true);
      if (shifts && ((r->lead && *r->lead > 31) || (r->is_const && r->k > 31 && !l->is_const))) return refuse(false);
      // Only the left operand's protocol checks stay, as in libpcap's programs: `len + ip[0]`
      // checks for no protocol, `ip[0] + ip6[0]` for IPv4 alone (which is no contradiction).
      Value out;
      out.guards = std::move(l->guards);
      out.lead = l->lead;
      if (l->is_const && r->is_const) {
        out.is_const = true;
        out.k = *fold(a.op, l->k, r->k);
        return out;
      }
      // libpcap's optimizer's identities: a product or mask with 0 is 0 and the other
      // operand's loads go (`ip[100] * 0 = 0` passes every IPv4 packet, however short);
      // 0 divided by anything is 0; adding, subtracting, or-ing, xor-ing or shifting by 0
      // leaves the other operand (0 - e stays a subtraction). Not on 802.11, whose programs
      // libpcap leaves as generated (`0 * ip[100]` keeps its load), though its optimizer still
      // knows a product or mask with 0 is 0.
      const bool absorbs = a.op == ArithOp::mul || a.op == ArithOp::band;
      const bool neutral = a.op == ArithOp::add || a.op == ArithOp::bor || a.op == ArithOp::bxor;
      const bool l0 = l->is_const && l->k == 0, r0 = r->is_const && r->k == 0;
      if (wlan_) {
        out.zero = absorbs && (l0 || r0);
      } else if ((absorbs && (l0 || r0)) || (l0 && divides)) {
        out.is_const = true;
        out.k = 0;
        return out;
      } else if (r0 && (neutral || shifts || a.op == ArithOp::sub)) {
        out.code = std::move(l->code);
        return out;
      } else if (l0 && neutral) {
        out.code = std::move(r->code);
        return out;
      }
      if (r->is_const) {
        out.code = std::move(l->code);
        out.code.push_back(stmt(kAlu | alu_of(a.op) | kK, r->k));
        return out;
      }
      to_a(*l);
      if (!uses_x(l->code)) {  // the right operand waits in X, not in a scratch cell, as in libpcap's
        out.code = std::move(r->code);
        out.code.push_back(stmt(kMisc | kTax, 0));
        for (auto& i : l->code) out.code.push_back(i);
        out.code.push_back(stmt(kAlu | alu_of(a.op) | kX, 0));
        return out;
      }
      std::uint32_t slot;
      if (!alloc_scratch(slot, a.column)) return std::nullopt;
      out.code = std::move(r->code);
      out.code.push_back(stmt(kSt, slot));
      for (auto& i : l->code) out.code.push_back(i);
      out.code.push_back(stmt(kLdx | kMem, slot));
      out.code.push_back(stmt(kAlu | alu_of(a.op) | kX, 0));
      return out;
    }
    case Arith::Type::load: return load(a);
  }
  return std::nullopt;
}

bool Gen::offset_fits(std::uint32_t base, std::uint32_t k) const {
  if (!wlan_ && geneve_cells_ == 0) return true;  // test() rewrites nothing
  const std::uint32_t sum = base + k;
  if (!is_var(base)) return !is_var(sum);
  return sum >= base && is_var(sum) && (sum - kVarBase) >> 24 == (base - kVarBase) >> 24;
}

// A load at base + k for a constant index k; libpcap's program loads at the same offset.
std::vector<BpfInsn> Gen::index_load(std::uint16_t size, std::uint32_t base, std::uint32_t k) {
  if (offset_fits(base, k)) return {stmt(kLd | size | kAbs, base + k)};
  if (!is_var(base)) return {stmt(kLdx | kImm, base + k), stmt(kLd | size | kInd, 0)};
  if (is_payload_var(base)) need_payload_ = true;
  return {stmt(kLd | kMem, var_cell(base)), stmt(kAlu | kAdd | kK, var_off(base) + k), stmt(kMisc | kTax, 0),
          stmt(kLd | size | kInd, 0)};
}

std::optional<Gen::Value> Gen::load(const Arith& a) {
  auto index = arith(*a.left);
  if (!index) return std::nullopt;
  const std::uint16_t size = a.size == 1 ? kB : a.size == 2 ? kH : kW;
  Value out;
  out.lead = index->lead;  // libpcap's load code starts with its index's
  auto indexed = [&](std::uint32_t base) {  // code: index in A -> load [x + base]
    if (index->is_const) {
      out.code = index_load(size, base, index->k);
    } else if (!is_var(base) && folds_add(index->code, base)) {
      // `K + e`: X = e and the load at [x + base + K], the constant folded in with 32-bit wrap
      // as libpcap folds it (again for `K2 + (K + e)`); loads where X + k passes 2^32 then
      // agree with its program.
      out.code = std::move(index->code);
      std::uint32_t k = base;
      for (;;) {
        k += out.code[out.code.size() - 2].k;
        out.code.resize(out.code.size() - 2);  // ends with the tax that set X = e
        if (!folds_add(std::span(out.code).first(out.code.size() - 1), k)) break;
        out.code.pop_back();
      }
      out.code.push_back(stmt(kLd | size | kInd, k));
    } else {
      out.code = std::move(index->code);
      if (is_var(base)) {  // X = the cell's offset plus the index (test() fixes the load)
        if (is_payload_var(base)) need_payload_ = true;
        out.code.push_back(stmt(kLdx | kMem, var_cell(base)));
        out.code.push_back(stmt(kAlu | kAdd | kX, 0));
      }
      out.code.push_back(stmt(kMisc | kTax, 0));
      out.code.push_back(stmt(kLd | size | kInd, base));
    }
  };
  switch (a.proto) {
    case Proto::link:
      out.guards = std::move(index->guards);
      if (geneve_inner_) {  // relative to the inner frame, which may not be Ethernet (libpcap loads it anyway)
        indexed(off_linkhdr_);
        return out;
      }
      if (radiotap_) {  // relative to the 802.11 header, after the radiotap header
        if (index->is_const) {
          out.code = hdr(size, index->k);
        } else {
          need_radiotap_ = true;
          out.code = std::move(index->code);
          out.code.insert(out.code.end(), {stmt(kLdx | kMem, kCellRadiotap), stmt(kAlu | kAdd | kX, 0),
                                           stmt(kMisc | kTax, 0), stmt(kLd | size | kInd, 0)});
        }
        return out;
      }
      indexed(0);
      return out;
    case Proto::ip:
    case Proto::ip6:
    case Proto::arp:
    case Proto::rarp: {
      out.guards = std::move(index->guards);
      std::uint16_t type = a.proto == Proto::ip ? kEtherIp : a.proto == Proto::ip6 ? kEtherIp6
                           : a.proto == Proto::arp ? kEtherArp : kEtherRarp;
      out.guards.push_back(linktype(type, a.column));
      indexed(nl_);
      return out;
    }
    case Proto::icmp6: {
      out.guards = std::move(index->guards);
      out.guards.push_back(ip6_proto_direct(kIpProtoIcmp6, a.column));
      indexed(nl_ + 40);
      return out;
    }
    case Proto::tcp: case Proto::udp: case Proto::sctp: case Proto::icmp: case Proto::igmp: case Proto::igrp:
    case Proto::pim: case Proto::vrrp: case Proto::carp: {
      // libpcap's order: IPv4, the index's own guards, the protocol, first fragment.
      out.guards.push_back(linktype(kEtherIp, a.column));
      for (auto& g : index->guards) out.guards.push_back(g);
      out.guards.push_back(proto_abbrev(a.proto, a.column));
      out.guards.push_back(ipfrag());
      if (index->is_const) {
        if (offset_fits(nl_, index->k)) {
          out.code = {stmt(kLdx | kB | kMsh, nl_), stmt(kLd | size | kInd, nl_ + index->k)};
        } else {  // X + the offset, added in A (see offset_fits)
          const std::uint32_t off = (is_var(nl_) ? var_off(nl_) : nl_) + index->k;
          out.code = {stmt(kLdx | kB | kMsh, nl_), stmt(kMisc | kTxa, 0), stmt(kAlu | kAdd | kK, off),
                      stmt(kMisc | kTax, 0), stmt(kLd | size | kInd, 0)};
        }
      } else {
        std::uint32_t slot;
        if (!alloc_scratch(slot, a.column)) return std::nullopt;
        out.code = std::move(index->code);
        out.code.push_back(stmt(kSt, slot));
        out.code.push_back(stmt(kLdx | kB | kMsh, nl_));
        out.code.push_back(stmt(kLd | kMem, slot));
        out.code.push_back(stmt(kAlu | kAdd | kX, 0));
        out.code.push_back(stmt(kMisc | kTax, 0));
        out.code.push_back(stmt(kLd | size | kInd, nl_));
      }
      return out;
    }
    default:
      error(Errc::unsupported, a.column, fmt::format("'{}[...]' is not supported yet", proto_name(a.proto)));
      return std::nullopt;
  }
}

Cond Gen::relation(const Expr& e) {
  // Each scratch cell is written once per relation: a value stored for an outer operation
  // stays intact while the code of its operands runs. Blocks never share cells.
  scratch_ = 0;
  auto l = arith(*e.lhs);
  if (!l) return graph_.konst(false);
  auto r = arith(*e.rhs);
  if (!r) return graph_.konst(false);
  std::uint16_t jop = kJeq;
  bool invert = false;
  switch (e.rel) {
    case RelOp::eq: jop = kJeq; break;
    case RelOp::ne: jop = kJeq; invert = true; break;
    case RelOp::gt: jop = kJgt; break;
    case RelOp::ge: jop = kJge; break;
    case RelOp::lt: jop = kJge; invert = true; break;
    case RelOp::le: jop = kJgt; invert = true; break;
  }
  Cond cmp;
  auto unchecked = [](const std::vector<Cond>& guards) {
    return std::all_of(guards.begin(), guards.end(), [](const Cond& g) { return g.constant && g.value; });
  };
  if (l->is_const && r->is_const && unchecked(l->guards) && unchecked(r->guards)) {
    bool v = jop == kJeq ? l->k == r->k : jop == kJgt ? l->k > r->k : l->k >= r->k;
    cmp = graph_.konst(v != invert);
  } else if (l->is_const && r->is_const) {
    // Constants behind protocol checks (`ip[100] & 0 = 7`): libpcap keeps the checks and a
    // test of the constant, so such a filter compiles (to a program that rejects every
    // packet) rather than "rejects all packets"; our optimizer removes the test afterwards.
    cmp = test({stmt(kLd | kImm, l->k)}, kJmp | jop | kK, r->k);
    if (invert) cmp = graph_.negate(cmp);
  } else if (r->is_const) {
    cmp = test(std::move(l->code), kJmp | jop | kK, r->k);
    if (invert) cmp = graph_.negate(cmp);
  } else if (to_a(*l); !uses_x(l->code)) {
    std::vector<BpfInsn> code = std::move(r->code);
    code.push_back(stmt(kMisc | kTax, 0));
    for (auto& i : l->code) code.push_back(i);
    cmp = test(std::move(code), kJmp | jop | kX, 0);
    if (invert) cmp = graph_.negate(cmp);
  } else {
    std::uint32_t slot;
    if (!alloc_scratch(slot, e.column)) return graph_.konst(false);
    std::vector<BpfInsn> code = std::move(r->code);
    code.push_back(stmt(kSt, slot));
    for (auto& i : l->code) code.push_back(i);
    code.push_back(stmt(kLdx | kMem, slot));
    cmp = test(std::move(code), kJmp | jop | kX, 0);
    if (invert) cmp = graph_.negate(cmp);
  }
  std::optional<Cond> all;
  for (auto& g : l->guards) all = all ? graph_.both(*all, g) : g;
  for (auto& g : r->guards) all = all ? graph_.both(*all, g) : g;
  return all ? graph_.both(*all, cmp) : cmp;
}

}  // namespace pcapxx::filter::codegen_detail
