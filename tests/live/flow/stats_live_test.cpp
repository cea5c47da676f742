// pxdump --stats capturing live in a network namespace: real UDP and TCP sockets talk over a
// veth pair; the NDJSON flow records must carry exactly the packets and bytes sent, the TCP
// flow its handshake and close; on a terminal the table is redrawn while traffic flows.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/run.hpp"
#include "live/netns.hpp"
#include "live/netns_process.hpp"

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

/// Two addressed namespaces: capture side 10.77.0.1, peer 10.77.0.2.
struct Link {
  VethPair veth;
  Link() {
    veth.capture_ns().ip(fmt::format("addr add 10.77.0.1/24 dev {}", veth.capture_if()));
    veth.peer_ns().ip(fmt::format("addr add 10.77.0.2/24 dev {}", veth.peer_if()));
  }
};

using Pxdump = PxdumpProcess;
using Output = NetnsProcess::Output;

/// SIGINT (pxdump prints its closing report and exits), then the exit status.
int interrupt(Pxdump& px) {
  px.signal(SIGINT);
  return px.wait();
}

/// A socket of `type` bound to addr:port inside a namespace.
int bound_socket(const Netns& ns, int type, const char* addr, std::uint16_t port) {
  InNetns in(ns);
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, addr, &sa.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) throw std::runtime_error("bind failed");
  return fd;
}

sockaddr_in address(const char* addr, std::uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  ::inet_pton(AF_INET, addr, &sa.sin_addr);
  return sa;
}

/// The value after "key": in a JSON line (number or string, without quotes).
std::optional<std::string> json_field(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  auto at = line.find(k);
  if (at == std::string::npos) return std::nullopt;
  at += k.size();
  if (line[at] == '"') {
    const auto end = line.find('"', at + 1);
    return line.substr(at + 1, end - at - 1);
  }
  const auto end = line.find_first_of(",}", at);
  return line.substr(at, end - at);
}

/// The "fwd" or "rev" object of a flow line.
std::string direction(const std::string& line, const std::string& which) {
  const auto at = line.find("\"" + which + "\":{");
  if (at == std::string::npos) return {};
  return line.substr(at, line.find('}', at) - at + 1);
}

constexpr int kUdpDatagrams = 40;
constexpr std::size_t kUdpPayload = 100;
constexpr std::size_t kTcpBytes = 20000;

// Sends the UDP datagrams (peer 10.77.0.2:40001 -> 10.77.0.1:9999) and one TCP connection
// (peer:40002 -> 10.77.0.1:8080) carrying kTcpBytes, closed by both sides.
void make_traffic(const Link& link) {
  const int udp_rx = bound_socket(link.veth.capture_ns(), SOCK_DGRAM, "10.77.0.1", 9999);
  const int udp_tx = bound_socket(link.veth.peer_ns(), SOCK_DGRAM, "10.77.0.2", 40001);
  const sockaddr_in to = address("10.77.0.1", 9999);
  std::vector<char> payload(kUdpPayload, 'u');
  for (int i = 0; i < kUdpDatagrams; ++i)
    ASSERT_EQ(::sendto(udp_tx, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(payload.size()));
  char sink[65536];
  for (int i = 0; i < kUdpDatagrams; ++i) ASSERT_GT(::recv(udp_rx, sink, sizeof sink, 0), 0);
  ::close(udp_tx);
  ::close(udp_rx);

  const int listener = bound_socket(link.veth.capture_ns(), SOCK_STREAM, "10.77.0.1", 8080);
  ASSERT_EQ(::listen(listener, 4), 0);
  std::size_t received = 0;
  std::thread server([&] {
    const int c = ::accept(listener, nullptr, nullptr);
    char buf[65536];
    for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;) received += static_cast<std::size_t>(n);
    ::close(c);
  });
  const int client = bound_socket(link.veth.peer_ns(), SOCK_STREAM, "10.77.0.2", 40002);
  const sockaddr_in srv = address("10.77.0.1", 8080);
  ASSERT_EQ(::connect(client, reinterpret_cast<const sockaddr*>(&srv), sizeof srv), 0);
  std::vector<char> data(kTcpBytes, 't');
  for (std::size_t sent = 0; sent < data.size();) {
    const ssize_t n = ::send(client, data.data() + sent, data.size() - sent, 0);
    ASSERT_GT(n, 0);
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(client, SHUT_WR);
  server.join();
  char b;
  while (::recv(client, &b, 1, 0) > 0) {
  }
  ::close(client);
  ::close(listener);
  EXPECT_EQ(received, kTcpBytes);
}

TEST(StatsLive, JsonFlowRecordsCountWhatWasSent) {
  Link link;
  Pxdump px(link.veth.capture_ns(), {"--stats", "--json", "--immediate-mode", "-i", link.veth.capture_if()});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  make_traffic(link);
  std::this_thread::sleep_for(300ms);  // let the last frames reach the ring
  ASSERT_EQ(interrupt(px), 0) << px.err();

  const auto lines = pcapxx::test::lines(px.out());
  std::optional<std::string> udp, tcp, summary;
  std::uint64_t flow_packets = 0;
  for (const auto& l : lines) {
    if (json_field(l, "type") == "summary") summary = l;
    if (json_field(l, "type") != "flow") continue;
    flow_packets += std::stoull(*json_field(l, "packets"));
    if (json_field(l, "src") == "10.77.0.2" && json_field(l, "src_port") == "40001") udp = l;
    if (json_field(l, "src") == "10.77.0.2" && json_field(l, "src_port") == "40002") tcp = l;
  }
  ASSERT_TRUE(udp) << px.out();
  ASSERT_TRUE(tcp) << px.out();
  ASSERT_TRUE(summary) << px.out();

  // UDP: every datagram is one frame of Ethernet 14 + IPv4 20 + UDP 8 + payload; none came back.
  EXPECT_EQ(json_field(*udp, "proto"), "17");
  EXPECT_EQ(json_field(*udp, "dst"), "10.77.0.1");
  EXPECT_EQ(json_field(*udp, "dst_port"), "9999");
  EXPECT_EQ(json_field(direction(*udp, "fwd"), "packets"), std::to_string(kUdpDatagrams)) << *udp;
  EXPECT_EQ(json_field(direction(*udp, "fwd"), "bytes"), std::to_string(kUdpDatagrams * (42 + kUdpPayload))) << *udp;
  EXPECT_EQ(json_field(direction(*udp, "rev"), "packets"), "0") << *udp;
  EXPECT_EQ(json_field(*udp, "interface_name"), link.veth.capture_if());

  // TCP: the client opened and both closed; the client's bytes include all of the payload.
  EXPECT_EQ(json_field(*tcp, "dst_port"), "8080");
  EXPECT_EQ(json_field(*tcp, "tcp_state"), "closed") << *tcp;
  const std::string fwd = direction(*tcp, "fwd"), rev = direction(*tcp, "rev");
  EXPECT_EQ(json_field(fwd, "tcp_flags"), "FSP.") << *tcp;
  EXPECT_EQ(json_field(rev, "tcp_flags").value_or("").substr(0, 2), "FS") << *tcp;
  const auto fwd_bytes = std::stoull(*json_field(fwd, "bytes"));
  const auto fwd_packets = std::stoull(*json_field(fwd, "packets"));
  EXPECT_GE(fwd_bytes, kTcpBytes + fwd_packets * 54) << *tcp;  // Ethernet + IPv4 + TCP headers at least
  EXPECT_LE(fwd_bytes, kTcpBytes + fwd_packets * 120) << *tcp;

  // The summary accounts for every packet: in flows or not IP (ARP).
  const auto packets = std::stoull(*json_field(*summary, "packets"));
  const auto non_ip = std::stoull(*json_field(*summary, "non_ip_packets"));
  EXPECT_EQ(packets, flow_packets + non_ip) << *summary;
  EXPECT_EQ(json_field(*summary, "evicted"), "0");
  EXPECT_EQ(json_field(*summary, "dropped"), "0");
}

TEST(StatsLive, EvictionUnderASmallBudgetIsCounted) {
  Link link;
  Pxdump px(link.veth.capture_ns(),
            {"--stats", "--json", "--immediate-mode", "--max-flows", "2", "-i", link.veth.capture_if(), "udp"});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  const int rx = bound_socket(link.veth.capture_ns(), SOCK_DGRAM, "10.77.0.1", 9999);
  const sockaddr_in to = address("10.77.0.1", 9999);
  for (std::uint16_t port = 41000; port < 41010; ++port) {
    const int tx = bound_socket(link.veth.peer_ns(), SOCK_DGRAM, "10.77.0.2", port);
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(::sendto(tx, "x", 1, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), 1);
    ::close(tx);
  }
  char sink[64];
  for (int i = 0; i < 30; ++i) ASSERT_GT(::recv(rx, sink, sizeof sink, 0), 0);
  ::close(rx);
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(interrupt(px), 0) << px.err();
  std::optional<std::string> summary;
  int evicted_records = 0;
  for (const auto& l : pcapxx::test::lines(px.out())) {
    if (json_field(l, "type") == "summary") summary = l;
    if (json_field(l, "end") == "evicted") {
      ++evicted_records;
      EXPECT_EQ(json_field(l, "packets"), "3") << l;
    }
  }
  ASSERT_TRUE(summary) << px.out();
  // Ten flows through a table of two: eight were pushed out, each with its three datagrams.
  EXPECT_EQ(json_field(*summary, "flows"), "10") << *summary;
  EXPECT_EQ(json_field(*summary, "evicted"), "8") << *summary;
  EXPECT_EQ(json_field(*summary, "evicted_packets"), "24") << *summary;
  EXPECT_EQ(evicted_records, 8);
}

TEST(StatsLive, TerminalTableIsRedrawnWhileTrafficFlows) {
  Link link;
  Pxdump px(link.veth.capture_ns(), {"--stats", "-i", link.veth.capture_if()}, Output::pty);
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  const int rx = bound_socket(link.veth.capture_ns(), SOCK_DGRAM, "10.77.0.1", 9999);
  const int tx = bound_socket(link.veth.peer_ns(), SOCK_DGRAM, "10.77.0.2", 40100);
  const sockaddr_in to = address("10.77.0.1", 9999);
  // Traffic until two screens have shown the flow (the deadline is generous, not a timing check).
  int screens_with_flow = 0;
  for (int round = 0; round < 200 && screens_with_flow < 2; ++round) {
    for (int i = 0; i < 20; ++i) ::sendto(tx, "hello", 5, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    px.read_pty(100ms);
    screens_with_flow = 0;
    for (std::size_t at = 0; (at = px.screen().find("Top flows (last interval)", at)) != std::string::npos; ++at)
      if (px.screen().find("10.77.0.2:40100", at) != std::string::npos) ++screens_with_flow;
  }
  ::close(tx);
  ::close(rx);
  EXPECT_GE(screens_with_flow, 2) << px.screen();
  EXPECT_NE(px.screen().find("\x1b[H"), std::string::npos);
  ASSERT_EQ(interrupt(px), 0) << px.err();
  // The report at the end lists the flow among the top flows.
  const auto report_at = px.screen().rfind("Top flows");
  ASSERT_NE(report_at, std::string::npos);
  EXPECT_NE(px.screen().find("UDP     10.77.0.2:40100 <-> 10.77.0.1:9999", report_at), std::string::npos)
      << px.screen().substr(report_at);
}

}  // namespace
}  // namespace pcapxx::test
