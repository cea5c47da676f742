// The libpcap ABI's savefile writer: pcap_dump_open and friends over pcapxx::SavefileWriter.
// The file takes what the pcap_t describes: its link type (with the FCS bits of
// pcap_datalink_ext), its snapshot length and its time stamp precision (the nanosecond magic
// for a nanosecond handle).
//
// The writer writes through the stream's descriptor, after flushing the stream once at open;
// a program that also writes to the FILE* from pcap_dump_file must call pcap_dump_flush first.
// With libpcap the dumper is the stream, so exit() flushes it, and programs rely on that
// (tcpdump -w ends without pcap_dump_close): open dumpers are flushed by an atexit handler.
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <set>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "capi/handle.hpp"

namespace {

// Dumpers not closed yet, flushed at exit. Never destroyed: exit handlers run before and
// static destructors after, and a dumper may outlive both.
struct OpenDumpers {
  std::mutex mutex;
  std::set<pcap_dumper_t*> dumpers;
};

OpenDumpers& open_dumpers() {
  static OpenDumpers* all = [] {
    auto* registry = new OpenDumpers;
    std::atexit([] {
      OpenDumpers& o = open_dumpers();
      std::lock_guard lock(o.mutex);
      for (pcap_dumper_t* open : o.dumpers) (void)open->writer->flush();
    });
    return registry;
  }();
  return *all;
}

pcap_dumper_t* open_dumper(pcap_t* p, std::FILE* fp, std::string name, bool append) {
  std::optional<std::uint16_t> file_type = pcapxx::link_type_to_file_checked(pcapxx::LinkType{p->linktype});
  if (!file_type) {
    p->set_error(fmt::format("{}: link-layer type {} isn't supported in savefiles", name, p->linktype));
    return nullptr;
  }
  pcapxx::InterfaceDescription ifc;
  ifc.link_type = pcapxx::LinkType{p->linktype};
  ifc.snaplen = static_cast<std::uint32_t>(p->snapshot);
  if (LT_FCS_LENGTH_PRESENT(p->linktype_ext))
    ifc.fcs_len = static_cast<std::uint8_t>(LT_FCS_LENGTH(p->linktype_ext) * 2);
  pcapxx::WriterOptions options;
  options.nanosecond = p->precision == PCAP_TSTAMP_PRECISION_NANO;
  options.append = append;
  std::fflush(fp);
  auto writer = pcapxx::SavefileWriter::open_fd(::fileno(fp), name, false, {&ifc, 1}, options);
  if (!writer) {
    p->set_error(writer.error().message);
    return nullptr;
  }
  auto d = std::make_unique<pcap_dumper>();
  d->writer = std::move(*writer);
  d->file = fp;
  d->nanosecond = options.nanosecond;
  OpenDumpers& o = open_dumpers();
  std::lock_guard lock(o.mutex);
  o.dumpers.insert(d.get());
  return d.release();
}

pcap_dumper_t* open_path(pcap_t* p, const char* fname, bool append) {
  if (fname == nullptr) {
    p->set_error("A null pointer was supplied as the file name");
    return nullptr;
  }
  if (std::strcmp(fname, "-") == 0) return open_dumper(p, stdout, "standard output", false);
  std::FILE* fp = std::fopen(fname, append ? "r+be" : "wbe");
  if (fp == nullptr && append && errno == ENOENT) fp = std::fopen(fname, "w+be");
  if (fp == nullptr) {
    p->set_error(fmt::format("{}: {}", fname, std::strerror(errno)));
    return nullptr;
  }
  pcap_dumper_t* d = open_dumper(p, fp, fname, append);
  if (d == nullptr) std::fclose(fp);
  return d;
}

}  // namespace

PCAPXX_CAPI pcap_dumper_t* pcap_dump_open(pcap_t* p, const char* fname) {
  if (p == nullptr) return nullptr;
  try {
    return open_path(p, fname, false);
  } catch (...) {
    p->set_error("out of memory opening the savefile");
    return nullptr;
  }
}

PCAPXX_CAPI pcap_dumper_t* pcap_dump_open_append(pcap_t* p, const char* fname) {
  if (p == nullptr) return nullptr;
  try {
    return open_path(p, fname, true);
  } catch (...) {
    p->set_error("out of memory opening the savefile");
    return nullptr;
  }
}

PCAPXX_CAPI pcap_dumper_t* pcap_dump_fopen(pcap_t* p, FILE* fp) {
  if (p == nullptr) return nullptr;
  if (fp == nullptr) {
    p->set_error("A null pointer was supplied as the file");
    return nullptr;
  }
  try {
    return open_dumper(p, fp, fmt::format("file descriptor {}", ::fileno(fp)), false);
  } catch (...) {
    p->set_error("out of memory opening the savefile");
    return nullptr;
  }
}

PCAPXX_CAPI void pcap_dump(unsigned char* user, const struct pcap_pkthdr* h, const unsigned char* sp) {
  auto* d = reinterpret_cast<pcap_dumper_t*>(user);
  if (d == nullptr || h == nullptr || sp == nullptr) return;
  pcapxx::PacketView v;
  std::int64_t frac = h->ts.tv_usec;
  v.header.ts.ns = static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000'000 + (d->nanosecond ? frac : frac * 1000);
  v.header.caplen = h->caplen;
  v.header.origlen = h->len;
  v.data = {reinterpret_cast<const std::byte*>(sp), h->caplen};
  // pcap_dump reports nothing; a failed write shows in pcap_dump_flush / pcap_dump_close.
  try {
    (void)d->writer->write(v);
  } catch (...) {
  }
}

PCAPXX_CAPI int pcap_dump_flush(pcap_dumper_t* d) {
  if (d == nullptr) return PCAP_ERROR;
  try {
    return d->writer->flush() ? 0 : PCAP_ERROR;
  } catch (...) {
    return PCAP_ERROR;
  }
}

PCAPXX_CAPI FILE* pcap_dump_file(pcap_dumper_t* d) { return d == nullptr ? nullptr : d->file; }

PCAPXX_CAPI int64_t pcap_dump_ftell64(pcap_dumper_t* d) {
  if (d == nullptr) return PCAP_ERROR;
  return static_cast<int64_t>(d->writer->position());
}

PCAPXX_CAPI long pcap_dump_ftell(pcap_dumper_t* d) {
  return static_cast<long>(pcap_dump_ftell64(d));
}

PCAPXX_CAPI void pcap_dump_close(pcap_dumper_t* d) {
  if (d == nullptr) return;
  try {
    OpenDumpers& o = open_dumpers();
    std::lock_guard lock(o.mutex);
    o.dumpers.erase(d);
  } catch (...) {
  }
  try {
    (void)d->writer->close();
  } catch (...) {
  }
  std::FILE* fp = d->file;
  delete d;
  // As libpcap does, the stream is closed, standard output included.
  if (fp != nullptr) std::fclose(fp);
}
