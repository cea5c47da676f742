// The libpcap API through a C program (data/api_probe.c) written against libpcap's
// documentation: it must compile unchanged (with -Wall -Wextra -Werror) against pcapxx's
// include/pcap headers and link against pcapxx's libpcap.so.0.8, and print exactly what the
// same program built against Debian's libpcap prints, for every shared capture: link type,
// snapshot, headers and bytes of every packet at µs and ns precision, pcap_loop /
// pcap_dispatch / pcap_breakloop return values, filters, and the bytes pcap_dump writes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include <fmt/format.h>

#include "common/run.hpp"
#include "diff/capi/through_ours.hpp"

namespace pcapxx {
namespace {

using test::run;

const std::string kProbeSource = PCAPXX_SOURCE_DIR "/tests/unit/capi/data/api_probe.c";

// Files where our output differs from libpcap's on purpose or for a reason outside this layer.
const std::map<std::string, std::string> kKnownDifferences = {
    // Reserved bits 16-25 of the link-type field are set: libpcap opens the file with link
    // type 0x300000, pcapxx's reader refuses it.
    {"libpcap/linktype-reserved-field-not-zero.pcap", "refused"},
};

const test::ProgramOnBoth& probes() {
  static const test::ProgramOnBoth p(kProbeSource, "capi-probe");
  return p;
}

TEST(CapiHeaders, ProgramWrittenAgainstTheDocumentationCompilesAndLinks) {
  ASSERT_EQ(probes().error, "");
  // The program is bound to our library, not Debian's.
  auto ldd = run({"ldd", probes().ours});
  EXPECT_NE(ldd.out.find(test::kOurLibDir), std::string::npos) << ldd.out;
}

TEST(CapiApi, NamesStatusTextsDeadHandlesAndBpfListingsMatchLibpcap) {
  ASSERT_EQ(probes().error, "");
  std::string capture = PCAPXX_SHARED_CAPTURES "/ppp/Dns.pcap";
  auto ours = test::run_on(true, {probes().ours, "-names", "/tmp/unused", capture});
  auto oracle = run({probes().oracle, "-names", "/tmp/unused", capture});
  ASSERT_EQ(ours.status, 0) << ours.err;
  ASSERT_EQ(oracle.status, 0) << oracle.err;
  EXPECT_GT(test::lines(oracle.out).size(), 300u);
  EXPECT_EQ(ours.out, oracle.out);
}

class CapiPerCapture : public testing::TestWithParam<std::filesystem::path> {};

TEST_P(CapiPerCapture, ProbeOutputMatchesLibpcap) {
  ASSERT_EQ(probes().error, "");
  std::string name = test::capture_name(GetParam());
  // The dump files go with the programs' directory at exit.
  std::string prefix = probes().dir + "/dump";
  auto ours = test::run_on(true, {probes().ours, GetParam().string(), prefix + "-ours"});
  auto oracle = run({probes().oracle, GetParam().string(), prefix + "-oracle"});
  ASSERT_EQ(ours.status, 0) << name << ": " << ours.err;
  ASSERT_EQ(oracle.status, 0) << name << ": " << oracle.err;
  auto known = kKnownDifferences.find(name);
  if (known == kKnownDifferences.end()) {
    EXPECT_EQ(ours.out, oracle.out) << name;
    return;
  }
  // A known difference must still be the one described, not a new one.
  EXPECT_EQ(ours.out, "open failed\n") << name;
  EXPECT_NE(oracle.out, "open failed\n") << name;
}

INSTANTIATE_TEST_SUITE_P(SharedCaptures, CapiPerCapture,
                         testing::ValuesIn(test::shared_capture_files()),
                         [](const testing::TestParamInfo<std::filesystem::path>& param_info) {
                           std::string n = test::capture_name(param_info.param);
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace pcapxx
