// Device discovery: rtnetlink links and addresses, ethtool link state, libpcap's ordering.
// <net/if.h> first: the uapi headers then leave out their copies of struct ifreq and IFF_*.
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "capture/linux/fd.hpp"
#include "capture/linux/netlink.hpp"
#include "pcapxx/device.hpp"

namespace pcapxx {
namespace {

using linux_capture::AddrInfo;
using linux_capture::LinkInfo;
using linux_capture::UniqueFd;

constexpr std::uint16_t kArphrdLapd = 8445;  // include/uapi/linux/if_arp.h, not in every copy
constexpr std::string_view kAnyDescription = "Pseudo-device that captures on all interfaces";

bool sysfs_has(const std::string& name, std::string_view entry) {
  struct stat st{};
  return ::stat(fmt::format("/sys/class/net/{}/{}", name, entry).c_str(), &st) == 0;
}

/// ETHTOOL_GLINK (include/uapi/linux/ethtool.h): carrier as the driver reports it. Drivers
/// without a link query are "not applicable", as libpcap treats them.
ConnectionStatus link_state(int sock, const std::string& name) {
  ethtool_value value{};
  value.cmd = ETHTOOL_GLINK;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&value);
  if (::ioctl(sock, SIOCETHTOOL, &ifr) < 0) {
    return errno == EOPNOTSUPP || errno == EINVAL ? ConnectionStatus::not_applicable
                                                  : ConnectionStatus::unknown;
  }
  return value.data != 0 ? ConnectionStatus::connected : ConnectionStatus::disconnected;
}

IpAddress mask_for(std::uint8_t version, std::uint8_t prefix) {
  IpAddress m;
  m.version = version;
  std::size_t bytes = version == 6 ? 16 : 4;
  for (std::size_t i = 0; i < bytes; ++i) {
    int bits = std::clamp(static_cast<int>(prefix) - static_cast<int>(i * 8), 0, 8);
    m.bytes[i] = static_cast<std::uint8_t>(0xFF00 >> bits);
  }
  return m;
}

DeviceAddress to_device_address(const AddrInfo& a, std::uint32_t link_flags) {
  DeviceAddress d;
  d.prefix_length = a.prefix_length;
  // For a point-to-point link IFA_LOCAL is our end and IFA_ADDRESS the peer (if_addr.h).
  if (a.local) {
    d.address = *a.local;
    if (a.address && *a.address != *a.local && (link_flags & IFF_POINTOPOINT) != 0) {
      d.destination = a.address;
    }
  } else if (a.address) {
    d.address = *a.address;
  }
  d.netmask = mask_for(d.address.version, a.prefix_length);
  if (a.broadcast && (link_flags & IFF_BROADCAST) != 0) d.broadcast = a.broadcast;
  return d;
}

/// libpcap's sort key for pcap_findalldevs (lower is listed first; ties keep enumeration
/// order): not running, not up, disconnected (wired), loopback, then "any".
std::uint32_t figure_of_merit(const Device& d) {
  std::uint32_t n = 0;
  if (!d.running) n |= 0x80000000u;
  if (!d.up) n |= 0x40000000u;
  if (!d.wireless && d.connection == ConnectionStatus::disconnected) n |= 0x20000000u;
  if (d.loopback) n |= 0x10000000u;
  if (d.name == "any") n |= 0x08000000u;
  return n;
}

Device any_device() {
  Device any;
  any.name = "any";
  any.description = std::string(kAnyDescription);
  any.up = true;
  any.running = true;
  any.connection = ConnectionStatus::not_applicable;
  any.link_type = dlt::kLinuxSll;
  return any;
}

}  // namespace

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(version == 6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  return text;
}

LinkType link_type_for_arphrd(std::uint16_t arphrd) noexcept {
  // Linux libpcap's ARPHRD -> DLT mapping (pcap-linux.c, map_arphrd_to_dlt); LOOPBACK is
  // Ethernet-framed on Linux.
  switch (arphrd) {
    case ARPHRD_ETHER:
    case ARPHRD_LOOPBACK:
      return dlt::kEn10Mb;
    case ARPHRD_EETHER: return LinkType{2};          // EN3MB
    case ARPHRD_AX25: return LinkType{202};          // AX25_KISS
    case ARPHRD_PRONET: return LinkType{4};          // PRONET
    case ARPHRD_CHAOS: return LinkType{5};           // CHAOS
    case ARPHRD_IEEE802:
    case ARPHRD_IEEE802_TR:
      return dlt::kIeee802;
    case ARPHRD_ARCNET: return LinkType{129};        // ARCNET_LINUX
    case ARPHRD_FDDI: return dlt::kFddi;
    case ARPHRD_IEEE80211: return dlt::kIeee802_11;
    case ARPHRD_IEEE80211_PRISM: return LinkType{119};  // PRISM_HEADER
    case ARPHRD_IEEE80211_RADIOTAP: return dlt::kIeee802_11Radio;
    case ARPHRD_CISCO: return LinkType{104};         // C_HDLC
    case ARPHRD_TUNNEL:
    case ARPHRD_TUNNEL6:
    case ARPHRD_SIT:
    case ARPHRD_SLIP:
    case ARPHRD_CSLIP:
    case ARPHRD_SLIP6:
    case ARPHRD_CSLIP6:
    case ARPHRD_ADAPT:
    case ARPHRD_RAWIP:
    case ARPHRD_NONE:
      return dlt::kRaw;
    case ARPHRD_IRDA: return LinkType{144};          // LINUX_IRDA
    case kArphrdLapd: return LinkType{177};          // LINUX_LAPD
    case ARPHRD_NETLINK: return LinkType{253};       // NETLINK
    case ARPHRD_VSOCKMON: return LinkType{271};      // VSOCK
    case ARPHRD_CAN: return LinkType{227};           // CAN_SOCKETCAN
    case ARPHRD_IEEE802154: return LinkType{230};    // IEEE802_15_4_NOFCS
    default:
      return dlt::kLinuxSll;  // PPP, ATM, InfiniBand and unknown types: cooked capture
  }
}

Result<std::vector<Device>> list_devices() {
  auto links = linux_capture::dump_links();
  if (!links) return std::unexpected(links.error());
  auto addrs = linux_capture::dump_addresses();
  if (!addrs) return std::unexpected(addrs.error());
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) return fail_errno(errno, "list devices: socket(AF_INET)");

  std::vector<Device> devices;
  devices.reserve(links->size() + 1);
  for (const LinkInfo& link : *links) {
    Device d;
    d.name = link.name;
    d.index = link.index;
    d.up = (link.flags & IFF_UP) != 0;
    d.running = (link.flags & IFF_RUNNING) != 0;
    d.loopback = (link.flags & IFF_LOOPBACK) != 0;
    d.wireless = sysfs_has(d.name, "wireless") || sysfs_has(d.name, "phy80211");
    d.connection = d.loopback ? ConnectionStatus::not_applicable : link_state(sock.get(), d.name);
    d.arphrd = link.arphrd;
    d.link_type = link_type_for_arphrd(link.arphrd);
    d.promiscuity = link.promiscuity;
    d.hardware_address = link.address;
    for (int family : {AF_INET, AF_INET6}) {
      for (const AddrInfo& a : *addrs) {
        if (a.index == link.index && a.family == family) {
          d.addresses.push_back(to_device_address(a, link.flags));
        }
      }
    }
    devices.push_back(std::move(d));
  }
  devices.push_back(any_device());
  // Ties keep enumeration order; (merit, position) keys make std::sort stable.
  std::vector<std::pair<std::uint64_t, std::size_t>> keys;
  keys.reserve(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) {
    keys.emplace_back((std::uint64_t{figure_of_merit(devices[i])} << 32) | i, i);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<Device> sorted;
  sorted.reserve(devices.size());
  for (const auto& k : keys) sorted.push_back(std::move(devices[k.second]));
  return sorted;
}

Result<Device> find_device(std::string_view name) {
  auto devices = list_devices();
  if (!devices) return std::unexpected(devices.error());
  for (Device& d : *devices) {
    if (d.name == name) return std::move(d);
  }
  return fail(Errc::not_found, fmt::format("{}: no such device", name));
}

Result<NetworkAndMask> lookup_net(std::string_view device) {
  if (device == "any") return NetworkAndMask{};
  auto d = find_device(device);
  if (!d) return std::unexpected(d.error());
  for (const DeviceAddress& a : d->addresses) {
    if (a.address.version != 4) continue;
    auto host = [](const IpAddress& ip) {
      return (std::uint32_t{ip.bytes[0]} << 24) | (std::uint32_t{ip.bytes[1]} << 16) |
             (std::uint32_t{ip.bytes[2]} << 8) | std::uint32_t{ip.bytes[3]};
    };
    std::uint32_t mask = a.netmask ? host(*a.netmask) : 0;
    return NetworkAndMask{host(a.address) & mask, mask};
  }
  return fail(Errc::not_found, fmt::format("{}: no IPv4 address assigned", device));
}

}  // namespace pcapxx
