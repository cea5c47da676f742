// Support for the injection tests: tcpdump as the oracle capture (a separate process writing a
// pcap file), the frames every path sends, and a comparison that prints both sides.
#pragma once

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "live/capture/frames.hpp"
#include "live/netns.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/inject.hpp"
#include "pcapxx/savefile.hpp"

extern char** environ;

namespace pcapxx::test {

using namespace std::chrono_literals;

/// A temporary file path removed on destruction.
struct TempFile {
  std::string path;
  explicit TempFile(std::string_view stem, std::string_view ext = ".pcap")
      : path((std::filesystem::temp_directory_path() / (unique_name(stem) + std::string(ext))).string()) {}
  ~TempFile() { std::filesystem::remove(path); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
};

/// `tcpdump -w FILE` on a device in a namespace; waits for "listening on" before returning, so
/// every packet sent afterwards is seen. Stopped (SIGTERM) on destruction.
class Tcpdump {
 public:
  Tcpdump(const Netns& ns, const std::string& dev, const std::string& file, const std::string& filter = "",
          bool inbound_only = true) {
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    std::vector<std::string> args = {"ip", "netns", "exec", ns.name(), "tcpdump", "-i", dev, "-w", file,
                                     "-U", "--immediate-mode", "-Z", "root", "-s", "0", "-B", "8192"};
    if (inbound_only) {
      args.push_back("-Q");
      args.push_back("in");
    }
    if (!filter.empty()) args.push_back(filter);
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
  ~Tcpdump() { stop(); }
  Tcpdump(const Tcpdump&) = delete;
  Tcpdump& operator=(const Tcpdump&) = delete;

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

/// Every packet of a pcap file (what could be read so far, if it is still being written).
inline std::vector<Captured> read_pcap(const std::string& path) {
  std::vector<Captured> out;
  auto reader = SavefileReader::open(path);
  if (!reader) return out;
  for (const PacketView& p : **reader) out.push_back({p.header, Bytes(p.data.begin(), p.data.end())});
  return out;
}

/// Polls the file until it holds `want` packets (or 10 s passed), then stops tcpdump and reads
/// it once more (anything extra must show up in the comparison).
inline std::vector<Captured> finish_tcpdump(Tcpdump& oracle, const std::string& file, std::size_t want) {
  for (int i = 0; i < 500 && read_pcap(file).size() < want; ++i) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(50ms);
  oracle.stop();
  return read_pcap(file);
}

/// The frames every path sends: sizes 60 to 1514 (odd lengths among them), 802.1Q-tagged
/// frames up to the 1518 bytes a tag allows, a QinQ frame, and minimum and maximum sizes.
/// `first_seq` numbers them so that a reordered or repeated frame is visible.
inline std::vector<Bytes> test_frames(std::uint32_t first_seq = 0, std::size_t repeat = 1) {
  const MacAddress dst = VethPair::capture_mac(), src = VethPair::peer_mac();
  std::vector<Bytes> frames;
  std::uint32_t seq = first_seq;
  for (std::size_t r = 0; r < repeat; ++r) {
    for (std::size_t size : {60, 61, 64, 99, 127, 128, 255, 511, 777, 1023, 1024, 1499, 1513, 1514}) {
      frames.push_back(make_frame(dst, src, kTestEthertype, size, seq++));
    }
    frames.push_back(make_frame(dst, src, kTestEthertype, 64, seq++, {{0x8100, 0x2064}}));
    frames.push_back(make_frame(dst, src, kTestEthertype, 333, seq++, {{0x8100, 0x0005}}));
    frames.push_back(make_frame(dst, src, kTestEthertype, 1518, seq++, {{0x8100, 0xe00a}}));
    frames.push_back(make_frame(dst, src, kTestEthertype, 401, seq++, {{0x88a8, 0x0020}, {0x8100, 0x0030}}));
  }
  return frames;
}

/// Views of frames, as the senders take them.
inline std::vector<FrameBytes> views(const std::vector<Bytes>& frames) {
  std::vector<FrameBytes> v;
  for (const auto& f : frames) v.emplace_back(f);
  return v;
}

/// A hex dump of the bytes around the first difference.
inline std::string diff_text(const Bytes& want, const Bytes& got) {
  std::size_t at = 0;
  while (at < want.size() && at < got.size() && want[at] == got[at]) ++at;
  std::size_t from = at >= 16 ? at - 16 : 0;
  auto window = [&](const Bytes& b) {
    return hex(std::span<const std::byte>(b).subspan(std::min(from, b.size())), 48);
  };
  return fmt::format("lengths sent {} captured {}; first difference at byte {}\n  sent     @{}: {}\n  captured @{}: {}",
                     want.size(), got.size(), at, from, window(want), from, window(got));
}

/// Checks a capture holds exactly the frames sent, complete and in order, byte for byte.
inline void expect_same(const std::vector<Bytes>& sent, const std::vector<Captured>& got, std::string_view who) {
  EXPECT_EQ(got.size(), sent.size()) << who << " captured " << got.size() << " frames, " << sent.size() << " were sent";
  for (std::size_t i = 0; i < std::min(sent.size(), got.size()); ++i) {
    EXPECT_TRUE(got[i].data == sent[i]) << who << " frame " << i << ": " << diff_text(sent[i], got[i].data);
    EXPECT_EQ(got[i].header.origlen, sent[i].size()) << who << " frame " << i << " original length";
  }
}

/// A LiveCapture on the capture side of the link: inbound only, no snaplen limit, 100 ms timeout.
inline std::unique_ptr<LiveCapture> open_capture(const VethPair& link) {
  InNetns in(link.capture_ns());
  CaptureOptions o;
  o.timeout_ms = 100;
  o.snaplen = 0;
  o.direction = CaptureDirection::in;
  auto c = LiveCapture::open(link.capture_if(), o);
  if (!c) throw std::runtime_error(c.error().what());
  return std::move(*c);
}

/// Keeps only the captured frames `keep` accepts (IPv6 tests: drop neighbour discovery noise).
template <class Pred>
std::vector<Captured> only(std::vector<Captured> in, Pred keep) {
  std::vector<Captured> out;
  for (auto& c : in) {
    if (keep(c.data)) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace pcapxx::test
