/* Opens DEVICE in promiscuous mode through the documented libpcap API and prints what
   pcap_activate returned, the error buffer, and whether the device is now promiscuous
   (IFF_PROMISC in /sys/class/net/DEVICE/flags). Built once against pcapxx's headers and
   library and once against Debian's libpcap; the test runs it with reduced capabilities.
     promisc_open DEVICE */
#include <pcap/pcap.h>

#include <stdio.h>
#include <stdlib.h>

static int promiscuous(const char* dev) {
  char path[256];
  snprintf(path, sizeof path, "/sys/class/net/%s/flags", dev);
  FILE* f = fopen(path, "r");
  if (f == NULL) return -1;
  unsigned long flags = 0;
  int n = fscanf(f, "%lx", &flags);
  fclose(f);
  if (n != 1) return -1;
  return (flags & 0x100) != 0; /* IFF_PROMISC, include/uapi/linux/if.h */
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: promisc_open DEVICE\n");
    return 2;
  }
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_create(argv[1], errbuf);
  if (p == NULL) {
    printf("create failed: %s\n", errbuf);
    return 1;
  }
  pcap_set_promisc(p, 1);
  pcap_set_timeout(p, 100);
  int status = pcap_activate(p);
  printf("activate %d (%s)\n", status, pcap_statustostr(status));
  if (status < 0) printf("error: %s\n", pcap_geterr(p));
  printf("promiscuous while open: %d\n", promiscuous(argv[1]));
  pcap_close(p);
  return 0;
}
