// Code generation, name resolution: host, port, protocol and ethertype names.
// The generator's class and the facts it shares: codegen_generator.hpp.
#include "filter/codegen_generator.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

#include <fmt/format.h>

namespace pcapxx::filter::codegen_detail {

// A port name or number; `proto` is narrowed by what the services database says.
std::optional<std::uint32_t> Gen::port_number(const Id& id, std::uint32_t& proto) {
  if (id.type == Id::Type::number) return id.value;
  if (id.type != Id::Type::name) return std::nullopt;
  servent* tcp = ::getservbyname(id.text.c_str(), "tcp");
  int tcp_port = tcp ? ntohs(static_cast<std::uint16_t>(tcp->s_port)) : -1;
  servent* udp = ::getservbyname(id.text.c_str(), "udp");
  int udp_port = udp ? ntohs(static_cast<std::uint16_t>(udp->s_port)) : -1;
  if (tcp_port < 0 && udp_port < 0) {
    error(Errc::not_found, id.column, fmt::format("unknown port '{}'", id.text));
    return std::nullopt;
  }
  std::uint32_t found = tcp_port >= 0 && udp_port >= 0 ? kProtoUndef : tcp_port >= 0 ? kIpProtoTcp : kIpProtoUdp;
  if (tcp_port >= 0 && udp_port >= 0 && tcp_port != udp_port) {
    error(Errc::invalid_argument, id.column, fmt::format("ambiguous port '{}' in /etc/services", id.text));
    return std::nullopt;
  }
  if (proto == kProtoUndef) {
    proto = found;
  } else if (found != kProtoUndef && found != proto) {
    error(Errc::invalid_argument, id.column, fmt::format("port '{}' is {}", id.text, found == kIpProtoTcp ? "tcp" : "udp"));
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(tcp_port >= 0 ? tcp_port : udp_port);
}

// ---- protocol numbers
std::optional<std::uint32_t> Gen::ip_protocol_number(const Id& id) {
  if (id.type == Id::Type::number) return id.value;
  // libpcap asks getprotobyname only: `\icmp6`, `\carp` and `\igrp` are unknown names (the
  // /etc/protocols of netbase says ipv6-icmp and has no carp or igrp). These are netbase's
  // names, for hosts without the file.
  static constexpr std::pair<std::string_view, std::uint32_t> kNames[] = {
      {"icmp", 1}, {"igmp", 2}, {"tcp", 6}, {"udp", 17}, {"ah", 51}, {"esp", 50},
      {"ipv6-icmp", 58}, {"pim", 103}, {"vrrp", 112}, {"sctp", 132}};
  for (auto [n, v] : kNames)
    if (id.text == n) return v;
  if (protoent* p = ::getprotobyname(id.text.c_str())) return static_cast<std::uint32_t>(p->p_proto);
  error(Errc::not_found, id.column, fmt::format("unknown ip proto '{}'", id.text));
  return std::nullopt;
}

std::optional<std::uint32_t> Gen::ether_protocol_number(const Id& id) {
  if (id.type == Id::Type::number) return id.value;
  static constexpr std::pair<std::string_view, std::uint32_t> kNames[] = {
      {"ip", kEtherIp}, {"ip6", kEtherIp6}, {"arp", kEtherArp}, {"rarp", kEtherRarp},
      {"atalk", kEtherAtalk}, {"aarp", kEtherAarp}, {"decnet", 0x6003}, {"lat", 0x6004}, {"sca", 0x6007},
      {"moprc", 0x6002}, {"mopdl", 0x6001}, {"iso", kLlcSapIsoNs}, {"stp", kLlcSapStp}, {"ipx", kLlcSapIpx},
      {"netbeui", kLlcSapNetbeui}};
  for (auto [n, v] : kNames)
    if (id.text == n) return v;
  error(Errc::unsupported, id.column, fmt::format("ether proto '{}' is not supported yet", id.text));
  return std::nullopt;
}

Cond Gen::host_name(const Expr& e) {
  const Id& id = e.id;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(id.text.c_str(), nullptr, &hints, &res) != 0 || res == nullptr)
    return error(Errc::not_found, id.column, fmt::format("unknown host '{}'", id.text));
  std::optional<Cond> all;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    std::optional<Cond> one;
    if (ai->ai_family == AF_INET && (e.qual.proto == Proto::none || e.qual.proto == Proto::ip ||
                                     e.qual.proto == Proto::arp || e.qual.proto == Proto::rarp)) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(static_cast<const void*>(ai->ai_addr));
      one = host4(ntohl(sin->sin_addr.s_addr), 0xffffffff, e.qual.proto, e.qual.dir, id.column);
    } else if (ai->ai_family == AF_INET6 && (e.qual.proto == Proto::none || e.qual.proto == Proto::ip6)) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(static_cast<const void*>(ai->ai_addr));
      std::array<std::uint8_t, 16> a{}, m{};
      std::memcpy(a.data(), &sin6->sin6_addr, 16);
      m.fill(0xff);
      one = host6(a, m, e.qual.proto, e.qual.dir, id.column);
    }
    if (one) all = all ? graph_.either(*all, *one) : *one;
  }
  ::freeaddrinfo(res);
  if (!all) return error(Errc::not_found, id.column, fmt::format("unknown host '{}' for this protocol", id.text));
  return *all;
}

}  // namespace pcapxx::filter::codegen_detail
