// NTP (RFC 5905 7.3).
#include "pcapxx/layers/ntp.hpp"

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

namespace {
std::uint64_t load_be64(const std::byte* p) noexcept {
  return std::uint64_t{load_be32(p)} << 32 | load_be32(p + 4);
}
void store_be64(std::byte* p, std::uint64_t v) noexcept {
  store_be32(p, static_cast<std::uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<std::uint32_t>(v));
}
}  // namespace

DecodeStatus Ntp::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 48 bytes");
  const std::uint8_t f = u8(data[0]);
  leap = f >> 6;
  version = (f >> 3) & 7;
  mode = f & 7;
  stratum = u8(data[1]);
  poll = static_cast<std::int8_t>(u8(data[2]));
  precision = static_cast<std::int8_t>(u8(data[3]));
  root_delay = load_be32(data.data() + 4);
  root_dispersion = load_be32(data.data() + 8);
  reference_id = load_be32(data.data() + 12);
  reference_time = load_be64(data.data() + 16);
  origin_time = load_be64(data.data() + 24);
  receive_time = load_be64(data.data() + 32);
  transmit_time = load_be64(data.data() + 40);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);  // extension fields, MAC (RFC 5905 7.5)
  return next_layer(LayerType::payload, payload);
}

void Ntp::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength);
  h[0] = std::byte{flags()};
  h[1] = std::byte{stratum};
  h[2] = std::byte{static_cast<std::uint8_t>(poll)};
  h[3] = std::byte{static_cast<std::uint8_t>(precision)};
  store_be32(h.data() + 4, root_delay);
  store_be32(h.data() + 8, root_dispersion);
  store_be32(h.data() + 12, reference_id);
  store_be64(h.data() + 16, reference_time);
  store_be64(h.data() + 24, origin_time);
  store_be64(h.data() + 32, receive_time);
  store_be64(h.data() + 40, transmit_time);
}

}  // namespace pcapxx::layers
