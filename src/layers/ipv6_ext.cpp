// IPv6 extension headers (RFC 8200 4.3-4.6) and IPsec AH (RFC 4302) / ESP (RFC 4303).
#include <algorithm>

#include "layers/wire.hpp"
#include "pcapxx/layers/ipv6.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

namespace {
// Extension headers are (hdr_ext_len + 1) * 8 bytes long.
std::size_t ext_length(std::span<const std::byte> data) noexcept { return (std::size_t{u8(data[1])} + 1) * 8; }
}  // namespace

DecodeStatus Ipv6OptionsHeader::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < 8) return failed("truncated header: needs 8 bytes");
  const std::size_t len = ext_length(data);
  if (data.size() < len) return failed("truncated options: header length runs past the packet", 1);
  next_header = u8(data[0]);
  header_ext_length = u8(data[1]);
  options = data.subspan(2, len - 2);
  contents = data.first(len);
  payload = data.subspan(len);
  return next_layer(ctx.registry.ip_protocol(next_header), payload);
}

void Ipv6OptionsHeader::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t pad = opts.fix_lengths ? (8 - (2 + options.size()) % 8) % 8 : 0;
  const std::size_t len = 2 + options.size() + pad;
  auto h = buf.prepend(len);
  h[0] = std::byte{next_header};
  h[1] = std::byte{opts.fix_lengths ? static_cast<std::uint8_t>(len / 8 - 1) : header_ext_length};
  copy_out(h.data() + 2, options);
  // RFC 8200 4.2: Pad1 for one byte, PadN for more.
  std::byte* p = h.data() + 2 + options.size();
  if (pad == 1) {
    p[0] = std::byte{0};
  } else if (pad >= 2) {
    p[0] = std::byte{1};
    p[1] = std::byte{static_cast<std::uint8_t>(pad - 2)};
    std::fill(p + 2, p + pad, std::byte{0});
  }
}

DecodeStatus Ipv6Routing::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < 8) return failed("truncated header: needs 8 bytes");
  const std::size_t len = ext_length(data);
  if (data.size() < len) return failed("truncated: header length runs past the packet", 1);
  next_header = u8(data[0]);
  header_ext_length = u8(data[1]);
  routing_type = u8(data[2]);
  segments_left = u8(data[3]);
  type_data = data.subspan(4, len - 4);
  contents = data.first(len);
  payload = data.subspan(len);
  return next_layer(ctx.registry.ip_protocol(next_header), payload);
}

void Ipv6Routing::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t pad = opts.fix_lengths ? (8 - (4 + type_data.size()) % 8) % 8 : 0;
  const std::size_t len = 4 + type_data.size() + pad;
  auto h = buf.prepend(len);
  h[0] = std::byte{next_header};
  h[1] = std::byte{opts.fix_lengths ? static_cast<std::uint8_t>(len / 8 - 1) : header_ext_length};
  h[2] = std::byte{routing_type};
  h[3] = std::byte{segments_left};
  copy_out(h.data() + 4, type_data);
  std::fill(h.data() + 4 + type_data.size(), h.data() + len, std::byte{0});
}

DecodeStatus Ipv6Fragment::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 8 bytes");
  next_header = u8(data[0]);
  reserved = u8(data[1]);
  const std::uint16_t w = load_be16(data.data() + 2);
  fragment_offset = w >> 3;
  reserved2 = (w >> 1) & 3;
  more_fragments = (w & 1) != 0;
  identification = load_be32(data.data() + 4);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  return next_layer(fragment_offset != 0 ? LayerType::payload : ctx.registry.ip_protocol(next_header), payload);
}

void Ipv6Fragment::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength);
  h[0] = std::byte{next_header};
  h[1] = std::byte{reserved};
  store_be16(h.data() + 2, static_cast<std::uint16_t>(fragment_offset << 3 | (reserved2 & 3) << 1 | (more_fragments ? 1 : 0)));
  store_be32(h.data() + 4, identification);
}

DecodeStatus IpsecAh::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < 12) return failed("truncated header: needs 12 bytes");
  next_header = u8(data[0]);
  payload_length = u8(data[1]);
  // RFC 4302 2.2: the length is in 32-bit words, minus 2.
  const std::size_t len = (std::size_t{payload_length} + 2) * 4;
  if (len < 12) return failed("payload length is below the 12-byte minimum", 1);
  if (data.size() < len) return failed("truncated: payload length runs past the packet", 1);
  reserved = load_be16(data.data() + 2);
  spi = load_be32(data.data() + 4);
  sequence = load_be32(data.data() + 8);
  icv = data.subspan(12, len - 12);
  contents = data.first(len);
  payload = data.subspan(len);
  return next_layer(ctx.registry.ip_protocol(next_header), payload);
}

void IpsecAh::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t len = 12 + icv.size();
  auto h = buf.prepend(len);
  h[0] = std::byte{next_header};
  h[1] = std::byte{opts.fix_lengths ? static_cast<std::uint8_t>(len / 4 - 2) : payload_length};
  store_be16(h.data() + 2, reserved);
  store_be32(h.data() + 4, spi);
  store_be32(h.data() + 8, sequence);
  copy_out(h.data() + 12, icv);
}

DecodeStatus IpsecEsp::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 8 bytes");
  spi = load_be32(data.data());
  sequence = load_be32(data.data() + 4);
  // Without the keys nothing after SPI and sequence can be read: it all stays in contents.
  contents = data;
  payload = {};
  return {};
}

void IpsecEsp::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  const auto rest = contents.size() > kHeaderLength ? contents.subspan(kHeaderLength) : std::span<const std::byte>{};
  auto h = buf.prepend(kHeaderLength + rest.size());
  store_be32(h.data(), spi);
  store_be32(h.data() + 4, sequence);
  copy_out(h.data() + kHeaderLength, rest);
}

}  // namespace pcapxx::layers
