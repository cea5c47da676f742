// The libpcap ABI's handles: pcap_t holds a pcapxx::Source and what the C API reports about it;
// pcap_dumper_t holds a pcapxx::SavefileWriter. Translation only: reading, writing and filtering
// are the core's; this layer keeps libpcap's return-value rules, its error buffer and the one
// pcap_pkthdr per handle that the ABI hands out.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "pcap/pcap.h"
#include "pcapxx/bpf.hpp"
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


}  // namespace pcapxx::capi

/// An open handle: a savefile being read (source set), or a "dead" handle from pcap_open_dead
/// that only describes a link type and snapshot length (for pcap_compile and pcap_dump_open).
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

  pcapxx::BpfProgram filter;  ///< installed by pcap_setfilter; empty = accept all
  bool has_filter = false;

  char errbuf[PCAP_ERRBUF_SIZE] = {};

  void set_error(std::string_view message) noexcept { pcapxx::capi::set_errbuf(errbuf, message); }
};

/// A savefile being written for a handle: pcap_dump_open and friends.
struct pcap_dumper {
  std::unique_ptr<pcapxx::SavefileWriter> writer;
  std::FILE* file = nullptr;  ///< the stream pcap_dump_file returns; closed by pcap_dump_close
  bool nanosecond = false;    ///< tv_usec of the headers given to pcap_dump holds ns
};
