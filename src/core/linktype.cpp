// The link-type table: every DLT value libpcap 1.10 names, with the name and description that
// pcap_datalink_val_to_name / pcap_datalink_val_to_description report for it, and the LINKTYPE
// value a savefile stores for it.
//
// Facts: the tcpdump.org LINKTYPE registry (https://www.tcpdump.org/linktypes.html, see
// pcap-linktype(7)) for values and names; names and descriptions as libpcap 1.10.3 reports them
// at run time; the DLT<->LINKTYPE exceptions as pcap_dump_open / pcap_open_offline apply them.
// tests/unit/linktype checks every row, and every value 0..65535, against libpcap itself.
#include <algorithm>
#include <iterator>

#include "pcapxx/linktype.hpp"

namespace pcapxx {
namespace {

// Ordered by DLT value: find_link_type(LinkType) searches it by bisection.
constexpr LinkTypeInfo kTable[] = {
    {0, 0, "NULL", "BSD loopback"},
    {1, 1, "EN10MB", "Ethernet"},
    {6, 6, "IEEE802", "Token ring"},
    {7, 7, "ARCNET", "BSD ARCNET"},
    {8, 8, "SLIP", "SLIP"},
    {9, 9, "PPP", "PPP"},
    {10, 10, "FDDI", "FDDI"},
    {11, 100, "ATM_RFC1483", "RFC 1483 LLC-encapsulated ATM"},
    {12, 101, "RAW", "Raw IP"},
    {15, 102, "SLIP_BSDOS", "BSD/OS SLIP"},
    {16, 103, "PPP_BSDOS", "BSD/OS PPP"},
    {19, 106, "ATM_CLIP", "Linux Classical IP over ATM"},
    {50, 50, "PPP_SERIAL", "PPP over serial"},
    {51, 51, "PPP_ETHER", "PPPoE"},
    {99, 99, "SYMANTEC_FIREWALL", "Symantec Firewall"},
    {104, 104, "C_HDLC", "Cisco HDLC"},
    {105, 105, "IEEE802_11", "802.11"},
    {107, 107, "FRELAY", "Frame Relay"},
    {108, 108, "LOOP", "OpenBSD loopback"},
    {109, 109, "ENC", "OpenBSD encapsulated IP"},
    {113, 113, "LINUX_SLL", "Linux cooked v1"},
    {114, 114, "LTALK", "Localtalk"},
    {117, 117, "PFLOG", "OpenBSD pflog file"},
    {119, 119, "PRISM_HEADER", "802.11 plus Prism header"},
    {122, 122, "IP_OVER_FC", "RFC 2625 IP-over-Fibre Channel"},
    {123, 123, "SUNATM", "Sun raw ATM"},
    {127, 127, "IEEE802_11_RADIO", "802.11 plus radiotap header"},
    {129, 129, "ARCNET_LINUX", "Linux ARCNET"},
    {130, 130, "JUNIPER_MLPPP", "Juniper Multi-Link PPP"},
    {131, 131, "JUNIPER_MLFR", "Juniper Multi-Link Frame Relay"},
    {132, 132, "JUNIPER_ES", "Juniper Encryption Services PIC"},
    {133, 133, "JUNIPER_GGSN", "Juniper GGSN PIC"},
    {134, 134, "JUNIPER_MFR", "Juniper FRF.16 Frame Relay"},
    {135, 135, "JUNIPER_ATM2", "Juniper ATM2 PIC"},
    {136, 136, "JUNIPER_SERVICES", "Juniper Advanced Services PIC"},
    {137, 137, "JUNIPER_ATM1", "Juniper ATM1 PIC"},
    {138, 138, "APPLE_IP_OVER_IEEE1394", "Apple IP-over-IEEE 1394"},
    {139, 139, "MTP2_WITH_PHDR", "SS7 MTP2 with Pseudo-header"},
    {140, 140, "MTP2", "SS7 MTP2"},
    {141, 141, "MTP3", "SS7 MTP3"},
    {142, 142, "SCCP", "SS7 SCCP"},
    {143, 143, "DOCSIS", "DOCSIS"},
    {144, 144, "LINUX_IRDA", "Linux IrDA"},
    {163, 163, "IEEE802_11_RADIO_AVS", "802.11 plus AVS radio information header"},
    {164, 164, "JUNIPER_MONITOR", "Juniper Passive Monitor PIC"},
    {165, 165, "BACNET_MS_TP", "BACnet MS/TP"},
    {166, 166, "PPP_PPPD", "PPP for pppd, with direction flag"},
    {167, 167, "JUNIPER_PPPOE", "Juniper PPPoE"},
    {168, 168, "JUNIPER_PPPOE_ATM", "Juniper PPPoE/ATM"},
    {169, 169, "GPRS_LLC", "GPRS LLC"},
    {170, 170, "GPF_T", "GPF-T"},
    {171, 171, "GPF_F", "GPF-F"},
    {174, 174, "JUNIPER_PIC_PEER", "Juniper PIC Peer"},
    {175, 175, "ERF_ETH", "Ethernet with Endace ERF header"},
    {176, 176, "ERF_POS", "Packet-over-SONET with Endace ERF header"},
    {177, 177, "LINUX_LAPD", "Linux vISDN LAPD"},
    {178, 178, "JUNIPER_ETHER", "Juniper Ethernet"},
    {179, 179, "JUNIPER_PPP", "Juniper PPP"},
    {180, 180, "JUNIPER_FRELAY", "Juniper Frame Relay"},
    {181, 181, "JUNIPER_CHDLC", "Juniper C-HDLC"},
    {182, 182, "MFR", "FRF.16 Frame Relay"},
    {183, 183, "JUNIPER_VP", "Juniper Voice PIC"},
    {184, 184, "A429", "Arinc 429"},
    {185, 185, "A653_ICM", "Arinc 653 Interpartition Communication"},
    {186, 186, "USB_FREEBSD", "USB with FreeBSD header"},
    {187, 187, "BLUETOOTH_HCI_H4", "Bluetooth HCI UART transport layer"},
    {188, 188, "IEEE802_16_MAC_CPS", "IEEE 802.16 MAC Common Part Sublayer"},
    {189, 189, "USB_LINUX", "USB with Linux header"},
    {190, 190, "CAN20B", "Controller Area Network (CAN) v. 2.0B"},
    {191, 191, "IEEE802_15_4_LINUX", "IEEE 802.15.4 with Linux padding"},
    {192, 192, "PPI", "Per-Packet Information"},
    {193, 193, "IEEE802_16_MAC_CPS_RADIO", "IEEE 802.16 MAC Common Part Sublayer plus radiotap header"},
    {194, 194, "JUNIPER_ISM", "Juniper Integrated Service Module"},
    {195, 195, "IEEE802_15_4", "IEEE 802.15.4 with FCS"},
    {196, 196, "SITA", "SITA pseudo-header"},
    {197, 197, "ERF", "Endace ERF header"},
    {198, 198, "RAIF1", "Ethernet with u10 Networks pseudo-header"},
    {199, 199, "IPMB_KONTRON", "IPMB with Kontron pseudo-header"},
    {200, 200, "JUNIPER_ST", "Juniper Secure Tunnel"},
    {201, 201, "BLUETOOTH_HCI_H4_WITH_PHDR", "Bluetooth HCI UART transport layer plus pseudo-header"},
    {202, 202, "AX25_KISS", "AX.25 with KISS header"},
    {209, 209, "IPMB_LINUX", "IPMB with Linux/Pigeon Point pseudo-header"},
    {215, 215, "IEEE802_15_4_NONASK_PHY", "IEEE 802.15.4 with non-ASK PHY data"},
    {216, 216, "LINUX_EVDEV", "Linux evdev events"},
    {219, 219, "MPLS", "MPLS with label as link-layer header"},
    {220, 220, "USB_LINUX_MMAPPED", "USB with padded Linux header"},
    {221, 221, "DECT", "DECT"},
    {222, 222, "AOS", "AOS Space Data Link protocol"},
    {223, 223, "WIHART", "Wireless HART"},
    {224, 224, "FC_2", "Fibre Channel FC-2"},
    {225, 225, "FC_2_WITH_FRAME_DELIMS", "Fibre Channel FC-2 with frame delimiters"},
    {226, 226, "IPNET", "Solaris ipnet"},
    {227, 227, "CAN_SOCKETCAN", "CAN-bus with SocketCAN headers"},
    {228, 228, "IPV4", "Raw IPv4"},
    {229, 229, "IPV6", "Raw IPv6"},
    {230, 230, "IEEE802_15_4_NOFCS", "IEEE 802.15.4 without FCS"},
    {231, 231, "DBUS", "D-Bus"},
    {232, 232, "JUNIPER_VS", "Juniper Virtual Server"},
    {233, 233, "JUNIPER_SRX_E2E", "Juniper SRX E2E"},
    {234, 234, "JUNIPER_FIBRECHANNEL", "Juniper Fibre Channel"},
    {235, 235, "DVB_CI", "DVB-CI"},
    {236, 236, "MUX27010", "MUX27010"},
    {237, 237, "STANAG_5066_D_PDU", "STANAG 5066 D_PDUs"},
    {238, 238, "JUNIPER_ATM_CEMIC", "Juniper ATM CEMIC"},
    {239, 239, "NFLOG", "Linux netfilter log messages"},
    {240, 240, "NETANALYZER", "Ethernet with Hilscher netANALYZER pseudo-header"},
    {241, 241, "NETANALYZER_TRANSPARENT", "Ethernet with Hilscher netANALYZER pseudo-header and with preamble and SFD"},
    {242, 242, "IPOIB", "RFC 4391 IP-over-Infiniband"},
    {243, 243, "MPEG_2_TS", "MPEG-2 transport stream"},
    {244, 244, "NG40", "ng40 protocol tester Iub/Iur"},
    {245, 245, "NFC_LLCP", "NFC LLCP PDUs with pseudo-header"},
    {246, 246, "PFSYNC", "Packet filter state syncing"},
    {247, 247, "INFINIBAND", "InfiniBand"},
    {248, 248, "SCTP", "SCTP"},
    {249, 249, "USBPCAP", "USB with USBPcap header"},
    {250, 250, "RTAC_SERIAL", "Schweitzer Engineering Laboratories RTAC packets"},
    {251, 251, "BLUETOOTH_LE_LL", "Bluetooth Low Energy air interface"},
    {253, 253, "NETLINK", "Linux netlink"},
    {254, 254, "BLUETOOTH_LINUX_MONITOR", "Bluetooth Linux Monitor"},
    {255, 255, "BLUETOOTH_BREDR_BB", "Bluetooth Basic Rate/Enhanced Data Rate baseband packets"},
    {256, 256, "BLUETOOTH_LE_LL_WITH_PHDR", "Bluetooth Low Energy air interface with pseudo-header"},
    {257, 257, "PROFIBUS_DL", "PROFIBUS data link layer"},
    {258, 258, "PKTAP", "Apple DLT_PKTAP"},
    {259, 259, "EPON", "Ethernet with 802.3 Clause 65 EPON preamble"},
    {260, 260, "IPMI_HPM_2", "IPMI trace packets"},
    {261, 261, "ZWAVE_R1_R2", "Z-Wave RF profile R1 and R2 packets"},
    {262, 262, "ZWAVE_R3", "Z-Wave RF profile R3 packets"},
    {263, 263, "WATTSTOPPER_DLM", "WattStopper Digital Lighting Management (DLM) and Legrand Nitoo Open protocol"},
    {264, 264, "ISO_14443", "ISO 14443 messages"},
    {265, 265, "RDS", "IEC 62106 Radio Data System groups"},
    {266, 266, "USB_DARWIN", "USB with Darwin header"},
    {267, 267, "OPENFLOW", "OpenBSD DLT_OPENFLOW"},
    {268, 268, "SDLC", "IBM SDLC frames"},
    {269, 269, "TI_LLN_SNIFFER", "TI LLN sniffer frames"},
    {271, 271, "VSOCK", "Linux vsock"},
    {272, 272, "NORDIC_BLE", "Nordic Semiconductor Bluetooth LE sniffer frames"},
    {273, 273, "DOCSIS31_XRA31", "Excentis XRA-31 DOCSIS 3.1 RF sniffer frames"},
    {274, 274, "ETHERNET_MPACKET", "802.3br mPackets"},
    {275, 275, "DISPLAYPORT_AUX", "DisplayPort AUX channel monitoring data"},
    {276, 276, "LINUX_SLL2", "Linux cooked v2"},
    {278, 278, "OPENVIZSLA", "OpenVizsla USB"},
    {279, 279, "EBHSCR", "Elektrobit High Speed Capture and Replay (EBHSCR)"},
    {280, 280, "VPP_DISPATCH", "VPP graph dispatch tracer"},
    {281, 281, "DSA_TAG_BRCM", "Broadcom tag"},
    {282, 282, "DSA_TAG_BRCM_PREPEND", "Broadcom tag (prepended)"},
    {283, 283, "IEEE802_15_4_TAP", "IEEE 802.15.4 with pseudo-header"},
    {284, 284, "DSA_TAG_DSA", "Marvell DSA"},
    {285, 285, "DSA_TAG_EDSA", "Marvell EDSA"},
    {286, 286, "ELEE", "ELEE lawful intercept packets"},
    {287, 287, "Z_WAVE_SERIAL", "Z-Wave serial frames between host and chip"},
    {288, 288, "USB_2_0", "USB 2.0/1.1/1.0 as transmitted over the cable"},
    {289, 289, "ATSC_ALP", "ATSC Link-Layer Protocol packets"},
};

static_assert(std::ranges::is_sorted(kTable, {}, &LinkTypeInfo::dlt));
static_assert(std::size(kTable) == 152);

// The values where the DLT (Linux numbering) and the LINKTYPE differ: BSD-specific DLT values
// that the registry moved to LINKTYPE values of their own (registry, "LINKTYPE_RAW" etc.).
struct Renumbered {
  int dlt;
  std::uint16_t linktype;
};
constexpr Renumbered kRenumbered[] = {
    {11, linktype::kAtmRfc1483},  // DLT_ATM_RFC1483
    {12, linktype::kRaw},         // DLT_RAW
    {15, linktype::kSlipBsdos},   // DLT_SLIP_BSDOS
    {16, linktype::kPppBsdos},    // DLT_PPP_BSDOS
    {19, linktype::kAtmClip},     // DLT_ATM_CLIP
};

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool equal_ascii_nocase(std::string_view a, std::string_view b) noexcept {
  return std::ranges::equal(a, b, {}, ascii_lower, ascii_lower);
}

}  // namespace

std::span<const LinkTypeInfo> link_type_table() noexcept { return kTable; }

const LinkTypeInfo* find_link_type(LinkType type) noexcept {
  const auto* it = std::ranges::lower_bound(kTable, type.dlt, {}, &LinkTypeInfo::dlt);
  return (it != std::end(kTable) && it->dlt == type.dlt) ? it : nullptr;
}

const LinkTypeInfo* find_link_type(std::string_view name) noexcept {
  // As pcap_datalink_name_to_val: the bare name, any letter case; "DLT_EN10MB" is not a name.
  for (const LinkTypeInfo& row : kTable)
    if (equal_ascii_nocase(row.name, name)) return &row;
  return nullptr;
}

LinkType link_type_from_file(std::uint32_t field) noexcept {
  // Bits 16-31 carry the FCS length and reserved bits (draft-ietf-opsawg-pcap); values that
  // are neither renumbered nor known pass through unchanged, as libpcap passes them.
  auto value = static_cast<std::uint16_t>(field & 0xffff);
  for (const Renumbered& r : kRenumbered)
    if (r.linktype == value) return LinkType{r.dlt};
  return LinkType{value};
}

std::uint16_t link_type_to_file(LinkType type) noexcept {
  for (const Renumbered& r : kRenumbered)
    if (r.dlt == type.dlt) return r.linktype;
  return static_cast<std::uint16_t>(type.dlt);
}

std::optional<std::uint16_t> link_type_to_file_checked(LinkType type) noexcept {
  for (const Renumbered& r : kRenumbered)
    if (r.dlt == type.dlt) return r.linktype;
  const int v = type.dlt;
  // The values the registry defines as equal in both numberings: the original BSD values,
  // the two PPP variants and Symantec's, and the "matching" range.
  bool same = (v >= 0 && v <= 10) || v == dlt::kPppSerial.dlt || v == dlt::kPppEther.dlt ||
              v == dlt::kSymantecFirewall.dlt ||
              (v >= kLinkTypeMatchingMin && v <= kLinkTypeMatchingMax);
  if (!same) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

}  // namespace pcapxx
