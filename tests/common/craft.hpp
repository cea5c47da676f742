// Small builders for tests that craft packets: bytes from hex text, addresses from text (a bad
// literal fails the test), and the Ethernet/IP/UDP endpoints most crafted frames start with.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/decode.hpp"

namespace pcapxx::test {

// Bytes from hex digit pairs; spaces between pairs are ignored.
inline std::vector<std::byte> hex(std::string_view h) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < h.size();) {
    if (h[i] == ' ') {
      ++i;
      continue;
    }
    out.push_back(static_cast<std::byte>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

inline layers::Ipv4Address v4(const char* s) {
  layers::Ipv4Address a;
  EXPECT_TRUE(layers::Ipv4Address::parse(s, a)) << s;
  return a;
}
inline layers::Ipv6Address v6(const char* s) {
  layers::Ipv6Address a;
  EXPECT_TRUE(layers::Ipv6Address::parse(s, a)) << s;
  return a;
}

// Ethernet from 02:00:00:00:00:01 to 02:00:00:00:00:02.
inline layers::Ethernet eth_frame(std::uint16_t ethertype = 0) {
  layers::Ethernet eth;
  eth.src.bytes = {0x02, 0, 0, 0, 0, 1};
  eth.dst.bytes = {0x02, 0, 0, 0, 0, 2};
  eth.ethertype = ethertype;
  return eth;
}

inline layers::Ipv4 ipv4_between(const char* src, const char* dst, std::uint8_t protocol) {
  layers::Ipv4 ip;
  ip.src = v4(src);
  ip.dst = v4(dst);
  ip.protocol = protocol;
  return ip;
}

inline layers::Ipv6 ipv6_between(const char* src, const char* dst, std::uint8_t next_header) {
  layers::Ipv6 ip;
  ip.src = v6(src);
  ip.dst = v6(dst);
  ip.next_header = next_header;
  return ip;
}

inline layers::Udp udp_ports(std::uint16_t src, std::uint16_t dst) {
  layers::Udp udp;
  udp.src_port = src;
  udp.dst_port = dst;
  return udp;
}

}  // namespace pcapxx::test
