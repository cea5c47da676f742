// Live capture options that need more than a veth pair to show their effect, each on every
// TPACKET version: promiscuous mode over a bridge (which passes frames for unknown MACs up to
// its own device only when that device is promiscuous), the protocol a socket is bound to,
// monitor mode refused, break_loop from a signal handler, symmetric fanout on real two-way UDP
// over IPv4 and IPv6, and the same packets as tcpdump capturing at the same time.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "core/byte_order.hpp"
#include "live/capture/bridge.hpp"
#include "live/capture/frames.hpp"
#include "live/capture/tpacket_versions.hpp"
#include "live/netns.hpp"
#include "live/tcpdump_writer.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/device.hpp"

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

class Versioned : public ::testing::TestWithParam<TpacketVersion> {
 protected:
  CaptureOptions quick(CaptureOptions o = {}) const {
    o.timeout_ms = 100;
    o.tpacket_version = GetParam();
    return o;
  }
  static std::vector<Bytes> data_of(const std::vector<Captured>& got) {
    std::vector<Bytes> out;
    for (const auto& c : got) out.push_back(c.data);
    return out;
  }
};

std::string hex_list(const std::vector<Bytes>& frames) {
  std::string s;
  for (const auto& f : frames) s += "\n  " + hex(f, 24);
  return s.empty() ? " (none)" : s;
}

// ---------------------------------------------------------------------------------------------
// Promiscuous mode over a bridge.

class Promiscuous : public Versioned {
 protected:
  // Inbound only: the bridge's own IPv4 stack sends IGMP reports of its own now and then.
  CaptureOptions quick(CaptureOptions o = {}) const {
    o = Versioned::quick(o);
    o.direction = CaptureDirection::in;
    return o;
  }
};

TEST_P(Promiscuous, BridgeDeviceSeesForeignUnicastOnlyWhenPromiscuous) {
  BridgedLink b;
  const MacAddress them = VethPair::peer_mac();
  FrameSender tx(b.link.peer_ns(), b.link.peer_if());
  std::uint32_t seq = 0;
  // Three frames for a MAC nobody has, then one for the bridge itself (the control: it shows the
  // capture works and, sent last, that everything before it has been delivered or never will be).
  auto round = [&] {
    std::vector<Bytes> foreign, control;
    for (int i = 0; i < 3; ++i) foreign.push_back(make_frame(test_mac(0x77), them, kTestEthertype, 80 + i, seq++));
    control.push_back(make_frame(BridgedLink::bridge_mac(), them, kTestEthertype, 90, seq++));
    for (const auto& f : foreign) tx.send(f);
    tx.send(control[0]);
    return std::pair{foreign, control};
  };

  {
    auto plain = open_in(b.link.capture_ns(), b.bridge(), quick());
    auto [foreign, control] = round();
    auto got = capture_n(*plain, 1);
    auto extra = capture_rest(*plain);
    got.insert(got.end(), extra.begin(), extra.end());
    EXPECT_EQ(data_of(got), control) << "not promiscuous: only the frame for the bridge's MAC\n got:"
                                     << hex_list(data_of(got)) << "\n want:" << hex_list(control);
  }
  {
    CaptureOptions o = quick();
    o.promiscuous = true;
    auto promisc = open_in(b.link.capture_ns(), b.bridge(), o);
    auto [foreign, control] = round();
    std::vector<Bytes> want = foreign;
    want.push_back(control[0]);
    auto got = capture_n(*promisc, want.size());
    auto extra = capture_rest(*promisc);
    got.insert(got.end(), extra.begin(), extra.end());
    EXPECT_EQ(data_of(got), want) << "promiscuous: the foreign frames too\n got:" << hex_list(data_of(got))
                                  << "\n want:" << hex_list(want);
    for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) {
      EXPECT_EQ(got[i].header.flags >> 2 & 7, i < 3 ? 4u : 1u) << "reception type of frame " << i;
    }
  }
  // The membership went with the socket: the bridge is no longer promiscuous.
  {
    auto plain = open_in(b.link.capture_ns(), b.bridge(), quick());
    auto [foreign, control] = round();
    auto got = capture_n(*plain, 1);
    auto extra = capture_rest(*plain);
    got.insert(got.end(), extra.begin(), extra.end());
    EXPECT_EQ(data_of(got), control) << "after the promiscuous capture closed\n got:" << hex_list(data_of(got));
  }
}

INSTANTIATE_TEST_SUITE_P(Tpacket, Promiscuous,
                         ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);

// ---------------------------------------------------------------------------------------------
// The protocol a capture is bound to.

class Protocol : public Versioned {};

TEST_P(Protocol, BoundToIpOrArpSeesOnlyThoseFrames) {
  VethPair link;
  constexpr std::uint16_t kIp = 0x0800, kArp = 0x0806, kIpv6 = 0x86dd;
  auto all = open_in(link.capture_ns(), link.capture_if(), quick());
  CaptureOptions ip_only = quick(), arp_only = quick();
  ip_only.protocol = kIp;
  arp_only.protocol = kArp;
  auto ip = open_in(link.capture_ns(), link.capture_if(), ip_only);
  auto arp = open_in(link.capture_ns(), link.capture_if(), arp_only);

  const MacAddress us = VethPair::capture_mac(), them = VethPair::peer_mac();
  FrameSender tx(link.peer_ns(), link.peer_if());
  std::vector<Bytes> sent, want_ip, want_arp;
  std::uint32_t seq = 0;
  for (std::uint16_t type : {kTestEthertype, kIp, kArp, kIpv6, kIp, kArp, kOtherEthertype, kIp}) {
    sent.push_back(make_frame(us, them, type, 60 + seq * 3, seq));
    ++seq;
    if (type == kIp) want_ip.push_back(sent.back());
    if (type == kArp) want_arp.push_back(sent.back());
    tx.send(sent.back());
  }
  // An outgoing IPv4 frame: the kernel hands outgoing packets only to ETH_P_ALL taps
  // (net/core/dev.c dev_queue_xmit_nit), so the IP-bound capture does not see it.
  Bytes outgoing = make_frame(them, us, kIp, 70, 99);
  FrameSender from_us(link.capture_ns(), link.capture_if());
  from_us.send(outgoing);

  // ETH_P_ALL: everything, the received frames in order (the outgoing one reaches the taps on
  // another path, so where it falls among them is the kernel's business).
  auto all_frames = capture_n(*all, sent.size() + 1);
  for (auto& x : capture_rest(*all)) all_frames.push_back(x);
  std::vector<Bytes> got_in, got_out;
  for (const auto& c : all_frames) (c.header.direction == Direction::outbound ? got_out : got_in).push_back(c.data);
  auto got_ip = data_of(capture_n(*ip, want_ip.size()));
  auto got_arp = data_of(capture_n(*arp, want_arp.size()));
  for (auto& x : capture_rest(*ip)) got_ip.push_back(x.data);
  for (auto& x : capture_rest(*arp)) got_arp.push_back(x.data);
  EXPECT_EQ(got_in, sent) << "ETH_P_ALL inbound\n got:" << hex_list(got_in) << "\n want:" << hex_list(sent);
  EXPECT_EQ(got_out, std::vector<Bytes>{outgoing}) << "ETH_P_ALL outbound\n got:" << hex_list(got_out);
  EXPECT_EQ(got_ip, want_ip) << "ETH_P_IP\n got:" << hex_list(got_ip) << "\n want:" << hex_list(want_ip);
  EXPECT_EQ(got_arp, want_arp) << "ETH_P_ARP\n got:" << hex_list(got_arp) << "\n want:" << hex_list(want_arp);
  EXPECT_EQ(ip->stats().received, want_ip.size());
  EXPECT_EQ(arp->stats().received, want_arp.size());
}

INSTANTIATE_TEST_SUITE_P(Tpacket, Protocol,
                         ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);

// ---------------------------------------------------------------------------------------------
// Monitor mode.

TEST(MonitorMode, RefusedOnDevicesThatAreNotWireless) {
  VethPair link;
  link.capture_ns().ip("link set lo up");
  CaptureOptions o;
  o.monitor = true;
  InNetns in(link.capture_ns());
  for (const std::string& dev : {link.capture_if(), std::string("lo"), std::string("any")}) {
    auto r = LiveCapture::open(dev, o);
    ASSERT_FALSE(r) << dev << " opened in monitor mode";
    EXPECT_EQ(r.error().code, Errc::unsupported) << r.error().what();
    EXPECT_EQ(r.error().what(),
              dev + ": activate: that device doesn't support monitor mode (it is not a wireless device)");
  }
  // Without it the same device opens: the refusal is about monitor mode only.
  o.monitor = false;
  EXPECT_TRUE(LiveCapture::open(link.capture_if(), o));
  // An unknown device is still reported as unknown.
  o.monitor = true;
  auto missing = LiveCapture::open("nosuch0", o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "nosuch0: no such device");
}

// ---------------------------------------------------------------------------------------------
// break_loop from a signal handler.

LiveCapture* g_alarm_capture = nullptr;
std::atomic<int> g_alarms{0};  // lock-free, so safe in a handler

void on_alarm(int) {
  ++g_alarms;
  if (g_alarm_capture != nullptr) g_alarm_capture->break_loop();
}

class BreakLoop : public Versioned {};

TEST_P(BreakLoop, FromASigalrmHandlerEndsAWaitingLoop) {
  VethPair link;
  CaptureOptions o = quick();
  o.timeout_ms = 0;  // wait forever: only break_loop ends the loop
  auto cap = open_in(link.capture_ns(), link.capture_if(), o);
  FrameSender tx(link.peer_ns(), link.peer_if());
  for (std::uint32_t i = 0; i < 3; ++i) tx.send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 64, i));

  struct sigaction sa {}, old {};
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll returns EINTR in the thread that takes the signal
  ASSERT_EQ(::sigaction(SIGALRM, &sa, &old), 0);
  g_alarm_capture = cap.get();
  g_alarms = 0;
  // A guard against hanging, not a timing check: if the loop is still running after 10 s the
  // guard breaks it and the test fails on `guarded`.
  std::atomic<bool> done{false}, guarded{false};
  std::thread guard([&] {
    for (int i = 0; i < 1000 && !done; ++i) std::this_thread::sleep_for(10ms);
    if (!done) {
      guarded = true;
      cap->break_loop();
    }
  });
  itimerval timer{};
  timer.it_value.tv_usec = 100'000;
  ASSERT_EQ(::setitimer(ITIMER_REAL, &timer, nullptr), 0);

  // A dispatch loop: counts packets until the source ends.
  std::size_t packets = 0;
  BatchStatus last = BatchStatus::packets;
  for (;;) {
    auto r = cap->next_batch();
    ASSERT_TRUE(r) << r.error().what();
    last = r->status;
    if (last == BatchStatus::end) break;
    packets += r->packets.size();
  }
  done = true;
  guard.join();
  g_alarm_capture = nullptr;
  ::sigaction(SIGALRM, &old, nullptr);

  EXPECT_FALSE(guarded) << "the SIGALRM handler's break_loop did not end the loop";
  EXPECT_EQ(g_alarms.load(), 1);
  EXPECT_EQ(last, BatchStatus::end);
  EXPECT_TRUE(cap->interrupted()) << "an end from break_loop must say it was broken";
  EXPECT_EQ(packets, 3u) << "the packets before the alarm are delivered";
  // The break is used up: the capture goes on delivering.
  tx.send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 65, 9));
  auto after = capture_n(*cap, 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_FALSE(cap->interrupted());
}

INSTANTIATE_TEST_SUITE_P(Tpacket, BreakLoop,
                         ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);

// ---------------------------------------------------------------------------------------------
// Symmetric fanout on real two-way UDP over IPv4 and IPv6.

/// A UDP socket created in a namespace and bound to an address and port.
class UdpSocket {
 public:
  UdpSocket(const Netns& ns, int family, const std::string& address, std::uint16_t port) : family_(family) {
    InNetns in(ns);
    fd_ = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(fmt::format("udp socket: {}", std::strerror(errno)));
    auto [addr, len] = sockaddr_of(family, address, port);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
      int err = errno;
      ::close(fd_);
      throw std::runtime_error(fmt::format("bind udp [{}]:{}: {}", address, port, std::strerror(err)));
    }
  }
  ~UdpSocket() { ::close(fd_); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  void send_to(const std::string& address, std::uint16_t port, std::uint32_t seq) const {
    auto [addr, len] = sockaddr_of(family_, address, port);
    std::uint8_t payload[8] = {0x70, 0x78, 0x66, 0x6f, static_cast<std::uint8_t>(seq >> 24),
                               static_cast<std::uint8_t>(seq >> 16), static_cast<std::uint8_t>(seq >> 8),
                               static_cast<std::uint8_t>(seq)};
    if (::sendto(fd_, payload, sizeof payload, 0, reinterpret_cast<sockaddr*>(&addr), len) != sizeof payload) {
      throw std::runtime_error(fmt::format("sendto [{}]:{}: {}", address, port, std::strerror(errno)));
    }
  }

 private:
  static std::pair<sockaddr_storage, socklen_t> sockaddr_of(int family, const std::string& address, std::uint16_t port) {
    sockaddr_storage s{};
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&s);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      ::inet_pton(AF_INET, address.c_str(), &a->sin_addr);
      return {s, sizeof(sockaddr_in)};
    }
    auto* a = reinterpret_cast<sockaddr_in6*>(&s);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    ::inet_pton(AF_INET6, address.c_str(), &a->sin6_addr);
    return {s, sizeof(sockaddr_in6)};
  }
  int fd_ = -1;
  int family_;
};

/// The UDP flow of an Ethernet frame (IPv4 or IPv6, no extension headers) with its two ends
/// ordered so both directions give one key, and whether it carries our payload; "" otherwise.
std::string udp_flow_key(std::span<const std::byte> p) {
  auto at = [&](std::size_t i) { return std::to_integer<unsigned>(p[i]); };
  if (p.size() < 14) return "";
  const std::uint16_t type = pcapxx::detail::load_be16(p.data() + 12);
  std::size_t l4 = 0, alen = 0, src = 0, dst = 0;
  if (type == 0x0800 && p.size() >= 34 && at(23) == 17) {
    l4 = 14 + (at(14) & 0x0f) * 4;
    alen = 4, src = 26, dst = 30;
  } else if (type == 0x86dd && p.size() >= 54 && at(20) == 17) {
    l4 = 54;
    alen = 16, src = 22, dst = 38;
  } else {
    return "";
  }
  if (p.size() < l4 + 12 || at(l4 + 8) != 0x70 || at(l4 + 9) != 0x78) return "";  // not ours
  auto endpoint = [&](std::size_t addr, std::size_t port) {
    return fmt::format("{}:{}", hex(p.subspan(addr, alen)), pcapxx::detail::load_be16(p.data() + l4 + port));
  };
  std::string from = endpoint(src, 0), to = endpoint(dst, 2);
  if (to < from) std::swap(from, to);
  return from + "-" + to;
}

class SymmetricFanout : public Versioned {};

TEST_P(SymmetricFanout, BothDirectionsOfRealIpv4AndIpv6FlowsLandOnOneRing) {
  VethPair link;
  const Netns& cns = link.capture_ns();
  const Netns& pns = link.peer_ns();
  // IPv6 on for these two links only; addresses without DAD and static neighbours, so the only
  // traffic is the test's (what else appears, MLD reports, is not UDP and not counted).
  for (const auto& [ns, dev] : {std::pair{&cns, link.capture_if()}, std::pair{&pns, link.peer_if()}}) {
    must(ns->exec_command(fmt::format("sysctl -qw net.ipv6.conf.{}.disable_ipv6=0", dev)));
  }
  cns.ip(fmt::format("addr add 10.77.0.1/24 dev {}", link.capture_if()));
  pns.ip(fmt::format("addr add 10.77.0.2/24 dev {}", link.peer_if()));
  cns.ip(fmt::format("addr add fd77::1/64 dev {} nodad", link.capture_if()));
  pns.ip(fmt::format("addr add fd77::2/64 dev {} nodad", link.peer_if()));
  cns.ip(fmt::format("neigh replace 10.77.0.2 lladdr {} dev {}", mac_text(VethPair::peer_mac()), link.capture_if()));
  pns.ip(fmt::format("neigh replace 10.77.0.1 lladdr {} dev {}", mac_text(VethPair::capture_mac()), link.peer_if()));
  cns.ip(fmt::format("neigh replace fd77::2 lladdr {} dev {}", mac_text(VethPair::peer_mac()), link.capture_if()));
  pns.ip(fmt::format("neigh replace fd77::1 lladdr {} dev {}", mac_text(VethPair::capture_mac()), link.peer_if()));

  FanoutOptions f;
  f.mode = FanoutMode::symmetric_flow;
  std::vector<std::unique_ptr<LiveCapture>> rings;
  {
    InNetns in(cns);
    auto r = open_fanout(link.capture_if(), 2, f, quick());
    ASSERT_TRUE(r) << r.error().what();
    rings = std::move(*r);
  }
  ASSERT_EQ(rings.size(), 2u);
  EXPECT_EQ(rings[0]->tpacket_version(), GetParam());

  // 12 flows per family, each three requests from the peer and three replies (outgoing on the
  // captured device) from the capture side.
  constexpr std::uint16_t kServerPort = 7000;
  constexpr int kFlows = 12, kPerDirection = 3;
  UdpSocket server4(cns, AF_INET, "10.77.0.1", kServerPort), server6(cns, AF_INET6, "fd77::1", kServerPort);
  std::vector<std::unique_ptr<UdpSocket>> clients;
  std::uint32_t seq = 0, sent = 0;
  for (int family : {AF_INET, AF_INET6}) {
    const bool v4 = family == AF_INET;
    const std::string client_addr = v4 ? "10.77.0.2" : "fd77::2", server_addr = v4 ? "10.77.0.1" : "fd77::1";
    const UdpSocket& server = v4 ? server4 : server6;
    for (int i = 0; i < kFlows; ++i) {
      const auto port = static_cast<std::uint16_t>(41000 + i * 17 + (v4 ? 0 : 5));
      clients.push_back(std::make_unique<UdpSocket>(pns, family, client_addr, port));
      for (int k = 0; k < kPerDirection; ++k) {
        clients.back()->send_to(server_addr, kServerPort, seq++);
        server.send_to(client_addr, port, seq++);
        sent += 2;
      }
    }
  }

  std::vector<Bytes> got[2];
  std::thread t0([&] { for (auto& c : capture_rest(*rings[0])) got[0].push_back(std::move(c.data)); });
  std::thread t1([&] { for (auto& c : capture_rest(*rings[1])) got[1].push_back(std::move(c.data)); });
  t0.join();
  t1.join();

  std::map<std::string, std::set<int>> rings_of_flow;
  std::map<std::string, int> packets_of_flow;
  std::size_t ours[2] = {0, 0}, ipv6 = 0;
  for (int r = 0; r < 2; ++r) {
    for (const Bytes& p : got[r]) {
      std::string key = udp_flow_key(p);
      if (key.empty()) continue;
      ++ours[r];
      ipv6 += pcapxx::detail::load_be16(p.data() + 12) == 0x86dd;
      rings_of_flow[key].insert(r);
      ++packets_of_flow[key];
    }
  }
  fmt::print("symmetric fanout: ring 0 {} packets of the test, ring 1 {}; {} flows\n", ours[0], ours[1],
             rings_of_flow.size());
  EXPECT_EQ(ours[0] + ours[1], sent) << "every packet of the test exactly once, both directions";
  EXPECT_EQ(ipv6, sent / 2);
  EXPECT_EQ(rings_of_flow.size(), static_cast<std::size_t>(2 * kFlows));
  for (const auto& [flow, where] : rings_of_flow) {
    EXPECT_EQ(where.size(), 1u) << flow << " is split over both rings";
    EXPECT_EQ(packets_of_flow[flow], 2 * kPerDirection) << flow;
  }
  EXPECT_GT(ours[0], 0u) << "the hash should spread 24 flows over both rings";
  EXPECT_GT(ours[1], 0u) << "the hash should spread 24 flows over both rings";
}

INSTANTIATE_TEST_SUITE_P(Tpacket, SymmetricFanout,
                         ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);

// ---------------------------------------------------------------------------------------------
// The same traffic through pcapxx (each TPACKET version) and tcpdump at the same time.

class WithTcpdump : public Versioned {};

TEST_P(WithTcpdump, SameBytesLengthsAndOrderAsTcpdumpOnTheSameTraffic) {
  VethPair link;
  TempFile file("pxdiffv");
  Tcpdump oracle(link.capture_ns(), link.capture_if(), file.path, "", /*inbound_only=*/false);
  CaptureOptions o = quick();
  o.snaplen = 0;
  auto cap = open_in(link.capture_ns(), link.capture_if(), o);
  FrameSender from_peer(link.peer_ns(), link.peer_if()), from_us(link.capture_ns(), link.capture_if());
  const MacAddress us = VethPair::capture_mac(), them = VethPair::peer_mac();
  std::vector<Bytes> sent;
  std::uint32_t seq = 0;
  for (std::size_t size = 60; size <= 1514; size += 131) {
    sent.push_back(make_frame(us, them, kTestEthertype, size, seq++));
    from_peer.send(sent.back());
    sent.push_back(make_frame(them, us, kOtherEthertype, size + 1, seq++));
    from_us.send(sent.back());
  }
  sent.push_back(make_frame({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, them, 0x0806, 60, seq++));
  from_peer.send(sent.back());
  sent.push_back(make_frame(test_mac(0x42), them, kTestEthertype, 200, seq++));
  from_peer.send(sent.back());

  auto ours = capture_n(*cap, sent.size());
  auto more = capture_rest(*cap);
  ours.insert(ours.end(), more.begin(), more.end());
  auto theirs = finish_tcpdump(oracle, file.path, sent.size());
  ASSERT_EQ(ours.size(), sent.size());
  expect_same_as_tcpdump(ours, theirs);
  // Both saw what was sent (the two directions reach the taps on different paths, so the
  // order between them is the kernel's; the comparison above holds it to tcpdump's).
  auto sorted = [](std::vector<Bytes> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(data_of(ours)), sorted(sent));
}

INSTANTIATE_TEST_SUITE_P(Tpacket, WithTcpdump,
                         ::testing::ValuesIn(kTpacketVersions), tpacket_version_name);

}  // namespace
}  // namespace pcapxx::test
