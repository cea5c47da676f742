// pxdump's text against tcpdump 4.99's, for every shared capture and each flag set of issue 9.
// Both run as separate programs (TZ=UTC). Output is split into packets (by the -# number, or by
// lines that do not start with white space), each packet's lines compared. Packets whose
// decoded layers are all in scope (scope.hpp) must be identical; the others are counted. Prints
// the share of identical lines per capture and a coverage table (protocol x flag set), which
// PCAPXX_COVERAGE_OUT=FILE also writes as Markdown (docs/pxdump-coverage.md).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "common/run.hpp"
#include "pcapxx/decode.hpp"
#include "pcapxx/savefile.hpp"
#include "scope.hpp"

extern char** environ;

namespace pcapxx {
namespace {

const std::string kPxdump = PCAPXX_BIN_DIR "/pxdump";

/// The flag sets of issue 9, combined so that each flag runs at least once with -n and the
/// name-resolving default is covered too.
const std::vector<std::vector<std::string>> kFlagSets = {
    {"-n"},
    {"-#", "-nn", "-tt", "-e"},
    {"-#", "-ttt"},
    {"-#", "-n", "-tttt", "-q"},
    {"-#", "-n", "-ttttt", "-S"},
    {"-#", "-n", "-v"},
    {"-#", "-n", "-vv", "-e"},
    {"-#", "-n", "-vvv", "-K"},
    {"-#", "-n", "-x"},
    {"-#", "-n", "-xx", "-t"},
    {"-#", "-n", "-X"},
    {"-#", "-n", "-XX", "-e"},
    {"-#", "-n", "-A"},
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

/// Runs argv with stdout to a string (stderr discarded); posix_spawn is safe from threads.
std::string run_capture(const std::vector<std::string>& argv) {
  char tmpl[] = "/tmp/pxdump-print-XXXXXX";
  int fd = mkstemp(tmpl);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fd, 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  std::string out;
  if (posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ) == 0) {
    int st = 0;
    waitpid(pid, &st, 0);
    out = test::slurp(tmpl);
    if (!WIFEXITED(st)) out += fmt::format("\n<killed by signal {}>\n", WTERMSIG(st));
  }
  posix_spawn_file_actions_destroy(&fa);
  close(fd);
  unlink(tmpl);
  return out;
}

/// Packets of the output: with -# a packet starts at "%5u  " with the next number; without, at
/// a line that does not start with white space.
std::vector<std::vector<std::string>> split_packets(const std::string& text, bool numbered) {
  std::vector<std::vector<std::string>> packets;
  std::size_t next = 1;
  for (auto& line : test::lines(text)) {
    bool starts = false;
    if (numbered) {
      auto prefix = fmt::format("{:5}  ", next);
      starts = line.starts_with(prefix);
      if (starts) ++next;
    } else {
      starts = !line.empty() && line[0] != ' ' && line[0] != '\t';
    }
    if (starts || packets.empty()) packets.emplace_back();
    packets.back().push_back(std::move(line));
  }
  return packets;
}

struct PacketInfo {
  std::string signature;
  bool in_scope = false;
};

std::vector<PacketInfo> classify_file(const std::filesystem::path& file) {
  std::vector<PacketInfo> v;
  auto reader = SavefileReader::open(file.string());
  if (!reader) return v;
  layers::Packet pkt;
  const auto ifs = [&] { return (*reader)->interfaces(); };
  for (const PacketView& p : **reader) {
    const auto link = ifs()[p.header.interface].link_type;
    const auto first = layers::Registry::builtin().link_type(link);
    pkt.assign(p.data, first);
    auto c = test::classify(pkt, first != layers::LayerType::none);
    v.push_back({std::move(c.signature), c.in_scope});
  }
  return v;
}

struct Tally {
  std::size_t lines = 0;
  std::size_t same = 0;
};

struct Job {
  std::filesystem::path file;
  std::size_t set = 0;
};

struct Shared {
  std::mutex mu;
  std::map<std::string, std::map<std::size_t, Tally>> per_file;      // file -> set -> tally
  std::map<std::string, std::map<std::size_t, Tally>> per_protocol;  // signature -> set -> tally
  std::vector<std::string> failures;
  std::size_t failed_packets = 0;
};

void run_job(const Job& job, const std::vector<PacketInfo>& info, Shared& shared) {
  const auto& flags = kFlagSets[job.set];
  std::vector<std::string> ours = {kPxdump};
  std::vector<std::string> theirs = {"tcpdump"};
  for (const auto& f : flags) {
    ours.push_back(f);
    theirs.push_back(f);
  }
  for (auto* v : {&ours, &theirs}) {
    v->push_back("-r");
    v->push_back(job.file.string());
  }
  const bool numbered = std::find(flags.begin(), flags.end(), "-#") != flags.end();
  const auto a = split_packets(run_capture(ours), numbered);
  const auto b = split_packets(run_capture(theirs), numbered);
  const std::string name = test::capture_name(job.file);
  std::map<std::string, Tally> protocols;
  Tally file_tally;
  std::vector<std::string> failures;
  std::size_t failed = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const PacketInfo* pi = i < info.size() ? &info[i] : nullptr;
    const std::string sig = pi != nullptr ? pi->signature : "?";
    Tally t;
    const std::vector<std::string> none;
    const auto& ours_p = i < a.size() ? a[i] : none;
    for (std::size_t l = 0; l < b[i].size(); ++l) {
      ++t.lines;
      if (l < ours_p.size() && ours_p[l] == b[i][l]) ++t.same;
    }
    const bool identical = ours_p == b[i];
    if (!identical && pi != nullptr && pi->in_scope) {
      ++failed;
      if (failures.size() < 3) {
        std::string msg = fmt::format("{} [{}] packet {} ({}):\n  tcpdump:", name, join(flags), i + 1, sig);
        for (const auto& l : b[i]) msg += "\n    |" + l;
        msg += "\n  pxdump:";
        for (const auto& l : ours_p) msg += "\n    |" + l;
        failures.push_back(std::move(msg));
      }
    }
    file_tally.lines += t.lines;
    file_tally.same += t.same;
    auto& pt = protocols[sig];
    pt.lines += t.lines;
    pt.same += t.same;
  }
  std::lock_guard lock(shared.mu);
  shared.per_file[name][job.set] = file_tally;
  for (auto& [sig, t] : protocols) {
    auto& pt = shared.per_protocol[sig][job.set];
    pt.lines += t.lines;
    pt.same += t.same;
  }
  shared.failed_packets += failed;
  for (auto& f : failures) shared.failures.push_back(std::move(f));
}

std::string share(const Tally& t) {
  if (t.lines == 0) return "-";
  return fmt::format("{:.1f}%", 100.0 * static_cast<double>(t.same) / static_cast<double>(t.lines));
}

TEST(PxdumpPrint, IdenticalToTcpdumpForProtocolsInScope) {
  ASSERT_TRUE(std::filesystem::exists(kPxdump)) << kPxdump;
  setenv("TZ", "UTC", 1);
  // The flag set without -n resolves names in both tools. In a network namespace of our own
  // (no interfaces up) a DNS query fails at once, so both answer from /etc/hosts and
  // /etc/services only: fast and the same on every machine. Without root, DNS stays reachable
  // and glibc is asked to give up after one second.
  if (::unshare(CLONE_NEWNET) != 0) {
    std::cout << "note: unshare(CLONE_NEWNET) failed (not root?): names resolve through DNS, one try of 1 s\n";
    setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
  }
  std::vector<std::filesystem::path> files;
  for (const auto& f : test::shared_capture_files()) {
    if (const char* only = std::getenv("PCAPXX_PRINT_ONLY"); only != nullptr && test::capture_name(f).find(only) == std::string::npos)
      continue;
    files.push_back(f);
  }
  ASSERT_FALSE(files.empty());
  std::map<std::string, std::vector<PacketInfo>> info;
  for (const auto& f : files) info[f.string()] = classify_file(f);

  std::vector<Job> jobs;
  for (const auto& f : files)
    for (std::size_t s = 0; s < kFlagSets.size(); ++s) jobs.push_back({f, s});
  Shared shared;
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t j; (j = next.fetch_add(1)) < jobs.size();) run_job(jobs[j], info[jobs[j].file.string()], shared);
  };
  std::vector<std::thread> threads;
  const unsigned n = std::max(2u, std::min(4u, std::thread::hardware_concurrency()));
  for (unsigned i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  // Per capture: the share of identical lines, over all flag sets.
  std::string report = "capture: identical lines (all flag sets)\n";
  Tally all;
  for (const auto& [name, sets] : shared.per_file) {
    Tally t;
    for (const auto& [s, x] : sets) {
      t.lines += x.lines;
      t.same += x.same;
    }
    all.lines += t.lines;
    all.same += t.same;
    report += fmt::format("  {:60} {:>7} of {}\n", name, share(t), t.lines);
  }
  report += fmt::format("  {:60} {:>7} of {}\n", "ALL", share(all), all.lines);
  std::cout << report;

  // Coverage table: protocol stack x flag set.
  std::string md = "| protocols (our decode) | lines |";
  for (const auto& s : kFlagSets) md += fmt::format(" `{}` |", join(s));
  md += "\n|---|---|";
  for (std::size_t i = 0; i < kFlagSets.size(); ++i) md += "---|";
  md += "\n";
  for (const auto& [sig, sets] : shared.per_protocol) {
    std::size_t lines = sets.count(0) ? sets.at(0).lines : 0;
    md += fmt::format("| {} | {} |", sig.empty() ? "(none)" : sig, lines);
    for (std::size_t i = 0; i < kFlagSets.size(); ++i) md += fmt::format(" {} |", sets.count(i) ? share(sets.at(i)) : "-");
    md += "\n";
  }
  if (const char* path = std::getenv("PCAPXX_COVERAGE_OUT")) {
    std::ofstream f(path);
    f << "# pxdump: lines identical to tcpdump 4.99\n\n"
         "Generated by `tests/diff/pxdump_print` (`PCAPXX_COVERAGE_OUT=docs/pxdump-coverage.md "
         "build/tests/diff_pxdump_print`; `scripts/pxdump-coverage.sh`). Each row is a protocol stack as "
         "our decoder sees it (`!X`: layer X failed to decode, `Payload`: bytes no decoder claimed); "
         "each cell the share of tcpdump's lines pxdump prints identically for packets of that stack "
         "in `../shared/captures`, with that flag set (TZ=UTC).\n\n"
      << md << "\nPer capture, all flag sets:\n\n```\n" << report << "```\n";
  }
  for (const auto& f : shared.failures) ADD_FAILURE() << f;
  EXPECT_EQ(shared.failed_packets, 0u) << "packets in scope that differ from tcpdump (first 3 per capture and flag set shown)";
}

}  // namespace
}  // namespace pcapxx
