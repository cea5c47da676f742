#include "stats/flow_json.hpp"

#include <iterator>

#include "pcapxx/layers/ipv4.hpp"
#include "pcapxx/layers/ipv6.hpp"
#include "pcapxx/layers/tcp.hpp"

namespace pxdump {
namespace {

using pcapxx::layers::Tcp;

void append_escaped(fmt::memory_buffer& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c >= 0x7f) {
      // Command names are bytes, not necessarily UTF-8: anything outside printable ASCII is escaped.
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

std::string_view quality_name(pcapxx::AttributionQuality q) {
  switch (q) {
    case pcapxx::AttributionQuality::exact: return "exact";
    case pcapxx::AttributionQuality::inferred: return "inferred";
    case pcapxx::AttributionQuality::unknown: break;
  }
  return "unknown";
}

void append_direction(fmt::memory_buffer& out, const pcapxx::FlowDirectionCounters& d, bool tcp) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{{\"packets\":{},\"bytes\":{}", d.packets, d.bytes);
  if (d.packets != 0) fmt::format_to(it, ",\"first_ns\":{},\"last_ns\":{}", d.first.ns, d.last.ns);
  if (tcp) fmt::format_to(it, ",\"tcp_flags\":\"{}\"", tcp_flag_letters(d.tcp_flags));
  out.push_back('}');
}

}  // namespace

std::string flow_address(const pcapxx::layers::FlowKey& key, bool source) {
  const auto& a = source ? key.src : key.dst;
  if (key.ip_version == 4) return pcapxx::layers::Ipv4Address{{a[0], a[1], a[2], a[3]}}.to_string();
  pcapxx::layers::Ipv6Address v6;
  v6.bytes = a;
  return v6.to_string();
}

std::string tcp_flag_letters(std::uint16_t flags) {
  std::string s;
  if (flags & Tcp::kFin) s += 'F';
  if (flags & Tcp::kSyn) s += 'S';
  if (flags & Tcp::kRst) s += 'R';
  if (flags & Tcp::kPsh) s += 'P';
  if (flags & Tcp::kAck) s += '.';
  if (flags & Tcp::kUrg) s += 'U';
  if (flags & Tcp::kEce) s += 'E';
  if (flags & Tcp::kCwr) s += 'W';
  return s;
}

void append_flow_json(fmt::memory_buffer& out, const pcapxx::FlowRecord& f, pcapxx::FlowEndReason reason,
                      std::span<const pcapxx::InterfaceDescription> interfaces) {
  auto it = std::back_inserter(out);
  const bool tcp = f.has_ports && f.key.protocol == 6;
  fmt::format_to(it, "{{\"type\":\"flow\",\"id\":{},\"end\":\"{}\",\"ip_version\":{},\"proto\":{},", f.id,
                 pcapxx::flow_end_reason_name(reason), f.key.ip_version, f.key.protocol);
  fmt::format_to(it, "\"src\":\"{}\",\"dst\":\"{}\",", flow_address(f.key, true), flow_address(f.key, false));
  if (f.has_ports) fmt::format_to(it, "\"src_port\":{},\"dst_port\":{},", f.key.src_port, f.key.dst_port);
  fmt::format_to(it, "\"has_ports\":{},\"vlan\":{},\"interface\":{},", f.has_ports, f.vlan, f.interface);
  if (f.interface < interfaces.size() && !interfaces[f.interface].name.empty()) {
    fmt::format_to(it, "\"interface_name\":");
    append_escaped(out, interfaces[f.interface].name);
    out.push_back(',');
  }
  fmt::format_to(it, "\"first_ns\":{},\"last_ns\":{},\"duration\":{:.9f},\"packets\":{},\"bytes\":{},",
                 f.first.ns, f.last.ns, static_cast<double>(f.last.ns - f.first.ns) / 1e9, f.packets(), f.bytes());
  fmt::format_to(it, "\"fwd\":");
  append_direction(out, f.dir[0], tcp);
  fmt::format_to(it, ",\"rev\":");
  append_direction(out, f.dir[1], tcp);
  if (tcp) fmt::format_to(it, ",\"tcp_state\":\"{}\"", pcapxx::tcp_state_name(f.tcp_state));
  const auto& p = f.process;
  if (p.quality == pcapxx::AttributionQuality::unknown) {
    fmt::format_to(it, ",\"process\":null");
  } else {
    fmt::format_to(it, ",\"process\":{{\"pid\":{},\"tid\":{},\"uid\":{},\"netns\":{},\"comm\":", p.pid, p.tid, p.uid,
                   p.netns);
    append_escaped(out, p.comm_view());
    fmt::format_to(it, ",\"quality\":\"{}\"}}", quality_name(p.quality));
  }
  fmt::format_to(it, "}}\n");
}

void append_summary_json(fmt::memory_buffer& out, const StatsSummary& s) {
  auto it = std::back_inserter(out);
  const auto& c = s.flows;
  fmt::format_to(it,
                 "{{\"type\":\"summary\",\"packets\":{},\"bytes\":{},\"non_ip_packets\":{},\"non_ip_bytes\":{},"
                 "\"first_ns\":{},\"last_ns\":{},\"flows\":{},\"ended_idle\":{},\"ended_active\":{},"
                 "\"ended_tcp_reuse\":{},\"ended_flushed\":{},\"evicted\":{},\"evicted_packets\":{},"
                 "\"evicted_bytes\":{}",
                 s.packets, s.bytes, s.non_ip_packets, s.non_ip_bytes, s.first_ns, s.last_ns, c.flows_created,
                 c.ended_idle, c.ended_active, c.ended_tcp_reuse, c.ended_flushed, c.evicted, c.evicted_packets,
                 c.evicted_bytes);
  if (s.live)
    fmt::format_to(it, ",\"received\":{},\"dropped\":{},\"if_dropped\":{}", s.capture.received, s.capture.dropped,
                   s.capture.if_dropped);
  fmt::format_to(it, "}}\n");
}

}  // namespace pxdump
