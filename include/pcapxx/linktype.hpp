// pcapxx: link-layer header types. The API speaks DLT values (as libpcap's pcap_datalink does);
// files store LINKTYPE values. For most types the two are equal; the table knows the exceptions.
// Source of facts: the tcpdump.org link-layer header types registry and libpcap's dlt.h ABI.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace pcapxx {

/// A DLT value as the libpcap API uses it (pcap_datalink).
struct LinkType {
  int dlt = 0;
  friend constexpr bool operator==(LinkType, LinkType) = default;
};

namespace dlt {
inline constexpr LinkType kNull{0};
inline constexpr LinkType kEn10Mb{1};
inline constexpr LinkType kIeee802{6};
inline constexpr LinkType kPpp{9};
inline constexpr LinkType kFddi{10};
inline constexpr LinkType kRaw{12};  // Linux value; files say LINKTYPE_RAW (101)
inline constexpr LinkType kIeee802_11{105};
inline constexpr LinkType kLoop{108};
inline constexpr LinkType kLinuxSll{113};
inline constexpr LinkType kIeee802_11Radio{127};
inline constexpr LinkType kIpv4{228};
inline constexpr LinkType kIpv6{229};
inline constexpr LinkType kLinuxSll2{276};
}  // namespace dlt

/// One row of the link-type table.
struct LinkTypeInfo {
  int dlt;                      ///< value in the API
  std::uint16_t linktype;       ///< value in savefiles
  std::string_view name;        ///< as pcap_datalink_val_to_name, without "DLT_" (e.g. "EN10MB")
  std::string_view description; ///< as pcap_datalink_val_to_description (e.g. "Ethernet")
};

/// Every known link type, ordered by DLT value.
std::span<const LinkTypeInfo> link_type_table() noexcept;

/// The row for a DLT value, if known.
const LinkTypeInfo* find_link_type(LinkType type) noexcept;

/// The row for a name, with or without the "DLT_" prefix, case-insensitive (as
/// pcap_datalink_name_to_val).
const LinkTypeInfo* find_link_type(std::string_view name) noexcept;

/// The DLT value for a LINKTYPE value read from a file (only the low 16 bits count).
LinkType link_type_from_file(std::uint32_t linktype) noexcept;

/// The LINKTYPE value to store in a file for a DLT value.
std::uint16_t link_type_to_file(LinkType type) noexcept;

}  // namespace pcapxx
