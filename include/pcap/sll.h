/*
 * pcapxx: the Linux "cooked" capture headers, DLT_LINUX_SLL (16 bytes) and DLT_LINUX_SLL2
 * (20 bytes), as libpcap 1.10's API describes them. All fields are in network byte order.
 * Facts: the LINKTYPE_LINUX_SLL and LINKTYPE_LINUX_SLL2 registry pages. Written for pcapxx.
 */
#ifndef PCAPXX_PCAP_SLL_H
#define PCAPXX_PCAP_SLL_H

#ifndef lib_pcap_sll_h
#define lib_pcap_sll_h

#include <stdint.h>

#define SLL_HDR_LEN 16 /* size of struct sll_header */
#define SLL_ADDRLEN 8  /* room for a link-layer address */

struct sll_header {
  uint16_t sll_pkttype;          /* LINUX_SLL_HOST ... LINUX_SLL_OUTGOING */
  uint16_t sll_hatype;           /* ARPHRD_* of the device */
  uint16_t sll_halen;            /* link-layer address length */
  uint8_t sll_addr[SLL_ADDRLEN]; /* link-layer source address */
  uint16_t sll_protocol;         /* ethertype, or a LINUX_SLL_P_* value */
};

#define SLL2_HDR_LEN 20 /* size of struct sll2_header */

struct sll2_header {
  uint16_t sll2_protocol;         /* ethertype, or a LINUX_SLL_P_* value */
  uint16_t sll2_reserved_mbz;     /* must be zero */
  uint32_t sll2_if_index;         /* interface index */
  uint16_t sll2_hatype;           /* ARPHRD_* of the device */
  uint8_t sll2_pkttype;           /* LINUX_SLL_HOST ... LINUX_SLL_OUTGOING */
  uint8_t sll2_halen;             /* link-layer address length */
  uint8_t sll2_addr[SLL_ADDRLEN]; /* link-layer source address */
};

/* Packet types (the kernel's PACKET_* values). */
#define LINUX_SLL_HOST 0
#define LINUX_SLL_BROADCAST 1
#define LINUX_SLL_MULTICAST 2
#define LINUX_SLL_OTHERHOST 3
#define LINUX_SLL_OUTGOING 4

/* Protocol values that are not ethertypes (the kernel's ETH_P_* below 0x0600). */
#define LINUX_SLL_P_802_3 0x0001 /* Novell 802.3 frames without 802.2 LLC */
#define LINUX_SLL_P_802_2 0x0004 /* 802.2 frames */
#define LINUX_SLL_P_CAN 0x000C   /* CAN frames, with SocketCAN headers */
#define LINUX_SLL_P_CANFD 0x000D /* CAN FD frames, with SocketCAN headers */

#endif /* lib_pcap_sll_h */
#endif /* PCAPXX_PCAP_SLL_H */
