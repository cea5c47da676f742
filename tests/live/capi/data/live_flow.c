/* A libpcap program written against the documented API (pcap(3PCAP) and the pages it links),
   built once against pcapxx's headers and library and once against Debian's libpcap. It runs
   inside a network namespace whose only running device is a veth with 10.66.0.1/24, prints
   what each call returned, and stops capturing after PCAP_FLOW_COUNT packets. Run as
     live_flow flow     lookupdev, open_live, lookupnet, compile, setfilter, loop, stats, close
     live_flow misuse   the API used wrongly: unactivated handles, settings after activation,
                        devices that do not exist, monitor mode, NULL where libpcap allows it
     live_flow io VETH COUNT
                        two immediate-mode, non-blocking handles on VETH (µs and ns time stamps)
                        waited on with poll() on their selectable descriptors; one injects two
                        frames; then COUNT frames from the peer; then pcap_breakloop from another
                        thread ends a blocking pcap_dispatch; stats at the end
   The "flow" and "io" modes write "ready" on standard error once they capture. */
#include <pcap/pcap.h>

#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sys/time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_packet(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  int* seen = (int*)user;
  ++*seen;
  /* Ethernet: dst, src, ethertype, then the 32-bit sequence number the test wrote. */
  unsigned seq = ((unsigned)bytes[14] << 24) | ((unsigned)bytes[15] << 16) |
                 ((unsigned)bytes[16] << 8) | bytes[17];
  printf("packet %d: caplen %u len %u type %02x%02x seq %u\n", *seen, h->caplen, h->len,
         bytes[12], bytes[13], seq);
}

static int flow(int count) {
  char errbuf[PCAP_ERRBUF_SIZE];
  char* dev = pcap_lookupdev(errbuf);
  if (dev == NULL) {
    printf("lookupdev failed: %s\n", errbuf);
    return 1;
  }
  printf("lookupdev: %s\n", strncmp(dev, "pxa", 3) == 0 ? "the veth" : dev);
  char device[64];
  snprintf(device, sizeof device, "%s", dev);
  pcap_t* p = pcap_open_live(device, 96, 1, 100, errbuf);
  if (p == NULL) {
    printf("open_live failed: %s\n", errbuf);
    return 1;
  }
  printf("datalink %d (%s) snapshot %d\n", pcap_datalink(p),
         pcap_datalink_val_to_name(pcap_datalink(p)), pcap_snapshot(p));
  bpf_u_int32 net = 0, mask = 0;
  if (pcap_lookupnet(device, &net, &mask, errbuf) != 0) {
    printf("lookupnet failed: %s\n", errbuf);
    return 1;
  }
  struct in_addr a = {net}, m = {mask};
  printf("lookupnet: %s", inet_ntoa(a));
  printf("/%s\n", inet_ntoa(m));
  struct bpf_program prog;
  if (pcap_compile(p, &prog, "ether proto 0x88b5 and ether[14:4] < 1000", 1, mask) != 0) {
    printf("compile failed: %s\n", pcap_geterr(p));
    return 1;
  }
  if (pcap_setfilter(p, &prog) != 0) {
    printf("setfilter failed: %s\n", pcap_geterr(p));
    return 1;
  }
  pcap_freecode(&prog);
  fprintf(stderr, "ready\n");
  fflush(stderr);
  int seen = 0;
  int rc = pcap_loop(p, count, on_packet, (u_char*)&seen);
  printf("loop returned %d after %d packets\n", rc, seen);
  struct pcap_stat st;
  if (pcap_stats(p, &st) != 0) {
    printf("stats failed: %s\n", pcap_geterr(p));
    return 1;
  }
  /* The sender also sends frames the filter rejects: only the accepted ones count. */
  printf("stats: recv %s, drop %u\n", st.ps_recv >= (u_int)count ? ">= count" : "< count", st.ps_drop);
  pcap_close(p);
  return 0;
}

static void status(const char* what, int rc) { printf("%-44s %d (%s)\n", what, rc, pcap_statustostr(rc)); }

static int misuse(const char* veth) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_create(veth, errbuf);
  if (p == NULL) {
    printf("create failed: %s\n", errbuf);
    return 1;
  }
  status("datalink before activate", pcap_datalink(p));
  status("snapshot before activate", pcap_snapshot(p));
  struct bpf_program prog;
  status("compile before activate", pcap_compile(p, &prog, "tcp", 1, PCAP_NETMASK_UNKNOWN));
  struct pcap_stat st;
  status("stats before activate", pcap_stats(p, &st));
  struct pcap_pkthdr* h;
  const u_char* d;
  status("next_ex before activate", pcap_next_ex(p, &h, &d));
  status("getnonblock before activate", pcap_getnonblock(p, errbuf));
  status("setnonblock before activate", pcap_setnonblock(p, 1, errbuf));
  status("getnonblock after setnonblock", pcap_getnonblock(p, errbuf));
  status("set_snaplen before activate", pcap_set_snaplen(p, 128));
  status("set_tstamp_precision 7", pcap_set_tstamp_precision(p, 7));
  status("set_tstamp_precision nano", pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO));
  status("can_set_rfmon", pcap_can_set_rfmon(p));
  status("activate", pcap_activate(p));
  status("activate again", pcap_activate(p));
  status("set_snaplen after activate", pcap_set_snaplen(p, 64));
  status("set_promisc after activate", pcap_set_promisc(p, 1));
  status("set_timeout after activate", pcap_set_timeout(p, 5));
  status("set_buffer_size after activate", pcap_set_buffer_size(p, 1 << 20));
  status("set_immediate_mode after activate", pcap_set_immediate_mode(p, 1));
  status("can_set_rfmon after activate", pcap_can_set_rfmon(p));
  status("snapshot", pcap_snapshot(p));
  status("tstamp precision", pcap_get_tstamp_precision(p));
  status("getnonblock after activate", pcap_getnonblock(p, errbuf));
  status("next_ex non-blocking, nothing sent", pcap_next_ex(p, &h, &d));
  status("dispatch non-blocking, nothing sent", pcap_dispatch(p, 5, on_packet, NULL));
  status("setnonblock 0", pcap_setnonblock(p, 0, errbuf));
  status("getnonblock", pcap_getnonblock(p, errbuf));
  status("selectable fd is a descriptor", pcap_get_selectable_fd(p) >= 0);
  status("setdirection in", pcap_setdirection(p, PCAP_D_IN));
  pcap_breakloop(p);
  status("dispatch after breakloop", pcap_dispatch(p, 5, on_packet, NULL));
  status("setnonblock 1", pcap_setnonblock(p, 1, errbuf));
  status("next_ex after the break was reported", pcap_next_ex(p, &h, &d));
  int* dlts = NULL;
  int n = pcap_list_datalinks(p, &dlts);
  status("list_datalinks", n);
  for (int i = 0; i < n; ++i) printf("  %s\n", pcap_datalink_val_to_name(dlts[i]));
  pcap_free_datalinks(dlts);
  status("set_datalink DOCSIS", pcap_set_datalink(p, DLT_DOCSIS));
  status("datalink", pcap_datalink(p));
  status("set_datalink EN10MB", pcap_set_datalink(p, DLT_EN10MB));
  status("set_datalink LINUX_SLL", pcap_set_datalink(p, DLT_LINUX_SLL));
  printf("  %s\n", pcap_geterr(p));
  status("sendpacket of 0 bytes", pcap_sendpacket(p, (const u_char*)"", 0));
  pcap_close(p);

  p = pcap_create("pxnosuchdev0", errbuf);
  status("activate missing device", pcap_activate(p));
  pcap_close(p);
  p = pcap_create(veth, errbuf);
  pcap_set_rfmon(p, 1);
  status("activate with monitor mode", pcap_activate(p));
  pcap_close(p);
  p = pcap_create("any", errbuf);
  pcap_set_promisc(p, 1);
  status("activate any, promiscuous", pcap_activate(p));
  printf("  %s\n", pcap_geterr(p));
  status("datalink of any", pcap_datalink(p));
  status("inject on any", pcap_inject(p, "0123456789abcdef", 16));
  printf("  %s\n", pcap_geterr(p));
  pcap_close(p);
  p = pcap_open_live("pxnosuchdev0", 100, 0, 10, errbuf);
  printf("open_live missing device: %s, %s\n", p == NULL ? "NULL" : "a handle", errbuf);
  p = pcap_open_live(NULL, 100, 0, 10, errbuf);
  printf("open_live NULL device: %s\n", p == NULL ? "NULL" : "a handle");
  if (p != NULL) {
    status("  its datalink", pcap_datalink(p));
    pcap_close(p);
  }
  bpf_u_int32 net = 1, mask = 1;
  status("lookupnet NULL device", pcap_lookupnet(NULL, &net, &mask, errbuf));
  printf("  %u %u\n", net, mask);
  status("lookupnet any", pcap_lookupnet("any", &net, &mask, errbuf));
  pcap_freealldevs(NULL);
  printf("freealldevs NULL: fine\n");
  return 0;
}

/* What the io mode keeps of each packet a handle delivered. */
struct seen_packet {
  unsigned seq;
  unsigned caplen, len;
  long sec, frac;
};
struct seen_list {
  int n;
  struct seen_packet p[64];
};

static void keep_packet(u_char* user, const struct pcap_pkthdr* h, const u_char* bytes) {
  struct seen_list* l = (struct seen_list*)user;
  if (l->n >= 64 || h->caplen < 18) return;
  struct seen_packet* s = &l->p[l->n++];
  s->seq = ((unsigned)bytes[14] << 24) | ((unsigned)bytes[15] << 16) | ((unsigned)bytes[16] << 8) | bytes[17];
  s->caplen = h->caplen;
  s->len = h->len;
  s->sec = (long)h->ts.tv_sec;
  s->frac = (long)h->ts.tv_usec;
}

static pcap_t* open_io_handle(const char* veth, int precision) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_create(veth, errbuf);
  if (p == NULL) {
    printf("create failed: %s\n", errbuf);
    return NULL;
  }
  status("  set_immediate_mode", pcap_set_immediate_mode(p, 1));
  status("  set_timeout 0 (wait without end)", pcap_set_timeout(p, 0));
  status("  set_tstamp_precision", pcap_set_tstamp_precision(p, precision));
  status("  activate", pcap_activate(p));
  status("  tstamp precision", pcap_get_tstamp_precision(p));
  struct bpf_program prog;
  if (pcap_compile(p, &prog, "ether proto 0x88b5", 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
    printf("filter failed: %s\n", pcap_geterr(p));
    pcap_close(p);
    return NULL;
  }
  pcap_freecode(&prog);
  status("  setnonblock 1", pcap_setnonblock(p, 1, errbuf));
  status("  getnonblock", pcap_getnonblock(p, errbuf));
  struct seen_list none = {0};
  status("  dispatch, nothing sent yet", pcap_dispatch(p, -1, keep_packet, (u_char*)&none));
  return p;
}

static void* break_later(void* arg) {
  usleep(200 * 1000);
  pcap_breakloop((pcap_t*)arg);
  return NULL;
}

static void print_seen(const char* name, const struct seen_list* l) {
  printf("%s delivered %d:", name, l->n);
  for (int i = 0; i < l->n; ++i) printf(" %u/%u/%u", l->p[i].seq, l->p[i].caplen, l->p[i].len);
  printf("\n");
}

static int io(const char* veth, int count) {
  printf("handle a (microseconds)\n");
  pcap_t* a = open_io_handle(veth, PCAP_TSTAMP_PRECISION_MICRO);
  printf("handle b (nanoseconds)\n");
  pcap_t* b = open_io_handle(veth, PCAP_TSTAMP_PRECISION_NANO);
  if (a == NULL || b == NULL) return 1;
  int fds[2] = {pcap_get_selectable_fd(a), pcap_get_selectable_fd(b)};
  printf("selectable descriptors: %s\n", fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1] ? "two" : "wrong");

  /* Handle a sends two frames of its own (sequence numbers 900 and 901, 100 bytes): b sees
     them as outgoing packets, a does not capture what it sent itself. */
  unsigned char frame[100];
  memset(frame, 0, sizeof frame);
  memcpy(frame, "\x02\x99\x00\x00\x00\x02\x02\x99\x00\x00\x00\x01\x88\xb5\x00\x00\x03\x84", 18);
  status("inject", pcap_inject(a, frame, sizeof frame));
  frame[17] = 0x85;
  status("sendpacket", pcap_sendpacket(a, frame, sizeof frame));

  fprintf(stderr, "ready\n");
  fflush(stderr);
  struct seen_list seen_a = {0}, seen_b = {0};
  int polls = 0;
  while ((seen_a.n < count || seen_b.n < count + 2) && polls < 200) {
    struct pollfd pfd[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    int r = poll(pfd, 2, 100);
    ++polls;
    if (r < 0) {
      printf("poll failed\n");
      return 1;
    }
    /* Non-blocking: dispatch returns at once, with 0 when nothing is there. */
    if (pcap_dispatch(a, -1, keep_packet, (u_char*)&seen_a) < 0 || pcap_dispatch(b, -1, keep_packet, (u_char*)&seen_b) < 0) {
      printf("dispatch failed: %s / %s\n", pcap_geterr(a), pcap_geterr(b));
      return 1;
    }
  }
  print_seen("a", &seen_a);
  print_seen("b", &seen_b);

  /* The same frame in both handles carries the same kernel time stamp: b's nanoseconds are
     a's microseconds times 1000 plus less than 1000. */
  struct timeval now;
  gettimeofday(&now, NULL);
  int agree = 0, ns_digits = 0, recent = 0, in_range = 1;
  for (int i = 0; i < seen_a.n; ++i) {
    for (int j = 0; j < seen_b.n; ++j) {
      if (seen_b.p[j].seq != seen_a.p[i].seq) continue;
      agree += seen_b.p[j].sec == seen_a.p[i].sec && seen_b.p[j].frac / 1000 == seen_a.p[i].frac;
    }
  }
  for (int j = 0; j < seen_b.n; ++j) {
    ns_digits += seen_b.p[j].frac % 1000 != 0;
    in_range &= seen_b.p[j].frac >= 0 && seen_b.p[j].frac < 1000000000;
    recent += labs(seen_b.p[j].sec - (long)now.tv_sec) < 60;
  }
  printf("time stamps: %d of a's agree with b's, b's in range: %s, some with nanosecond digits: %s, "
         "recent: %d\n", agree, in_range ? "yes" : "no", ns_digits > 0 ? "yes" : "no", recent);

  status("dispatch a, nothing more sent", pcap_dispatch(a, -1, keep_packet, (u_char*)&seen_a));
  char errbuf[PCAP_ERRBUF_SIZE];
  status("setnonblock a 0", pcap_setnonblock(a, 0, errbuf));
  /* Blocking without a timeout: only pcap_breakloop from the other thread ends the wait. */
  pthread_t t;
  pthread_create(&t, NULL, break_later, a);
  status("blocking dispatch, broken by another thread", pcap_dispatch(a, -1, keep_packet, (u_char*)&seen_a));
  pthread_join(t, NULL);

  struct pcap_stat st;
  if (pcap_stats(a, &st) == 0) printf("stats a: recv %u drop %u\n", st.ps_recv, st.ps_drop);
  if (pcap_stats(b, &st) == 0) printf("stats b: recv %u drop %u\n", st.ps_recv, st.ps_drop);
  pcap_close(a);
  pcap_close(b);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "flow") == 0) return flow(atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "misuse") == 0) return misuse(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "io") == 0) return io(argv[2], atoi(argv[3]));
  fprintf(stderr, "usage: live_flow flow COUNT | misuse VETH | io VETH COUNT\n");
  return 2;
}
