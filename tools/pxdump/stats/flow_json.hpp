// pxdump --stats --json: a flow record, and the closing summary, as one JSON object per line.
// The fields are documented in docs/pxdump-stats.md.
#pragma once

#include <span>
#include <string>

#include <fmt/format.h>

#include "pcapxx/flow_table.hpp"
#include "pcapxx/source.hpp"

namespace pxdump {

/// An address of a flow key as text (dotted quad, or RFC 5952 IPv6).
std::string flow_address(const pcapxx::layers::FlowKey& key, bool source);

/// TCP flags as letters in tcpdump's order: F S R P . U E W (ACK is '.'), "" for none.
std::string tcp_flag_letters(std::uint16_t flags);

/// Appends one flow object and a newline.
void append_flow_json(fmt::memory_buffer& out, const pcapxx::FlowRecord& flow, pcapxx::FlowEndReason reason,
                      std::span<const pcapxx::InterfaceDescription> interfaces);

/// What the closing summary object carries.
struct StatsSummary {
  std::uint64_t packets = 0, bytes = 0;            ///< every packet the loop saw (after the filter)
  std::uint64_t non_ip_packets = 0, non_ip_bytes = 0;
  std::int64_t first_ns = 0, last_ns = 0;          ///< packet time of the first and last packet
  pcapxx::FlowTableCounters flows;
  pcapxx::CaptureStats capture;
  bool live = false;
};

/// Appends the summary object and a newline.
void append_summary_json(fmt::memory_buffer& out, const StatsSummary& s);

}  // namespace pxdump
