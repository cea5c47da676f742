// pxdump --stats: packets go into a flow table (pcapxx/flow_table.hpp) instead of being printed.
// On a terminal a table is redrawn each second (top flows, top talkers, protocols, packets and
// bits per second, drops); at the end a report; with --json one NDJSON object per flow as it
// ends and a summary object last (docs/pxdump-stats.md). Per packet: classify, add to the table,
// count the protocol; no allocation, no system call.
#pragma once

#include "options.hpp"
#include "packet_loop.hpp"
#include "pcapxx/filter.hpp"
#include "pcapxx/source.hpp"

namespace pxdump {

/// Reads `source` to its end, to -c packets or to SIGINT/SIGTERM, accounting flows. `filter`
/// may be nullptr. `live` redraws the terminal table each second and expires idle flows on the
/// clock when no packet arrives.
LoopResult run_stats_loop(const Options& opt, pcapxx::Source& source, const pcapxx::Filter* filter, bool live);

}  // namespace pxdump
