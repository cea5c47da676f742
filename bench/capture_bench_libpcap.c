/* The libpcap side of capture_bench (the oracle, linked into this benchmark only): opens a
 * device with the same buffer size, snaplen and timeout as our side, reads until told to stop,
 * and reports packets, batches, drops and the reading thread's CPU time; optionally the
 * latency of each packet from the send stamp in its payload. Compiled without our include
 * directory so <pcap/pcap.h> is Debian's. */
#include <pcap/pcap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

_Static_assert(PCAP_ERRBUF_SIZE == 256, "capture_bench.cpp declares the error buffer as 256 bytes");

struct libpcap_run {
  uint64_t packets, bytes, dropped, received, cpu_ns, batches;
  /* Latency: when lat_ns is set, each packet's delivery time (CLOCK_REALTIME) minus the send
   * stamp in its bytes [stamp_offset, stamp_offset + 8) is stored, up to lat_capacity. */
  int64_t* lat_ns;
  uint64_t lat_capacity, lat_count;
  uint32_t stamp_offset;
  char error[PCAP_ERRBUF_SIZE];
};

static void count(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  struct libpcap_run* r = (struct libpcap_run*)user;
  (void)bytes;
  r->packets++;
  r->bytes += h->caplen;
}

static void stamp_latency(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  struct libpcap_run* r = (struct libpcap_run*)user;
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  r->packets++;
  r->bytes += h->caplen;
  if (r->lat_count < r->lat_capacity && h->caplen >= r->stamp_offset + 8) {
    int64_t sent;
    memcpy(&sent, bytes + r->stamp_offset, 8);
    r->lat_ns[r->lat_count++] = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - sent;
  }
}

static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads `device` until *stop is set and a read finds nothing (or, measuring latency, until
 * lat_capacity packets arrived); 0 on success. */
int libpcap_capture_run(const char* device, int buffer_bytes, int snaplen, int timeout_ms, int immediate,
                        atomic_int* ready, atomic_int* stop, struct libpcap_run* r) {
  pcap_t* p = pcap_create(device, r->error);
  if (p == NULL) return -1;
  pcap_set_buffer_size(p, buffer_bytes);
  pcap_set_snaplen(p, snaplen);
  pcap_set_timeout(p, timeout_ms);
  pcap_set_immediate_mode(p, immediate);
  if (pcap_activate(p) < 0) {
    snprintf(r->error, sizeof r->error, "%s", pcap_geterr(p));
    pcap_close(p);
    return -1;
  }
  /* libpcap's V3 reader polls without a timeout when the ring is empty, so it reads in
   * non-blocking mode and polls here with the capture's timeout, as tcpdump's event loop
   * would; a poll wakes on a retired block (V3) or a packet (V2, immediate mode). */
  pcap_setnonblock(p, 1, r->error);
  struct pollfd pfd = {pcap_get_selectable_fd(p), POLLIN, 0};
  pcap_handler handler = r->lat_ns != NULL ? stamp_latency : count;
  atomic_store(ready, 1);
  uint64_t start = thread_cpu_ns();
  for (;;) {
    int n = pcap_dispatch(p, -1, handler, (u_char*)r);
    if (n < 0) break;
    if (n > 0) r->batches++;
    if (r->lat_ns != NULL && r->lat_count >= r->lat_capacity) break;
    if (n == 0) {
      if (atomic_load(stop)) break;
      poll(&pfd, 1, timeout_ms);
    }
  }
  r->cpu_ns = thread_cpu_ns() - start;
  struct pcap_stat st;
  if (pcap_stats(p, &st) == 0) {
    r->dropped = st.ps_drop;
    r->received = st.ps_recv;
  }
  pcap_close(p);
  return 0;
}

/* The drain measure: a capture opened and left unread while the ring fills. */
void* libpcap_open_ring(const char* device, int buffer_bytes, int snaplen, int timeout_ms, char* error) {
  pcap_t* p = pcap_create(device, error);
  if (p == NULL) return NULL;
  pcap_set_buffer_size(p, buffer_bytes);
  pcap_set_snaplen(p, snaplen);
  pcap_set_timeout(p, timeout_ms);
  if (pcap_activate(p) < 0) {
    snprintf(error, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
    pcap_close(p);
    return NULL;
  }
  pcap_setnonblock(p, 1, error);
  return p;
}

/* Reads every packet the ring holds without waiting; returns how many, the CPU time spent in
 * *cpu_ns and the drops counted so far in *dropped. */
uint64_t libpcap_drain(void* handle, uint64_t* cpu_ns, uint64_t* dropped) {
  pcap_t* p = (pcap_t*)handle;
  struct libpcap_run r;
  memset(&r, 0, sizeof r);
  uint64_t start = thread_cpu_ns();
  while (pcap_dispatch(p, -1, count, (u_char*)&r) > 0) {
  }
  *cpu_ns = thread_cpu_ns() - start;
  struct pcap_stat st;
  *dropped = pcap_stats(p, &st) == 0 ? st.ps_drop : 0;
  return r.packets;
}

void libpcap_close_ring(void* handle) { pcap_close((pcap_t*)handle); }
