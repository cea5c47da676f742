// pcapxx layers: SCTP (RFC 9260 3): the common header and its chunks. Chunks stay bytes in the
// layer (read with SctpChunkReader); a chunk whose length runs past the packet is an error.
// The checksum is CRC32c (RFC 9260 Appendix A), computed on serialize with compute_checksums.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// One chunk (RFC 9260 3.2).
struct SctpChunk {
  std::uint8_t type = 0;          ///< 0 DATA, 1 INIT, 2 INIT ACK, 3 SACK, 4 HEARTBEAT...
  std::uint8_t flags = 0;
  std::uint16_t length = 0;       ///< header and value, without padding
  std::span<const std::byte> value;
  std::span<const std::byte> whole;  ///< including padding to 4 bytes (when captured)
};

/// Walks chunks.
class SctpChunkReader {
 public:
  explicit SctpChunkReader(std::span<const std::byte> chunks) noexcept : bytes_(chunks) {}
  /// The next chunk; false at the end or at a malformed one.
  bool next(SctpChunk& out) noexcept;
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }
  [[nodiscard]] std::size_t offset() const noexcept { return pos_; }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
  bool malformed_ = false;
};

/// An SCTP packet: the 12-byte common header and the chunks.
struct Sctp : LayerBase {
  static constexpr LayerType kType = LayerType::sctp;
  static constexpr LayerClass kClass = LayerClass::transport;
  static constexpr std::size_t kHeaderLength = 12;

  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t verification_tag = 0;
  std::uint32_t checksum = 0;          ///< CRC32c as it appears on the wire (big-endian read)
  std::span<const std::byte> chunks;   ///< every chunk (contents holds header and chunks)

  /// Whether the CRC32c over contents is correct.
  [[nodiscard]] bool checksum_ok() const noexcept;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends the header and chunks to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
