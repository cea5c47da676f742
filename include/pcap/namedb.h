/*
 * pcapxx: name lookups of the libpcap 1.10 API (hosts, networks, ports, protocols, ethers).
 * Written for pcapxx from the documented ABI.
 */
#ifndef PCAPXX_PCAP_NAMEDB_H
#define PCAPXX_PCAP_NAMEDB_H

#ifndef lib_pcap_namedb_h
#define lib_pcap_namedb_h

#include <stdio.h>
#include <pcap/bpf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One line of an ethers(5) file. */
struct pcap_etherent {
  unsigned char addr[6];
  char name[122];
};

#ifndef PCAP_ETHERS_FILE
#define PCAP_ETHERS_FILE "/etc/ethers"
#endif

/* The next entry of an ethers file, or NULL at its end; the entry is reused by the next call. */
struct pcap_etherent *pcap_next_etherent(FILE *fp);
/* The Ethernet address of a host from the ethers database, in a malloc()ed buffer, or NULL. */
unsigned char *pcap_ether_hostton(const char *name);
/* Parses "xx:xx:xx:xx:xx:xx" (also '.' or '-' separated) into a malloc()ed 6-byte buffer. */
unsigned char *pcap_ether_aton(const char *s);

/* The IPv4 addresses of a host, host byte order, as a NULL-terminated list; NULL if unknown. */
bpf_u_int32 **pcap_nametoaddr(const char *name);
/* getaddrinfo() for a host name; free the result with freeaddrinfo(). */
struct addrinfo *pcap_nametoaddrinfo(const char *name);
/* The network number of a networks(5) name, or 0. */
bpf_u_int32 pcap_nametonetaddr(const char *name);

/* A services(5) port: fills *port and *proto (IPPROTO_TCP, IPPROTO_UDP or PROTO_UNDEF for
   both); returns 1 when found, 0 otherwise. */
int pcap_nametoport(const char *name, int *port, int *proto);
/* A port range "lo-hi" of numbers or names; returns 1 when valid, 0 otherwise. */
int pcap_nametoportrange(const char *name, int *port1, int *port2, int *proto);
/* An IP protocol number from protocols(5), or PROTO_UNDEF. */
int pcap_nametoproto(const char *name);
/* An ethertype by name ("ip", "arp", ...), or PROTO_UNDEF. */
int pcap_nametoeproto(const char *name);
/* An 802.2 LLC SAP by name ("iso", "stp", ...), or PROTO_UNDEF. */
int pcap_nametollc(const char *name);

#define PROTO_UNDEF -1

#ifdef __cplusplus
}
#endif

#endif /* lib_pcap_namedb_h */
#endif /* PCAPXX_PCAP_NAMEDB_H */
