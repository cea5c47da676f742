// Injection rate: 64-byte frames on a veth pair in network namespaces, our paths (single,
// sendmmsg batch, TX ring, each also with PACKET_QDISC_BYPASS) against the oracles in the same
// run: a loop of pcap_inject through Debian's libpcap (linked into this program only, never
// shipped) and `tcpreplay --topspeed` (a separate process). Prints packets per second and the
// ratios. Needs root. Benchmarks never fail a build: a missed target is printed, not an exit code.
//
//   build/bin/inject_bench [SECONDS_PER_RUN]     (default 2)
#include <chrono>
#include <cstdio>
#include <functional>
#include <regex>
#include <string>
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

using Clock = std::chrono::steady_clock;
constexpr std::size_t kFrameSize = 64;
constexpr std::size_t kBatch = 256;

struct Rate {
  std::string name;
  double pps = 0;
  std::string note;
};

/// Runs `send` (which sends some frames and returns how many, or -1 on error) until `seconds`
/// passed; returns packets per second.
double measure(double seconds, const std::function<long()>& send) {
  fmt::print(stderr, ".");
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  std::uint64_t total = 0;
  while (Clock::now() < end) {
    long n = send();
    if (n < 0) return -1;
    total += static_cast<std::uint64_t>(n);
  }
  return static_cast<double>(total) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pcapxx;
  using namespace pcapxx::test;
  const double seconds = argc > 1 ? std::stod(argv[1]) : 2.0;
  VethPair link;
  const auto frame = [&] {
    std::vector<std::byte> f(kFrameSize);
    auto dst = VethPair::capture_mac(), src = VethPair::peer_mac();
    for (int i = 0; i < 6; ++i) {
      f[static_cast<std::size_t>(i)] = std::byte{dst[static_cast<std::size_t>(i)]};
      f[static_cast<std::size_t>(6 + i)] = std::byte{src[static_cast<std::size_t>(i)]};
    }
    f[12] = std::byte{0x88};
    f[13] = std::byte{0xb5};
    return f;
  }();
  std::vector<FrameBytes> batch(kBatch, FrameBytes(frame));
  const std::string& dev = link.peer_if();
  auto scenario = [&](const std::string& title) -> int {
  std::vector<Rate> rates;

  {
    InNetns in(link.peer_ns());
    for (bool bypass : {false, true}) {
      const std::string suffix = bypass ? " +qdisc bypass" : "";
      InjectOptions io;
      io.qdisc_bypass = bypass;
      auto tx = Injector::open(dev, io);
      if (!tx) {
        fmt::print(stderr, "inject_bench: {}\n", tx.error().what());
        return 1;
      }
      rates.push_back({"pcapxx inject (single)" + suffix, measure(seconds, [&] { return tx->inject(frame) ? 1L : -1L; }), ""});
      rates.push_back({"pcapxx send_batch (sendmmsg x256)" + suffix,
                       measure(seconds, [&] { return tx->send_batch(batch) ? static_cast<long>(kBatch) : -1L; }), ""});
      TxRingOptions ro;
      ro.qdisc_bypass = bypass;
      ro.frame_size = 128;
      ro.frame_count = 4096;
      auto ring = TxRing::open(dev, ro);
      if (!ring) {
        fmt::print(stderr, "inject_bench: {}\n", ring.error().what());
        return 1;
      }
      double pps = measure(seconds, [&] { return ring->send_batch(batch) ? static_cast<long>(kBatch) : -1L; });
      auto done = ring->wait_completion(5000);
      rates.push_back({"pcapxx TX ring (x256)" + suffix, pps,
                       fmt::format("{}; {} of {} completed", ring->ring_description().substr(0, 10),
                                   done ? *done : 0, ring->stats().queued)});
    }
    // The oracle: libpcap's pcap_inject in a loop, one frame per call.
    char errbuf[256] = {};
    pcap* p = pcap_open_live(dev.c_str(), 65535, 0, 100, errbuf);
    if (p == nullptr) {
      fmt::print(stderr, "inject_bench: pcap_open_live: {}\n", errbuf);
      return 1;
    }
    rates.push_back({"libpcap pcap_inject loop (oracle)",
                     measure(seconds, [&] { return pcap_inject(p, frame.data(), frame.size()) == static_cast<int>(kFrameSize) ? 1L : -1L; }), ""});
    pcap_close(p);
  }

  // The other oracle: tcpreplay --topspeed on a file of the same 64-byte frames.
  const std::string file = fmt::format("/tmp/{}.pcap", unique_name("pxinjb"));
  {
    InterfaceDescription ifd;
    ifd.link_type = dlt::kEn10Mb;
    ifd.snaplen = 65535;
    auto w = SavefileWriter::open(file, std::span<const InterfaceDescription>(&ifd, 1), {});
    if (!w) {
      fmt::print(stderr, "inject_bench: {}\n", w.error().what());
      return 1;
    }
    for (int i = 0; i < 10000; ++i) {
      PacketView v;
      v.header.caplen = v.header.origlen = kFrameSize;
      v.header.ts = Timestamp{i * 1000};
      v.data = frame;
      (void)(*w)->write(v);
    }
    (void)(*w)->close();
  }
  const int loops = std::max(1, static_cast<int>(seconds * 50));  // ~500k frames per second of run
  auto tr = run({"ip", "netns", "exec", link.peer_ns().name(), "tcpreplay", "--topspeed", "-q", "--loop",
                 std::to_string(loops), "-i", dev, file});
  std::remove(file.c_str());
  double tcpreplay_pps = -1;
  std::smatch m;
  if (std::regex_search(tr.out, m, std::regex(R"(Rated:.*?([0-9.]+) pps)"))) tcpreplay_pps = std::stod(m[1]);
  rates.push_back({"tcpreplay --topspeed (oracle)", tcpreplay_pps,
                   tcpreplay_pps < 0 ? "did not run: " + tr.err.substr(0, 120) : fmt::format("{} frames", loops * 10000)});

  double pcap_pps = 0, best_ours = 0;
  for (const auto& r : rates) {
    if (r.name.starts_with("libpcap")) pcap_pps = r.pps;
    if (r.name.starts_with("pcapxx") && r.name.find("single") == std::string::npos) best_ours = std::max(best_ours, r.pps);
  }
  fmt::print("\ninject_bench: 64-byte frames on veth, {}, {:.1f} s per run\n", title, seconds);
  fmt::print("{:<44} {:>12} {:>10} {:>12}\n", "sender", "pps", "x pcap", "x tcpreplay");
  for (const auto& r : rates) {
    fmt::print("{:<44} {:>12.0f} {:>10.2f} {:>12.2f}  {}\n", r.name, r.pps, pcap_pps > 0 ? r.pps / pcap_pps : 0,
               tcpreplay_pps > 0 ? r.pps / tcpreplay_pps : 0, r.note);
  }
  fmt::print("target: batch or TX ring >= 3x pcap_inject: best {:.2f}x ({})\n", pcap_pps > 0 ? best_ours / pcap_pps : 0,
             pcap_pps > 0 && best_ours >= 3 * pcap_pps ? "met" : "MISSED");
  std::fflush(stdout);
  return 0;
  };
  // The receiving end is up: the peer's receive path runs inside each send and dominates.
  if (int rc = scenario("receiving end up")) return rc;
  return 0;
}
