// Layers decoded by user-registered decoders.
#include "pcapxx/layers/custom.hpp"

#include "layers/wire.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus CustomLayer::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  const auto* entry = ctx.registry.custom(type);
  if (entry == nullptr) return failed("no decoder registered for this custom layer type");
  name = entry->name;
  switch (entry->key) {
    case Registry::CustomEntry::Key::ethertype: layer_class = LayerClass::link; break;
    case Registry::CustomEntry::Key::ip_protocol: layer_class = LayerClass::transport; break;
    case Registry::CustomEntry::Key::tcp_port: case Registry::CustomEntry::Key::udp_port:
      layer_class = LayerClass::application;
      break;
  }
  const CustomDecodeResult r = entry->decoder(data);
  if (r.error != nullptr) return failed(r.error);
  if (r.header_length > data.size()) return failed("custom decoder claimed more bytes than there are");
  contents = data.first(r.header_length);
  payload = data.subspan(r.header_length);
  LayerType next = LayerType::none;
  switch (r.next.kind) {
    case NextProtocol::Kind::none: break;
    case NextProtocol::Kind::payload: next = LayerType::payload; break;
    case NextProtocol::Kind::ethertype: next = ctx.registry.ethertype(r.next.value); break;
    case NextProtocol::Kind::ip_protocol:
      next = ctx.registry.ip_protocol(static_cast<std::uint8_t>(r.next.value));
      break;
    case NextProtocol::Kind::layer: next = static_cast<LayerType>(r.next.value); break;
  }
  return next_layer(next, payload);
}

void CustomLayer::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  copy_out(buf.prepend(contents.size()).data(), contents);
}

}  // namespace pcapxx::layers
