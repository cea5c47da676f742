// pcapxx: network devices a live capture can open (libpcap's pcap_findalldevs and
// pcap_lookupnet). On Linux the list comes from rtnetlink (RTM_GETLINK, RTM_GETADDR) in the
// calling thread's network namespace, plus the "any" pseudo-device.
//
// Limitations: only network interfaces and "any" are listed; libpcap's other capture sources
// (nflog, nfqueue, dbus-*, bluetooth-monitor, usbmon) are not. Wireless detection looks at
// /sys/class/net/NAME/{wireless,phy80211}, which shows the sysfs of the mount namespace, so it
// is only exact in the network namespace sysfs was mounted for.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/error.hpp"
#include "pcapxx/linktype.hpp"

namespace pcapxx {

/// An IPv4 or IPv6 address in network byte order.
struct IpAddress {
  std::uint8_t version = 4;            ///< 4 or 6
  std::array<std::uint8_t, 16> bytes{};  ///< IPv4 uses the first 4 bytes

  /// The usual text form ("10.99.0.1", "fd00:99::1").
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

/// One address of a device, as a pcap_addr entry.
struct DeviceAddress {
  IpAddress address;
  std::optional<IpAddress> netmask;      ///< from the prefix length
  std::optional<IpAddress> broadcast;    ///< IFA_BROADCAST (IPv4 only)
  std::optional<IpAddress> destination;  ///< peer address of a point-to-point link
  std::uint8_t prefix_length = 0;
};

/// Whether a device is plugged in (wired) or associated (wireless); PCAP_IF_CONNECTION_STATUS.
enum class ConnectionStatus : std::uint8_t { unknown, connected, disconnected, not_applicable };

/// A network device that can be captured on.
struct Device {
  std::string name;
  std::string description;     ///< only for "any" (as libpcap: "Pseudo-device that captures on all interfaces")
  std::uint32_t index = 0;     ///< ifindex; 0 for "any"
  bool up = false;             ///< IFF_UP
  bool running = false;        ///< IFF_RUNNING
  bool loopback = false;       ///< IFF_LOOPBACK
  bool wireless = false;       ///< has /sys/class/net/NAME/wireless or phy80211
  ConnectionStatus connection = ConnectionStatus::unknown;
  std::uint16_t arphrd = 0;    ///< ARPHRD_* hardware type (include/uapi/linux/if_arp.h)
  LinkType link_type{};        ///< the link type a capture on it delivers
  std::uint32_t promiscuity = 0;  ///< IFLA_PROMISCUITY: how many users asked for promiscuous mode
  std::vector<std::uint8_t> hardware_address;  ///< IFLA_ADDRESS
  std::vector<DeviceAddress> addresses;        ///< IPv4 first, then IPv6, each in kernel order
};

/// Every device, ordered as libpcap orders pcap_findalldevs (so as `tcpdump -D`): running before
/// not running, up before down, connected before disconnected, non-loopback before loopback,
/// "any" after the ordinary up-and-running devices; ties keep ifindex order.
Result<std::vector<Device>> list_devices();

/// One device by name ("any" included); fails with `eth7: no such device`.
Result<Device> find_device(std::string_view name);

/// The IPv4 network and netmask of a device, host byte order (pcap_lookupnet converts these
/// to network order). "any" yields 0/0 as libpcap does; a device without an IPv4 address fails.
struct NetworkAndMask {
  std::uint32_t network = 0;
  std::uint32_t mask = 0;
};
Result<NetworkAndMask> lookup_net(std::string_view device);

/// The link type a capture on an ARPHRD_* hardware type delivers, as Linux libpcap maps it;
/// types it cannot map are captured cooked (LINUX_SLL).
LinkType link_type_for_arphrd(std::uint16_t arphrd) noexcept;

}  // namespace pcapxx
