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

#include <string>

#include <fmt/format.h>

#include "live/capi/clients.hpp"

namespace pcapxx {
namespace {

using test::show;
using test::VethPair;

const std::string kPromiscSource = PCAPXX_SOURCE_DIR "/tests/live/capi/data/promisc_open.c";

// promisc_open built once against our headers and library, once against Debian's, in a
// directory everyone can read (the programs run as nobody).
const test::ProgramOnBoth& promisc_programs() {
  static const test::ProgramOnBoth p(kPromiscSource, "promisc");
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

// Runs promisc_open as nobody with `caps` on both libraries: libpcap's must print `want`, and
// ours exactly the same.
void expect_both_print(const std::string& caps, const std::string& want) {
  ASSERT_TRUE(promisc_programs().error.empty()) << promisc_programs().error;
  VethPair link;
  auto theirs = run_as_nobody(link, false, caps);
  auto ours = run_as_nobody(link, true, caps);
  ASSERT_EQ(theirs.status, 0) << show(theirs);
  EXPECT_EQ(theirs.out, want) << show(theirs);
  EXPECT_EQ(ours.status, 0) << show(ours);
  EXPECT_EQ(ours.out, theirs.out) << "=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
}

TEST(PromiscLive, CapNetRawAloneMayGoPromiscuousAsWithLibpcap) {
  expect_both_print("+net_raw", "activate 0 (Unknown error: 0)\npromiscuous while open: 1\n");
}

TEST(PromiscLive, NoCapabilityIsPermDeniedNotPromiscPermDenied) {
  expect_both_print("",
                    "activate -8 (You don't have permission to perform this capture on that device)\n"
                    "error: socket: Operation not permitted\npromiscuous while open: 0\n");
}

}  // namespace
}  // namespace pcapxx
