// Every failure a sender reports, produced for real: each message names the device, the step and
// the reason, and a partial batch says which frames went out (checked against a capture).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pwd.h>
#include <functional>

#include "common/run.hpp"
#include <sys/wait.h>

#include "live/inject/support.hpp"

namespace pcapxx::test {
namespace {

using ::testing::HasSubstr;

std::string text_of(const Error& e) { return e.message; }

TEST(InjectErrors, OversizeFrameNamesBothNumbersOnEveryPath) {
  VethPair link;
  InNetns in(link.peer_ns());
  const std::string& dev = link.peer_if();
  const Bytes big = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 1515, 1);
  const Bytes tagged_ok = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 1518, 2, {{0x8100, 5}});
  const Bytes tagged_big = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 1519, 3, {{0x8100, 5}});

  auto tx = Injector::open(dev);
  ASSERT_TRUE(tx) << tx.error().what();
  auto r = tx->inject(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_EQ(text_of(r.error()),
            fmt::format("{}: inject: frame of 1515 bytes is larger than MTU 1500 + 14-byte link header (1514 bytes)", dev));
  auto ok = tx->inject(tagged_ok);
  EXPECT_TRUE(ok) << ok.error().what();
  r = tx->inject(tagged_big);
  ASSERT_FALSE(r);
  EXPECT_THAT(text_of(r.error()), HasSubstr("frame of 1519 bytes is larger than MTU 1500 + 14-byte link header + 4-byte 802.1Q tag (1518 bytes)"));

  // The kernel agrees with our limit: a raw send of 1515 bytes on the same device is refused.
  FrameSender raw(link.peer_ns(), dev);
  EXPECT_THROW(raw.send(big), std::runtime_error);

  auto ring = TxRing::open(dev);
  ASSERT_TRUE(ring) << ring.error().what();
  std::vector<FrameBytes> one = {big};
  auto rr = ring->send_batch(one);
  ASSERT_FALSE(rr);
  EXPECT_EQ(text_of(rr.error()),
            fmt::format("{}: TX ring: frame of 1515 bytes is larger than MTU 1500 + 14-byte link header (1514 bytes)", dev));

  auto ip = RawIpSender::open(dev);
  ASSERT_TRUE(ip) << ip.error().what();
  Bytes datagram(1501);
  datagram[0] = std::byte{0x45};
  auto ri = ip->send(datagram);
  ASSERT_FALSE(ri);
  EXPECT_EQ(text_of(ri.error()),
            fmt::format("{}: send IP: IPv4 datagram of 1501 bytes is larger than MTU 1500 (no fragmentation)", dev));
}

TEST(InjectErrors, BatchStopsAtBadFrameAndSaysWhichWereSent) {
  VethPair link;
  TempFile file("pxinjerr");
  Tcpdump oracle(link.capture_ns(), link.capture_if(), file.path);
  auto cap = open_capture(link);
  auto frames = test_frames(500);
  frames.resize(12);
  Bytes big = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 2000, 99);
  auto v = views(frames);
  v.insert(v.begin() + 7, FrameBytes(big));
  {
    InNetns in(link.peer_ns());
    auto tx = Injector::open(link.peer_if());
    ASSERT_TRUE(tx) << tx.error().what();
    auto r = tx->send_batch(v);
    ASSERT_FALSE(r);
    EXPECT_EQ(tx->last_batch_sent(), 7u);
    EXPECT_EQ(text_of(r.error()),
              fmt::format("{}: send batch: frame 7 of 13: frame of 2000 bytes is larger than MTU 1500 + 14-byte link "
                          "header (1514 bytes); frames 0-6 were sent (7 of 13)",
                          link.peer_if()));
  }
  std::vector<Bytes> expected(frames.begin(), frames.begin() + 7);
  auto ours = capture_n(*cap, expected.size());
  for (auto& extra : capture_until_quiet(*cap)) ours.push_back(std::move(extra));
  expect_same(expected, finish_tcpdump(oracle, file.path, expected.size()), "tcpdump");
  expect_same(expected, ours, "LiveCapture");
}

TEST(InjectErrors, DeviceDownOnEveryPath) {
  VethPair link;
  link.peer_ns().ip(fmt::format("link set {} down", link.peer_if()));
  InNetns in(link.peer_ns());
  const Bytes f = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 100, 1);
  std::vector<FrameBytes> two = {f, f};

  auto tx = Injector::open(link.peer_if());
  ASSERT_TRUE(tx) << tx.error().what();
  auto r = tx->inject(f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().sys_errno, ENETDOWN);
  EXPECT_EQ(text_of(r.error()), fmt::format("{}: inject: device is down (send: Network is down)", link.peer_if()));
  auto b = tx->send_batch(two);
  ASSERT_FALSE(b);
  EXPECT_EQ(text_of(b.error()),
            fmt::format("{}: send batch: frame 0 of 2: device is down (sendmmsg: Network is down); no frame was sent (0 of 2)",
                        link.peer_if()));

  auto ring = TxRing::open(link.peer_if());
  ASSERT_TRUE(ring) << ring.error().what();
  auto rr = ring->send_batch(two);
  ASSERT_FALSE(rr);
  EXPECT_EQ(text_of(rr.error()),
            fmt::format("{}: TX ring: device is down (send (TX ring kick): Network is down); frames 0-1 were queued (2 of "
                        "2) but not sent",
                        link.peer_if()));
}

// With qdisc bypass and no carrier (the other end is down) the kernel drops every ring frame
// with ENOBUFS and puts it back to TP_STATUS_SEND_REQUEST: a blocking send_batch must fail once
// the ring is full and nothing completes, not wait forever.
TEST(InjectErrors, TxRingWithBypassOnACarrierlessLinkFailsInsteadOfWaiting) {
  VethPair link;
  link.capture_ns().ip(fmt::format("link set {} down", link.capture_if()));
  InNetns in(link.peer_ns());
  const Bytes f = make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 100, 1);
  std::vector<FrameBytes> frames(300, FrameBytes(f));
  TxRingOptions o;
  o.qdisc_bypass = true;
  o.frame_count = 32;
  auto ring = TxRing::open(link.peer_if(), o);
  ASSERT_TRUE(ring) << ring.error().what();
  auto r = ring->send_batch(frames);
  ASSERT_FALSE(r) << "300 frames went out on a link without carrier";
  EXPECT_EQ(r.error().sys_errno, ENOBUFS);
  EXPECT_EQ(ring->last_batch_sent(), 32u);
  EXPECT_EQ(text_of(r.error()),
            fmt::format("{}: TX ring: frame 32 of 300: the device drops every frame (send: No buffer space available; no "
                        "carrier, or its queue stays stopped) and none of the 32 queued completed in 1000 ms; frames "
                        "0-31 were queued (32 of 300)",
                        link.peer_if()));
  EXPECT_EQ(ring->stats().completed, 0u);
}

TEST(InjectErrors, NoSuchDeviceOnEveryPath) {
  Netns ns;
  InNetns in(ns);
  auto tx = Injector::open("pxnosuch0");
  ASSERT_FALSE(tx);
  EXPECT_EQ(tx.error().code, Errc::not_found);
  EXPECT_EQ(text_of(tx.error()), "pxnosuch0: no such device");
  auto ring = TxRing::open("pxnosuch0");
  ASSERT_FALSE(ring);
  EXPECT_EQ(text_of(ring.error()), "pxnosuch0: no such device");
  auto ip = RawIpSender::open("pxnosuch0");
  ASSERT_FALSE(ip);
  EXPECT_EQ(text_of(ip.error()), "pxnosuch0: no such device");
  auto tool = run({PCAPXX_BIN_DIR "/pxsend", "-i", "pxnosuch0", "--frame", "eth()/payload(len=50)"});
  EXPECT_EQ(tool.status, 1) << tool.err;
  EXPECT_EQ(tool.err, "pxsend: pxnosuch0: no such device\n");
}

/// Runs `body` in a child that has given up root (setuid to nobody drops every capability,
/// CAP_NET_RAW included) and returns what it wrote to the pipe.
std::string as_nobody(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      out = "setuid failed";
    } else {
      out = body();
    }
    (void)!::write(fds[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int st = 0;
  ::waitpid(pid, &st, 0);
  return out;
}

TEST(InjectErrors, NotPermittedWithoutCapNetRaw) {
  // Loopback exists in every namespace; the socket is refused before the device matters.
  EXPECT_EQ(as_nobody([] {
              auto tx = Injector::open("lo");
              return tx ? std::string("opened") : text_of(tx.error());
            }),
            "lo: open: socket(AF_PACKET, SOCK_RAW): Operation not permitted (needs CAP_NET_RAW)");
  EXPECT_EQ(as_nobody([] {
              auto tx = TxRing::open("lo");
              return tx ? std::string("opened") : text_of(tx.error());
            }),
            "lo: open: socket(AF_PACKET, SOCK_RAW): Operation not permitted (needs CAP_NET_RAW)");
  EXPECT_EQ(as_nobody([] {
              auto tx = RawIpSender::open("lo");
              return tx ? std::string("opened") : text_of(tx.error());
            }),
            "lo: open: socket(AF_INET, SOCK_RAW, IPPROTO_RAW): Operation not permitted (needs CAP_NET_RAW)");
  EXPECT_EQ(as_nobody([] {
              auto tx = Injector::open("lo");
              return tx ? std::string() : std::to_string(static_cast<int>(tx.error().code));
            }),
            std::to_string(static_cast<int>(Errc::permission)));
}

/// A slow qdisc (tbf, 80 kbit/s) on the sending device and a small send buffer: sent frames stay
/// charged to the socket, so a non-blocking sender soon finds its buffer full.
void slow_link(const VethPair& link) {
  link.peer_ns().exec(fmt::format("tc qdisc add dev {} root tbf rate 80kbit burst 1600 limit 10000000", link.peer_if()));
  must(link.peer_ns().exec_command(fmt::format("tc qdisc show dev {} | grep -q tbf", link.peer_if())));
}

TEST(InjectErrors, NonBlockingSendBufferFullReportsHowManyWentOut) {
  VethPair link;
  slow_link(link);
  InNetns in(link.peer_ns());
  std::vector<Bytes> frames;
  for (std::uint32_t k = 0; k < 200; ++k) {
    frames.push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 1000, k));
  }
  auto v = views(frames);
  InjectOptions o;
  o.nonblocking = true;
  o.send_buffer = 4096;  // the kernel doubles it and keeps a minimum; a few frames fill it
  auto tx = Injector::open(link.peer_if(), o);
  ASSERT_TRUE(tx) << tx.error().what();
  auto r = tx->send_batch(v);
  ASSERT_FALSE(r) << "all 200 frames went out: the send buffer never filled";
  const std::size_t k = tx->last_batch_sent();
  EXPECT_GT(k, 0u);
  EXPECT_LT(k, 200u);
  EXPECT_EQ(r.error().sys_errno, EAGAIN);
  EXPECT_EQ(text_of(r.error()),
            fmt::format("{}: send batch: frame {} of 200: send buffer full (non-blocking) (sendmmsg: Resource temporarily "
                        "unavailable); {}",
                        link.peer_if(), k,
                        k == 1 ? std::string("frame 0 was sent (1 of 200)") : fmt::format("frames 0-{} were sent ({} of 200)", k - 1, k)));
  // A single inject now finds the buffer full too.
  auto one = tx->inject(frames[0]);
  ASSERT_FALSE(one);
  EXPECT_EQ(text_of(one.error()),
            fmt::format("{}: inject: send buffer full (non-blocking) (send: Resource temporarily unavailable)", link.peer_if()));
}

TEST(InjectErrors, NonBlockingTxRingFullReportsHowManyWereQueued) {
  VethPair link;
  slow_link(link);
  InNetns in(link.peer_ns());
  std::vector<Bytes> frames;
  for (std::uint32_t k = 0; k < 300; ++k) {
    frames.push_back(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 1000, k));
  }
  auto v = views(frames);
  TxRingOptions o;
  o.nonblocking = true;
  o.frame_count = 32;
  o.send_buffer = 4096;
  auto ring = TxRing::open(link.peer_if(), o);
  ASSERT_TRUE(ring) << ring.error().what();
  auto r = ring->send_batch(v);
  ASSERT_FALSE(r) << "all 300 frames were queued: the ring never filled";
  const std::size_t k = ring->last_batch_sent();
  EXPECT_GE(k, 32u);
  EXPECT_LT(k, 300u);
  EXPECT_THAT(text_of(r.error()), HasSubstr(fmt::format("{}: TX ring: frame {} of 300: TX ring full (non-blocking, 32 slots "
                                                        "pending); frames 0-{} were queued ({} of 300)",
                                                        link.peer_if(), k, k - 1, k)));
}

}  // namespace
}  // namespace pcapxx::test
