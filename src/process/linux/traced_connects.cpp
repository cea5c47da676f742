#include "process/linux/traced_connects.hpp"

#include <sys/socket.h>

#include <algorithm>

namespace pcapxx::detail::process {
namespace {

using Clock = TracedConnects::Clock;

// A traced connection's 5-tuple -> process stays this long for its packets to arrive.
constexpr auto kTracedRetention = std::chrono::seconds(10);
// A connect() whose socket never left SYN_SENT is dropped after this long; a state change
// whose connect() sample was not read yet (another CPU's ring) after kEarlyRetention.
constexpr auto kConnectingRetention = std::chrono::seconds(60);
constexpr auto kEarlyRetention = std::chrono::seconds(1);

bool v4_mapped(const std::array<std::uint8_t, 16>& a) {
  return std::all_of(a.begin(), a.begin() + 10, [](std::uint8_t b) { return b == 0; }) && a[10] == 0xff && a[11] == 0xff;
}

/// The flow key of a traced socket (source = the socket's own end); an AF_INET6 socket talking
/// IPv4 has v4-mapped addresses (RFC 4291, 2.5.5.2), and its packets are IPv4.
layers::FlowKey traced_key(const StateChange& c) {
  layers::FlowKey k;
  k.protocol = IPPROTO_TCP;
  k.src_port = c.sport;
  k.dst_port = c.dport;
  if (c.family == AF_INET6 && !(v4_mapped(c.saddr) && v4_mapped(c.daddr))) {
    k.ip_version = 6;
    k.src = c.saddr;
    k.dst = c.daddr;
  } else {
    k.ip_version = 4;
    std::size_t from = c.family == AF_INET ? 0 : 12;
    std::copy_n(c.saddr.begin() + static_cast<std::ptrdiff_t>(from), 4, k.src.begin());
    std::copy_n(c.daddr.begin() + static_cast<std::ptrdiff_t>(from), 4, k.dst.begin());
  }
  return k;
}

}  // namespace

TracedConnects::TracedConnects(ConnectTrace trace, Clock::duration comm_retention)
    : trace_(std::move(trace)), comm_retention_(comm_retention), recent_(kRecentWays * kRecentSets) {}

void TracedConnects::forget_connecting(std::uint64_t sk, const Connecting& c) {
  drop_toward(c);
  connecting_.erase(sk);
}

void TracedConnects::add_toward(const Connecting& c) {
  Toward& t = connecting_to_[c.toward];
  ++t.count;
  t.pid_xor ^= c.pid;
  t.tid_xor ^= c.tid;
}

void TracedConnects::drop_toward(const Connecting& c) {
  Toward* t = connecting_to_.find(c.toward);
  if (t == nullptr) return;
  t->pid_xor ^= c.pid;
  t->tid_xor ^= c.tid;
  if (--t->count == 0) connecting_to_.erase(c.toward);
}

void TracedConnects::record(const StateChange& c, std::int32_t pid, std::int32_t tid, Clock::time_point now,
                            ReadCounts& counts) {
  if (c.sport == 0 || c.dport == 0 || pid == 0) return;  // failed before a port was chosen
  bool src0 = false;
  auto id = flow_id(traced_key(c), src0);
  if (!id) return;
  Recent* set = &recent_[(hash_of(*id) & (kRecentSets - 1)) * kRecentWays];
  // The same connection again (a re-connect on the same ports), else an empty way, else the oldest.
  Recent* victim = set;
  for (std::size_t w = 0; w < kRecentWays; ++w) {
    Recent& r = set[w];
    if (r.traced.pid != 0 && r.id == *id) {
      victim = &r;
      break;
    }
    if (victim->traced.pid != 0 && (r.traced.pid == 0 || r.traced.at < victim->traced.at)) victim = &r;
  }
  if (victim->traced.pid != 0 && !(victim->id == *id) && now - victim->traced.at <= kTracedRetention) ++counts.displaced;
  victim->id = *id;
  victim->traced = Traced{pid, tid, src0 ? 0 : 1, now};
}

TracedConnects::ReadCounts TracedConnects::read(Clock::time_point now) {
  ReadCounts counts;
  events_.clear();
  trace_.drain(events_);
  counts.events = events_.size();
  // Rings are per CPU: in time order, a socket's SYN_SENT entry comes before its exit. Sorted
  // on (time, place read) so equal times keep their ring order, without stable_sort's buffer.
  by_time_.clear();
  for (std::size_t i = 0; i < events_.size(); ++i) by_time_.emplace_back(events_[i].time_ns, static_cast<std::uint32_t>(i));
  std::sort(by_time_.begin(), by_time_.end());
  for (const auto& [time, index] : by_time_) {
    const TraceEvent& ev = events_[index];
    switch (ev.kind) {
      case TraceEvent::Kind::comm:
        comm_of_[ev.pid] = Named{ev.comm, now};
        break;
      case TraceEvent::Kind::lost:
        counts.lost += ev.lost;
        break;
      case TraceEvent::Kind::connect: {
        if (const Early* early = early_.find(ev.change.sk)) {
          record(early->change, ev.pid, ev.tid, now, counts);
          early_.erase(ev.change.sk);
          break;
        }
        if (const Connecting* old = connecting_.find(ev.change.sk)) forget_connecting(ev.change.sk, Connecting(*old));
        layers::FlowKey k = traced_key(ev.change);
        std::uint64_t toward = endpoint_hash(k.ip_version, k.dst, k.dst_port);
        connecting_[ev.change.sk] = Connecting{ev.pid, ev.tid, now, toward};
        add_toward(connecting_[ev.change.sk]);
        break;
      }
      case TraceEvent::Kind::resolved:
        if (const Connecting* c = connecting_.find(ev.change.sk)) {
          Connecting copy = *c;
          record(ev.change, copy.pid, copy.tid, now, counts);
          forget_connecting(ev.change.sk, copy);
        } else {
          early_[ev.change.sk] = Early{ev.change, now};
        }
        break;
    }
  }
  prune(now);
  return counts;
}

void TracedConnects::prune(Clock::time_point now) {
  if (last_prune_ && now - *last_prune_ <= std::chrono::seconds(1)) return;
  last_prune_ = now;
  connecting_.erase_if([&](std::uint64_t, const Connecting& c) {
    if (now - c.at <= kConnectingRetention) return false;
    drop_toward(c);
    return true;
  });
  early_.erase_if([&](std::uint64_t, const Early& e) { return now - e.at > kEarlyRetention; });
  comm_of_.erase_if([&](std::int32_t, const Named& n) { return now - n.at > comm_retention_; });
}

const TracedConnects::Traced* TracedConnects::find(const FlowId& id, Clock::time_point now) const {
  const Recent* set = &recent_[(hash_of(id) & (kRecentSets - 1)) * kRecentWays];
  for (std::size_t w = 0; w < kRecentWays; ++w)
    if (set[w].traced.pid != 0 && set[w].id == id)
      return now - set[w].traced.at <= kTracedRetention ? &set[w].traced : nullptr;
  return nullptr;
}

bool TracedConnects::connect_pending_toward(const FlowId& id) const {
  if (connecting_to_.empty()) return false;
  for (int end = 0; end < 2; ++end)
    if (connecting_to_.contains(endpoint_hash(id.ip_version(), id.addr(end), id.port(end)))) return true;
  return false;
}

std::optional<TracedConnects::Sole> TracedConnects::sole_connect_toward(const FlowId& id) const {
  if (connecting_to_.empty()) return std::nullopt;
  std::optional<Sole> sole;
  for (int end = 0; end < 2; ++end) {
    const Toward* t = connecting_to_.find(endpoint_hash(id.ip_version(), id.addr(end), id.port(end)));
    if (t == nullptr) continue;
    if (t->count != 1 || sole) return std::nullopt;
    sole = Sole{t->pid_xor, t->tid_xor, 1 - end};
  }
  return sole;
}

const char* TracedConnects::comm_of(std::int32_t pid) const {
  const Named* n = comm_of_.find(pid);
  return n == nullptr ? nullptr : n->comm.data();
}

}  // namespace pcapxx::detail::process
