// The libpcap ABI's names and strings: link-type names and descriptions (from pcapxx's link-type
// table), time stamp type names, status and errno texts, the library version and pcap_init.
#include <strings.h>

#include <array>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "capi/handle.hpp"
#include "pcapxx/linktype.hpp"

using pcapxx::capi::set_errbuf;

namespace {

// The table's names are NUL-terminated string literals, so .data() can go out as a C string.
const char* c_string(std::string_view literal) { return literal.data(); }

struct TstampType {
  int value;
  const char* name;
  const char* description;
};

// pcap-tstamp(7): the types and the names and descriptions libpcap reports for them.
constexpr std::array<TstampType, 6> kTstampTypes{{
    {PCAP_TSTAMP_HOST, "host", "Host"},
    {PCAP_TSTAMP_HOST_LOWPREC, "host_lowprec", "Host, low precision"},
    {PCAP_TSTAMP_HOST_HIPREC, "host_hiprec", "Host, high precision"},
    {PCAP_TSTAMP_ADAPTER, "adapter", "Adapter"},
    {PCAP_TSTAMP_ADAPTER_UNSYNCED, "adapter_unsynced", "Adapter, not synced with system time"},
    {PCAP_TSTAMP_HOST_HIPREC_UNSYNCED, "host_hiprec_unsynced",
     "Host, high precision, not synced with system time"},
}};

const TstampType* find_tstamp_type(int value) {
  for (const auto& t : kTstampTypes)
    if (t.value == value) return &t;
  return nullptr;
}

}  // namespace

/// The version string some programs read directly (libpcap exports it as data).
extern "C" {
__attribute__((visibility("default"))) char pcap_version[] = "1.10.3";
}

PCAPXX_CAPI const char* pcap_lib_version(void) {
  // Programs parse "libpcap version X.Y.Z"; the parenthesis says which library this is.
  return "libpcap version 1.10.3 (pcapxx " PCAPXX_VERSION ")";
}

PCAPXX_CAPI int pcap_init(unsigned int opts, char* errbuf) {
  if (opts != PCAP_CHAR_ENC_LOCAL && opts != PCAP_CHAR_ENC_UTF_8) {
    set_errbuf(errbuf, "Unknown options specified");
    return PCAP_ERROR;
  }
  return 0;
}

PCAPXX_CAPI const char* pcap_datalink_val_to_name(int dlt) {
  const pcapxx::LinkTypeInfo* info = pcapxx::find_link_type(pcapxx::LinkType{dlt});
  return info != nullptr ? c_string(info->name) : nullptr;
}

PCAPXX_CAPI const char* pcap_datalink_val_to_description(int dlt) {
  const pcapxx::LinkTypeInfo* info = pcapxx::find_link_type(pcapxx::LinkType{dlt});
  return info != nullptr ? c_string(info->description) : nullptr;
}

PCAPXX_CAPI const char* pcap_datalink_val_to_description_or_dlt(int dlt) {
  if (const char* d = pcap_datalink_val_to_description(dlt)) return d;
  thread_local char buf[32];
  std::snprintf(buf, sizeof buf, "DLT %d", dlt);
  return buf;
}

PCAPXX_CAPI int pcap_datalink_name_to_val(const char* name) {
  if (name == nullptr) return -1;
  const pcapxx::LinkTypeInfo* info = pcapxx::find_link_type(std::string_view(name));
  return info != nullptr ? info->dlt : -1;
}

PCAPXX_CAPI int pcap_tstamp_type_name_to_val(const char* name) {
  if (name != nullptr)
    for (const auto& t : kTstampTypes)
      if (strcasecmp(name, t.name) == 0) return t.value;
  return PCAP_ERROR;
}

PCAPXX_CAPI const char* pcap_tstamp_type_val_to_name(int tstamp_type) {
  const TstampType* t = find_tstamp_type(tstamp_type);
  return t != nullptr ? t->name : nullptr;
}

PCAPXX_CAPI const char* pcap_tstamp_type_val_to_description(int tstamp_type) {
  const TstampType* t = find_tstamp_type(tstamp_type);
  return t != nullptr ? t->description : nullptr;
}

PCAPXX_CAPI const char* pcap_statustostr(int error) {
  switch (error) {
    case PCAP_WARNING: return "Generic warning";
    case PCAP_WARNING_TSTAMP_TYPE_NOTSUP: return "That type of time stamp is not supported by that device";
    case PCAP_WARNING_PROMISC_NOTSUP: return "That device doesn't support promiscuous mode";
    case PCAP_ERROR: return "Generic error";
    case PCAP_ERROR_BREAK: return "Loop terminated by pcap_breakloop";
    case PCAP_ERROR_NOT_ACTIVATED: return "The pcap_t has not been activated";
    case PCAP_ERROR_ACTIVATED: return "The setting can't be changed after the pcap_t is activated";
    case PCAP_ERROR_NO_SUCH_DEVICE: return "No such device exists";
    case PCAP_ERROR_RFMON_NOTSUP: return "That device doesn't support monitor mode";
    case PCAP_ERROR_NOT_RFMON: return "That operation is supported only in monitor mode";
    case PCAP_ERROR_PERM_DENIED: return "You don't have permission to perform this capture on that device";
    case PCAP_ERROR_IFACE_NOT_UP: return "That device is not up";
    case PCAP_ERROR_CANTSET_TSTAMP_TYPE: return "That device doesn't support setting the time stamp type";
    case PCAP_ERROR_PROMISC_PERM_DENIED:
      return "You don't have permission to capture in promiscuous mode on that device";
    case PCAP_ERROR_TSTAMP_PRECISION_NOTSUP: return "That device doesn't support that time stamp precision";
    default: break;
  }
  thread_local char buf[48];
  std::snprintf(buf, sizeof buf, "Unknown error: %d", error);
  return buf;
}

PCAPXX_CAPI const char* pcap_strerror(int error) {
  thread_local char buf[PCAP_ERRBUF_SIZE];
  // The GNU strerror_r returns a static text or fills buf.
  return strerror_r(error, buf, sizeof buf);
}
