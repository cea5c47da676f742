// pcapxx layers: NTP version 3/4 (RFC 5905 7.3), UDP port 123: the 48-byte header. Extension
// fields and the MAC that may follow are the payload. Timestamps are raw 64-bit NTP values
// (seconds since 1900 in the high half, fraction in the low half).
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// An NTP packet header.
struct Ntp : LayerBase {
  static constexpr LayerType kType = LayerType::ntp;
  static constexpr LayerClass kClass = LayerClass::application;
  static constexpr std::size_t kHeaderLength = 48;

  std::uint8_t leap = 0;        ///< 2 bits
  std::uint8_t version = 4;     ///< 3 bits
  std::uint8_t mode = 3;        ///< 3 bits: 3 client, 4 server...
  std::uint8_t stratum = 0;
  std::int8_t poll = 0;         ///< log2 seconds
  std::int8_t precision = 0;    ///< log2 seconds
  std::uint32_t root_delay = 0;       ///< NTP short format (16.16)
  std::uint32_t root_dispersion = 0;  ///< NTP short format
  std::uint32_t reference_id = 0;
  std::uint64_t reference_time = 0;
  std::uint64_t origin_time = 0;
  std::uint64_t receive_time = 0;
  std::uint64_t transmit_time = 0;

  /// The first byte: leap, version, mode.
  [[nodiscard]] std::uint8_t flags() const noexcept {
    return static_cast<std::uint8_t>((leap & 3) << 6 | (version & 7) << 3 | (mode & 7));
  }

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
