// The libpcap ABI's savefile writer: pcap_dump_open and friends over pcapxx::SavefileWriter.
// The file takes what the pcap_t describes: its link type (with the FCS bits of
// pcap_datalink_ext), its snapshot length and its time stamp precision (the nanosecond magic
// for a nanosecond handle).
//
// As with libpcap the dumper writes through its stdio stream (SavefileWriter::open_stream):
// what a program writes to pcap_dump_file's FILE* between packets lands in order,
// pcap_dump_flush is fflush, pcap_dump_ftell is ftell, and exit() flushes what is buffered
// (tcpdump -w ends without pcap_dump_close). A file pcap_dump_open opens itself gets a 256 KiB
// stream buffer (one write per 256 KiB instead of per 4 KiB) unless it is a pipe, socket or
// terminal, where a reader waits on what we hold back; -U style callers flush anyway. The
// buffer stays in L2 between writes: at 1 MiB each record's store missed (measured with
// bench/capi_tcpdump.sh: read+filter+write took 5% more CPU at 1 MiB than at 256 KiB).
// Difference: pcap_dump takes no stream lock (libpcap's fwrite does), so another thread must
// not write to the stream during a pcap_dump.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "capi/handle.hpp"

namespace {

constexpr std::size_t kStreamBuffer = 256 << 10;

// Gives a stream we just opened (no I/O on it yet, as setvbuf requires) a large buffer when
// its reader cannot be waiting on each packet: regular files and devices other than terminals.
void enlarge_buffer(pcap_dumper_t* d) {
  struct stat st {};
  int fd = ::fileno(d->file);
  if (::fstat(fd, &st) != 0) return;
  bool waited_on = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || ::isatty(fd);
  if (waited_on || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) return;
  d->stream_buffer = std::make_unique_for_overwrite<char[]>(kStreamBuffer);
  if (std::setvbuf(d->file, d->stream_buffer.get(), _IOFBF, kStreamBuffer) != 0) d->stream_buffer.reset();
}

// `ours`: we opened fp just now; it gets a large buffer, and is closed here on failure (while
// that buffer still exists).
pcap_dumper_t* open_dumper(pcap_t* p, std::FILE* fp, std::string name, bool append, bool ours) {
  auto fail = [&](std::string_view message) -> pcap_dumper_t* {
    p->set_error(message);
    if (ours) std::fclose(fp);
    return nullptr;
  };
  std::optional<std::uint16_t> file_type = pcapxx::link_type_to_file_checked(pcapxx::LinkType{p->linktype});
  if (!file_type)
    return fail(fmt::format("{}: link-layer type {} isn't supported in savefiles", name, p->linktype));
  pcapxx::InterfaceDescription ifc;
  ifc.link_type = pcapxx::LinkType{p->linktype};
  ifc.snaplen = static_cast<std::uint32_t>(p->snapshot);
  if (LT_FCS_LENGTH_PRESENT(p->linktype_ext))
    ifc.fcs_len = static_cast<std::uint8_t>(LT_FCS_LENGTH(p->linktype_ext) * 2);
  pcapxx::WriterOptions options;
  options.nanosecond = p->precision == PCAP_TSTAMP_PRECISION_NANO;
  options.append = append;
  auto d = std::make_unique<pcap_dumper>();
  d->file = fp;
  d->nanosecond = options.nanosecond;
  if (ours) enlarge_buffer(d.get());
  try {
    auto writer = pcapxx::SavefileWriter::open_stream(fp, name, {&ifc, 1}, options);
    if (!writer) return fail(writer.error().message);
    d->writer = std::move(*writer);
  } catch (...) {
    if (ours) std::fclose(fp);  // before the buffer it may hold goes with d
    throw;
  }
  return d.release();
}

pcap_dumper_t* open_path(pcap_t* p, const char* fname, bool append) {
  if (fname == nullptr) {
    p->set_error("A null pointer was supplied as the file name");
    return nullptr;
  }
  if (std::strcmp(fname, "-") == 0) return open_dumper(p, stdout, "standard output", false, false);
  std::FILE* fp = std::fopen(fname, append ? "r+be" : "wbe");
  if (fp == nullptr && append && errno == ENOENT) fp = std::fopen(fname, "w+be");
  if (fp == nullptr) {
    p->set_error(fmt::format("{}: {}", fname, std::strerror(errno)));
    return nullptr;
  }
  return open_dumper(p, fp, fname, append, true);
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
    return open_dumper(p, fp, fmt::format("file descriptor {}", ::fileno(fp)), false, false);
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
  return static_cast<int64_t>(::ftello(d->file));  // libpcap's: the stream's position
}

PCAPXX_CAPI long pcap_dump_ftell(pcap_dumper_t* d) {
  return static_cast<long>(pcap_dump_ftell64(d));
}

PCAPXX_CAPI void pcap_dump_close(pcap_dumper_t* d) {
  if (d == nullptr) return;
  try {
    (void)d->writer->close();
  } catch (...) {
  }
  // As libpcap does, the stream is closed, standard output included; then the buffer we
  // gave it may go.
  if (d->file != nullptr) std::fclose(d->file);
  delete d;
}
