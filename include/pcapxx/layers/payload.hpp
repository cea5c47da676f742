// pcapxx layers: bytes no decoder claimed (application data, fragments, unknown protocols).
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// Undecoded bytes; contents holds them, payload is empty.
struct Payload : LayerBase {
  static constexpr LayerType kType = LayerType::payload;
  static constexpr LayerClass kClass = LayerClass::application;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
