// pcapxx layers: user-registered decoders. A custom decoder is a function that looks at the
// bytes of its layer and says how long the header is and what comes next; the packet then
// holds a CustomLayer with those bytes. Register it on a Registry (registry.hpp) for an
// EtherType, an IP protocol number, or a TCP/UDP port.
#pragma once

#include <functional>

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// How a custom decoder names the layer after its own.
struct NextProtocol {
  enum class Kind : std::uint8_t { none, payload, ethertype, ip_protocol, layer };
  Kind kind = Kind::payload;
  std::uint16_t value = 0;  ///< EtherType, IP protocol, or a LayerType value (Kind::layer)
};

/// What a custom decoder returns.
struct CustomDecodeResult {
  std::size_t header_length = 0;  ///< bytes of contents; the rest is payload
  NextProtocol next;
  const char* error = nullptr;    ///< static text when the bytes are malformed
};

/// A custom decoder; it must not read outside `data`.
using CustomDecoder = std::function<CustomDecodeResult(std::span<const std::byte> data)>;

/// A layer decoded by a registered decoder; its fields are read from contents by the user.
struct CustomLayer : LayerBase {
  static constexpr LayerType kType = LayerType::kFirstCustom;  ///< the first custom type
  static constexpr LayerClass kClass = LayerClass::application;

  LayerType type = LayerType::kFirstCustom;  ///< the type the registry assigned
  /// Set from the registration: EtherType -> link, IP protocol -> transport, port -> application.
  LayerClass layer_class = LayerClass::application;
  std::string_view name;                     ///< the name given at registration

  /// Decodes with the decoder registered for `type` in ctx.registry.
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends contents unchanged.
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
