// rtnetlink dumps of links and addresses (RTM_GETLINK, RTM_GETADDR; include/uapi/linux/
// rtnetlink.h, if_link.h, if_addr.h), in the calling thread's network namespace.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capture/linux/fd.hpp"
#include "pcapxx/device.hpp"
#include "pcapxx/error.hpp"

namespace pcapxx::linux_capture {

/// One RTM_NEWLINK answer.
struct LinkInfo {
  std::uint32_t index = 0;
  std::uint32_t flags = 0;        ///< ifi_flags (IFF_*)
  std::uint16_t arphrd = 0;       ///< ifi_type
  std::string name;               ///< IFLA_IFNAME
  std::vector<std::uint8_t> address;  ///< IFLA_ADDRESS
  std::uint32_t promiscuity = 0;  ///< IFLA_PROMISCUITY
  std::uint64_t rx_packets = 0;   ///< IFLA_STATS64
  std::uint64_t rx_dropped = 0;   ///< IFLA_STATS64
  std::uint64_t rx_missed_errors = 0;  ///< IFLA_STATS64: the NIC had no room (receive FIFO/ring)
  std::uint64_t rx_fifo_errors = 0;    ///< IFLA_STATS64
  std::uint64_t rx_over_errors = 0;    ///< IFLA_STATS64: receiver ring overrun
  std::uint64_t rx_nohandler = 0;      ///< IFLA_STATS64: no protocol handler took the packet
  std::uint32_t mtu = 0;               ///< IFLA_MTU
};

/// One RTM_NEWADDR answer.
struct AddrInfo {
  std::uint32_t index = 0;
  std::uint8_t family = 0;        ///< AF_INET or AF_INET6
  std::uint8_t prefix_length = 0;
  std::optional<IpAddress> address;    ///< IFA_ADDRESS
  std::optional<IpAddress> local;      ///< IFA_LOCAL
  std::optional<IpAddress> broadcast;  ///< IFA_BROADCAST
};

/// An rtnetlink socket in the calling thread's network namespace, to query later from any thread.
Result<UniqueFd> open_rtnetlink();

/// Every link, in the kernel's dump order (ifindex order).
Result<std::vector<LinkInfo>> dump_links();
/// One link by index (RTM_GETLINK without NLM_F_DUMP).
Result<LinkInfo> get_link(std::uint32_t index);
/// One link by index, asked over an rtnetlink socket from open_rtnetlink().
Result<LinkInfo> get_link(int netlink_fd, std::uint32_t index);
/// Every IPv4 and IPv6 address, in the kernel's dump order (IPv4 first).
Result<std::vector<AddrInfo>> dump_addresses();

}  // namespace pcapxx::linux_capture
