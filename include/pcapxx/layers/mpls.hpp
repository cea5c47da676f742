// pcapxx layers: an MPLS label stack (RFC 3032 2.1), EtherTypes 0x8847 and 0x8848. One layer
// holds the whole stack, up to kMaxEntries entries (deeper stacks are an error). After the entry
// with the bottom-of-stack bit, the first nibble picks IPv4 (4) or IPv6 (6); anything else
// (pseudowires, RFC 4385 control words) decodes as Payload.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// One label stack entry.
struct MplsEntry {
  std::uint32_t label = 0;   ///< 20 bits
  std::uint8_t tc = 0;       ///< traffic class (formerly EXP), 3 bits
  bool bottom = false;       ///< S bit
  std::uint8_t ttl = 0;

  /// The 32-bit wire form.
  [[nodiscard]] std::uint32_t word() const noexcept {
    return (label & 0xfffff) << 12 | std::uint32_t{tc & 7u} << 9 | (bottom ? 1u : 0u) << 8 | ttl;
  }
  /// The entry of a 32-bit wire word.
  static MplsEntry of(std::uint32_t w) noexcept {
    return {w >> 12, static_cast<std::uint8_t>((w >> 9) & 7), ((w >> 8) & 1) != 0, static_cast<std::uint8_t>(w)};
  }
};

/// An MPLS label stack.
struct Mpls : LayerBase {
  static constexpr LayerType kType = LayerType::mpls;
  static constexpr LayerClass kClass = LayerClass::link;
  static constexpr std::size_t kMaxEntries = 8;

  std::array<std::uint32_t, kMaxEntries> words{};  ///< wire form of each entry, outermost first
  std::uint8_t count = 0;

  [[nodiscard]] std::size_t label_count() const noexcept { return count; }
  /// Entry i (i < label_count()).
  [[nodiscard]] MplsEntry entry(std::size_t i) const noexcept { return MplsEntry::of(words[i]); }
  /// Appends an entry for crafting; false when the stack is full. Set bottom on the last one.
  bool push(const MplsEntry& e) noexcept;
  /// Inserts an entry before index `at` (0: a new outermost label) and keeps the S bit on the
  /// last entry only; false when the stack is full or `at` is past the end.
  bool insert(std::size_t at, const MplsEntry& e) noexcept;
  /// Removes entry `at` (0: pops the outermost label) and keeps the S bit on the last entry
  /// only; false when `at` is not an entry or it is the only one (remove the layer instead).
  bool erase(std::size_t at) noexcept;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
