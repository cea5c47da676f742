// The live half of libpcap.so.0.8, through unmodified Debian programs in network namespaces:
// tcpdump (-D, -L, capturing known frames with -c, -w, -Q and a filter, error cases) and
// dumpcap (-D, a pcapng capture tshark then reads), each run once on Debian's libpcap and once
// on ours (LD_LIBRARY_PATH=<build>/lib); both sides capture the same traffic at the same time.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "live/capi/clients.hpp"
#include "live/capture/frames.hpp"

namespace pcapxx {
namespace {

using test::Background;
using test::RunResult;
using test::ScratchDir;
using test::show;
using test::VethPair;

using test::packets_in;
using test::read_back;

void send_frames(const test::Netns& ns, const std::string& ifname, const test::MacAddress& dst,
                 const test::MacAddress& src, std::uint16_t ethertype, std::uint32_t first,
                 std::uint32_t count, std::size_t size = 200) {
  test::FrameSender tx(ns, ifname);
  for (std::uint32_t i = 0; i < count; ++i) tx.send(test::make_frame(dst, src, ethertype, size, first + i));
}

TEST(TcpdumpLive, DeviceListIsLibpcaps) {
  VethPair link;
  link.capture_ns().ip(fmt::format("addr add 10.66.0.1/24 dev {}", link.capture_if()));
  auto ours = test::run_in(link.capture_ns(), true, "tcpdump -D");
  auto theirs = test::run_in(link.capture_ns(), false, "tcpdump -D");
  ASSERT_EQ(theirs.status, 0) << show(theirs);
  EXPECT_NE(theirs.out.find(link.capture_if()), std::string::npos) << theirs.out;
  EXPECT_EQ(ours.status, theirs.status);
  EXPECT_EQ(ours.out, theirs.out) << "=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
}

TEST(TcpdumpLive, DataLinkListsAreLibpcaps) {
  VethPair link;
  for (const std::string& dev : {link.capture_if(), std::string("any")}) {
    auto ours = test::run_in(link.capture_ns(), true, "tcpdump -L -i " + dev);
    auto theirs = test::run_in(link.capture_ns(), false, "tcpdump -L -i " + dev);
    ASSERT_EQ(theirs.status, 0) << show(theirs);
    EXPECT_NE((theirs.out + theirs.err).find(dev == "any" ? "LINUX_SLL2" : "DOCSIS"), std::string::npos)
        << show(theirs);
    EXPECT_EQ(ours.status, theirs.status);
    EXPECT_EQ(ours.out, theirs.out) << "=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
    EXPECT_EQ(ours.err, theirs.err);
  }
}

// Starts tcpdump on both libraries with the same arguments, waits until both listen.
struct BothCapturing {
  ScratchDir dir;
  std::unique_ptr<Background> ours;
  std::unique_ptr<Background> theirs;
  std::string ours_file = dir.file("ours.pcap");
  std::string theirs_file = dir.file("theirs.pcap");

  BothCapturing(const test::Netns& ns, const std::string& args) {
    ours = std::make_unique<Background>(ns, true, fmt::format("tcpdump {} -w {}", args, ours_file), dir, "ours");
    theirs = std::make_unique<Background>(ns, false, fmt::format("tcpdump {} -w {}", args, theirs_file), dir, "theirs");
  }
  bool listening() { return ours->wait_for("listening on") && theirs->wait_for("listening on"); }
};

// tcpdump picks LINUX_SLL2 on "any": the cooked v2 headers (with the ifindex) must be libpcap's.
TEST(TcpdumpLive, CapturesOnAnyAsLibpcap) {
  VethPair link;
  BothCapturing both(link.capture_ns(), "-i any -c 5 --time-stamp-precision=nano 'ether proto 0x88b5 or not ip'");
  ASSERT_TRUE(both.listening()) << show(both.ours->finish()) << show(both.theirs->finish());
  send_frames(link.peer_ns(), link.peer_if(), VethPair::capture_mac(), VethPair::peer_mac(),
              test::kTestEthertype, 7, 5, 120);
  auto ours = both.ours->finish();
  auto theirs = both.theirs->finish();
  ASSERT_EQ(theirs.status, 0) << show(theirs);
  EXPECT_EQ(ours.status, 0) << show(ours);
  EXPECT_EQ(ours.err, theirs.err);
  auto a = read_back(both.ours_file);
  auto b = read_back(both.theirs_file);
  EXPECT_EQ(packets_in(b.out), 5u) << b.out;
  EXPECT_NE(b.err.find("LINUX_SLL2"), std::string::npos) << b.err;
  EXPECT_EQ(a.out, b.out) << "=== libpcap's file\n" << b.out << "=== pcapxx's file\n" << a.out;
  EXPECT_EQ(a.err.substr(a.err.find(',')), b.err.substr(b.err.find(',')));
  // Nanosecond files: the pcap magic 0xa1b23c4d, in this machine's byte order.
  for (const auto& f : {both.ours_file, both.theirs_file}) {
    auto magic = test::run({"od", "-A", "n", "-t", "x4", "-N", "4", f});
    EXPECT_EQ(magic.out, " a1b23c4d\n") << f;
  }
}

TEST(TcpdumpLive, CapturesTheSameFramesAsLibpcap) {
  VethPair link;
  // -j adapter: refused with a warning by pcap_set_tstamp_type, nothing more at activation.
  BothCapturing both(link.capture_ns(), fmt::format("-i {} -c 8 -j adapter", link.capture_if()));
  ASSERT_TRUE(both.listening()) << show(both.ours->finish()) << show(both.theirs->finish());
  send_frames(link.peer_ns(), link.peer_if(), VethPair::capture_mac(), VethPair::peer_mac(),
              test::kTestEthertype, 0, 8);
  auto ours = both.ours->finish();
  auto theirs = both.theirs->finish();
  ASSERT_EQ(theirs.status, 0) << show(theirs);
  EXPECT_EQ(ours.status, 0) << show(ours);
  EXPECT_NE(theirs.err.find("WARNING: When trying to set timestamp type 'adapter'"), std::string::npos) << theirs.err;
  EXPECT_EQ(ours.err, theirs.err);
  auto a = read_back(both.ours_file);
  auto b = read_back(both.theirs_file);
  EXPECT_EQ(packets_in(b.out), 8u) << b.out;
  EXPECT_EQ(a.out, b.out) << "=== libpcap's file\n" << b.out << "=== pcapxx's file\n" << a.out;
  EXPECT_EQ(a.status, 0) << show(a);
}

TEST(TcpdumpLive, DirectionFilterAndCountAsLibpcap) {
  VethPair link;
  BothCapturing both(link.capture_ns(),
                     fmt::format("-i {} -Q in -c 3 -s 100 'ether proto 0x88b5'", link.capture_if()));
  ASSERT_TRUE(both.listening()) << show(both.ours->finish()) << show(both.theirs->finish());
  // Outgoing frames of the right type, incoming ones of another type, then the wanted ones.
  send_frames(link.capture_ns(), link.capture_if(), VethPair::peer_mac(), VethPair::capture_mac(),
              test::kTestEthertype, 100, 3);
  send_frames(link.peer_ns(), link.peer_if(), VethPair::capture_mac(), VethPair::peer_mac(),
              test::kOtherEthertype, 200, 3);
  send_frames(link.peer_ns(), link.peer_if(), VethPair::capture_mac(), VethPair::peer_mac(),
              test::kTestEthertype, 300, 5);
  auto ours = both.ours->finish();
  auto theirs = both.theirs->finish();
  ASSERT_EQ(theirs.status, 0) << show(theirs);
  EXPECT_EQ(ours.status, 0) << show(ours);
  auto a = read_back(both.ours_file);
  auto b = read_back(both.theirs_file);
  // Three frames, each 100 of 200 bytes, sequence numbers 300, 301, 302 (0x12c...).
  EXPECT_EQ(packets_in(b.out), 3u) << b.out;
  EXPECT_NE(b.out.find("0000 012c"), std::string::npos) << b.out;
  EXPECT_EQ(a.out, b.out) << "=== libpcap's file\n" << b.out << "=== pcapxx's file\n" << a.out;
}

TEST(TcpdumpLive, RefusalsAsLibpcap) {
  VethPair link;
  link.capture_ns().ip(fmt::format("link set {} down", link.capture_if()));
  const std::vector<std::string> commands = {
      "tcpdump -i pxnosuchdev0 -c 1",
      fmt::format("tcpdump -i {} -c 1", link.capture_if()),        // down
      fmt::format("tcpdump -I -i {} -c 1", link.peer_if()),         // not in this namespace
      "tcpdump -i lo -I -c 1",                                      // monitor mode
      "tcpdump -i lo -c 1 'tcp port'",                              // a syntax error
  };
  for (const auto& c : commands) {
    auto ours = test::run_in(link.capture_ns(), true, "timeout 10 " + c);
    auto theirs = test::run_in(link.capture_ns(), false, "timeout 10 " + c);
    EXPECT_EQ(ours.status, theirs.status) << c << "\n" << show(ours) << show(theirs);
    EXPECT_NE(theirs.status, 0) << c << "\n" << show(theirs);
    EXPECT_EQ(ours.err.substr(0, ours.err.find('\n')), theirs.err.substr(0, theirs.err.find('\n')))
        << c << "\n=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
  }
}

// Without CAP_NET_RAW (uid nobody, no capabilities) activation fails with
// PCAP_ERROR_PERM_DENIED; tcpdump and dumpcap show the status and the error buffer.
TEST(TcpdumpLive, WithoutPrivilegesAsLibpcap) {
  VethPair link;
  const std::string nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  const std::vector<std::string> commands = {
      fmt::format("{}tcpdump -i {} -c 1", nobody, link.capture_if()),
      nobody + "tcpdump -i any -c 1",
      fmt::format("{}dumpcap -i {} -c 1 -w /dev/null", nobody, link.capture_if()),
  };
  for (const auto& c : commands) {
    auto ours = test::run_in(link.capture_ns(), true, "timeout 10 " + c);
    auto theirs = test::run_in(link.capture_ns(), false, "timeout 10 " + c);
    EXPECT_EQ(theirs.status, 1) << c << "\n" << show(theirs);
    EXPECT_NE(theirs.err.find("permission"), std::string::npos) << c << "\n" << show(theirs);
    EXPECT_EQ(ours.status, theirs.status) << c << "\n" << show(ours);
    EXPECT_EQ(ours.err, theirs.err) << c << "\n=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
  }
}

// No -c: tcpdump captures until SIGINT, whose handler calls pcap_breakloop; tcpdump then
// prints the pcap_stats counts. With -U --immediate-mode each frame reaches the file at once,
// so the test waits for the bytes, not for a time.
TEST(TcpdumpLive, InterruptedCaptureAndItsStatisticsAsLibpcap) {
  VethPair link;
  BothCapturing both(link.capture_ns(),
                     fmt::format("-i {} -U --immediate-mode 'ether proto 0x88b5'", link.capture_if()));
  ASSERT_TRUE(both.listening()) << show(both.ours->finish()) << show(both.theirs->finish());
  send_frames(link.peer_ns(), link.peer_if(), VethPair::capture_mac(), VethPair::peer_mac(),
              test::kOtherEthertype, 50, 4);
  send_frames(link.peer_ns(), link.peer_if(), VethPair::capture_mac(), VethPair::peer_mac(),
              test::kTestEthertype, 60, 6, 180);
  // pcap file header 24 bytes, then per frame a 16-byte record header and 180 bytes.
  const std::uintmax_t want = 24 + 6 * (16 + 180);
  auto size_of = [](const std::string& f) {
    std::error_code ec;
    auto n = std::filesystem::file_size(f, ec);
    return ec ? 0 : n;
  };
  for (int i = 0; i < 1000 && (size_of(both.ours_file) < want || size_of(both.theirs_file) < want); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(size_of(both.theirs_file), want);
  EXPECT_EQ(size_of(both.ours_file), want);
  both.ours->signal(SIGINT);
  both.theirs->signal(SIGINT);
  auto ours = both.ours->finish();
  auto theirs = both.theirs->finish();
  ASSERT_EQ(theirs.status, 0) << show(theirs);
  EXPECT_NE(theirs.err.find("6 packets captured\n6 packets received by filter\n0 packets dropped by kernel\n"),
            std::string::npos) << show(theirs);
  EXPECT_EQ(ours.status, 0) << show(ours);
  EXPECT_EQ(ours.err, theirs.err) << "=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
  auto a = read_back(both.ours_file);
  auto b = read_back(both.theirs_file);
  EXPECT_EQ(packets_in(b.out), 6u) << b.out;
  EXPECT_EQ(a.out, b.out) << "=== libpcap's file\n" << b.out << "=== pcapxx's file\n" << a.out;
}

TEST(DumpcapLive, DeviceListAndPcapngCaptureReadByTshark) {
  VethPair link;
  auto ours_list = test::run_in(link.capture_ns(), true, "dumpcap -D");
  auto theirs_list = test::run_in(link.capture_ns(), false, "dumpcap -D");
  ASSERT_EQ(theirs_list.status, 0) << show(theirs_list);
  EXPECT_EQ(ours_list.out, theirs_list.out) << show(theirs_list) << show(ours_list);
  EXPECT_EQ(ours_list.status, theirs_list.status);

  ScratchDir dir;
  // Sizes and types agree (the two may start at different frames).
  auto r = test::dumpcap_on_both(link, dir, fmt::format("-q -i {} -c 6", link.capture_if()),
                                 {"frame.len", "frame.cap_len", "eth.type", "frame.interface_name"}, 6);
  const auto& ta = r.ours_fields;
  const auto& tb = r.theirs_fields;
  EXPECT_NE(tb.out.find("300\t300\t0x88b5\t" + link.capture_if()), std::string::npos) << tb.out;
  EXPECT_EQ(ta.out, tb.out) << "=== libpcap\n" << tb.out << "=== pcapxx\n" << ta.out;
}

}  // namespace
}  // namespace pcapxx
