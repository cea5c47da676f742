// VXLAN (RFC 7348 5).
#include "pcapxx/layers/vxlan.hpp"

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Vxlan::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 8 bytes");
  const std::uint32_t w0 = load_be32(data.data());
  const std::uint32_t w1 = load_be32(data.data() + 4);
  flags = static_cast<std::uint8_t>(w0 >> 24);
  reserved1 = w0 & 0xffffff;
  vni = w1 >> 8;
  reserved2 = static_cast<std::uint8_t>(w1);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  return next_layer(LayerType::ethernet, payload);
}

void Vxlan::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength);
  store_be32(h.data(), std::uint32_t{flags} << 24 | (reserved1 & 0xffffff));
  store_be32(h.data() + 4, (vni & 0xffffff) << 8 | reserved2);
}

}  // namespace pcapxx::layers
