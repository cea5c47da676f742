#include "printers/names.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace pxdump::printers {
namespace {

const Resolver* g_resolver = nullptr;  // for part B's function-pointer Names

void names_ipv4(Out& out, const pcapxx::layers::Ipv4Address& a) { g_resolver->ipv4(out, a); }
void names_ipv6(Out& out, const pcapxx::layers::Ipv6Address& a) { g_resolver->ipv6(out, a); }
void names_mac(Out& out, const std::uint8_t* bytes) { g_resolver->mac(out, bytes); }
void names_tcp_port(Out& out, std::uint16_t port) { g_resolver->tcp_port(out, port); }
void names_udp_port(Out& out, std::uint16_t port) { g_resolver->udp_port(out, port); }

/// tcpdump prints these organisation names after MAC addresses when it resolves names
/// (IEEE OUI assignments).
std::string_view oui_name(std::uint32_t oui) {
  switch (oui) {
    case 0x000000: return "Ethernet";
    case 0x00000c: return "Cisco";
    case 0x00005e: return "IANA";
    default: return "Unknown";
  }
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

void append_uint(fmt::memory_buffer& buf, std::uint64_t v) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) buf.push_back(tmp[--n]);
}

void append_ipv4(fmt::memory_buffer& buf, const std::byte* bytes) {
  for (int i = 0; i < 4; ++i) {
    if (i != 0) buf.push_back('.');
    append_uint(buf, std::to_integer<std::uint8_t>(bytes[i]));
  }
}

void append_ipv6(fmt::memory_buffer& buf, const std::byte* bytes) {
  char text[INET6_ADDRSTRLEN];
  in6_addr a;
  std::memcpy(&a, bytes, 16);
  if (inet_ntop(AF_INET6, &a, text, sizeof text) != nullptr) buf.append(std::string_view(text));
}

void append_mac(fmt::memory_buffer& buf, const std::uint8_t* bytes) {
  for (int i = 0; i < 6; ++i) {
    if (i != 0) buf.push_back(':');
    buf.push_back(kHex[bytes[i] >> 4]);
    buf.push_back(kHex[bytes[i] & 15]);
  }
}

Resolver::Resolver(int numeric) : numeric_(numeric) {
  g_resolver = this;
  names_.ipv4 = numeric_ > 0 ? nullptr : names_ipv4;
  names_.ipv6 = numeric_ > 0 ? nullptr : names_ipv6;
  names_.mac = numeric_ > 0 ? nullptr : names_mac;
  names_.tcp_port = numeric_ > 0 ? nullptr : names_tcp_port;
  names_.udp_port = numeric_ > 0 ? nullptr : names_udp_port;
  if (numeric_ == 0) load_services();
}

void Resolver::load_services() {
  tcp_names_.assign(65536, std::string());
  udp_names_.assign(65536, std::string());
  setservent(0);
  while (const servent* s = getservent()) {
    const auto port = ntohs(static_cast<std::uint16_t>(s->s_port));
    std::vector<std::string>* table = nullptr;
    if (std::strcmp(s->s_proto, "tcp") == 0) table = &tcp_names_;
    else if (std::strcmp(s->s_proto, "udp") == 0) table = &udp_names_;
    if (table != nullptr && (*table)[port].empty()) (*table)[port] = s->s_name;
  }
  endservent();
}

void Resolver::ipv4(Out& out, const pcapxx::layers::Ipv4Address& a) const {
  ipv4(out, reinterpret_cast<const std::byte*>(a.bytes.data()));
}

namespace {

/// The cached name of an address (asked of the resolver once, as tcpdump does per address), or
/// its numeric text when it has none.
template <class Cache, class Key, class Sockaddr, class Numeric>
const std::string& cached_name(Cache& cache, const Key& key, const Sockaddr& sa, Numeric&& numeric) {
  auto it = cache.find(key);
  if (it == cache.end()) {
    char host[NI_MAXHOST];
    std::string name;
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&sa), sizeof sa, host, sizeof host, nullptr, 0,
                    NI_NAMEREQD) == 0) {
      name = host;
    } else {
      fmt::memory_buffer b;
      numeric(b);
      name.assign(b.data(), b.size());
    }
    it = cache.emplace(key, std::move(name)).first;
  }
  return it->second;
}

}  // namespace

void Resolver::ipv4(Out& out, const std::byte* bytes) const {
  if (numeric_ > 0) return append_ipv4(out.buf, bytes);
  std::uint32_t key;
  std::memcpy(&key, bytes, 4);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  std::memcpy(&sa.sin_addr, bytes, 4);
  out.put(cached_name(v4_cache_, key, sa, [&](fmt::memory_buffer& b) { append_ipv4(b, bytes); }));
}

void Resolver::ipv6(Out& out, const pcapxx::layers::Ipv6Address& a) const {
  ipv6(out, reinterpret_cast<const std::byte*>(a.bytes.data()));
}

void Resolver::ipv6(Out& out, const std::byte* bytes) const {
  if (numeric_ > 0) return append_ipv6(out.buf, bytes);
  V6Key key;
  std::memcpy(&key.hi, bytes, 8);
  std::memcpy(&key.lo, bytes + 8, 8);
  sockaddr_in6 sa{};
  sa.sin6_family = AF_INET6;
  std::memcpy(&sa.sin6_addr, bytes, 16);
  out.put(cached_name(v6_cache_, key, sa, [&](fmt::memory_buffer& b) { append_ipv6(b, bytes); }));
}

void Resolver::mac(Out& out, const std::uint8_t* bytes) const {
  append_mac(out.buf, bytes);
  if (numeric_ == 0) {
    const std::uint32_t oui = std::uint32_t{bytes[0]} << 16 | std::uint32_t{bytes[1]} << 8 | bytes[2];
    out.put(" (oui {})", oui_name(oui));
  }
}

void Resolver::tcp_port(Out& out, std::uint16_t port) const {
  if (!tcp_names_.empty() && !tcp_names_[port].empty()) return out.put(tcp_names_[port]);
  append_uint(out.buf, port);
}

void Resolver::udp_port(Out& out, std::uint16_t port) const {
  if (!udp_names_.empty() && !udp_names_[port].empty()) return out.put(udp_names_[port]);
  append_uint(out.buf, port);
}

}  // namespace pxdump::printers
