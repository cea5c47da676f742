// The attributor's flow cache: set-associative (4 ways, LRU per set), fixed size, so per packet
// nothing is allocated. A probe hashes the flow's FlowId once, reads one line of tags for the
// set, and compares the full key only where a tag matches. Entries are handed out with a stamp
// that FlowRef checks, so a packet's lookup after resolve() need not search again.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pcapxx/process.hpp"
#include "process/linux/flow_id.hpp"

namespace pcapxx::detail::process {

using Clock = std::chrono::steady_clock;

inline constexpr std::size_t kWays = 4;
inline constexpr std::uint32_t kNoSlot = 0xffffffffu;
// A flow nobody local owned is looked up again after this long.
inline constexpr auto kRetryUnknown = std::chrono::seconds(1);

struct Side {
  std::uint64_t inode = 0;
  std::uint64_t listener = 0;  ///< inode of a TCP listener on this end's address and port
  std::uint32_t slot = kNoSlot;
  std::uint32_t generation = 0;
  std::uint32_t uid = 0;
  AttributionQuality quality = AttributionQuality::unknown;
  bool found = false;           ///< sock_diag knows the socket (or only its listener, when gone)
  bool listener_asked = false;  ///< the listener of this end was looked up
};

/// A cached flow. What a per-packet hit reads (id, stamp, state, sides) comes first.
struct Entry {
  FlowId id;
  std::uint32_t stamp = 0;  ///< changes whenever the entry is given to a flow (FlowRef checks it)
  enum class State : std::uint8_t { empty, pending, settled } state = State::empty;
  bool queued = false;
  std::uint8_t tries = 0;
  Side side[2];
  // While it waits for its traced connect()'s 5-tuple, the sole process connecting towards
  // one of its ends: shown as inferred until the trace settles it.
  std::uint32_t interim_slot = kNoSlot;
  std::uint32_t interim_generation = 0;
  Clock::time_point first_try{};
  Clock::time_point last_query{};
  Clock::time_point born{};  ///< the pass clock when it was noted
};

/// The tags and LRU clocks of one set's ways: a probe reads this one line and then only the
/// entry whose tag matches. A tag is never 0; 0 marks an empty way.
struct alignas(32) SetTags {
  std::uint32_t tag[kWays]{};
  std::uint32_t used[kWays]{};
};

class FlowCache {
 public:
  /// Room for `capacity` flows, rounded up to a whole set.
  explicit FlowCache(std::size_t capacity) {
    std::size_t n = std::max<std::size_t>(kWays, (capacity + kWays - 1) / kWays * kWays);
    entries_.resize(n);
    tags_.resize(n / kWays);
    queue.reserve(n);
  }

  /// The flow's entry, inserted (pending) if it is not cached; null for non-TCP/UDP keys.
  /// `restart`: a new connection on these ports, resolved again. `pass_time`: the clock of the
  /// last resolve().
  Entry* find(const layers::FlowKey& key, bool& src0, bool restart, Clock::time_point pass_time) noexcept {
    auto id = flow_id(key, src0);
    if (!id) return nullptr;
    std::uint64_t h = hash_of(*id);
    auto tag = static_cast<std::uint32_t>(h >> 32) | 1u;
    // The set from the hash's low half by multiply-shift (no division).
    std::size_t set = static_cast<std::size_t>(((h & 0xffffffffu) * tags_.size()) >> 32);
    SetTags& t = tags_[set];
    Entry* ways = &entries_[set * kWays];
    // A new flow's set was last touched long ago: fetch its ways while the tags load, so the
    // misses overlap instead of following one another (a hit on a hot flow finds them cached).
    for (std::size_t w = 0; w < kWays; ++w) __builtin_prefetch(&ways[w], 1);
    ++tick_;
    std::size_t victim = 0;
    for (std::size_t w = 0; w < kWays; ++w) {
      if (t.tag[w] == tag && ways[w].id == *id) {
        Entry& e = ways[w];
        t.used[w] = tick_;
        // Resolve again: a new connection on the same ports, or an unknown flow after a while
        // (its socket may be local and new).
        bool stale_unknown = e.state == Entry::State::settled && e.side[0].quality == AttributionQuality::unknown &&
                             e.side[1].quality == AttributionQuality::unknown && pass_time - e.first_try > kRetryUnknown;
        if (e.state == Entry::State::settled && (restart || stale_unknown)) start(e, t, w, tag, *id, pass_time);
        return &e;
      }
      // The victim: an empty way, else the least recently used (ages in wrapping arithmetic).
      if (t.tag[victim] != 0 && (t.tag[w] == 0 || tick_ - t.used[w] > tick_ - t.used[victim])) victim = w;
    }
    if (t.tag[victim] != 0) ++evicted;
    ++flows;
    start(ways[victim], t, victim, tag, *id, pass_time);
    return &ways[victim];
  }

  /// The entry a FlowRef names, if it still holds the flow noted then.
  [[nodiscard]] Entry* at(const FlowRef& ref) noexcept {
    if (ref.stamp == 0 || ref.index >= entries_.size() || entries_[ref.index].stamp != ref.stamp) return nullptr;
    return &entries_[ref.index];
  }
  [[nodiscard]] std::uint32_t index_of(const Entry& e) const noexcept {
    return static_cast<std::uint32_t>(&e - entries_.data());
  }
  Entry& operator[](std::uint32_t index) noexcept { return entries_[index]; }

  /// Entries noted and not settled yet, for resolve(); an index may stay after its entry was
  /// settled or reused (resolve() skips what is not pending). Never grows past its capacity.
  std::vector<std::uint32_t> queue;
  std::uint64_t flows = 0;    ///< flows inserted
  std::uint64_t evicted = 0;  ///< flows dropped for room

 private:
  /// Gives entry `e` (of set `t`, way `w`) to a flow, pending, and queues it for resolve().
  void start(Entry& e, SetTags& t, std::size_t w, std::uint32_t tag, const FlowId& id, Clock::time_point pass_time) noexcept {
    // Field by field: a whole `e = Entry{}` compiles to a slow `rep stos` on this hot path.
    bool queued = e.queued;
    e.state = Entry::State::pending;
    e.tries = 0;
    e.first_try = e.last_query = Clock::time_point{};
    e.born = pass_time;
    e.id = id;
    e.stamp = ++stamp_ == 0 ? ++stamp_ : stamp_;
    e.side[0] = e.side[1] = Side{};
    e.interim_slot = kNoSlot;
    t.tag[w] = tag;
    t.used[w] = tick_;
    e.queued = queued;  // a queued index stays in the queue (resolve() skips what is not pending)
    if (!queued && queue.size() < queue.capacity()) {
      e.queued = true;
      queue.push_back(index_of(e));
    }
  }

  std::vector<Entry> entries_;
  std::vector<SetTags> tags_;  // one per set of kWays entries
  std::uint32_t tick_ = 0;     // LRU clock, wraps
  std::uint32_t stamp_ = 0;
};

}  // namespace pcapxx::detail::process
