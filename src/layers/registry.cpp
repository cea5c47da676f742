// The built-in protocol-number table and custom decoder registration.
#include "pcapxx/layers/registry.hpp"

#include <fmt/format.h>

namespace pcapxx::layers {

const Registry& Registry::builtin() noexcept {
  static const Registry r;
  return r;
}

Result<LayerType> Registry::add(CustomEntry::Key key, std::uint16_t value, std::string name,
                                CustomDecoder decoder) {
  if (!decoder) return fail(Errc::invalid_argument, fmt::format("custom layer '{}': no decoder", name));
  if (find(key, value) != nullptr)
    return fail(Errc::invalid_argument,
                fmt::format("custom layer '{}': number {} already has a custom decoder", name, value));
  if (custom_.size() >= 0x7fff) return fail(Errc::invalid_argument, "too many custom layers");
  const auto type = static_cast<LayerType>(static_cast<std::uint16_t>(LayerType::kFirstCustom) + custom_.size());
  custom_.push_back(CustomEntry{key, value, type, std::move(name), std::move(decoder)});
  return type;
}

Result<LayerType> Registry::register_ethertype(std::uint16_t ethertype, std::string name,
                                               CustomDecoder decoder) {
  return add(CustomEntry::Key::ethertype, ethertype, std::move(name), std::move(decoder));
}
Result<LayerType> Registry::register_ip_protocol(std::uint8_t protocol, std::string name,
                                                 CustomDecoder decoder) {
  return add(CustomEntry::Key::ip_protocol, protocol, std::move(name), std::move(decoder));
}
Result<LayerType> Registry::register_port(PortProtocol proto, std::uint16_t port, std::string name,
                                          CustomDecoder decoder) {
  return add(proto == PortProtocol::tcp ? CustomEntry::Key::tcp_port : CustomEntry::Key::udp_port, port,
             std::move(name), std::move(decoder));
}

const Registry::CustomEntry* Registry::find(CustomEntry::Key key, std::uint16_t value) const noexcept {
  for (const auto& e : custom_)
    if (e.key == key && e.value == value) return &e;
  return nullptr;
}

const Registry::CustomEntry* Registry::custom(LayerType type) const noexcept {
  const auto v = static_cast<std::uint16_t>(type);
  const auto first = static_cast<std::uint16_t>(LayerType::kFirstCustom);
  if (v < first || static_cast<std::size_t>(v - first) >= custom_.size()) return nullptr;
  return &custom_[v - first];
}

LayerType Registry::link_type(LinkType link) const noexcept {
  switch (link.dlt) {
    case 0: case 108: return LayerType::loopback;                 // DLT_NULL, DLT_LOOP
    case 1: return LayerType::ethernet;                            // DLT_EN10MB
    case 12: case 14: case 101: return LayerType::raw_ip;          // DLT_RAW (all its values)
    case 113: return LayerType::linux_sll;
    case 276: return LayerType::linux_sll2;
    case 228: return LayerType::ipv4;
    case 229: return LayerType::ipv6;
    default: return LayerType::none;
  }
}

LayerType Registry::custom_ethertype(std::uint16_t ethertype) const noexcept {
  if (const auto* e = find(CustomEntry::Key::ethertype, ethertype)) return e->type;
  return builtin_ethertype(ethertype);
}

LayerType Registry::custom_ip_protocol(std::uint8_t protocol) const noexcept {
  if (const auto* e = find(CustomEntry::Key::ip_protocol, protocol)) return e->type;
  return builtin_ip_protocol(protocol);
}

LayerType Registry::custom_port(PortProtocol proto, std::uint16_t src, std::uint16_t dst) const noexcept {
  const auto key = proto == PortProtocol::tcp ? CustomEntry::Key::tcp_port : CustomEntry::Key::udp_port;
  const auto* a = find(key, src < dst ? src : dst);
  if (a == nullptr) a = find(key, src < dst ? dst : src);
  if (a != nullptr) return a->type;
  return builtin_port_pair(proto, src, dst);
}

}  // namespace pcapxx::layers
