// Live capture through libpcap programs other than tcpdump: a C program written against the
// documented API (data/live_flow.c, built against our headers and against Debian's libpcap),
// nmap (ARP discovery and a SYN scan), nping (nmap's libpcap-based prober) and Scapy with
// conf.use_pcap (sniff and sendp through libpcap via ctypes). Each runs on our library and on Debian's; both must give the expected
// packets, and the C program must print the same on both.
#include <gtest/gtest.h>


#include <chrono>
#include <regex>
#include <string>
#include <thread>

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

const std::string kFlowSource = PCAPXX_SOURCE_DIR "/tests/live/capi/data/live_flow.c";

// live_flow built once against our headers and library, once against Debian's.
const test::ProgramOnBoth& flow_programs() {
  // pcap_lookupdev is deprecated in libpcap's header.
  static const test::ProgramOnBoth f(kFlowSource, "flow", {"-Wno-deprecated-declarations", "-pthread"});
  return f;
}

TEST(CProgramLive, ApiFlowGivesTheSameResultsOnBothLibraries) {
  ASSERT_EQ(flow_programs().error, "");
  VethPair link;
  link.capture_ns().ip(fmt::format("addr add 10.66.0.1/24 dev {}", link.capture_if()));
  ScratchDir dir;
  Background ours(link.capture_ns(), true, flow_programs().ours + " flow 5", dir, "ours");
  Background theirs(link.capture_ns(), false, flow_programs().oracle + " flow 5", dir, "theirs");
  ASSERT_TRUE(ours.wait_for("ready") && theirs.wait_for("ready")) << show(ours.finish()) << show(theirs.finish());
  {
    test::FrameSender tx(link.peer_ns(), link.peer_if());
    // Rejected by the filter: another type, and sequence numbers of 1000 and more.
    for (std::uint32_t i = 0; i < 3; ++i)
      tx.send(test::make_frame(VethPair::capture_mac(), VethPair::peer_mac(), test::kOtherEthertype, 200, i));
    for (std::uint32_t i = 0; i < 3; ++i)
      tx.send(test::make_frame(VethPair::capture_mac(), VethPair::peer_mac(), test::kTestEthertype, 200, 5000 + i));
    for (std::uint32_t i = 0; i < 7; ++i)
      tx.send(test::make_frame(VethPair::capture_mac(), VethPair::peer_mac(), test::kTestEthertype, 200, 10 + i));
  }
  auto a = ours.finish();
  auto b = theirs.finish();
  ASSERT_EQ(b.status, 0) << show(b);
  EXPECT_EQ(a.status, 0) << show(a);
  EXPECT_NE(b.out.find("lookupdev: the veth\n"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("lookupnet: 10.66.0.0/255.255.255.0\n"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("packet 5: caplen 96 len 200 type 88b5 seq 14\n"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("loop returned 0 after 5 packets\n"), std::string::npos) << b.out;
  EXPECT_EQ(a.out, b.out) << "=== libpcap\n" << show(b) << "=== pcapxx\n" << show(a);
}

TEST(CProgramLive, MisuseGivesLibpcapsStatusesAndNeverCrashes) {
  ASSERT_EQ(flow_programs().error, "");
  VethPair link;
  auto a = test::run_in(link.capture_ns(), true, flow_programs().ours + " misuse " + link.capture_if());
  auto b = test::run_in(link.capture_ns(), false, flow_programs().oracle + " misuse " + link.capture_if());
  ASSERT_EQ(b.status, 0) << show(b);
  EXPECT_EQ(a.status, 0) << show(a);
  EXPECT_NE(b.out.find("activate again"), std::string::npos) << b.out;
  EXPECT_EQ(a.out, b.out) << "=== libpcap\n" << show(b) << "=== pcapxx\n" << show(a);
}

// Immediate mode, non-blocking handles waited on with poll(), µs and ns time stamps of the same
// frames, pcap_inject/pcap_sendpacket (the sending handle does not capture its own frames, a
// second handle does), pcap_breakloop from another thread ending a wait without a timeout, and
// the statistics: the same report from both libraries, and the values the traffic implies.
TEST(CProgramLive, PollImmediateInjectBreakloopAndStats) {
  ASSERT_EQ(flow_programs().error, "");
  VethPair link;
  ScratchDir dir;
  for (bool ours : {false, true}) {
    SCOPED_TRACE(test::side(ours));
    const std::string program = ours ? flow_programs().ours : flow_programs().oracle;
    // What the peer receives: the two frames the handle injected, nothing else of that type.
    Background peer(link.peer_ns(), false,
                    fmt::format("tcpdump -i {} -c 2 -nn -e -x -Q in 'ether proto 0x88b5'", link.peer_if()), dir,
                    ours ? "peer-ours" : "peer-theirs");
    ASSERT_TRUE(peer.wait_for("listening on")) << show(peer.finish());
    Background io(link.capture_ns(), ours, fmt::format("{} io {} 5", program, link.capture_if()), dir,
                  ours ? "io-ours" : "io-theirs");
    ASSERT_TRUE(io.wait_for("ready")) << show(io.finish());
    {
      test::FrameSender tx(link.peer_ns(), link.peer_if());
      tx.send(test::make_frame(VethPair::capture_mac(), VethPair::peer_mac(), test::kOtherEthertype, 150, 77));
      for (std::uint32_t i = 0; i < 5; ++i)
        tx.send(test::make_frame(VethPair::capture_mac(), VethPair::peer_mac(), test::kTestEthertype, 150 + i, 10 + i));
    }
    auto r = io.finish();
    auto p = peer.finish();
    ASSERT_EQ(r.status, 0) << show(r);
    EXPECT_NE(r.out.find("a delivered 5: 10/150/150 11/151/151 12/152/152 13/153/153 14/154/154\n"),
              std::string::npos) << show(r);
    EXPECT_NE(r.out.find("b delivered 7: 900/100/100 901/100/100 10/150/150 11/151/151 12/152/152 "
                         "13/153/153 14/154/154\n"),
              std::string::npos) << show(r);
    EXPECT_NE(r.out.find("time stamps: 5 of a's agree with b's, b's in range: yes, some with nanosecond "
                         "digits: yes, recent: 7\n"),
              std::string::npos) << show(r);
    EXPECT_NE(r.out.find("blocking dispatch, broken by another thread  -2 "), std::string::npos) << show(r);
    EXPECT_NE(r.out.find("stats a: recv 5 drop 0\nstats b: recv 7 drop 0\n"), std::string::npos) << show(r);
    // The peer got the injected frames as they were given (sequence numbers 0x384, 0x385).
    EXPECT_EQ(p.status, 0) << show(p);
    EXPECT_NE(p.out.find("02:99:00:00:00:01 > 02:99:00:00:00:02, ethertype Unknown (0x88b5), length 100"),
              std::string::npos) << show(p);
    EXPECT_NE(p.out.find("0x0000:  0000 0384 0000"), std::string::npos) << show(p);
    EXPECT_NE(p.out.find("0x0000:  0000 0385 0000"), std::string::npos) << show(p);
    static std::string oracle_out;
    if (!ours) oracle_out = r.out;
    else EXPECT_EQ(r.out, oracle_out) << "=== libpcap\n" << oracle_out << "=== pcapxx\n" << r.out;
  }
}

// nping sends its probes itself and sniffs the replies with libpcap: every echo must be seen.
TEST(NpingLive, SeesEveryReplyThroughOurLibrary) {
  VethPair link;
  link.capture_ns().ip(fmt::format("addr add 10.66.0.1/24 dev {}", link.capture_if()));
  link.peer_ns().ip(fmt::format("addr add 10.66.0.2/24 dev {}", link.peer_if()));
  for (bool ours : {false, true}) {
    auto r = test::run_in(link.capture_ns(), ours,
                          fmt::format("nping --icmp -c 3 --delay 100ms -e {} 10.66.0.2", link.capture_if()));
    SCOPED_TRACE(test::side(ours));
    ASSERT_EQ(r.status, 0) << show(r);
    std::regex replies(R"(RCVD \([0-9.]+s\) ICMP \[10\.66\.0\.2 > 10\.66\.0\.1 Echo reply)");
    auto n = std::distance(std::sregex_iterator(r.out.begin(), r.out.end(), replies), std::sregex_iterator());
    EXPECT_EQ(n, 3) << show(r);
    EXPECT_NE(r.out.find("Rcvd: 3 (84B) | Lost: 0"), std::string::npos) << show(r);
  }
}

// nmap finds the host by ARP and scans two TCP ports with SYN probes, reading ARP replies,
// SYN-ACKs and resets through libpcap: one port has a listener, the other none.
TEST(NmapLive, ArpDiscoveryAndSynScanThroughOurLibrary) {
  VethPair link;
  link.capture_ns().ip(fmt::format("addr add 10.66.0.1/24 dev {}", link.capture_if()));
  link.peer_ns().ip(fmt::format("addr add 10.66.0.2/24 dev {}", link.peer_if()));
  ScratchDir dir;
  Background listener(link.peer_ns(), false,
                      "/usr/bin/python3 -c \"import socket, sys, time\n"
                      "s = socket.socket(); s.bind(('10.66.0.2', 5555)); s.listen()\n"
                      "print('listening', flush=True); time.sleep(60)\"",
                      dir, "listener");
  ASSERT_TRUE(listener.wait_for("listening")) << show(listener.finish());
  auto ldd = test::run_in(link.capture_ns(), true, "ldd /usr/bin/nmap");
  EXPECT_NE(ldd.out.find(test::kOurLibDir + "/libpcap.so.0.8"), std::string::npos) << ldd.out;
  // Without the lines that carry times.
  auto stable = [](const std::string& out) {
    std::string kept;
    for (const auto& l : test::lines(out)) {
      if (l.starts_with("Starting Nmap") || l.starts_with("Nmap done")) continue;
      kept += std::regex_replace(l, std::regex(R"( \([0-9.]+s latency\))"), "") + "\n";
    }
    return kept;
  };
  const std::string expect =
      "Nmap scan report for 10.66.0.2\n"
      "Host is up, received arp-response.\n"
      "\n"
      "PORT     STATE  SERVICE REASON\n"
      "7/tcp    closed echo    reset ttl 64\n"
      "5555/tcp open   freeciv syn-ack ttl 64\n"
      "MAC Address: 02:99:00:00:00:02 (Unknown)\n"
      "\n";
  for (bool ours : {false, true}) {
    SCOPED_TRACE(test::side(ours));
    auto r = test::run_in(link.capture_ns(), ours,
                          fmt::format("timeout 60 nmap -n -sS -p 7,5555 --reason -e {} 10.66.0.2", link.capture_if()));
    ASSERT_EQ(r.status, 0) << show(r);
    EXPECT_EQ(stable(r.out), expect) << show(r);
  }
}

// Scapy with conf.use_pcap: one process sniffs (pcap_open_live, pcap_setfilter, pcap_next_ex),
// the other sends with sendp (pcap_inject). Both print what they did; the sniffer also says
// which libpcap it loaded.
const char* kScapySniff = R"(
import sys
from scapy.config import conf
conf.use_pcap = True
from scapy.all import AsyncSniffer, raw
# "ready" once the capture is open and filtered (started_callback), however slow that is.
s = AsyncSniffer(iface=sys.argv[1], filter="ether proto 0x88b5", count=4, timeout=60,
                 started_callback=lambda: print("ready", file=sys.stderr, flush=True))
s.start()
s.join()
maps = open("/proc/self/maps").read()
print("pcapxx" if "/lib/libpcap.so.0.8" in maps and "x86_64-linux-gnu/libpcap" not in maps else "debian")
for p in s.results:
    b = raw(p)
    print(len(b), b[12:14].hex(), b[14:18].hex())
)";

const char* kScapySend = R"(
import sys
from scapy.config import conf
conf.use_pcap = True
from scapy.all import Ether, Raw, sendp
for i in range(4):
    sendp(Ether(dst="02:99:00:00:00:01", src="02:99:00:00:00:02", type=0x88b5) / Raw(bytes([0, 0, 0, i]) + bytes(60)),
          iface=sys.argv[1], verbose=False)
print("sent")
)";

TEST(ScapyLive, SniffAndSendpThroughOurLibrary) {
  ScratchDir dir;
  std::string sniff = dir.file("sniff.py");
  std::string send = dir.file("send.py");
  {
    std::FILE* f = std::fopen(sniff.c_str(), "w");
    std::fputs(kScapySniff, f);
    std::fclose(f);
    f = std::fopen(send.c_str(), "w");
    std::fputs(kScapySend, f);
    std::fclose(f);
  }
  for (bool ours : {false, true}) {
    SCOPED_TRACE(test::side(ours));
    VethPair link;
    Background sniffer(link.capture_ns(), ours, fmt::format("/usr/bin/python3 {} {}", sniff, link.capture_if()),
                       dir, ours ? "sniff-ours" : "sniff-theirs");
    ASSERT_TRUE(sniffer.wait_for("ready")) << show(sniffer.finish());
    auto sent = test::run_in(link.peer_ns(), ours, fmt::format("/usr/bin/python3 {} {}", send, link.peer_if()));
    EXPECT_EQ(sent.status, 0) << show(sent);
    auto r = sniffer.finish();
    ASSERT_EQ(r.status, 0) << show(r);
    std::string expect = std::string(ours ? "pcapxx" : "debian") +
                         "\n78 88b5 00000000\n78 88b5 00000001\n78 88b5 00000002\n78 88b5 00000003\n";
    EXPECT_EQ(r.out, expect) << show(r);
  }
}

}  // namespace
}  // namespace pcapxx
