/* Test oracle, never shipped: reads a savefile with Debian's libpcap and prints, per packet,
 * "seconds.nanoseconds|caplen|len", then "error: MESSAGE" if reading stopped on an error.
 * Used where tshark cannot read a link type. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char** argv) {
  char errbuf[PCAP_ERRBUF_SIZE];
  if (argc != 2) {
    fprintf(stderr, "usage: pcap_oracle FILE\n");
    return 2;
  }
  pcap_t* p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!p) {
    printf("error: %s\n", errbuf);
    return 1;
  }
  struct pcap_pkthdr* h;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1)
    printf("%ld.%09ld|%u|%u\n", (long)h->ts.tv_sec, (long)h->ts.tv_usec, h->caplen, h->len);
  if (rc == PCAP_ERROR) printf("error: %s\n", pcap_geterr(p));
  pcap_close(p);
  return rc == PCAP_ERROR ? 1 : 0;
}
