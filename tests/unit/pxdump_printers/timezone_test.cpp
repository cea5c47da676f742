// pxdump's time stamps against tcpdump 4.99 outside UTC: the built pxdump and tcpdump read the
// crafted data/time_zones.pcap (daylight saving changes, local midnight, offsets with minutes
// and seconds, the limits of tcpdump's conversion) with TZ set to a zone in this process, so
// that both programs run in the same environment, for each time stamp form (default, -tt,
// -ttt, -tttt, -ttttt, at micro- and nanosecond precision). Every line must be identical; both
// sides are printed on a mismatch.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/run.hpp"

namespace pxdump::printers {
namespace {

namespace fs = std::filesystem;

const std::string kFile = PCAPXX_SOURCE_DIR "/tests/unit/pxdump_printers/data/time_zones.pcap";

/// Restores the process's TZ when the test ends.
class ScopedTz {
 public:
  explicit ScopedTz(const char* zone) {
    if (const char* old = std::getenv("TZ")) {
      saved_ = old;
      had_ = true;
    }
    setenv("TZ", zone, 1);
  }
  ~ScopedTz() {
    if (had_) setenv("TZ", saved_.c_str(), 1);
    else unsetenv("TZ");
  }
  ScopedTz(const ScopedTz&) = delete;
  ScopedTz& operator=(const ScopedTz&) = delete;

 private:
  std::string saved_;
  bool had_ = false;
};

std::vector<std::string> run_lines(std::vector<std::string> argv) {
  const auto r = pcapxx::test::run(argv);
  EXPECT_EQ(r.status, 0) << argv[0] << " exited with " << r.status << ":\n" << r.err;
  return pcapxx::test::lines(r.out);
}

/// The packet (1-based) whose delta differs, for a flag set: the last one, stamped 2^31 s, which
/// libpcap reads from a pcap file as a negative time (see printers/timestamp.hpp); 0 for none.
std::size_t known_difference(const std::vector<std::string>& flags, std::size_t packets) {
  for (const auto& f : flags)
    if (f == "-ttt" || f == "-ttttt") return packets;
  return 0;
}

/// The lines of both programs for one flag set under the current TZ; mismatches are failures.
/// Returns tcpdump's lines.
std::vector<std::string> compare(const std::vector<std::string>& flags, const char* zone) {
  std::vector<std::string> theirs = {"tcpdump", "-n"};
  std::vector<std::string> ours = {PCAPXX_BIN_DIR "/pxdump", "-n"};
  std::string command = "TZ=" + std::string(zone) + " -n";
  for (const auto& f : flags) {
    theirs.push_back(f);
    ours.push_back(f);
    command += " " + f;
  }
  for (auto* v : {&theirs, &ours}) {
    v->push_back("-r");
    v->push_back(kFile);
  }
  const auto want = run_lines(theirs);
  const auto got = run_lines(ours);
  EXPECT_EQ(want.size(), got.size()) << command;
  const std::size_t known = known_difference(flags, want.size());
  for (std::size_t i = 0; i < want.size() && i < got.size(); ++i) {
    if (i + 1 == known) {
      EXPECT_NE(want[i], got[i]) << command << "\n  packet " << i + 1
                                 << " prints as tcpdump's now: remove it from known_difference()";
      continue;
    }
    EXPECT_EQ(want[i], got[i]) << command << "\n  packet " << i + 1 << "\n  tcpdump: " << want[i]
                               << "\n  pxdump:  " << got[i];
  }
  return want;
}

TEST(PrintersTimeZone, LocalTimeAsTcpdump) {
  const std::vector<std::vector<std::string>> forms = {
      {}, {"-tt"}, {"-ttt"}, {"-tttt"}, {"-ttttt"}, {"--nano"}, {"-tttt", "--nano"}, {"-ttt", "--nano"}};
  std::vector<std::string> utc_default;
  {
    ScopedTz tz("UTC");
    utc_default = compare({}, "UTC");
  }
  ASSERT_FALSE(utc_default.empty());
  for (const char* zone : {"America/New_York", "Asia/Kolkata", "Africa/Monrovia", "Australia/Lord_Howe"}) {
    // A zone the system lacks would silently be UTC on both sides: the test would compare nothing.
    ASSERT_TRUE(fs::exists(fs::path("/usr/share/zoneinfo") / zone)) << zone << ": install tzdata";
    ScopedTz tz(zone);
    for (const auto& flags : forms) {
      const auto lines = compare(flags, zone);
      if (flags.empty()) {
        EXPECT_NE(lines, utc_default) << zone << ": the zone did not change tcpdump's times";
      }
    }
  }
}

}  // namespace
}  // namespace pxdump::printers
