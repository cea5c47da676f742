// pcapxx: a flow table. Packets are grouped into flows by the symmetric 5-tuple (both directions
// of a conversation share one record) plus the innermost VLAN id and the capture interface, and
// each flow keeps per-direction packets, bytes, first and last seen and TCP flags, and a TCP
// state.
//
//   pcapxx::FlowClassifier classify;
//   pcapxx::FlowTable table({.max_flows = 100'000});
//   table.set_end_handler([](const pcapxx::FlowRecord& f, pcapxx::FlowEndReason why) { ... });
//   for (const pcapxx::PacketView& p : batch) {
//     pcapxx::FlowPacket fp;
//     if (classify.classify(p, ifs[p.header.interface].link_type, fp)) table.add(fp);
//   }
//   table.flush();  // ends every remaining flow through the handler
//
// Memory is bounded: the table holds at most max_flows records, allocated once at construction
// (pages are touched as flows arrive); a new flow in a full table ends the least recently seen
// one (FlowEndReason::evicted, counted in FlowTableCounters). Idle and active timeouts run on
// packet time, so a savefile expires flows as a live capture would. Lookup is open addressing
// with linear probing and backward-shift deletion; nothing on the per-packet path allocates.
//
// Limitations:
//   - timeouts assume timestamps that rarely go backwards; an out-of-order packet refreshes
//     its flow's position in the LRU order as if it were the newest;
//   - tunnels (GRE, VXLAN, Geneve) are keyed by the outer header; IP-in-IP by the inner one (the
//     fast parser keeps the innermost layer of a type);
//   - IP fragments after the first carry no ports: they count in a flow with has_ports false.
//   - a frame with more layers than DecodedLayers::kCapacity (24) before its transport header
//     (stacks of IPv6 extension headers) is keyed without ports;
//   - the end handler runs inside add(), expire() and flush(): it must not call back into the
//     table.
//
// Process attribution: FlowRecord::process is a fixed-size slot the attribution module fills;
// FlowUpdate::created marks the packet that started a flow (the moment to look its owner up).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "pcapxx/layers/flow.hpp"
#include "pcapxx/linktype.hpp"
#include "pcapxx/packet.hpp"

namespace pcapxx {

/// How sure process attribution is of a flow's owner.
enum class AttributionQuality : std::uint8_t {
  unknown = 0,   ///< not attributed (not local, not looked up yet, or lookup failed)
  inferred = 1,  ///< matched indirectly (an unconnected UDP socket on the local port, an exited process)
  exact = 2,     ///< the socket of this 5-tuple, owned by this process
};

/// Who owns a flow on this host. The flow table only zeroes this when a flow starts and keeps
/// it across active-timeout restarts; process attribution fills it in. Fixed size so a flow
/// record never allocates: the full command line stays with the attribution module, by pid.
struct ProcessAttribution {
  std::int32_t pid = 0;                       ///< 0 when unknown
  std::int32_t tid = 0;                       ///< thread id where known, 0 otherwise
  std::uint32_t uid = 0xffffffff;             ///< 0xffffffff when unknown
  std::uint64_t netns = 0;                    ///< network namespace inode, 0 when unknown
  std::array<char, 16> comm{};                ///< command name, NUL-terminated (TASK_COMM_LEN)
  AttributionQuality quality = AttributionQuality::unknown;
  std::uint8_t attempts = 0;                  ///< lookups tried so far (the attribution module's retry budget)

  /// The command name as a view (up to the first NUL).
  [[nodiscard]] std::string_view comm_view() const noexcept {
    std::size_t n = 0;
    while (n < comm.size() && comm[n] != '\0') ++n;
    return {comm.data(), n};
  }
};

/// A simplified TCP connection state, from the flags each side sent (RFC 9293 section 3.3.2).
enum class TcpState : std::uint8_t {
  none = 0,       ///< not TCP, or no TCP header decoded
  syn_sent,       ///< the initiator's SYN seen
  syn_received,   ///< the responder's SYN+ACK seen
  established,    ///< the handshake completed, or the flow started mid-connection
  closing,        ///< one side sent FIN
  closed,         ///< both sides sent FIN
  reset,          ///< either side sent RST
};

/// The name of a state ("established").
std::string_view tcp_state_name(TcpState state) noexcept;

/// What one direction of a flow carried.
struct FlowDirectionCounters {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;       ///< frame lengths on the wire (origlen), link header included
  Timestamp first;               ///< first packet in this direction (0 when none)
  Timestamp last;                ///< last packet in this direction
  std::uint16_t tcp_flags = 0;   ///< OR of the TCP flags sent this way (Tcp::kFin...)
};

/// One flow. Direction 0 is initiator to responder: key.src sent the first packet (or was the
/// destination of a SYN+ACK seen first).
struct FlowRecord {
  // Fields a packet touches first; the process attribution, cold, last.
  layers::FlowKey key;                       ///< oriented initiator (src) to responder (dst)
  std::uint16_t vlan = 0;                    ///< innermost 802.1Q VLAN id; 0 when untagged
  TcpState tcp_state = TcpState::none;
  bool has_ports = false;                    ///< a TCP/UDP header was decoded (not: later fragments,
                                             ///< cut headers, other protocols)
  std::uint32_t interface = 0;               ///< PacketHeader::interface of its packets
  Timestamp first;                           ///< first packet (either way), or restart after an active timeout
  Timestamp last;                            ///< last packet (either way)
  std::array<FlowDirectionCounters, 2> dir;  ///< [0] initiator to responder, [1] back
  std::uint64_t id = 0;                      ///< 1, 2, ... in order of creation within a table
  ProcessAttribution process;                ///< filled by process attribution

  [[nodiscard]] std::uint64_t packets() const noexcept { return dir[0].packets + dir[1].packets; }
  [[nodiscard]] std::uint64_t bytes() const noexcept { return dir[0].bytes + dir[1].bytes; }

  // Table bookkeeping (each side's first TCP sequence number); not for users.
  std::array<std::uint32_t, 2> first_seq_{};
  std::uint8_t seq_seen_ = 0;  // bit d: first_seq_[d] is set
};

/// Why a flow left the table.
enum class FlowEndReason : std::uint8_t {
  idle_timeout,    ///< no packet for FlowTableOptions::idle_timeout_ns
  active_timeout,  ///< open longer than active_timeout_ns: reported, then packets, bytes and times
                   ///< restart; key, id, TCP state, flags seen and attribution carry over
  evicted,         ///< the table was full and this was the least recently seen flow
  tcp_reuse,       ///< a SYN (no ACK) with another initial sequence number than that side's first:
                   ///< a new connection on the same ports (as Wireshark starts a new TCP stream)
  flushed,         ///< flush() (end of capture)
};

/// The name of a reason ("idle_timeout").
std::string_view flow_end_reason_name(FlowEndReason reason) noexcept;

/// What one packet contributes to a flow; FlowClassifier fills it from frame bytes.
struct FlowPacket {
  layers::FlowKey key;           ///< src is the sender
  std::uint16_t vlan = 0;
  std::uint32_t interface = 0;
  Timestamp ts;
  std::uint32_t bytes = 0;       ///< origlen
  std::uint16_t tcp_flags = 0;
  std::uint32_t tcp_seq = 0;
  bool has_ports = false;
};

/// Sizes and timeouts of a FlowTable.
struct FlowTableOptions {
  std::size_t max_flows = 65536;                         ///< the LRU budget (at least 1)
  std::int64_t idle_timeout_ns = 60'000'000'000;         ///< 0: never
  std::int64_t active_timeout_ns = 1'800'000'000'000;    ///< 0: never
};

/// What happened in a table since it was created.
struct FlowTableCounters {
  std::uint64_t packets = 0;             ///< packets added
  std::uint64_t bytes = 0;
  std::uint64_t flows_created = 0;
  std::uint64_t ended_idle = 0;
  std::uint64_t ended_active = 0;        ///< active-timeout reports (the flow goes on)
  std::uint64_t ended_tcp_reuse = 0;
  std::uint64_t ended_flushed = 0;
  std::uint64_t evicted = 0;             ///< flows ended early because the table was full
  std::uint64_t evicted_packets = 0;     ///< packets those flows had counted
  std::uint64_t evicted_bytes = 0;
};

/// The outcome of FlowTable::add.
struct FlowUpdate {
  FlowRecord* flow = nullptr;  ///< valid until the next add/expire/flush
  bool created = false;        ///< the packet started a new flow (fill process attribution now)
  std::uint8_t direction = 0;  ///< 0 initiator to responder, 1 back
};

/// Called for each flow that ends (or reaches an active timeout); the record is valid only
/// during the call.
using FlowEndHandler = std::function<void(const FlowRecord&, FlowEndReason)>;

/// Flows keyed by symmetric 5-tuple, VLAN and interface, within a fixed memory budget.
class FlowTable {
 public:
  explicit FlowTable(const FlowTableOptions& options = {});
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;
  FlowTable(FlowTable&&) noexcept = default;
  FlowTable& operator=(FlowTable&&) noexcept = default;
  ~FlowTable();

  /// Sets what is called when a flow ends; none by default.
  void set_end_handler(FlowEndHandler handler) { on_end_ = std::move(handler); }

  /// Accounts one packet: finds or creates its flow (ending flows idle at p.ts first, and the
  /// least recently seen one if the table is full).
  FlowUpdate add(const FlowPacket& p);

  /// Ends flows idle at `now` (for live captures when no packet arrives).
  void expire(Timestamp now);
  /// Ends every flow (FlowEndReason::flushed), least recently seen first.
  void flush();

  /// The flow of a key in either orientation, or nullptr.
  [[nodiscard]] const FlowRecord* find(const layers::FlowKey& key, std::uint16_t vlan = 0,
                                       std::uint32_t interface = 0) const noexcept;
  /// Calls fn for every flow, least recently seen first.
  void for_each(const std::function<void(const FlowRecord&)>& fn) const;
  /// Mutable access, for process attribution filling records in.
  void for_each_mutable(const std::function<void(FlowRecord&)>& fn);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return options_.max_flows; }
  [[nodiscard]] const FlowTableCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const FlowTableOptions& options() const noexcept { return options_; }
  /// Bytes the table reserved at construction (records and index).
  [[nodiscard]] std::size_t reserved_bytes() const noexcept;

 private:
  static constexpr std::uint32_t kNone = 0xffffffff;
  struct Slot {
    std::uint32_t record = kNone;
    std::uint32_t hash = 0;  // low half of the flow hash: the home slot, checked before the key
  };
  struct LruLink {
    std::uint32_t prev = kNone;
    std::uint32_t next = kNone;
  };

  std::uint32_t lookup(const FlowPacket& p, std::uint64_t hash, std::size_t& slot, bool& reversed) const noexcept;
  std::uint32_t allocate();
  void end(std::uint32_t index, FlowEndReason reason);
  void end_active(FlowRecord& r, Timestamp now);
  void unlink(std::uint32_t index) noexcept;
  void push_back(std::uint32_t index) noexcept;
  void erase_slot(std::size_t slot) noexcept;
  std::size_t slot_of(std::uint32_t index, std::uint32_t hash) const noexcept;
  void expire_idle(Timestamp now);

  FlowTableOptions options_;
  std::vector<FlowRecord> records_;  // reserved to max_flows once; never reallocates
  std::vector<LruLink> lru_;         // parallel to records_, apart so LRU moves touch little memory
  std::vector<Slot> slots_;          // power of two, at least twice max_flows
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::uint32_t free_ = kNone;       // free records, linked through lru_[].next
  std::uint32_t lru_head_ = kNone;   // least recently seen
  std::uint32_t lru_tail_ = kNone;   // most recently seen
  std::uint64_t next_id_ = 1;
  FlowTableCounters counters_;
  FlowEndHandler on_end_;
};

/// Turns frames into FlowPackets: decodes link, VLAN, MPLS, PPPoE, IPv4/IPv6 (with extension
/// headers) and TCP/UDP with the zero-allocation fast parser. One per thread.
class FlowClassifier {
 public:
  FlowClassifier();
  ~FlowClassifier();
  FlowClassifier(FlowClassifier&&) noexcept;
  FlowClassifier& operator=(FlowClassifier&&) noexcept;

  /// Fills `out` from a frame of link type `link`; false when the frame carries no IP header
  /// that decodes (ARP, truncated, unknown link types). Allocates only the first time it sees
  /// a link type.
  bool classify(const PacketView& packet, LinkType link, FlowPacket& out);

  struct Parsers;

 private:
  std::unique_ptr<Parsers> parsers_;
};

}  // namespace pcapxx
