// The identity of a flow as process attribution keys it: IP version, protocol and the two ends
// in a fixed order, so both directions of a flow share one key. Built, hashed and compared once
// per packet, so it is five machine words that stay in registers: no byte-wise copies (which
// stall store forwarding when read back as words) and no memcmp call.
#pragma once

#include <netinet/in.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>

#include "pcapxx/layers/flow.hpp"

namespace pcapxx::detail::process {

struct FlowId {
  // w[0], w[1]: the first end's address bytes 0-7 and 8-15 as loaded (host order);
  // w[2], w[3]: the second end's; w[4]: version << 40 | protocol << 32 | port0 << 16 | port1.
  std::uint64_t w[5]{};

  [[nodiscard]] std::uint8_t ip_version() const noexcept { return static_cast<std::uint8_t>(w[4] >> 40); }
  [[nodiscard]] std::uint8_t protocol() const noexcept { return static_cast<std::uint8_t>(w[4] >> 32); }
  /// The port of end 0 or 1.
  [[nodiscard]] std::uint16_t port(int end) const noexcept {
    return static_cast<std::uint16_t>(end == 0 ? w[4] >> 16 : w[4]);
  }
  /// The address of end 0 or 1 (IPv4 in the first 4 bytes).
  [[nodiscard]] std::array<std::uint8_t, 16> addr(int end) const noexcept {
    std::array<std::uint8_t, 16> a;
    std::memcpy(a.data(), &w[2 * end], 8);
    std::memcpy(a.data() + 8, &w[2 * end + 1], 8);
    return a;
  }

  friend bool operator==(const FlowId& a, const FlowId& b) noexcept {
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2]) | (a.w[3] ^ b.w[3]) | (a.w[4] ^ b.w[4])) == 0;
  }
};

namespace flow_id_detail {
inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
/// The 64x64->128 multiply folded to 64 bits (as in wyhash): one instruction, good mixing.
inline std::uint64_t mum(std::uint64_t a, std::uint64_t b) noexcept {
  __extension__ typedef unsigned __int128 U128;
  U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}
}  // namespace flow_id_detail

/// The FlowId of a TCP or UDP flow over IPv4 or IPv6; `src_is_end0` says which end the key's
/// source is (the smaller end by address bytes, then port, is end 0). nullopt for anything else.
inline std::optional<FlowId> flow_id(const layers::FlowKey& k, bool& src_is_end0) noexcept {
  using flow_id_detail::load64;
  if ((k.ip_version != 4 && k.ip_version != 6) || (k.protocol != IPPROTO_TCP && k.protocol != IPPROTO_UDP))
    return std::nullopt;
  std::uint64_t s0 = load64(k.src.data()), s1 = load64(k.src.data() + 8);
  std::uint64_t d0 = load64(k.dst.data()), d1 = load64(k.dst.data() + 8);
  // Byte order of the address as a number (big-endian), for the order of the ends.
  auto be = [](std::uint64_t v) { return __builtin_bswap64(v); };
  if (s0 != d0) src_is_end0 = be(s0) < be(d0);
  else if (s1 != d1) src_is_end0 = be(s1) < be(d1);
  else src_is_end0 = k.src_port <= k.dst_port;
  FlowId id;
  std::uint64_t top = std::uint64_t{k.ip_version} << 40 | std::uint64_t{k.protocol} << 32;
  if (src_is_end0) {
    id.w[0] = s0, id.w[1] = s1, id.w[2] = d0, id.w[3] = d1;
    id.w[4] = top | std::uint64_t{k.src_port} << 16 | k.dst_port;
  } else {
    id.w[0] = d0, id.w[1] = d1, id.w[2] = s0, id.w[3] = s1;
    id.w[4] = top | std::uint64_t{k.dst_port} << 16 | k.src_port;
  }
  return id;
}

/// A hash of a FlowId; computed once per packet.
inline std::uint64_t hash_of(const FlowId& id) noexcept {
  using flow_id_detail::mum;
  std::uint64_t h = mum(id.w[0] ^ 0xa0761d6478bd642full, id.w[1] ^ 0xe7037ed1a0b428dbull) ^
                    mum(id.w[2] ^ 0x8ebc6af09c88c6e3ull, id.w[3] ^ 0x589965cc75374cc3ull);
  return mum(h ^ id.w[4], 0x1d8e4e27c47d124full);
}

struct FlowIdHash {
  std::size_t operator()(const FlowId& id) const noexcept { return hash_of(id); }
};

/// A hash of one end (version, address, port), for "a connect() towards it is in progress".
inline std::uint64_t endpoint_hash(std::uint8_t version, const std::array<std::uint8_t, 16>& addr,
                                   std::uint16_t port) noexcept {
  using namespace flow_id_detail;
  std::uint64_t h = mum(load64(addr.data()) ^ 0xa0761d6478bd642full, load64(addr.data() + 8) ^ 0xe7037ed1a0b428dbull);
  return mum(h ^ (std::uint64_t{version} << 16 | port), 0x1d8e4e27c47d124full);
}

}  // namespace pcapxx::detail::process
