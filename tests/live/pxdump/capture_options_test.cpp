// pxdump's capture options live: -p over a bridge (foreign unicast seen only when promiscuous)
// and the device's promiscuity while it runs, -I refused as tcpdump refuses it, -B reaching
// the ring (a tiny one drops, the default does not; an absurd one falls back and says so),
// the closing lines and the account of where packets were lost adding up, and pxdump and
// tcpdump writing the same packets from the same traffic at the same time.
#include <gtest/gtest.h>

#include <signal.h>

#include <array>
#include <optional>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "common/run.hpp"
#include "core/byte_order.hpp"
#include "live/capture/bridge.hpp"
#include "live/netns.hpp"
#include "live/netns_process.hpp"
#include "live/tcpdump_writer.hpp"

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

const std::string kPxdump = PCAPXX_BIN_DIR "/pxdump";

std::string hex_list(const std::vector<Captured>& frames) {
  std::string s;
  for (const auto& f : frames) s += "\n  " + hex(f.data, 24);
  return s.empty() ? " (none)" : s;
}

std::vector<Bytes> data_of(const std::vector<Captured>& got) {
  std::vector<Bytes> out;
  for (const auto& c : got) out.push_back(c.data);
  return out;
}

TEST(PxdumpCaptureOptions, OverABridgeForeignUnicastOnlyWithoutDashP) {
  BridgedLink b;
  FrameSender tx(b.link.peer_ns(), b.link.peer_if());
  std::uint32_t seq = 0;
  for (bool promiscuous : {true, false}) {
    SCOPED_TRACE(promiscuous ? "default (promiscuous)" : "-p");
    TempFile file("pxbrp");
    std::vector<Bytes> foreign, control;
    for (int i = 0; i < 3; ++i) foreign.push_back(make_frame(test_mac(0x77), VethPair::peer_mac(), kTestEthertype, 80 + i, seq++));
    control.push_back(make_frame(BridgedLink::bridge_mac(), VethPair::peer_mac(), kTestEthertype, 90, seq++));
    std::vector<Bytes> want = promiscuous ? foreign : std::vector<Bytes>{};
    want.push_back(control[0]);
    // -c stops at the number wanted: a wrongly captured foreign frame takes the place of the
    // control frame and shows in the comparison.
    // -Q in: the bridge's own IPv4 stack sends IGMP reports of its own now and then.
    std::vector<std::string> args = {"-Q", "in", "-i", b.bridge(), "-c", std::to_string(want.size()), "-w", file.path};
    if (!promiscuous) args.insert(args.begin(), "-p");
    PxdumpProcess px(b.link.capture_ns(), args);
    ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
    for (const auto& f : foreign) tx.send(f);
    tx.send(control[0]);
    ASSERT_EQ(px.wait(), 0) << px.err();
    auto got = read_pcap(file.path);
    EXPECT_EQ(data_of(got), want) << "got:" << hex_list(got);
  }
}

/// The device's promiscuity count (`ip -d link`) and whether IFF_PROMISC is in its flags
/// (/sys/class/net/DEV/flags, as `ip netns exec` mounts the namespace's sysfs).
std::pair<long, bool> promiscuity(const Netns& ns, const std::string& dev) {
  std::string link = shell_output(fmt::format("ip -n {} -d link show dev {}", ns.name(), dev));
  std::smatch m;
  long count = -1;
  if (std::regex_search(link, m, std::regex(R"(promiscuity (\d+))"))) count = std::stol(m[1]);
  std::string flags = shell_output(ns.exec_command(fmt::format("cat /sys/class/net/{}/flags", dev)));
  return {count, (std::stoul(flags, nullptr, 16) & 0x100) != 0};  // IFF_PROMISC
}

TEST(PxdumpCaptureOptions, DashPLeavesTheDeviceNotPromiscuous) {
  VethPair link;
  ASSERT_EQ(promiscuity(link.capture_ns(), link.capture_if()), std::pair(0L, false));
  for (bool promiscuous : {true, false}) {
    SCOPED_TRACE(promiscuous ? "default" : "-p");
    std::vector<std::string> args = {"-i", link.capture_if(), "-w", "/dev/null"};
    if (!promiscuous) args.insert(args.begin(), "-p");
    PxdumpProcess px(link.capture_ns(), args);
    ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
    EXPECT_EQ(promiscuity(link.capture_ns(), link.capture_if()),
              promiscuous ? std::pair(1L, true) : std::pair(0L, false));
    px.signal(SIGINT);
    ASSERT_EQ(px.wait(), 0) << px.err();
    EXPECT_EQ(promiscuity(link.capture_ns(), link.capture_if()), std::pair(0L, false)) << "after pxdump ended";
  }
}

TEST(PxdumpCaptureOptions, MonitorModeIsRefusedAsTcpdumpRefusesIt) {
  VethPair link;
  auto ours = run({"ip", "netns", "exec", link.capture_ns().name(), kPxdump, "-I", "-i", link.capture_if(), "-c", "1"});
  auto theirs = run({"ip", "netns", "exec", link.capture_ns().name(), "tcpdump", "-I", "-i", link.capture_if(), "-c", "1"});
  EXPECT_EQ(ours.status, 1);
  EXPECT_EQ(ours.err, fmt::format("pxdump: {}: activate: that device doesn't support monitor mode (it is not a "
                                  "wireless device)\n", link.capture_if()));
  // The oracle refuses the same device for the same reason.
  EXPECT_NE(theirs.status, 0) << theirs.err;
  EXPECT_NE(theirs.err.find(link.capture_if() + ": That device doesn't support monitor mode"), std::string::npos)
      << theirs.err;
  auto help = run({kPxdump, "--help"});
  EXPECT_NE(help.out.find("  -I "), std::string::npos) << help.out;
}

std::uint64_t rx_packets(const Netns& ns, const std::string& dev) {
  return std::stoull(shell_output(ns.exec_command(fmt::format("cat /sys/class/net/{}/statistics/rx_packets", dev))));
}

/// The numbers of "where packets were lost on DEV: received R, delivered D; lost L in the ring";
/// nothing when the line is missing.
std::optional<std::array<std::uint64_t, 3>> where_lost(const std::string& err, const std::string& dev) {
  std::smatch m;
  const std::regex line("pxdump: where packets were lost on " + dev +
                        R"(: received (\d+), delivered (\d+); lost (\d+) in the ring)");
  if (!std::regex_search(err, m, line)) return std::nullopt;
  return std::array<std::uint64_t, 3>{std::stoull(m[1]), std::stoull(m[2]), std::stoull(m[3])};
}

// pxdump is stopped (SIGSTOP) while a flood arrives, so what its ring holds is what the
// buffer size allows, whatever the machine's speed: the default 2 MiB holds all 2000 frames,
// -B 8 (8 KiB) fewer than 103 (the smallest footprint of a packet in a block is 80 bytes).
TEST(PxdumpCaptureOptions, BufferSizeReachesTheRingAndLossesAddUp) {
  VethPair link;
  FrameSender tx(link.peer_ns(), link.peer_if());
  constexpr std::uint32_t kSent = 2000;
  for (bool tiny : {false, true}) {
    SCOPED_TRACE(tiny ? "-B 8" : "default buffer");
    TempFile file("pxbuf");
    // Immediate mode: the packets of the block the kernel is still filling are delivered too,
    // so after SIGCONT everything the ring holds reaches the file without waiting for the block
    // timeout (what is still in the ring at SIGINT is counted received, never captured).
    std::vector<std::string> args = {"-i", link.capture_if(), "-s", "256", "--immediate-mode", "-U", "-w", file.path};
    if (tiny) args.insert(args.begin(), {"-B", "8"});
    PxdumpProcess px(link.capture_ns(), args);
    ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
    const std::uint64_t rx_before = rx_packets(link.capture_ns(), link.capture_if());
    px.signal(SIGSTOP);
    for (std::uint32_t i = 0; i < kSent; ++i) {
      tx.send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 200, i));
    }
    const std::uint64_t arrived = rx_packets(link.capture_ns(), link.capture_if()) - rx_before;
    px.signal(SIGCONT);
    // Let it write what its ring holds: all of it with the default buffer, else until the file
    // stops growing (bounded; the counts below fail on their own if it was cut short).
    std::size_t written = 0;
    for (int i = 0, same = 0; i < 200 && same < 3 && written < kSent; ++i) {
      std::this_thread::sleep_for(50ms);
      const std::size_t now = read_pcap(file.path).size();
      same = tiny && now == written && now > 0 ? same + 1 : 0;
      written = now;
    }
    px.signal(SIGINT);
    ASSERT_EQ(px.wait(), 0) << px.err();
    auto n = closing_counts(px.err());
    const auto got = read_pcap(file.path);
    fmt::print("{}: sent {}, arrived {}; pxdump: {} captured, {} received by filter, {} dropped by kernel\n",
               tiny ? "-B 8" : "default", kSent, arrived, n[0], n[1], n[2]);
    EXPECT_EQ(arrived, kSent) << "the device itself lost frames";
    EXPECT_EQ(static_cast<std::size_t>(n[0]), got.size()) << px.err();
    EXPECT_EQ(static_cast<std::uint64_t>(n[1]), arrived) << px.err();
    EXPECT_EQ(n[0] + n[2], n[1]) << "captured + dropped == received\n" << px.err();
    for (std::size_t i = 1; i < got.size(); ++i) {
      EXPECT_LT(pcapxx::detail::load_be32(got[i - 1].data.data() + 14), pcapxx::detail::load_be32(got[i].data.data() + 14)) << i;
    }
    auto lost = where_lost(px.err(), link.capture_if());
    if (lost) fmt::print("{}", px.err().substr(px.err().find(" packets captured") == std::string::npos ? 0 : px.err().rfind('\n', px.err().find(" packets captured")) + 1));
    if (!tiny) {
      EXPECT_EQ(n[0], static_cast<long>(kSent)) << px.err();
      EXPECT_EQ(n[2], 0) << px.err();
      EXPECT_FALSE(lost) << "nothing was lost, so no account: " << px.err();
      continue;
    }
    EXPECT_LT(n[0], 103) << "an 8 KiB ring cannot hold more\n" << px.err();
    EXPECT_GT(n[2], 0) << px.err();
    ASSERT_TRUE(lost) << px.err();
    EXPECT_EQ((*lost)[0], static_cast<std::uint64_t>(n[1])) << px.err();
    EXPECT_EQ((*lost)[1], static_cast<std::uint64_t>(n[0])) << px.err();
    EXPECT_EQ((*lost)[2], static_cast<std::uint64_t>(n[2])) << px.err();
    EXPECT_NE(px.err().find("none dropped by the device"), std::string::npos) << px.err();
  }
}

TEST(PxdumpCaptureOptions, AnAbsurdBufferFallsBackAndSaysSo) {
  VethPair link;
  TempFile file("pxbig");
  // 2^32 KiB = 4 TiB, more than any machine this runs on.
  PxdumpProcess px(link.capture_ns(), {"-B", "4294967296", "-i", link.capture_if(), "-c", "2", "-w", file.path});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> sent;
  for (std::uint32_t i = 0; i < 2; ++i) {
    sent.push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 100, i));
    tx.send(sent.back());
  }
  ASSERT_EQ(px.wait(), 0) << px.err();
  EXPECT_TRUE(std::regex_search(
      px.err(), std::regex("(^|\n)pxdump: WARNING: " + link.capture_if() +
                           R"(: buffer of 4398046511104 bytes is larger than this machine's memory \(\d+ bytes\); )"
                           R"(using the default 2097152 bytes\n)")))
      << px.err();
  EXPECT_EQ(data_of(read_pcap(file.path)), sent);
}

TEST(PxdumpCaptureOptions, SamePacketsAsTcpdumpCapturingAtTheSameTime) {
  VethPair link;
  TempFile ours_file("pxsame"), theirs_file("tdsame");
  const std::string filter = fmt::format("not ether proto {:#x}", kOtherEthertype);
  // The same options as the oracle's (tcpdump_writer.hpp): whole frames, 8 MiB, both directions.
  Tcpdump oracle(link.capture_ns(), link.capture_if(), theirs_file.path, filter, /*inbound_only=*/false);
  PxdumpProcess px(link.capture_ns(), {"-i", link.capture_if(), "-w", ours_file.path, "-U", "--immediate-mode", "-s",
                                       "0", "-B", "8192", filter});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();

  FrameSender from_peer(link.peer_ns(), link.peer_if()), from_us(link.capture_ns(), link.capture_if());
  const MacAddress us = VethPair::capture_mac(), them = VethPair::peer_mac();
  std::size_t wanted = 0;
  std::uint32_t seq = 0;
  auto send = [&](const FrameSender& tx, const Bytes& f, bool kept) {
    tx.send(f);
    wanted += kept;
  };
  for (std::size_t size = 60; size <= 1514; size += 113) {
    send(from_peer, make_frame(us, them, kTestEthertype, size, seq++), true);
    send(from_peer, make_frame(us, them, kOtherEthertype, size, seq++), false);
    send(from_us, make_frame(them, us, 0x0800, size + 3, seq++), true);
  }
  send(from_peer, make_frame({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, them, 0x0806, 60, seq++), true);
  send(from_peer, make_frame(test_mac(0x42), them, kTestEthertype, 1514, seq++), true);
  send(from_peer, make_frame(us, them, kTestEthertype, 200, seq++, {{0x8100, 0x2005}}), true);

  for (int i = 0; i < 500 && read_pcap(ours_file.path).size() < wanted; ++i) std::this_thread::sleep_for(20ms);
  auto theirs = finish_tcpdump(oracle, theirs_file.path, wanted);
  px.signal(SIGINT);
  ASSERT_EQ(px.wait(), 0) << px.err();
  auto ours = read_pcap(ours_file.path);

  ASSERT_EQ(theirs.size(), wanted) << "tcpdump:" << hex_list(theirs);
  ASSERT_EQ(ours.size(), theirs.size()) << "pxdump:" << hex_list(ours) << "\ntcpdump:" << hex_list(theirs);
  expect_same_as_tcpdump(ours, theirs, "pxdump");
  EXPECT_EQ(closing_counts(px.err())[0], static_cast<long>(wanted)) << px.err();
}

}  // namespace
}  // namespace pcapxx::test
