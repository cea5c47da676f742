// flow_table_bench: the per-packet cost of the flow table at 1M flows, in the same run as
//   (a) our bare decode loop (FlowClassifier alone: the fast parser and key extraction) on the
//       same packets, so the table's own cost is the difference;
//   (b) tshark -q -z conv,tcp (the oracle, run as a process) on a pcap of the same kind of
//       traffic, against pxdump's path (SavefileReader + classifier + table) on that file.
// Frames are synthetic Ethernet/IPv4/TCP, one forward and one reverse frame per flow, visited
// in a random order (the table's memory is touched at random, as with real traffic at 1M flows).
//
// Per-packet figures are this thread's CPU time; the file comparison is wall time of both.
//
//   flow_table_bench [FLOWS=1000000] [TSHARK_FLOWS=50000]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "pcapxx/flow_table.hpp"
#include "pcapxx/savefile.hpp"

namespace {

// CPU time of this thread: on a shared machine, time spent descheduled is not the table's cost.
struct Clock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<Clock, duration>;
  static time_point now() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(duration(std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec));
  }
};
using Wall = std::chrono::steady_clock;
constexpr std::size_t kFrame = 64;  // 54 bytes of headers, padded to the Ethernet minimum + FCS room

void be16(std::byte* p, std::uint32_t v) {
  p[0] = static_cast<std::byte>(v >> 8);
  p[1] = static_cast<std::byte>(v);
}
void be32(std::byte* p, std::uint32_t v) {
  be16(p, v >> 16);
  be16(p + 2, v & 0xffff);
}

// Flow i: client 10.x.y.z:(1024 + i % 50000) to server 192.168.(i % 256).1:443.
void write_frame(std::byte* f, std::uint32_t i, bool reverse, std::uint16_t tcp_flags) {
  std::memset(f, 0, kFrame);
  for (int b = 0; b < 6; ++b) f[b] = std::byte{0x02}, f[6 + b] = std::byte{0x04};
  be16(f + 12, 0x0800);
  std::byte* ip = f + 14;
  ip[0] = std::byte{0x45};
  be16(ip + 2, 40);
  ip[8] = std::byte{64};
  ip[9] = std::byte{6};
  const std::uint32_t client = 0x0a000000u | (i & 0xffffff), server = 0xc0a80001u | ((i % 256) << 8);
  const std::uint16_t cport = static_cast<std::uint16_t>(1024 + i % 50000), sport = 443;
  be32(ip + 12, reverse ? server : client);
  be32(ip + 16, reverse ? client : server);
  std::byte* tcp = ip + 20;
  be16(tcp, reverse ? sport : cport);
  be16(tcp + 2, reverse ? cport : sport);
  be32(tcp + 4, 1000 + i);
  tcp[12] = std::byte{0x50};
  tcp[13] = static_cast<std::byte>(tcp_flags);
  be16(tcp + 14, 65535);
}

struct Packets {
  std::vector<std::byte> bytes;            // frames back to back
  std::vector<std::uint32_t> order;        // frame index per packet, random
  std::vector<pcapxx::PacketView> views;   // one per packet, in order
};

Packets make_packets(std::uint32_t flows, std::uint32_t seed) {
  Packets p;
  p.bytes.resize(std::size_t{flows} * 2 * kFrame);
  for (std::uint32_t i = 0; i < flows; ++i) {
    write_frame(&p.bytes[(std::size_t{i} * 2) * kFrame], i, false, 0x18);
    write_frame(&p.bytes[(std::size_t{i} * 2 + 1) * kFrame], i, true, 0x10);
  }
  p.order.resize(std::size_t{flows} * 2);
  std::iota(p.order.begin(), p.order.end(), 0u);
  std::shuffle(p.order.begin(), p.order.end(), std::mt19937(seed));
  p.views.resize(p.order.size());
  std::int64_t ts = 1'700'000'000'000'000'000;
  for (std::size_t k = 0; k < p.order.size(); ++k) {
    auto& v = p.views[k];
    v.data = std::span<const std::byte>(&p.bytes[std::size_t{p.order[k]} * kFrame], kFrame);
    v.header.caplen = v.header.origlen = kFrame;
    v.header.ts = pcapxx::Timestamp{ts += 1000};
  }
  return p;
}

double ns_per(Clock::duration d, std::size_t n) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) / static_cast<double>(n);
}

volatile std::uint64_t g_sink = 0;

double bare_decode(const Packets& p) {
  pcapxx::FlowClassifier c;
  pcapxx::FlowPacket fp;
  std::uint64_t sum = 0;
  const auto t0 = Clock::now();
  for (const auto& v : p.views)
    if (c.classify(v, pcapxx::dlt::kEn10Mb, fp)) sum += fp.key.src_port;
  const auto t1 = Clock::now();
  g_sink = sum;
  return ns_per(t1 - t0, p.views.size());
}

// Classifier + table; the table sees every packet once to warm up (creating all flows), then
// the measured pass (lookups of existing flows only: the steady state).
struct TableResult {
  double warm_ns = 0, create_ns = 0;
  std::size_t flows = 0, reserved = 0;
  std::uint64_t evicted = 0;
};
TableResult with_table(const Packets& p, std::size_t budget) {
  pcapxx::FlowClassifier c;
  pcapxx::FlowTable table({.max_flows = budget, .idle_timeout_ns = 0, .active_timeout_ns = 0});
  pcapxx::FlowPacket fp;
  TableResult r;
  auto t0 = Clock::now();
  for (const auto& v : p.views)
    if (c.classify(v, pcapxx::dlt::kEn10Mb, fp)) table.add(fp);
  auto t1 = Clock::now();
  r.create_ns = ns_per(t1 - t0, p.views.size());
  t0 = Clock::now();
  for (const auto& v : p.views)
    if (c.classify(v, pcapxx::dlt::kEn10Mb, fp)) table.add(fp);
  t1 = Clock::now();
  r.warm_ns = ns_per(t1 - t0, p.views.size());
  r.flows = table.size();
  r.reserved = table.reserved_bytes();
  r.evicted = table.counters().evicted;
  return r;
}

// The file both tools read for (b): a pcap of the same traffic.
std::string write_pcap(const Packets& p) {
  std::string path = fmt::format("/tmp/pcapxx-flow-bench-{}.pcap", getpid());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  const std::uint32_t hdr[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 262144, 1};
  std::fwrite(hdr, sizeof hdr, 1, f);
  for (const auto& v : p.views) {
    const std::uint32_t rec[4] = {static_cast<std::uint32_t>(v.header.ts.seconds()), v.header.ts.subsec_us(), kFrame,
                                  kFrame};
    std::fwrite(rec, sizeof rec, 1, f);
    std::fwrite(v.data.data(), 1, kFrame, f);
  }
  std::fclose(f);
  return path;
}

double ours_on_file(const std::string& path, std::size_t& flows) {
  const auto t0 = Wall::now();
  auto reader = pcapxx::SavefileReader::open(path);
  if (!reader) {
    fmt::print(stderr, "{}\n", reader.error().what());
    std::exit(1);
  }
  pcapxx::FlowClassifier c;
  pcapxx::FlowTable table({.max_flows = 1 << 20, .idle_timeout_ns = 0, .active_timeout_ns = 0});
  pcapxx::FlowPacket fp;
  for (const auto& v : **reader)
    if (c.classify(v, (*reader)->link_type(), fp)) table.add(fp);
  flows = table.size();
  return std::chrono::duration<double>(Wall::now() - t0).count();
}

double tshark_on_file(const std::string& path, std::size_t& rows) {
  const std::string cmd = fmt::format("tshark -n -q -z conv,tcp -r {} 2>/dev/null", path);
  const auto t0 = Wall::now();
  std::FILE* p = ::popen(cmd.c_str(), "r");
  char line[512];
  rows = 0;
  while (p != nullptr && std::fgets(line, sizeof line, p) != nullptr)
    if (std::strstr(line, " <-> ") != nullptr) ++rows;
  const int rc = p == nullptr ? -1 : ::pclose(p);
  const double secs = std::chrono::duration<double>(Wall::now() - t0).count();
  if (rc != 0) return -1;
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t flows = argc > 1 ? static_cast<std::uint32_t>(std::strtoul(argv[1], nullptr, 10)) : 1'000'000;
  const std::uint32_t tshark_flows = argc > 2 ? static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 10)) : 50'000;

  const Packets p = make_packets(flows, 1);
  fmt::print("flow table at {} flows, {} packets (Ethernet/IPv4/TCP, both directions, random order)\n", flows,
             p.views.size());
  const double decode = bare_decode(p);
  const TableResult full = with_table(p, flows);
  const TableResult small = with_table(p, 65536);
  fmt::print("  bare decode loop (classifier only)            {:8.1f} ns/packet\n", decode);
  fmt::print("  classifier + table, creating {} flows    {:8.1f} ns/packet\n", full.flows, full.create_ns);
  fmt::print("  classifier + table, {} flows warm        {:8.1f} ns/packet  (table alone ~{:.1f} ns; x{:.2f} the "
             "bare decode loop)\n",
             full.flows, full.warm_ns, full.warm_ns - decode, full.warm_ns / decode);
  fmt::print("  table memory reserved at {} flows: {:.1f} MB ({} bytes per flow)\n", flows,
             static_cast<double>(full.reserved) / 1e6, full.reserved / flows);
  fmt::print("  65536-flow budget under {} flows: {:8.1f} ns/packet, {} flows evicted early\n", flows, small.warm_ns,
             small.evicted);

  // (b) the oracle on a file of the same traffic.
  const Packets q = make_packets(tshark_flows, 2);
  const std::string path = write_pcap(q);
  std::size_t our_flows = 0, rows = 0;
  const double ours = ours_on_file(path, our_flows);
  const double theirs = tshark_on_file(path, rows);
  std::remove(path.c_str());
  if (theirs < 0) {
    fmt::print("  tshark -z conv,tcp: not run (tshark missing or failed)\n");
    return 0;
  }
  fmt::print("file of {} packets, {} flows: pcapxx read+classify+table {:.3f} s ({} flows), tshark -q -z conv,tcp "
             "{:.3f} s ({} conversations): tshark/pcapxx = {:.1f}x\n",
             q.views.size(), tshark_flows, ours, our_flows, theirs, rows, theirs / ours);
  return 0;
}
