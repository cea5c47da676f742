#include "filter/graph.hpp"

#include <algorithm>
#include <iterator>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>

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

// The bytes that identify a block's statements and test (and, with `exits`, its targets).
std::string test_key(const Graph::Block& b, bool exits) {
  std::string key(b.stmts.size() * sizeof(BpfInsn) + 16, '\0');
  if (!b.stmts.empty()) std::memcpy(key.data(), b.stmts.data(), b.stmts.size() * sizeof(BpfInsn));
  char* tail = key.data() + b.stmts.size() * sizeof(BpfInsn);
  int jt = exits ? b.jt : 0, jf = exits ? b.jf : 0;
  std::memcpy(tail, &b.jcode, 2);
  std::memcpy(tail + 4, &b.k, 4);
  std::memcpy(tail + 8, &jt, 4);
  std::memcpy(tail + 12, &jf, 4);
  return key;
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

Cond Graph::choose(Cond c, Cond a, Cond b) {
  if (c.constant) return c.value ? a : b;
  Cond out;
  out.entry = c.entry;
  auto route = [&](const std::vector<Cond::Exit>& exits, const Cond& x) {
    if (x.constant) {
      auto& dst = x.value ? out.t : out.f;
      dst.insert(dst.end(), exits.begin(), exits.end());
      return;
    }
    patch(exits, x.entry);
    out.t.insert(out.t.end(), x.t.begin(), x.t.end());
    out.f.insert(out.f.end(), x.f.begin(), x.f.end());
  };
  route(c.t, a);
  route(c.f, b);
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
  {
    std::unordered_map<std::string, int> first;
    for (std::size_t i = 0; i < n; ++i) {
      if (blocks_[i].stmts.empty()) {  // tests A as another block left it: no identity of its own
        canon[i] = static_cast<int>(i);
        continue;
      }
      auto [it, fresh] = first.try_emplace(test_key(blocks_[i], false), static_cast<int>(i));
      canon[i] = it->second;
    }
  }
  // A block without statements tests what its predecessor loaded: that predecessor must run.
  auto consumer = [&](int t) { return t >= 0 && blocks_[static_cast<std::size_t>(t)].stmts.empty(); };
  auto resolve = [&](int target, std::vector<Fact> facts) {
    for (std::size_t guard = 0; guard <= n && target >= 0; ++guard) {
      const Block& c = blocks_[static_cast<std::size_t>(target)];
      if (c.jt == c.jf) {
        if (consumer(c.jt)) break;
        target = c.jt;
        continue;
      }
      std::optional<bool> known;
      if (insn_src(c.jcode) == kK && !c.stmts.empty()) {
        for (const Fact& f : facts) {
          const Block& src = blocks_[static_cast<std::size_t>(f.canon)];
          if (insn_src(src.jcode) != kK || src.stmts != c.stmts) continue;
          known = implied(insn_op(src.jcode), src.k, f.outcome, insn_op(c.jcode), c.k);
          if (known) break;
        }
      }
      if (!known || consumer(*known ? c.jt : c.jf)) break;
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
        if (!blk.stmts.empty() && std::find(out.begin(), out.end(), f) == out.end())
          out.insert(std::lower_bound(out.begin(), out.end(), f), f);
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
        if (target < 0 || consumer(target)) continue;  // nothing to learn about a block without statements
        std::vector<Fact> facts = *in[static_cast<std::size_t>(b)];
        facts.push_back({canon[static_cast<std::size_t>(b)], side});
        int t = resolve(target, std::move(facts));
        if (t != target) target = t, changed = true;
      }
    }
    if (!changed) break;
  }
}

// Reverse post-order of the blocks reachable from the entry: every edge goes forward.
std::vector<int> Graph::topological(int entry) const {
  std::vector<int> order;
  if (entry < 0) return order;
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
  return order;
}

// Blocks with the same statements, test and targets do the same thing: keep one. Children
// first, so merged children make their parents equal too.
void Graph::merge_tails(int& entry) {
  std::vector<int> order = topological(entry);
  std::vector<int> repl(blocks_.size());
  for (std::size_t i = 0; i < repl.size(); ++i) repl[i] = static_cast<int>(i);
  auto through = [&](int t) { return t >= 0 ? repl[static_cast<std::size_t>(t)] : t; };
  std::unordered_map<std::string, int> seen;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Block& b = blocks_[static_cast<std::size_t>(*it)];
    b.jt = through(b.jt);
    b.jf = through(b.jf);
    auto [pos, fresh] = seen.try_emplace(test_key(b, true), *it);
    repl[static_cast<std::size_t>(*it)] = pos->second;
  }
  entry = through(entry);
}

// A block whose every predecessor ran the same statements finds their results still in A and
// X (jumps change neither), so it only jumps. Two such blocks with the same test and targets
// are then the same code whatever their statements were (`ldb [23]; jeq #51` and `ldb [54];
// jeq #51` share `jeq #51`): merge them, children first. A merged block is entered from
// predecessors that each left the value its own test expected.
void Graph::merge_register_tests(int& entry) {
  elide_.assign(blocks_.size(), 1);
  if (entry < 0) return;
  std::vector<int> order = topological(entry);
  elide_[static_cast<std::size_t>(entry)] = 0;
  for (int b : order) {
    const Block& blk = blocks_[static_cast<std::size_t>(b)];
    for (int t : {blk.jt, blk.jf})
      if (t >= 0 && blocks_[static_cast<std::size_t>(t)].stmts != blk.stmts) elide_[static_cast<std::size_t>(t)] = 0;
  }
  std::vector<int> repl(blocks_.size());
  for (std::size_t i = 0; i < repl.size(); ++i) repl[i] = static_cast<int>(i);
  auto through = [&](int t) { return t >= 0 ? repl[static_cast<std::size_t>(t)] : t; };
  std::unordered_map<std::string, int> seen;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Block& b = blocks_[static_cast<std::size_t>(*it)];
    b.jt = through(b.jt);
    b.jf = through(b.jf);
    std::string key;
    if (elide_[static_cast<std::size_t>(*it)]) {
      Block bare{{}, b.jcode, b.k, b.jt, b.jf};
      key = "E" + test_key(bare, true);
    } else {
      key = "S" + test_key(b, true);
    }
    auto [pos, fresh] = seen.try_emplace(std::move(key), *it);
    repl[static_cast<std::size_t>(*it)] = pos->second;
  }
  entry = through(entry);
}

BpfProgram Graph::emit(int entry, std::uint32_t snaplen) const {
  if (entry < 0) return {stmt(kRet | kK, entry == kAccept ? snaplen : 0)};
  std::vector<int> order = topological(entry);
  auto stmts_of = [&](int b) -> std::size_t {
    return elide_[static_cast<std::size_t>(b)] ? 0 : blocks_[static_cast<std::size_t>(b)].stmts.size();
  };
  // Layout with trampolines (an unconditional jump after the block) for targets more than
  // 255 instructions away; grow until every offset fits.
  const std::size_t n = order.size();
  std::vector<std::size_t> pos_of(blocks_.size(), 0);
  std::vector<char> tramp_t(n, 0), tramp_f(n, 0);
  std::vector<std::size_t> start(n);
  // In long programs a copy of the two returns ("island") follows a block every kIslandGap
  // instructions, so jumps to accept or reject stay short: a far jump otherwise costs a
  // trampoline each.
  constexpr std::size_t kIslandGap = 224;
  std::vector<char> island_after(n, 0);
  std::vector<std::size_t> islands;  // positions of each island's accept; the last is the final pair
  auto target_from = [&](int t, std::size_t jpos) {
    if (t >= 0) return pos_of[static_cast<std::size_t>(t)];
    auto it = std::upper_bound(islands.begin(), islands.end(), jpos);
    return *it + (t == kAccept ? 0 : 1);
  };
  std::size_t plain = 2;
  for (std::size_t i = 0; i < n; ++i) plain += stmts_of(order[i]) + 1;
  const bool use_islands = plain > 256;
  for (int iter = 0; iter < 64; ++iter) {
    std::size_t pos = 0, since = 0;
    islands.clear();
    for (std::size_t i = 0; i < n; ++i) {
      start[i] = pos;
      pos_of[static_cast<std::size_t>(order[i])] = pos;
      std::size_t size = stmts_of(order[i]) + 1 + tramp_t[i] + tramp_f[i];
      pos += size;
      since += size;
      if (iter == 0) island_after[i] = 0;
      if (iter == 0 && use_islands && since >= kIslandGap && i + 1 < n) island_after[i] = 1;
      if (island_after[i]) {
        islands.push_back(pos);
        pos += 2;
        since = 0;
      }
    }
    islands.push_back(pos);
    bool grew = false;
    for (std::size_t i = 0; i < n; ++i) {
      const Block& b = blocks_[static_cast<std::size_t>(order[i])];
      std::size_t jpos = start[i] + stmts_of(order[i]);
      if (!tramp_t[i] && target_from(b.jt, jpos) - jpos - 1 > 255) tramp_t[i] = 1, grew = true;
      if (!tramp_f[i] && target_from(b.jf, jpos) - jpos - 1 > 255) tramp_f[i] = 1, grew = true;
    }
    if (!grew) break;
  }

  BpfProgram out;
  for (std::size_t i = 0; i < n; ++i) {
    const Block& b = blocks_[static_cast<std::size_t>(order[i])];
    if (stmts_of(order[i]) != 0) out.insert(out.end(), b.stmts.begin(), b.stmts.end());
    std::size_t jpos = out.size();
    std::size_t after = jpos + 1;
    std::size_t t_at = tramp_t[i] ? after : target_from(b.jt, jpos);
    std::size_t f_at = tramp_f[i] ? after + tramp_t[i] : target_from(b.jf, jpos);
    out.push_back(jump(b.jcode, b.k, static_cast<std::uint8_t>(t_at - jpos - 1), static_cast<std::uint8_t>(f_at - jpos - 1)));
    if (tramp_t[i]) out.push_back(stmt(kJmp | kJa, static_cast<std::uint32_t>(target_from(b.jt, out.size()) - out.size() - 1)));
    if (tramp_f[i]) out.push_back(stmt(kJmp | kJa, static_cast<std::uint32_t>(target_from(b.jf, out.size()) - out.size() - 1)));
    if (island_after[i]) {
      out.push_back(stmt(kRet | kK, snaplen));
      out.push_back(stmt(kRet | kK, 0));
    }
  }
  out.push_back(stmt(kRet | kK, snaplen));
  out.push_back(stmt(kRet | kK, 0));
  return out;
}

Result<BpfProgram> Graph::finish(Cond c, std::uint32_t snaplen, bool optimize, bool reject_all_is_error) {
  if (!c.constant) {
    patch(c.t, kAccept);
    patch(c.f, kReject);
  }
  int entry = entry_of(c);
  if (optimize) {
    thread_jumps(entry);
    merge_tails(entry);
    if (entry == kReject && reject_all_is_error)
      return fail(Errc::invalid_argument, "filter: expression rejects all packets");
  }
  if (optimize) merge_register_tests(entry);
  else elide_.assign(blocks_.size(), 0);
  BpfProgram p = emit(entry, snaplen);
  if (p.size() > kMaxInsns)
    return fail(Errc::unsupported, "filter: the expression needs more than 4096 instructions");
  return p;
}

}  // namespace pcapxx::filter
