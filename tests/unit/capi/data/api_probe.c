/*
 * Exercises the libpcap API the way its documentation describes it and prints what it sees.
 * Built twice by tests/unit/capi: against pcapxx's include/pcap headers and libpcap.so.0.8,
 * and against Debian's headers and libpcap (the oracle); both outputs must be identical.
 * Only what libpcap documents is printed: no error texts that name offsets, no version text.
 *
 * usage: api_probe CAPTURE OUTPUT_PREFIX
 *        api_probe -names OUTPUT_PREFIX CAPTURE   (the API that needs no particular capture)
 */
#include <pcap.h>
#include <pcap/namedb.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s(const char *p) { return p != NULL ? p : "(NULL)"; }

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

static uint64_t file_digest(const char *path, long *size) {
  FILE *f = fopen(path, "rb");
  uint64_t h = 14695981039346656037ULL;
  unsigned char buf[4096];
  size_t n;
  *size = 0;
  if (f == NULL) return 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    h = fnv(h, buf, n);
    *size += (long)n;
  }
  fclose(f);
  return h;
}

static void describe(pcap_t *p) {
  int *dlts = NULL;
  int n = pcap_list_datalinks(p, &dlts);
  printf("datalink %d name %s desc %s ext 0x%x snapshot %d swapped %d version %d.%d\n",
         pcap_datalink(p), s(pcap_datalink_val_to_name(pcap_datalink(p))),
         s(pcap_datalink_val_to_description(pcap_datalink(p))), (unsigned)pcap_datalink_ext(p),
         pcap_snapshot(p), pcap_is_swapped(p), pcap_major_version(p), pcap_minor_version(p));
  printf("datalinks %d first %d\n", n, n > 0 ? dlts[0] : -1);
  pcap_free_datalinks(dlts);
  printf("set same datalink %d\n", pcap_set_datalink(p, pcap_datalink(p)));
  printf("set other datalink %d: %s\n", pcap_set_datalink(p, pcap_datalink(p) == 1 ? 12 : 1),
         pcap_geterr(p));
  printf("set unnamed datalink %d: %s\n", pcap_set_datalink(p, 4000), pcap_geterr(p));
  printf("precision %d fileno %d selectable-is-file %d\n", pcap_get_tstamp_precision(p),
         pcap_fileno(p), pcap_get_selectable_fd(p) == fileno(pcap_file(p)));
  struct pcap_stat st;
  printf("stats %d: %s\n", pcap_stats(p, &st), pcap_geterr(p));
  printf("snaplen setting %d activate %d\n", pcap_set_snaplen(p, 10), pcap_activate(p));
}

/* Reads every packet with pcap_next_ex; prints the first few and a digest of all. */
static void read_all(pcap_t *p, const char *label) {
  struct pcap_pkthdr *h;
  const unsigned char *d;
  uint64_t digest = 14695981039346656037ULL;
  long count = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
    if (count < 3)
      printf("%s %ld: %lld.%06ld caplen %u len %u\n", label, count, (long long)h->ts.tv_sec,
             (long)h->ts.tv_usec, h->caplen, h->len);
    int64_t t[2] = {(int64_t)h->ts.tv_sec, (int64_t)h->ts.tv_usec};
    digest = fnv(digest, (const unsigned char *)t, sizeof t);
    digest = fnv(digest, (const unsigned char *)&h->caplen, 4);
    digest = fnv(digest, (const unsigned char *)&h->len, 4);
    digest = fnv(digest, d, h->caplen);
    count++;
  }
  printf("%s: %ld packets, digest %016llx, last rc %d\n", label, count, (unsigned long long)digest, rc);
  if (rc == PCAP_ERROR_BREAK) printf("%s: after end rc %d\n", label, pcap_next_ex(p, &h, &d));
}

static int seen;
static void count_cb(unsigned char *user, const struct pcap_pkthdr *h, const unsigned char *d) {
  (void)h;
  (void)d;
  seen++;
  if (user != NULL && seen == 2) pcap_breakloop((pcap_t *)user);
}

static int passed;
static struct bpf_program *check_prog;
static void filter_cb(unsigned char *user, const struct pcap_pkthdr *h, const unsigned char *d) {
  (void)user;
  passed++;
  if (!pcap_offline_filter(check_prog, h, d)) printf("offline filter disagrees\n");
  if (bpf_filter(check_prog->bf_insns, d, h->len, h->caplen) == 0) printf("bpf_filter disagrees\n");
}

/* Runs one read call and prints its result; returns 0 once a call failed (what libpcap does
   after a read error depends on its internals, so the probe stops there). */
static int step(const char *what, int rc) {
  printf("%s: rc %d seen %d\n", what, rc, seen);
  seen = 0;
  return rc != -1;
}

static void loops(const char *file) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(file, errbuf);
  if (p == NULL) return;
  seen = 0;
  int ok = step("loop 5", pcap_loop(p, 5, count_cb, NULL)) &&
           step("dispatch 3", pcap_dispatch(p, 3, count_cb, NULL)) &&
           step("loop with break", pcap_loop(p, -1, count_cb, (unsigned char *)p));
  if (ok) {
    pcap_breakloop(p);
    ok = step("break before dispatch", pcap_dispatch(p, -1, count_cb, NULL));
  }
  if (ok) {
    struct pcap_pkthdr h;
    const unsigned char *d = pcap_next(p, &h);
    printf("next: %s caplen %u\n", d != NULL ? "packet" : "NULL", d != NULL ? h.caplen : 0);
    ok = step("dispatch all", pcap_dispatch(p, 0, count_cb, NULL)) &&
         step("dispatch at end", pcap_dispatch(p, -1, count_cb, NULL)) &&
         step("loop at end", pcap_loop(p, -1, count_cb, NULL));
  }
  pcap_close(p);
}

static void filters(const char *file) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(file, errbuf);
  if (p == NULL) return;
  struct bpf_program all;
  int rc = pcap_compile(p, &all, "", 1, PCAP_NETMASK_UNKNOWN);
  printf("compile empty: rc %d len %u", rc, rc == 0 ? all.bf_len : 0);
  if (rc == 0) printf(" insn %s", bpf_image(all.bf_insns, 0));
  printf("\n");
  if (rc == 0) {
    printf("setfilter %d\n", pcap_setfilter(p, &all));
    pcap_freecode(&all);
  }
  /* Keep packets of at least 100 bytes on the wire whose byte 12 is 0x08 (IPv4/ARP on
     Ethernet); the snapshot of what passes is 64 bytes. */
  struct bpf_insn insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 100, 0, 3),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 12),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x08, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 64),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct bpf_program prog = {sizeof insns / sizeof insns[0], insns};
  check_prog = &prog;
  printf("validate %d\n", bpf_validate(insns, (int)prog.bf_len));
  for (unsigned i = 0; i < prog.bf_len; i++) printf("%s\n", bpf_image(&insns[i], (int)i));
  printf("setfilter custom %d\n", pcap_setfilter(p, &prog));
  passed = 0;
  rc = pcap_loop(p, -1, filter_cb, NULL);
  printf("filtered loop rc %d passed %d\n", rc, passed);
  pcap_close(p);
}

static void dump(const char *file, const char *out, unsigned precision) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline_with_tstamp_precision(file, precision, errbuf);
  if (p == NULL) return;
  pcap_dumper_t *d = pcap_dump_open(p, out);
  if (d == NULL) {
    printf("dump open failed\n");
    pcap_close(p);
    return;
  }
  printf("dump ftell at start %ld\n", pcap_dump_ftell(d));
  int rc = pcap_loop(p, -1, pcap_dump, (unsigned char *)d);
  printf("dump loop rc %d ftell %ld flush %d\n", rc, pcap_dump_ftell(d), pcap_dump_flush(d));
  pcap_dump_close(d);
  long size;
  uint64_t digest = file_digest(out, &size);
  printf("dump precision %u: %ld bytes digest %016llx\n", precision, size, (unsigned long long)digest);
  /* Appending the same packets again doubles the records after the header. */
  pcap_close(p);
  p = pcap_open_offline_with_tstamp_precision(file, precision, errbuf);
  d = pcap_dump_open_append(p, out);
  if (d != NULL) {
    pcap_loop(p, -1, pcap_dump, (unsigned char *)d);
    pcap_dump_close(d);
    digest = file_digest(out, &size);
    printf("appended: %ld bytes digest %016llx\n", size, (unsigned long long)digest);
  } else {
    printf("append failed\n");
  }
  pcap_close(p);
  remove(out);
}

/* A program that writes its own bytes to the dumper's stream between packets (through
   pcap_dump_file) sees them land in order among the records, and ftell counts them. */
struct interleave {
  pcap_dumper_t *d;
  unsigned n;
  uint64_t ftells;
};

static void interleave_cb(unsigned char *user, const struct pcap_pkthdr *h, const unsigned char *bytes) {
  struct interleave *s = (struct interleave *)user;
  pcap_dump((unsigned char *)s->d, h, bytes);
  if (++s->n % 3 == 0) fprintf(pcap_dump_file(s->d), "<mark %u>", s->n);
  s->ftells = s->ftells * 31 + (uint64_t)pcap_dump_ftell(s->d);
}

static void dump_interleaved(const char *file, const char *out, int use_fopen) {
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *p = pcap_open_offline(file, errbuf);
  if (p == NULL) return;
  pcap_dumper_t *d = NULL;
  if (use_fopen) {
    FILE *f = fopen(out, "wb");
    fputs("prefix written before pcap_dump_fopen\n", f);
    d = pcap_dump_fopen(p, f);
  } else {
    d = pcap_dump_open(p, out);
  }
  if (d == NULL) {
    printf("interleaved dump open failed\n");
    pcap_close(p);
    return;
  }
  struct interleave s = {d, 0, 0};
  int rc = pcap_loop(p, -1, interleave_cb, (unsigned char *)&s);
  fputs("<trailer>", pcap_dump_file(d));
  printf("interleaved (%s) rc %d packets %u ftells %016llx ftell %ld\n",
         use_fopen ? "fopen" : "open", rc, s.n, (unsigned long long)s.ftells, pcap_dump_ftell(d));
  pcap_dump_close(d);
  long size;
  uint64_t digest = file_digest(out, &size);
  printf("interleaved: %ld bytes digest %016llx\n", size, (unsigned long long)digest);
  pcap_close(p);
  remove(out);
}

static void dead(void) {
  pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
  printf("dead: datalink %d snapshot %d precision %d\n", pcap_datalink(p), pcap_snapshot(p),
         pcap_get_tstamp_precision(p));
  struct bpf_program prog;
  if (pcap_compile(p, &prog, NULL, 0, PCAP_NETMASK_UNKNOWN) == 0) {
    fflush(stdout);
    bpf_dump(&prog, 1);
    bpf_dump(&prog, 2);
    bpf_dump(&prog, 3);
    fflush(stdout);
    pcap_freecode(&prog);
  }
  struct pcap_stat st;
  printf("dead stats %d: %s\n", pcap_stats(p, &st), pcap_geterr(p));
  printf("dead inject %d: %s\n", pcap_inject(p, "x", 1), pcap_geterr(p));
  printf("dead setnonblock %d\n", pcap_setnonblock(p, 1, (char[PCAP_ERRBUF_SIZE]){0}));
  pcap_close(p);
  p = pcap_open_dead_with_tstamp_precision(DLT_RAW, 0, PCAP_TSTAMP_PRECISION_NANO);
  printf("dead nano: datalink %d snapshot %d precision %d\n", pcap_datalink(p), pcap_snapshot(p),
         pcap_get_tstamp_precision(p));
  printf("compile on snaplen 0: %d %s\n", pcap_compile(p, &prog, "", 1, 0), pcap_geterr(p));
  pcap_close(p);
}

static void names(void) {
  for (int v = -1; v <= 300; v++) {
    const char *n = pcap_datalink_val_to_name(v);
    printf("dlt %d %s / %s / %s", v, s(n), s(pcap_datalink_val_to_description(v)),
           pcap_datalink_val_to_description_or_dlt(v));
    if (n != NULL) printf(" -> %d", pcap_datalink_name_to_val(n));
    printf("\n");
  }
  printf("name en10mb %d, DLT_EN10MB %d, bogus %d\n", pcap_datalink_name_to_val("en10mb"),
         pcap_datalink_name_to_val("DLT_EN10MB"), pcap_datalink_name_to_val("bogus"));
  for (int t = -1; t <= 6; t++) {
    const char *n = pcap_tstamp_type_val_to_name(t);
    printf("tstamp %d %s / %s -> %d\n", t, s(n), s(pcap_tstamp_type_val_to_description(t)),
           n != NULL ? pcap_tstamp_type_name_to_val(n) : -99);
  }
  for (int e = -13; e <= 4; e++) printf("status %d: %s\n", e, pcap_statustostr(e));
  printf("strerror %s\n", pcap_strerror(2));
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  printf("init %d\n", pcap_init(PCAP_CHAR_ENC_LOCAL, errbuf));
  printf("init bad %d: %s\n", pcap_init(7, errbuf), errbuf);
  printf("eproto ip %d arp %d x %d llc stp %d\n", pcap_nametoeproto("ip"), pcap_nametoeproto("arp"),
         pcap_nametoeproto("x"), pcap_nametollc("stp"));
  unsigned char *mac = pcap_ether_aton("0:1b:2c:3d:4e:ff");
  printf("ether_aton %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  free(mac);
  int port = 0, proto = 0;
  printf("nametoport domain %d %d %d\n", pcap_nametoport("domain", &port, &proto), port, proto);
  printf("nametoproto tcp %d\n", pcap_nametoproto("tcp"));
  printf("lib version starts right %d\n", strncmp(pcap_lib_version(), "libpcap version 1.10.3", 22) == 0);
  struct bpf_insn bad[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)};
  struct bpf_insn jump_out[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 5, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
  struct bpf_insn div0[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 0)};
  struct bpf_insn good[] = {BPF_STMT(BPF_RET | BPF_A, 0)};
  printf("validate bad %d jump_out %d div0 %d good %d empty %d\n", bpf_validate(bad, 1),
         bpf_validate(jump_out, 2), bpf_validate(div0, 2), bpf_validate(good, 1), bpf_validate(good, 0));
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: api_probe CAPTURE OUTPUT_PREFIX\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *file = argv[1];
  char out[4096];
  snprintf(out, sizeof out, "%s.pcap", argv[2]);
  char errbuf[PCAP_ERRBUF_SIZE];

  if (strcmp(file, "-names") == 0) {
    names();
    dead();
    printf("missing: %p %s\n", (void *)pcap_open_offline("/nonexistent/x.pcap", errbuf), errbuf);
    printf("bad precision: %p %s\n",
           (void *)pcap_open_offline_with_tstamp_precision(argc > 3 ? argv[3] : argv[0], 7, errbuf), errbuf);
    return 0;
  }

  pcap_t *p = pcap_open_offline(file, errbuf);
  if (p == NULL) {
    printf("open failed\n");
    return 0;
  }
  describe(p);
  read_all(p, "micro");
  pcap_close(p);

  p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  printf("nano precision %d\n", pcap_get_tstamp_precision(p));
  read_all(p, "nano");
  pcap_close(p);

  FILE *f = fopen(file, "rb");
  p = pcap_fopen_offline(f, errbuf);
  printf("fopen: %s, file is ours %d\n", p != NULL ? "opened" : "failed", p != NULL && pcap_file(p) == f);
  if (p != NULL) {
    read_all(p, "fopen");
    pcap_close(p); /* closes f */
  }

  loops(file);
  filters(file);
  dump(file, out, PCAP_TSTAMP_PRECISION_MICRO);
  dump(file, out, PCAP_TSTAMP_PRECISION_NANO);
  dump_interleaved(file, out, 0);
  dump_interleaved(file, out, 1);
  return 0;
}
