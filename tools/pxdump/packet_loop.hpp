// pxdump: the loop shared by savefile reading and live capture: batches from a Source, the
// userspace filter (savefiles; live captures filter in the kernel), the packet count, and the
// output (a savefile with -w, a line per packet otherwise). Per packet: no allocation, no
// system call (output is buffered); virtual calls once per batch.
#pragma once

#include <cstdint>
#include <optional>

#include "options.hpp"
#include "pcapxx/filter.hpp"
#include "pcapxx/source.hpp"

namespace pxdump {

struct LoopResult {
  int status = 0;               ///< 0, or 1 after an error (already printed)
  std::uint64_t captured = 0;   ///< packets that passed the filter and were written or printed
  bool stopped_by_signal = false;
};

/// The next batch for a loop over `source`, or nullopt when the loop ends: SIGINT/SIGTERM
/// (result.stopped_by_signal), the end of the input, or an error (printed, result.status = 1).
/// Timeouts come back as batches for the caller to handle.
std::optional<pcapxx::BatchResult> next_batch_or_end(pcapxx::Source& source, LoopResult& result);

/// Reads `source` to its end, to the -c count or to SIGINT/SIGTERM. `filter` may be nullptr.
/// `live` flushes printed lines after every batch and puts the capture's counters in a pcapng
/// output's statistics block.
LoopResult run_packet_loop(const Options& opt, pcapxx::Source& source, const pcapxx::Filter* filter, bool live);

}  // namespace pxdump
