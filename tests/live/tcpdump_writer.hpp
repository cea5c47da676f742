// tcpdump as the oracle capture in live tests: a separate process writing a pcap file from a
// device in a namespace, and the reading of that file, for comparison with what pcapxx saw
// or sent.
#pragma once

#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "live/capture/frames.hpp"
#include "live/netns.hpp"
#include "live/netns_process.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::test {

/// A temporary file path removed on destruction.
struct TempFile {
  std::string path;
  explicit TempFile(std::string_view stem, std::string_view ext = ".pcap")
      : path((std::filesystem::temp_directory_path() / (unique_name(stem) + std::string(ext))).string()) {}
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
};

/// `tcpdump -w FILE` on a device in a namespace (whole frames, packet-buffered, 8 MiB buffer);
/// waits for "listening on" before returning, so every packet sent afterwards is seen. With
/// inbound_only, `-Q in`; a non-empty filter is passed on. Stopped (SIGTERM) on destruction.
class Tcpdump {
 public:
  Tcpdump(const Netns& ns, const std::string& dev, const std::string& file, const std::string& filter = "",
          bool inbound_only = true)
      : process_(ns, arguments(dev, file, filter, inbound_only)) {
    if (!process_.wait_for_err("listening on")) throw std::runtime_error("tcpdump did not start: " + process_.err());
  }
  ~Tcpdump() { stop(); }
  Tcpdump(const Tcpdump&) = delete;
  Tcpdump& operator=(const Tcpdump&) = delete;

  /// Ends the capture (SIGTERM: tcpdump flushes and closes the file) and waits for the exit.
  void stop() {
    process_.signal(SIGTERM);
    process_.wait();
  }

 private:
  static std::vector<std::string> arguments(const std::string& dev, const std::string& file,
                                            const std::string& filter, bool inbound_only) {
    std::vector<std::string> args = {"tcpdump", "-i", dev, "-w", file, "-U", "--immediate-mode",
                                     "-Z", "root", "-s", "0", "-B", "8192"};
    if (inbound_only) {
      args.push_back("-Q");
      args.push_back("in");
    }
    if (!filter.empty()) args.push_back(filter);
    return args;
  }
  NetnsProcess process_;
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
  using namespace std::chrono_literals;
  for (int i = 0; i < 500 && read_pcap(file).size() < want; ++i) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(50ms);
  oracle.stop();
  return read_pcap(file);
}

/// Holds what a pcapxx capture saw (`who`: "pcapxx", "pxdump") to what tcpdump wrote at the same
/// time: the same number of packets, each with the same bytes and lengths.
inline void expect_same_as_tcpdump(const std::vector<Captured>& ours, const std::vector<Captured>& theirs,
                                   std::string_view who = "pcapxx") {
  ASSERT_EQ(theirs.size(), ours.size()) << "tcpdump saw a different number of packets than " << who;
  for (std::size_t i = 0; i < ours.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ours[i].data, theirs[i].data) << fmt::format("{:<8}{}\ntcpdump {}", who, hex(ours[i].data),
                                                           hex(theirs[i].data));
    EXPECT_EQ(ours[i].header.caplen, theirs[i].header.caplen);
    EXPECT_EQ(ours[i].header.origlen, theirs[i].header.origlen);
  }
}

}  // namespace pcapxx::test
