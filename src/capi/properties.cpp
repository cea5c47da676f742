// The libpcap ABI: what a handle reports about itself (link type, snapshot length, byte order,
// version, streams), its error buffer, and the settings that a savefile or a dead handle
// refuses, with libpcap 1.10's return values and messages for them.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "capi/handle.hpp"

using pcapxx::capi::set_errbuf;

namespace {

using pcapxx::capi::not_activated;

// The DLTs a live device offers, as libpcap on Linux: what the capture can deliver (cooked
// captures LINUX_SLL and LINUX_SLL2), and on Ethernet devices also DOCSIS (the same frames).
std::vector<int> live_datalinks(const pcap_t* p) {
  std::vector<int> dlts;
  for (pcapxx::LinkType t : p->live->link_types()) dlts.push_back(t.dlt);
  if (dlts.size() == 1 && dlts.front() == DLT_EN10MB) dlts.push_back(DLT_DOCSIS);
  return dlts;
}

}  // namespace

PCAPXX_CAPI int pcap_datalink(pcap_t* p) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return PCAP_ERROR_NOT_ACTIVATED;
  return p->linktype;
}

PCAPXX_CAPI int pcap_datalink_ext(pcap_t* p) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return PCAP_ERROR_NOT_ACTIVATED;
  return static_cast<int>(p->linktype_ext);
}

PCAPXX_CAPI int pcap_list_datalinks(pcap_t* p, int** dlt_buf) {
  if (p == nullptr || dlt_buf == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return not_activated(p);
  // A savefile (or dead handle) has exactly its own link type.
  std::vector<int> dlts;
  try {
    dlts = p->is_live() ? live_datalinks(p) : std::vector<int>{p->linktype};
  } catch (...) {
    dlts.clear();
  }
  *dlt_buf = static_cast<int*>(std::malloc(sizeof(int) * std::max<std::size_t>(1, dlts.size())));
  if (*dlt_buf == nullptr || dlts.empty()) {
    std::free(*dlt_buf);
    *dlt_buf = nullptr;
    p->set_error("malloc: out of memory");
    return PCAP_ERROR;
  }
  std::copy(dlts.begin(), dlts.end(), *dlt_buf);
  return static_cast<int>(dlts.size());
}

PCAPXX_CAPI void pcap_free_datalinks(int* dlt_list) { std::free(dlt_list); }

PCAPXX_CAPI int pcap_set_datalink(pcap_t* p, int dlt) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return not_activated(p);
  if (dlt >= 0 && dlt == p->linktype) return 0;
  if (p->is_live()) {
    try {
      for (pcapxx::LinkType t : p->live->link_types()) {
        if (t.dlt == dlt) {
          if (auto ok = p->live->set_link_type(t); !ok) {
            p->set_error(ok.error().message);
            return PCAP_ERROR;
          }
          p->linktype = dlt;
          return 0;
        }
      }
      if (dlt == DLT_DOCSIS && p->linktype == DLT_EN10MB) {  // the same frames, only named otherwise
        p->linktype = dlt;
        return 0;
      }
    } catch (...) {
    }
  }
  const char* name = pcap_datalink_val_to_name(dlt);
  if (name != nullptr)
    p->set_error(fmt::format("{} is not one of the DLTs supported by this device", name));
  else
    p->set_error(fmt::format("DLT {} is not one of the DLTs supported by this device", dlt));
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_snapshot(pcap_t* p) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return PCAP_ERROR_NOT_ACTIVATED;
  return p->snapshot;
}
PCAPXX_CAPI int pcap_is_swapped(pcap_t* p) { return p == nullptr ? PCAP_ERROR : p->swapped ? 1 : 0; }
PCAPXX_CAPI int pcap_major_version(pcap_t* p) { return p == nullptr ? PCAP_ERROR : p->version_major; }
PCAPXX_CAPI int pcap_minor_version(pcap_t* p) { return p == nullptr ? PCAP_ERROR : p->version_minor; }

PCAPXX_CAPI int pcap_bufsize(pcap_t* p) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return PCAP_ERROR_NOT_ACTIVATED;
  if (p->is_live()) return p->snapshot;
  // libpcap starts a savefile's record buffer at min(snapshot, 2048); ours is shared and larger.
  if (!p->reader) return 0;
  return std::min(p->snapshot, 2048);
}

PCAPXX_CAPI FILE* pcap_file(pcap_t* p) { return p == nullptr ? nullptr : p->rfile; }

// libpcap keeps no capture descriptor for a savefile: pcap_fileno is -1 (see pcap_file).
// A live handle's is its packet socket.
PCAPXX_CAPI int pcap_fileno(pcap_t* p) {
  if (p == nullptr) return PCAP_ERROR;
  return p->is_live() ? p->live->selectable_fd() : -1;
}

PCAPXX_CAPI int pcap_get_selectable_fd(pcap_t* p) {
  if (p == nullptr) return -1;
  if (p->is_live()) return p->live->selectable_fd();
  if (p->rfile == nullptr) return -1;
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
  if (p->is_unactivated()) return not_activated(p);
  if (p->is_live()) {
    pcapxx::CaptureStats st = p->live->stats();
    // libpcap's counters are 32 bits wide and wrap.
    ps->ps_recv = static_cast<u_int>(st.received);
    ps->ps_drop = static_cast<u_int>(st.dropped);
    ps->ps_ifdrop = static_cast<u_int>(st.if_dropped);
    return 0;
  }
  p->set_error(p->reader ? "Statistics aren't available from savefiles"
                         : "Statistics aren't available from a pcap_open_dead pcap_t");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_setnonblock(pcap_t* p, int nonblock, char* errbuf) {
  if (p == nullptr) return PCAP_ERROR;
  // Before activation the setting is kept and applied by pcap_activate (libpcap 1.10).
  if (p->created) {
    p->nonblock = nonblock != 0;
    if (p->is_live()) p->live->set_nonblocking(p->nonblock);
    return 0;
  }
  set_errbuf(errbuf, p->reader ? "Savefiles cannot be put into non-blocking mode"
                               : "A pcap_open_dead pcap_t does not have a non-blocking mode setting");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_getnonblock(pcap_t* p, char* errbuf) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return not_activated(p);
  if (p->created) return p->nonblock ? 1 : 0;
  if (p->reader) return 0;
  set_errbuf(errbuf, "A pcap_open_dead pcap_t does not have a non-blocking mode setting");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_setdirection(pcap_t* p, pcap_direction_t d) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return not_activated(p);
  if (p->is_live()) {
    if (d != PCAP_D_INOUT && d != PCAP_D_IN && d != PCAP_D_OUT) {
      p->set_error(fmt::format("Invalid direction {}", static_cast<int>(d)));
      return PCAP_ERROR;
    }
    p->direction = d;
    return 0;
  }
  p->set_error(p->reader ? "Setting direction is not supported on savefiles"
                         : "Setting direction is not supported on a pcap_open_dead pcap_t");
  return PCAP_ERROR;
}

PCAPXX_CAPI int pcap_inject(pcap_t* p, const void* buf, size_t size) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return not_activated(p);
  if (p->is_live()) return pcapxx::capi::live_inject(p, buf, size);
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
