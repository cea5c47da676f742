// A small open-addressing hash map (linear probing, backward-shift deletion) for the
// attributor's per-connection bookkeeping: one array, no node allocated per insertion; the array
// doubles when it is half full and never shrinks, so steady churn allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace pcapxx::detail::process {

/// Mixes an integer key (pids, kernel addresses) into a hash whose low bits are usable.
struct IntHash {
  std::size_t operator()(std::uint64_t v) const noexcept {
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdull;
    v ^= v >> 33;
    v *= 0xc4ceb9fe1a85ec53ull;
    return v ^ (v >> 33);
  }
};

template <class K, class V, class Hash = IntHash>
class FlatMap {
 public:
  explicit FlatMap(std::size_t capacity = 64) {
    std::size_t n = 16;
    while (n < 2 * capacity) n *= 2;
    cells_.resize(n);
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  [[nodiscard]] V* find(const K& k) noexcept {
    for (std::size_t i = home(k);; i = next(i)) {
      Cell& c = cells_[i];
      if (!c.used) return nullptr;
      if (c.key == k) return &c.value;
    }
  }
  [[nodiscard]] const V* find(const K& k) const noexcept { return const_cast<FlatMap*>(this)->find(k); }
  [[nodiscard]] bool contains(const K& k) const noexcept { return find(k) != nullptr; }

  /// The value of `k`, value-initialized if it was not there.
  V& operator[](const K& k) {
    if (2 * (size_ + 1) > cells_.size()) grow();
    for (std::size_t i = home(k);; i = next(i)) {
      Cell& c = cells_[i];
      if (!c.used) {
        c.used = true;
        c.key = k;
        c.value = V{};
        ++size_;
        return c.value;
      }
      if (c.key == k) return c.value;
    }
  }

  bool erase(const K& k) noexcept {
    for (std::size_t i = home(k);; i = next(i)) {
      if (!cells_[i].used) return false;
      if (cells_[i].key == k) {
        erase_at(i);
        return true;
      }
    }
  }

  /// Erases every entry for which pred(key, value) holds.
  template <class Pred>
  void erase_if(Pred pred) {
    for (std::size_t i = 0; i < cells_.size();) {
      Cell& c = cells_[i];
      // After an erase, the cell may hold an entry shifted back into it: look at it again.
      if (c.used && pred(std::as_const(c.key), c.value)) erase_at(i);
      else ++i;
    }
  }

 private:
  struct Cell {
    K key{};
    V value{};
    bool used = false;
  };

  [[nodiscard]] std::size_t home(const K& k) const noexcept { return Hash{}(k) & (cells_.size() - 1); }
  [[nodiscard]] std::size_t next(std::size_t i) const noexcept { return (i + 1) & (cells_.size() - 1); }

  void erase_at(std::size_t i) noexcept {
    // Backward shift: later entries of the run move up unless that would put them before
    // their home cell, so no tombstones are needed.
    std::size_t mask = cells_.size() - 1;
    for (std::size_t j = next(i);; j = next(j)) {
      Cell& c = cells_[j];
      if (!c.used) break;
      std::size_t h = home(c.key);
      // c may move to i when i lies cyclically in [h, j).
      if (((j - h) & mask) >= ((j - i) & mask)) {
        cells_[i] = std::move(c);
        i = j;
      }
    }
    cells_[i].used = false;
    --size_;
  }

  void grow() {
    std::vector<Cell> old(cells_.size() * 2);
    old.swap(cells_);
    size_ = 0;
    for (Cell& c : old)
      if (c.used) (*this)[c.key] = std::move(c.value);
  }

  std::vector<Cell> cells_;
  std::size_t size_ = 0;
};

}  // namespace pcapxx::detail::process
