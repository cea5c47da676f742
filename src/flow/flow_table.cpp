// The flow table: records in one preallocated vector, an open-addressing index over them
// (linear probing, backward-shift deletion, no tombstones), an intrusive LRU list by last seen.
#include "pcapxx/flow_table.hpp"

#include <sys/mman.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "pcapxx/layers/tcp.hpp"

namespace pcapxx {

namespace {

using layers::FlowKey;
using layers::Tcp;

std::uint64_t flow_hash(const FlowKey& key, std::uint16_t vlan, std::uint32_t interface) noexcept {
  std::uint64_t h = key.symmetric_hash();
  h ^= (std::uint64_t{vlan} << 32 | interface) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return h;
}

bool same_forward(const FlowKey& a, const FlowKey& b) noexcept {
  return a.src_port == b.src_port && a.dst_port == b.dst_port && a.protocol == b.protocol &&
         a.ip_version == b.ip_version && a.src == b.src && a.dst == b.dst;
}

bool same_reversed(const FlowKey& a, const FlowKey& b) noexcept {
  return a.src_port == b.dst_port && a.dst_port == b.src_port && a.protocol == b.protocol &&
         a.ip_version == b.ip_version && a.src == b.dst && a.dst == b.src;
}

constexpr bool pure_syn(std::uint16_t flags) noexcept {
  return (flags & (Tcp::kSyn | Tcp::kAck | Tcp::kRst)) == Tcp::kSyn;
}

// The state after a packet with `flags` went in direction `d` (0: initiator to responder).
TcpState next_state(TcpState s, std::uint16_t flags, int d, std::uint16_t all_flags_0,
                    std::uint16_t all_flags_1) noexcept {
  if (flags & Tcp::kRst) return TcpState::reset;
  if (s == TcpState::reset) return s;
  const bool fin0 = all_flags_0 & Tcp::kFin, fin1 = all_flags_1 & Tcp::kFin;
  if (fin0 && fin1) return TcpState::closed;
  if (fin0 || fin1) return TcpState::closing;
  switch (s) {
    case TcpState::none:
      if (pure_syn(flags)) return TcpState::syn_sent;
      if ((flags & (Tcp::kSyn | Tcp::kAck)) == (Tcp::kSyn | Tcp::kAck)) return TcpState::syn_received;
      return TcpState::established;
    case TcpState::syn_sent:
      if (d == 1 && (flags & (Tcp::kSyn | Tcp::kAck)) == (Tcp::kSyn | Tcp::kAck)) return TcpState::syn_received;
      return s;
    case TcpState::syn_received:
      if (d == 0 && (flags & (Tcp::kSyn | Tcp::kAck)) == Tcp::kAck) return TcpState::established;
      return s;
    default: return s;
  }
}

// Large tables are touched at random: ask for transparent huge pages so a lookup costs fewer TLB
// misses (a hint; the kernel may decline, and nothing depends on it).
void advise_huge_pages(const void* data, std::size_t bytes) noexcept {
  constexpr std::uintptr_t kHuge = 2u << 20;
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

}  // namespace

std::string_view tcp_state_name(TcpState state) noexcept {
  switch (state) {
    case TcpState::none: return "none";
    case TcpState::syn_sent: return "syn_sent";
    case TcpState::syn_received: return "syn_received";
    case TcpState::established: return "established";
    case TcpState::closing: return "closing";
    case TcpState::closed: return "closed";
    case TcpState::reset: return "reset";
  }
  return "none";
}

std::string_view flow_end_reason_name(FlowEndReason reason) noexcept {
  switch (reason) {
    case FlowEndReason::idle_timeout: return "idle_timeout";
    case FlowEndReason::active_timeout: return "active_timeout";
    case FlowEndReason::evicted: return "evicted";
    case FlowEndReason::tcp_reuse: return "tcp_reuse";
    case FlowEndReason::flushed: return "flushed";
  }
  return "flushed";
}

FlowTable::FlowTable(const FlowTableOptions& options) : options_(options) {
  if (options_.max_flows == 0) options_.max_flows = 1;
  if (options_.max_flows >= kNone / 2) throw std::invalid_argument("FlowTable: max_flows must be below 2^31");
  records_.reserve(options_.max_flows);
  lru_.reserve(options_.max_flows);
  const std::size_t slots = std::bit_ceil(options_.max_flows * 2);
  slots_.reserve(slots);
  advise_huge_pages(records_.data(), records_.capacity() * sizeof(FlowRecord));
  advise_huge_pages(lru_.data(), lru_.capacity() * sizeof(LruLink));
  advise_huge_pages(slots_.data(), slots * sizeof(Slot));
  slots_.assign(slots, Slot{});
  mask_ = slots - 1;
}

FlowTable::~FlowTable() = default;

std::size_t FlowTable::reserved_bytes() const noexcept {
  return records_.capacity() * sizeof(FlowRecord) + lru_.capacity() * sizeof(LruLink) + slots_.size() * sizeof(Slot);
}

std::uint32_t FlowTable::lookup(const FlowPacket& p, std::uint64_t hash, std::size_t& slot,
                                bool& reversed) const noexcept {
  const auto h32 = static_cast<std::uint32_t>(hash);
  std::size_t i = h32 & mask_;
  while (true) {
    const Slot& s = slots_[i];
    if (s.record == kNone) {
      slot = i;
      return kNone;
    }
    if (s.hash == h32) {
      const FlowRecord& r = records_[s.record];
      if (r.vlan == p.vlan && r.interface == p.interface) {
        if (same_forward(r.key, p.key)) {
          reversed = false;
          slot = i;
          return s.record;
        }
        if (same_reversed(r.key, p.key)) {
          reversed = true;
          slot = i;
          return s.record;
        }
      }
    }
    i = (i + 1) & mask_;
  }
}

const FlowRecord* FlowTable::find(const FlowKey& key, std::uint16_t vlan, std::uint32_t interface) const noexcept {
  FlowPacket p;
  p.key = key;
  p.vlan = vlan;
  p.interface = interface;
  std::size_t slot = 0;
  bool reversed = false;
  const std::uint32_t idx = lookup(p, flow_hash(key, vlan, interface), slot, reversed);
  return idx == kNone ? nullptr : &records_[idx];
}

void FlowTable::unlink(std::uint32_t index) noexcept {
  LruLink& l = lru_[index];
  if (l.prev != kNone) lru_[l.prev].next = l.next;
  else lru_head_ = l.next;
  if (l.next != kNone) lru_[l.next].prev = l.prev;
  else lru_tail_ = l.prev;
  l.prev = l.next = kNone;
}

void FlowTable::push_back(std::uint32_t index) noexcept {
  LruLink& l = lru_[index];
  l.prev = lru_tail_;
  l.next = kNone;
  if (lru_tail_ != kNone) lru_[lru_tail_].next = index;
  else lru_head_ = index;
  lru_tail_ = index;
}

std::size_t FlowTable::slot_of(std::uint32_t index, std::uint32_t hash) const noexcept {
  std::size_t i = hash & mask_;
  while (slots_[i].record != index) i = (i + 1) & mask_;
  return i;
}

void FlowTable::erase_slot(std::size_t slot) noexcept {
  // Backward-shift deletion: move later entries of the probe run into the hole when their home
  // slot does not lie cyclically in (hole, entry].
  std::size_t hole = slot;
  std::size_t i = (slot + 1) & mask_;
  while (slots_[i].record != kNone) {
    const std::size_t home = slots_[i].hash & mask_;
    const bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (!stays) {
      slots_[hole] = slots_[i];
      hole = i;
    }
    i = (i + 1) & mask_;
  }
  slots_[hole] = Slot{};
}

void FlowTable::end(std::uint32_t index, FlowEndReason reason) {
  FlowRecord& r = records_[index];
  switch (reason) {
    case FlowEndReason::idle_timeout: ++counters_.ended_idle; break;
    case FlowEndReason::active_timeout: break;  // end_active()
    case FlowEndReason::tcp_reuse: ++counters_.ended_tcp_reuse; break;
    case FlowEndReason::flushed: ++counters_.ended_flushed; break;
    case FlowEndReason::evicted:
      ++counters_.evicted;
      counters_.evicted_packets += r.packets();
      counters_.evicted_bytes += r.bytes();
      break;
  }
  if (on_end_) on_end_(r, reason);
  erase_slot(slot_of(index, static_cast<std::uint32_t>(flow_hash(r.key, r.vlan, r.interface))));
  unlink(index);
  lru_[index].next = free_;
  free_ = index;
  --size_;
}

std::uint32_t FlowTable::allocate() {
  if (free_ != kNone) {
    const std::uint32_t idx = free_;
    free_ = lru_[idx].next;
    return idx;
  }
  if (records_.size() < options_.max_flows) {
    records_.emplace_back();  // within the reserved capacity: no reallocation
    lru_.emplace_back();
    return static_cast<std::uint32_t>(records_.size() - 1);
  }
  // Full: the least recently seen flow makes room.
  const std::uint32_t victim = lru_head_;
  end(victim, FlowEndReason::evicted);
  const std::uint32_t idx = free_;
  free_ = lru_[idx].next;
  return idx;
}

void FlowTable::end_active(FlowRecord& r, Timestamp now) {
  ++counters_.ended_active;
  if (on_end_) on_end_(r, FlowEndReason::active_timeout);
  for (auto& c : r.dir) {
    c.packets = c.bytes = 0;
    c.first = c.last = Timestamp{};
  }
  r.first = now;
}

void FlowTable::expire_idle(Timestamp now) {
  while (lru_head_ != kNone && now.ns - records_[lru_head_].last.ns >= options_.idle_timeout_ns)
    end(lru_head_, FlowEndReason::idle_timeout);
}

void FlowTable::expire(Timestamp now) {
  if (options_.idle_timeout_ns > 0) expire_idle(now);
}

void FlowTable::flush() {
  while (lru_head_ != kNone) end(lru_head_, FlowEndReason::flushed);
}

void FlowTable::for_each(const std::function<void(const FlowRecord&)>& fn) const {
  for (std::uint32_t i = lru_head_; i != kNone; i = lru_[i].next) fn(records_[i]);
}

void FlowTable::for_each_mutable(const std::function<void(FlowRecord&)>& fn) {
  for (std::uint32_t i = lru_head_; i != kNone; i = lru_[i].next) fn(records_[i]);
}

FlowUpdate FlowTable::add(const FlowPacket& p) {
  ++counters_.packets;
  counters_.bytes += p.bytes;
  if (options_.idle_timeout_ns > 0 && lru_head_ != kNone &&
      p.ts.ns - records_[lru_head_].last.ns >= options_.idle_timeout_ns)
    expire_idle(p.ts);

  const std::uint64_t hash = flow_hash(p.key, p.vlan, p.interface);
  std::size_t slot = 0;
  bool reversed = false;
  std::uint32_t idx = lookup(p, hash, slot, reversed);
  const bool is_tcp = p.has_ports && p.key.protocol == 6;

  if (idx != kNone && is_tcp && pure_syn(p.tcp_flags)) {
    // A new initial sequence number from a side that already sent one starts a new connection.
    const int d = reversed ? 1 : 0;
    const FlowRecord& r = records_[idx];
    if ((r.seq_seen_ >> d & 1) && r.first_seq_[d] != p.tcp_seq) {
      end(idx, FlowEndReason::tcp_reuse);
      idx = lookup(p, hash, slot, reversed);  // the slot moved with the deletion
    }
  }

  FlowUpdate u;
  if (idx == kNone) {
    idx = allocate();
    // An eviction in allocate() may have shifted the probe run: find the empty slot again.
    std::size_t s = 0;
    bool unused = false;
    lookup(p, hash, s, unused);
    FlowRecord& r = records_[idx];
    r = FlowRecord{};
    r.key = p.key;
    reversed = false;
    // A SYN+ACK seen first came from the responder: orient the flow towards its initiator.
    if (is_tcp && (p.tcp_flags & (Tcp::kSyn | Tcp::kAck)) == (Tcp::kSyn | Tcp::kAck)) {
      r.key = p.key.reversed();
      reversed = true;
    }
    r.vlan = p.vlan;
    r.interface = p.interface;
    r.has_ports = p.has_ports;
    r.first = p.ts;
    r.id = next_id_++;
    slots_[s] = Slot{idx, static_cast<std::uint32_t>(hash)};
    push_back(idx);
    ++size_;
    ++counters_.flows_created;
    u.created = true;
  } else if (idx != lru_tail_) {
    unlink(idx);
    push_back(idx);
  }

  FlowRecord& r = records_[idx];
  if (options_.active_timeout_ns > 0 && p.ts.ns - r.first.ns >= options_.active_timeout_ns && !u.created) {
    // Report what the flow carried so far and start counting again; the flow and its owner stay.
    end_active(r, p.ts);
  }
  const int d = reversed ? 1 : 0;
  FlowDirectionCounters& c = r.dir[d];
  if (c.packets == 0) c.first = p.ts;
  ++c.packets;
  c.bytes += p.bytes;
  c.last = p.ts;
  r.last = p.ts;
  if (is_tcp) {
    c.tcp_flags |= p.tcp_flags;
    if (!(r.seq_seen_ >> d & 1)) {
      r.first_seq_[d] = p.tcp_seq;
      r.seq_seen_ |= static_cast<std::uint8_t>(1u << d);
    }
    r.tcp_state = next_state(r.tcp_state, p.tcp_flags, d, r.dir[0].tcp_flags, r.dir[1].tcp_flags);
  }
  u.flow = &r;
  u.direction = static_cast<std::uint8_t>(d);
  return u;
}

}  // namespace pcapxx
