// ProcessAttributor on Linux: a set-associative flow cache (no allocation per packet), and a
// resolve() pass that reads proc connector events and connect() trace samples, settles TCP
// connections made by local clients from the trace alone, and for the rest sends one batch of
// sock_diag lookups and maps socket inodes to processes, reading /proc only for processes new
// since the last pass.
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "pcapxx/process.hpp"
#include "process/linux/connect_trace.hpp"
#include "process/linux/flow_cache.hpp"
#include "process/linux/flow_id.hpp"
#include "process/linux/proc_connector.hpp"
#include "process/linux/proc_fs.hpp"
#include "process/linux/sock_diag.hpp"
#include "process/linux/traced_connects.hpp"

namespace pcapxx {
namespace {

using namespace detail::process;
using Clock = std::chrono::steady_clock;
using layers::FlowKey;

// A process scanned without sockets is rescanned on a miss for this long after it appeared.
constexpr auto kYoung = std::chrono::seconds(2);
// Processes that never held a socket are forgotten this soon after they exit.
constexpr auto kSocketlessRetention = std::chrono::seconds(2);

struct Slot {
  ProcessInfo info;
  std::uint32_t generation = 0;
  bool in_use = false;
  Clock::time_point seen;                 ///< first scanned
  Clock::time_point scanned;              ///< last scanned
  std::optional<Clock::time_point> exit;  ///< when it exited
  std::vector<std::uint64_t> inodes;
  bool traced = false;  ///< a traced connect() named it: kept as long as socket holders
};

bool is_wildcard(const std::array<std::uint8_t, 16>& a, int version) {
  std::size_t n = version == 4 ? 4 : 16;
  return std::all_of(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(n), [](std::uint8_t b) { return b == 0; });
}

class LinuxAttributor final : public ProcessAttributor {
 public:
  LinuxAttributor(const AttributorOptions& o, SockDiag diag) : opt_(o), diag_(std::move(diag)), cache_(o.cache_flows) {}

  void attach_connector(ProcConnector c) { connector_.emplace(std::move(c)); }
  void attach_trace(ConnectTrace t) { trace_.emplace(std::move(t), opt_.exited_retention); }
  /// Only processes in this network namespace (inode) are read; 0: all.
  void set_netns(std::uint64_t ino) { netns_ino_ = ino; }
  void warn(std::string w) { warnings_.push_back(std::move(w)); }

  FlowRef note(const FlowKey& key, bool connection_start) noexcept override {
    FlowRef ref;
    if (Entry* e = cache_.find(key, ref.src_is_end0, connection_start, pass_time_)) {
      ref.index = cache_.index_of(*e);
      ref.stamp = e->stamp;
    }
    return ref;
  }

  Attribution lookup(const FlowKey& key) noexcept override {
    bool src0 = false;
    return attribution(cache_.find(key, src0, false, pass_time_), src0);
  }

  Attribution lookup(const FlowKey& key, FlowRef ref) noexcept override {
    if (const Entry* e = cache_.at(ref)) return attribution(e, ref.src_is_end0);
    return lookup(key);
  }

  Result<void> resolve() override;

  [[nodiscard]] std::span<const std::string> warnings() const noexcept override { return warnings_; }
  [[nodiscard]] AttributorStats stats() const noexcept override {
    AttributorStats st = stats_;
    st.flows = cache_.flows;
    st.evicted = cache_.evicted;
    return st;
  }

  /// The first sweep: every process that exists now.
  void sweep() {
    pids_.clear();
    list_pids(pids_);
    for (std::int32_t pid : pids_)
      scan(pid, 0, Clock::now(), true);
    ++stats_.full_sweeps;
    last_sweep_ = Clock::now();
  }

 private:
  Attribution attribution(const Entry* e, bool src0) const noexcept {
    Attribution a;
    if (e == nullptr) return a;
    if (e->state == Entry::State::pending) a.pending = true;
    const Side& sender = e->side[src0 ? 0 : 1];
    const Side& receiver = e->side[src0 ? 1 : 0];
    const Side& s = sender.quality != AttributionQuality::unknown || !receiver.found ? sender : receiver;
    a.quality = s.quality;
    a.socket_inode = s.inode;
    if (s.slot != kNoSlot && s.slot < slots_.size() && slots_[s.slot].generation == s.generation)
      a.process = &slots_[s.slot].info;
    else if (a.quality != AttributionQuality::unknown)
      a.quality = AttributionQuality::unknown;  // its record expired
    else if (e->state == Entry::State::pending && e->interim_slot < slots_.size() &&
             slots_[e->interim_slot].generation == e->interim_generation) {
      a.process = &slots_[e->interim_slot].info;
      a.quality = AttributionQuality::inferred;
    }
    return a;
  }

  void read_events(Clock::time_point now);
  void read_trace(Clock::time_point now);
  std::uint32_t traced_slot(std::int32_t pid, Clock::time_point now);
  bool settle_traced(Entry& e, Clock::time_point now);
  void scan(std::int32_t pid, std::int32_t tid, Clock::time_point now, bool sweeping = false);
  void add_fresh(std::int32_t pid, std::int32_t tid, Clock::time_point at);
  void drop_fresh(std::int32_t pid);
  void mark_exited(std::int32_t pid, Clock::time_point now);
  void expire(Clock::time_point now);
  std::uint32_t new_slot();
  void settle(Entry& e, Clock::time_point now);

  AttributorOptions opt_;
  SockDiag diag_;
  std::optional<ProcConnector> connector_;
  std::optional<TracedConnects> trace_;  // connect tracing, when it opened
  std::vector<std::string> warnings_;
  AttributorStats stats_;

  FlowCache cache_;
  std::vector<std::uint32_t>& queue_ = cache_.queue;  // flows for resolve(): noted, not settled
  Clock::time_point pass_time_{};

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::unordered_map<std::int32_t, std::uint32_t> alive_;       // scanned processes
  std::unordered_map<std::uint64_t, std::uint32_t> by_inode_;
  std::deque<std::uint32_t> exited_;                            // slots, in exit order
  // Processes new since they were last looked at, oldest first: pid, tid of the exec (0 after a
  // fork), and whether it is still current (exits and re-execs clear the older place).
  struct Fresh {
    std::int32_t pid, tid;
    bool current;
    Clock::time_point at;  ///< when the event happened
  };
  std::vector<Fresh> fresh_;
  std::unordered_map<std::int32_t, std::size_t> fresh_at_;
  std::unordered_map<std::int32_t, Clock::time_point> young_;  // scanned, no socket yet
  std::unordered_set<std::uint64_t> missing_;                   // inodes this pass looks for
  std::unordered_set<std::int32_t> known_;                      // every pid read at least once
  std::uint64_t netns_ino_ = 0;
  std::vector<std::int32_t> hot_;  // processes whose new sockets were found lately, latest first
  std::optional<Clock::time_point> last_listing_;
  std::optional<Clock::time_point> last_sweep_;
  bool overrun_ = false;
  bool warned_access_ = false;

  std::optional<Clock::time_point> last_events_;
  std::optional<Clock::time_point> last_trace_read_;
  std::vector<std::uint32_t> waiting_;  // entries waiting for their connect()'s 5-tuple

  // Reused between passes.
  std::vector<ProcEvent> events_;
  std::vector<std::int32_t> pids_;
  std::vector<std::pair<Clock::time_point, std::int32_t>> young_order_;
  std::vector<std::uint64_t> inodes_;
  std::vector<SocketQuery> queries_;
  std::vector<SocketAnswer> answers_;
  struct Asked {
    std::uint32_t entry;
    int side;
    bool listener;  ///< the query asks for the listener of the side's address and port
  };
  std::vector<Asked> asked_;
};

std::uint32_t LinuxAttributor::new_slot() {
  if (!free_.empty()) {
    std::uint32_t s = free_.back();
    free_.pop_back();
    return s;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void LinuxAttributor::add_fresh(std::int32_t pid, std::int32_t tid, Clock::time_point at) {
  drop_fresh(pid);
  fresh_at_[pid] = fresh_.size();
  fresh_.push_back({pid, tid, true, at});
}

void LinuxAttributor::drop_fresh(std::int32_t pid) {
  if (auto f = fresh_at_.find(pid); f != fresh_at_.end()) {
    fresh_[f->second].current = false;
    fresh_at_.erase(f);
  }
}

void LinuxAttributor::scan(std::int32_t pid, std::int32_t tid, Clock::time_point now, bool sweeping) {
  inodes_.clear();
  known_.insert(pid);
  // The sockets looked up live in one network namespace; processes of others are skipped with
  // one stat() instead of reading their fd table. (A process that moved to another namespace
  // after creating its socket is missed.)
  if (netns_ino_ != 0 && !alive_.contains(pid)) {
    char path[64];
    *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/ns/net", pid).out = '\0';
    struct stat sb{};
    if (::stat(path, &sb) == 0 && sb.st_ino != netns_ino_) return;
  }
  int err = socket_inodes(pid, inodes_);
  ++stats_.fd_scans;
  if (err != 0) {
    if ((err == EACCES || err == EPERM) && !warned_access_) {
      warned_access_ = true;
      warn(fmt::format("process attribution: /proc/{}/fd: {}; processes of other users resolve only with "
                       "CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH",
                       pid, std::strerror(err)));
    }
    return;
  }
  auto it = alive_.find(pid);
  if (inodes_.empty() && it == alive_.end()) {
    // Identity is read only for socket holders; a new process without sockets yet is
    // rescanned on every miss while young.
    if (!sweeping) young_.try_emplace(pid, now);
    return;
  }
  young_.erase(pid);
  std::uint32_t s;
  auto touch = [&](std::uint32_t slot) { slots_[slot].scanned = now; };
  if (it == alive_.end()) {
    s = new_slot();
    Slot& slot = slots_[s];
    slot.in_use = true;
    slot.exit.reset();
    slot.inodes.clear();
    slot.seen = now;
    slot.info = ProcessInfo{};
    if (!read_process(pid, slot.info)) {
      slot.in_use = false;
      ++slot.generation;
      free_.push_back(s);
      return;
    }
    slot.info.tid = tid;
    alive_.emplace(pid, s);
  } else {
    s = it->second;
  }
  touch(s);
  std::size_t missing_before = missing_.size();
  Slot& slot = slots_[s];
  for (std::uint64_t ino : inodes_) {
    auto [m, added] = by_inode_.try_emplace(ino, s);
    // A socket shared with a living earlier owner (inherited over fork) stays that owner's.
    if (!added && m->second != s && slots_[m->second].exit) m->second = s;
    if (added || std::find(slot.inodes.begin(), slot.inodes.end(), ino) == slot.inodes.end())
      slot.inodes.push_back(ino);
    missing_.erase(ino);
  }
  if (missing_.size() < missing_before) {
    // A process that opens sockets often (a client making connection after connection, a
    // server accepting) is looked at first on the next miss.
    constexpr std::size_t kHot = 8;
    std::erase(hot_, pid);
    hot_.insert(hot_.begin(), pid);
    if (hot_.size() > kHot) hot_.pop_back();
  }
}

void LinuxAttributor::mark_exited(std::int32_t pid, Clock::time_point now) {
  drop_fresh(pid);
  young_.erase(pid);
  auto it = alive_.find(pid);
  if (it == alive_.end()) return;
  Slot& slot = slots_[it->second];
  slot.exit = now;
  slot.info.exited = true;
  exited_.push_back(it->second);
  alive_.erase(it);
}

void LinuxAttributor::expire(Clock::time_point now) {
  while (!exited_.empty()) {
    Slot& slot = slots_[exited_.front()];
    auto keep = slot.inodes.empty() && !slot.traced ? std::chrono::duration_cast<Clock::duration>(kSocketlessRetention)
                                    : std::chrono::duration_cast<Clock::duration>(opt_.exited_retention);
    // Retention is checked in exit order; a socketless record behind a long one waits its turn.
    if (!slot.exit || now - *slot.exit < keep) break;
    std::uint32_t s = exited_.front();
    exited_.pop_front();
    for (std::uint64_t ino : slot.inodes)
      if (auto m = by_inode_.find(ino); m != by_inode_.end() && m->second == s) by_inode_.erase(m);
    slot.inodes.clear();
    slot.in_use = false;
    slot.traced = false;
    ++slot.generation;
    free_.push_back(s);
  }
}

void LinuxAttributor::read_events(Clock::time_point now) {
  if (connector_) {
    events_.clear();
    bool over = false;
    if (auto ok = connector_->drain(events_, over); !ok) {
      warn(ok.error().what() + "; finding new processes by listing /proc instead");
      connector_.reset();
    }
    if (over) {
      overrun_ = true;
      ++stats_.connector_overruns;
    }
    stats_.connector_events += events_.size();
    for (const ProcEvent& ev : events_) {
      // The event's CLOCK_MONOTONIC stamp is steady_clock's on Linux.
      auto at = Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ev.ts_ns)));
      switch (ev.kind) {
        case ProcEvent::Kind::fork:
          if (ev.pid == ev.tgid) add_fresh(ev.tgid, 0, at);
          break;
        case ProcEvent::Kind::exec:
          // A new image: what was known about this pid (comm, cmdline) is stale, unless it was
          // read after this exec (a traced connect() may get there first).
          if (auto it = alive_.find(ev.tgid); it != alive_.end() && slots_[it->second].seen > at) break;
          mark_exited(ev.tgid, now);
          add_fresh(ev.tgid, ev.pid, at);
          break;
        case ProcEvent::Kind::exit:
          if (ev.pid == ev.tgid) mark_exited(ev.tgid, now);
          break;
      }
    }
  }
}

void LinuxAttributor::read_trace(Clock::time_point now) {
  if (!trace_) return;
  auto counts = trace_->read(now);
  stats_.trace_events += counts.events;
  stats_.trace_lost += counts.lost;
  stats_.trace_displaced += counts.displaced;
}

std::uint32_t LinuxAttributor::traced_slot(std::int32_t pid, Clock::time_point now) {
  if (auto it = alive_.find(pid); it != alive_.end()) {
    slots_[it->second].traced = true;
    return it->second;
  }
  // A process gone before this pass may have made several connections.
  std::size_t looked = 0;
  for (auto it = exited_.rbegin(); it != exited_.rend() && looked < 64; ++it, ++looked)
    if (slots_[*it].traced && slots_[*it].info.pid == pid) return *it;
  std::uint32_t s = new_slot();
  Slot& slot = slots_[s];
  slot.in_use = true;
  slot.traced = true;
  slot.exit.reset();
  slot.inodes.clear();
  slot.seen = slot.scanned = now;
  slot.info = ProcessInfo{};
  std::int32_t exec_tid = 0;
  if (auto f = fresh_at_.find(pid); f != fresh_at_.end()) exec_tid = fresh_[f->second].tid;
  if (read_process(pid, slot.info)) {
    if (netns_ino_ != 0 && slot.info.netns != 0 && slot.info.netns != netns_ino_) {
      // The same 5-tuple in another network namespace: not this capture's socket.
      slot.in_use = slot.traced = false;
      ++slot.generation;
      free_.push_back(s);
      return kNoSlot;
    }
    alive_.emplace(pid, s);
    known_.insert(pid);
    drop_fresh(pid);  // its identity is read; its fd table is read only if one of its sockets misses
    young_.erase(pid);
  } else {
    // Gone already: the name its exec announced; uid, command line and namespace are unknown.
    slot.info.pid = pid;
    if (const char* comm = trace_->comm_of(pid)) slot.info.comm = comm;
    slot.info.exited = true;
    slot.exit = now;
    exited_.push_back(s);
  }
  slot.info.tid = exec_tid;
  return s;
}

bool LinuxAttributor::settle_traced(Entry& e, Clock::time_point now) {
  const TracedConnects::Traced* t = trace_->find(e.id, now);
  if (t == nullptr) return false;
  std::uint32_t s = traced_slot(t->pid, now);
  if (s == kNoSlot) return false;
  Side& side = e.side[t->local];
  side.quality = AttributionQuality::exact;
  side.slot = s;
  side.generation = slots_[s].generation;
  side.found = true;
  e.state = Entry::State::settled;
  ++stats_.exact;
  ++stats_.traced;
  return true;
}

void LinuxAttributor::settle(Entry& e, Clock::time_point now) {
  bool waiting = false;
  for (int i = 0; i < 2; ++i) {
    Side& s = e.side[i];
    const Side& other = e.side[1 - i];
    if (s.quality == AttributionQuality::exact) continue;
    if (!s.found) continue;
    if (s.inode != 0) {
      if (auto m = by_inode_.find(s.inode); m != by_inode_.end()) {
        s.slot = m->second;
        s.generation = slots_[m->second].generation;
        s.quality = AttributionQuality::exact;
        continue;
      }
    }
    // An inode not mapped yet (its process is looked for on every pass of the window), or none
    // (a TCP request socket before accept(): asked again for a few passes).
    bool wait_for_process = s.inode != 0 && (e.tries < opt_.retries || now - e.first_try < opt_.retry_window);
    bool wait_for_inode = s.inode == 0 && (e.tries < opt_.retries || now - e.first_try < opt_.retry_window);
    if (wait_for_process || wait_for_inode) {
      waiting = true;
      continue;
    }
    // A connection accepted by a local server whose socket is gone: the listener's owner, when
    // this end is the local one (the other end has neither a socket nor a listener here).
    if (s.inode == 0 && s.listener != 0 && other.listener == 0 && !(other.found && other.inode != 0)) {
      if (auto m = by_inode_.find(s.listener); m != by_inode_.end()) {
        s.slot = m->second;
        s.generation = slots_[m->second].generation;
        s.quality = AttributionQuality::inferred;
        continue;
      }
    }
    // No inode (its process closed it) or none mapped: one young process of the socket's uid
    // that came and went recently is the best guess.
    std::uint32_t candidate = kNoSlot;
    int count = 0;
    for (auto it = exited_.rbegin(); it != exited_.rend() && count < 2; ++it) {
      const Slot& sl = slots_[*it];
      if (!sl.exit || now - *sl.exit > kYoung) break;
      if (sl.info.uid == s.uid && now - sl.seen < kYoung) candidate = *it, ++count;
    }
    if (count == 1) {
      s.slot = candidate;
      s.generation = slots_[candidate].generation;
      s.quality = AttributionQuality::inferred;
    }
  }
  if (waiting) return;
  e.state = Entry::State::settled;
  AttributionQuality best = std::max(e.side[0].quality, e.side[1].quality);
  if (best == AttributionQuality::exact) ++stats_.exact;
  else if (best == AttributionQuality::inferred) ++stats_.inferred;
  else ++stats_.unknown;
}

Result<void> LinuxAttributor::resolve() {
  auto now = Clock::now();
  pass_time_ = now;
  // With connect tracing, TCP clients need no process events; the connector (a system call
  // per drain) is read at most every 2 ms instead of on every batch.
  if (!trace_ || !last_events_ || now - *last_events_ >= std::chrono::milliseconds(2)) {
    last_events_ = now;
    read_events(now);
  }
  // The trace rings are read when a flow waits for them, else every 5 ms (they hold seconds of
  // records): a batch of packets of known flows then touches none of the rings' pages, whose
  // cache lines the kernel writes from other CPUs.
  if (!queue_.empty() || !last_trace_read_ || now - *last_trace_read_ >= std::chrono::milliseconds(5)) {
    last_trace_read_ = now;
    read_trace(now);
  }
  expire(now);
  if (queue_.empty()) return {};
  ++stats_.passes;

  // TCP connections whose connect() was traced settle without a lookup; a flow towards an end
  // that a local connect() is still reaching waits for that socket's 5-tuple (its SYN_SENT exit
  // comes after the SYN-ACK, which the capture may show first).
  waiting_.clear();
  if (trace_) {
    std::size_t kept_trace = 0;
    for (std::uint32_t idx : queue_) {
      Entry& e = cache_[idx];
      if (e.state == Entry::State::pending && e.id.protocol() == IPPROTO_TCP) {
        if (settle_traced(e, now)) {
          e.queued = false;
          continue;
        }
        if (e.tries == 0 && now - e.born < opt_.retry_window && trace_->connect_pending_toward(e.id)) {
          if (auto sole = trace_->sole_connect_toward(e.id); sole && e.interim_slot == kNoSlot) {
            if (std::uint32_t s = traced_slot(sole->pid, now); s != kNoSlot) {
              e.interim_slot = s;
              e.interim_generation = slots_[s].generation;
            }
          }
          waiting_.push_back(idx);
          continue;
        }
      }
      queue_[kept_trace++] = idx;
    }
    queue_.resize(kept_trace);
  }
  struct Requeue {
    std::vector<std::uint32_t>& queue;
    std::vector<std::uint32_t>& waiting;
    ~Requeue() { queue.insert(queue.end(), waiting.begin(), waiting.end()); }
  } requeue{queue_, waiting_};
  if (queue_.empty()) return {};

  // Lookups: each side of each pending flow as the local end.
  queries_.clear();
  asked_.clear();
  std::size_t kept = 0;
  for (std::uint32_t idx : queue_) {
    Entry& e = cache_[idx];
    if (e.state != Entry::State::pending) {
      e.queued = false;
      continue;
    }
    queue_[kept++] = idx;
    for (int side = 0; side < 2; ++side) {
      Side& sd = e.side[side];
      if (sd.found && sd.inode != 0) continue;  // known socket, waiting for its process
      if (sd.found && sd.inode == 0 && !sd.listener_asked && e.id.protocol() == IPPROTO_TCP) {
        // A TCP socket without an inode: closed by its process (or not accepted yet). The
        // listener of its local address and port (remote 0:0 matches no connection) names the
        // server it belongs to, in case its own owner cannot be found.
        sd.listener_asked = true;
        SocketQuery l;
        l.family = e.id.ip_version() == 4 ? AF_INET : AF_INET6;
        l.protocol = IPPROTO_TCP;
        l.local = e.id.addr(side);
        l.local_port = e.id.port(side);
        queries_.push_back(l);
        asked_.push_back({idx, side, true});
      }
      // After the first pass only a socket seen without an inode is asked again (a connection
      // waiting in accept() gets its inode then), for the first few passes.
      bool first = e.tries == 0;
      bool again = sd.found && sd.inode == 0 &&
                   (e.tries < opt_.retries ||
                    (now - e.first_try < opt_.retry_window && now - e.last_query >= std::chrono::milliseconds(5)));
      if (!first && !again) continue;
      e.last_query = now;
      SocketQuery q;
      q.family = e.id.ip_version() == 4 ? AF_INET : AF_INET6;
      q.protocol = e.id.protocol();
      q.local = e.id.addr(side);
      q.local_port = e.id.port(side);
      q.remote = e.id.addr(1 - side);
      q.remote_port = e.id.port(1 - side);
      queries_.push_back(q);
      asked_.push_back({idx, side, false});
      if (e.id.ip_version() == 4 && first) {
        // A dual-stack AF_INET6 socket talking IPv4 sees v4-mapped addresses (RFC 4291, 2.5.5.2).
        SocketQuery m = q;
        m.family = AF_INET6;
        auto mapped = [](const std::array<std::uint8_t, 16>& a) {
          std::array<std::uint8_t, 16> r{};
          r[10] = r[11] = 0xff;
          std::memcpy(r.data() + 12, a.data(), 4);
          return r;
        };
        m.local = mapped(q.local);
        m.remote = mapped(q.remote);
        queries_.push_back(m);
        asked_.push_back({idx, side, false});
      }
    }
  }
  queue_.resize(kept);
  answers_.resize(queries_.size());
  stats_.diag_queries += queries_.size();
  if (auto ok = diag_.lookup(queries_, answers_); !ok) return ok;

  missing_.clear();
  std::unordered_set<std::uint32_t> missing_uids;
  // Sockets first seen in this pass get the wide search (young processes, holders, /proc);
  // those carried over from earlier passes (their owner most likely exited) only the cheap one.
  bool new_missing = false;
  for (std::size_t i = 0; i < answers_.size(); ++i) {
    const SocketAnswer& a = answers_[i];
    if (!a.found) continue;
    Entry& e = cache_[asked_[i].entry];
    // The answer names its own local end; trust that over which side we asked for.
    int side = asked_[i].side;
    const SocketQuery& q = queries_[i];
    int version = q.family == AF_INET ? 4 : 6;
    bool addr_ok = a.local == q.local || is_wildcard(a.local, version);
    if (a.local_port != q.local_port || !addr_ok) {
      if (a.local_port == q.remote_port && (a.local == q.remote || is_wildcard(a.local, version)))
        side = 1 - side;
      else
        continue;
    }
    Side& s = e.side[side];
    // An exact TCP lookup falls back to the listener of the local address and port when the
    // connection's socket is gone (inet_diag_find_one_icsk -> inet_lookup): that is not this
    // flow's socket, only the server it came to.
    if (q.protocol == IPPROTO_TCP && (a.state == kTcpListen || asked_[i].listener)) {
      if (a.state != kTcpListen) continue;
      s.listener = a.inode;
      s.listener_asked = true;
      if (!s.found) {
        s.found = true;  // stands for the connection's socket, which is gone: inode 0
        s.uid = a.uid;
      }
      if (a.inode != 0 && !by_inode_.contains(a.inode)) {
        missing_.insert(a.inode);
        missing_uids.insert(a.uid);
        new_missing = true;
      }
      continue;
    }
    if (s.found && s.inode != 0) continue;
    s.found = true;
    s.inode = a.inode;
    s.uid = a.uid;
    if (a.inode != 0 && !by_inode_.contains(a.inode)) {
      missing_.insert(a.inode);
      missing_uids.insert(a.uid);
      new_missing = true;
    }
  }

  // Sockets found on an earlier pass whose process is not known yet are looked for again.
  for (std::uint32_t idx : queue_)
    for (const Side& sd : cache_[idx].side)
      for (std::uint64_t ino : {sd.inode, sd.listener})
        if (sd.found && ino != 0 && !by_inode_.contains(ino)) {
          missing_.insert(ino);
          missing_uids.insert(sd.uid);
        }

  if (!missing_.empty()) {
    // 1. processes new since the last pass, newest first: the owner of a new socket is most
    //    likely the latest process; stop as soon as every inode is found.
    if (!connector_) {
      pids_.clear();
      list_pids(pids_);
      for (std::int32_t pid : pids_)
        if (!alive_.contains(pid) && !young_.contains(pid) && !fresh_at_.contains(pid)) add_fresh(pid, 0, now);
    }
    // A child forked moments ago is most likely about to exec: reading its /proc entries would
    // wait for the exec to finish (the kernel's exec locks), so it waits for its exec event or a
    // later pass; its sockets are its parent's until then anyway.
    constexpr auto kExecGrace = std::chrono::milliseconds(5);
    std::size_t end = fresh_.size();
    for (std::size_t i = end; i-- > 0 && !missing_.empty();) {
      Fresh f = fresh_[i];
      if (!f.current) continue;
      if (f.tid == 0 && now - f.at < kExecGrace && connector_) continue;
      fresh_[i].current = false;
      fresh_at_.erase(f.pid);
      scan(f.pid, f.tid, now);
    }
    if (fresh_at_.empty()) {
      fresh_.clear();
    } else if (fresh_.size() > 4 * fresh_at_.size() + 64) {
      // Compact the places left behind by exits, execs and scans.
      std::erase_if(fresh_, [](const Fresh& f) { return !f.current; });
      fresh_at_.clear();
      for (std::size_t i = 0; i < fresh_.size(); ++i) fresh_at_[fresh_[i].pid] = i;
    }
    // 2. young processes seen without sockets, and socket holders of the uids still missing.
    for (std::size_t i = 0; i < hot_.size() && !missing_.empty(); ++i) {
      std::int32_t pid = hot_[i];
      if (alive_.contains(pid)) scan(pid, 0, now);
    }
    if (!missing_.empty()) {
      pids_.clear();
      young_order_.clear();
      for (auto it = young_.begin(); it != young_.end();) {
        if (now - it->second > kYoung) {
          it = young_.erase(it);
        } else {
          if (new_missing) young_order_.emplace_back(it->second, it->first);
          ++it;
        }
      }
      // Newest first: a new socket most likely belongs to the latest process to start.
      std::sort(young_order_.begin(), young_order_.end(), std::greater<>());
      for (const auto& [at, pid] : young_order_) pids_.push_back(pid);
      // Long-lived holders (servers accepting, clients reconnecting) at most every 50 ms each,
      // so sockets whose owner is gone cannot make every pass read every fd table.
      for (const auto& [pid, sl] : alive_) {
        const Slot& slot = slots_[sl];
        if (missing_uids.contains(slot.info.uid) && now - slot.scanned > std::chrono::milliseconds(50) &&
            !young_.contains(pid))
          pids_.push_back(pid);
      }
      for (std::size_t i = 0; i < pids_.size() && !missing_.empty(); ++i) scan(pids_[i], 0, now);
    }
    // 3. processes the connector did not report (it reports only to the initial network
    //    namespace, and drops events when its buffer overflows): those listed in /proc that
    //    were never read, at most every 20 ms.
    if (!missing_.empty() && new_missing && (!last_listing_ || now - *last_listing_ > std::chrono::milliseconds(20))) {
      last_listing_ = now;
      pids_.clear();
      list_pids(pids_);
      std::unordered_set<std::int32_t> listed(pids_.begin(), pids_.end());
      std::erase_if(known_, [&](std::int32_t pid) { return !listed.contains(pid); });
      for (std::size_t i = 0; i < pids_.size() && !missing_.empty(); ++i)
        if (!known_.contains(pids_[i])) scan(pids_[i], 0, now);
    }
    // 4. a full sweep, rarely: only when process events may have been missed.
    if (!missing_.empty() && (!connector_ || overrun_) && (!last_sweep_ || now - *last_sweep_ > std::chrono::seconds(1))) {
      overrun_ = false;
      sweep();
    }
  }

  kept = 0;
  for (std::uint32_t idx : queue_) {
    Entry& e = cache_[idx];
    settle(e, now);
    if (e.tries++ == 0) e.first_try = now;
    if (e.state == Entry::State::pending) queue_[kept++] = idx;
    else e.queued = false;
  }
  queue_.resize(kept);
  return {};
}

}  // namespace

Result<std::unique_ptr<ProcessAttributor>> ProcessAttributor::open(const AttributorOptions& options) {
  auto diag = SockDiag::open(options.netns_path);
  if (!diag) return std::unexpected(diag.error());
  auto a = std::make_unique<LinuxAttributor>(options, std::move(*diag));
  struct stat sb{};
  std::string ns = options.netns_path.empty() ? std::string("/proc/thread-self/ns/net") : options.netns_path;
  if (::stat(ns.c_str(), &sb) == 0) a->set_netns(sb.st_ino);
  if (options.use_connect_trace) {
    auto t = ConnectTrace::open();
    if (t) a->attach_trace(std::move(*t));
    else a->warn(t.error().what() + "; TCP clients that exit within milliseconds of connecting may stay unknown");
  }
  if (options.use_proc_connector) {
    auto pc = ProcConnector::open();
    if (pc) a->attach_connector(std::move(*pc));
    else a->warn(pc.error().what() + "; finding new processes by listing /proc instead");
  }
  a->sweep();
  return std::unique_ptr<ProcessAttributor>(std::move(a));
}

}  // namespace pcapxx
