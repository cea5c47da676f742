// pcapxx layers: the 5-tuple of a packet and its hashes. symmetric_hash() gives both
// directions of a conversation the same value, for load balancing and flow tables.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "pcapxx/layers/ipv4.hpp"
#include "pcapxx/layers/ipv6.hpp"
#include "pcapxx/layers/tcp.hpp"
#include "pcapxx/layers/udp.hpp"

namespace pcapxx::layers {

/// Addresses, ports and protocol of a packet. IPv4 addresses occupy the first 4 bytes.
struct FlowKey {
  std::uint8_t ip_version = 0;  ///< 4 or 6
  std::uint8_t protocol = 0;    ///< IP protocol of the transport (or of the last IP header)
  std::uint16_t src_port = 0;   ///< 0 without TCP/UDP
  std::uint16_t dst_port = 0;
  std::array<std::uint8_t, 16> src{};
  std::array<std::uint8_t, 16> dst{};

  /// The key of the other direction.
  [[nodiscard]] FlowKey reversed() const noexcept;
  /// A hash that differs between directions.
  [[nodiscard]] std::uint64_t hash() const noexcept;
  /// A hash equal for a key and its reverse.
  [[nodiscard]] std::uint64_t symmetric_hash() const noexcept;
  /// "tcp 10.0.0.1:1234 -> 10.0.0.2:80". Allocates.
  [[nodiscard]] std::string to_string() const;

  /// Keys from decoded layers.
  static FlowKey of(const Ipv4& ip) noexcept;
  static FlowKey of(const Ipv6& ip) noexcept;
  static FlowKey of(const Ipv4& ip, const Tcp& tcp) noexcept;
  static FlowKey of(const Ipv4& ip, const Udp& udp) noexcept;
  static FlowKey of(const Ipv6& ip, const Tcp& tcp) noexcept;
  static FlowKey of(const Ipv6& ip, const Udp& udp) noexcept;

  friend bool operator==(const FlowKey&, const FlowKey&) = default;
};

}  // namespace pcapxx::layers
