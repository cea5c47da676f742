/*
 * pcapxx: an 802.1Q VLAN tag as it appears after the source MAC address. Fields are in network
 * byte order. Written for pcapxx from IEEE 802.1Q and libpcap 1.10's API.
 */
#ifndef PCAPXX_PCAP_VLAN_H
#define PCAPXX_PCAP_VLAN_H

#ifndef lib_pcap_vlan_h
#define lib_pcap_vlan_h

#include <stdint.h>

struct vlan_tag {
  uint16_t vlan_tpid; /* 0x8100 */
  uint16_t vlan_tci;  /* priority (3 bits), DEI (1), VLAN ID (12) */
};

#define VLAN_TAG_LEN 4

#endif /* lib_pcap_vlan_h */
#endif /* PCAPXX_PCAP_VLAN_H */
