// pxdump -w stopped mid-capture in a network namespace: with traffic still flowing, SIGINT or
// SIGTERM ends it with every file complete (pcap, pcapng, rotated with -C), holding exactly
// the packets the closing lines count, in the order sent; -c ends it by itself the same way;
// -Z drops to the user and every capability after the socket is open and before the first packet.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
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

namespace fs = std::filesystem;
using Bytes = std::vector<std::byte>;
using namespace std::chrono_literals;

constexpr std::uint16_t kEthertype = 0x88b5;  // IEEE 802 local experimental

// A frame of `size` bytes carrying `seq` in its first payload bytes.
Bytes frame(std::uint32_t seq, std::size_t size) {
  Bytes b;
  for (auto x : VethPair::capture_mac()) b.push_back(static_cast<std::byte>(x));
  for (auto x : VethPair::peer_mac()) b.push_back(static_cast<std::byte>(x));
  b.push_back(static_cast<std::byte>(kEthertype >> 8));
  b.push_back(static_cast<std::byte>(kEthertype & 0xff));
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::byte>(seq >> (8 * i)));
  while (b.size() < size) b.push_back(static_cast<std::byte>((b.size() + seq) & 0xff));
  return b;
}

std::uint32_t seq_of(const std::vector<std::byte>& d) {
  std::uint32_t s = 0;
  for (int i = 14; i < 18; ++i) s = s << 8 | std::to_integer<std::uint32_t>(d[static_cast<std::size_t>(i)]);
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / fmt::format("pcapxx-pxdump-out-live-{}-{}", getpid(), n++);
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

using Pxdump = PxdumpProcess;

/// Sends numbered frames as fast as it can until stopped.
class Flood {
 public:
  Flood(const VethPair& link, std::size_t size) : tx_(link.peer_ns(), link.peer_if()) {
    thread_ = std::thread([this, size] {
      try {
        while (!stop_) {
          tx_.send(frame(sent_, size));
          ++sent_;
        }
      } catch (const std::exception& e) {
        error_ = e.what();
      }
    });
  }
  ~Flood() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] std::uint32_t sent() const { return sent_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  FrameSender tx_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint32_t> sent_{0};
  std::string error_;
  std::thread thread_;
};

// The packets of the output files (name, name1, name2...), checked complete by our reader and capinfos.
std::vector<std::uint32_t> sequence_numbers(const fs::path& dir, const std::string& name, std::size_t* files = nullptr) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().starts_with(name)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  if (files) *files = names.size();
  std::vector<std::uint32_t> seqs;
  for (const auto& n : names) {
    auto r = SavefileReader::open((dir / n).string());
    EXPECT_TRUE(r.has_value()) << n << ": " << (r ? "" : r.error().what());
    if (!r) continue;
    std::size_t count = 0;
    for (const PacketView& p : **r) {
      seqs.push_back(seq_of({p.data.begin(), p.data.end()}));
      ++count;
    }
    EXPECT_FALSE((*r)->error().has_value()) << n << ": " << (*r)->error()->what();
    auto c = run({"capinfos", "-M", "-c", (dir / n).string()});
    EXPECT_EQ(c.status, 0) << n << ": capinfos: " << c.err;
    EXPECT_NE(c.out.find(fmt::format("Number of packets:   {}\n", count)), std::string::npos)
        << n << ": capinfos counts otherwise than our reader (" << count << "): " << c.out;
  }
  return seqs;
}

void expect_in_order(const std::vector<std::uint32_t>& seqs, std::uint32_t sent) {
  for (std::size_t i = 1; i < seqs.size(); ++i) ASSERT_LT(seqs[i - 1], seqs[i]) << "packet " << i + 1;
  if (!seqs.empty()) {
    EXPECT_LT(seqs.back(), sent);
  }
}

TEST(PxdumpOutLive, SignalsMidCaptureLeaveCompleteFilesCountedByTheClosingLines) {
  VethPair link;
  struct Case {
    int sig;
    std::vector<std::string> args;
    const char* name;
    std::size_t min_files;
  };
  const Case cases[] = {
      {SIGINT, {}, "x.pcap", 1},
      {SIGTERM, {}, "x.pcapng", 1},
      {SIGINT, {"-C", "1"}, "r.pcapng", 3},
      {SIGTERM, {"-C", "1", "-W", "2"}, "w.pcap", 2},
  };
  for (const Case& c : cases) {
    TempDir dir;
    std::vector<std::string> args = {"-i", link.capture_if(), "-w", (dir.path / c.name).string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    std::string what = fmt::format("{} {} {}", strsignal(c.sig), c.name, fmt::join(c.args, " "));
    Pxdump px(link.capture_ns(), args);
    ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
    Flood flood(link, 1000);
    // Let it write a few thousand frames (and reach the files -C 1 makes of them), then signal
    // while frames still come.
    auto files_now = [&] {
      std::size_t k = 0;
      for (const auto& e : fs::directory_iterator(dir.path)) k += e.path().filename().string().starts_with(c.name);
      return k;
    };
    for (int i = 0; i < 3000 && (flood.sent() < 4000 || files_now() < c.min_files); ++i)
      std::this_thread::sleep_for(10ms);
    px.signal(c.sig);
    ASSERT_EQ(px.wait(), 0) << what << ": " << px.err();
    flood.stop();
    ASSERT_EQ(flood.error(), "");
    std::size_t files = 0;
    auto seqs = sequence_numbers(dir.path, c.name, &files);
    EXPECT_GE(files, c.min_files) << what;
    auto n = closing_counts(px.err());
    if (c.args.size() == 4) {
      // A ring of 2: the older files were overwritten; what is left is in order.
      EXPECT_GT(n[0], static_cast<long>(seqs.size())) << what << ": " << px.err();
      std::sort(seqs.begin(), seqs.end());  // the ring's files hold disjoint runs
    } else {
      EXPECT_EQ(n[0], static_cast<long>(seqs.size())) << what << ": " << px.err();
      if (!seqs.empty()) {
        EXPECT_EQ(seqs.front(), 0u) << what << ": the first frame sent is the first written";
      }
    }
    EXPECT_GE(n[1], n[0]) << px.err();
    EXPECT_GE(n[2], 0) << px.err();
    EXPECT_GT(seqs.size(), 1000u) << what;
    expect_in_order(seqs, flood.sent());
  }
}

TEST(PxdumpOutLive, CountEndsTheCaptureWithACompleteFile) {
  VethPair link;
  TempDir dir;
  Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "-c", "700", "-w", (dir.path / "c.pcapng").string()});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  Flood flood(link, 200);
  ASSERT_EQ(px.wait(), 0) << px.err();
  flood.stop();
  auto seqs = sequence_numbers(dir.path, "c.pcapng");
  ASSERT_EQ(seqs.size(), 700u);
  expect_in_order(seqs, flood.sent());
  auto n = closing_counts(px.err());
  EXPECT_EQ(n[0], 700) << px.err();
  EXPECT_GE(n[1], 700) << px.err();
}

TEST(PxdumpOutLive, DropsPrivilegesAfterOpeningTheSocketAndStillCaptures) {
  VethPair link;
  TempDir dir;
  fs::path file = dir.path / "z.pcap";
  Pxdump px(link.capture_ns(), {"-i", link.capture_if(), "-Z", "nobody", "-U", "-w", file.string()});
  ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
  // The drop comes right after the startup line, before the first packet is read.
  std::string status;
  auto field = [&](const std::string& key) {
    std::istringstream s(status);
    std::string line;
    while (std::getline(s, line))
      if (line.starts_with(key + ":")) return line.substr(line.find_first_not_of(" \t", key.size() + 1));
    return std::string();
  };
  for (int i = 0; i < 500; ++i) {
    status = slurp(fmt::format("/proc/{}/status", px.pid()));
    if (field("Uid") == "65534\t65534\t65534\t65534") break;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(field("Uid"), "65534\t65534\t65534\t65534") << status;
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_EQ(field(cap), "0000000000000000") << cap;
  EXPECT_EQ(field("NoNewPrivs"), "1");
  FrameSender tx(link.peer_ns(), link.peer_if());
  for (std::uint32_t i = 0; i < 5; ++i) tx.send(frame(i, 100));
  for (int i = 0; i < 500; ++i) {
    auto r = SavefileReader::open(file.string());
    std::size_t n = 0;
    if (r)
      for ([[maybe_unused]] const PacketView& p : **r) ++n;
    if (n >= 5) break;
    std::this_thread::sleep_for(10ms);
  }
  px.signal(SIGINT);
  ASSERT_EQ(px.wait(), 0) << px.err();
  auto seqs = sequence_numbers(dir.path, "z.pcap");
  EXPECT_EQ(seqs, (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(closing_counts(px.err())[0], 5) << px.err();
}

}  // namespace
}  // namespace pcapxx::test
