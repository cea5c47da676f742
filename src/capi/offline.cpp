// The libpcap ABI for savefiles: opening (pcap_open_offline and friends, pcap_open_dead),
// reading (pcap_next_ex, pcap_next, pcap_loop, pcap_dispatch, pcap_breakloop) and closing.
// Return values and cnt rules as pcap_loop(3PCAP) and pcap_next_ex(3PCAP) document them.
//
// Where libpcap differs from a plain reading of the file, this layer reproduces what programs
// see through libpcap: a captured length above the snapshot length is cut to it, and a pcapng
// interface whose link type or snapshot length differs from the first one's ends the read
// with an error (reported before the first packet after its Interface Description Block is
// handed out; see next_packet for where this can differ from libpcap).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <new>
#include <string>

#include <fmt/format.h>

#include "capi/handle.hpp"

namespace pcapxx::capi {

void set_errbuf(char* errbuf, std::string_view message) noexcept {
  if (errbuf == nullptr) return;
  std::size_t n = std::min(message.size(), std::size_t{PCAP_ERRBUF_SIZE - 1});
  std::memcpy(errbuf, message.data(), n);
  errbuf[n] = '\0';
}

std::uint32_t max_snaplen_for(int dlt) noexcept {
  // libpcap's values: D-Bus messages may be 128 MiB, EBHSCR 8 MiB, USBPcap 1 MiB.
  switch (dlt) {
    case DLT_DBUS: return 128 * 1024 * 1024;
    case DLT_EBHSCR: return 8 * 1024 * 1024;
    case DLT_USBPCAP: return 1024 * 1024;
    default: return 262144;
  }
}

namespace {

std::uint32_t file_snapshot(int dlt, std::uint32_t snaplen) {
  return snaplen == 0 || snaplen > INT_MAX ? max_snaplen_for(dlt) : snaplen;
}

bool valid_precision(unsigned int precision) {
  return precision == PCAP_TSTAMP_PRECISION_MICRO || precision == PCAP_TSTAMP_PRECISION_NANO;
}

// Builds a handle over a reader; takes the stream (closed on failure unless it is stdin).
pcap_t* open_reader(std::FILE* fp, std::string name, unsigned int precision, char* errbuf) {
  auto close_stream = [fp] {
    if (fp != stdin) std::fclose(fp);
  };
  // The reader gets its own descriptor so that it and the stream can be closed independently.
  int fd = ::fcntl(::fileno(fp), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    set_errbuf(errbuf, fmt::format("{}: {}", name, std::strerror(errno)));
    close_stream();
    return nullptr;
  }
  // A stream that was read from already stands somewhere; the reader starts where it stands.
  if (off_t at = ::ftello(fp); at > 0) ::lseek(fd, at, SEEK_SET);
  auto reader = pcapxx::SavefileReader::open_fd(fd, std::move(name), true);
  if (!reader) {
    set_errbuf(errbuf, reader.error().message);
    close_stream();
    return nullptr;
  }
  auto p = std::make_unique<pcap>();
  const pcapxx::SavefileInfo& info = (*reader)->info();
  // A pcapng file names its link type in the Interface Description Blocks that come before its
  // first packet; libpcap reads up to the first one at open, so we read the first batch now.
  if ((*reader)->interfaces().empty()) {
    auto got = (*reader)->next_batch();
    if ((*reader)->interfaces().empty()) {
      // libpcap's words, so that programs see the same message.
      set_errbuf(errbuf, got ? std::string("the capture file has no Interface Description Blocks")
                             : got.error().message);
      close_stream();
      return nullptr;
    }
    if (!got) p->pending_error = got.error().message;
    else p->batch = got->packets;
    p->new_batch = true;
  }
  const pcapxx::InterfaceDescription& first = (*reader)->interfaces().front();
  p->linktype = first.link_type.dlt;
  // libpcap 1.10.3 keeps the header's snapshot length unless it is 0 (or above INT_MAX, as
  // it is an int), which stands for the largest one for the link type.
  p->snapshot = static_cast<int>(file_snapshot(p->linktype, first.snaplen));
  if (info.format == pcapxx::SavefileFormat::pcap && first.fcs_len)
    p->linktype_ext = LT_FCS_DATALINK_EXT(*first.fcs_len / 2u);
  p->swapped = info.swapped;
  p->version_major = info.version_major;
  p->version_minor = info.version_minor;
  p->precision = static_cast<int>(precision);
  p->reader = std::move(*reader);
  p->rfile = fp;
  return p.release();
}

// Checks a pcapng interface against the first one, as libpcap does for every IDB it meets.
bool interface_matches(pcap_t* p, std::size_t index) {
  auto ifs = p->reader->interfaces();
  const pcapxx::InterfaceDescription& ifc = ifs[index];
  if (ifc.link_type != ifs.front().link_type) {
    p->set_error(fmt::format("an interface has a type {} different from the type of the first "
                             "interface",
                             pcapxx::link_type_to_file(ifc.link_type)));
    return false;
  }
  if (file_snapshot(p->linktype, ifc.snaplen) != static_cast<std::uint32_t>(p->snapshot)) {
    p->set_error(fmt::format("an interface has a snapshot length {} different from the snapshot "
                             "length of the first interface",
                             ifc.snaplen));
    return false;
  }
  return true;
}

// The next packet of the savefile: 1 (header filled, *data set), 0 at the end, -1 on error.
int next_packet(pcap_t* p, pcap_pkthdr* h, const unsigned char** data) {
  if (p->batch_index >= p->batch.size()) {
    if (!p->pending_error.empty()) [[unlikely]] {
      p->set_error(p->pending_error);
      return -1;
    }
    auto got = p->reader->next_batch();
    if (!got) {
      p->set_error(got.error().message);
      return -1;
    }
    if (got->status != pcapxx::BatchStatus::packets) {
      auto ifs = p->reader->interfaces();
      for (; p->interfaces_checked < ifs.size(); ++p->interfaces_checked)
        if (!interface_matches(p, p->interfaces_checked)) return -1;
      return 0;
    }
    p->batch = got->packets;
    p->batch_index = 0;
    p->new_batch = true;
  }
  // libpcap checks each IDB as it meets it. Interface blocks come before the packets that
  // use them, and almost always all at the start, so checking every interface known when a
  // batch arrives stops where libpcap stops (before packets that follow a bad IDB).
  if (p->new_batch) [[unlikely]] {
    p->new_batch = false;
    auto ifs = p->reader->interfaces();
    for (; p->interfaces_checked < ifs.size(); ++p->interfaces_checked)
      if (!interface_matches(p, p->interfaces_checked)) return -1;
  }
  const pcapxx::PacketView& v = p->batch[p->batch_index];
  ++p->batch_index;
  h->ts.tv_sec = static_cast<time_t>(v.header.ts.seconds());
  h->ts.tv_usec = static_cast<suseconds_t>(
      p->precision == PCAP_TSTAMP_PRECISION_NANO ? v.header.ts.subsec_ns() : v.header.ts.subsec_us());
  h->caplen = std::min(v.header.caplen, static_cast<std::uint32_t>(p->snapshot));
  h->len = v.header.origlen;
  *data = reinterpret_cast<const unsigned char*>(v.data.data());
  return 1;
}

bool passes_filter(const pcap_t* p, const pcap_pkthdr& h, const unsigned char* data) {
  if (!p->has_filter) return true;
  return p->filter->run({reinterpret_cast<const std::byte*>(data), h.caplen},
                             h.len) != 0;
}

// libpcap's offline read: up to cnt packets that pass the filter (cnt <= 0: all), honouring
// pcap_breakloop between packets. Returns the count, or -1 / -2.
int offline_read(pcap_t* p, int cnt, pcap_handler callback, unsigned char* user) {
  if (cnt <= 0) cnt = INT_MAX;
  int n = 0;
  for (;;) {
    if (p->break_loop.load(std::memory_order_relaxed)) {
      if (n == 0) {
        p->break_loop.store(false, std::memory_order_relaxed);
        return PCAP_ERROR_BREAK;
      }
      return n;
    }
    const unsigned char* data = nullptr;
    int status = next_packet(p, &p->header, &data);
    if (status < 0) return status;
    if (status == 0) break;
    if (passes_filter(p, p->header, data)) {
      callback(user, &p->header, data);
      if (++n >= cnt) break;
    }
  }
  return n;
}

int not_readable(pcap_t* p) {
  p->set_error("This operation isn't supported on a pcap_open_dead pcap_t");
  return PCAP_ERROR;
}

struct OneShot {
  const pcap_pkthdr** header;
  const unsigned char** data;
};

void one_shot(unsigned char* user, const pcap_pkthdr* h, const unsigned char* bytes) {
  auto* s = reinterpret_cast<OneShot*>(user);
  *s->header = h;
  *s->data = bytes;
}

pcap_t* open_offline(const char* fname, unsigned int precision, char* errbuf) {
  if (fname == nullptr) {
    set_errbuf(errbuf, "A null pointer was supplied as the file name");
    return nullptr;
  }
  if (!valid_precision(precision)) {
    set_errbuf(errbuf, fmt::format("unknown time stamp resolution {}", precision));
    return nullptr;
  }
  if (std::strcmp(fname, "-") == 0) return open_reader(stdin, "standard input", precision, errbuf);
  std::FILE* fp = std::fopen(fname, "rbe");
  if (fp == nullptr) {
    set_errbuf(errbuf, fmt::format("{}: {}", fname, std::strerror(errno)));
    return nullptr;
  }
  return open_reader(fp, fname, precision, errbuf);
}

pcap_t* fopen_offline(std::FILE* fp, unsigned int precision, char* errbuf) {
  if (fp == nullptr) {
    set_errbuf(errbuf, "A null pointer was supplied as the file");
    return nullptr;
  }
  if (!valid_precision(precision)) {
    set_errbuf(errbuf, fmt::format("unknown time stamp resolution {}", precision));
    return nullptr;
  }
  return open_reader(fp, fmt::format("file descriptor {}", ::fileno(fp)), precision, errbuf);
}

pcap_t* open_dead(int linktype, int snaplen, unsigned int precision) {
  auto p = std::make_unique<pcap>();
  p->linktype = linktype;
  p->snapshot = snaplen;
  p->precision = static_cast<int>(valid_precision(precision) ? precision : PCAP_TSTAMP_PRECISION_MICRO);
  return p.release();
}

}  // namespace
}  // namespace pcapxx::capi

using namespace pcapxx::capi;

PCAPXX_CAPI pcap_t* pcap_open_offline_with_tstamp_precision(const char* fname, unsigned int precision,
                                                            char* errbuf) {
  return guarded(static_cast<pcap_t*>(nullptr), [&] {
    try {
      return open_offline(fname, precision, errbuf);
    } catch (const std::bad_alloc&) {
      set_errbuf(errbuf, "out of memory");
      return static_cast<pcap_t*>(nullptr);
    }
  });
}

PCAPXX_CAPI pcap_t* pcap_open_offline(const char* fname, char* errbuf) {
  return pcap_open_offline_with_tstamp_precision(fname, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
}

PCAPXX_CAPI pcap_t* pcap_fopen_offline_with_tstamp_precision(FILE* fp, unsigned int precision,
                                                             char* errbuf) {
  return guarded(static_cast<pcap_t*>(nullptr), [&] {
    try {
      return fopen_offline(fp, precision, errbuf);
    } catch (const std::bad_alloc&) {
      set_errbuf(errbuf, "out of memory");
      return static_cast<pcap_t*>(nullptr);
    }
  });
}

PCAPXX_CAPI pcap_t* pcap_fopen_offline(FILE* fp, char* errbuf) {
  return pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
}

PCAPXX_CAPI pcap_t* pcap_open_dead_with_tstamp_precision(int linktype, int snaplen,
                                                         unsigned int precision) {
  return guarded(static_cast<pcap_t*>(nullptr), [&] { return open_dead(linktype, snaplen, precision); });
}

PCAPXX_CAPI pcap_t* pcap_open_dead(int linktype, int snaplen) {
  return pcap_open_dead_with_tstamp_precision(linktype, snaplen, PCAP_TSTAMP_PRECISION_MICRO);
}

PCAPXX_CAPI void pcap_close(pcap_t* p) {
  if (p == nullptr) return;
  std::FILE* fp = p->rfile;
  delete p;  // closes the reader's descriptor first
  if (fp != nullptr && fp != stdin) std::fclose(fp);
}

PCAPXX_CAPI int pcap_dispatch(pcap_t* p, int cnt, pcap_handler callback, unsigned char* user) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return not_activated(p);
  if (p->is_live()) return guarded(PCAP_ERROR, [&] { return live_read(p, cnt, callback, user); });
  if (!p->reader) return not_readable(p);
  return guarded(PCAP_ERROR, [&] { return offline_read(p, cnt, callback, user); });
}

PCAPXX_CAPI int pcap_loop(pcap_t* p, int cnt, pcap_handler callback, unsigned char* user) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return not_activated(p);
  if (p->is_live()) {
    // libpcap: read again after a timeout; stop at cnt packets (cnt <= 0: never).
    return guarded(PCAP_ERROR, [&] {
      for (;;) {
        int n = live_read(p, cnt, callback, user);
        if (n < 0) return n;
        if (n > 0 && cnt > 0) {
          cnt -= n;
          if (cnt <= 0) return 0;
        }
      }
    });
  }
  if (!p->reader) return not_readable(p);
  return guarded(PCAP_ERROR, [&] {
    for (;;) {
      int n = offline_read(p, cnt, callback, user);
      if (n <= 0) return n;  // 0: end of file
      if (cnt > 0) {
        cnt -= n;
        if (cnt <= 0) return 0;
      }
    }
  });
}

PCAPXX_CAPI int pcap_next_ex(pcap_t* p, struct pcap_pkthdr** pkt_header, const unsigned char** pkt_data) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return not_activated(p);
  if (p->is_live()) {
    return guarded(PCAP_ERROR, [&] {
      const pcap_pkthdr* h = nullptr;
      const unsigned char* data = nullptr;
      OneShot s{&h, &data};
      int status = live_read(p, 1, one_shot, reinterpret_cast<unsigned char*>(&s));
      if (status > 0) {
        if (pkt_header != nullptr) *pkt_header = const_cast<pcap_pkthdr*>(h);
        if (pkt_data != nullptr) *pkt_data = data;
      }
      return status;  // 0: the timeout expired
    });
  }
  if (!p->reader) return not_readable(p);
  return guarded(PCAP_ERROR, [&] {
    const pcap_pkthdr* h = nullptr;
    const unsigned char* data = nullptr;
    OneShot s{&h, &data};
    int status = offline_read(p, 1, one_shot, reinterpret_cast<unsigned char*>(&s));
    if (status == 0) return PCAP_ERROR_BREAK;  // end of file
    if (status > 0) {
      if (pkt_header != nullptr) *pkt_header = const_cast<pcap_pkthdr*>(h);
      if (pkt_data != nullptr) *pkt_data = data;
    }
    return status;
  });
}

PCAPXX_CAPI const unsigned char* pcap_next(pcap_t* p, struct pcap_pkthdr* h) {
  if (p == nullptr || h == nullptr) return nullptr;
  if (p->is_unactivated()) {
    not_activated(p);
    return nullptr;
  }
  if (p->is_live()) {
    return guarded(static_cast<const unsigned char*>(nullptr), [&]() -> const unsigned char* {
      const pcap_pkthdr* got = nullptr;
      const unsigned char* data = nullptr;
      OneShot s{&got, &data};
      if (live_read(p, 1, one_shot, reinterpret_cast<unsigned char*>(&s)) <= 0) return nullptr;
      *h = *got;
      return data;
    });
  }
  if (!p->reader) {
    not_readable(p);
    return nullptr;
  }
  return guarded(static_cast<const unsigned char*>(nullptr), [&]() -> const unsigned char* {
    const pcap_pkthdr* got = nullptr;
    const unsigned char* data = nullptr;
    OneShot s{&got, &data};
    if (offline_read(p, 1, one_shot, reinterpret_cast<unsigned char*>(&s)) <= 0) return nullptr;
    *h = *got;
    return data;
  });
}

PCAPXX_CAPI void pcap_breakloop(pcap_t* p) {
  if (p == nullptr) return;
  p->break_loop.store(true, std::memory_order_relaxed);
  if (p->is_live()) p->live->break_loop();  // wakes a wait in progress
}
