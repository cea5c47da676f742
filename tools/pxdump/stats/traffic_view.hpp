// pxdump --stats: what the terminal table and the closing report show. Totals per host and the
// largest flows are kept as flows end (not per packet); the live screen adds the flows still in
// the table.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "pcapxx/flow_table.hpp"
#include "pcapxx/source.hpp"
#include "stats/flow_json.hpp"

namespace pxdump {

/// Packets and bytes per IP protocol, and of frames without IP; counted per packet.
struct ProtocolCounters {
  std::array<std::uint64_t, 256> packets{};
  std::array<std::uint64_t, 256> bytes{};
  std::uint64_t non_ip_packets = 0;
  std::uint64_t non_ip_bytes = 0;
};

/// Rates over the last refresh interval (live).
struct IntervalRates {
  double seconds = 0;
  double packets_per_second = 0;
  double bits_per_second = 0;
  std::uint64_t dropped = 0;     ///< dropped by the kernel in the interval
};

class TrafficView {
 public:
  explicit TrafficView(std::uint32_t top) : top_(top) {}

  /// A flow ended (or reached its active timeout): add it to the host totals and top flows.
  void flow_ended(const pcapxx::FlowRecord& flow);

  /// The terminal screen: rates, drops, the flows with most bytes in the last interval, top
  /// talkers so far, protocols.
  std::string screen(const pcapxx::FlowTable& table, const ProtocolCounters& protocols, const IntervalRates& rates,
                     const StatsSummary& summary);
  /// The report at the end, after the table was flushed.
  std::string report(const ProtocolCounters& protocols, const StatsSummary& summary) const;

  struct HostKey {
    std::uint8_t ip_version = 0;
    std::array<std::uint8_t, 16> address{};
    friend bool operator==(const HostKey&, const HostKey&) = default;
  };
  struct HostHash {
    std::size_t operator()(const HostKey& k) const noexcept;
  };
  struct HostTotals {
    std::uint64_t bytes_sent = 0, bytes_received = 0, packets = 0, flows = 0;
  };
  using Hosts = std::unordered_map<HostKey, HostTotals, HostHash>;

 private:
  std::uint32_t top_;
  Hosts hosts_;                                       // ended flows only
  std::vector<pcapxx::FlowRecord> largest_;           // the top_ ended flows by bytes, largest first
  std::unordered_map<std::uint64_t, std::uint64_t> previous_bytes_;  // flow id -> bytes at the last screen
};

/// Adds a flow's bytes and packets to its two hosts.
void add_to_hosts(TrafficView::Hosts& hosts, const pcapxx::FlowRecord& flow, bool count_flow);

}  // namespace pxdump
