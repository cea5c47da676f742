// Debian's unmodified tcpdump, run once against Debian's libpcap and once against pcapxx's
// libpcap.so.0.8 (LD_LIBRARY_PATH=<build>/lib): for every shared capture, -nn with -tt, -e,
// -x, -v, and -w (output files compared byte for byte, µs and --nano) must give the same
// standard output, standard error and exit status. Also: the exported symbol set equals
// Debian's, and the broken files are refused with the same exit status (texts recorded).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "common/run.hpp"
#include "diff/capi/through_ours.hpp"

namespace pcapxx {
namespace {

using test::run;
using test::RunResult;

const std::string kOurLib = PCAPXX_BIN_DIR "/../lib";
const std::string kOracleLib = "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8";

RunResult tcpdump(bool ours, std::vector<std::string> args) {
  std::vector<std::string> argv = {"tcpdump"};
  argv.insert(argv.end(), args.begin(), args.end());
  return test::run_on(ours, argv);
}

// Files that tcpdump shows differently through pcapxx, and why (see tests/unit/capi too).
const std::map<std::string, std::string> kKnownDifferences = {
    // Broken on purpose: both refuse them with the same exit status, in other words.
    {"gopacket/pcapgo_tests_be_test901.pcapng", "broken"},
    {"gopacket/pcapgo_tests_le_test901.pcapng", "broken"},
    {"libpcap/linktype-reserved-field-not-zero.pcap", "broken"},
    {"libpcap/pcap-invalid-version-1.pcap", "broken"},
    {"libpcap/pcap-invalid-version-2.pcap", "broken"},
    {"libpcap/pcapng-invalid-vers-1.pcapng", "broken"},
    {"libpcap/pcapng-invalid-vers-2.pcapng", "broken"},
    {"libpcap/shb-option-too-long.pcapng", "broken"},
};

std::string show(const RunResult& r) {
  return fmt::format("exit {}\n--- stderr\n{}--- stdout (first 2000 bytes)\n{}", r.status, r.err,
                     r.out.substr(0, 2000));
}

struct Mode {
  std::string name;
  std::vector<std::string> flags;
  bool write = false;
};

const std::vector<Mode>& modes() {
  static const std::vector<Mode> m = {
      {"nn", {"-nn"}},
      {"tt", {"-nn", "-tt"}},
      {"e", {"-nn", "-e"}},
      {"x", {"-nn", "-x"}},
      {"v", {"-nn", "-v"}},
      {"nano", {"-nn", "--nano", "-tt"}},
      {"w", {}, true},
      {"w_nano", {"--nano"}, true},
  };
  return m;
}

// Runs one mode on both sides; returns "" when byte-identical, else a description.
std::string compare_uncached(const std::filesystem::path& file, const Mode& mode, RunResult* ours_out,
                    RunResult* oracle_out) {
  std::string tmp = fmt::format("/tmp/pcapxx-capi-tcpdump-{}", getpid());
  std::vector<std::string> args = {"-r", file.string()};
  args.insert(args.end(), mode.flags.begin(), mode.flags.end());
  auto with_output = [&](const std::string& out) {
    auto a = args;
    if (mode.write) a.insert(a.end(), {"-w", out});
    return a;
  };
  std::filesystem::remove(tmp + "-a");
  std::filesystem::remove(tmp + "-b");
  auto tcpdump_argv = [](std::vector<std::string> a) {
    a.insert(a.begin(), "tcpdump");
    return a;
  };
  auto [ours, oracle] = test::run_both(tcpdump_argv(with_output(tmp + "-b")), tcpdump_argv(with_output(tmp + "-a")));
  std::string why;
  if (ours.status != oracle.status) why += fmt::format("exit {} vs {}; ", ours.status, oracle.status);
  if (ours.err != oracle.err) why += "stderr differs; ";
  if (ours.out != oracle.out) why += "stdout differs; ";
  if (mode.write) {
    bool a = std::filesystem::exists(tmp + "-a");
    bool b = std::filesystem::exists(tmp + "-b");
    if (a != b) why += "one side wrote no file; ";
    else if (a && test::slurp(tmp + "-a") != test::slurp(tmp + "-b")) why += "written files differ; ";
    std::filesystem::remove(tmp + "-a");
    std::filesystem::remove(tmp + "-b");
  }
  if (ours_out) *ours_out = std::move(ours);
  if (oracle_out) *oracle_out = std::move(oracle);
  return why;
}

// compare_uncached, remembered: the share test repeats the per-file comparisons, which run
// once per process.
std::string compare(const std::filesystem::path& file, const Mode& mode, RunResult* ours_out,
                    RunResult* oracle_out) {
  static std::map<std::pair<std::string, std::string>, std::string> seen;
  auto key = std::make_pair(file.string(), mode.name);
  if (ours_out == nullptr && oracle_out == nullptr) {
    if (auto it = seen.find(key); it != seen.end()) return it->second;
  }
  std::string why = compare_uncached(file, mode, ours_out, oracle_out);
  seen[key] = why;
  return why;
}

class TcpdumpThroughPcapxx : public testing::TestWithParam<std::filesystem::path> {};

TEST_P(TcpdumpThroughPcapxx, SameOutputInEveryMode) {
  std::string name = test::capture_name(GetParam());
  auto known = kKnownDifferences.find(name);
  for (const Mode& mode : modes()) {
    RunResult ours, oracle;
    std::string why = compare(GetParam(), mode, &ours, &oracle);
    if (known == kKnownDifferences.end()) {
      EXPECT_EQ(why, "") << name << " mode " << mode.name << "\n=== libpcap: " << show(oracle)
                         << "\n=== pcapxx: " << show(ours);
      continue;
    }
    // Known differences keep to what is described: same exit status; the broken files end
    // in an error on both sides; a stopped-early pcapng shows a prefix of libpcap's packets.
    EXPECT_EQ(ours.status, oracle.status) << name << " mode " << mode.name << "\n" << show(ours);
    if (known->second == "broken") {
      EXPECT_FALSE(ours.err.empty()) << name;
      if (mode.name == "nn")
        std::cout << "[ broken  ] " << name << "\n  libpcap: " << oracle.err
                  << "  pcapxx:  " << ours.err;
    } else {
      EXPECT_TRUE(oracle.out.starts_with(ours.out)) << name << " mode " << mode.name << "\n"
                                                    << show(ours) << "\n" << show(oracle);
      EXPECT_EQ(ours.err.substr(ours.err.find('\n') + 1), oracle.err.substr(oracle.err.find('\n') + 1))
          << name << " mode " << mode.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(SharedCaptures, TcpdumpThroughPcapxx,
                         testing::ValuesIn(test::shared_capture_files()),
                         [](const testing::TestParamInfo<std::filesystem::path>& param_info) {
                           std::string n = test::capture_name(param_info.param);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(TcpdumpThroughPcapxx, ShareOfFilesByteIdentical) {
  auto files = test::shared_capture_files();
  ASSERT_GT(files.size(), 200u);
  std::size_t identical = 0;
  for (const auto& f : files) {
    // One mode keeps this test short under ASan (the per-file tests above check all eight).
    bool same = true;
    for (const Mode& mode : modes())
      if (mode.name == "nn" && !compare(f, mode, nullptr, nullptr).empty()) same = false;
    identical += same;
  }
  std::cout << fmt::format("[ share   ] {} of {} captures byte-identical with -nn ({:.1f}%)\n",
                           identical, files.size(),
                           100.0 * static_cast<double>(identical) / static_cast<double>(files.size()));
  EXPECT_EQ(identical + kKnownDifferences.size(), files.size());
}

TEST(TcpdumpThroughPcapxx, VersionNamesPcapxxAndKeepsTheLibpcapPrefix) {
  auto ours = tcpdump(true, {"--version"});
  auto oracle = tcpdump(false, {"--version"});
  EXPECT_EQ(ours.status, oracle.status);
  EXPECT_NE(ours.out.find("libpcap version 1.10.3 (pcapxx "), std::string::npos) << ours.out;
  EXPECT_EQ(oracle.out.find("pcapxx"), std::string::npos) << oracle.out;
}

std::set<std::string> exported(const std::string& lib) {
  auto r = run({"objdump", "-T", lib});
  std::set<std::string> names;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("*UND*") != std::string::npos || line.find(" g ") == std::string::npos) continue;
    names.insert(line.substr(line.find_last_of(' ') + 1));
  }
  return names;
}

TEST(LibpcapAbi, ExportedSymbolsEqualDebiansLibpcap) {
  auto ours = exported(kOurLib + "/libpcap.so.0.8");
  auto theirs = exported(kOracleLib);
  ASSERT_GT(theirs.size(), 90u);
  std::vector<std::string> missing, extra;
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(missing));
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(extra));
  EXPECT_TRUE(missing.empty()) << "missing: " << fmt::format("{}", fmt::join(missing, " "));
  EXPECT_TRUE(extra.empty()) << "extra: " << fmt::format("{}", fmt::join(extra, " "));
}

TEST(LibpcapAbi, SonameAndNoSymbolVersions) {
  auto d = run({"readelf", "-d", kOurLib + "/libpcap.so.0.8"});
  EXPECT_NE(d.out.find("Library soname: [libpcap.so.0.8]"), std::string::npos) << d.out;
  EXPECT_EQ(d.out.find("VERDEF"), std::string::npos) << "our library defines symbol versions";
  auto t = run({"objdump", "-T", kOurLib + "/libpcap.so.0.8"});
  for (const auto& line : test::lines(t.out)) {
    if (line.find(" pcap_open_offline") != std::string::npos) {
      EXPECT_NE(line.find("Base"), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace pcapxx
