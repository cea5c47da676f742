// pcapxx: the packet model. A packet is a view: a small header plus the captured bytes, which
// live in ring or file memory owned by whoever delivered the batch. Nothing here allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace pcapxx {

/// Nanoseconds since the Unix epoch (UTC). Precision is always ns internally.
struct Timestamp {
  std::int64_t ns = 0;

  [[nodiscard]] constexpr std::int64_t seconds() const noexcept {
    return ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000);
  }
  [[nodiscard]] constexpr std::uint32_t subsec_ns() const noexcept {
    return static_cast<std::uint32_t>(ns - seconds() * 1'000'000'000);
  }
  [[nodiscard]] constexpr std::uint32_t subsec_us() const noexcept { return subsec_ns() / 1000; }
  static constexpr Timestamp from(std::int64_t sec, std::int64_t nsec) noexcept {
    return Timestamp{sec * 1'000'000'000 + nsec};
  }
  friend constexpr auto operator<=>(Timestamp, Timestamp) = default;
};

/// Which way a packet went relative to the capturing host.
enum class Direction : std::uint8_t { unknown = 0, inbound = 1, outbound = 2 };

/// Per-packet flags, as pcapng's epb_flags word (direction in bits 0-1, reception type in 2-4,
/// FCS length in 5-8, link-layer errors in 16-31). pcapng spec, section "Enhanced Packet Block Flags Word".
using PacketFlags = std::uint32_t;

/// What is known about one packet besides its bytes.
struct PacketHeader {
  Timestamp ts;
  std::uint32_t caplen = 0;         ///< bytes captured (size of data)
  std::uint32_t origlen = 0;        ///< bytes on the wire
  std::uint32_t interface = 0;      ///< index into the source's interface list
  Direction direction = Direction::unknown;
  bool has_flags = false;           ///< whether flags came from the source (epb_flags)
  PacketFlags flags = 0;
};

/// Raw pcapng options of the block that carried a packet; parse with PacketOptions
/// (savefile.hpp). Empty for sources without per-packet options.
struct RawOptions {
  std::span<const std::byte> bytes;
  bool swapped = false;  ///< the section's byte order differs from the host's
};

/// One packet: header plus a view of the captured bytes. Valid until the next batch is
/// requested from the source that delivered it.
struct PacketView {
  PacketHeader header;
  std::span<const std::byte> data;
  RawOptions options;
};

/// A batch of packets delivered at once; the views point into source memory.
using Batch = std::span<const PacketView>;

}  // namespace pcapxx
