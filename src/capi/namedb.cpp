// The libpcap ABI's name lookups (pcap/namedb.h): hosts, networks, ports and protocols through
// the C library's resolvers, ethertype and LLC names from small tables, ethers(5) entries.
// Used by filter compilers to resolve names; nothing here is on a per-packet path.
#include <netdb.h>
#include <netinet/ether.h>
#include <netinet/in.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "capi/handle.hpp"
#include "pcap/namedb.h"

/// An ethertype name, as libpcap exports its table (filter compilers read it directly).
struct eproto {
  const char* s;
  unsigned short p;
};

// Ethertype names the filter language accepts (pcap-filter(7), "ether proto").
extern "C" {
__attribute__((visibility("default"))) struct eproto eproto_db[] = {
    {"aarp", 0x80f3},   {"arp", 0x0806},      {"atalk", 0x809b}, {"decnet", 0x6003},
    {"ip", 0x0800},     {"ip6", 0x86dd},      {"lat", 0x6004},   {"loopback", 0x9000},
    {"mopdl", 0x6001},  {"moprc", 0x6002},    {"rarp", 0x8035},  {"sca", 0x6007},
    {nullptr, 0},
};
}

namespace {

// LLC SAP names of the filter language (pcap-filter(7), "llc").
constexpr struct {
  const char* name;
  int sap;
} kLlcSaps[] = {{"iso", 0xfe}, {"stp", 0x42}, {"ipx", 0xe0}, {"netbeui", 0xf0}};

int hex_value(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

int service_port(const char* name, const char* proto) {
  struct servent result{};
  struct servent* found = nullptr;
  char buf[1024];
  if (getservbyname_r(name, proto, &result, buf, sizeof buf, &found) != 0 || found == nullptr) return -1;
  return ntohs(static_cast<std::uint16_t>(found->s_port));
}

// One side of a port range: a number or a service name.
bool port_or_name(const std::string& text, int* port, int* proto) {
  if (text.empty()) return false;
  char* end = nullptr;
  long n = std::strtol(text.c_str(), &end, 10);
  if (*end == '\0') {
    if (n < 0 || n > 65535) return false;
    *port = static_cast<int>(n);
    *proto = PROTO_UNDEF;
    return true;
  }
  return pcap_nametoport(text.c_str(), port, proto) != 0;
}

}  // namespace

PCAPXX_CAPI bpf_u_int32** pcap_nametoaddr(const char* name) {
  thread_local std::vector<bpf_u_int32> addrs;
  thread_local std::vector<bpf_u_int32*> list;
  if (name == nullptr) return nullptr;
  try {
    struct addrinfo hints{};
    hints.ai_family = AF_INET;
    struct addrinfo* res = nullptr;
    if (getaddrinfo(name, nullptr, &hints, &res) != 0) return nullptr;
    addrs.clear();
    for (struct addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      bpf_u_int32 a = ntohl(reinterpret_cast<struct sockaddr_in*>(ai->ai_addr)->sin_addr.s_addr);
      bool seen = false;
      for (bpf_u_int32 b : addrs) seen |= a == b;
      if (!seen) addrs.push_back(a);
    }
    freeaddrinfo(res);
    list.clear();
    for (bpf_u_int32& a : addrs) list.push_back(&a);
    list.push_back(nullptr);
    return addrs.empty() ? nullptr : list.data();
  } catch (...) {
    return nullptr;
  }
}

PCAPXX_CAPI struct addrinfo* pcap_nametoaddrinfo(const char* name) {
  struct addrinfo hints{};
  hints.ai_family = PF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  struct addrinfo* res = nullptr;
  if (name == nullptr || getaddrinfo(name, nullptr, &hints, &res) != 0) return nullptr;
  return res;
}

PCAPXX_CAPI bpf_u_int32 pcap_nametonetaddr(const char* name) {
  if (name == nullptr) return 0;
  struct netent result{};
  struct netent* found = nullptr;
  char buf[1024];
  int err = 0;
  if (getnetbyname_r(name, &result, buf, sizeof buf, &found, &err) != 0 || found == nullptr) return 0;
  return found->n_net;
}

PCAPXX_CAPI int pcap_nametoport(const char* name, int* port, int* proto) {
  if (name == nullptr || port == nullptr || proto == nullptr) return 0;
  int tcp = service_port(name, "tcp");
  int udp = service_port(name, "udp");
  if (tcp >= 0) {
    *port = tcp;
    // A name with the same port for TCP and UDP means either protocol.
    *proto = udp == tcp ? PROTO_UNDEF : IPPROTO_TCP;
    return 1;
  }
  if (udp >= 0) {
    *port = udp;
    *proto = IPPROTO_UDP;
    return 1;
  }
  return 0;
}

PCAPXX_CAPI int pcap_nametoportrange(const char* name, int* port1, int* port2, int* proto) {
  if (name == nullptr || port1 == nullptr || port2 == nullptr || proto == nullptr) return 0;
  try {
    std::string text(name);
    std::size_t dash = text.find('-');
    if (dash == std::string::npos) return 0;
    int p1 = 0, p2 = 0, proto1 = PROTO_UNDEF, proto2 = PROTO_UNDEF;
    if (!port_or_name(text.substr(0, dash), &p1, &proto1) ||
        !port_or_name(text.substr(dash + 1), &p2, &proto2))
      return 0;
    *port1 = p1;
    *port2 = p2;
    *proto = proto1 == proto2 ? proto1 : PROTO_UNDEF;
    return 1;
  } catch (...) {
    return 0;
  }
}

PCAPXX_CAPI int pcap_nametoproto(const char* name) {
  if (name == nullptr) return PROTO_UNDEF;
  struct protoent result{};
  struct protoent* found = nullptr;
  char buf[1024];
  if (getprotobyname_r(name, &result, buf, sizeof buf, &found) != 0 || found == nullptr) return PROTO_UNDEF;
  return found->p_proto;
}

PCAPXX_CAPI int pcap_nametoeproto(const char* name) {
  if (name == nullptr) return PROTO_UNDEF;
  for (const eproto* e = eproto_db; e->s != nullptr; ++e)
    if (std::strcmp(e->s, name) == 0) return e->p;
  return PROTO_UNDEF;
}

PCAPXX_CAPI int pcap_nametollc(const char* name) {
  if (name == nullptr) return PROTO_UNDEF;
  for (const auto& l : kLlcSaps)
    if (std::strcmp(l.name, name) == 0) return l.sap;
  return PROTO_UNDEF;
}

PCAPXX_CAPI unsigned char* pcap_ether_aton(const char* s) {
  if (s == nullptr) return nullptr;
  auto* e = static_cast<unsigned char*>(std::calloc(6, 1));
  if (e == nullptr) return nullptr;
  // Hex bytes of one or two digits, separated by ':', '.' or '-'; at most six are kept.
  for (int i = 0; *s != '\0' && i < 6; ++i) {
    if (*s == ':' || *s == '.' || *s == '-') ++s;
    if (!std::isxdigit(static_cast<unsigned char>(*s))) break;
    int d = hex_value(*s++);
    if (std::isxdigit(static_cast<unsigned char>(*s))) d = (d << 4) | hex_value(*s++);
    e[i] = static_cast<unsigned char>(d);
  }
  return e;
}

PCAPXX_CAPI unsigned char* pcap_ether_hostton(const char* name) {
  if (name == nullptr) return nullptr;
  struct ether_addr addr{};
  if (ether_hostton(name, &addr) != 0) return nullptr;
  auto* e = static_cast<unsigned char*>(std::malloc(6));
  if (e != nullptr) std::memcpy(e, addr.ether_addr_octet, 6);
  return e;
}

PCAPXX_CAPI struct pcap_etherent* pcap_next_etherent(FILE* fp) {
  thread_local struct pcap_etherent entry;
  if (fp == nullptr) return nullptr;
  char line[512];
  while (std::fgets(line, sizeof line, fp) != nullptr) {
    const char* s = line;
    while (*s == ' ' || *s == '\t') ++s;
    if (*s == '#' || *s == '\n' || *s == '\0') continue;
    // "xx:xx:xx:xx:xx:xx name": six hex bytes, then the name up to white space or '#'.
    unsigned char addr[6] = {};
    int bytes = 0;
    for (; bytes < 6 && std::isxdigit(static_cast<unsigned char>(*s)); ++bytes) {
      int d = hex_value(*s++);
      if (std::isxdigit(static_cast<unsigned char>(*s))) d = (d << 4) | hex_value(*s++);
      addr[bytes] = static_cast<unsigned char>(d);
      if (*s == ':' || *s == '.' || *s == '-') ++s;
    }
    if (bytes != 6 || (*s != ' ' && *s != '\t')) continue;
    while (*s == ' ' || *s == '\t') ++s;
    std::size_t n = 0;
    while (s[n] != '\0' && !std::isspace(static_cast<unsigned char>(s[n])) && s[n] != '#') ++n;
    if (n == 0) continue;
    n = std::min(n, sizeof entry.name - 1);
    std::memcpy(entry.addr, addr, 6);
    std::memcpy(entry.name, s, n);
    entry.name[n] = '\0';
    return &entry;
  }
  return nullptr;
}
