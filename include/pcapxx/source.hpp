// pcapxx: the Source seam. A live AF_PACKET ring, a savefile and a test double all deliver
// batches of packet views through this one interface; nothing above it asks which it has.
// Virtual calls happen once per batch, never per packet.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pcapxx/error.hpp"
#include "pcapxx/linktype.hpp"
#include "pcapxx/packet.hpp"

namespace pcapxx {

/// One interface a source captures on (a pcapng IDB, a live device, or the single link of a
/// pcap file).
struct InterfaceDescription {
  LinkType link_type{};
  std::uint32_t snaplen = 0;            ///< 0 means "no limit" (pcapng)
  std::string name;                     ///< if_name
  std::string description;              ///< if_description
  std::string filter;                   ///< if_filter (the string form)
  std::string os;                       ///< if_os
  std::string hardware;                 ///< if_hardware
  std::uint64_t ts_units_per_second = 1'000'000;  ///< from if_tsresol (µs when absent)
  std::int64_t ts_offset_seconds = 0;   ///< if_tsoffset
  std::optional<std::uint8_t> fcs_len;  ///< if_fcslen, or the FCS bits of a pcap link type
  std::optional<std::uint64_t> speed;   ///< if_speed, bits per second
  std::vector<std::string> comments;    ///< opt_comment
};

/// Counters a source keeps; which are meaningful depends on the source.
struct CaptureStats {
  std::uint64_t received = 0;       ///< packets delivered by the source (libpcap ps_recv)
  std::uint64_t dropped = 0;        ///< dropped for lack of buffer space (ps_drop)
  std::uint64_t if_dropped = 0;     ///< dropped by the interface or driver (ps_ifdrop)
  std::uint64_t ring_freezes = 0;   ///< live V3 rings: times the ring was full (tp_freeze_q_cnt)
};

/// What a call to Source::next_batch produced.
enum class BatchStatus : std::uint8_t {
  packets,   ///< the batch holds at least one packet
  timeout,   ///< no packet arrived before the timeout (live sources)
  end,       ///< the source is exhausted (end of file)
};

/// A batch and its status; packets is empty unless status is BatchStatus::packets.
struct BatchResult {
  BatchStatus status = BatchStatus::end;
  Batch packets;
};

/// Anything that delivers packets in batches.
class Source {
 public:
  virtual ~Source() = default;
  Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  /// Delivers the next batch. Views stay valid until the next call or until the source closes.
  virtual Result<BatchResult> next_batch() = 0;

  /// Interfaces known so far; a pcapng file may add more as it is read.
  [[nodiscard]] virtual std::span<const InterfaceDescription> interfaces() const = 0;

  /// The link type of the first interface (libpcap's pcap_datalink).
  [[nodiscard]] LinkType link_type() const {
    auto ifs = interfaces();
    return ifs.empty() ? LinkType{} : ifs.front().link_type;
  }

  /// The snapshot length of the first interface (libpcap's pcap_snapshot).
  [[nodiscard]] std::uint32_t snaplen() const {
    auto ifs = interfaces();
    return ifs.empty() ? 0 : ifs.front().snaplen;
  }

  /// Counters so far.
  [[nodiscard]] virtual CaptureStats stats() const = 0;
};

}  // namespace pcapxx
