// What connect tracing (connect_trace.hpp) has told us, kept for the attributor: which process
// called connect() on a TCP socket whose 5-tuple is now known, which remote ends a local
// connect() is still reaching, and the command names new images announced at exec.
//
// A socket's SYN_SENT entry (pid, tid) and its exit (5-tuple) are two samples, possibly on two
// CPUs' rings: an exit read before its entry waits here for up to a second. A connection is
// remembered for 10 s after its 5-tuple is known, for its packets to reach the attributor, or
// until kRecentWays * kRecentSets (16,384) newer connections pushed it out of its set (at 10,000
// connections/s, about 1.5 s): a fixed table that needs no pruning, so a connection costs one
// write to it instead of an insertion now and a cold erase 10 s later.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "process/linux/connect_trace.hpp"
#include "process/linux/flat_map.hpp"
#include "process/linux/flow_id.hpp"

namespace pcapxx::detail::process {

class TracedConnects {
 public:
  using Clock = std::chrono::steady_clock;

  /// A connection whose connect() was traced.
  struct Traced {
    std::int32_t pid = 0, tid = 0;
    int local = 0;  ///< which end of the FlowId is the connecting socket's
    Clock::time_point at;
  };

  /// What one read() found.
  struct ReadCounts {
    std::uint64_t events = 0, lost = 0;
    std::uint64_t displaced = 0;  ///< connections pushed out of the table before their retention
  };

  /// `comm_retention`: how long a name announced at exec is kept (the exited-process retention).
  TracedConnects(ConnectTrace trace, Clock::duration comm_retention);

  /// Takes in the records written since the last read (shared memory only, no system call)
  /// and forgets what is past its retention.
  ReadCounts read(Clock::time_point now);

  /// The traced connect() of this flow if it is recent enough at `now`, or null.
  [[nodiscard]] const Traced* find(const FlowId& id, Clock::time_point now) const;
  /// Whether a local connect() towards one of the flow's ends has not left SYN_SENT yet.
  [[nodiscard]] bool connect_pending_toward(const FlowId& id) const;
  /// When exactly one local connect() still in SYN_SENT reaches one of the flow's ends: its
  /// caller (and which end of the flow is the connecting one); otherwise null. Several
  /// connects towards one server cannot be told apart before their 5-tuples are known.
  struct Sole {
    std::int32_t pid = 0, tid = 0;
    int local = 0;
  };
  [[nodiscard]] std::optional<Sole> sole_connect_toward(const FlowId& id) const;
  /// The command name of a process's latest exec, or null.
  [[nodiscard]] const char* comm_of(std::int32_t pid) const;

 private:
  struct Connecting {
    std::int32_t pid = 0, tid = 0;
    Clock::time_point at;
    std::uint64_t toward = 0;  ///< endpoint_hash of the remote end
  };
  struct Named {
    std::array<char, 16> comm{};
    Clock::time_point at;
  };

  void record(const StateChange& c, std::int32_t pid, std::int32_t tid, Clock::time_point now, ReadCounts& counts);
  void forget_connecting(std::uint64_t sk, const Connecting& c);
  void prune(Clock::time_point now);

  ConnectTrace trace_;
  Clock::duration comm_retention_;
  // A socket (kernel address) in SYN_SENT: who called connect(), and the hash of the end it
  // connects to; the sample where it leaves SYN_SENT gives its 5-tuple.
  // Flat tables: a connection costs no allocation once they have grown to the churn's size.
  FlatMap<std::uint64_t, Connecting> connecting_;
  // Endpoint hash -> how many sockets connect to it, and the XOR of their callers' pid and tid
  // (which is the caller itself when there is one).
  struct Toward {
    std::uint32_t count = 0;
    std::int32_t pid_xor = 0, tid_xor = 0;
  };
  FlatMap<std::uint64_t, Toward> connecting_to_;
  void add_toward(const Connecting& c);
  void drop_toward(const Connecting& c);
  // A SYN_SENT exit read before the connect() sample that entered it (rings are per CPU).
  struct Early {
    StateChange change;
    Clock::time_point at;
  };
  FlatMap<std::uint64_t, Early> early_;
  // Recent traced connections: set-associative, the oldest of a set is replaced.
  static constexpr std::size_t kRecentWays = 4, kRecentSets = 4096;
  struct Recent {
    FlowId id;
    Traced traced;  // traced.pid == 0: empty
  };
  std::vector<Recent> recent_;
  FlatMap<std::int32_t, Named> comm_of_;  // names of processes gone before /proc was read
  std::optional<Clock::time_point> last_prune_;
  std::vector<TraceEvent> events_;                          // reused between reads
  std::vector<std::pair<std::uint64_t, std::uint32_t>> by_time_;  // (time, index in events_)
};

}  // namespace pcapxx::detail::process
