// Injection rate: 64-byte frames on a veth pair in network namespaces, our paths (single,
// sendmmsg batch, TX ring V2/V3, each also with PACKET_QDISC_BYPASS) against the oracles in the
// same run: a loop of pcap_inject through Debian's libpcap (linked into this program only, never
// shipped) and `tcpreplay --topspeed` (a separate process). Prints packets per second and the
// ratios. Needs root. Benchmarks never fail a build: a missed target is printed, not an exit code.
//
//   build/bin/inject_bench [SECONDS_PER_RUN (1)] [--repeat N (3)] [--peer MODE[,MODE...] (up,down)] [--only TEXT]
//   bench/inject_profile.sh [build-dir]     the same under perf record -a -g, split into stages
//
// Every contender sends the same 64-byte frame (02:99:00:00:00:02 -> :01, ethertype 0x88b5, the
// IEEE local experimental type) from one thread on the same veth end, one after the other, in
// rounds; the ratios of a round compare runs made seconds apart, and the table gives the median
// over the rounds of each contender's rate and of its ratio to the round's pcap_inject rate.
//
// What the receiving end does with the frames is part of the cost: on veth the peer's receive
// path (netif_rx, then the backlog softirq when the sender's local_bh_enable runs it) executes in
// the sender's own system call. The modes, each applied equally to every contender:
//   up       the peer is up and has no handler for 0x88b5: __netif_receive_skb_core drops each
//            frame after the backlog softirq (the default; what "sending on veth" usually means);
//   down     the peer is down, so the sending end has no carrier and the kernel has swapped its
//            qdisc for noop (dev_deactivate): each frame is built and freed at the qdisc, veth_xmit
//            never runs. Not "sending on veth" but the sender-side floor; with PACKET_QDISC_BYPASS
//            frames reach veth_xmit, which drops them with ENOBUFS (those rows fail).
// --only TEXT runs only the contenders whose name contains TEXT (ends with it: TEXT$), for
// `perf record -a -g`.
//
// The ratios are given twice: in packets per second (wall clock: noisy on a shared machine, the
// per-round ratios are printed) and in CPU time per frame of the sending thread (user + system,
// which on veth includes the peer's receive work run from our local_bh_enable): the steadier one.
//
// Where the time goes (bench/inject_profile.sh: perf record -a -g, inject_bench's samples split
// by the innermost stage on each call chain; kernel 6.18 in a 2-vCPU VM, one run per column;
// the CPU row is the median of 5 rounds of this benchmark without perf):
//
//   peer up                                  pcap_inject  sendmmsg x256  ring frags  ring linear
//   syscall entry/exit, msghdr/iovec copy        13.0%        16.5%          2.0%        2.0%
//   user space (loop, libpcap, libc)              9.8%         0.8%          2.1%        3.2%
//   packet socket (packet_snd/tpacket_snd)       10.6%        10.1%         10.5%       12.9%
//   skb alloc                                     7.4%        10.3%         17.0%        9.6%
//   copy of frame bytes                           8.1%         7.2%          7.5%        3.1%
//   qdisc / dev_queue_xmit / device               8.4%         6.9%          6.3%        8.5%
//   veth_xmit                                     4.6%         5.5%          6.3%        6.7%
//   peer receive (netif_rx, backlog softirq)     23.0%        26.1%         24.2%       30.9%
//   skb free (incl. peer drop, completion)       15.1%        16.3%         24.0%       23.0%
//   CPU ns per frame                               459          430           424         341
//
//   peer down (noop qdisc)                   pcap_inject  sendmmsg x256  ring frags  ring linear
//   syscall entry/exit + user space              30.0%        24.8%          5.5%        7.6%
//   CPU ns per frame                               307          286           205         199
//
// Batching removes the syscall entry/exit and the user-space share, ~20% of pcap_inject's cost;
// everything else is per-frame kernel work that every path pays (one skb per frame, built,
// queued, forwarded, received and freed). sendmmsg pays a msghdr and iovec copy per frame, so
// it saves only ~7%. The TX ring's page-fragment layout made the kernel allocate, fill and
// free a page per frame (skb_copy_ubufs when the skb crosses into the peer's namespace; with
// the peer down it costs nothing, and frags = linear there); the linear layout
// (TxRingOptions::linear_bytes) removes it. What is left, ~330 of the ring's 341 ns, is kernel
// work per frame: 3x pcap_inject (~153 ns per frame) is out of reach on veth, and even with
// the peer down (no veth_xmit, no receive work) the ring is ~1.55x.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/run.hpp"
#include "live/netns.hpp"
#include "pcapxx/inject.hpp"
#include "pcapxx/savefile.hpp"

// The few libpcap calls the oracle loop needs (the documented libpcap API, pcap(3PCAP)); declared
// here so that our own include/pcap headers cannot stand in for Debian's.
extern "C" {
struct pcap;
pcap* pcap_open_live(const char* device, int snaplen, int promisc, int to_ms, char* errbuf);
int pcap_inject(pcap* p, const void* buf, std::size_t size);
char* pcap_geterr(pcap* p);
void pcap_close(pcap* p);
}

namespace {

using namespace pcapxx;
using namespace pcapxx::test;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kFrameSize = 64;
constexpr const char* kPcapName = "libpcap pcap_inject loop (oracle)";
constexpr const char* kTcpreplayName = "tcpreplay --topspeed (oracle)";

/// One measured run: packets per second (< 0: failed) and a note.
struct Run {
  double pps = -1;
  std::string note;
};

/// CPU time of the calling thread (user + system, which includes the softirq work the kernel
/// runs on the way out of our send calls) in nanoseconds.
double thread_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

/// CPU nanoseconds per frame of the last measured run (0: unknown). On a shared, busy machine
/// this is steadier than packets per second, which also counts time spent waiting for a CPU.
double g_cpu_ns_per_frame = 0;

/// Runs `send` (which sends some frames and returns how many, or -1 on error) until `seconds`
/// passed; returns packets per second. The clock is read every `calls` sends, so that a loop of
/// single-frame sends does not pay a clock read per frame.
template <class Send>
double measure(double seconds, Send send, int calls = 1) {
  fmt::print(stderr, ".");
  const double cpu_start = thread_cpu_ns();
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  std::uint64_t total = 0;
  while (Clock::now() < end) {
    for (int k = 0; k < calls; ++k) {
      long n = send();
      if (n < 0) return -1;
      total += static_cast<std::uint64_t>(n);
    }
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  g_cpu_ns_per_frame = total > 0 ? (thread_cpu_ns() - cpu_start) / static_cast<double>(total) : 0;
  return static_cast<double>(total) / wall;
}

/// measure() over sender.send_batch(batch) (an Injector or a TxRing); the message of the error
/// that ended the run, if one did, lands in `err`.
template <class Sender>
double measure_batches(double seconds, Sender& sender, std::span<const FrameBytes> batch, std::string& err) {
  return measure(seconds, [&] {
    auto r = sender.send_batch(batch);
    if (!r) err = r.error().what();
    return r ? static_cast<long>(batch.size()) : -1L;
  });
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Contender {
  std::string name;
  std::function<Run()> run;
};

struct Bench {
  VethPair& link;
  double seconds;
  std::vector<std::byte> frame;
  std::vector<FrameBytes> frames;  // the same frame, many times: batches are prefixes
  std::string pcap_file;

  Run ours_single(bool bypass) {
    InNetns in(link.peer_ns());
    InjectOptions io;
    io.qdisc_bypass = bypass;
    auto tx = Injector::open(link.peer_if(), io);
    if (!tx) return {-1, tx.error().what()};
    return {measure(seconds, [&] { return tx->inject(frame) ? 1L : -1L; }, 64), ""};
  }

  Run ours_batch(bool bypass, std::size_t batch) {
    InNetns in(link.peer_ns());
    InjectOptions io;
    io.qdisc_bypass = bypass;
    auto tx = Injector::open(link.peer_if(), io);
    if (!tx) return {-1, tx.error().what()};
    std::span<const FrameBytes> b(frames.data(), batch);
    std::string err;
    double pps = measure_batches(seconds, *tx, b, err);
    return {pps, err};
  }

  Run ours_ring(bool bypass, TxRingVersion version, std::size_t batch, std::size_t slots, std::size_t linear,
                std::size_t slot_size = 128) {
    InNetns in(link.peer_ns());
    TxRingOptions ro;
    ro.qdisc_bypass = bypass;
    ro.frame_size = slot_size;
    ro.frame_count = slots;
    ro.version = version;
    ro.linear_bytes = linear;
    auto ring = TxRing::open(link.peer_if(), ro);
    if (!ring) return {-1, ring.error().what()};
    std::span<const FrameBytes> b(frames.data(), batch);
    std::string err;
    double pps = measure_batches(seconds, *ring, b, err);
    if (!err.empty()) return {pps, err};
    auto done = ring->wait_completion(5000);
    const auto st = ring->stats();
    return {pps, fmt::format("{} of {} completed", done ? *done : st.completed, st.queued)};
  }

  Run pcap_loop() {
    InNetns in(link.peer_ns());
    char errbuf[256] = {};
    pcap* p = pcap_open_live(link.peer_if().c_str(), 65535, 0, 100, errbuf);
    if (p == nullptr) return {-1, fmt::format("pcap_open_live: {}", errbuf)};
    std::string err;
    double pps = measure(seconds, [&] {
      if (pcap_inject(p, frame.data(), frame.size()) == static_cast<int>(kFrameSize)) return 1L;
      err = pcap_geterr(p);
      return -1L;
    }, 64);
    pcap_close(p);
    return {pps, err};
  }

  Run tcpreplay() {
    fmt::print(stderr, ".");
    const int loops = std::max(1, static_cast<int>(seconds * 50));  // ~500k frames per second of run
    rusage before{}, after{};
    ::getrusage(RUSAGE_CHILDREN, &before);
    auto tr = run({"ip", "netns", "exec", link.peer_ns().name(), "tcpreplay", "--topspeed", "-q", "--loop",
                   std::to_string(loops), "-i", link.peer_if(), pcap_file});
    std::smatch m;
    ::getrusage(RUSAGE_CHILDREN, &after);
    auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
    const double cpu_us = us(after.ru_utime) - us(before.ru_utime) + us(after.ru_stime) - us(before.ru_stime);
    g_cpu_ns_per_frame = cpu_us * 1000 / (loops * 10000.0);  // includes tcpreplay's start-up
    if (std::regex_search(tr.out, m, std::regex(R"(Rated:.*?([0-9.]+) pps)"))) {
      return {std::stod(m[1]), fmt::format("{} frames", loops * 10000)};
    }
    return {-1, "did not run: " + tr.err.substr(0, 120)};
  }
};

void write_frames_file(const std::string& file, std::span<const std::byte> frame) {
  InterfaceDescription ifd;
  ifd.link_type = dlt::kEn10Mb;
  ifd.snaplen = 65535;
  auto w = SavefileWriter::open(file, std::span<const InterfaceDescription>(&ifd, 1), {});
  if (!w) throw std::runtime_error(w.error().what());
  for (int i = 0; i < 10000; ++i) {
    PacketView v;
    v.header.caplen = v.header.origlen = kFrameSize;
    v.header.ts = Timestamp{i * 1000};
    v.data = frame;
    (void)(*w)->write(v);
  }
  (void)(*w)->close();
}

/// Puts the receiving end of the pair into `mode`; returns a description, or "" for an unknown mode.
std::string set_peer_mode(const VethPair& link, const std::string& mode) {
  const Netns& ns = link.capture_ns();
  const std::string& dev = link.capture_if();
  // Back to the plain state first: up.
  ns.ip(fmt::format("link set {} up", dev));
  if (mode == "up") return "receiving end up, no handler for ethertype 0x88b5 (dropped after the backlog softirq)";
  if (mode == "down") {
    ns.ip(fmt::format("link set {} down", dev));
    // The noop qdisc comes with the link watch's next run (up to a second later); before that
    // veth_xmit drops frames with ENOBUFS, which pcap_inject reports as a failure.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return "receiving end down (no carrier: noop qdisc discards every frame before veth_xmit)";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  int repeat = 3;
  std::vector<std::string> modes = {"up", "down"};
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(fmt::format("inject_bench: {} needs a value", a));
      return argv[++i];
    };
    if (a == "--repeat") {
      repeat = std::max(1, std::stoi(value()));
    } else if (a == "--peer") {
      modes.clear();
      std::string list = value();
      for (std::size_t p = 0; p <= list.size();) {
        std::size_t c = list.find(',', p);
        if (c == std::string::npos) c = list.size();
        modes.push_back(list.substr(p, c - p));
        p = c + 1;
      }
    } else if (a == "--only") {
      only = value();
    } else if (a == "--help" || a == "-h") {
      fmt::print("usage: inject_bench [SECONDS_PER_RUN] [--repeat N] [--peer up,down] [--only TEXT]\n");
      return 0;
    } else {
      seconds = std::stod(a);
    }
  }

  VethPair link;
  Bench bench{link, seconds, {}, {}, {}};
  bench.frame.resize(kFrameSize);
  {
    auto dst = VethPair::capture_mac(), src = VethPair::peer_mac();
    for (std::size_t i = 0; i < 6; ++i) {
      bench.frame[i] = std::byte{dst[i]};
      bench.frame[6 + i] = std::byte{src[i]};
    }
    bench.frame[12] = std::byte{0x88};
    bench.frame[13] = std::byte{0xb5};
  }
  bench.frames.assign(1024, FrameBytes(bench.frame));
  bench.pcap_file = fmt::format("/tmp/{}.pcap", unique_name("pxinjb"));
  write_frames_file(bench.pcap_file, bench.frame);

  std::vector<Contender> all;
  all.push_back({kPcapName, [&] { return bench.pcap_loop(); }});
  all.push_back({kTcpreplayName, [&] { return bench.tcpreplay(); }});
  all.push_back({"pcapxx inject (single)", [&] { return bench.ours_single(false); }});
  for (std::size_t b : {64U, 256U, 1024U}) {
    all.push_back({fmt::format("pcapxx send_batch (sendmmsg x{})", b), [&, b] { return bench.ours_batch(false, b); }});
  }
  all.push_back({"pcapxx send_batch (sendmmsg x256) +bypass", [&] { return bench.ours_batch(true, 256); }});
  for (auto [v, vname] : {std::pair{TxRingVersion::v2, "V2"}, std::pair{TxRingVersion::v3, "V3"}}) {
    all.push_back({fmt::format("pcapxx TX ring {} frags (x1024, 4096 slots)", vname),
                   [&, v] { return bench.ours_ring(false, v, 1024, 4096, 0); }});
    for (std::size_t b : {256U, 1024U}) {
      all.push_back({fmt::format("pcapxx TX ring {} linear (x{}, 4096 slots)", vname, b),
                     [&, v, b] { return bench.ours_ring(false, v, b, 4096, 2048); }});
    }
    all.push_back({fmt::format("pcapxx TX ring {} linear (x1024, 4096 slots) +bypass", vname),
                   [&, v] { return bench.ours_ring(true, v, 1024, 4096, 2048); }});
  }
  all.push_back({"pcapxx TX ring V3 linear (x256, 512 slots of 2048)",
                 [&] { return bench.ours_ring(false, TxRingVersion::v3, 256, 512, 2048, 2048); }});
  std::vector<Contender> chosen;
  for (auto& c : all) {
    const bool at_end = only.ends_with('$');
    const std::string text = at_end ? only.substr(0, only.size() - 1) : only;
    if (at_end ? c.name.ends_with(text) : c.name.find(text) != std::string::npos) chosen.push_back(c);
  }

  int rc = 0;
  for (const auto& mode : modes) {
    const std::string title = set_peer_mode(link, mode);
    if (title.empty()) {
      fmt::print(stderr, "inject_bench: unknown --peer mode '{}' (up, down)\n", mode);
      rc = 2;
      break;
    }
    std::map<std::string, std::vector<double>> pps, ratio_pcap, ratio_tcpreplay, cpu, cpu_ratio;
    std::map<std::string, std::string> notes;
    for (int r = 0; r < repeat; ++r) {
      std::map<std::string, double> round, round_cpu;
      for (auto& c : chosen) {
        g_cpu_ns_per_frame = 0;
        Run run = c.run();
        round[c.name] = run.pps;
        round_cpu[c.name] = g_cpu_ns_per_frame;
        if (!run.note.empty()) notes[c.name] = run.note;
      }
      for (auto& [name, v] : round) {
        if (v < 0) continue;
        pps[name].push_back(v);
        cpu[name].push_back(round_cpu[name]);
        if (round_cpu.contains(kPcapName) && round[kPcapName] > 0 && round_cpu[name] > 0) {
          cpu_ratio[name].push_back(round_cpu[kPcapName] / round_cpu[name]);
        }
        if (round.contains(kPcapName) && round[kPcapName] > 0) ratio_pcap[name].push_back(v / round[kPcapName]);
        if (round.contains(kTcpreplayName) && round[kTcpreplayName] > 0) {
          ratio_tcpreplay[name].push_back(v / round[kTcpreplayName]);
        }
      }
    }
    fmt::print("\ninject_bench: 64-byte frames on veth; {}; {:.1f} s per run; median of {} round(s)\n", title,
               seconds, repeat);
    fmt::print("{:<50} {:>9} {:>7} {:>8} {:>7} {:>8}  {}\n", "sender", "pps", "x pcap", "x tcprpl", "CPU ns", "CPU x pc",
               "x pcap per round / note");
    double best = 0;
    for (auto& c : chosen) {
      const auto& n = c.name;
      if (!pps.contains(n)) {
        fmt::print("{:<50} {:>9} {:>7} {:>8} {:>7} {:>8}  {}\n", n, "failed", "-", "-", "-", "-", notes[n]);
        continue;
      }
      std::string per_round;
      for (double x : ratio_pcap[n]) per_round += fmt::format("{}{:.2f}", per_round.empty() ? "" : " ", x);
      const double rp = median(ratio_pcap[n]);
      if (n.starts_with("pcapxx") && n.find("single") == std::string::npos) best = std::max(best, rp);
      fmt::print("{:<50} {:>9.0f} {:>7.2f} {:>8.2f} {:>7.0f} {:>8.2f}  [{}] {}\n", n, median(pps[n]), rp,
                 median(ratio_tcpreplay[n]), median(cpu[n]), median(cpu_ratio[n]), per_round, notes[n]);
    }
    if (pps.contains(kPcapName)) {
      double best_cpu = 0;
      for (auto& [n, v] : cpu_ratio) {
        if (n.starts_with("pcapxx") && n.find("single") == std::string::npos) best_cpu = std::max(best_cpu, median(v));
      }
      fmt::print("target: batch or TX ring >= 3x pcap_inject ({}): best median {:.2f}x in pps, {:.2f}x in CPU per "
                 "frame ({})\n",
                 mode, best, best_cpu, best >= 3 ? "met" : "MISSED");
    }
    std::fflush(stdout);
  }
  std::remove(bench.pcap_file.c_str());
  return rc;
}
