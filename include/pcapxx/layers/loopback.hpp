// pcapxx layers: the 4-byte address family of DLT_NULL (host byte order of the capturing machine)
// and DLT_LOOP (network byte order). IPv6 has several BSD values (24, 28, 30); Linux uses 10.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// A BSD loopback header.
struct Loopback : LayerBase {
  static constexpr LayerType kType = LayerType::loopback;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kHeaderLength = 4;

  std::uint32_t family = 2;  ///< AF_ value of the capturing OS (2 = IPv4)
  bool big_endian = false;   ///< how family was stored (DLT_LOOP: always; DLT_NULL: detected)
  /// Some captures hold 2 other bytes and an EtherType instead of a family (Wireshark decodes
  /// them the same way): then family is 0, ethertype is set and prefix keeps bytes 0-1.
  std::uint16_t ethertype = 0;
  std::uint16_t prefix = 0;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
