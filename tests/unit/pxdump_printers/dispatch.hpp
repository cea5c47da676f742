// A test-only stand-in for pxdump's dispatcher: finds the part-B protocol in a decoded packet the
// way tcpdump does (IP protocol numbers, UDP ports, EtherTypes) and calls its printer with the
// bytes and length tcpdump would pass. The real dispatcher is tools/pxdump's (part A).
// Encapsulated packets are not printed: print_inner leaves kInner in their place.
#pragma once

#include <optional>
#include <string>

#include "pcapxx/decode.hpp"
#include "printers/protocols.hpp"

namespace pxdump::printers::testing {

/// Stands where the dispatcher would print an encapsulated packet.
inline constexpr char kInner = '\x01';

/// The printer's text for the packet and the protocol printed.
struct Printed {
  std::string text;
  std::string_view protocol;  ///< "dns", "icmp", ...
};

/// The part-B text of the packet, or nullopt if it holds no part-B protocol.
std::optional<Printed> print_part_b(const pcapxx::layers::Packet& packet, const PrintFlags& flags);

/// Whether tcpdump's text for a packet ends with ours, kInner matching any text.
bool matches(std::string_view tcpdump, std::string_view ours);

}  // namespace pxdump::printers::testing
