// The same traffic through pcapxx and through tcpdump (the oracle, a separate process writing
// a pcap file): same packets, same bytes, same lengths, same order.
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <thread>

#include "live/capture/frames.hpp"
#include "live/netns.hpp"
#include "pcapxx/savefile.hpp"

extern char** environ;

namespace pcapxx::test {
namespace {

using namespace std::chrono_literals;

/// tcpdump writing a pcap file from a device in a namespace; stopped on destruction.
class TcpdumpProcess {
 public:
  TcpdumpProcess(const Netns& ns, const std::string& dev, const std::string& file) {
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> args = {"ip", "netns", "exec", ns.name(), "tcpdump", "-i", dev, "-w", file,
                                     "-U", "--immediate-mode", "-Z", "root", "-s", "0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawnp(&pid_, "ip", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(err_pipe[1]);
    if (rc != 0) {
      ::close(err_pipe[0]);
      throw std::runtime_error("spawn tcpdump failed");
    }
    err_fd_ = err_pipe[0];
    // Wait for "listening on": from then on tcpdump's socket sees every packet.
    auto end = std::chrono::steady_clock::now() + 20s;
    while (stderr_.find("listening on") == std::string::npos) {
      if (std::chrono::steady_clock::now() > end) throw std::runtime_error("tcpdump did not start: " + stderr_);
      pollfd p{err_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) == 1) {
        char buf[512];
        ssize_t n = ::read(err_fd_, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("tcpdump exited: " + stderr_);
        stderr_.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  ~TcpdumpProcess() { stop(); }

  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (err_fd_ >= 0) ::close(err_fd_);
    err_fd_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  std::string stderr_;
};

std::vector<Captured> read_pcap(const std::string& path) {
  std::vector<Captured> out;
  auto reader = SavefileReader::open(path);
  if (!reader) return out;
  for (const PacketView& p : **reader) out.push_back({p.header, Bytes(p.data.begin(), p.data.end())});
  return out;
}

TEST(CaptureDifferential, SameBytesAsTcpdumpOnTheSameTraffic) {
  VethPair link;
  auto file = (std::filesystem::temp_directory_path() / (unique_name("pxdiff") + ".pcap")).string();
  struct Cleanup {
    std::string f;
    ~Cleanup() { std::filesystem::remove(f); }
  } cleanup{file};

  TcpdumpProcess oracle(link.capture_ns(), link.capture_if(), file);
  std::unique_ptr<LiveCapture> cap;
  {
    InNetns in(link.capture_ns());
    CaptureOptions o;
    o.timeout_ms = 100;
    o.snaplen = 0;  // the maximum, as tcpdump -s 0
    auto c = LiveCapture::open(link.capture_if(), o);
    ASSERT_TRUE(c) << c.error().what();
    cap = std::move(*c);
  }
  FrameSender tx(link.peer_ns(), link.peer_if());
  const MacAddress us = VethPair::capture_mac(), them = VethPair::peer_mac();
  std::vector<Bytes> sent;
  std::uint32_t seq = 0;
  for (std::size_t size = 60; size <= 1514; size += 97) sent.push_back(make_frame(us, them, kTestEthertype, size, seq++));
  sent.push_back(make_frame(us, them, kTestEthertype, 200, seq++, {{0x8100, 0x3010}}));
  sent.push_back(make_frame(us, them, kTestEthertype, 300, seq++, {{0x88a8, 0x0020}, {0x8100, 0x0030}}));
  sent.push_back(make_frame({0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, them, 0x0806, 60, seq++));
  sent.push_back(make_frame(test_mac(0x42), them, kOtherEthertype, 1514, seq++));
  for (const auto& f : sent) tx.send(f);

  auto ours = capture_n(*cap, sent.size());
  std::vector<Captured> theirs;
  for (int i = 0; i < 500 && theirs.size() < sent.size(); ++i) {
    std::this_thread::sleep_for(20ms);
    theirs = read_pcap(file);
  }
  oracle.stop();
  theirs = read_pcap(file);

  ASSERT_EQ(ours.size(), sent.size());
  ASSERT_EQ(theirs.size(), ours.size()) << "tcpdump saw a different number of packets";
  for (std::size_t i = 0; i < ours.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ours[i].data, theirs[i].data) << "pcapxx  " << hex(ours[i].data) << "\ntcpdump " << hex(theirs[i].data);
    EXPECT_EQ(ours[i].header.caplen, theirs[i].header.caplen);
    EXPECT_EQ(ours[i].header.origlen, theirs[i].header.origlen);
    EXPECT_EQ(ours[i].data, sent[i]);
  }
}

}  // namespace
}  // namespace pcapxx::test
