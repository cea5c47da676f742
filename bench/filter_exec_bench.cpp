// Filtering cost per packet, on the Ethernet packets of the shared captures: our JIT and our
// interpreter on our compiled program and on libpcap's, and libpcap's bpf_filter() on
// libpcap's program (pcap_open_dead + pcap_compile, optimized). Prints ns per packet and the
// ratios to libpcap after the Google Benchmark table. No assertions on timings.
// By default each benchmark runs 5 times, the runs of all engines interleaved in random order
// so that every engine sees the same load on a shared machine; the summary uses each one's
// median. One call per packet, as a user of bpf_filter() makes it, for every engine.
// The packets (about 19 MB) do not fit in the caches, so each packet's first bytes are a cache
// miss that every engine waits for alike; a second table runs the same calls on the first
// packets that fit in 1 MiB, already cached, where only the evaluation differs. A "memory
// floor" runs the same calls with no evaluation (two byte loads): the wait for memory that
// every engine pays, which bounds the ratio any engine can reach on all packets.
//   filter_exec_bench [--benchmark_min_time=0.2] [--benchmark_repetitions=N]
#include <pcap/pcap.h>

#include <filesystem>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "pcapxx/bpf.hpp"
#include "pcapxx/bpf_jit.hpp"
#include "pcapxx/filter.hpp"
#include "pcapxx/savefile.hpp"

namespace {

using namespace pcapxx;

struct Packet {
  std::span<const std::byte> data;
  std::uint32_t origlen;
};

// Every Ethernet packet of the shared captures, repeated to at least 20,000 packets, back to
// back in one buffer as a savefile's read buffer holds them.
const std::vector<Packet>& packets() {
  static std::vector<std::byte> storage;
  static const std::vector<Packet> all = [] {
    std::vector<std::pair<std::vector<std::byte>, std::uint32_t>> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(PCAPXX_SHARED_CAPTURES)) {
      auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".pcap" && ext != ".pcapng")) continue;
      auto reader = SavefileReader::open(e.path().string());
      if (!reader) continue;
      for (const PacketView& pkt : **reader) {
        auto ifs = (*reader)->interfaces();
        if (pkt.header.interface < ifs.size() && ifs[pkt.header.interface].link_type == dlt::kEn10Mb)
          out.emplace_back(std::vector<std::byte>(pkt.data.begin(), pkt.data.end()), pkt.header.origlen);
      }
    }
    std::size_t n = out.size();
    while (n > 0 && out.size() < 20000) out.insert(out.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    std::size_t total = 0;
    for (const auto& [bytes, len] : out) total += bytes.size();
    storage.reserve(total);
    std::vector<Packet> views;
    for (const auto& [bytes, len] : out) {
      std::size_t at = storage.size();
      storage.insert(storage.end(), bytes.begin(), bytes.end());
      views.push_back(Packet{std::span(storage).subspan(at, bytes.size()), len});
    }
    return views;
  }();
  return all;
}

std::string twenty_hosts() {
  std::string s;
  for (int i = 1; i <= 20; ++i) s += fmt::format("{}host 10.0.0.{}", i > 1 ? " or " : "", i);
  return s;
}

const std::vector<std::pair<std::string, std::string>>& filters() {
  static const std::vector<std::pair<std::string, std::string>> f = {
      {"tcp_port_80", "tcp port 80"},
      {"host_and_udp", "host 10.0.0.1 and udp"},
      {"20_hosts", twenty_hosts()},
      {"syn_not_22", "tcp[tcpflags] & tcp-syn != 0 and not port 22"},
  };
  return f;
}

struct Programs {
  BpfProgram ours;
  BpfProgram libpcap;
  std::vector<bpf_insn> libpcap_raw;
};

Programs compile_both(const std::string& expr) {
  Programs p;
  auto ours = compile_filter(expr, dlt::kEn10Mb, 262144, 0, true);
  if (!ours) throw std::runtime_error(ours.error().what());
  p.ours = *ours;
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 262144);
  bpf_program bp{};
  if (pcap_compile(dead, &bp, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    throw std::runtime_error(pcap_geterr(dead));
  for (unsigned i = 0; i < bp.bf_len; ++i) {
    p.libpcap_raw.push_back(bp.bf_insns[i]);
    p.libpcap.push_back(BpfInsn{bp.bf_insns[i].code, bp.bf_insns[i].jt, bp.bf_insns[i].jf, bp.bf_insns[i].k});
  }
  pcap_freecode(&bp);
  pcap_close(dead);
  return p;
}

// The first packets of packets() that together hold at most 1 MiB (they stay cached).
const std::vector<Packet>& hot_packets() {
  static const std::vector<Packet> hot = [] {
    std::vector<Packet> out;
    std::size_t bytes = 0;
    for (const Packet& p : packets()) {
      if ((bytes += p.data.size()) > (1u << 20)) break;
      out.push_back(p);
    }
    return out;
  }();
  return hot;
}

template <class Run>
void per_packet(benchmark::State& state, const std::vector<Packet>& pkts, Run run) {
  std::uint64_t kept = 0;
  for (auto _ : state) {
    for (const Packet& p : pkts) kept += run(p) != 0;
  }
  benchmark::DoNotOptimize(kept);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pkts.size()));
  state.counters["ns_per_pkt"] = benchmark::Counter(static_cast<double>(state.iterations() * pkts.size()),
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["kept"] = static_cast<double>(kept) / static_cast<double>(state.iterations());
}

// Captures each benchmark's ns per packet for the summary: the median over the repetitions,
// or the single run's.
class Collector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> ns;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("ns_per_pkt");
      if (it == r.counters.end()) continue;
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
        ns[r.run_name.str()] = it->second.value * 1e9;
        median_.insert(r.run_name.str());
      } else if (r.run_type == Run::RT_Iteration && !median_.contains(r.run_name.str())) {
        ns[r.run_name.str()] = it->second.value * 1e9;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

 private:
  std::set<std::string> median_;
};

}  // namespace

int main(int argc, char** argv) {
  // Defaults first: flags given on the command line come later and win.
  std::vector<char*> args{argv[0]};
  std::string reps = "--benchmark_repetitions=5", interleave = "--benchmark_enable_random_interleaving=true",
              min_time = "--benchmark_min_time=0.1", aggregates = "--benchmark_display_aggregates_only=true";
  args.insert(args.end(), {reps.data(), interleave.data(), min_time.data(), aggregates.data()});
  args.insert(args.end(), argv + 1, argv + argc);
  int nargs = static_cast<int>(args.size());
  benchmark::Initialize(&nargs, args.data());
  fmt::print("{} Ethernet packets per iteration ({} in the cached set); JIT available: {}\n", packets().size(),
             hot_packets().size(), jit_available());
  static std::map<std::string, Programs> programs;
  static std::map<std::string, BpfJitProgram> jits;
  for (const auto& [name, expr] : filters()) {
    Programs& p = programs[name] = compile_both(expr);
    auto ours_jit = BpfJitProgram::compile(p.ours);
    auto their_jit = BpfJitProgram::compile(p.libpcap);
    if (!ours_jit || !their_jit) {
      fmt::print(stderr, "jit: {}\n", !ours_jit ? ours_jit.error().what() : their_jit.error().what());
      return 1;
    }
    jits.emplace(name + "/ours", std::move(*ours_jit));
    jits.emplace(name + "/libpcap", std::move(*their_jit));
    fmt::print("{}: '{}': our program {} instructions, libpcap's {}\n", name, expr, p.ours.size(), p.libpcap.size());
    const BpfJitProgram* oj = &jits.at(name + "/ours");
    const BpfJitProgram* lj = &jits.at(name + "/libpcap");
    const Programs* pp = &p;
    for (const bool hot : {false, true}) {
      const std::vector<Packet>* pkts = hot ? &hot_packets() : &packets();
      const std::string prefix = (hot ? "cached/" : "") + name;
      benchmark::RegisterBenchmark((prefix + "/libpcap_bpf_filter").c_str(), [pp, pkts](benchmark::State& s) {
        per_packet(s, *pkts, [pp](const Packet& k) {
          return bpf_filter(pp->libpcap_raw.data(), reinterpret_cast<const unsigned char*>(k.data.data()),
                            k.origlen, static_cast<unsigned>(k.data.size()));
        });
      });
      benchmark::RegisterBenchmark((prefix + "/interp_libpcap_prog").c_str(), [pp, pkts](benchmark::State& s) {
        per_packet(s, *pkts, [pp](const Packet& k) { return run_program(pp->libpcap, k.data, k.origlen); });
      });
      benchmark::RegisterBenchmark((prefix + "/interp_our_prog").c_str(), [pp, pkts](benchmark::State& s) {
        per_packet(s, *pkts, [pp](const Packet& k) { return run_program(pp->ours, k.data, k.origlen); });
      });
      benchmark::RegisterBenchmark((prefix + "/jit_libpcap_prog").c_str(), [lj, pkts](benchmark::State& s) {
        per_packet(s, *pkts, [lj](const Packet& k) { return lj->run(k.data, k.origlen); });
      });
      benchmark::RegisterBenchmark((prefix + "/jit_our_prog").c_str(), [oj, pkts](benchmark::State& s) {
        per_packet(s, *pkts, [oj](const Packet& k) { return oj->run(k.data, k.origlen); });
      });
      // No evaluation at all: the two loads that every filter here makes first (the EtherType
      // and a byte where the ports are), so the time waiting for memory that no engine avoids.
      benchmark::RegisterBenchmark((prefix + "/memory_floor").c_str(), [pkts](benchmark::State& s) {
        per_packet(s, *pkts, [](const Packet& k) {
          return std::to_integer<std::uint32_t>(k.data[12]) +
                 std::to_integer<std::uint32_t>(k.data[std::min<std::size_t>(37, k.data.size() - 1)]);
        });
      });
    }
  }
  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  for (const bool hot : {false, true}) {
    fmt::print("\n{}\n{:<14} {:>10} {:>22} {:>22} {:>22} {:>22} {:>22}\n",
               hot ? "cached packets (the first MiB of them):" : "all packets (each one a cache miss):", "ns/packet",
               "libpcap", "interp(libpcap prog)", "interp(our prog)", "jit(libpcap prog)", "jit(our prog)",
               "memory floor");
    for (const auto& [name, expr] : filters()) {
      auto get = [&](const std::string& what) {
        auto it = collector.ns.find((hot ? "cached/" : "") + name + "/" + what);
        return it == collector.ns.end() ? 0.0 : it->second;
      };
      double base = get("libpcap_bpf_filter");
      auto cell = [&](double v) { return fmt::format("{:7.2f} ({:4.2f}x)", v, base > 0 ? v / base : 0.0); };
      fmt::print("{:<14} {:>10.2f} {:>22} {:>22} {:>22} {:>22} {:>22}\n", name, base, cell(get("interp_libpcap_prog")),
                 cell(get("interp_our_prog")), cell(get("jit_libpcap_prog")), cell(get("jit_our_prog")),
                 cell(get("memory_floor")));
    }
    // The evaluation alone: each engine's time above the floor, against libpcap's.
    fmt::print("time above the floor, jit(our prog) against libpcap:");
    for (const auto& [name, expr] : filters()) {
      auto get = [&](const std::string& what) {
        auto it = collector.ns.find((hot ? "cached/" : "") + name + "/" + what);
        return it == collector.ns.end() ? 0.0 : it->second;
      };
      const double floor = get("memory_floor"), base = get("libpcap_bpf_filter") - floor;
      fmt::print(" {} {:.2f}x", name, base > 0 ? (get("jit_our_prog") - floor) / base : 0.0);
    }
    fmt::print("\n");
  }
  benchmark::Shutdown();
  return 0;
}
