#include "filter/graph.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <iterator>
#include <cstring>
#include <optional>
#include <span>
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

// What libpcap's optimizer concludes (optimize.c fold_edge): an identical test gives the same
// outcome, and after `jeq #k1` was true a `jeq #k2` is k1 == k2. Used only to decide, as
// libpcap does, whether an expression "rejects all packets".
std::optional<bool> implied_as_libpcap(std::uint16_t op1, std::uint32_t k1, bool r1, std::uint16_t op2,
                                       std::uint32_t k2) {
  if (op1 == op2 && k1 == k2) return r1;
  if (op1 == kJeq && op2 == kJeq && r1) return k1 == k2;
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
        // Behind a prologue (802.11) libpcap skips no test that loads packet bytes, and a load
        // past the captured bytes rejects the packet: keep such tests.
        if (!prologue_.empty() && std::any_of(c.stmts.begin(), c.stmts.end(), [](const BpfInsn& i) {
              const std::uint16_t cls = insn_class(i.code), mode = insn_mode(i.code);
              return (cls == kLd || cls == kLdx) && (mode == kAbs || mode == kInd || mode == kMsh);
            }))
          break;
        target = c.jt;
        continue;
      }
      std::optional<bool> known;
      // Behind a prologue that branches (802.11 payload offsets) libpcap's optimizer draws no
      // conclusion from any test (observed: `not llc and host H` on 802.11 is not refused,
      // `llc and not llc` is).
      const bool opaque = libpcap_strength_ && std::any_of(prologue_.begin(), prologue_.end(), [](const BpfInsn& i) {
        return insn_class(i.code) == kJmp;
      });
      if (insn_src(c.jcode) == kK && !c.stmts.empty() && !opaque) {
        for (const Fact& f : facts) {
          const Block& src = blocks_[static_cast<std::size_t>(f.canon)];
          if (insn_src(src.jcode) != kK || src.stmts != c.stmts) continue;
          known = libpcap_strength_
                      ? implied_as_libpcap(insn_op(src.jcode), src.k, f.outcome, insn_op(c.jcode), c.k)
                      : implied(insn_op(src.jcode), src.k, f.outcome, insn_op(c.jcode), c.k);
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
    const std::vector<int> order = topological(entry);
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

namespace {

constexpr int kUnknown = -1;

// Value numbering: what A, X and each scratch cell hold, as numbers of values. Equal numbers
// are equal values on every packet: a value is named by the instruction that computed it and
// the values it read, and blocks compute from the packet alone, so a load of the same bytes
// gives the same value wherever it runs.
struct Registers {
  int a = kUnknown, x = kUnknown;
  std::array<int, kMemWords> mem{kUnknown, kUnknown, kUnknown, kUnknown, kUnknown, kUnknown, kUnknown, kUnknown,
                                 kUnknown, kUnknown, kUnknown, kUnknown, kUnknown, kUnknown, kUnknown, kUnknown};

  void meet(const Registers& o) {
    if (a != o.a) a = kUnknown;
    if (x != o.x) x = kUnknown;
    for (std::size_t i = 0; i < mem.size(); ++i)
      if (mem[i] != o.mem[i]) mem[i] = kUnknown;
  }
};

class ValueNumbers {
 public:
  // The number of the value `in` computes from inputs numbered `a` and `x` (kUnknown when an
  // input it reads is unknown).
  int of(const BpfInsn& in, int a, int x) {
    std::uint16_t cls = insn_class(in.code);
    bool reads_a = cls == kAlu || cls == kSt || in.code == (kMisc | kTax);
    bool reads_x = (cls == kAlu && insn_src(in.code) == kX) ||
                   ((cls == kLd || cls == kLdx) && insn_mode(in.code) == kInd) || cls == kStx ||
                   in.code == (kMisc | kTxa);
    if (in.code == (kAlu | kNeg)) reads_x = false;
    // Ancillary loads that read A or X, or differ between two loads of one packet: no number.
    if (cls == kLd && insn_mode(in.code) == kAbs && in.k >= kAdOff) {
      std::uint32_t ad = in.k - kAdOff;
      if (ad == kAdNlAttr || ad == kAdNlAttrNest || ad == kAdAluXorX || ad == kAdRandom) return kUnknown;
    }
    if ((reads_a && a == kUnknown) || (reads_x && x == kUnknown)) return kUnknown;
    std::array<std::uint32_t, 4> key{in.code, in.k, static_cast<std::uint32_t>(reads_a ? a : kUnknown),
                                     static_cast<std::uint32_t>(reads_x ? x : kUnknown)};
    std::string bytes(reinterpret_cast<const char*>(key.data()), sizeof key);
    return numbers_.try_emplace(std::move(bytes), static_cast<int>(numbers_.size())).first->second;
  }

 private:
  std::unordered_map<std::string, int> numbers_;
};

// A statement whose value in A the next one overwrites unread goes, when it cannot fail
// (`safe`): not a division by X, and not a packet load unless a register or cell already holds
// the same load's value, so that it succeeded before (`len + ip[0]` after `ip[0] + ip6[0]`
// left ip[0] in X: its `ldb [14]` would only be overwritten by `ld #pktlen`). The block's test
// and its successors read A at the end.
void drop_dead_a_writes(const std::vector<BpfInsn>& stmts, const std::vector<char>& safe, std::vector<char>& keep) {
  bool live = true;
  for (std::size_t i = stmts.size(); i-- > 0;) {
    if (!keep[i]) continue;
    const std::uint16_t code = stmts[i].code, cls = insn_class(code);
    const bool writes = cls == kLd || cls == kAlu || code == (kMisc | kTxa);
    const bool reads = cls == kAlu || cls == kSt || code == (kMisc | kTax);
    if (writes && !live && safe[i]) {
      keep[i] = 0;
      continue;
    }
    if (writes) live = reads;
    else if (reads) live = true;
  }
}

}  // namespace

// Redundant loads and stores: the registers and scratch cells on entry to each block are the
// meet over its predecessors of what they left (a dataflow over the acyclic graph, with value
// numbers). A statement whose result its destination already holds is dropped (the second
// `ldxb 4*([14]&0xf)` of a port test, a whole block after one with the same statements, the
// `ld M[0]` after `st M[0]`), and a load of a cell whose value the other register holds
// becomes a transfer (`st M[0]; ldx M[0]` is `tax`); then stores to cells that nothing loads. Blocks whose statements
// jump (protochain's loop) keep every statement. Last, blocks whose emitted code, test and
// targets are equal are merged, children first (`ldb [23]; jeq #51` and `ldb [54]; jeq #51`
// share `jeq #51` once their loads are dropped): each predecessor left the values its own
// block expected.
void Graph::merge_register_tests(int& entry) {
  keep_.assign(blocks_.size(), {});
  for (std::size_t i = 0; i < blocks_.size(); ++i) keep_[i].assign(blocks_[i].stmts.size(), 1);
  if (entry < 0) return;
  std::vector<int> order = topological(entry);
  std::vector<std::optional<Registers>> in(blocks_.size());
  Registers at_entry;
  for (std::size_t cell = 0; cell < kMemWords; ++cell)  // the prologue's values: numbers of their own
    if (prologue_cells_ >> cell & 1) at_entry.mem[cell] = -100 - static_cast<int>(cell);
  if (prologue_x_cell_ >= 0) at_entry.x = at_entry.mem[static_cast<std::size_t>(prologue_x_cell_)];
  in[static_cast<std::size_t>(entry)] = at_entry;
  ValueNumbers numbers;
  for (int b : order) {
    Block& blk = blocks_[static_cast<std::size_t>(b)];
    std::vector<char>& keep = keep_[static_cast<std::size_t>(b)];
    Registers regs = in[static_cast<std::size_t>(b)].value_or(Registers{});
    const bool loops = std::any_of(blk.stmts.begin(), blk.stmts.end(), [](const BpfInsn& i) {
      return insn_class(i.code) == kJmp || insn_class(i.code) == kRet;
    });
    if (loops) {
      regs = Registers{};
    } else {
      Registers after = regs;
      std::vector<char> safe(blk.stmts.size(), 1);  // cannot fail here (see drop_dead_a_writes)
      for (std::size_t i = 0; i < blk.stmts.size(); ++i) {
        const BpfInsn& st = blk.stmts[i];
        const std::uint16_t cls = insn_class(st.code);
        const std::size_t cell = st.k & (kMemWords - 1);
        if (cls == kLd && (insn_mode(st.code) == kAbs || insn_mode(st.code) == kInd || insn_mode(st.code) == kMsh)) {
          const int v = numbers.of(st, after.a, after.x);
          safe[i] = v != kUnknown && (after.a == v || after.x == v || std::find(after.mem.begin(), after.mem.end(), v) != after.mem.end());
        } else if (cls == kAlu && (insn_op(st.code) == kDiv || insn_op(st.code) == kMod)) {
          safe[i] = insn_src(st.code) == kK && st.k != 0;
        }
        if (cls == kSt || cls == kStx) {
          int v = cls == kSt ? after.a : after.x;
          if (v != kUnknown && after.mem[cell] == v) keep[i] = 0;
          after.mem[cell] = v;
          continue;
        }
        if (st.code == (kLd | kMem) || st.code == (kLdx | kMem)) {
          int& dst = cls == kLd ? after.a : after.x;
          const int other = cls == kLd ? after.x : after.a;
          if (after.mem[cell] != kUnknown && dst == after.mem[cell]) keep[i] = 0;
          // The other register holds it: a transfer, and the store may go unread.
          else if (after.mem[cell] != kUnknown && other == after.mem[cell]) blk.stmts[i] = stmt(kMisc | (cls == kLd ? kTxa : kTax), 0);
          dst = after.mem[cell];
          continue;
        }
        int v = st.code == (kMisc | kTax) ? after.a : st.code == (kMisc | kTxa) ? after.x : numbers.of(st, after.a, after.x);
        int& dst = (cls == kLdx || st.code == (kMisc | kTax)) ? after.x : after.a;
        if (v != kUnknown && dst == v) keep[i] = 0;
        dst = v;
      }
      // The block's test already has its value in A (an 802.11 port test after another on the
      // same port field: its whole offset computation is redundant, not only its last load).
      // Nothing runs, so the registers and cells stay as they came.
      const bool held = after.a != kUnknown && after.a == regs.a && (insn_src(blk.jcode) == kK || after.x == regs.x);
      if (held) {
        std::fill(keep.begin(), keep.end(), 0);
      } else {
        regs = after;
        drop_dead_a_writes(blk.stmts, safe, keep);
      }
    }
    for (int t : {blk.jt, blk.jf}) {
      if (t < 0) continue;
      auto& dst = in[static_cast<std::size_t>(t)];
      if (!dst) dst = regs;
      else dst->meet(regs);
    }
  }
  // Stores nothing loads.
  std::array<bool, kMemWords> loaded{};
  for (int b : order) {
    const Block& blk = blocks_[static_cast<std::size_t>(b)];
    for (std::size_t i = 0; i < blk.stmts.size(); ++i)
      if (keep_[static_cast<std::size_t>(b)][i] && insn_mode(blk.stmts[i].code) == kMem &&
          (insn_class(blk.stmts[i].code) == kLd || insn_class(blk.stmts[i].code) == kLdx))
        loaded[blk.stmts[i].k & (kMemWords - 1)] = true;
  }
  for (int b : order) {
    const Block& blk = blocks_[static_cast<std::size_t>(b)];
    for (std::size_t i = 0; i < blk.stmts.size(); ++i) {
      std::uint16_t cls = insn_class(blk.stmts[i].code);
      if ((cls == kSt || cls == kStx) && !loaded[blk.stmts[i].k & (kMemWords - 1)]) keep_[static_cast<std::size_t>(b)][i] = 0;
    }
  }
  std::vector<int> repl(blocks_.size());
  for (std::size_t i = 0; i < repl.size(); ++i) repl[i] = static_cast<int>(i);
  auto through = [&](int t) { return t >= 0 ? repl[static_cast<std::size_t>(t)] : t; };
  std::unordered_map<std::string, int> seen;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Block& b = blocks_[static_cast<std::size_t>(*it)];
    b.jt = through(b.jt);
    b.jf = through(b.jf);
    Block emitted{emitted_stmts(*it), b.jcode, b.k, b.jt, b.jf};
    auto [pos, fresh] = seen.try_emplace(test_key(emitted, true), *it);
    repl[static_cast<std::size_t>(*it)] = pos->second;
  }
  entry = through(entry);
}

// A prologue store to a cell that no statement loads goes, when no jump of the prologue
// precedes it (so no jump offset changes).
void Graph::drop_unread_prologue_stores(int entry) {
  auto loads_cell = [](const BpfInsn& i, std::uint32_t cell) {
    return (i.code == (kLd | kMem) || i.code == (kLdx | kMem)) && i.k == cell;
  };
  for (std::size_t i = 0; i < prologue_.size(); ++i) {
    const BpfInsn st = prologue_[i];
    if (insn_class(st.code) == kJmp) break;
    if (st.code != kSt) continue;
    bool read = std::any_of(prologue_.begin(), prologue_.end(), [&](const BpfInsn& x) { return loads_cell(x, st.k); });
    for (int b : topological(entry))
      for (const BpfInsn& x : emitted_stmts(b)) read = read || loads_cell(x, st.k);
    if (!read) prologue_.erase(prologue_.begin() + static_cast<std::ptrdiff_t>(i--));
  }
}

// A prologue that only zeroes cells (Geneve's) is there for the kernel's store-before-load
// rule (net/core/filter.c check_load_and_stores); a store the rule does not need goes: the
// program then stores that cell before every load of it on every path, so nothing reads the zero.
void Graph::drop_unneeded_zero_stores(BpfProgram& program) const {
  const bool zeroing = !prologue_.empty() && std::all_of(prologue_.begin(), prologue_.end(), [](const BpfInsn& i) {
    return i.code == kSt || (i.code == (kLd | kImm) && i.k == 0);
  });
  if (!zeroing || !validate_program(program, BpfRules::kernel)) return;
  std::size_t len = prologue_.size();
  for (std::size_t i = len; i-- > 0;) {
    if (program[i].code != kSt) continue;
    const BpfInsn st = program[i];
    program.erase(program.begin() + static_cast<std::ptrdiff_t>(i));
    if (validate_program(program, BpfRules::kernel)) --len;
    else program.insert(program.begin() + static_cast<std::ptrdiff_t>(i), st);
  }
  if (std::none_of(program.begin(), program.begin() + static_cast<std::ptrdiff_t>(len), [](const BpfInsn& i) { return i.code == kSt; }))
    program.erase(program.begin(), program.begin() + static_cast<std::ptrdiff_t>(len));  // A is loaded before it is read
}

std::vector<BpfInsn> Graph::emitted_stmts(int b) const {
  std::vector<BpfInsn> out;
  const Block& blk = blocks_[static_cast<std::size_t>(b)];
  for (std::size_t i = 0; i < blk.stmts.size(); ++i)
    if (keep_[static_cast<std::size_t>(b)][i]) out.push_back(blk.stmts[i]);
  return out;
}

BpfProgram Graph::emit(int entry, std::uint32_t snaplen) const {
  if (entry < 0) return {stmt(kRet | kK, entry == kAccept ? snaplen : 0)};
  // Every jump is relative, so the blocks' code is laid out as if the prologue were not there.
  BpfProgram out = prologue_;
  std::vector<int> order = topological(entry);
  auto stmts_of = [&](int b) -> std::size_t {
    const auto& keep = keep_[static_cast<std::size_t>(b)];
    return static_cast<std::size_t>(std::count(keep.begin(), keep.end(), 1));
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

  for (std::size_t i = 0; i < n; ++i) {
    const Block& b = blocks_[static_cast<std::size_t>(order[i])];
    for (std::size_t j = 0; j < b.stmts.size(); ++j)
      if (keep_[static_cast<std::size_t>(order[i])][j]) out.push_back(b.stmts[j]);
    const std::size_t base = prologue_.size();
    std::size_t jpos = out.size() - base;
    std::size_t after = jpos + 1;
    std::size_t t_at = tramp_t[i] ? after : target_from(b.jt, jpos);
    std::size_t f_at = tramp_f[i] ? after + tramp_t[i] : target_from(b.jf, jpos);
    out.push_back(jump(b.jcode, b.k, static_cast<std::uint8_t>(t_at - jpos - 1), static_cast<std::uint8_t>(f_at - jpos - 1)));
    if (tramp_t[i]) out.push_back(stmt(kJmp | kJa, static_cast<std::uint32_t>(target_from(b.jt, out.size() - base) - (out.size() - base) - 1)));
    if (tramp_f[i]) out.push_back(stmt(kJmp | kJa, static_cast<std::uint32_t>(target_from(b.jf, out.size() - base) - (out.size() - base) - 1)));
    if (island_after[i]) {
      out.push_back(stmt(kRet | kK, snaplen));
      out.push_back(stmt(kRet | kK, 0));
    }
  }
  out.push_back(stmt(kRet | kK, snaplen));
  out.push_back(stmt(kRet | kK, 0));
  return out;
}

// A block without statements (a value tree's inner test) tests A as its predecessors left it;
// it gets a copy of their statements, so that threading may enter it from any block and learn
// from its test. The copy costs nothing where A already holds the value: merge_register_tests
// drops it again. A block whose predecessors load different things keeps no statements.
void Graph::give_tests_their_loads(int entry) {
  const std::vector<int> order = topological(entry);
  std::vector<std::optional<std::vector<BpfInsn>>> from(blocks_.size());
  std::vector<char> agree(blocks_.size(), 1);
  for (int b : order) {
    Block& blk = blocks_[static_cast<std::size_t>(b)];
    if (blk.stmts.empty() && from[static_cast<std::size_t>(b)] && agree[static_cast<std::size_t>(b)])
      blk.stmts = *from[static_cast<std::size_t>(b)];
    for (int t : {blk.jt, blk.jf}) {
      if (t < 0) continue;
      auto& dst = from[static_cast<std::size_t>(t)];
      const bool branches = std::any_of(blk.stmts.begin(), blk.stmts.end(), [](const BpfInsn& i) {
        return insn_class(i.code) == kJmp || insn_class(i.code) == kRet;
      });
      if (!dst) dst = blk.stmts;
      if (*dst != blk.stmts || branches) agree[static_cast<std::size_t>(t)] = 0;
    }
  }
}

namespace {

// The end of the furthest absolute packet load in `stmts` (0: none); nullopt when a statement
// may fail for another reason (an indexed load, a division) or reads X or a scratch cell.
std::optional<std::uint32_t> absolute_reach(const std::vector<BpfInsn>& stmts) {
  std::uint32_t reach = 0;
  for (const BpfInsn& i : stmts) {
    const std::uint16_t cls = insn_class(i.code), mode = insn_mode(i.code);
    if ((cls == kLd && mode == kAbs) || (cls == kLdx && mode == kMsh)) {
      if (i.k >= kAdOff) return std::nullopt;
      const std::uint32_t size = cls == kLdx ? 1 : insn_size(i.code) == kW ? 4 : insn_size(i.code) == kH ? 2 : 1;
      if (i.k > 0xffffffffu - size) return std::nullopt;
      reach = std::max(reach, i.k + size);
    } else if (cls == kLd && (mode == kImm || mode == kLen)) {
    } else if (cls == kAlu && insn_src(i.code) == kK && insn_op(i.code) != kDiv && insn_op(i.code) != kMod) {
    } else {
      return std::nullopt;
    }
  }
  return reach;
}

}  // namespace

// In a chain `X and Y` (X passes to Y, both fail to F; Y is reached from X alone) where every
// block before X loaded what Y loads, Y goes first: its load is then already done (libpcap's
// `host A and host B`: after `[26] != A` it tests `[26] == B` before loading [30]). The order
// of two conjuncts matters only through loads past the captured bytes, which reject: when F
// is not reject, X may only load bytes that Y's loads (already done before X) cover.
bool Graph::hoist_held_tests(int entry) {
  const std::vector<int> order = topological(entry);
  std::vector<std::vector<int>> preds(blocks_.size());
  for (int b : order)
    for (int t : {blocks_[static_cast<std::size_t>(b)].jt, blocks_[static_cast<std::size_t>(b)].jf})
      if (t >= 0) preds[static_cast<std::size_t>(t)].push_back(b);
  auto pure = [](const std::vector<BpfInsn>& stmts) {
    return !stmts.empty() && std::none_of(stmts.begin(), stmts.end(), [](const BpfInsn& i) {
      return insn_class(i.code) == kJmp || insn_class(i.code) == kRet;
    });
  };
  bool changed = false;
  for (int x : order) {
    Block& bx = blocks_[static_cast<std::size_t>(x)];
    const auto& px = preds[static_cast<std::size_t>(x)];
    for (bool x_pass : {true, false}) {
      const int y = x_pass ? bx.jt : bx.jf;
      const int f = x_pass ? bx.jf : bx.jt;
      if (y < 0 || y == x || preds[static_cast<std::size_t>(y)].size() != 1 || px.empty()) continue;
      Block& by = blocks_[static_cast<std::size_t>(y)];
      if (by.jt != f && by.jf != f) continue;
      const bool y_pass = by.jf == f;
      const int t = y_pass ? by.jt : by.jf;
      if (t == f || !pure(bx.stmts) || !pure(by.stmts) || bx.stmts == by.stmts) continue;
      if (t >= 0 && blocks_[static_cast<std::size_t>(t)].stmts == by.stmts) continue;  // t wanted Y's value in A
      if (!std::all_of(px.begin(), px.end(), [&](int p) { return blocks_[static_cast<std::size_t>(p)].stmts == by.stmts; }))
        continue;
      if (f != kReject) {
        const auto rx = absolute_reach(bx.stmts), ry = absolute_reach(by.stmts);
        if (!rx || !ry || *rx > *ry) continue;
      }
      Block first{by.stmts, by.jcode, by.k, y_pass ? y : f, y_pass ? f : y};
      Block second{bx.stmts, bx.jcode, bx.k, x_pass ? t : f, x_pass ? f : t};
      bx = std::move(first);
      by = std::move(second);
      changed = true;
      break;
    }
  }
  return changed;
}

// A block whose two successors run the same test with the same outcome on one side tests that
// first: `C ? (Z ? T : P) : (Z ? T : Q)` is `Z ? T : (C ? P : Q)` (the first sctp-or-host test
// of `(sctp or host H) and not (host H2 or H ...)`). Z runs on both paths, so only a load of C
// past the captured bytes could tell the two apart: C may only load bytes that Z loads, unless
// T rejects.
bool Graph::hoist_common_tests(int entry) {
  const std::vector<int> order = topological(entry);
  std::vector<int> npreds(blocks_.size(), 0);
  for (int b : order)
    for (int t : {blocks_[static_cast<std::size_t>(b)].jt, blocks_[static_cast<std::size_t>(b)].jf})
      if (t >= 0) ++npreds[static_cast<std::size_t>(t)];
  bool changed = false;
  std::vector<char> dead(blocks_.size(), 0);
  for (int c : order) {
    if (dead[static_cast<std::size_t>(c)]) continue;
    Block& bc = blocks_[static_cast<std::size_t>(c)];
    const int z1 = bc.jt, z2 = bc.jf;
    if (z1 < 0 || z2 < 0 || z1 == z2 || npreds[static_cast<std::size_t>(z1)] != 1 || npreds[static_cast<std::size_t>(z2)] != 1)
      continue;
    Block& b1 = blocks_[static_cast<std::size_t>(z1)];
    Block& b2 = blocks_[static_cast<std::size_t>(z2)];
    if (b1.stmts.empty() || b1.stmts != b2.stmts || b1.jcode != b2.jcode || b1.k != b2.k) continue;
    const bool common_true = b1.jt == b2.jt;
    if (!common_true && b1.jf != b2.jf) continue;
    const int t = common_true ? b1.jt : b1.jf;
    if (t != kReject) {
      const auto rc = absolute_reach(bc.stmts), rz = absolute_reach(b1.stmts);
      if (!rc || !rz || *rc > *rz || bc.stmts.empty()) continue;
    }
    const int p = common_true ? b1.jf : b1.jt, q = common_true ? b2.jf : b2.jt;
    Block inner{bc.stmts, bc.jcode, bc.k, p, q};
    Block outer{b1.stmts, b1.jcode, b1.k, common_true ? t : z1, common_true ? z1 : t};
    bc = std::move(outer);
    blocks_[static_cast<std::size_t>(z1)] = std::move(inner);
    npreds[static_cast<std::size_t>(z2)] = 0;
    dead[static_cast<std::size_t>(z2)] = 1;
    changed = true;
  }
  return changed;
}

// A block that loads a constant and tests it (`ip[100] & 0 = 7` behind its IPv4 check) goes
// the one way it always goes; threading then skips it. After the "rejects all packets"
// decision, which libpcap makes with such tests still in place.
void Graph::fold_constant_tests() {
  for (Block& b : blocks_) {
    if (b.stmts.size() != 1 || b.stmts[0].code != (kLd | kImm) || insn_src(b.jcode) != kK) continue;
    const std::uint32_t a = b.stmts[0].k;
    const std::uint16_t op = insn_op(b.jcode);
    const bool taken = op == kJeq ? a == b.k : op == kJgt ? a > b.k : op == kJge ? a >= b.k : (a & b.k) != 0;
    if (taken) b.jf = b.jt;
    else b.jt = b.jf;
  }
}

// A mask and a comparison become one bit test: `and #m; jeq #0` is `jset #m` with the exits
// swapped, `and #m; jgt #0` is `jset #m`, and `and #m; jeq #m` is `jset #m` when m is one bit.
// An equality after adding, subtracting or xoring a constant compares with the constant undone
// (`sub #200; jeq #7` is `jeq #207`; equality holds modulo 2^32 as the arithmetic wraps), and
// `sub x; jeq #0` is `jeq x`.
void Graph::fold_masks() {
  for (Block& b : blocks_) {
    while (b.stmts.size() >= 2 && b.jcode == (kJmp | kJeq | kK)) {
      const BpfInsn& last = b.stmts.back();
      if (last.code == (kAlu | kAdd | kK)) b.k -= last.k;
      else if (last.code == (kAlu | kSub | kK)) b.k += last.k;
      else if (last.code == (kAlu | kXor | kK)) b.k ^= last.k;
      else if ((last.code == (kAlu | kSub | kX) || last.code == (kAlu | kXor | kX)) && b.k == 0) b.jcode = kJmp | kJeq | kX;
      else break;
      b.stmts.pop_back();
    }
    if (b.stmts.size() < 2 || b.stmts.back().code != (kAlu | kAnd | kK) || insn_src(b.jcode) != kK) continue;
    const std::uint32_t m = b.stmts.back().k;
    const std::uint16_t op = insn_op(b.jcode);
    bool swap = false;
    if (op == kJeq && b.k == 0) swap = true;
    else if (op == kJgt && b.k == 0) swap = false;
    else if (op == kJeq && b.k == m && std::has_single_bit(m)) swap = false;
    else continue;
    b.stmts.pop_back();
    b.jcode = kJmp | kJset | kK;
    b.k = m;
    if (swap) std::swap(b.jt, b.jf);
  }
}

Result<BpfProgram> Graph::finish(Cond c, std::uint32_t snaplen, bool optimize, bool reject_all_is_error) {
  if (!c.constant) {
    patch(c.t, kAccept);
    patch(c.f, kReject);
  }
  int entry = entry_of(c);
  if (optimize) {
    give_tests_their_loads(entry);
    fold_masks();
    if (reject_all_is_error) {
      // libpcap's optimizer sees fewer implications than ours (`iso and host H` on Ethernet
      // can never match, yet libpcap compiles it): decide "rejects all" with its strength.
      const std::vector<Block> saved = blocks_;
      int weak_entry = entry;
      libpcap_strength_ = true;
      thread_jumps(weak_entry);
      merge_tails(weak_entry);
      libpcap_strength_ = false;
      bool accepts = weak_entry == kAccept;
      for (int b : topological(weak_entry)) {
        const Block& blk = blocks_[static_cast<std::size_t>(b)];
        accepts = accepts || blk.jt == kAccept || blk.jf == kAccept;
      }
      if (!accepts) return fail(Errc::invalid_argument, "filter: expression rejects all packets");
      blocks_ = saved;
      reject_all_is_error = false;  // ours may find more; the program then only rejects, as libpcap's does
    }
    fold_constant_tests();
    thread_jumps(entry);
    merge_tails(entry);
    // Reordering tests may open new threading; each round only reorders what it made shorter.
    for (int round = 0; round < 8; ++round) {
      const bool held = hoist_held_tests(entry);
      const bool common = hoist_common_tests(entry);  // runs whether or not the first moved anything
      if (!held && !common) break;
      thread_jumps(entry);
      merge_tails(entry);
    }
    // Also when blocks remain but no path reaches accept (both exits of a test reject).
    bool accepts = entry == kAccept;
    for (int b : topological(entry)) {
      const Block& blk = blocks_[static_cast<std::size_t>(b)];
      accepts = accepts || blk.jt == kAccept || blk.jf == kAccept;
    }
    if (!accepts && reject_all_is_error) return fail(Errc::invalid_argument, "filter: expression rejects all packets");
    if (!accepts) entry = kReject;
  }
  if (optimize) {
    merge_register_tests(entry);
    drop_unread_prologue_stores(entry);
  } else {
    keep_.assign(blocks_.size(), {});
    for (std::size_t i = 0; i < blocks_.size(); ++i) keep_[i].assign(blocks_[i].stmts.size(), 1);
  }
  BpfProgram p = emit(entry, snaplen);
  if (optimize) drop_unneeded_zero_stores(p);
  if (p.size() > kMaxInsns)
    return fail(Errc::unsupported, "filter: the expression needs more than 4096 instructions");
  return p;
}

}  // namespace pcapxx::filter
