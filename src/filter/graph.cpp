#include "filter/graph.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

namespace pcapxx::filter {
namespace {

using namespace bpf;

// What a test on the same value with (op2, k2) must give, knowing (op1, k1) gave r1.
std::optional<bool> implied(std::uint16_t op1, std::uint32_t k1, bool r1, std::uint16_t op2, std::uint32_t k2) {
  if (op1 == op2 && k1 == k2) return r1;
  auto eval = [](std::uint16_t op, std::uint32_t v, std::uint32_t k) {
    switch (op) {
      case kJeq: return v == k;
      case kJgt: return v > k;
      case kJge: return v >= k;
      default: return (v & k) != 0;
    }
  };
  if (op1 == kJeq && r1) return eval(op2, k1, k2);
  if (op1 == kJgt) {  // v > k1 (r1) or v <= k1 (!r1)
    if (r1) {
      if (op2 == kJgt && k2 <= k1) return true;
      if (op2 == kJge && k2 <= k1 + 1ull) return true;
      if (op2 == kJeq && k2 <= k1) return false;
    } else {
      if (op2 == kJgt && k2 >= k1) return false;
      if ((op2 == kJge || op2 == kJeq) && k2 > k1) return false;
    }
  }
  if (op1 == kJge) {  // v >= k1 (r1) or v < k1 (!r1)
    if (r1) {
      if (op2 == kJge && k2 <= k1) return true;
      if (op2 == kJgt && k2 < k1) return true;
      if (op2 == kJeq && k2 < k1) return false;
    } else {
      if ((op2 == kJge || op2 == kJeq) && k2 >= k1) return false;
      if (op2 == kJgt && k2 + 1ull >= k1) return false;
    }
  }
  return std::nullopt;
}

// "The block `canon` (or one with the same statements and test) went `outcome`".
struct Fact {
  int canon;
  bool outcome;
  friend bool operator==(const Fact&, const Fact&) = default;
  friend auto operator<=>(const Fact&, const Fact&) = default;
};

}  // namespace

Cond Graph::konst(bool value) {
  Cond c;
  c.constant = true;
  c.value = value;
  return c;
}

Cond Graph::test(std::vector<BpfInsn> stmts, std::uint16_t jcode, std::uint32_t k) {
  blocks_.push_back(Block{std::move(stmts), jcode, k, kOpen, kOpen});
  int b = static_cast<int>(blocks_.size()) - 1;
  Cond c;
  c.entry = b;
  c.t.push_back({b, true});
  c.f.push_back({b, false});
  return c;
}

void Graph::patch(const std::vector<Cond::Exit>& exits, int target) {
  for (const auto& e : exits) (e.on_true ? blocks_[static_cast<std::size_t>(e.block)].jt
                                         : blocks_[static_cast<std::size_t>(e.block)].jf) = target;
}

Cond Graph::both(Cond a, Cond b) {
  if (a.constant) return a.value ? b : a;
  if (b.constant && b.value) return a;
  if (b.constant) {  // a and false: a's loads still run first, as in libpcap before optimizing
    Cond out = a;
    out.f.insert(out.f.end(), a.t.begin(), a.t.end());
    out.t.clear();
    return out;
  }
  patch(a.t, b.entry);
  Cond out;
  out.entry = a.entry;
  out.t = std::move(b.t);
  out.f = std::move(a.f);
  out.f.insert(out.f.end(), b.f.begin(), b.f.end());
  return out;
}

Cond Graph::either(Cond a, Cond b) {
  if (a.constant) return a.value ? a : b;
  if (b.constant && !b.value) return a;
  if (b.constant) {
    Cond out = a;
    out.t.insert(out.t.end(), a.f.begin(), a.f.end());
    out.f.clear();
    return out;
  }
  patch(a.f, b.entry);
  Cond out;
  out.entry = a.entry;
  out.t = std::move(a.t);
  out.t.insert(out.t.end(), b.t.begin(), b.t.end());
  out.f = std::move(b.f);
  return out;
}

Cond Graph::negate(Cond a) {
  if (a.constant) return konst(!a.value);
  std::swap(a.t, a.f);
  return a;
}

// Jump threading with the tests known on every path into a block (a "must" dataflow over
// the acyclic graph): an edge skips each block whose outcome follows from what is known, and
// a test whose two exits meet is skipped. Blocks compute their value from the packet alone,
// so blocks with equal statements test equal values.
void Graph::thread_jumps(int& entry) {
  const std::size_t n = blocks_.size();
  std::vector<int> canon(n);
  for (std::size_t i = 0; i < n; ++i) {
    canon[i] = static_cast<int>(i);
    for (std::size_t j = 0; j < i; ++j) {
      const Block& a = blocks_[i];
      const Block& b = blocks_[j];
      if (canon[j] == static_cast<int>(j) && a.jcode == b.jcode && a.k == b.k && a.stmts == b.stmts) {
        canon[i] = static_cast<int>(j);
        break;
      }
    }
  }
  auto resolve = [&](int target, std::vector<Fact> facts) {
    for (std::size_t guard = 0; guard <= n && target >= 0; ++guard) {
      const Block& c = blocks_[static_cast<std::size_t>(target)];
      if (c.jt == c.jf) {
        target = c.jt;
        continue;
      }
      std::optional<bool> known;
      if (insn_src(c.jcode) == kK) {
        for (const Fact& f : facts) {
          const Block& src = blocks_[static_cast<std::size_t>(f.canon)];
          if (insn_src(src.jcode) != kK || src.stmts != c.stmts) continue;
          known = implied(insn_op(src.jcode), src.k, f.outcome, insn_op(c.jcode), c.k);
          if (known) break;
        }
      }
      if (!known) break;
      facts.push_back({canon[static_cast<std::size_t>(target)], *known});
      target = *known ? c.jt : c.jf;
    }
    return target;
  };
  for (int round = 0; round < 100; ++round) {
    bool changed = false;
    int e = resolve(entry, {});
    if (e != entry) entry = e, changed = true;
    if (entry < 0) return;
    // Topological order of what is reachable, then the facts that hold on entry to each block.
    std::vector<int> order;
    std::vector<char> state(n, 0);
    std::vector<std::pair<int, int>> stack{{entry, 0}};
    state[static_cast<std::size_t>(entry)] = 1;
    while (!stack.empty()) {
      auto& [b, step] = stack.back();
      const Block& blk = blocks_[static_cast<std::size_t>(b)];
      int next = step == 0 ? blk.jf : step == 1 ? blk.jt : kOpen;
      ++step;
      if (step > 2) {
        order.push_back(b);
        stack.pop_back();
        continue;
      }
      if (next >= 0 && !state[static_cast<std::size_t>(next)]) {
        state[static_cast<std::size_t>(next)] = 1;
        stack.push_back({next, 0});
      }
    }
    std::reverse(order.begin(), order.end());
    std::vector<std::optional<std::vector<Fact>>> in(n);
    in[static_cast<std::size_t>(entry)] = std::vector<Fact>{};
    for (int b : order) {
      const Block& blk = blocks_[static_cast<std::size_t>(b)];
      const std::vector<Fact>& here = *in[static_cast<std::size_t>(b)];
      for (bool side : {true, false}) {
        int t = side ? blk.jt : blk.jf;
        if (t < 0) continue;
        std::vector<Fact> out = here;
        Fact f{canon[static_cast<std::size_t>(b)], side};
        if (std::find(out.begin(), out.end(), f) == out.end()) out.insert(std::lower_bound(out.begin(), out.end(), f), f);
        auto& dst = in[static_cast<std::size_t>(t)];
        if (!dst) {
          dst = std::move(out);
        } else {
          std::vector<Fact> both;
          std::set_intersection(dst->begin(), dst->end(), out.begin(), out.end(), std::back_inserter(both));
          dst = std::move(both);
        }
      }
    }
    for (int b : order) {
      Block& blk = blocks_[static_cast<std::size_t>(b)];
      for (bool side : {true, false}) {
        int& target = side ? blk.jt : blk.jf;
        std::vector<Fact> facts = *in[static_cast<std::size_t>(b)];
        facts.push_back({canon[static_cast<std::size_t>(b)], side});
        int t = resolve(target, std::move(facts));
        if (t != target) target = t, changed = true;
      }
    }
    if (!changed) break;
  }
}

BpfProgram Graph::emit(int entry, std::uint32_t snaplen) const {
  if (entry < 0) return {stmt(kRet | kK, entry == kAccept ? snaplen : 0)};
  // Reverse post-order from the entry: every edge goes forward (the graph is acyclic).
  std::vector<int> order;
  std::vector<char> seen(blocks_.size(), 0);
  std::vector<std::pair<int, int>> stack{{entry, 0}};
  seen[static_cast<std::size_t>(entry)] = 1;
  while (!stack.empty()) {
    auto& [b, state] = stack.back();
    const Block& blk = blocks_[static_cast<std::size_t>(b)];
    int next = state == 0 ? blk.jf : state == 1 ? blk.jt : kOpen;
    ++state;
    if (state > 2) {
      order.push_back(b);
      stack.pop_back();
      continue;
    }
    if (next >= 0 && !seen[static_cast<std::size_t>(next)]) {
      seen[static_cast<std::size_t>(next)] = 1;
      stack.push_back({next, 0});
    }
  }
  std::reverse(order.begin(), order.end());
  // Layout with trampolines (an unconditional jump after the block) for targets more than
  // 255 instructions away; grow until every offset fits.
  const std::size_t n = order.size();
  std::vector<std::size_t> pos_of(blocks_.size(), 0);
  std::vector<char> tramp_t(n, 0), tramp_f(n, 0);
  std::vector<std::size_t> start(n);
  std::size_t accept_pos = 0, reject_pos = 0;
  auto target_pos = [&](int t) {
    return t == kAccept ? accept_pos : t == kReject ? reject_pos : pos_of[static_cast<std::size_t>(t)];
  };
  for (int iter = 0; iter < 64; ++iter) {
    std::size_t pos = 0;
    for (std::size_t i = 0; i < n; ++i) {
      start[i] = pos;
      pos_of[static_cast<std::size_t>(order[i])] = pos;
      pos += blocks_[static_cast<std::size_t>(order[i])].stmts.size() + 1 + tramp_t[i] + tramp_f[i];
    }
    accept_pos = pos;
    reject_pos = pos + 1;
    bool grew = false;
    for (std::size_t i = 0; i < n; ++i) {
      const Block& b = blocks_[static_cast<std::size_t>(order[i])];
      std::size_t jpos = start[i] + b.stmts.size();
      if (!tramp_t[i] && target_pos(b.jt) - jpos - 1 > 255) tramp_t[i] = 1, grew = true;
      if (!tramp_f[i] && target_pos(b.jf) - jpos - 1 > 255) tramp_f[i] = 1, grew = true;
    }
    if (!grew) break;
  }
  BpfProgram out;
  for (std::size_t i = 0; i < n; ++i) {
    const Block& b = blocks_[static_cast<std::size_t>(order[i])];
    out.insert(out.end(), b.stmts.begin(), b.stmts.end());
    std::size_t jpos = out.size();
    std::size_t after = jpos + 1;
    std::size_t t_at = tramp_t[i] ? after : target_pos(b.jt);
    std::size_t f_at = tramp_f[i] ? after + tramp_t[i] : target_pos(b.jf);
    out.push_back(jump(b.jcode, b.k, static_cast<std::uint8_t>(t_at - jpos - 1), static_cast<std::uint8_t>(f_at - jpos - 1)));
    if (tramp_t[i]) out.push_back(stmt(kJmp | kJa, static_cast<std::uint32_t>(target_pos(b.jt) - out.size() - 1)));
    if (tramp_f[i]) out.push_back(stmt(kJmp | kJa, static_cast<std::uint32_t>(target_pos(b.jf) - out.size() - 1)));
  }
  out.push_back(stmt(kRet | kK, snaplen));
  out.push_back(stmt(kRet | kK, 0));
  return out;
}

Result<BpfProgram> Graph::finish(Cond c, std::uint32_t snaplen, bool optimize) {
  if (!c.constant) {
    patch(c.t, kAccept);
    patch(c.f, kReject);
  }
  int entry = entry_of(c);
  if (optimize) {
    thread_jumps(entry);
    if (entry == kReject) return fail(Errc::invalid_argument, "filter: expression rejects all packets");
  }
  BpfProgram p = emit(entry, snaplen);
  if (p.size() > kMaxInsns)
    return fail(Errc::unsupported, "filter: the expression needs more than 4096 instructions");
  return p;
}

}  // namespace pcapxx::filter
