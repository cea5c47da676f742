// pxsend end to end: replay a shared capture into a veth pair and capture it on the other end
// with tcpdump; the bytes must match the file and the gaps its timing (within a tolerance stated
// below); --pps, --loop, --frame and the progress line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pty.h>

#include <cmath>

#include "common/run.hpp"
#include "live/inject/support.hpp"

namespace pcapxx::test {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

const std::string kPxsend = PCAPXX_BIN_DIR "/pxsend";

/// 5 CARP frames about 1.005 s apart (4.02 s in all): gaps far above a loaded machine's jitter.
const std::string kTimedCapture = std::string(PCAPXX_SHARED_CAPTURES) + "/libpcap/filter_carp.pcap";
/// 10 Ethernet frames.
const std::string kDnsCapture = std::string(PCAPXX_SHARED_CAPTURES) + "/gopacket/pcap_test_dns.pcap";

RunResult pxsend_in(const Netns& ns, std::vector<std::string> args) {
  std::vector<std::string> argv = {"ip", "netns", "exec", ns.name(), kPxsend};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

std::vector<Bytes> payloads(const std::vector<Captured>& c) {
  std::vector<Bytes> out;
  for (const auto& p : c) out.push_back(p.data);
  return out;
}

/// Replays the timed capture with extra arguments and checks bytes and gaps: each gap between
/// consecutive captured frames must be within 100 ms + 10% of the file's gap divided by
/// `speedup`, and the whole run within 100 ms + 5% of the file's duration divided by `speedup`.
/// (pxsend schedules every frame from the start, so lateness does not add up across frames.)
void replay_timing_case(std::vector<std::string> extra, double speedup) {
  auto file = read_pcap(kTimedCapture);
  ASSERT_EQ(file.size(), 5u);
  VethPair link;
  TempFile out("pxsendt");
  Tcpdump oracle(link.capture_ns(), link.capture_if(), out.path);
  std::vector<std::string> args = {"-i", link.peer_if(), "--replay", kTimedCapture, "--quiet"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = pxsend_in(link.peer_ns(), args);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sent 5 packets (350 bytes), failed 0"));
  auto got = finish_tcpdump(oracle, out.path, file.size());
  expect_same(payloads(file), got, "tcpdump");
  ASSERT_EQ(got.size(), file.size());
  auto secs = [](Timestamp a, Timestamp b) { return static_cast<double>(b.ns - a.ns) / 1e9; };
  for (std::size_t i = 1; i < file.size(); ++i) {
    const double want = secs(file[i - 1].header.ts, file[i].header.ts) / speedup;
    const double have = secs(got[i - 1].header.ts, got[i].header.ts);
    EXPECT_NEAR(have, want, 0.100 + 0.10 * want) << "gap before frame " << i << ": file " << want << " s, captured "
                                                 << have << " s";
  }
  const double want_total = secs(file.front().header.ts, file.back().header.ts) / speedup;
  const double have_total = secs(got.front().header.ts, got.back().header.ts);
  EXPECT_NEAR(have_total, want_total, 0.100 + 0.05 * want_total)
      << "duration: file " << want_total << " s, captured " << have_total << " s";
}

TEST(Pxsend, ReplayKeepsTheFilesTiming) { replay_timing_case({}, 1.0); }

TEST(Pxsend, ReplayWithMultiplierScalesTheGaps) { replay_timing_case({"--multiplier", "4"}, 4.0); }

TEST(Pxsend, PpsRateRoughlyHonoured) {
  // 40 frames at 50 pps take 0.78 s from first to last. Pacing can never make them faster (the
  // lower bound, 90%, is firm); the upper bound is generous for a loaded machine (2x + 0.5 s).
  VethPair link;
  TempFile out("pxsendp");
  Tcpdump oracle(link.capture_ns(), link.capture_if(), out.path);
  auto r = pxsend_in(link.peer_ns(), {"-i", link.peer_if(), "--frame", "eth(dst=02:99:00:00:00:01)/payload(len=60)",
                                      "--count", "40", "--pps", "50", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto got = finish_tcpdump(oracle, out.path, 40);
  ASSERT_EQ(got.size(), 40u);
  const double span = static_cast<double>(got.back().header.ts.ns - got.front().header.ts.ns) / 1e9;
  EXPECT_GE(span, 0.78 * 0.9) << "40 frames at 50 pps went out in " << span << " s";
  EXPECT_LE(span, 0.78 * 2 + 0.5) << "40 frames at 50 pps went out in " << span << " s";
  EXPECT_THAT(r.out, MatchesRegex("sent 40 packets \\(2960 bytes\\), failed 0, in [0-9.]+ s: [0-9.]+ pps, [0-9.]+ Mbps\n"));
}

TEST(Pxsend, TopspeedLoopSendsTheFileNTimesInOrderOnEveryPath) {
  auto file = read_pcap(kDnsCapture);
  ASSERT_EQ(file.size(), 10u);
  std::vector<Bytes> expected;
  for (int l = 0; l < 3; ++l) {
    for (const auto& p : file) expected.push_back(p.data);
  }
  for (std::string path : {"single", "batch", "ring"}) {
    SCOPED_TRACE(path);
    VethPair link;
    TempFile out("pxsendl");
    Tcpdump oracle(link.capture_ns(), link.capture_if(), out.path);
    auto cap = open_capture(link);
    auto r = pxsend_in(link.peer_ns(), {"-i", link.peer_if(), "--replay", kDnsCapture, "--topspeed", "--loop", "3",
                                        "--path", path, "--batch", "4", "--quiet"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("sent 30 packets"));
    if (path == "ring") {
      EXPECT_THAT(r.out, HasSubstr("30 completed by the TX ring"));
    }
    auto ours = capture_n(*cap, expected.size());
    expect_same(expected, finish_tcpdump(oracle, out.path, expected.size()), "tcpdump");
    expect_same(expected, ours, "LiveCapture");
  }
}

TEST(Pxsend, FrameDescriptionBuildsTheFrameItPrintsAndSendsIt) {
  const std::string desc =
      "eth(dst=02:99:00:00:00:01,src=02:99:00:00:00:02)/vlan(id=100,pcp=5)/ipv4(src=10.1.2.3,dst=10.1.2.4,ttl=9,id=7)/"
      "udp(sport=4000,dport=53)/payload(hex=deadbeef,len=6)";
  auto printed = run({kPxsend, "--frame", desc, "--print"});
  ASSERT_EQ(printed.status, 0) << printed.err;
  // Worked out by hand: Ethernet, 802.1Q (PCP 5, VID 100), IPv4 (total length 34, checksum),
  // UDP (length 14, checksum over the pseudo-header), 6 payload bytes.
  const std::string want =
      "029900000001" "029900000002" "8100" "a064" "0800"
      "4500002200070000" "0911" "99bc" "0a010203" "0a010204"
      "0fa00035000e" "3652"
      "deadbeef0405";  // len pads with the byte index (no fill given)
  EXPECT_EQ(printed.out, want + "\n");

  Bytes frame;
  for (std::size_t i = 0; i + 1 < want.size(); i += 2) frame.push_back(static_cast<std::byte>(std::stoi(want.substr(i, 2), nullptr, 16)));
  VethPair link;
  TempFile out("pxsendf");
  Tcpdump oracle(link.capture_ns(), link.capture_if(), out.path);
  auto cap = open_capture(link);
  auto r = pxsend_in(link.peer_ns(), {"-i", link.peer_if(), "--frame", desc, "--count", "3", "--quiet"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<Bytes> expected(3, frame);
  auto ours = capture_n(*cap, 3);
  expect_same(expected, finish_tcpdump(oracle, out.path, 3), "tcpdump");
  expect_same(expected, ours, "LiveCapture");
}

TEST(Pxsend, BadDescriptionsAndOptionsSayWhere) {
  auto r = run({kPxsend, "--frame", "eth()/udp(port=1)", "--print"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err, "pxsend: frame column 11: unknown field 'port' for udp (sport, dport)\n");
  r = run({kPxsend, "--frame", "eth()/ipv4(dst=10.1.2)", "--print"});
  EXPECT_EQ(r.err, "pxsend: frame column 12: '10.1.2' is not an IPv4 address\n");
  r = run({kPxsend, "--frame", "eth()/foo", "--print"});
  EXPECT_EQ(r.err, "pxsend: frame column 7: unknown layer 'foo' (eth, vlan, ipv4, ipv6, udp, tcp, payload)\n");
  r = run({kPxsend, "-i", "lo", "--replay", kDnsCapture, "--pps", "10", "--topspeed"});
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("give only one of --multiplier, --pps, --mbps, --topspeed"));
  r = run({kPxsend, "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.out, HasSubstr("pxsend -i DEV --replay FILE"));
}

TEST(Pxsend, OversizeFramesAreCountedAsFailedAndTheRestSent) {
  VethPair link;
  TempFile out("pxsendo");
  Tcpdump oracle(link.capture_ns(), link.capture_if(), out.path);
  auto r = pxsend_in(link.peer_ns(), {"-i", link.peer_if(), "--frame", "eth(dst=02:99:00:00:00:01)/payload(len=1600)",
                                      "--count", "3", "--quiet"});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.out, HasSubstr("sent 0 packets (0 bytes), failed 3"));
  EXPECT_THAT(r.err, HasSubstr("frame of 1614 bytes is larger than MTU 1500 + 14-byte link header (1514 bytes)"));
  EXPECT_EQ(finish_tcpdump(oracle, out.path, 0).size(), 0u);
}

TEST(Pxsend, ProgressLineOnATerminalOnly) {
  VethPair link;
  int master = -1;
  pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // 30 frames at 40 pps: 0.75 s, so at least two progress updates (every 250 ms).
    std::string ns = link.peer_ns().name(), dev = link.peer_if();
    ::execlp("ip", "ip", "netns", "exec", ns.c_str(), kPxsend.c_str(), "-i", dev.c_str(), "--frame",
             "eth()/payload(len=50)", "--count", "30", "--pps", "40", nullptr);
    ::_exit(127);
  }
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(master, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(master);
  int st = 0;
  ::waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << text;
  EXPECT_THAT(text, HasSubstr("\rpxsend: "));
  EXPECT_THAT(text, HasSubstr(" sent, 0 failed, "));
  EXPECT_THAT(text, HasSubstr("sent 30 packets"));
  // Without a terminal (the other tests) standard error stays empty.
  auto r = pxsend_in(link.peer_ns(), {"-i", link.peer_if(), "--frame", "eth()/payload(len=50)", "--count", "30",
                                      "--pps", "40"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace pcapxx::test
