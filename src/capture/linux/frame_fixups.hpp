// Per-packet rewrites in ring memory, done in the frame's headroom so the payload is never
// copied: 802.1Q/802.1ad tag reinsertion (the kernel strips the tag into tp_vlan_tci) and the
// cooked headers: 16-byte LINUX_SLL and 20-byte LINUX_SLL2
// (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, LINKTYPE_LINUX_SLL2.html).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/byte_order.hpp"

namespace pcapxx::linux_capture {

inline constexpr std::uint32_t kVlanTagLength = 4;
inline constexpr std::uint32_t kSllHeaderLength = 16;
inline constexpr std::uint32_t kSll2HeaderLength = 20;
inline constexpr std::uint32_t kMacAddressesLength = 12;

/// What a cooked header says about a packet; taken from the frame's sockaddr_ll.
struct CookedFields {
  std::uint16_t packet_type = 0;   ///< sll_pkttype
  std::uint16_t arphrd = 0;        ///< sll_hatype
  std::uint16_t address_length = 0;
  const std::uint8_t* address = nullptr;  ///< 8 bytes (sll_addr)
  std::uint16_t protocol_be = 0;   ///< sll_protocol, already in network byte order
  std::uint32_t ifindex = 0;       ///< sll_ifindex (LINUX_SLL2 only)
};

/// Moves the 12 MAC address bytes at `frame` back 4 bytes and writes TPID and TCI after them.
/// Needs 4 bytes of headroom before `frame`; returns the new start.
inline std::byte* reinsert_vlan_ethernet(std::byte* frame, std::uint16_t tpid,
                                         std::uint16_t tci) noexcept {
  std::byte* start = frame - kVlanTagLength;
  std::memmove(start, frame, kMacAddressesLength);
  detail::store_be16(start + kMacAddressesLength, tpid);
  detail::store_be16(start + kMacAddressesLength + 2, tci);
  return start;
}

/// Writes a LINUX_SLL header before `payload`; with a VLAN tag, the header's protocol is the
/// TPID and TCI plus the original protocol follow it (as libpcap builds it). Needs 16 (20 with
/// a tag) bytes of headroom; returns the new start.
inline std::byte* write_cooked_header(std::byte* payload, const CookedFields& f, bool has_vlan,
                                      std::uint16_t tpid, std::uint16_t tci) noexcept {
  std::byte* start = payload - kSllHeaderLength - (has_vlan ? kVlanTagLength : 0);
  detail::store_be16(start, f.packet_type);
  detail::store_be16(start + 2, f.arphrd);
  detail::store_be16(start + 4, f.address_length);
  std::memcpy(start + 6, f.address, 8);
  if (has_vlan) {
    detail::store_be16(start + 14, tpid);
    detail::store_be16(start + 16, tci);
    std::memcpy(start + 18, &f.protocol_be, 2);
  } else {
    std::memcpy(start + 14, &f.protocol_be, 2);
  }
  return start;
}

/// Writes a LINUX_SLL2 header before `payload`: protocol 0-1, reserved (zero) 2-3, interface
/// index 4-7, ARPHRD type 8-9, packet type 10, address length 11, address 12-19, all big
/// endian. Needs 20 bytes of headroom; returns the new start. A VLAN tag the kernel stripped is
/// not put back (libpcap 1.10 inserts tags only for EN10MB and LINUX_SLL).
inline std::byte* write_cooked_v2_header(std::byte* payload, const CookedFields& f) noexcept {
  std::byte* start = payload - kSll2HeaderLength;
  std::memcpy(start, &f.protocol_be, 2);
  detail::store_be16(start + 2, 0);
  detail::store_be32(start + 4, f.ifindex);
  detail::store_be16(start + 8, f.arphrd);
  start[10] = static_cast<std::byte>(f.packet_type);
  start[11] = static_cast<std::byte>(f.address_length);
  std::memcpy(start + 12, f.address, 8);
  return start;
}

}  // namespace pcapxx::linux_capture
