// The libpcap ABI's device functions on pcapxx's device list (include/pcapxx/device.hpp):
// pcap_findalldevs builds the pcap_if / pcap_addr list (one AF_PACKET address per device with
// its hardware address, then its IPv4 and IPv6 addresses, as getifaddrs gives them to libpcap),
// pcap_lookupdev picks its first entry, pcap_lookupnet converts lookup_net to network order.
//
// libpcap on Linux also lists capture sources that are not network devices; pcapxx lists the
// ones Debian's libpcap shows in a network namespace without Bluetooth controllers or D-Bus
// (bluetooth-monitor, nflog, nfqueue, dbus-system, dbus-session), placed where libpcap's order
// puts them, so that device lists and indices (tcpdump -D, -i N) agree; pcap_activate on them
// fails with "not supported yet by pcapxx".
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "capi/handle.hpp"
#include "pcapxx/device.hpp"

using pcapxx::capi::set_errbuf;

namespace {

struct PseudoDevice {
  const char* name;
  const char* description;
  bpf_u_int32 flags;
};

// libpcap 1.10's pseudo-devices on Linux and the descriptions it gives them.
constexpr PseudoDevice kPseudoDevices[] = {
    {"bluetooth-monitor", "Bluetooth Linux Monitor", PCAP_IF_WIRELESS | PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE},
    {"nflog", "Linux netfilter log (NFLOG) interface", PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE},
    {"nfqueue", "Linux netfilter queue (NFQUEUE) interface", PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE},
    {"dbus-system", "D-Bus system bus", PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE},
    {"dbus-session", "D-Bus session bus", PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE},
};

char* dup_string(const std::string& s) {
  if (s.empty()) return nullptr;
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out != nullptr) std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

sockaddr* make_sockaddr(const pcapxx::IpAddress& a) {
  if (a.version == 4) {
    auto* sin = static_cast<sockaddr_in*>(std::calloc(1, sizeof(sockaddr_in)));
    if (sin == nullptr) return nullptr;
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, a.bytes.data(), 4);
    return reinterpret_cast<sockaddr*>(sin);
  }
  auto* sin6 = static_cast<sockaddr_in6*>(std::calloc(1, sizeof(sockaddr_in6)));
  if (sin6 == nullptr) return nullptr;
  sin6->sin6_family = AF_INET6;
  std::memcpy(&sin6->sin6_addr, a.bytes.data(), 16);
  return reinterpret_cast<sockaddr*>(sin6);
}

sockaddr* make_sockaddr(const std::optional<pcapxx::IpAddress>& a) {
  return a ? make_sockaddr(*a) : nullptr;
}

sockaddr* make_link_sockaddr(const pcapxx::Device& d) {
  auto* sll = static_cast<sockaddr_ll*>(std::calloc(1, sizeof(sockaddr_ll)));
  if (sll == nullptr) return nullptr;
  sll->sll_family = AF_PACKET;
  sll->sll_ifindex = static_cast<int>(d.index);
  sll->sll_hatype = d.arphrd;
  std::size_t n = std::min(d.hardware_address.size(), sizeof sll->sll_addr);
  sll->sll_halen = static_cast<unsigned char>(n);
  std::memcpy(sll->sll_addr, d.hardware_address.data(), n);
  return reinterpret_cast<sockaddr*>(sll);
}

void free_addresses(pcap_addr_t* a) {
  while (a != nullptr) {
    pcap_addr_t* next = a->next;
    std::free(a->addr);
    std::free(a->netmask);
    std::free(a->broadaddr);
    std::free(a->dstaddr);
    std::free(a);
    a = next;
  }
}

void free_list(pcap_if_t* d) {
  while (d != nullptr) {
    pcap_if_t* next = d->next;
    std::free(d->name);
    std::free(d->description);
    free_addresses(d->addresses);
    std::free(d);
    d = next;
  }
}

bpf_u_int32 flags_of(const pcapxx::Device& d) {
  bpf_u_int32 f = 0;
  if (d.loopback) f |= PCAP_IF_LOOPBACK;
  if (d.up) f |= PCAP_IF_UP;
  if (d.running) f |= PCAP_IF_RUNNING;
  if (d.wireless) f |= PCAP_IF_WIRELESS;
  switch (d.connection) {
    case pcapxx::ConnectionStatus::unknown: break;
    case pcapxx::ConnectionStatus::connected: f |= PCAP_IF_CONNECTION_STATUS_CONNECTED; break;
    case pcapxx::ConnectionStatus::disconnected: f |= PCAP_IF_CONNECTION_STATUS_DISCONNECTED; break;
    case pcapxx::ConnectionStatus::not_applicable: f |= PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE; break;
  }
  return f;
}

// libpcap's sort key for its device list (get_figure_of_merit in pcap.c, without the
// unit-number part, which pcapxx's list order already reflects).
std::uint32_t merit(const char* name, bpf_u_int32 flags) {
  std::uint32_t n = std::strcmp(name, "any") == 0 ? 0x1FFFFFFFu : 0u;
  if ((flags & PCAP_IF_RUNNING) == 0) n |= 0x80000000u;
  if ((flags & PCAP_IF_UP) == 0) n |= 0x40000000u;
  if ((flags & PCAP_IF_CONNECTION_STATUS) == PCAP_IF_CONNECTION_STATUS_DISCONNECTED) n |= 0x20000000u;
  if ((flags & PCAP_IF_LOOPBACK) != 0) n |= 0x10000000u;
  return n;
}

// Inserts an entry after the last one whose key is not larger (libpcap's stable insertion).
void insert_sorted(pcap_if_t** list, pcap_if_t* entry) {
  std::uint32_t key = merit(entry->name, entry->flags);
  pcap_if_t** at = list;
  while (*at != nullptr && merit((*at)->name, (*at)->flags) <= key) at = &(*at)->next;
  entry->next = *at;
  *at = entry;
}

pcap_if_t* new_entry(const std::string& name, const std::string& description, bpf_u_int32 flags) {
  auto* e = static_cast<pcap_if_t*>(std::calloc(1, sizeof(pcap_if_t)));
  if (e == nullptr) return nullptr;
  e->name = dup_string(name);
  e->description = dup_string(description);
  e->flags = flags;
  if (e->name == nullptr) {
    std::free(e);
    return nullptr;
  }
  return e;
}

bool append_address(pcap_if_t* e, pcap_addr_t*** tail, sockaddr* addr, sockaddr* netmask,
                    sockaddr* broadaddr, sockaddr* dstaddr) {
  auto* a = static_cast<pcap_addr_t*>(std::calloc(1, sizeof(pcap_addr_t)));
  if (a == nullptr || addr == nullptr) {
    std::free(a);
    std::free(addr);
    std::free(netmask);
    std::free(broadaddr);
    std::free(dstaddr);
    return false;
  }
  (void)e;
  a->addr = addr;
  a->netmask = netmask;
  a->broadaddr = broadaddr;
  a->dstaddr = dstaddr;
  **tail = a;
  *tail = &a->next;
  return true;
}

int find_all(pcap_if_t** alldevsp, char* errbuf) {
  auto devices = pcapxx::list_devices();
  if (!devices) {
    set_errbuf(errbuf, devices.error().message);
    return PCAP_ERROR;
  }
  pcap_if_t* head = nullptr;
  pcap_if_t** tail = &head;
  auto out_of_memory = [&] {
    free_list(head);
    set_errbuf(errbuf, "malloc: out of memory");
    return PCAP_ERROR;
  };
  for (const pcapxx::Device& d : *devices) {
    pcap_if_t* e = new_entry(d.name, d.description, flags_of(d));
    if (e == nullptr) return out_of_memory();
    *tail = e;
    tail = &e->next;
    pcap_addr_t** atail = &e->addresses;
    if (d.index != 0 && !append_address(e, &atail, make_link_sockaddr(d), nullptr, nullptr, nullptr))
      return out_of_memory();
    for (const pcapxx::DeviceAddress& a : d.addresses) {
      if (!append_address(e, &atail, make_sockaddr(a.address), make_sockaddr(a.netmask),
                          make_sockaddr(a.broadcast), make_sockaddr(a.destination)))
        return out_of_memory();
    }
  }
  for (const PseudoDevice& pd : kPseudoDevices) {
    pcap_if_t* e = new_entry(pd.name, pd.description, pd.flags);
    if (e == nullptr) return out_of_memory();
    insert_sorted(&head, e);
  }
  *alldevsp = head;
  return 0;
}

}  // namespace

PCAPXX_CAPI int pcap_findalldevs(pcap_if_t** alldevsp, char* errbuf) {
  if (alldevsp == nullptr) {
    set_errbuf(errbuf, "A null pointer was supplied for the device list");
    return PCAP_ERROR;
  }
  *alldevsp = nullptr;
  try {
    return find_all(alldevsp, errbuf);
  } catch (...) {
    set_errbuf(errbuf, "malloc: out of memory");
    return PCAP_ERROR;
  }
}

PCAPXX_CAPI void pcap_freealldevs(pcap_if_t* alldevs) { free_list(alldevs); }

PCAPXX_CAPI char* pcap_lookupdev(char* errbuf) {
  // libpcap: the first device of pcap_findalldevs unless the list is empty or starts with a
  // loopback device; the name lives in a static buffer.
  static char device[IF_NAMESIZE + 1];
  pcap_if_t* all = nullptr;
  if (pcap_findalldevs(&all, errbuf) == PCAP_ERROR) return nullptr;
  if (all == nullptr || (all->flags & PCAP_IF_LOOPBACK) != 0) {
    set_errbuf(errbuf, "no suitable device found");
    pcap_freealldevs(all);
    return nullptr;
  }
  std::strncpy(device, all->name, sizeof device - 1);
  device[sizeof device - 1] = '\0';
  pcap_freealldevs(all);
  return device;
}

PCAPXX_CAPI int pcap_lookupnet(const char* device, bpf_u_int32* netp, bpf_u_int32* maskp,
                               char* errbuf) {
  if (netp == nullptr || maskp == nullptr) {
    set_errbuf(errbuf, "A null pointer was supplied for the network or netmask");
    return PCAP_ERROR;
  }
  // libpcap: the "any" device and the capture sources that are not network devices have no
  // network: 0/0 and success.
  if (device == nullptr || std::strcmp(device, "any") == 0 || std::strncmp(device, "nflog", 5) == 0 ||
      std::strncmp(device, "nfqueue", 7) == 0) {
    *netp = *maskp = 0;
    return 0;
  }
  try {
    auto net = pcapxx::lookup_net(device);
    if (!net) {
      set_errbuf(errbuf, net.error().message);
      return PCAP_ERROR;
    }
    *netp = htonl(net->network);
    *maskp = htonl(net->mask);
    return 0;
  } catch (...) {
    set_errbuf(errbuf, "out of memory");
    return PCAP_ERROR;
  }
}
