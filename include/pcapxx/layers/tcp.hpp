// pcapxx layers: TCP (RFC 9293) with options: MSS (2), window scale (3, RFC 7323), SACK permitted
// (4) and SACK (5, RFC 2018), timestamps (8, RFC 7323), and any other kind through option_reader().
// Options are kept as bytes (one source of truth); the accessors parse them on demand and
// TcpOptionsBuilder writes them for crafting.
#pragma once

#include <optional>

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// A TCP header.
struct Tcp : LayerBase {
  static constexpr LayerType kType = LayerType::tcp;
  static constexpr LayerClass kClass = LayerClass::transport;

  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t data_offset = 5;   ///< header length in 32-bit words
  std::uint16_t flags = 0;        ///< 12 bits: reserved (3), AE/NS, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN
  std::uint16_t window = 0;
  std::uint16_t checksum = 0;
  std::uint16_t urgent = 0;
  std::span<const std::byte> options;

  static constexpr std::uint16_t kFin = 0x001, kSyn = 0x002, kRst = 0x004, kPsh = 0x008,
                                 kAck = 0x010, kUrg = 0x020, kEce = 0x040, kCwr = 0x080,
                                 kAe = 0x100;

  [[nodiscard]] std::size_t header_length() const noexcept { return std::size_t{data_offset} * 4; }
  [[nodiscard]] OptionReader option_reader() const noexcept {
    return {options, OptionStyle::ipv4_tcp};
  }
  [[nodiscard]] std::optional<std::uint16_t> mss() const noexcept;
  [[nodiscard]] std::optional<std::uint8_t> window_scale() const noexcept;
  [[nodiscard]] bool sack_permitted() const noexcept;
  struct Timestamps {
    std::uint32_t value = 0;
    std::uint32_t echo_reply = 0;
  };
  [[nodiscard]] std::optional<Timestamps> timestamps() const noexcept;
  struct SackBlock {
    std::uint32_t left = 0;
    std::uint32_t right = 0;
  };
  /// Fills out with the SACK blocks (at most 4 fit in 40 bytes); returns how many.
  std::size_t sack_blocks(std::span<SackBlock> out) const noexcept;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// Writes TCP options into a fixed 40-byte array, for crafting.
class TcpOptionsBuilder {
 public:
  TcpOptionsBuilder& nop() noexcept;
  TcpOptionsBuilder& mss(std::uint16_t v) noexcept;
  TcpOptionsBuilder& window_scale(std::uint8_t shift) noexcept;
  TcpOptionsBuilder& sack_permitted() noexcept;
  TcpOptionsBuilder& sack(std::span<const Tcp::SackBlock> blocks) noexcept;
  TcpOptionsBuilder& timestamps(std::uint32_t value, std::uint32_t echo_reply) noexcept;
  /// Whether everything added fitted in 40 bytes.
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  /// The options so far (point into this builder).
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {buf_.data(), len_}; }

 private:
  std::span<std::byte> room(std::size_t n) noexcept;
  std::array<std::byte, 40> buf_{};
  std::size_t len_ = 0;
  bool ok_ = true;
};

}  // namespace pcapxx::layers
