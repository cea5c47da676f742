// DLT_NULL / DLT_LOOP address family header.
#include "pcapxx/layers/loopback.hpp"

#include "layers/wire.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Loopback::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 4 bytes");
  // Families are small numbers, so a value with its high half set was written big-endian
  // (DLT_LOOP always, DLT_NULL on a big-endian host).
  const std::uint32_t le = pcapxx::detail::load_le32(data.data());
  const std::uint32_t be = load_be32(data.data());
  big_endian = (le & 0xffff0000u) != 0;
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  if (big_endian && (be & 0xffff0000u) != 0) {
    family = 0;
    prefix = load_be16(data.data());
    ethertype = load_be16(data.data() + 2);
    return next_layer(ctx.registry.ethertype(ethertype), payload);
  }
  ethertype = prefix = 0;
  family = big_endian ? be : le;
  LayerType next = LayerType::payload;
  switch (family) {
    case 2: next = LayerType::ipv4; break;                                  // AF_INET everywhere
    case 10: case 23: case 24: case 28: case 30: next = LayerType::ipv6; break;  // Linux, Windows, BSDs, Darwin
    default: break;
  }
  return next_layer(next, payload);
}

void Loopback::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength);
  if (family == 0 && ethertype != 0) {
    store_be16(h.data(), prefix);
    store_be16(h.data() + 2, ethertype);
  } else if (big_endian)
    store_be32(h.data(), family);
  else
    pcapxx::detail::store_raw(h.data(), std::endian::native == std::endian::little ? family : std::byteswap(family));
}

}  // namespace pcapxx::layers
