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
// More DLT values (Linux numbering), named as libpcap's DLT_ names.
inline constexpr LinkType kArcnet{7};
inline constexpr LinkType kSlip{8};
inline constexpr LinkType kAtmRfc1483{11};  // files say LINKTYPE_ATM_RFC1483 (100)
inline constexpr LinkType kSlipBsdos{15};   // files say LINKTYPE_SLIP_BSDOS (102)
inline constexpr LinkType kPppBsdos{16};    // files say LINKTYPE_PPP_BSDOS (103)
inline constexpr LinkType kAtmClip{19};     // files say LINKTYPE_ATM_CLIP (106)
inline constexpr LinkType kPppSerial{50};
inline constexpr LinkType kPppEther{51};
inline constexpr LinkType kSymantecFirewall{99};
inline constexpr LinkType kCHdlc{104};
inline constexpr LinkType kFrelay{107};
inline constexpr LinkType kEnc{109};
inline constexpr LinkType kPflog{117};
inline constexpr LinkType kPrismHeader{119};
inline constexpr LinkType kIpOverFc{122};
inline constexpr LinkType kSunatm{123};
inline constexpr LinkType kArcnetLinux{129};
inline constexpr LinkType kLinuxIrda{144};
inline constexpr LinkType kIeee802_11RadioAvs{163};
inline constexpr LinkType kPppPppd{166};
inline constexpr LinkType kLinuxLapd{177};
inline constexpr LinkType kBluetoothHciH4{187};
inline constexpr LinkType kUsbLinux{189};
inline constexpr LinkType kIeee802_15_4Linux{191};
inline constexpr LinkType kPpi{192};
inline constexpr LinkType kIeee802_15_4{195};  // with FCS
inline constexpr LinkType kErf{197};
inline constexpr LinkType kBluetoothHciH4WithPhdr{201};
inline constexpr LinkType kLinuxEvdev{216};
inline constexpr LinkType kMpls{219};
inline constexpr LinkType kUsbLinuxMmapped{220};
inline constexpr LinkType kIpnet{226};
inline constexpr LinkType kCanSocketcan{227};
inline constexpr LinkType kIeee802_15_4Nofcs{230};
inline constexpr LinkType kDbus{231};
inline constexpr LinkType kNflog{239};
inline constexpr LinkType kNetanalyzer{240};
inline constexpr LinkType kNetanalyzerTransparent{241};
inline constexpr LinkType kIpoib{242};
inline constexpr LinkType kMpeg2Ts{243};
inline constexpr LinkType kPfsync{246};
inline constexpr LinkType kInfiniband{247};
inline constexpr LinkType kSctp{248};
inline constexpr LinkType kUsbpcap{249};
inline constexpr LinkType kBluetoothLeLl{251};
inline constexpr LinkType kNetlink{253};
inline constexpr LinkType kBluetoothLinuxMonitor{254};
inline constexpr LinkType kBluetoothLeLlWithPhdr{256};
inline constexpr LinkType kPktap{258};
inline constexpr LinkType kEpon{259};
inline constexpr LinkType kVsock{271};
inline constexpr LinkType kNordicBle{272};
inline constexpr LinkType kEthernetMpacket{274};
inline constexpr LinkType kEbhscr{279};
inline constexpr LinkType kDsaTagBrcm{281};
inline constexpr LinkType kDsaTagBrcmPrepend{282};
inline constexpr LinkType kIeee802_15_4Tap{283};
inline constexpr LinkType kDsaTagDsa{284};
inline constexpr LinkType kDsaTagEdsa{285};
inline constexpr LinkType kUsb2_0{288};
inline constexpr LinkType kAtscAlp{289};
}  // namespace dlt

/// LINKTYPE values (as stored in savefiles) that differ from the DLT value of the same name.
namespace linktype {
inline constexpr std::uint16_t kAtmRfc1483 = 100;  // DLT_ATM_RFC1483 (11)
inline constexpr std::uint16_t kRaw = 101;         // DLT_RAW (12 on Linux)
inline constexpr std::uint16_t kSlipBsdos = 102;   // DLT_SLIP_BSDOS (15)
inline constexpr std::uint16_t kPppBsdos = 103;    // DLT_PPP_BSDOS (16)
inline constexpr std::uint16_t kAtmClip = 106;     // DLT_ATM_CLIP (19 on Linux)
}  // namespace linktype

/// From LINKTYPE_MATCHING_MIN to LINKTYPE_MATCHING_MAX a DLT value and its LINKTYPE value are
/// the same number (registry; the maximum is libpcap 1.10.3's, the newest type it knows).
inline constexpr int kLinkTypeMatchingMin = 104;
inline constexpr int kLinkTypeMatchingMax = 289;

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

/// The row for a name without the "DLT_" prefix ("EN10MB"), case-insensitive; like
/// pcap_datalink_name_to_val, "DLT_EN10MB" is not found.
const LinkTypeInfo* find_link_type(std::string_view name) noexcept;

/// The DLT value for a LINKTYPE value read from a file (only the low 16 bits count). Unknown
/// values come back unchanged, as pcap_open_offline reports them.
LinkType link_type_from_file(std::uint32_t field) noexcept;

/// The LINKTYPE value to store in a file for a DLT value. A DLT value with no LINKTYPE of
/// its own is passed through unchanged (truncated to 16 bits); see link_type_to_file_checked.
std::uint16_t link_type_to_file(LinkType type) noexcept;

/// The LINKTYPE value for a DLT value, or nullopt when the registry has none for it (libpcap's
/// pcap_dump_open then refuses: "link-layer type N isn't supported in savefiles").
std::optional<std::uint16_t> link_type_to_file_checked(LinkType type) noexcept;

}  // namespace pcapxx
