// The PPP protocol field (RFC 1661 2), with the optional HDLC-like address/control (RFC 1662).
#include "pcapxx/layers/pppoe.hpp"

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Ppp::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  std::size_t at = 0;
  address_control = data.size() >= 2 && u8(data[0]) == 0xff && u8(data[1]) == 0x03;
  if (address_control) at = 2;
  if (data.size() <= at) return failed("truncated protocol field", at);
  std::size_t hl = at + 1;
  if (u8(data[at]) & 1) {  // compressed: the high byte 0x00 was left out
    protocol = u8(data[at]);
    compressed = true;
  } else {
    if (data.size() < at + 2) return failed("truncated protocol field: needs 2 bytes", at);
    protocol = load_be16(data.data() + at);
    compressed = false;
    hl = at + 2;
  }
  contents = data.first(hl);
  payload = data.subspan(hl);
  LayerType next = LayerType::payload;
  if (protocol == 0x0021) next = LayerType::ipv4;  // RFC 1332
  if (protocol == 0x0057) next = LayerType::ipv6;  // RFC 5072
  if (protocol == 0x0281) next = LayerType::mpls;  // RFC 3032 5
  return next_layer(next, payload);
}

void Ppp::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  if (compressed && protocol <= 0xff) {
    buf.prepend(1)[0] = std::byte{static_cast<std::uint8_t>(protocol)};
  } else {
    store_be16(buf.prepend(2).data(), protocol);
  }
  if (address_control) {
    auto h = buf.prepend(2);
    h[0] = std::byte{0xff};
    h[1] = std::byte{0x03};
  }
}

}  // namespace pcapxx::layers
