// The code generator's intermediate form: a graph of test blocks. A block runs straight-line
// statements that compute everything it tests from the packet alone (no block depends on
// registers left by another), then one conditional jump. A Cond is a partial graph with
// dangling true and false exits; and/or/not connect exits. finish() optimizes, lays the
// blocks out in order and emits the program.
#pragma once

#include <cstdint>
#include <vector>

#include "pcapxx/bpf.hpp"
#include "pcapxx/error.hpp"

namespace pcapxx::filter {

struct Cond {
  bool constant = false;
  bool value = false;
  int entry = -1;
  struct Exit {
    int block;
    bool on_true;
  };
  std::vector<Exit> t, f;
};

class Graph {
 public:
  static constexpr int kAccept = -1;
  static constexpr int kReject = -2;
  static constexpr int kOpen = -3;

  struct Block {
    std::vector<BpfInsn> stmts;
    std::uint16_t jcode = 0;  ///< BPF_JMP | op | K/X
    std::uint32_t k = 0;
    int jt = kOpen;
    int jf = kOpen;
  };

  Cond konst(bool value);
  Cond test(std::vector<BpfInsn> stmts, std::uint16_t jcode, std::uint32_t k);
  Cond both(Cond a, Cond b);    ///< a and b (a runs first)
  Cond either(Cond a, Cond b);  ///< a or b (a runs first)
  Cond negate(Cond a);
  Cond choose(Cond c, Cond a, Cond b);  ///< if c then a else b

  /// Closes the graph and emits the program: accepting paths return `snaplen`. With
  /// `optimize`, redundant tests are threaded away and a program that can only reject is an
  /// error, as libpcap reports it.
  /// `reject_all_is_error` false: a program that can only reject is returned, not refused
  /// (libpcap does not optimize expressions with protochain, so it never finds out).
  Result<BpfProgram> finish(Cond c, std::uint32_t snaplen, bool optimize, bool reject_all_is_error = true);

  [[nodiscard]] const std::vector<Block>& blocks() const noexcept { return blocks_; }

  /// Straight code emitted before the first block (802.11's variable header offsets); its
  /// jumps stay inside it. `cells` (bit i: scratch cell i) are the cells it leaves holding
  /// values that nothing else writes, which blocks may load.
  /// `x_cell`: the cell whose value X holds at the end of the prologue (-1: none).
  void set_prologue(std::vector<BpfInsn> code, std::uint32_t cells, int x_cell = -1) {
    prologue_ = std::move(code);
    prologue_cells_ = cells;
    prologue_x_cell_ = x_cell;
  }

 private:
  void patch(const std::vector<Cond::Exit>& exits, int target);
  int entry_of(const Cond& c) const { return c.constant ? (c.value ? kAccept : kReject) : c.entry; }
  void give_tests_their_loads(int entry);
  void fold_constant_tests();
  void fold_masks();
  void thread_jumps(int& entry);
  void merge_tails(int& entry);
  bool hoist_held_tests(int entry);
  bool hoist_common_tests(int entry);
  void merge_register_tests(int& entry);
  void drop_unread_prologue_stores(int entry);
  std::vector<int> topological(int entry) const;
  BpfProgram emit(int entry, std::uint32_t snaplen) const;
  void drop_unneeded_zero_stores(BpfProgram& program) const;

  std::vector<Block> blocks_;
  std::vector<BpfInsn> prologue_;
  std::uint32_t prologue_cells_ = 0;
  int prologue_x_cell_ = -1;
  bool libpcap_strength_ = false;  ///< thread_jumps draws only the conclusions libpcap's optimizer draws
  std::vector<BpfInsn> emitted_stmts(int b) const;

  std::vector<std::vector<char>> keep_;  ///< per block and statement: emitted (else A, X or the cell already holds it)
};

}  // namespace pcapxx::filter
