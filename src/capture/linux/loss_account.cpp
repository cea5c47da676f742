// Where packets were lost: the capture's ring (PACKET_STATISTICS), the device (IFLA_STATS64
// over rtnetlink) and the per-CPU input backlogs (/proc/net/softnet_stat, whose columns are
// documented in Documentation/networking/scaling.rst and printed by net/core/net-procfs.c).
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "capture/linux/live_impl.hpp"
#include "capture/linux/netlink.hpp"

namespace pcapxx {

namespace linux_capture {

SoftnetTotals read_softnet() noexcept {
  SoftnetTotals t;
  std::FILE* f = std::fopen("/proc/net/softnet_stat", "re");
  if (f == nullptr) return t;
  char line[512];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    // One line per CPU, hexadecimal columns: processed, dropped, time_squeeze, ...
    char* p = line;
    char* end = nullptr;
    std::strtoull(p, &end, 16);
    if (end == p) continue;
    p = end;
    const unsigned long long dropped = std::strtoull(p, &end, 16);
    if (end == p) continue;
    p = end;
    const unsigned long long squeezed = std::strtoull(p, &end, 16);
    if (end == p) continue;
    t.dropped += dropped;
    t.time_squeezed += squeezed;
  }
  std::fclose(f);
  return t;
}

}  // namespace linux_capture

std::string LossAccount::summary() const {
  std::string s = fmt::format("received {}, delivered {}", received, delivered);
  const std::uint64_t queued = received - std::min(received, delivered + ring_dropped);
  if (queued > 0) s += fmt::format(" ({} still in the ring)", queued);
  if (ring_dropped > 0) {
    s += fmt::format("; lost {} in the ring (full", ring_dropped);
    if (ring_freezes == 1) s += ", froze once";
    else if (ring_freezes > 1) s += fmt::format(", froze {} times", ring_freezes);
    s += ": a larger buffer or faster reading helps)";
  } else {
    s += "; none lost in the ring";
  }
  if (!device_counters) {
    s += "; device counters unknown (any)";
  } else if (if_rx_dropped + if_rx_missed > 0) {
    s += fmt::format("; the device dropped {} and missed {}", if_rx_dropped, if_rx_missed);
  } else {
    s += "; none dropped by the device";
  }
  if (backlog_dropped > 0) {
    s += fmt::format("; CPU input backlogs dropped {} (all devices", backlog_dropped);
    if (time_squeezed > 0) s += fmt::format(", {} softirq budget overruns", time_squeezed);
    s += ")";
  } else {
    s += "; none dropped in CPU backlogs";
  }
  return s;
}

LossAccount LiveCapture::loss_account() const {
  const Impl& c = *impl_;
  c.update_stats();
  LossAccount a;
  a.received = c.totals.received;
  a.delivered = c.delivered;
  a.ring_dropped = c.totals.dropped;
  a.ring_freezes = c.totals.ring_freezes;
  if (c.ifindex != 0) {
    if (auto link = linux_capture::get_link(c.netlink.get(), c.ifindex)) {
      a.device_counters = true;
      a.if_rx_dropped = link->rx_dropped - std::min(link->rx_dropped, c.drops_at_open.rx_dropped);
      const std::uint64_t missed = link->rx_missed_errors + link->rx_fifo_errors + link->rx_over_errors;
      a.if_rx_missed = missed - std::min(missed, c.drops_at_open.rx_missed);
    }
  }
  const auto softnet = linux_capture::read_softnet();
  a.backlog_dropped = softnet.dropped - std::min(softnet.dropped, c.softnet_at_open.dropped);
  a.time_squeezed = softnet.time_squeezed - std::min(softnet.time_squeezed, c.softnet_at_open.time_squeezed);
  return a;
}

}  // namespace pcapxx
