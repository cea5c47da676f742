// The libpcap ABI's handles: pcap_t holds a pcapxx::SavefileReader or LiveCapture and what the
// C API reports about it; pcap_dumper_t holds a pcapxx::SavefileWriter. Translation only:
// reading, capturing, writing and filtering are the core's; this layer keeps libpcap's state
// machine and return-value rules, its error buffer and the one pcap_pkthdr per handle that the
// ABI hands out.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pcap/pcap.h"
#include "pcapxx/bpf.hpp"
#include "pcapxx/bpf_jit.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/savefile.hpp"
#include "pcapxx/source.hpp"

#ifndef PCAPXX_PCAP_API
#error "src/capi must build against pcapxx's own include/pcap/pcap.h, not the system's"
#endif

namespace pcapxx::capi {

/// Marks a symbol as part of the exported ABI; everything else in the library is hidden.
#define PCAPXX_CAPI extern "C" __attribute__((visibility("default")))

/// Copies a message into a libpcap error buffer (PCAP_ERRBUF_SIZE bytes), truncating it.
void set_errbuf(char* errbuf, std::string_view message) noexcept;

/// libpcap's max_snaplen_for_dlt: the largest snapshot length it accepts for a link type.
std::uint32_t max_snaplen_for(int dlt) noexcept;

/// Reads from an activated live handle with libpcap's read_op rules (live.cpp): up to cnt
/// packets (cnt <= 0: what is ready), 0 on timeout or nothing ready in non-blocking mode,
/// PCAP_ERROR_BREAK after pcap_breakloop, PCAP_ERROR on failure.
int live_read(pcap_t* p, int cnt, pcap_handler callback, unsigned char* user);

/// Sends a frame on an activated live handle's device (pcap_inject); bytes sent or PCAP_ERROR.
int live_inject(pcap_t* p, const void* buf, std::size_t size);

/// libpcap's answer for an operation on a pcap_create handle that is not activated yet.
int not_activated(pcap_t* p) noexcept;

/// Runs f; nothing throws across the C ABI: an exception (bad_alloc, a bug) becomes on_error.
template <class F, class R>
R guarded(R on_error, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    return on_error;
  }
}


}  // namespace pcapxx::capi

/// An open handle: a savefile being read (reader set), a live capture (pcap_create: settings
/// until pcap_activate, then live set), or a "dead" handle from pcap_open_dead that only
/// describes a link type and snapshot length (for pcap_compile and pcap_dump_open).
struct pcap {
  std::unique_ptr<pcapxx::SavefileReader> reader;  ///< null for a dead handle
  std::FILE* rfile = nullptr;  ///< the savefile's stream, closed by pcap_close (not stdin)

  int linktype = 0;               ///< DLT value (pcap_datalink)
  std::uint32_t linktype_ext = 0; ///< FCS bits of a pcap link-type field (pcap_datalink_ext)
  int snapshot = 0;               ///< adjusted snapshot length (pcap_snapshot)
  int precision = PCAP_TSTAMP_PRECISION_MICRO;
  bool swapped = false;
  int version_major = 0;
  int version_minor = 0;

  // The batch being handed out, one packet per next_packet call.
  pcapxx::Batch batch;
  std::size_t batch_index = 0;
  bool new_batch = false;  ///< the batch was just read: check interfaces it may have added
  std::size_t interfaces_checked = 1;  ///< pcapng interfaces known to match the first one
  std::string pending_error;  ///< an error met while reading ahead at open, reported in turn

  pcap_pkthdr header{};  ///< the header pcap_next_ex points to
  std::atomic<bool> break_loop{false};

  /// The user-space filter installed by pcap_setfilter (JIT-compiled where it can run).
  std::optional<pcapxx::BpfRunner> filter;
  bool has_filter = false;

  // Live handles (pcap_create): settings until pcap_activate, then the capture.
  bool created = false;    ///< made by pcap_create (or pcap_open_live)
  bool activated = false;  ///< pcap_activate succeeded
  std::string device;
  pcapxx::CaptureOptions live_options;
  bool rfmon = false;
  bool nonblock = false;   ///< pcap_setnonblock before activation, applied by pcap_activate
  int tstamp_type = PCAP_TSTAMP_HOST;
  std::unique_ptr<pcapxx::LiveCapture> live;
  pcap_direction_t direction = PCAP_D_INOUT;  ///< applied to delivered packets (pcap_setdirection)
  int datalink_choice = -1;  ///< DLT picked with pcap_set_datalink among equivalent ones
  bool stale_live_break = false;  ///< a pcap_breakloop reported before LiveCapture saw it

  /// An activated live handle.
  [[nodiscard]] bool is_live() const noexcept { return live != nullptr; }
  /// A pcap_create handle before pcap_activate.
  [[nodiscard]] bool is_unactivated() const noexcept { return created && !activated; }

  char errbuf[PCAP_ERRBUF_SIZE] = {};

  void set_error(std::string_view message) noexcept { pcapxx::capi::set_errbuf(errbuf, message); }
};

/// A savefile being written for a handle: pcap_dump_open and friends.
struct pcap_dumper {
  std::unique_ptr<pcapxx::SavefileWriter> writer;  ///< writes through file (open_stream)
  std::FILE* file = nullptr;  ///< the stream pcap_dump_file returns; closed by pcap_dump_close
  bool nanosecond = false;    ///< tv_usec of the headers given to pcap_dump holds ns
  std::unique_ptr<char[]> stream_buffer;  ///< the buffer set on file, freed after fclose
};
