// Process attribution under connection churn, against nethogs -t on the same churn, in one run.
//
//   process_attribution_bench [SECONDS [WORKERS [RATE]]]  (root: namespaces; default 5 s, 4 workers,
//                                                          as many connections/s as they make)
//
// Two namespaces on a veth pair (tests/live/process/lab.hpp); in the capture namespace WORKERS
// processes of proc_peer make TCP connections as fast as they can (connect, send, read the
// answer, close) to a server in the peer namespace. Phase 1: a capture there feeds every packet
// to a ProcessAttributor; the capture thread's CPU time is measured apart for decoding and for
// attribution (note, resolve, lookup; the clock reads bracketing each batch are measured apart
// and subtracted, as they cost as much as a small batch's attribution); once with connect tracing (the default) and once
// without (netlink and /proc alone). The tracepoint's own cost is paid in the kernel by the
// connecting processes, not by this thread: compare the new flows/s of the two runs. Phase 2: the same churn for the same time under
// `nethogs -t`, whose CPU comes from /proc/PID/stat. Printed: new flows per second, the share
// of flows attributed exactly to a churn process, attribution CPU as a share of one core (and
// scaled to 10,000 new flows/s), nethogs's CPU and the share of its traffic it attributed, and
// the CPU ratio.
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <unordered_map>

#include <fmt/format.h>

#include "live/process/lab.hpp"
#include "pcapxx/layers/ethernet.hpp"

using namespace pcapxx;
using namespace pcapxx::test;

namespace {

double thread_cpu() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double process_cpu(pid_t pid) {
  // utime and stime, fields 14 and 15 of /proc/PID/stat (proc(5)), in clock ticks.
  std::string stat;
  if (FILE* f = std::fopen(fmt::format("/proc/{}/stat", pid).c_str(), "r")) {
    char buf[2048];
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    stat.assign(buf, n);
    std::fclose(f);
  }
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  unsigned long long utime = 0, stime = 0;
  std::sscanf(stat.c_str() + close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime);
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct FlowKeyHash {
  std::size_t operator()(const layers::FlowKey& k) const noexcept { return k.symmetric_hash(); }
};

struct Phase1 {
  std::uint64_t flows = 0, exact = 0, inferred = 0, packets = 0, batches = 0;
  double wall = 0, attribution_cpu = 0, decode_cpu = 0;
  double clock_cost = 0;  ///< what the bracketing thread_cpu() reads add, measured in the loop
  AttributorStats stats;
  std::string loss;
};

Phase1 run_pcapxx(Lab& lab, int seconds, int workers, int rate, bool trace) {
  AttributorOptions opt;
  opt.netns_path = lab.capture_netns_path();
  opt.use_connect_trace = trace;
  auto attributor = ProcessAttributor::open(opt);
  if (!attributor) throw std::runtime_error(attributor.error().what());
  for (const auto& w : (*attributor)->warnings()) fmt::print("attributor warning: {}\n", w);
  std::unique_ptr<LiveCapture> capture;
  {
    InNetns in(lab.link().capture_ns());
    CaptureOptions co;
    co.timeout_ms = 10;
    co.immediate = true;  // a socket of this churn lives a few hundred microseconds
    co.buffer_size = 64 << 20;
    auto c = LiveCapture::open(lab.link().capture_if(), co);
    if (!c) throw std::runtime_error(c.error().what());
    capture = std::move(*c);
  }
  Phase1 r;
  std::atomic<bool> stop{false};
  std::unordered_map<layers::FlowKey, std::size_t, FlowKeyHash> current;  // connection of a 5-tuple
  std::vector<AttributionQuality> connections;
  current.reserve(1 << 16);
  connections.reserve(1 << 20);
  std::thread t([&] {
    using namespace layers;
    FastParser<Ethernet, Ipv4, Ipv6, Tcp, Udp> parser(LayerType::ethernet);
    DecodedLayers decoded;
    std::vector<std::optional<FlowKey>> keys;
    std::vector<bool> syns;
    std::vector<FlowRef> refs;
    while (!stop) {
      auto batch = capture->next_batch();
      if (!batch) break;
      double c0 = thread_cpu();
      keys.clear();
      syns.clear();
      if (batch->status == BatchStatus::packets) {
        for (const PacketView& p : batch->packets) {
          parser.decode(p.data, decoded);
          std::optional<FlowKey> k;
          bool syn = false;
          if (decoded.contains(LayerType::tcp) && decoded.contains(LayerType::ipv4)) {
            k = FlowKey::of(parser.get<Ipv4>(), parser.get<Tcp>());
            syn = (parser.get<Tcp>().flags & (Tcp::kSyn | Tcp::kAck)) == Tcp::kSyn;
          }
          keys.push_back(k);
          syns.push_back(syn);
        }
      }
      refs.resize(keys.size());
      double c1 = thread_cpu();
      for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i]) refs[i] = (*attributor)->note(*keys[i], syns[i]);
      (void)(*attributor)->resolve();
      for (std::size_t i = 0; i < keys.size(); ++i)
        if (keys[i]) (void)(*attributor)->lookup(*keys[i], refs[i]);
      double c2 = thread_cpu();
      // An empty interval right after, in the same state of caches: the part of the clock
      // system calls themselves that lands inside each measured interval.
      double c3 = thread_cpu();
      r.clock_cost += c3 - c2;
      ++r.batches;
      r.decode_cpu += c1 - c0;
      r.attribution_cpu += c2 - c1;
      // Bookkeeping of the benchmark itself, outside both timings: a connection starts at its
      // SYN and takes the best attribution any of its packets got.
      for (std::size_t i = 0; i < keys.size(); ++i) {
        if (!keys[i]) continue;
        const FlowKey& k = *keys[i];
        FlowKey canon = k.src[3] == 1 ? k : k.reversed();
        if (canon.dst_port != 7000) continue;
        ++r.packets;
        auto it = current.find(canon);
        if (syns[i] || it == current.end()) {
          connections.push_back(AttributionQuality::unknown);
          it = current.insert_or_assign(canon, connections.size() - 1).first;
        }
        Attribution a = (*attributor)->lookup(k);
        bool ours = a.process != nullptr && a.process->comm == "proc_peer";
        auto& q = connections[it->second];
        if (ours && a.quality > q) q = a.quality;
      }
    }
  });
  auto start = std::chrono::steady_clock::now();
  pid_t gen = lab.spawn({"churn", kPeerV4, "7000", std::to_string(seconds * 1000), std::to_string(workers),
                         std::to_string(rate)});
  lab.wait(gen);
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  t.join();
  r.loss = capture->loss_account().summary();
  r.stats = (*attributor)->stats();
  for (AttributionQuality q : connections) {
    ++r.flows;
    r.exact += q == AttributionQuality::exact;
    r.inferred += q == AttributionQuality::inferred;
  }
  return r;
}

struct Phase2 {
  double cpu = 0, wall = 0, attributed_share = 0;
  bool ran = false;
  std::string note;
};

Phase2 run_nethogs(Lab& lab, int seconds, int workers, int rate) {
  Phase2 r;
  int out[2];
  if (::pipe(out) != 0) return r;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::close(out[0]);
    int ns = ::open(lab.capture_netns_path().c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(126);
    ::execlp("nethogs", "nethogs", "-t", "-d", "1", lab.link().capture_if().c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // nethogs reads /proc at start
  double c0 = process_cpu(pid);
  auto start = std::chrono::steady_clock::now();
  pid_t gen = lab.spawn({"churn", kPeerV4, "7000", std::to_string(seconds * 1000), std::to_string(workers),
                         std::to_string(rate)});
  lab.wait(gen);
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.cpu = process_cpu(pid) - c0;
  ::kill(pid, SIGINT);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.ran = WIFEXITED(status) || WIFSIGNALED(status);
  // Lines "program/pid/uid<TAB>sent<TAB>received" (KB/s) after each "Refreshing:".
  double ours = 0, all = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    double sent = 0, recv = 0;
    if (std::sscanf(line.c_str() + tab + 1, "%lf\t%lf", &sent, &recv) != 2) continue;
    all += sent + recv;
    if (line.find("proc_peer") != std::string::npos) ours += sent + recv;
  }
  r.attributed_share = all > 0 ? ours / all : 0;
  if (all == 0) r.note = "nethogs printed no traffic: " + text.substr(0, 300);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  int workers = argc > 2 ? std::atoi(argv[2]) : 4;
  int rate = argc > 3 ? std::atoi(argv[3]) : 0;
  try {
    Lab lab;
    lab.start_peer_services(0);
    if (rate > 0) fmt::print("churn: {} workers, {} s, paced to {} connections/s\n", workers, seconds, rate);
    else fmt::print("churn: {} workers, {} s\n", workers, seconds);
    double share = 0;
    for (bool trace : {true, false}) {
      Phase1 a = run_pcapxx(lab, seconds, workers, rate, trace);
      const char* name = trace ? "pcapxx (connect tracing)" : "pcapxx (no tracing)     ";
      double flow_rate = static_cast<double>(a.flows) / a.wall;
      // The clock reads bracketing each batch are not attribution work.
      double clocks = a.clock_cost;
      double net = std::max(0.0, a.attribution_cpu - clocks);
      double s1 = 100.0 * net / a.wall;
      if (trace) share = s1;
      fmt::print("{}: {} new flows (connections) in {:.2f} s = {:.0f} new flows/s; attributed exactly {:.2f} %, "
                 "inferred {:.2f} %\n",
                 name, a.flows, a.wall, flow_rate, 100.0 * a.exact / std::max<std::uint64_t>(1, a.flows),
                 100.0 * a.inferred / std::max<std::uint64_t>(1, a.flows));
      fmt::print("{}: attribution CPU {:.3f} s = {:.2f} % of a core ({:.2f} % scaled to 10,000 new flows/s) "
                 "after subtracting the clock reads ({} batches x {:.0f} ns = {:.3f} s of {:.3f} s measured); "
                 "decoding {:.3f} s; {} settled from traced connect(), {} trace records ({} lost), {} sock_diag "
                 "lookups, {} fd scans, {} sweeps, {} connector events\n",
                 name, net, s1, s1 * 10000.0 / std::max(flow_rate, 1.0), a.batches, a.clock_cost * 1e9 / std::max<double>(1, static_cast<double>(a.batches)), clocks,
                 a.attribution_cpu, a.decode_cpu, a.stats.traced,
                 a.stats.trace_events, a.stats.trace_lost, a.stats.diag_queries, a.stats.fd_scans,
                 a.stats.full_sweeps, a.stats.connector_events);
      fmt::print("{}: capture {}\n", name, a.loss);
    }
    Phase2 b = run_nethogs(lab, seconds, workers, rate);
    if (!b.ran) {
      fmt::print("nethogs: did not run\n");
      return 0;
    }
    double nshare = 100.0 * b.cpu / b.wall;
    fmt::print("nethogs -t: CPU {:.3f} s = {:.2f} % of a core over {:.2f} s; traffic attributed to the churn "
               "processes {:.2f} %{}\n",
               b.cpu, nshare, b.wall, 100.0 * b.attributed_share, b.note.empty() ? "" : " (" + b.note + ")");
    fmt::print("ratio: nethogs CPU / pcapxx attribution CPU = {:.1f}\n", share > 0 ? nshare / share : 0.0);
  } catch (const std::exception& e) {
    fmt::print(stderr, "process_attribution_bench: {}\n", e.what());
    return 1;
  }
  return 0;
}
