/*
 * pcapxx: the historical location of the libpcap API header; everything is in pcap/pcap.h.
 */
#include <pcap/pcap.h>
