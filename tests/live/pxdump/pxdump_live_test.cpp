// pxdump capturing live in network namespaces: the frames it writes are exactly the frames
// sent, filters and -Q select the right ones, SIGINT ends a capture with a valid file and
// tcpdump's closing lines, -D lists what tcpdump -D lists, errors exit 1 with a message.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "common/run.hpp"
#include "live/netns.hpp"
#include "live/netns_process.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::test {
namespace {

using Bytes = std::vector<std::byte>;
using namespace std::chrono_literals;

const std::string kPxdump = PCAPXX_BIN_DIR "/pxdump";
constexpr std::uint16_t kWanted = 0x88b5;  // IEEE 802 local experimental ethertypes
constexpr std::uint16_t kOther = 0x88b6;

// An Ethernet frame of `size` bytes whose payload starts with `seq`, then a byte pattern.
Bytes make_frame(const MacAddress& dst, const MacAddress& src, std::uint16_t ethertype, std::size_t size,
                 std::uint32_t seq) {
  Bytes b;
  for (auto x : dst) b.push_back(static_cast<std::byte>(x));
  for (auto x : src) b.push_back(static_cast<std::byte>(x));
  b.push_back(static_cast<std::byte>(ethertype >> 8));
  b.push_back(static_cast<std::byte>(ethertype & 0xff));
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::byte>(seq >> (8 * i)));
  while (b.size() < size) b.push_back(static_cast<std::byte>((b.size() * 13 + seq) & 0xff));
  return b;
}

std::string temp_file(const std::string& ext) {
  static int n = 0;
  return fmt::format("/tmp/pcapxx-pxdump-live-{}-{}{}", getpid(), n++, ext);
}

using Pxdump = PxdumpProcess;

struct Packet {
  Bytes data;
  std::uint32_t origlen;
};

std::vector<Packet> read_packets(const std::string& file, std::string* error = nullptr) {
  std::vector<Packet> out;
  auto reader = SavefileReader::open(file);
  if (!reader) {
    if (error) *error = reader.error().what();
    return out;
  }
  for (const PacketView& p : **reader) out.push_back({{p.data.begin(), p.data.end()}, p.header.origlen});
  if ((*reader)->error() && error) *error = (*reader)->error()->what();
  return out;
}

std::string hex(const Bytes& b) {
  std::string s;
  for (std::size_t i = 0; i < std::min<std::size_t>(b.size(), 24); ++i) s += fmt::format("{:02x}", std::to_integer<int>(b[i]));
  return s + (b.size() > 24 ? "..." : "");
}

void expect_same_frames(const std::vector<Packet>& got, const std::vector<Bytes>& sent, const std::string& where) {
  ASSERT_EQ(got.size(), sent.size()) << where;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(got[i].data, sent[i]) << where << " frame " << i << "\n  captured: " << hex(got[i].data)
                                    << "\n  sent:     " << hex(sent[i]);
    EXPECT_EQ(got[i].origlen, sent[i].size()) << where << " frame " << i;
  }
}

// Sends `count` kWanted frames from the peer side, frame i of `size + step * i` bytes with
// sequence number i; the frames sent.
std::vector<Bytes> send_wanted(const VethPair& link, std::uint32_t count, std::size_t size, std::size_t step = 0) {
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> sent;
  for (std::uint32_t i = 0; i < count; ++i) {
    sent.push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kWanted, size + step * i, i));
    tx.send(sent.back());
  }
  return sent;
}

// Sends six `size`-byte frames from the peer side, kOther and kWanted in turn; the kWanted ones.
std::vector<Bytes> send_wanted_between_others(const VethPair& link, std::size_t size) {
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> wanted;
  for (std::uint32_t i = 0; i < 6; ++i) {
    Bytes f = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), i % 2 ? kWanted : kOther, size, i);
    if (i % 2) wanted.push_back(f);
    tx.send(f);
  }
  return wanted;
}

TEST(PxdumpLive, WritesExactlyTheFramesSent) {
  VethPair link;
  std::string file = temp_file(".pcap");
  Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "-c", "5", "-w", file});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  const auto sent = send_wanted(link, 5, 60, 100);
  ASSERT_EQ(px.wait(), 0) << px.err();
  std::string err;
  expect_same_frames(read_packets(file, &err), sent, "pxdump -c 5 -w");
  EXPECT_EQ(err, "");
  EXPECT_EQ(px.err().substr(0, px.err().find('\n') + 1),
            fmt::format("pxdump: listening on {}, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n",
                        link.capture_if()));
  auto n = closing_counts(px.err());
  EXPECT_EQ(n[0], 5) << px.err();
  EXPECT_GE(n[1], 5) << px.err();
  EXPECT_EQ(n[2], 0) << px.err();
  std::filesystem::remove(file);
}

TEST(PxdumpLive, FilterAndSnaplenSelectAndCut) {
  VethPair link;
  std::string file = temp_file(".pcap");
  Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "-c", "3", "-s", "100", "-w", file, "ether", "proto",
                                fmt::format("{:#x}", kWanted)});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  const auto wanted = send_wanted_between_others(link, 300);
  ASSERT_EQ(px.wait(), 0) << px.err();
  EXPECT_NE(px.err().find("snapshot length 100 bytes"), std::string::npos) << px.err();
  auto got = read_packets(file);
  ASSERT_EQ(got.size(), 3u) << px.err();
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].data, Bytes(wanted[i].begin(), wanted[i].begin() + 100)) << "frame " << i << ": " << hex(got[i].data);
    EXPECT_EQ(got[i].origlen, 300u);
  }
  std::filesystem::remove(file);
}

// `-i any` with a filter: the program compiled for LINUX_SLL is translated for the cooked
// socket (whose kernel filter sees no cooked header), so exactly the wanted frames arrive, each
// behind its 16-byte cooked header; the any device's promiscuous warning names it once.
TEST(PxdumpLive, AnyWithAFilterKeepsExactlyTheWantedFrames) {
  VethPair link;
  std::string file = temp_file(".pcap");
  Pxdump px(link.capture_ns(), {"-i", "any", "-c", "3", "-w", file, "ether", "proto", fmt::format("{:#x}", kWanted)});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  const auto wanted = send_wanted_between_others(link, 120);
  ASSERT_EQ(px.wait(), 0) << px.err();
  EXPECT_NE(px.err().find("pxdump: WARNING: any: promiscuous mode is not supported on the any device\n"),
            std::string::npos) << px.err();
  EXPECT_EQ(px.err().find("any: any:"), std::string::npos) << px.err();
  EXPECT_NE(px.err().find("link-type LINUX_SLL"), std::string::npos) << px.err();
  auto got = read_packets(file);
  ASSERT_EQ(got.size(), 3u) << px.err();
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(got[i].data.size(), wanted[i].size() - 14 + 16) << "frame " << i << ": " << hex(got[i].data);
    EXPECT_TRUE(std::equal(wanted[i].begin() + 14, wanted[i].end(), got[i].data.begin() + 16))
        << "frame " << i << ": " << hex(got[i].data);
    EXPECT_EQ(std::to_integer<unsigned>(got[i].data[14]) << 8 | std::to_integer<unsigned>(got[i].data[15]), kWanted);
  }
  std::filesystem::remove(file);
}

TEST(PxdumpLive, DirectionInAndOut) {
  VethPair link;
  for (std::string dir : {"in", "out"}) {
    std::string file = temp_file(".pcap");
    Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "-Q", dir, "-c", "2", "-w", file});
    ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
    FrameSender from_peer(link.peer_ns(), link.peer_if());
    FrameSender from_us(link.capture_ns(), link.capture_if());
    std::vector<Bytes> in, out;
    for (std::uint32_t i = 0; i < 2; ++i) {
      out.push_back(make_frame(VethPair::peer_mac(), VethPair::capture_mac(), kWanted, 80, 100 + i));
      from_us.send(out.back());
      in.push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kWanted, 80, 200 + i));
      from_peer.send(in.back());
    }
    ASSERT_EQ(px.wait(), 0) << px.err();
    expect_same_frames(read_packets(file), dir == "in" ? in : out, "-Q " + dir);
    std::filesystem::remove(file);
  }
}

TEST(PxdumpLive, SigintEndsACaptureWithAValidFileAndTheClosingLines) {
  VethPair link;
  for (int sig : {SIGINT, SIGTERM}) {
    std::string file = temp_file(".pcap");
    Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "--immediate-mode", "-U", "-w", file});
    ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
    const auto sent = send_wanted(link, 3, 64);
    // With -U and immediate mode each packet reaches the file on its own; wait for all three
    // (bounded), then interrupt the blocked read.
    for (int i = 0; i < 500 && read_packets(file).size() < 3; ++i) std::this_thread::sleep_for(10ms);
    px.signal(sig);
    ASSERT_EQ(px.wait(), 0) << strsignal(sig) << ": " << px.err();
    std::string err;
    auto got = read_packets(file, &err);
    EXPECT_EQ(err, "") << "the file must be complete";
    expect_same_frames(got, sent, strsignal(sig));
    auto n = closing_counts(px.err());
    EXPECT_EQ(n[0], 3) << px.err();
    EXPECT_EQ(n[1], 3) << px.err();
    EXPECT_EQ(n[2], 0) << px.err();
    std::filesystem::remove(file);
  }
}

TEST(PxdumpLive, PrintsALinePerPacketAndStopsOnSigint) {
  VethPair link;
  Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "--immediate-mode"});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  EXPECT_TRUE(px.err().starts_with(fmt::format("listening on {}, link-type EN10MB", link.capture_if()))) << px.err();
  FrameSender tx(link.peer_ns(), link.peer_if());
  tx.send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kWanted, 98, 1));
  for (int i = 0; i < 500 && px.out().empty(); ++i) std::this_thread::sleep_for(10ms);
  px.signal(SIGINT);
  ASSERT_EQ(px.wait(), 0) << px.err();
  auto lines = test::lines(px.out());
  ASSERT_GE(lines.size(), 1u) << px.out();
  // tcpdump's line for a frame of an EtherType it does not know (names resolved: no -n).
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex(R"(\d\d:\d\d:\d\d\.\d{6} 02:99:00:00:00:02 \(oui Unknown\) > 02:99:00:00:00:01 )"
                           R"(\(oui Unknown\), ethertype Unknown \(0x88b5\), length 98: ?)")))
      << lines[0];
  EXPECT_EQ(closing_counts(px.err())[0], 1) << px.err();
}

TEST(PxdumpLive, PcapngHasOneInterfaceNamedAfterTheDevice) {
  VethPair link;
  std::string file = temp_file(".pcapng");
  Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "-c", "2", "--time-stamp-precision=nano", "-w", file});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  const auto sent = send_wanted(link, 2, 70);
  ASSERT_EQ(px.wait(), 0) << px.err();
  auto reader = SavefileReader::open(file);
  ASSERT_TRUE(reader) << reader.error().what();
  EXPECT_EQ((*reader)->info().format, SavefileFormat::pcapng);
  std::vector<Packet> got;
  for (const PacketView& p : **reader) got.push_back({{p.data.begin(), p.data.end()}, p.header.origlen});
  ASSERT_EQ((*reader)->interfaces().size(), 1u);
  EXPECT_EQ((*reader)->interfaces()[0].name, link.capture_if());
  EXPECT_EQ((*reader)->interfaces()[0].ts_units_per_second, 1'000'000'000u);
  expect_same_frames(got, sent, "pcapng");
  auto ts = run({"tshark", "-r", file, "-T", "fields", "-e", "frame.interface_name"});
  EXPECT_EQ(ts.status, 0) << ts.err;
  EXPECT_EQ(ts.out, fmt::format("{0}\n{0}\n", link.capture_if()));
  std::filesystem::remove(file);
}

TEST(PxdumpLive, SeveralDevicesInOneCapture) {
  VethPair link;
  std::string second = unique_name("pxs"), second_peer = unique_name("pxt");
  link.capture_ns().ip(fmt::format("link add {} type veth peer name {}", second, second_peer));
  link.capture_ns().ip(fmt::format("link set {} up", second));
  link.capture_ns().ip(fmt::format("link set {} up", second_peer));
  std::string file = temp_file(".pcapng");
  Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "-i", second, "-c", "4", "-w", file});
  ASSERT_TRUE(px.wait_for_err(fmt::format("listening on {}", second))) << px.err();
  FrameSender a(link.peer_ns(), link.peer_if());
  FrameSender b(link.capture_ns(), second_peer);
  std::map<std::string, std::vector<Bytes>> sent;
  for (std::uint32_t i = 0; i < 2; ++i) {
    sent[link.capture_if()].push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kWanted, 90, i));
    a.send(sent[link.capture_if()].back());
    sent[second].push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kWanted, 91, 10 + i));
    b.send(sent[second].back());
  }
  ASSERT_EQ(px.wait(), 0) << px.err();
  auto reader = SavefileReader::open(file);
  ASSERT_TRUE(reader) << reader.error().what();
  std::map<std::string, std::vector<Bytes>> got;
  for (const PacketView& p : **reader) got[(*reader)->interfaces()[p.header.interface].name].push_back({p.data.begin(), p.data.end()});
  EXPECT_EQ((*reader)->interfaces().size(), 2u);
  EXPECT_EQ(got, sent);
  std::filesystem::remove(file);
}

// Capture sources libpcap lists besides network devices; pcapxx lists network devices only.
bool is_other_libpcap_source(const std::string& name) {
  return name == "nflog" || name == "nfqueue" || name.starts_with("dbus-") || name.starts_with("bluetooth") ||
         name.starts_with("usbmon") || name.starts_with("rdma");
}

TEST(PxdumpLive, ListsDevicesAsTcpdump) {
  Netns ns("pxl");
  std::string up = unique_name("pu"), peer_down = unique_name("pd"), a = unique_name("pa"), b = unique_name("pb");
  ns.ip(fmt::format("link add {} type veth peer name {}", up, peer_down));
  ns.ip(fmt::format("link add {} type veth peer name {}", a, b));
  for (const auto& n : {up, a, b}) ns.ip(fmt::format("link set {} up", n));
  for (int round = 0; round < 2; ++round) {
    if (round == 1) ns.ip("link set lo up");
    auto theirs = test::lines(shell_output(ns.exec_command("tcpdump -D 2>/dev/null")));
    auto ours_run = shell_output(ns.exec_command(kPxdump + " -D"));
    auto ours = test::lines(ours_run);
    // Same lines after the number, in the same order, once libpcap's other sources are left out.
    std::vector<std::string> expect;
    for (const auto& l : theirs) {
      std::string rest = l.substr(l.find('.') + 1);
      if (!is_other_libpcap_source(rest.substr(0, rest.find(' ')))) expect.push_back(rest);
    }
    ASSERT_EQ(expect.size(), 6u) << "tcpdump -D saw an unexpected device set:\n" << fmt::format("{}", fmt::join(theirs, "\n"));
    ASSERT_EQ(ours.size(), expect.size()) << "pxdump -D:\n" << ours_run;
    for (std::size_t i = 0; i < ours.size(); ++i) {
      EXPECT_EQ(ours[i], fmt::format("{}.{}", i + 1, expect[i]))
          << "round " << round << "\npxdump -D:\n" << ours_run << "tcpdump -D:\n" << fmt::format("{}", fmt::join(theirs, "\n"));
    }
  }
}

TEST(PxdumpLive, LinkAndTimeStampTypesInTcpdumpsWords) {
  VethPair link;
  auto ours = shell_output(link.capture_ns().exec_command(fmt::format("{} -L -i {} 2>&1", kPxdump, link.capture_if())));
  auto theirs = shell_output(link.capture_ns().exec_command(fmt::format("tcpdump -L -i {} 2>&1", link.capture_if())));
  // tcpdump also offers DOCSIS on Ethernet, which pcapxx cannot capture as.
  EXPECT_EQ(ours, fmt::format("Data link types for {} (use option -y to set):\n  EN10MB (Ethernet)\n", link.capture_if()));
  EXPECT_TRUE(theirs.starts_with(ours)) << theirs;
  ours = shell_output(link.capture_ns().exec_command(fmt::format("{} -J -i {} 2>&1", kPxdump, link.capture_if())));
  theirs = shell_output(link.capture_ns().exec_command(fmt::format("tcpdump -J -i {} 2>&1", link.capture_if())));
  EXPECT_EQ(ours, theirs);
}

TEST(PxdumpLive, ErrorsExitOneWithAMessage) {
  VethPair link;
  auto r = run({"ip", "netns", "exec", link.capture_ns().name(), kPxdump, "-i", "nosuchdev0", "-c", "1"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("pxdump: nosuchdev0: "), std::string::npos) << r.err;
  r = run({"ip", "netns", "exec", link.capture_ns().name(), kPxdump, "-i", link.capture_if(), "-c", "1", "tcp", "port"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("filter column 9: "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("listening"), std::string::npos) << "no capture may start: " << r.err;
  r = run({"ip", "netns", "exec", link.capture_ns().name(), kPxdump, "-i", link.capture_if(), "-Q", "sideways"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')), "pxdump: unknown capture direction `sideways'");
  r = run({"ip", "netns", "exec", link.capture_ns().name(), kPxdump, "-i", link.capture_if(), "-j", "sundial"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "pxdump: invalid time stamp type sundial\n");
  r = run({"ip", "netns", "exec", link.capture_ns().name(), kPxdump, "-i", link.capture_if(), "-y", "LINUX_SLL"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("LINUX_SLL is not one of the DLTs supported by this device"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pcapxx::test
