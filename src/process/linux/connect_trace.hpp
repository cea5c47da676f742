// Connect tracing: the kernel's sock:inet_sock_set_state tracepoint read through perf_event_open
// (a tracepoint event per CPU, samples in mmap'd rings; no eBPF, no BTF). A TCP socket enters
// SYN_SENT inside connect(), so that sample names the connecting process and thread; its source
// port may still be 0 then (tcp_v4_connect picks it after the state change), so the 5-tuple is
// taken from the sample where the same socket (skaddr) leaves SYN_SENT. PERF_RECORD_COMM
// records give each new image's command name at exec, so a process that exited before anyone
// read /proc still has a name.
//
// Needs: tracefs mounted (/sys/kernel/tracing or /sys/kernel/debug/tracing) for the tracepoint's
// id and field layout, and CAP_PERFMON (or CAP_SYS_ADMIN, or root) for system-wide events. The
// tracepoint carries no network namespace: a 5-tuple is assumed unique across namespaces for
// the few seconds a traced connection is remembered.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/error.hpp"

namespace pcapxx::detail::process {

/// Where the fields of inet_sock_set_state sit in a sample's raw data (from its tracefs
/// "format" file; the layout is the kernel's to choose).
struct TracepointLayout {
  struct Field {
    std::uint32_t offset = 0, size = 0;
  };
  std::uint32_t id = 0;  ///< the "ID:" line
  Field skaddr, oldstate, newstate, sport, dport, family, protocol, saddr, daddr, saddr_v6, daddr_v6;
};

/// Parses a tracefs format file of inet_sock_set_state; the error names the missing or
/// malformed field.
Result<TracepointLayout> parse_tracepoint_format(std::string_view text);

/// One state change, fields in host order; addresses as the socket holds them (IPv4 in the
/// first 4 bytes; an AF_INET6 socket talking IPv4 has v4-mapped addresses).
struct StateChange {
  std::uint64_t sk = 0;
  std::int32_t oldstate = 0, newstate = 0;
  std::uint16_t sport = 0, dport = 0, family = 0, protocol = 0;
  std::array<std::uint8_t, 16> saddr{}, daddr{};
};

/// Reads a sample's raw data with a layout; nullopt when it is too short for a field.
std::optional<StateChange> decode_state_change(std::span<const std::byte> raw, const TracepointLayout& layout) noexcept;

/// What a drain yields.
struct TraceEvent {
  enum class Kind : std::uint8_t {
    connect,   ///< a socket entered SYN_SENT in connect(): pid, tid, sk
    resolved,  ///< that socket left SYN_SENT (established or failed): sk and its 5-tuple
    comm,      ///< a new image's command name: pid, tid, comm
    lost,      ///< the kernel dropped `lost` records (ring full)
  } kind = Kind::connect;
  std::int32_t pid = 0, tid = 0;
  std::uint64_t time_ns = 0;  ///< perf clock (CLOCK_MONOTONIC-like), 0 when not sampled
  std::uint64_t lost = 0;
  StateChange change;
  std::array<char, 16> comm{};
};

/// The per-CPU tracepoint events and their rings. Draining reads shared memory only.
class ConnectTrace {
 public:
  /// Opens the events; the error names the step (tracefs, perf_event_open, mmap).
  static Result<ConnectTrace> open();
  ConnectTrace(ConnectTrace&& o) noexcept;
  ConnectTrace& operator=(ConnectTrace&&) = delete;
  ~ConnectTrace();

  /// Appends the events recorded since the last drain (no system call).
  void drain(std::vector<TraceEvent>& out);
  /// Whether the kernel-side filter (SYN_SENT changes only) was accepted.
  [[nodiscard]] bool filtered() const noexcept { return filtered_; }

 private:
  struct Ring {
    int fd = -1;
    void* base = nullptr;
    std::size_t length = 0;
  };
  ConnectTrace() = default;
  void drain_ring(Ring& r, std::vector<TraceEvent>& out);

  TracepointLayout layout_;
  std::vector<Ring> rings_;
  std::vector<std::byte> record_;  // a record that wraps the ring's end, made contiguous
  bool filtered_ = false;
};

}  // namespace pcapxx::detail::process
