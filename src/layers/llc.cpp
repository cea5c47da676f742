// IEEE 802.2 LLC and SNAP (RFC 1042).
#include "pcapxx/layers/llc.hpp"

#include "layers/wire.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Llc::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < 3) return failed("truncated header: needs 3 bytes");
  dsap = u8(data[0]);
  ssap = u8(data[1]);
  control = u8(data[2]);
  control_length = 1;
  std::size_t hl = 3;
  if ((control & 3) != 3) {  // I or S format: a second control byte (IEEE 802.2 5.2)
    if (data.size() < 4) return failed("truncated header: I/S format needs 4 bytes", 3);
    // The two control bytes are read low byte first, as Wireshark shows them (N(S) in the low byte).
    control = static_cast<std::uint16_t>(control | u8(data[3]) << 8);
    control_length = 2;
    hl = 4;
  }
  contents = data.first(hl);
  payload = data.subspan(hl);
  const bool snap = dsap == 0xaa && ssap == 0xaa && hl == 3;
  return next_layer(snap ? LayerType::snap : LayerType::payload, payload);
}

void Llc::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  const bool two = control_length == 2;
  auto h = buf.prepend(two ? 4 : 3);
  h[0] = std::byte{dsap};
  h[1] = std::byte{ssap};
  if (two) {
    h[2] = std::byte{static_cast<std::uint8_t>(control)};
    h[3] = std::byte{static_cast<std::uint8_t>(control >> 8)};
  } else {
    h[2] = std::byte{static_cast<std::uint8_t>(control)};
  }
}

DecodeStatus Snap::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 5 bytes");
  oui = std::uint32_t{u8(data[0])} << 16 | std::uint32_t{u8(data[1])} << 8 | u8(data[2]);
  protocol = load_be16(data.data() + 3);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  // OUI 0: the protocol id is an EtherType (RFC 1042); other organizations define their own.
  return next_layer(oui == 0 ? ctx.registry.ethertype(protocol) : LayerType::payload, payload);
}

void Snap::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength);
  h[0] = std::byte{static_cast<std::uint8_t>(oui >> 16)};
  h[1] = std::byte{static_cast<std::uint8_t>(oui >> 8)};
  h[2] = std::byte{static_cast<std::uint8_t>(oui)};
  store_be16(h.data() + 3, protocol);
}

}  // namespace pcapxx::layers
