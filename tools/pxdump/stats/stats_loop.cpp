#include "stats/stats_loop.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "pcapxx/flow_table.hpp"
#include "signals.hpp"
#include "stats/flow_json.hpp"
#include "stats/traffic_view.hpp"

namespace pxdump {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

pcapxx::Timestamp wall_clock() {
  return pcapxx::Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count()};
}

}  // namespace

LoopResult run_stats_loop(const Options& opt, pcapxx::Source& source, const pcapxx::Filter* filter, bool live) {
  LoopResult result;
  if (!opt.write_file.empty()) {
    fmt::print(stderr, "pxdump: --stats and -w do not go together: --stats prints flows instead of packets\n");
    result.status = 1;
    return result;
  }
  pcapxx::FlowTable table({.max_flows = static_cast<std::size_t>(opt.max_flows),
                           .idle_timeout_ns = std::int64_t{opt.idle_timeout_s} * kSecond,
                           .active_timeout_ns = std::int64_t{opt.active_timeout_s} * kSecond});
  pcapxx::FlowClassifier classify;
  TrafficView view(opt.stats_top);
  ProtocolCounters protocols;
  StatsSummary summary;
  summary.live = live;

  std::FILE* out = stdout;
  static char outbuf[1 << 16];
  std::setvbuf(out, outbuf, _IOFBF, sizeof outbuf);
  fmt::memory_buffer json;
  table.set_end_handler([&](const pcapxx::FlowRecord& f, pcapxx::FlowEndReason why) {
    if (opt.json) {
      json.clear();
      append_flow_json(json, f, why, source.interfaces());
      std::fwrite(json.data(), 1, json.size(), out);
    } else {
      view.flow_ended(f);
    }
  });

  // The terminal table: live captures on a terminal, without --json.
  const bool screen = live && !opt.json && isatty(STDOUT_FILENO) != 0;
  using Clock = std::chrono::steady_clock;
  auto last_tick = Clock::now();
  std::uint64_t tick_packets = 0, tick_bytes = 0, tick_dropped = source.stats().dropped;

  auto tick = [&](bool force) {
    const auto now = Clock::now();
    const double secs = std::chrono::duration<double>(now - last_tick).count();
    if (!force && secs < 1.0) return;
    // Idle flows end on the clock when packets stop arriving.
    table.expire(wall_clock());
    const pcapxx::CaptureStats cs = source.stats();
    summary.capture = cs;
    if (screen) {
      IntervalRates rates;
      rates.seconds = secs;
      rates.packets_per_second = static_cast<double>(summary.packets - tick_packets) / secs;
      rates.bits_per_second = static_cast<double>(summary.bytes - tick_bytes) * 8 / secs;
      rates.dropped = cs.dropped - tick_dropped;
      summary.flows = table.counters();
      const std::string text = view.screen(table, protocols, rates, summary);
      // Home, the table, clear what is left of the previous one.
      std::fputs("\x1b[H", out);
      std::fwrite(text.data(), 1, text.size(), out);
      std::fputs("\x1b[J", out);
    }
    std::fflush(out);
    last_tick = now;
    tick_packets = summary.packets;
    tick_bytes = summary.bytes;
    tick_dropped = cs.dropped;
  };
  if (screen) std::fputs("\x1b[2J", out);

  while (result.status == 0) {
    auto batch = next_batch_or_end(source, result);
    if (!batch) break;
    if (batch->status == pcapxx::BatchStatus::timeout) {
      if (live) tick(false);
      continue;
    }
    auto ifs = source.interfaces();
    bool reached_count = false;
    for (const pcapxx::PacketView& p : batch->packets) {
      if (filter != nullptr && !filter->matches(p)) continue;
      ++result.captured;
      if (summary.packets == 0) summary.first_ns = p.header.ts.ns;
      summary.last_ns = p.header.ts.ns;
      ++summary.packets;
      summary.bytes += p.header.origlen;
      pcapxx::FlowPacket fp;
      const pcapxx::LinkType link = p.header.interface < ifs.size() ? ifs[p.header.interface].link_type
                                                                      : pcapxx::LinkType{};
      if (classify.classify(p, link, fp)) {
        ++protocols.packets[fp.key.protocol];
        protocols.bytes[fp.key.protocol] += fp.bytes;
        table.add(fp);
      } else {
        ++summary.non_ip_packets;
        summary.non_ip_bytes += p.header.origlen;
        ++protocols.non_ip_packets;
        protocols.non_ip_bytes += p.header.origlen;
      }
      if (opt.count && result.captured >= *opt.count) {
        reached_count = true;
        break;
      }
    }
    if (live) tick(false);
    if (reached_count) break;
  }

  // The end: every remaining flow goes out (NDJSON) or into the report, then the totals.
  summary.capture = source.stats();
  table.flush();
  summary.flows = table.counters();
  if (opt.json) {
    json.clear();
    append_summary_json(json, summary);
    std::fwrite(json.data(), 1, json.size(), out);
  } else {
    if (screen) std::fputs("\x1b[H\x1b[2J", out);
    const std::string text = view.report(protocols, summary);
    std::fwrite(text.data(), 1, text.size(), out);
  }
  std::fflush(out);
  return result;
}

}  // namespace pxdump
