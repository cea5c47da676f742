// Flow keys and their hashes.
#include "pcapxx/layers/flow.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace pcapxx::layers {

namespace {

// A 64-bit mixing step (multiply-xorshift); constants are odd 64-bit values with good
// avalanche, as commonly used in hash finalizers.
constexpr std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

std::uint64_t endpoint_hash(const std::array<std::uint8_t, 16>& addr, std::uint16_t port) noexcept {
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, addr.data(), 8);
  std::memcpy(&b, addr.data() + 8, 8);
  return mix(mix(mix(0x51ed270b27a8d1f1ull, a), b), port);
}

FlowKey base(std::uint8_t version, std::uint8_t proto) noexcept {
  FlowKey k;
  k.ip_version = version;
  k.protocol = proto;
  return k;
}

}  // namespace

FlowKey FlowKey::reversed() const noexcept {
  FlowKey k = *this;
  std::swap(k.src, k.dst);
  std::swap(k.src_port, k.dst_port);
  return k;
}

std::uint64_t FlowKey::hash() const noexcept {
  return mix(mix(endpoint_hash(src, src_port), endpoint_hash(dst, dst_port)),
             std::uint64_t{ip_version} << 8 | protocol);
}

std::uint64_t FlowKey::symmetric_hash() const noexcept {
  const std::uint64_t a = endpoint_hash(src, src_port);
  const std::uint64_t b = endpoint_hash(dst, dst_port);
  return mix(mix(std::min(a, b), std::max(a, b)), std::uint64_t{ip_version} << 8 | protocol);
}

std::string FlowKey::to_string() const {
  auto addr = [&](const std::array<std::uint8_t, 16>& a) {
    if (ip_version == 4) return Ipv4Address{{a[0], a[1], a[2], a[3]}}.to_string();
    Ipv6Address v6;
    v6.bytes = a;
    return fmt::format("[{}]", v6.to_string());
  };
  return fmt::format("proto {} {}:{} -> {}:{}", protocol, addr(src), src_port, addr(dst), dst_port);
}

FlowKey FlowKey::of(const Ipv4& ip) noexcept {
  FlowKey k = base(4, ip.protocol);
  std::copy(ip.src.bytes.begin(), ip.src.bytes.end(), k.src.begin());
  std::copy(ip.dst.bytes.begin(), ip.dst.bytes.end(), k.dst.begin());
  return k;
}

FlowKey FlowKey::of(const Ipv6& ip) noexcept {
  FlowKey k = base(6, ip.next_header);
  k.src = ip.src.bytes;
  k.dst = ip.dst.bytes;
  return k;
}

namespace {

FlowKey with_ports(FlowKey k, std::uint8_t protocol, std::uint16_t src_port, std::uint16_t dst_port) noexcept {
  k.protocol = protocol;
  k.src_port = src_port;
  k.dst_port = dst_port;
  return k;
}

}  // namespace

FlowKey FlowKey::of(const Ipv4& ip, const Tcp& tcp) noexcept { return with_ports(of(ip), 6, tcp.src_port, tcp.dst_port); }
FlowKey FlowKey::of(const Ipv4& ip, const Udp& udp) noexcept { return with_ports(of(ip), 17, udp.src_port, udp.dst_port); }
FlowKey FlowKey::of(const Ipv6& ip, const Tcp& tcp) noexcept { return with_ports(of(ip), 6, tcp.src_port, tcp.dst_port); }
FlowKey FlowKey::of(const Ipv6& ip, const Udp& udp) noexcept { return with_ports(of(ip), 17, udp.src_port, udp.dst_port); }

}  // namespace pcapxx::layers
