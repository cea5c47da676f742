#include "stats/traffic_view.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

namespace pxdump {
namespace {

using pcapxx::FlowRecord;

std::string protocol_name(int proto) {
  switch (proto) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "ICMPv6";
    case 132: return "SCTP";
    default: return fmt::format("IP proto {}", proto);
  }
}

std::string host_text(const TrafficView::HostKey& h) {
  pcapxx::layers::FlowKey k;
  k.ip_version = h.ip_version;
  k.src = h.address;
  return flow_address(k, true);
}

std::string endpoint_text(const FlowRecord& f, bool src) {
  std::string a = flow_address(f.key, src);
  if (f.key.ip_version == 6) a = "[" + a + "]";
  if (!f.has_ports) return a;
  return fmt::format("{}:{}", a, src ? f.key.src_port : f.key.dst_port);
}

std::string flow_text(const FlowRecord& f) {
  std::string s = fmt::format("{:<7} {} <-> {}", protocol_name(f.key.protocol), endpoint_text(f, true),
                              endpoint_text(f, false));
  if (f.vlan != 0) s += fmt::format(" vlan {}", f.vlan);
  return s;
}

std::string rate_text(double bits_per_second) {
  if (bits_per_second >= 1e9) return fmt::format("{:.2f} Gbit/s", bits_per_second / 1e9);
  if (bits_per_second >= 1e6) return fmt::format("{:.2f} Mbit/s", bits_per_second / 1e6);
  if (bits_per_second >= 1e3) return fmt::format("{:.2f} kbit/s", bits_per_second / 1e3);
  return fmt::format("{:.0f} bit/s", bits_per_second);
}

void append_protocols(std::string& out, const ProtocolCounters& p, std::uint64_t total_bytes, std::uint32_t top) {
  struct Row {
    std::string name;
    std::uint64_t packets, bytes;
  };
  std::vector<Row> rows;
  for (int i = 0; i < 256; ++i)
    if (p.packets[i] != 0) rows.push_back({protocol_name(i), p.packets[i], p.bytes[i]});
  if (p.non_ip_packets != 0) rows.push_back({"non-IP", p.non_ip_packets, p.non_ip_bytes});
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.bytes > b.bytes; });
  if (rows.size() > top) rows.resize(top);
  out += fmt::format("{:<14} {:>12} {:>16} {:>7}\n", "Protocols", "packets", "bytes", "share");
  for (const auto& r : rows)
    out += fmt::format("  {:<12} {:>12} {:>16} {:>6.1f}%\n", r.name, r.packets, r.bytes,
                       total_bytes == 0 ? 0.0
                                        : 100.0 * static_cast<double>(r.bytes) / static_cast<double>(total_bytes));
}

void append_talkers(std::string& out, const TrafficView::Hosts& hosts, std::uint32_t top) {
  std::vector<std::pair<TrafficView::HostKey, TrafficView::HostTotals>> rows(hosts.begin(), hosts.end());
  auto bytes = [](const TrafficView::HostTotals& t) { return t.bytes_sent + t.bytes_received; };
  const std::size_t n = std::min<std::size_t>(rows.size(), top);
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(), [&](auto& a, auto& b) {
    return bytes(a.second) != bytes(b.second) ? bytes(a.second) > bytes(b.second) : a.first.address < b.first.address;
  });
  out += fmt::format("{:<40} {:>14} {:>14} {:>10} {:>7}\n", "Top talkers", "bytes sent", "bytes received", "packets",
                     "flows");
  for (std::size_t i = 0; i < n; ++i) {
    const auto& [h, t] = rows[i];
    out += fmt::format("  {:<38} {:>14} {:>14} {:>10} {:>7}\n", host_text(h), t.bytes_sent, t.bytes_received,
                       t.packets, t.flows);
  }
}

void append_header(std::string& out, const StatsSummary& s) {
  const double secs = s.packets == 0 ? 0.0 : static_cast<double>(s.last_ns - s.first_ns) / 1e9;
  out += fmt::format("{} packets, {} bytes in {:.3f} s", s.packets, s.bytes, secs);
  if (secs > 0)
    out += fmt::format(" ({:.1f} packets/s, {})", static_cast<double>(s.packets) / secs,
                       rate_text(static_cast<double>(s.bytes) * 8 / secs));
  out += "\n";
  const auto& c = s.flows;
  out += fmt::format(
      "{} flows: ended idle {}, active-timeout reports {}, new connection on reused ports {}; evicted early {} "
      "(carrying {} packets, {} bytes)\n",
      c.flows_created, c.ended_idle, c.ended_active, c.ended_tcp_reuse, c.evicted, c.evicted_packets, c.evicted_bytes);
  if (s.live)
    out += fmt::format("capture: {} received, {} dropped by kernel, {} dropped by interface\n", s.capture.received,
                       s.capture.dropped, s.capture.if_dropped);
}

}  // namespace

std::size_t TrafficView::HostHash::operator()(const HostKey& k) const noexcept {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, k.address.data(), 8);
  std::memcpy(&b, k.address.data() + 8, 8);
  std::uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull) ^ k.ip_version) * 0xbf58476d1ce4e5b9ull;
  return static_cast<std::size_t>(h ^ (h >> 31));
}

void add_to_hosts(TrafficView::Hosts& hosts, const FlowRecord& f, bool count_flow) {
  TrafficView::HostKey a{f.key.ip_version, f.key.src}, b{f.key.ip_version, f.key.dst};
  auto& ta = hosts[a];
  ta.bytes_sent += f.dir[0].bytes;
  ta.bytes_received += f.dir[1].bytes;
  ta.packets += f.packets();
  auto& tb = hosts[b];
  tb.bytes_sent += f.dir[1].bytes;
  tb.bytes_received += f.dir[0].bytes;
  tb.packets += f.packets();
  if (count_flow) {
    ++ta.flows;
    if (!(a == b)) ++tb.flows;
  }
}

void TrafficView::flow_ended(const FlowRecord& f) {
  add_to_hosts(hosts_, f, true);
  previous_bytes_.erase(f.id);
  auto larger = [](const FlowRecord& x, const FlowRecord& y) { return x.bytes() > y.bytes(); };
  if (largest_.size() < top_ || f.bytes() > largest_.back().bytes()) {
    largest_.insert(std::upper_bound(largest_.begin(), largest_.end(), f, larger), f);
    if (largest_.size() > top_) largest_.pop_back();
  }
}

std::string TrafficView::screen(const pcapxx::FlowTable& table, const ProtocolCounters& protocols,
                                const IntervalRates& rates, const StatsSummary& summary) {
  std::string out;
  out += fmt::format("pxdump --stats   {:.1f} packets/s   {}   dropped {} (last {:.1f} s)   flows {} of {}\n",
                     rates.packets_per_second, rate_text(rates.bits_per_second), rates.dropped, rates.seconds,
                     table.size(), table.capacity());
  append_header(out, summary);
  out += "\n";

  // The flows with most bytes since the last screen.
  struct Recent {
    const FlowRecord* flow;
    std::uint64_t delta;
  };
  std::vector<Recent> recent;
  Hosts hosts = hosts_;
  std::unordered_map<std::uint64_t, std::uint64_t> now_bytes;
  now_bytes.reserve(table.size());
  table.for_each([&](const FlowRecord& f) {
    add_to_hosts(hosts, f, true);
    const auto it = previous_bytes_.find(f.id);
    const std::uint64_t before = it == previous_bytes_.end() ? 0 : it->second;
    const std::uint64_t b = f.bytes();
    if (b > before) recent.push_back({&f, b - before});
    now_bytes.emplace(f.id, b);
  });
  previous_bytes_ = std::move(now_bytes);
  const std::size_t n = std::min<std::size_t>(recent.size(), top_);
  std::partial_sort(recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(n), recent.end(),
                    [](const Recent& a, const Recent& b) { return a.delta > b.delta; });
  out += fmt::format("{:<70} {:>12} {:>12} {:>12}\n", "Top flows (last interval)", "rate", "packets", "bytes");
  for (std::size_t i = 0; i < n; ++i) {
    const FlowRecord& f = *recent[i].flow;
    out += fmt::format("  {:<68} {:>12} {:>12} {:>12}\n", flow_text(f),
                       rate_text(rates.seconds > 0 ? static_cast<double>(recent[i].delta) * 8 / rates.seconds : 0),
                       f.packets(), f.bytes());
  }
  out += "\n";
  append_talkers(out, hosts, top_);
  out += "\n";
  append_protocols(out, protocols, summary.bytes, top_);
  return out;
}

std::string TrafficView::report(const ProtocolCounters& protocols, const StatsSummary& summary) const {
  std::string out;
  append_header(out, summary);
  out += "\n";
  append_protocols(out, protocols, summary.bytes, 256);
  out += "\n";
  append_talkers(out, hosts_, top_);
  out += "\n";
  out += fmt::format("{:<70} {:>10} {:>12} {:>10} {}\n", "Top flows", "packets", "bytes", "seconds", "state");
  for (const FlowRecord& f : largest_) {
    const bool tcp = f.has_ports && f.key.protocol == 6;
    out += fmt::format("  {:<68} {:>10} {:>12} {:>10.3f} {}\n", flow_text(f), f.packets(), f.bytes(),
                       static_cast<double>(f.last.ns - f.first.ns) / 1e9,
                       tcp ? pcapxx::tcp_state_name(f.tcp_state) : std::string_view("-"));
  }
  return out;
}

}  // namespace pxdump
