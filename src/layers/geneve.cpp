// Geneve (RFC 8926 3).
#include "pcapxx/layers/geneve.hpp"

#include "layers/wire.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

bool GeneveOptionReader::next(GeneveOption& out) noexcept {
  if (malformed_ || pos_ >= bytes_.size()) return false;
  const std::size_t left = bytes_.size() - pos_;
  if (left < 4) {
    malformed_ = true;
    return false;
  }
  const std::size_t len = std::size_t{u8(bytes_[pos_ + 3]) & 0x1fu} * 4;
  if (left - 4 < len) {
    malformed_ = true;
    return false;
  }
  out = GeneveOption{load_be16(bytes_.data() + pos_), u8(bytes_[pos_ + 2]), bytes_.subspan(pos_ + 4, len)};
  pos_ += 4 + len;
  return true;
}

DecodeStatus Geneve::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < 8) return failed("truncated header: needs 8 bytes");
  version = u8(data[0]) >> 6;
  options_length = u8(data[0]) & 0x3f;
  oam = u8(data[1]) & 0x80;
  critical = u8(data[1]) & 0x40;
  reserved1 = u8(data[1]) & 0x3f;
  protocol = load_be16(data.data() + 2);
  const std::uint32_t w = load_be32(data.data() + 4);
  vni = w >> 8;
  reserved2 = static_cast<std::uint8_t>(w);
  if (version != 0) return failed("version is not 0");
  const std::size_t hl = 8 + std::size_t{options_length} * 4;
  if (data.size() < hl) return failed("truncated options", 8);
  options = data.subspan(8, hl - 8);
  contents = data.first(hl);
  payload = data.subspan(hl);
  return next_layer(ctx.registry.ethertype(protocol), payload);
}

void Geneve::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t pad = opts.fix_lengths ? (4 - options.size() % 4) % 4 : 0;
  const std::size_t hl = 8 + options.size() + pad;
  auto h = buf.prepend(hl);
  const std::uint8_t words = opts.fix_lengths ? static_cast<std::uint8_t>((hl - 8) / 4) : options_length;
  h[0] = std::byte{static_cast<std::uint8_t>((version & 3) << 6 | (words & 0x3f))};
  h[1] = std::byte{static_cast<std::uint8_t>((oam ? 0x80 : 0) | (critical ? 0x40 : 0) | (reserved1 & 0x3f))};
  store_be16(h.data() + 2, protocol);
  store_be32(h.data() + 4, (vni & 0xffffff) << 8 | reserved2);
  copy_out(h.data() + 8, options);
  for (std::size_t i = 0; i < pad; ++i) h[8 + options.size() + i] = std::byte{0};
}

}  // namespace pcapxx::layers
