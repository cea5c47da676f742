/* The libpcap side of capture_bench (the oracle, linked into this benchmark only): opens a
 * device with a buffer size, reads until told to stop, and reports packets, drops and the
 * reading thread's CPU time. Compiled without our include directory so <pcap/pcap.h> is
 * Debian's. */
#include <pcap/pcap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct libpcap_run {
  uint64_t packets, bytes, dropped, received, cpu_ns;
  char error[PCAP_ERRBUF_SIZE];
};

static void count(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  struct libpcap_run* r = (struct libpcap_run*)user;
  (void)bytes;
  r->packets++;
  r->bytes += h->caplen;
}

static uint64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Reads `device` until *stop is set and a read times out; 0 on success. */
int libpcap_capture_run(const char* device, int buffer_bytes, int immediate, atomic_int* ready,
                        atomic_int* stop, struct libpcap_run* r) {
  pcap_t* p = pcap_create(device, r->error);
  if (p == NULL) return -1;
  pcap_set_buffer_size(p, buffer_bytes);
  pcap_set_snaplen(p, 262144);
  pcap_set_timeout(p, 100);
  pcap_set_immediate_mode(p, immediate);
  if (pcap_activate(p) < 0) {
    snprintf(r->error, sizeof r->error, "%s", pcap_geterr(p));
    pcap_close(p);
    return -1;
  }
  /* libpcap's V3 reader polls without a timeout when the ring is empty, so it reads in
   * non-blocking mode and polls here, with a timeout, as tcpdump's event loop would. */
  pcap_setnonblock(p, 1, r->error);
  struct pollfd pfd = {pcap_get_selectable_fd(p), POLLIN, 0};
  atomic_store(ready, 1);
  uint64_t start = thread_cpu_ns();
  for (;;) {
    int n = pcap_dispatch(p, -1, count, (u_char*)r);
    if (n < 0) break;
    if (n == 0) {
      if (atomic_load(stop)) break;
      poll(&pfd, 1, 100);
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
