// ARP (RFC 826).
#include "pcapxx/layers/arp.hpp"

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Arp::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < 8) return failed("truncated header: needs 8 bytes");
  hardware_type = load_be16(data.data());
  protocol_type = load_be16(data.data() + 2);
  hardware_length = u8(data[4]);
  protocol_length = u8(data[5]);
  operation = load_be16(data.data() + 6);
  const std::size_t total = 8 + 2 * (std::size_t{hardware_length} + protocol_length);
  if (data.size() < total) return failed("truncated addresses", 8);
  std::size_t at = 8;
  sender_hardware = data.subspan(at, hardware_length);
  at += hardware_length;
  sender_protocol = data.subspan(at, protocol_length);
  at += protocol_length;
  target_hardware = data.subspan(at, hardware_length);
  at += hardware_length;
  target_protocol = data.subspan(at, protocol_length);
  contents = data.first(total);
  payload = {};
  DecodeStatus s = next_layer(LayerType::none, payload);
  s.trailer = data.subspan(total);
  return s;
}

void Arp::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  std::uint8_t hl = hardware_length, pl = protocol_length;
  if (opts.fix_lengths) {
    hl = static_cast<std::uint8_t>(sender_hardware.size());
    pl = static_cast<std::uint8_t>(sender_protocol.size());
  }
  const std::size_t total = 8 + sender_hardware.size() + sender_protocol.size() + target_hardware.size() +
                            target_protocol.size();
  auto h = buf.prepend(total);
  store_be16(h.data(), hardware_type);
  store_be16(h.data() + 2, protocol_type);
  h[4] = std::byte{hl};
  h[5] = std::byte{pl};
  store_be16(h.data() + 6, operation);
  std::size_t at = 8;
  for (auto part : {sender_hardware, sender_protocol, target_hardware, target_protocol}) {
    copy_out(h.data() + at, part);
    at += part.size();
  }
}

}  // namespace pcapxx::layers
