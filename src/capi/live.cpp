// The libpcap ABI for live capture on pcapxx::LiveCapture: pcap_create and its settings,
// pcap_activate with libpcap's status codes, pcap_open_live, and the read rules of a live
// handle (pcap_dispatch returns what one wait delivered, 0 on timeout, PCAP_ERROR_BREAK after
// pcap_breakloop even when packets were handed out, as Linux libpcap's ring reader does).
// The settings are kept in a pcapxx::CaptureOptions until pcap_activate opens the capture.
//
// pcap_inject sends on the capture socket itself, as libpcap does, so a handle does not see
// the frames it sent. Nanosecond handles turn on SO_TIMESTAMPNS as libpcap does (kernel receive
// time stamps; belongs in CaptureOptions of the capture module).
//
// LINUX_SLL2 (pcap_set_datalink on a cooked capture) is the capture's own: it writes the header
// in the ring (LiveCapture::set_link_type).
//
// Differences from libpcap: monitor mode is never available (PCAP_ERROR_RFMON_NOTSUP); only
// the host time stamp type; pcap_setdirection after activation drops packets of the other
// direction here, as libpcap does on Linux, since LiveCapture applies a direction only at open.
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "capi/handle.hpp"
#include "pcapxx/device.hpp"

namespace pcapxx::capi {

int not_activated(pcap_t* p) noexcept {
  p->set_error("This handle hasn't been activated yet");
  return PCAP_ERROR_NOT_ACTIVATED;
}

namespace {

// pcap_set_* on a handle that can no longer change: libpcap's status and text (with its
// double space).
int activated_already(pcap_t* p) {
  p->set_error("can't perform  operation on activated capture");
  return PCAP_ERROR_ACTIVATED;
}

// The pcap_create devices that pcapxx lists (libpcap's pseudo-devices) but cannot capture on.
bool pseudo_device(std::string_view name) {
  return name == "bluetooth-monitor" || name == "nflog" || name == "nfqueue" ||
         name == "dbus-system" || name == "dbus-session";
}

// Our messages start with the device name; libpcap's activate messages do not.
std::string without_device(std::string_view message, std::string_view device) {
  std::string prefix = fmt::format("{}: ", device);
  if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
  return std::string(message);
}

int activate(pcap_t* p) {
  if (pseudo_device(p->device)) {
    p->set_error(fmt::format("{}: capturing on this device is not supported yet by pcapxx", p->device));
    return PCAP_ERROR;
  }
  if (p->rfmon) {
    // No device pcapxx opens has a monitor mode; libpcap answers this before anything else.
    p->set_error("");
    return PCAP_ERROR_RFMON_NOTSUP;
  }
  pcapxx::CaptureOptions options = p->live_options;
  // libpcap 1.10 turns promiscuous mode off on "any" and says so only in the error buffer.
  const bool promiscuous_any = p->device == "any" && options.promiscuous;
  if (promiscuous_any) options.promiscuous = false;
  auto cap = pcapxx::LiveCapture::open(p->device, options);
  if (!cap) {
    const pcapxx::Error& e = cap.error();
    if (e.code == pcapxx::Errc::not_found || e.sys_errno == ENODEV || e.sys_errno == ENXIO) {
      p->set_error("No such device exists");
      return PCAP_ERROR_NO_SUCH_DEVICE;
    }
    if (e.code == pcapxx::Errc::permission || e.sys_errno == EPERM || e.sys_errno == EACCES) {
      // libpcap 1.10.3's text: the failing call and its errno.
      p->set_error(fmt::format("socket: {}", std::strerror(e.sys_errno != 0 ? e.sys_errno : EPERM)));
      return PCAP_ERROR_PERM_DENIED;
    }
    p->set_error(without_device(e.message, p->device));
    if (e.sys_errno == ENETDOWN) return PCAP_ERROR_IFACE_NOT_UP;
    return PCAP_ERROR;
  }
  p->live = std::move(*cap);
  p->live->set_nonblocking(p->nonblock);
  if (options.nanosecond) {
    // As libpcap does for nanosecond handles: SO_TIMESTAMPNS turns on the kernel's receive
    // time stamps (net_enable_timestamp), so a frame is stamped once when it arrives, not by
    // each packet socket when it is handed the frame; captures of one frame then agree. Best
    // effort: without it the ring still has host time stamps.
    int one = 1;
    ::setsockopt(p->live->selectable_fd(), SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  }
  p->linktype = p->live->link_type().dlt;
  p->snapshot = static_cast<int>(p->live->snaplen());
  p->precision = options.nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO;
  p->activated = true;
  if (promiscuous_any) p->set_error("Promiscuous mode not supported on the \"any\" device");
  return 0;
}

// Whether a packet goes the way pcap_setdirection asked (PCAP_D_INOUT: all).
bool wanted_direction(const pcap_t* p, pcapxx::Direction d) {
  if (p->direction == PCAP_D_INOUT) return true;
  return p->direction == PCAP_D_IN ? d != pcapxx::Direction::outbound
                                   : d == pcapxx::Direction::outbound;
}

}  // namespace

int live_read(pcap_t* p, int cnt, pcap_handler callback, unsigned char* user) {
  int n = 0;
  for (;;) {
    if (p->break_loop.exchange(false, std::memory_order_relaxed)) {
      p->stale_live_break = true;  // LiveCapture still holds the break: its next wait ends at once
      return PCAP_ERROR_BREAK;
    }
    if (p->batch_index >= p->batch.size()) {
      if (n > 0) return n;  // one wait per call: what it delivered
      auto got = p->live->next_batch();
      if (!got) {
        p->set_error(got.error().message);
        return PCAP_ERROR;
      }
      if (got->status == pcapxx::BatchStatus::end) {  // pcap_breakloop woke the wait
        if (p->stale_live_break && !p->break_loop.load(std::memory_order_relaxed)) {
          p->stale_live_break = false;  // a break already reported: wait again
          continue;
        }
        p->stale_live_break = false;
        p->break_loop.store(false, std::memory_order_relaxed);
        return PCAP_ERROR_BREAK;
      }
      if (got->status == pcapxx::BatchStatus::timeout) return 0;
      p->batch = got->packets;
      p->batch_index = 0;
    }
    const pcapxx::PacketView& v = p->batch[p->batch_index++];
    if (!wanted_direction(p, v.header.direction)) continue;
    pcap_pkthdr& h = p->header;
    h.ts.tv_sec = static_cast<time_t>(v.header.ts.seconds());
    h.ts.tv_usec = static_cast<suseconds_t>(p->precision == PCAP_TSTAMP_PRECISION_NANO
                                                ? v.header.ts.subsec_ns()
                                                : v.header.ts.subsec_us());
    h.caplen = v.header.caplen;
    h.len = v.header.origlen;
    callback(user, &h, reinterpret_cast<const unsigned char*>(v.data.data()));
    ++n;
    if (cnt > 0 && n >= cnt) return n;
  }
}

// The frame goes out on the capture's own packet socket, bound to the device, as libpcap's
// pcap_inject does: the kernel does not loop a packet socket's own frames back to it
// (af_packet.c, skb_loop_sk), so the handle does not capture what it sent; other captures do.
// One send() per frame is the ABI's contract (one call, one frame).
int live_inject(pcap_t* p, const void* buf, std::size_t size) {
  if (p->device == "any") {
    p->set_error("Sending packets isn't supported on the \"any\" device");
    return PCAP_ERROR;
  }
  if (p->live->link_type().dlt == DLT_LINUX_SLL || p->live->link_type().dlt == DLT_LINUX_SLL2) {
    // A cooked (SOCK_DGRAM) socket would need the link header as an address, not in the frame.
    p->set_error("Sending packets isn't supported in cooked mode");
    return PCAP_ERROR;
  }
  ssize_t sent = ::send(p->live->selectable_fd(), buf, size, 0);
  if (sent < 0) {
    p->set_error(fmt::format("send: {}", std::strerror(errno)));
    return PCAP_ERROR;
  }
  return static_cast<int>(sent);
}

}  // namespace pcapxx::capi

using namespace pcapxx::capi;

PCAPXX_CAPI pcap_t* pcap_create(const char* device, char* errbuf) {
  pcap_t* made = guarded(static_cast<pcap_t*>(nullptr), [&]() -> pcap_t* {
    auto p = std::make_unique<pcap>();
    p->created = true;
    p->device = device == nullptr ? "any" : device;
    // libpcap's defaults: snapshot chosen at activation, block until a packet (timeout 0),
    // 2 MiB buffer, not promiscuous, µs time stamps.
    p->live_options.snaplen = 0;
    p->live_options.timeout_ms = 0;
    p->live_options.buffer_size = 2 * 1024 * 1024;
    return p.release();
  });
  if (made == nullptr) set_errbuf(errbuf, "out of memory");
  return made;
}

PCAPXX_CAPI int pcap_set_snaplen(pcap_t* p, int snaplen) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  // libpcap: a length that is not positive or above the maximum means the maximum.
  p->live_options.snaplen = snaplen <= 0 ? 0u : static_cast<std::uint32_t>(snaplen);
  return 0;
}

PCAPXX_CAPI int pcap_set_promisc(pcap_t* p, int promisc) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  p->live_options.promiscuous = promisc != 0;
  return 0;
}

PCAPXX_CAPI int pcap_set_rfmon(pcap_t* p, int rfmon) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  p->rfmon = rfmon != 0;
  return 0;
}

PCAPXX_CAPI int pcap_set_timeout(pcap_t* p, int timeout_ms) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  p->live_options.timeout_ms = timeout_ms < 0 ? 0 : timeout_ms;
  return 0;
}

PCAPXX_CAPI int pcap_set_tstamp_type(pcap_t* p, int type) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  // Only host time stamps (the list pcap_list_tstamp_types gives). As libpcap, another type
  // is refused with a warning and not kept: pcap_activate has nothing more to say about it.
  if (type != PCAP_TSTAMP_HOST) return PCAP_WARNING_TSTAMP_TYPE_NOTSUP;
  p->tstamp_type = type;
  return 0;
}

PCAPXX_CAPI int pcap_set_immediate_mode(pcap_t* p, int immediate) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  p->live_options.immediate = immediate != 0;
  return 0;
}

PCAPXX_CAPI int pcap_set_buffer_size(pcap_t* p, int buffer_size) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  if (buffer_size <= 0) return 0;  // libpcap ignores it
  p->live_options.buffer_size = static_cast<std::size_t>(buffer_size);
  return 0;
}

PCAPXX_CAPI int pcap_set_tstamp_precision(pcap_t* p, int precision) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  if (precision != PCAP_TSTAMP_PRECISION_MICRO && precision != PCAP_TSTAMP_PRECISION_NANO)
    return PCAP_ERROR_TSTAMP_PRECISION_NOTSUP;
  p->live_options.nanosecond = precision == PCAP_TSTAMP_PRECISION_NANO;
  p->precision = precision;
  return 0;
}

PCAPXX_CAPI int pcap_set_protocol_linux(pcap_t* p, int protocol) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  p->live_options.protocol = static_cast<std::uint16_t>(protocol == 0 ? 0x0003 : protocol);
  return 0;
}

PCAPXX_CAPI int pcap_can_set_rfmon(pcap_t* p) {
  if (p == nullptr) return PCAP_ERROR;
  return 0;  // pcapxx has no monitor mode (libpcap answers 0 after activation too)
}

PCAPXX_CAPI int pcap_activate(pcap_t* p) {
  if (p == nullptr) return PCAP_ERROR;
  if (!p->is_unactivated()) return activated_already(p);
  return guarded(PCAP_ERROR, [&] { return activate(p); });
}

PCAPXX_CAPI pcap_t* pcap_open_live(const char* device, int snaplen, int promisc, int to_ms,
                                   char* errbuf) {
  pcap_t* p = pcap_create(device, errbuf);
  if (p == nullptr) return nullptr;
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc);
  pcap_set_timeout(p, to_ms);
  int status = pcap_activate(p);
  if (status < 0) {
    const char* dev = p->device.c_str();
    // libpcap's composition of the open_live message.
    std::string text;
    if (status == PCAP_ERROR)
      text = fmt::format("{}: {}", dev, p->errbuf);
    else if (status == PCAP_ERROR_NO_SUCH_DEVICE || status == PCAP_ERROR_PERM_DENIED ||
             status == PCAP_ERROR_PROMISC_PERM_DENIED)
      text = fmt::format("{}: {} ({})", dev, pcap_statustostr(status), p->errbuf);
    else
      text = fmt::format("{}: {}", dev, pcap_statustostr(status));
    set_errbuf(errbuf, text);
    pcap_close(p);
    return nullptr;
  }
  if (status > 0 && errbuf != nullptr) set_errbuf(errbuf, p->errbuf);
  return p;
}
