// The libpcap ABI's live-capture entry points. pcapxx's C ABI does not offer live capture yet:
// these fail with PCAP_ERROR and say so, so that the exported symbol set is libpcap's and
// programs that only read savefiles load and run.
#include "capi/handle.hpp"

using pcapxx::capi::set_errbuf;

namespace {
constexpr const char* kNoLive = "live capture is not available yet in pcapxx";
}

PCAPXX_CAPI pcap_t* pcap_create(const char*, char* errbuf) {
  set_errbuf(errbuf, kNoLive);
  return nullptr;
}

PCAPXX_CAPI pcap_t* pcap_open_live(const char*, int, int, int, char* errbuf) {
  set_errbuf(errbuf, kNoLive);
  return nullptr;
}

PCAPXX_CAPI int pcap_findalldevs(pcap_if_t** alldevsp, char* errbuf) {
  if (alldevsp != nullptr) *alldevsp = nullptr;
  set_errbuf(errbuf, kNoLive);
  return PCAP_ERROR;
}

PCAPXX_CAPI void pcap_freealldevs(pcap_if_t*) {}  // pcap_findalldevs never hands out a list

PCAPXX_CAPI char* pcap_lookupdev(char* errbuf) {
  set_errbuf(errbuf, kNoLive);
  return nullptr;
}

PCAPXX_CAPI int pcap_lookupnet(const char*, bpf_u_int32* netp, bpf_u_int32* maskp, char* errbuf) {
  if (netp != nullptr) *netp = 0;
  if (maskp != nullptr) *maskp = 0;
  set_errbuf(errbuf, kNoLive);
  return PCAP_ERROR;
}
