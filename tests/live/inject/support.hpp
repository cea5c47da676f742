// Support for the injection tests: tcpdump as the oracle capture (a separate process writing a
// pcap file), the frames every path sends, and a comparison that prints both sides.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "live/capture/frames.hpp"
#include "live/netns.hpp"
#include "live/tcpdump_writer.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/inject.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::test {

using namespace std::chrono_literals;

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
