/*
 * pcapxx: the libpcap 1.10 C API, implemented by pcapxx's libpcap.so.0.8 on top of the pcapxx
 * C++ core. Written for pcapxx from the documented ABI (pcap(3PCAP) and the per-function
 * manual pages, libpcap 1.10); a program written against that documentation compiles against
 * this header unchanged and runs against either library.
 *
 * Not available yet in pcapxx: live capture (pcap_create, pcap_activate, pcap_open_live,
 * pcap_findalldevs, pcap_inject, ...: they fail with PCAP_ERROR and say so in the error
 * buffer) and filter expressions other than the empty one in pcap_compile.
 */
#ifndef PCAPXX_PCAP_PCAP_H
#define PCAPXX_PCAP_PCAP_H

#ifndef lib_pcap_pcap_h
#define lib_pcap_pcap_h

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <pcap/bpf.h>

/* Marks the pcapxx implementation of this API. */
#define PCAPXX_PCAP_API 1

/* The pcap savefile format version written by pcap_dump_open. */
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4

/* Size of the error buffers the API fills. */
#define PCAP_ERRBUF_SIZE 256

/* pcap_lookupnet's netmask when the network's mask is unknown. */
#define PCAP_NETMASK_UNKNOWN 0xffffffff

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;
typedef struct pcap_if pcap_if_t;
typedef struct pcap_addr pcap_addr_t;

/* The header of a pcap savefile, as stored (in the writer's byte order). */
struct pcap_file_header {
  bpf_u_int32 magic;
  unsigned short version_major;
  unsigned short version_minor;
  bpf_int32 thiszone;   /* always 0 */
  bpf_u_int32 sigfigs;  /* always 0 */
  bpf_u_int32 snaplen;  /* bytes kept of each packet */
  bpf_u_int32 linktype; /* LINKTYPE_ value, FCS information in the upper bits */
};

/* The link-type field of a savefile header: the type, and the FCS length in 16-bit words. */
#define LT_LINKTYPE(x) ((x) & 0x0000FFFF)
#define LT_LINKTYPE_EXT(x) ((x) & 0xFFFF0000)
#define LT_RESERVED1(x) ((x) & 0x03FF0000)
#define LT_FCS_LENGTH_PRESENT(x) ((x) & 0x04000000)
#define LT_FCS_LENGTH(x) (((x) & 0xF0000000) >> 28)
#define LT_FCS_DATALINK_EXT(x) ((((x) & 0xF) << 28) | 0x04000000)

typedef enum {
  PCAP_D_INOUT = 0,
  PCAP_D_IN,
  PCAP_D_OUT
} pcap_direction_t;

/* What the library says about each packet it hands out. */
struct pcap_pkthdr {
  struct timeval ts;  /* time stamp; tv_usec holds nanoseconds on a nanosecond handle */
  bpf_u_int32 caplen; /* bytes present */
  bpf_u_int32 len;    /* bytes on the wire */
};

/* Capture statistics (pcap_stats). */
struct pcap_stat {
  unsigned int ps_recv;   /* packets received */
  unsigned int ps_drop;   /* dropped for lack of buffer space */
  unsigned int ps_ifdrop; /* dropped by the interface or its driver */
};

/* One capture device (pcap_findalldevs). */
struct pcap_if {
  struct pcap_if *next;
  char *name;
  char *description;
  struct pcap_addr *addresses;
  bpf_u_int32 flags; /* PCAP_IF_* */
};

#define PCAP_IF_LOOPBACK 0x00000001
#define PCAP_IF_UP 0x00000002
#define PCAP_IF_RUNNING 0x00000004
#define PCAP_IF_WIRELESS 0x00000008
#define PCAP_IF_CONNECTION_STATUS 0x00000030
#define PCAP_IF_CONNECTION_STATUS_UNKNOWN 0x00000000
#define PCAP_IF_CONNECTION_STATUS_CONNECTED 0x00000010
#define PCAP_IF_CONNECTION_STATUS_DISCONNECTED 0x00000020
#define PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE 0x00000030

/* One address of a capture device. */
struct pcap_addr {
  struct pcap_addr *next;
  struct sockaddr *addr;
  struct sockaddr *netmask;
  struct sockaddr *broadaddr;
  struct sockaddr *dstaddr;
};

/* Called by pcap_loop and pcap_dispatch for each packet. */
typedef void (*pcap_handler)(unsigned char *user, const struct pcap_pkthdr *h,
                             const unsigned char *bytes);

/* Error codes (negative) and warnings (positive). */
#define PCAP_ERROR -1
#define PCAP_ERROR_BREAK -2
#define PCAP_ERROR_NOT_ACTIVATED -3
#define PCAP_ERROR_ACTIVATED -4
#define PCAP_ERROR_NO_SUCH_DEVICE -5
#define PCAP_ERROR_RFMON_NOTSUP -6
#define PCAP_ERROR_NOT_RFMON -7
#define PCAP_ERROR_PERM_DENIED -8
#define PCAP_ERROR_IFACE_NOT_UP -9
#define PCAP_ERROR_CANTSET_TSTAMP_TYPE -10
#define PCAP_ERROR_PROMISC_PERM_DENIED -11
#define PCAP_ERROR_TSTAMP_PRECISION_NOTSUP -12

#define PCAP_WARNING 1
#define PCAP_WARNING_PROMISC_NOTSUP 2
#define PCAP_WARNING_TSTAMP_TYPE_NOTSUP 3

/* pcap_init options. */
#define PCAP_CHAR_ENC_LOCAL 0x00000000U
#define PCAP_CHAR_ENC_UTF_8 0x00000001U

/* Where time stamps come from (pcap_set_tstamp_type). */
#define PCAP_TSTAMP_HOST 0
#define PCAP_TSTAMP_HOST_LOWPREC 1
#define PCAP_TSTAMP_HOST_HIPREC 2
#define PCAP_TSTAMP_ADAPTER 3
#define PCAP_TSTAMP_ADAPTER_UNSYNCED 4
#define PCAP_TSTAMP_HOST_HIPREC_UNSYNCED 5

/* Time stamp precision of a handle. */
#define PCAP_TSTAMP_PRECISION_MICRO 0
#define PCAP_TSTAMP_PRECISION_NANO 1

/* pcap_init: start-up options of the library. */
int pcap_init(unsigned int opts, char *errbuf);

/* Deprecated device lookups. */
char *pcap_lookupdev(char *errbuf);
int pcap_lookupnet(const char *device, bpf_u_int32 *netp, bpf_u_int32 *maskp, char *errbuf);

/* Live capture: create, configure, activate. */
pcap_t *pcap_create(const char *source, char *errbuf);
int pcap_set_snaplen(pcap_t *p, int snaplen);
int pcap_set_promisc(pcap_t *p, int promisc);
int pcap_can_set_rfmon(pcap_t *p);
int pcap_set_rfmon(pcap_t *p, int rfmon);
int pcap_set_timeout(pcap_t *p, int to_ms);
int pcap_set_tstamp_type(pcap_t *p, int tstamp_type);
int pcap_set_immediate_mode(pcap_t *p, int immediate);
int pcap_set_buffer_size(pcap_t *p, int buffer_size);
int pcap_set_tstamp_precision(pcap_t *p, int tstamp_precision);
int pcap_get_tstamp_precision(pcap_t *p);
int pcap_set_protocol_linux(pcap_t *p, int protocol);
int pcap_activate(pcap_t *p);

int pcap_list_tstamp_types(pcap_t *p, int **tstamp_typesp);
void pcap_free_tstamp_types(int *tstamp_types);
int pcap_tstamp_type_name_to_val(const char *name);
const char *pcap_tstamp_type_val_to_name(int tstamp_type);
const char *pcap_tstamp_type_val_to_description(int tstamp_type);

/* Opening a handle. */
pcap_t *pcap_open_live(const char *device, int snaplen, int promisc, int to_ms, char *errbuf);
pcap_t *pcap_open_dead(int linktype, int snaplen);
pcap_t *pcap_open_dead_with_tstamp_precision(int linktype, int snaplen, unsigned int precision);
pcap_t *pcap_open_offline_with_tstamp_precision(const char *fname, unsigned int precision,
                                                char *errbuf);
pcap_t *pcap_open_offline(const char *fname, char *errbuf);
pcap_t *pcap_fopen_offline_with_tstamp_precision(FILE *fp, unsigned int precision, char *errbuf);
pcap_t *pcap_fopen_offline(FILE *fp, char *errbuf);
void pcap_close(pcap_t *p);

/* Reading packets. */
int pcap_loop(pcap_t *p, int cnt, pcap_handler callback, unsigned char *user);
int pcap_dispatch(pcap_t *p, int cnt, pcap_handler callback, unsigned char *user);
const unsigned char *pcap_next(pcap_t *p, struct pcap_pkthdr *h);
int pcap_next_ex(pcap_t *p, struct pcap_pkthdr **pkt_header, const unsigned char **pkt_data);
void pcap_breakloop(pcap_t *p);
int pcap_stats(pcap_t *p, struct pcap_stat *ps);

/* Filters. */
int pcap_setfilter(pcap_t *p, struct bpf_program *fp);
int pcap_setdirection(pcap_t *p, pcap_direction_t d);
int pcap_getnonblock(pcap_t *p, char *errbuf);
int pcap_setnonblock(pcap_t *p, int nonblock, char *errbuf);
int pcap_inject(pcap_t *p, const void *buf, size_t size);
int pcap_sendpacket(pcap_t *p, const unsigned char *buf, int size);
const char *pcap_statustostr(int error);
const char *pcap_strerror(int error);
char *pcap_geterr(pcap_t *p);
void pcap_perror(pcap_t *p, const char *prefix);
int pcap_compile(pcap_t *p, struct bpf_program *fp, const char *str, int optimize,
                 bpf_u_int32 netmask);
int pcap_compile_nopcap(int snaplen, int linktype, struct bpf_program *fp, const char *str,
                        int optimize, bpf_u_int32 netmask);
void pcap_freecode(struct bpf_program *fp);
int pcap_offline_filter(const struct bpf_program *fp, const struct pcap_pkthdr *h,
                        const unsigned char *pkt);

/* Link-layer types. */
int pcap_datalink(pcap_t *p);
int pcap_datalink_ext(pcap_t *p);
int pcap_list_datalinks(pcap_t *p, int **dlt_buf);
int pcap_set_datalink(pcap_t *p, int dlt);
void pcap_free_datalinks(int *dlt_list);
int pcap_datalink_name_to_val(const char *name);
const char *pcap_datalink_val_to_name(int dlt);
const char *pcap_datalink_val_to_description(int dlt);
const char *pcap_datalink_val_to_description_or_dlt(int dlt);

/* Properties of a handle. */
int pcap_snapshot(pcap_t *p);
int pcap_is_swapped(pcap_t *p);
int pcap_major_version(pcap_t *p);
int pcap_minor_version(pcap_t *p);
int pcap_bufsize(pcap_t *p);
FILE *pcap_file(pcap_t *p);
int pcap_fileno(pcap_t *p);
int pcap_get_selectable_fd(pcap_t *p);
const struct timeval *pcap_get_required_select_timeout(pcap_t *p);

/* Writing savefiles. */
pcap_dumper_t *pcap_dump_open(pcap_t *p, const char *fname);
pcap_dumper_t *pcap_dump_fopen(pcap_t *p, FILE *fp);
pcap_dumper_t *pcap_dump_open_append(pcap_t *p, const char *fname);
FILE *pcap_dump_file(pcap_dumper_t *p);
long pcap_dump_ftell(pcap_dumper_t *p);
int64_t pcap_dump_ftell64(pcap_dumper_t *p);
int pcap_dump_flush(pcap_dumper_t *p);
void pcap_dump_close(pcap_dumper_t *p);
void pcap_dump(unsigned char *user, const struct pcap_pkthdr *h, const unsigned char *sp);

/* Devices. */
int pcap_findalldevs(pcap_if_t **alldevsp, char *errbuf);
void pcap_freealldevs(pcap_if_t *alldevs);

/* The library's version: "libpcap version 1.10.3 (pcapxx ...)". */
const char *pcap_lib_version(void);

#ifdef __cplusplus
}
#endif

#endif /* lib_pcap_pcap_h */
#endif /* PCAPXX_PCAP_PCAP_H */
