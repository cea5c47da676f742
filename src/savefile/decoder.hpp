// The seam between SavefileReader and the per-format record decoders.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "pcapxx/savefile.hpp"
#include "savefile/input.hpp"

namespace pcapxx::detail {

/// Where a decoder reads from and what it tells the reader.
struct DecoderState {
  ByteInput& in;
  std::vector<InterfaceDescription>& interfaces;
  SavefileInfo& info;
};

/// Decodes one savefile format into packet views over the input buffer.
class RecordDecoder {
 public:
  virtual ~RecordDecoder() = default;
  /// Reads the file header (pcap) or the first Section Header Block (pcapng).
  virtual Result<void> read_header() = 0;
  /// Fills out[0..k) with packets whose bytes are all in the input buffer; k == 0 at end of
  /// file. It may call in.fill() (which moves the buffer) only before the first packet of a
  /// batch. A problem met after some packets ends the batch early; the next call reports it.
  virtual Result<std::size_t> decode(std::span<PacketView> out) = 0;
};

std::unique_ptr<RecordDecoder> make_pcap_decoder(DecoderState state);
std::unique_ptr<RecordDecoder> make_pcapng_decoder(DecoderState state);

/// Largest capture length libpcap accepts for a link type (max_snaplen_for_dlt).
std::uint32_t max_snaplen_for(LinkType type) noexcept;

inline constexpr std::uint32_t kMaximumSnaplen = 262144;

}  // namespace pcapxx::detail
