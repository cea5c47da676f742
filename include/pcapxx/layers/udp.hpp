// pcapxx layers: UDP (RFC 768). A length beyond the captured bytes is a short capture; bytes
// after the length are the trailer.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// A UDP header.
struct Udp : LayerBase {
  static constexpr LayerType kType = LayerType::udp;
  static constexpr LayerClass kClass = LayerClass::transport;
  static constexpr std::size_t kHeaderLength = 8;

  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint16_t length = 0;
  std::uint16_t checksum = 0;  ///< 0 over IPv4 means "not computed"

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
