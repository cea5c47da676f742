// Crafted Ethernet frames and capture loops shared by the live capture tests.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "live/netns.hpp"
#include "pcapxx/capture.hpp"

namespace pcapxx::test {

using Bytes = std::vector<std::byte>;

inline constexpr std::uint16_t kTestEthertype = 0x88b5;   // IEEE 802 local experimental 1
inline constexpr std::uint16_t kOtherEthertype = 0x88b6;  // IEEE 802 local experimental 2

inline void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::byte>(v >> 8));
  b.push_back(static_cast<std::byte>(v & 0xff));
}

/// An Ethernet frame of exactly `size` bytes: dst, src, optional tags (TPID, TCI pairs), the
/// ethertype, then a payload starting with the 32-bit sequence number and a byte pattern.
inline Bytes make_frame(const MacAddress& dst, const MacAddress& src, std::uint16_t ethertype,
                        std::size_t size, std::uint32_t seq,
                        std::vector<std::pair<std::uint16_t, std::uint16_t>> tags = {}) {
  Bytes b;
  b.reserve(size);
  for (auto x : dst) b.push_back(static_cast<std::byte>(x));
  for (auto x : src) b.push_back(static_cast<std::byte>(x));
  for (auto [tpid, tci] : tags) {
    put16(b, tpid);
    put16(b, tci);
  }
  put16(b, ethertype);
  for (int i = 3; i >= 0; --i) b.push_back(static_cast<std::byte>(seq >> (8 * i)));
  while (b.size() < size) b.push_back(static_cast<std::byte>((b.size() * 7 + seq) & 0xff));
  b.resize(size);
  return b;
}

/// A live capture opened from inside `ns` (the device is looked up there); throws on failure.
inline std::unique_ptr<LiveCapture> open_in(const Netns& ns, const std::string& dev, const CaptureOptions& o) {
  InNetns in(ns);
  auto c = LiveCapture::open(dev, o);
  if (!c) throw std::runtime_error(c.error().what());
  return std::move(*c);
}

/// A packet copied out of a batch.
struct Captured {
  PacketHeader header;
  Bytes data;
};

/// Reads batches until `want` packets arrived or `limit` passed (a guard against hanging, not
/// a timing assertion: the tests then check counts, which fail on their own).
inline std::vector<Captured> capture_n(LiveCapture& cap, std::size_t want,
                                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  std::vector<Captured> out;
  auto end = std::chrono::steady_clock::now() + limit;
  while (out.size() < want && std::chrono::steady_clock::now() < end) {
    auto r = cap.next_batch();
    if (!r) throw std::runtime_error(r.error().what());
    if (r->status == BatchStatus::end) break;
    for (const PacketView& p : r->packets) {
      out.push_back({p.header, Bytes(p.data.begin(), p.data.end())});
    }
  }
  return out;
}

/// Reads until a timeout batch (nothing more arrives within the capture's timeout).
inline std::vector<Captured> capture_until_quiet(LiveCapture& cap, std::size_t at_most = 100000) {
  std::vector<Captured> out;
  while (out.size() < at_most) {
    auto r = cap.next_batch();
    if (!r) throw std::runtime_error(r.error().what());
    if (r->status != BatchStatus::packets) break;
    for (const PacketView& p : r->packets) {
      out.push_back({p.header, Bytes(p.data.begin(), p.data.end())});
    }
  }
  return out;
}

/// Anything still arriving: reads until two timeouts in a row. A V3 block holding packets
/// retires at most one block timeout after its first packet, so two empty waits mean empty.
inline std::vector<Captured> capture_rest(LiveCapture& cap) {
  std::vector<Captured> out;
  int quiet = 0;
  while (quiet < 2) {
    auto r = cap.next_batch();
    if (!r) throw std::runtime_error(r.error().what());
    if (r->status != BatchStatus::packets) {
      ++quiet;
      continue;
    }
    quiet = 0;
    for (const PacketView& p : r->packets) out.push_back({p.header, Bytes(p.data.begin(), p.data.end())});
  }
  return out;
}

inline std::string hex(std::span<const std::byte> b, std::size_t max = 64) {
  std::string s;
  for (std::size_t i = 0; i < b.size() && i < max; ++i) s += fmt::format("{:02x}", std::to_integer<int>(b[i]));
  if (b.size() > max) s += "...";
  return s;
}

}  // namespace pcapxx::test
