// Filter compile time, ours against libpcap's (tcpdump -d -y EN10MB as a process, minus
// tcpdump's start-up measured with a trivial filter), for the differential corpus and for
// 10/100/1,000-term host, net and port disjunctions; prints times, ratios, instruction counts
// and our peak heap use per term. libpcap's optimizer takes minutes on 1,000 terms: each tcpdump
// run gets kTcpdumpTimeoutS seconds, after which it is killed and the line says so (with the
// ratio it would at least have had).
//   filter_compile_bench [--no-tcpdump]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>
#include <sys/wait.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "diff/filter/filter_corpus.hpp"
#include "pcapxx/filter.hpp"

extern char** environ;

namespace {

// Heap accounting: current and peak bytes allocated through operator new.
std::atomic<std::size_t> g_now{0}, g_peak{0};

void* counted_alloc(std::size_t n) {
  void* p = std::malloc(n + 16);
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, &n, sizeof n);
  std::size_t now = g_now += n;
  std::size_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
  return static_cast<char*>(p) + 16;
}
void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  char* base = static_cast<char*>(p) - 16;
  std::size_t n;
  std::memcpy(&n, base, sizeof n);
  g_now -= n;
  std::free(base);
}

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// CPU time of this thread, in ms: on a shared machine the fairer measure of our own work.
double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

constexpr int kTcpdumpTimeoutS = 120;
constexpr double kTimedOut = -2;

// Wall time of one `tcpdump -d -y EN10MB -- expr` with its output discarded; -1 if it failed,
// kTimedOut if it ran longer than kTcpdumpTimeoutS (it is killed).
double tcpdump_ms(const std::string& expr) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = {"tcpdump", "-d", "-y", "EN10MB", "--", expr};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto t0 = Clock::now();
  pid_t pid;
  int rc = posix_spawnp(&pid, "tcpdump", &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return -1;
    if (ms_since(t0) > kTcpdumpTimeoutS * 1000.0) {
      ::kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return kTimedOut;
    }
    ::usleep(2000);
  }
  double ms = ms_since(t0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ms : -1;
}

// Best of `runs` (the least disturbed by the other work on the machine).
template <class F>
double best_ms(int runs, F&& f) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) best = std::min(best, f());
  return best;
}

std::string disjunction(std::string_view kind, std::size_t n) {
  std::mt19937 rng(42);
  std::string e;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) e += " or ";
    if (kind == "host") e += fmt::format("host 10.{}.{}.{}", rng() % 256, rng() % 256, rng() % 256);
    else if (kind == "net") e += fmt::format("net 172.{}.{}.0/24", 16 + rng() % 16, rng() % 256);
    else e += fmt::format("port {}", 1 + rng() % 65535);
  }
  return e;
}

}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }

int main(int argc, char** argv) {
  const bool with_tcpdump = !(argc > 1 && std::strcmp(argv[1], "--no-tcpdump") == 0);
  const pcapxx::LinkType ether{1};
  double startup = with_tcpdump ? best_ms(5, [] { return tcpdump_ms("ip"); }) : 0;
  if (with_tcpdump) fmt::print("tcpdump start-up (filter 'ip'): {:.2f} ms, subtracted below\n", startup);

  // The corpus: every filter both compile, summed.
  double ours_total = 0, theirs_total = 0;
  int n = 0;
  for (std::string_view expr : pcapxx::test::kFilterCorpus) {
    std::string e(expr);
    auto probe = pcapxx::compile_filter(e, ether, 262144, 0, true);
    double theirs = with_tcpdump ? tcpdump_ms(e) : 0;
    if (!probe || theirs < 0) continue;
    ours_total += best_ms(5, [&] {
      auto t0 = Clock::now();
      auto p = pcapxx::compile_filter(e, ether, 262144, 0, true);
      return ms_since(t0);
    });
    theirs_total += std::max(0.0, theirs - startup);
    ++n;
  }
  fmt::print("corpus ({} filters on EN10MB): ours {:.3f} ms total, tcpdump {:.1f} ms total{}\n", n, ours_total,
             theirs_total, with_tcpdump ? fmt::format(", tcpdump/ours {:.0f}x", theirs_total / ours_total) : "");

  fmt::print("{:>6} {:>5} {:>10} {:>10} {:>7} {:>12} {:>7} {:>12} {:>11}\n", "terms", "kind", "ours ms", "ours cpu ms",
             "insns", "tcpdump ms", "insns", "tcpdump/ours", "peak B/term");
  for (std::size_t terms : {10u, 100u, 1000u}) {
    for (std::string_view kind : {"host", "net", "port"}) {
      std::string e = disjunction(kind, terms);
      g_peak = g_now.load();
      std::size_t before = g_now.load();
      auto p = pcapxx::compile_filter(e, ether, 262144, 0, true);
      std::size_t peak = g_peak.load() - before;
      double ours = best_ms(terms >= 1000 ? 3 : 10, [&] {
        auto t0 = Clock::now();
        auto q = pcapxx::compile_filter(e, ether, 262144, 0, true);
        return ms_since(t0);
      });
      double ours_cpu = best_ms(terms >= 1000 ? 3 : 10, [&] {
        double t0 = thread_cpu_ms();
        auto q = pcapxx::compile_filter(e, ether, 262144, 0, true);
        return thread_cpu_ms() - t0;
      });
      // libpcap's optimizer is quadratic or worse: 1,000 terms take minutes.
      double raw = with_tcpdump ? tcpdump_ms(e) : 0;
      const bool timed_out = raw == kTimedOut;
      double theirs = timed_out ? kTcpdumpTimeoutS * 1000.0 : raw - startup;
      std::size_t their_insns = 0;
      if (with_tcpdump && !timed_out) {
        // Count its instructions from a second run's -ddd count line.
        std::string cmd = fmt::format("timeout {} tcpdump -ddd -y EN10MB -- '{}' 2>/dev/null | head -1", kTcpdumpTimeoutS, e);
        if (FILE* f = ::popen(cmd.c_str(), "r")) {
          char line[64] = {};
          if (std::fgets(line, sizeof line, f)) their_insns = std::strtoul(line, nullptr, 10);
          ::pclose(f);
        }
      }
      fmt::print("{:>6} {:>5} {:>10.3f} {:>10.3f} {:>7} {:>12} {:>7} {:>12} {:>11}\n", terms, kind, ours, ours_cpu,
                 p ? fmt::format("{}", p->size()) : std::string("error"),
                 !with_tcpdump ? "-" : timed_out ? fmt::format(">{}", theirs) : fmt::format("{:.1f}", theirs),
                 with_tcpdump && !timed_out ? fmt::format("{}", their_insns) : "-",
                 !with_tcpdump ? "-" : timed_out ? fmt::format(">{:.0f}x", theirs / ours) : fmt::format("{:.0f}x", theirs / ours),
                 peak / terms);
      if (timed_out)
        fmt::print("       tcpdump did not finish in {} s (ratio > {:.0f}x)\n", kTcpdumpTimeoutS, theirs / ours);
    }
  }
  return 0;
}
