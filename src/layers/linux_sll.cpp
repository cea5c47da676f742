// LINUX_SLL and LINUX_SLL2 cooked headers (tcpdump.org linktypes/LINKTYPE_LINUX_SLL{,2}.html).
#include "pcapxx/layers/linux_sll.hpp"

#include "layers/wire.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

namespace {
// Protocol values below 1536 are Linux pseudo-protocols (ETH_P_802_3, ETH_P_802_2, CAN...),
// not EtherTypes; of those, 4 (ETH_P_802_2) is an LLC frame, the others are not decoded yet.
LayerType sll_next(std::uint16_t protocol, const DecodeContext& ctx) noexcept {
  if (protocol == 4) return LayerType::llc;
  return protocol < 1536 ? LayerType::payload : ctx.registry.ethertype(protocol);
}
}  // namespace

DecodeStatus LinuxSll::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 16 bytes");
  packet_type = load_be16(data.data());
  arphrd_type = load_be16(data.data() + 2);
  address_length = load_be16(data.data() + 4);
  copy_in(address, data.data() + 6);
  protocol = load_be16(data.data() + 14);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  return next_layer(sll_next(protocol, ctx), payload);
}

void LinuxSll::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength);
  store_be16(h.data(), packet_type);
  store_be16(h.data() + 2, arphrd_type);
  store_be16(h.data() + 4, address_length);
  copy_out(h.data() + 6, address);
  store_be16(h.data() + 14, protocol);
}

DecodeStatus LinuxSll2::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 20 bytes");
  protocol = load_be16(data.data());
  reserved = load_be16(data.data() + 2);
  interface_index = load_be32(data.data() + 4);
  arphrd_type = load_be16(data.data() + 8);
  packet_type = u8(data[10]);
  address_length = u8(data[11]);
  copy_in(address, data.data() + 12);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  return next_layer(sll_next(protocol, ctx), payload);
}

void LinuxSll2::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength);
  store_be16(h.data(), protocol);
  store_be16(h.data() + 2, reserved);
  store_be32(h.data() + 4, interface_index);
  store_be16(h.data() + 8, arphrd_type);
  h[10] = std::byte{packet_type};
  h[11] = std::byte{address_length};
  copy_out(h.data() + 12, address);
}

}  // namespace pcapxx::layers
