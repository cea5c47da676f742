// pcapxx: process attribution — which local process owns the socket a packet belongs to.
//
//   auto attr = pcapxx::ProcessAttributor::open({});
//   for each batch:
//     for (packet : batch) ref = (*attr)->note(key);         // no system call, no allocation
//     (*attr)->resolve();                                    // one round of netlink + /proc work
//     for (packet : batch) auto a = (*attr)->lookup(key, ref); // a.process->pid, a.quality
//
// How (Linux, no eBPF):
//   0. connect tracing: the sock:inet_sock_set_state tracepoint through perf_event_open (per-CPU
//      rings read without a system call) names the process that called connect() on each TCP
//      socket, and gives the socket's 5-tuple when it leaves SYN_SENT; such connections settle
//      exact with no lookup, even when their process exited long before resolve() ran. Needs
//      tracefs mounted and CAP_PERFMON; without them, a warning and steps 1-4 alone;
//   1. NETLINK_SOCK_DIAG exact lookups (inet_diag_req_v2 without NLM_F_DUMP) for TCP and UDP
//      over IPv4 and IPv6 give the socket inode and uid of a 5-tuple; an unconnected UDP
//      socket answers for any remote, so it is matched on its local address and port;
//   2. an inode -> process index, updated from proc connector events (fork, exec, exit): on a
//      miss /proc/PID/fd is read only for processes new since the last pass (newest first,
//      until every inode is found), then recent socket openers, young processes and socket
//      holders of the socket's uid (throttled), then never-read pids of /proc; processes of
//      other network namespaces are skipped with one stat(); a full /proc sweep happens only
//      at start and, at most once a second, when the connector is missing or lost events;
//   3. exited processes stay resolvable for `exited_retention`, so late packets of short
//      connections still resolve;
//   4. quality: exact (the socket of this 5-tuple, or the unconnected UDP socket that answers
//      for it, was found in the process's fd table), inferred (no process holds the socket any
//      more, and either the flow's local end is a TCP port whose listener's owner is known, or
//      its uid and timing point at exactly one process that came and went meanwhile), unknown.
//
// Limitations: without connect tracing (and always for UDP and for accepted TCP connections) a
// socket whose process exited before the first resolve() after its first packet has no inode
// any more (the kernel orphans it); such flows are at best inferred (accepted TCP connections
// from their listener's owner). The tracepoint carries no
// network namespace: a traced 5-tuple is checked against the process's namespace while it
// lives, and assumed to be this namespace's once it is gone.
// Sockets are looked up in one network namespace (AttributorOptions::netns_path); the proc
// connector only reports to sockets in the initial namespace.
// Privileges: reading another user's /proc/PID/fd needs CAP_SYS_PTRACE (or CAP_DAC_READ_SEARCH);
// the proc connector works only from the initial network namespace (some kernels also want
// CAP_NET_ADMIN). Without them attribution still works for the
// caller's own processes (the connector is replaced by listing /proc); warnings() says which.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/error.hpp"
#include "pcapxx/flow_table.hpp"
#include "pcapxx/layers/flow.hpp"
#include "pcapxx/packet.hpp"

namespace pcapxx {

// AttributionQuality and the fixed-size ProcessAttribution of a flow record come from the flow
// table (flow_table.hpp); fill_record() fills one from an Attribution.

/// "exact", "inferred", "unknown".
std::string_view to_string(AttributionQuality q) noexcept;

/// A process as attribution reports it.
struct ProcessInfo {
  std::int32_t pid = 0;
  std::int32_t tid = 0;        ///< thread that created the process image (exec), 0 if unknown
  std::uint32_t uid = 0;       ///< real uid (/proc/PID/status)
  std::string comm;            ///< /proc/PID/comm, up to 15 bytes
  std::string cmdline;         ///< arguments joined by spaces
  std::uint64_t netns = 0;     ///< inode of /proc/PID/ns/net, 0 if unreadable
  bool exited = false;         ///< the process has exited since it was seen
};

/// The attribution of one packet (the sender's side when it is local, else the receiver's).
struct Attribution {
  AttributionQuality quality = AttributionQuality::unknown;
  const ProcessInfo* process = nullptr;  ///< valid until the next resolve(); null when unknown
  std::uint64_t socket_inode = 0;        ///< 0 when no live socket was found
  bool pending = false;                  ///< noted but not resolved yet
};

/// What to attribute in, and how much to remember.
struct AttributorOptions {
  std::string netns_path;                ///< sockets of this network namespace ("" = the caller's)
  std::size_t cache_flows = 1 << 16;     ///< flows remembered (LRU per set); rounded up to 4
  std::chrono::seconds exited_retention{30};  ///< how long exited processes still resolve
  bool use_proc_connector = true;        ///< false: find new processes by listing /proc
  bool use_connect_trace = true;         ///< false: no perf tracepoint for connect()
  int retries = 3;                       ///< passes a flow with an unmapped inode is retried, at least
  std::chrono::milliseconds retry_window{250};  ///< ... and for at least this long
};

/// Counters, for benchmarks and --stats.
struct AttributorStats {
  std::uint64_t flows = 0;             ///< flows noted
  std::uint64_t exact = 0, inferred = 0, unknown = 0;  ///< flows settled by quality
  std::uint64_t passes = 0;            ///< resolve() calls that did work
  std::uint64_t diag_queries = 0;      ///< sock_diag exact lookups sent
  std::uint64_t fd_scans = 0;          ///< /proc/PID/fd directories read
  std::uint64_t full_sweeps = 0;       ///< whole-/proc sweeps
  std::uint64_t connector_events = 0;  ///< proc connector events read
  std::uint64_t connector_overruns = 0;///< times the connector socket lost events (ENOBUFS)
  std::uint64_t evicted = 0;           ///< flows dropped from the cache for room
  std::uint64_t traced = 0;            ///< flows settled exact from a traced connect() (in `exact`)
  std::uint64_t trace_events = 0;      ///< connect trace records read
  std::uint64_t trace_lost = 0;        ///< connect trace records the kernel dropped (ring full)
  std::uint64_t trace_displaced = 0;   ///< traced connections pushed out by newer ones within 10 s
};

/// Where note() left a flow in the attributor's cache, so that lookup() of the same packet need
/// not hash and search again. Checked on use: a flow evicted meanwhile is looked up by its key.
struct FlowRef {
  std::uint32_t index = 0xffffffffu;
  std::uint32_t stamp = 0;  ///< the entry's stamp when noted; 0: none
  bool src_is_end0 = false;
};

/// Attributes flows to local processes. One thread uses it: note()/lookup() per packet never
/// make a system call or allocate; resolve() does the work in batches.
class ProcessAttributor {
 public:
  /// Opens the netlink sockets and seeds the index with one /proc sweep. Errors name the step;
  /// missing privileges that only narrow what resolves are warnings() instead.
  static Result<std::unique_ptr<ProcessAttributor>> open(const AttributorOptions& options = {});
  virtual ~ProcessAttributor() = default;

  /// Remembers a packet's flow for the next resolve() (if it is not known yet).
  /// `connection_start`: a TCP SYN without ACK, so a settled flow with these ports is a new
  /// connection and is resolved again. A flow left unknown is tried again after a second.
  /// Returns the flow's place for lookup(key, ref); a non-TCP/UDP key gives an empty FlowRef.
  virtual FlowRef note(const layers::FlowKey& key, bool connection_start = false) noexcept = 0;
  /// The attribution known now; a flow never noted is noted.
  virtual Attribution lookup(const layers::FlowKey& key) noexcept = 0;
  /// lookup(key) with what note(key) returned in this batch: no hashing while the flow is cached.
  virtual Attribution lookup(const layers::FlowKey& key, FlowRef ref) noexcept = 0;
  /// Reads process events and resolves the noted flows. Never blocks on the network.
  virtual Result<void> resolve() = 0;
  /// Non-fatal limits found while opening (missing capabilities, no connector).
  [[nodiscard]] virtual std::span<const std::string> warnings() const noexcept = 0;
  [[nodiscard]] virtual AttributorStats stats() const noexcept = 0;
};

// ---- The pcapng custom option that stores an attribution (docs/process-attribution.md) ----

/// Private Enterprise Number under which pcapxx stores attributions: 32473, the number
/// RFC 5612 reserves for documentation and examples.
inline constexpr std::uint32_t kProcessOptionPen = 32473;
/// pcapng custom option code for binary data that may be copied (pcapng draft, 3.5.1).
inline constexpr std::uint16_t kCustomBinaryCopy = 2989;

/// An attribution read back from a file; the strings view the option's bytes.
struct StoredProcess {
  AttributionQuality quality = AttributionQuality::unknown;
  std::int32_t pid = 0;
  std::int32_t tid = 0;
  std::uint32_t uid = 0;
  std::uint64_t netns = 0;
  std::string_view comm;
  std::string_view cmdline;
};

/// Appends the option's data (after the PEN) for an attribution, in host byte order.
void encode_process_option(const ProcessInfo& process, AttributionQuality quality, std::vector<std::byte>& out);
/// Reads the option's data (after the PEN); `swapped` when the section's byte order is not the host's.
Result<StoredProcess> decode_process_option(std::span<const std::byte> data, bool swapped);

/// Copies an attribution into a flow record's fixed-size slot (comm truncated to 15 bytes).
void fill_record(ProcessAttribution& record, const Attribution& a) noexcept;

/// The pcapxx attribution among a packet's pcapng options, if any (no allocation).
std::optional<StoredProcess> find_process_option(const RawOptions& options) noexcept;

/// "pid 1234 uid 1000 curl (exact)"-style text for a per-packet comment or a column.
void format_process(std::string& out, const StoredProcess& p);

}  // namespace pcapxx
