// PCAP_ERROR_PROMISC_PERM_DENIED and Linux. libpcap returns it only from its DLPI backend
// (Solaris, HP-UX: DL_PROMISC_PHYS refused for want of privilege). On Linux (pcap-linux.c,
// libpcap 1.10) promiscuous mode is a PACKET_ADD_MEMBERSHIP with PACKET_MR_PROMISC on the
// capture socket, whose failure is a plain PCAP_ERROR; and the kernel checks no capability for
// it (net/packet/af_packet.c packet_mc_add -> dev_set_promiscuity): whoever may open the packet
// socket (CAP_NET_RAW) may make the device promiscuous, without CAP_NET_ADMIN. So the
// situation the status names does not exist on Linux; the test shows both libraries agree:
// with CAP_NET_RAW alone (uid nobody, ambient capability) activation in promiscuous mode
// succeeds and the device is promiscuous while the handle is open; with no capability it is
// PCAP_ERROR_PERM_DENIED from socket(), never PCAP_ERROR_PROMISC_PERM_DENIED.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "live/capi/clients.hpp"

namespace pcapxx {
namespace {

using test::show;
using test::VethPair;

const std::string kPromiscSource = PCAPXX_SOURCE_DIR "/tests/live/capi/data/promisc_open.c";

struct PromiscPrograms {
  std::string ours;
  std::string oracle;
  std::string error;
};

// promisc_open built once against our headers and library, once against Debian's, in a
// directory everyone can read (the programs run as nobody).
const PromiscPrograms& promisc_programs() {
  static const PromiscPrograms p = [] {
    PromiscPrograms r;
    std::string dir = fmt::format("/tmp/pcapxx-live-promisc-{}", ::getpid());
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                          std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                          std::filesystem::perms::others_exec);
    static const struct RemoveAtExit {
      std::string dir;
      ~RemoveAtExit() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    } remove_at_exit{dir};
    r.ours = dir + "/promisc_ours";
    r.oracle = dir + "/promisc_oracle";
    const std::vector<std::string> flags = {"cc", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror", "-o"};
    auto ours = flags;
    ours.insert(ours.end(), {r.ours, "-I" PCAPXX_SOURCE_DIR "/include", kPromiscSource, "-L" + test::kOurLibDir,
                             "-lpcap", "-Wl,-rpath," + test::kOurLibDir});
    auto built = test::run(ours);
    if (built.status != 0) r.error = "against pcapxx: " + built.err;
    auto oracle = flags;
    oracle.insert(oracle.end(), {r.oracle, kPromiscSource, test::kOracleLibpcap});
    built = test::run(oracle);
    if (built.status != 0) r.error += "against Debian's libpcap: " + built.err;
    return r;
  }();
  return p;
}

// Runs the program for one side as uid nobody with the given capabilities (setpriv syntax,
// e.g. "+net_raw"; "" for none).
test::RunResult run_as_nobody(const VethPair& link, bool ours, const std::string& caps) {
  const auto& p = promisc_programs();
  std::string setpriv = "setpriv --reuid=65534 --regid=65534 --clear-groups";
  if (!caps.empty()) setpriv += fmt::format(" --inh-caps=-all,{0} --ambient-caps=-all,{0}", caps);
  return test::run_in(link.capture_ns(), ours,
                      fmt::format("{} {} {}", setpriv, ours ? p.ours : p.oracle, link.capture_if()));
}

TEST(PromiscLive, CapNetRawAloneMayGoPromiscuousAsWithLibpcap) {
  ASSERT_TRUE(promisc_programs().error.empty()) << promisc_programs().error;
  VethPair link;
  auto theirs = run_as_nobody(link, false, "+net_raw");
  auto ours = run_as_nobody(link, true, "+net_raw");
  ASSERT_EQ(theirs.status, 0) << show(theirs);
  EXPECT_EQ(theirs.out, "activate 0 (Unknown error: 0)\npromiscuous while open: 1\n") << show(theirs);
  EXPECT_EQ(ours.status, 0) << show(ours);
  EXPECT_EQ(ours.out, theirs.out) << "=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
}

TEST(PromiscLive, NoCapabilityIsPermDeniedNotPromiscPermDenied) {
  ASSERT_TRUE(promisc_programs().error.empty()) << promisc_programs().error;
  VethPair link;
  auto theirs = run_as_nobody(link, false, "");
  auto ours = run_as_nobody(link, true, "");
  ASSERT_EQ(theirs.status, 0) << show(theirs);
  EXPECT_EQ(theirs.out,
            "activate -8 (You don't have permission to perform this capture on that device)\n"
            "error: socket: Operation not permitted\npromiscuous while open: 0\n")
      << show(theirs);
  EXPECT_EQ(ours.out, theirs.out) << "=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
}

}  // namespace
}  // namespace pcapxx
