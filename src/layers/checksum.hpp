// The Internet checksum (RFC 1071) and the pseudo-headers of RFC 768/9293 (IPv4) and
// RFC 8200 8.1 (IPv6). Internal to the layers module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "layers/wire.hpp"
#include "pcapxx/layers/ipv4.hpp"
#include "pcapxx/layers/ipv6.hpp"

namespace pcapxx::layers::detail {

/// Adds bytes as big-endian 16-bit words (an odd last byte is padded with zero) to a running sum.
inline std::uint64_t checksum_add(std::span<const std::byte> bytes, std::uint64_t sum) noexcept {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  for (; i + 4 <= n; i += 4) sum += load_be32(bytes.data() + i);
  for (; i + 2 <= n; i += 2) sum += load_be16(bytes.data() + i);
  if (i < n) sum += static_cast<std::uint64_t>(std::to_integer<std::uint8_t>(bytes[i])) << 8;
  return sum;
}

/// Folds a running sum into the one's-complement checksum value to store.
inline std::uint16_t checksum_finish(std::uint64_t sum) noexcept {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

/// The sum of the IPv4 or IPv6 pseudo-header for an upper-layer packet of `length` bytes.
inline std::uint64_t pseudo_header_sum(const SerializeContext& ctx, std::uint8_t protocol,
                                       std::uint32_t length) noexcept {
  std::uint64_t sum = 0;
  if (ctx.ipv6 != nullptr && (ctx.ipv6_nearer || ctx.ipv4 == nullptr)) {
    sum = checksum_add(std::as_bytes(std::span(ctx.ipv6->src.bytes)), sum);
    sum = checksum_add(std::as_bytes(std::span(ctx.ipv6->dst.bytes)), sum);
    sum += length >> 16;
    sum += length & 0xffff;
    sum += protocol;
  } else if (ctx.ipv4 != nullptr) {
    sum = checksum_add(std::as_bytes(std::span(ctx.ipv4->src.bytes)), sum);
    sum = checksum_add(std::as_bytes(std::span(ctx.ipv4->dst.bytes)), sum);
    sum += protocol;
    sum += length & 0xffff;
  }
  return sum;
}

}  // namespace pcapxx::layers::detail
