// pcapxx layers: Geneve (RFC 8926 3), UDP port 6081, with its variable-length options. The
// protocol type is an EtherType (0x6558 Ethernet).
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// One Geneve option (RFC 8926 3.5).
struct GeneveOption {
  std::uint16_t option_class = 0;
  std::uint8_t type = 0;             ///< the high bit is "critical"
  std::span<const std::byte> data;   ///< length * 4 bytes
};

/// Walks Geneve options; stops at one that runs past the option bytes.
class GeneveOptionReader {
 public:
  explicit GeneveOptionReader(std::span<const std::byte> options) noexcept : bytes_(options) {}
  /// The next option; false at the end.
  bool next(GeneveOption& out) noexcept;
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
  bool malformed_ = false;
};

/// A Geneve header: 8 bytes and options.
struct Geneve : LayerBase {
  static constexpr LayerType kType = LayerType::geneve;
  static constexpr LayerClass kClass = LayerClass::link;

  std::uint8_t version = 0;        ///< 2 bits
  std::uint8_t options_length = 0; ///< 6 bits, in 4-byte words
  bool oam = false;                ///< O
  bool critical = false;           ///< C
  std::uint8_t reserved1 = 0;      ///< 6 bits
  std::uint16_t protocol = 0x6558;
  std::uint32_t vni = 0;           ///< 24 bits
  std::uint8_t reserved2 = 0;
  std::span<const std::byte> options;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
