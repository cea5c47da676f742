// pxdump printers: addresses and ports as tcpdump prints them. Numeric with -n (hosts and ports)
// and -nn; otherwise host names through the system resolver (cached per address, as tcpdump
// caches), port names from the services database (the first entry per port and protocol, as
// tcpdump's table keeps it) and "(oui Name)" after MAC addresses.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pcapxx/layers/layer.hpp"
#include "printers/printer.hpp"
#include "printers/protocols.hpp"

namespace pxdump::printers {

/// Name resolution for one run of pxdump.
class Resolver {
 public:
  /// numeric: -n count (0 resolves names).
  explicit Resolver(int numeric);

  void ipv4(Out& out, const pcapxx::layers::Ipv4Address& a) const;
  void ipv4(Out& out, const std::byte* bytes) const;
  void ipv6(Out& out, const pcapxx::layers::Ipv6Address& a) const;
  void ipv6(Out& out, const std::byte* bytes) const;
  void mac(Out& out, const std::uint8_t* bytes) const;
  void tcp_port(Out& out, std::uint16_t port) const;
  void udp_port(Out& out, std::uint16_t port) const;
  [[nodiscard]] bool numeric() const noexcept { return numeric_ > 0; }

  /// Part B's Names, routed to this resolver (one resolver per process).
  [[nodiscard]] const Names& names() const noexcept { return names_; }

 private:
  void load_services();
  int numeric_;
  Names names_;
  std::vector<std::string> tcp_names_;  // indexed by port when resolving; empty otherwise
  std::vector<std::string> udp_names_;
  mutable std::unordered_map<std::uint32_t, std::string> v4_cache_;
  /// An IPv6 address as two 64-bit halves: a key that needs no allocation to look up.
  struct V6Key {
    std::uint64_t hi, lo;
    bool operator==(const V6Key&) const = default;
  };
  struct V6Hash {
    std::size_t operator()(const V6Key& k) const noexcept { return std::hash<std::uint64_t>{}(k.hi * 0x9e3779b97f4a7c15ull ^ k.lo); }
  };
  mutable std::unordered_map<V6Key, std::string, V6Hash> v6_cache_;
};

/// Appends a dotted quad without allocating.
void append_ipv4(fmt::memory_buffer& buf, const std::byte* bytes);
/// Appends RFC 5952 text (inet_ntop) without allocating.
void append_ipv6(fmt::memory_buffer& buf, const std::byte* bytes);
/// Appends "xx:xx:xx:xx:xx:xx".
void append_mac(fmt::memory_buffer& buf, const std::uint8_t* bytes);
/// Appends a decimal number without fmt's parsing.
void append_uint(fmt::memory_buffer& buf, std::uint64_t v);

}  // namespace pxdump::printers
