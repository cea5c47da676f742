// The libpcap ABI: what a handle reports about itself (link type, snapshot length, byte order,
// version, streams), its error buffer, and the settings that a savefile or a dead handle
// refuses, with libpcap 1.10's return values and messages for them.
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "capi/handle.hpp"

using pcapxx::capi::set_errbuf;

namespace {

// libpcap's message for a setting changed after activation; every savefile handle is active.
int activated(pcap_t* p) {
  p->set_error("can't perform  operation on activated capture");
  return PCAP_ERROR_ACTIVATED;
}

}  // namespace

PCAPXX_CAPI int pcap_datalink(pcap_t* p) { return p == nullptr ? PCAP_ERROR : p->linktype; }

PCAPXX_CAPI int pcap_datalink_ext(pcap_t* p) {
  return p == nullptr ? PCAP_ERROR : static_cast<int>(p->linktype_ext);
}

PCAPXX_CAPI int pcap_list_datalinks(pcap_t* p, int** dlt_buf) {
  if (p == nullptr || dlt_buf == nullptr) return PCAP_ERROR;
  // A savefile (or dead handle) has exactly its own link type.
  *dlt_buf = static_cast<int*>(std::malloc(sizeof(int)));
  if (*dlt_buf == nullptr) {
    p->set_error("malloc: out of memory");
    return PCAP_ERROR;
  }
  **dlt_buf = p->linktype;
  return 1;
}

PCAPXX_CAPI void pcap_free_datalinks(int* dlt_list) { std::free(dlt_list); }

PCAPXX_CAPI int pcap_set_datalink(pcap_t* p, int dlt) {
  if (p == nullptr) return PCAP_ERROR;
  if (dlt >= 0 && dlt == p->linktype) return 0;
  const char* name = pcap_datalink_val_to_name(dlt);
  if (name != nullptr)
    p->set_error(fmt::format("{} is not one of the DLTs supported by this device", name));
  else
    p->set_error(fmt::format("DLT {} is not one of the DLTs supported by this device", dlt));
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_snapshot(pcap_t* p) { return p == nullptr ? PCAP_ERROR : p->snapshot; }
PCAPXX_CAPI int pcap_is_swapped(pcap_t* p) { return p == nullptr ? PCAP_ERROR : p->swapped ? 1 : 0; }
PCAPXX_CAPI int pcap_major_version(pcap_t* p) { return p == nullptr ? PCAP_ERROR : p->version_major; }
PCAPXX_CAPI int pcap_minor_version(pcap_t* p) { return p == nullptr ? PCAP_ERROR : p->version_minor; }

PCAPXX_CAPI int pcap_bufsize(pcap_t* p) {
  if (p == nullptr) return PCAP_ERROR;
  // libpcap starts a savefile's record buffer at min(snapshot, 2048); ours is shared and larger.
  if (!p->reader) return 0;
  return std::min(p->snapshot, 2048);
}

PCAPXX_CAPI FILE* pcap_file(pcap_t* p) { return p == nullptr ? nullptr : p->rfile; }

// libpcap keeps no capture descriptor for a savefile: pcap_fileno is -1 (see pcap_file).
PCAPXX_CAPI int pcap_fileno(pcap_t* p) { return p == nullptr ? PCAP_ERROR : -1; }

PCAPXX_CAPI int pcap_get_selectable_fd(pcap_t* p) {
  if (p == nullptr || p->rfile == nullptr) return -1;
  return ::fileno(p->rfile);
}

PCAPXX_CAPI const struct timeval* pcap_get_required_select_timeout(pcap_t*) { return nullptr; }

PCAPXX_CAPI char* pcap_geterr(pcap_t* p) {
  static char null_handle[] = "a null pcap_t was passed";
  return p == nullptr ? null_handle : p->errbuf;
}

PCAPXX_CAPI void pcap_perror(pcap_t* p, const char* prefix) {
  std::fprintf(stderr, "%s: %s\n", prefix != nullptr ? prefix : "(null)", pcap_geterr(p));
}

PCAPXX_CAPI int pcap_stats(pcap_t* p, struct pcap_stat* ps) {
  if (p == nullptr || ps == nullptr) return PCAP_ERROR;
  p->set_error(p->reader ? "Statistics aren't available from savefiles"
                         : "Statistics aren't available from a pcap_open_dead pcap_t");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_setnonblock(pcap_t* p, int, char* errbuf) {
  if (p == nullptr) return PCAP_ERROR;
  set_errbuf(errbuf, p->reader ? "Savefiles cannot be put into non-blocking mode"
                               : "A pcap_open_dead pcap_t does not have a non-blocking mode setting");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_getnonblock(pcap_t* p, char* errbuf) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->reader) return 0;
  set_errbuf(errbuf, "A pcap_open_dead pcap_t does not have a non-blocking mode setting");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_setdirection(pcap_t* p, pcap_direction_t) {
  if (p == nullptr) return PCAP_ERROR;
  p->set_error(p->reader ? "Setting direction is not supported on savefiles"
                         : "Setting direction is not supported on a pcap_open_dead pcap_t");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_inject(pcap_t* p, const void*, size_t) {
  if (p == nullptr) return PCAP_ERROR;
  p->set_error(p->reader ? "Sending packets isn't supported on savefiles"
                         : "Packets can't be sent on a pcap_open_dead pcap_t");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_sendpacket(pcap_t* p, const unsigned char* buf, int size) {
  if (size <= 0) {
    if (p != nullptr) p->set_error("The number of bytes to be sent must be positive");
    return PCAP_ERROR;
  }
  return pcap_inject(p, buf, static_cast<size_t>(size)) == -1 ? -1 : 0;
}

PCAPXX_CAPI int pcap_get_tstamp_precision(pcap_t* p) {
  return p == nullptr ? PCAP_ERROR : p->precision;
}

// Settings of pcap_create handles: a savefile or dead handle counts as activated.
PCAPXX_CAPI int pcap_set_snaplen(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_set_promisc(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_set_rfmon(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_set_timeout(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_set_tstamp_type(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_set_immediate_mode(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_set_buffer_size(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_set_tstamp_precision(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_set_protocol_linux(pcap_t* p, int) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_activate(pcap_t* p) { return p == nullptr ? PCAP_ERROR : activated(p); }
PCAPXX_CAPI int pcap_can_set_rfmon(pcap_t* p) { return p == nullptr ? PCAP_ERROR : 0; }

PCAPXX_CAPI int pcap_list_tstamp_types(pcap_t* p, int** tstamp_typesp) {
  if (p == nullptr || tstamp_typesp == nullptr) return PCAP_ERROR;
  // Nothing to choose from: the one type is "host", as libpcap reports for such handles.
  *tstamp_typesp = static_cast<int*>(std::malloc(sizeof(int)));
  if (*tstamp_typesp == nullptr) {
    p->set_error("malloc: out of memory");
    return PCAP_ERROR;
  }
  **tstamp_typesp = PCAP_TSTAMP_HOST;
  return 1;
}

PCAPXX_CAPI void pcap_free_tstamp_types(int* tstamp_types) { std::free(tstamp_types); }
