// The layer stack of a decoded packet: eager and lazy decoding, shortcuts, re-serialization.
#include "pcapxx/decode.hpp"

#include <array>
#include <type_traits>

#include "pcapxx/layers/layer_list.hpp"

namespace pcapxx::layers {

namespace {

// Every alternative must be trivially destructible: emplace() then only sets the index and
// constructs the layer in place, with no destructor dispatch per layer.
static_assert(std::is_trivially_destructible_v<AnyLayer>);

// Decodes one layer of type T into slot, constructed in place. `next_data` is the layer's
// payload (what the next layer decodes).
template <class T>
[[gnu::always_inline]] inline DecodeStatus decode_as(AnyLayer& slot, std::span<const std::byte> data,
                                                     const DecodeContext& ctx,
                                                     std::span<const std::byte>& next_data) noexcept {
  T& layer = slot.emplace<T>();
  DecodeStatus st = layer.decode(data, ctx);
  next_data = detail::fresh_span(layer.payload);
  return st;
}

// The one place that maps a layer type to its struct for the Packet. `known` is false for a
// type no struct implements (the caller keeps those bytes as Payload).
// Inlined into its one caller so that next_data stays in registers.
[[gnu::always_inline]] inline DecodeStatus decode_one(LayerType t, AnyLayer& slot, std::span<const std::byte> data,
                                                      const DecodeContext& ctx,
                                                      std::span<const std::byte>& next_data, bool& known) noexcept {
  known = true;
  switch (t) {
    case LayerType::ethernet: return decode_as<Ethernet>(slot, data, ctx, next_data);
    case LayerType::dot1q: return decode_as<Dot1Q>(slot, data, ctx, next_data);
    case LayerType::arp: return decode_as<Arp>(slot, data, ctx, next_data);
    case LayerType::linux_sll: return decode_as<LinuxSll>(slot, data, ctx, next_data);
    case LayerType::linux_sll2: return decode_as<LinuxSll2>(slot, data, ctx, next_data);
    case LayerType::loopback: return decode_as<Loopback>(slot, data, ctx, next_data);
    case LayerType::ipv4: return decode_as<Ipv4>(slot, data, ctx, next_data);
    case LayerType::ipv6: return decode_as<Ipv6>(slot, data, ctx, next_data);
    case LayerType::ipv6_hop_by_hop: return decode_as<Ipv6HopByHop>(slot, data, ctx, next_data);
    case LayerType::ipv6_routing: return decode_as<Ipv6Routing>(slot, data, ctx, next_data);
    case LayerType::ipv6_fragment: return decode_as<Ipv6Fragment>(slot, data, ctx, next_data);
    case LayerType::ipv6_destination: return decode_as<Ipv6Destination>(slot, data, ctx, next_data);
    case LayerType::ipsec_ah: return decode_as<IpsecAh>(slot, data, ctx, next_data);
    case LayerType::ipsec_esp: return decode_as<IpsecEsp>(slot, data, ctx, next_data);
    case LayerType::icmpv4: return decode_as<Icmpv4>(slot, data, ctx, next_data);
    case LayerType::icmpv6: return decode_as<Icmpv6>(slot, data, ctx, next_data);
    case LayerType::tcp: return decode_as<Tcp>(slot, data, ctx, next_data);
    case LayerType::udp: return decode_as<Udp>(slot, data, ctx, next_data);
    case LayerType::dns: return decode_as<Dns>(slot, data, ctx, next_data);
    case LayerType::payload: return decode_as<Payload>(slot, data, ctx, next_data);
    case LayerType::llc: return decode_as<Llc>(slot, data, ctx, next_data);
    case LayerType::snap: return decode_as<Snap>(slot, data, ctx, next_data);
    case LayerType::mpls: return decode_as<Mpls>(slot, data, ctx, next_data);
    case LayerType::pppoe: return decode_as<Pppoe>(slot, data, ctx, next_data);
    case LayerType::ppp: return decode_as<Ppp>(slot, data, ctx, next_data);
    case LayerType::igmp: return decode_as<Igmp>(slot, data, ctx, next_data);
    case LayerType::gre: return decode_as<Gre>(slot, data, ctx, next_data);
    case LayerType::vxlan: return decode_as<Vxlan>(slot, data, ctx, next_data);
    case LayerType::geneve: return decode_as<Geneve>(slot, data, ctx, next_data);
    case LayerType::sctp: return decode_as<Sctp>(slot, data, ctx, next_data);
    case LayerType::dhcp: return decode_as<Dhcp>(slot, data, ctx, next_data);
    case LayerType::ntp: return decode_as<Ntp>(slot, data, ctx, next_data);
    case LayerType::none: case LayerType::raw_ip: break;
    case LayerType::kFirstCustom: default:
      if (static_cast<std::uint16_t>(t) >= static_cast<std::uint16_t>(LayerType::kFirstCustom)) {
        CustomLayer& c = slot.emplace<CustomLayer>();
        c.type = t;
        DecodeStatus st = c.decode(data, ctx);
        next_data = detail::fresh_span(c.payload);
        return st;
      }
      break;
  }
  known = false;
  return {};
}

}  // namespace

namespace {
// The type and class of each AnyLayer alternative, by variant index: type() and layer_class()
// run for every layer in find() and the shortcuts, so a table lookup rather than a visit.
struct Alternative {
  LayerType type;
  LayerClass layer_class;
};
template <class T>
constexpr Alternative alternative_of() noexcept {
  if constexpr (std::is_same_v<T, std::monostate>) {
    return {LayerType::none, LayerClass::application};
  } else {
    return {T::kType, T::kClass};
  }
}
template <class V>
struct AlternativeTables;
template <class... Ts>
struct AlternativeTables<std::variant<Ts...>> {
  static constexpr std::array<LayerType, sizeof...(Ts)> kTypes{alternative_of<Ts>().type...};
  static constexpr std::array<LayerClass, sizeof...(Ts)> kClasses{alternative_of<Ts>().layer_class...};
};
using Tables = AlternativeTables<AnyLayer>;
}  // namespace

LayerType Layer::type() const noexcept {
  const std::size_t i = value.index();
  if (i >= Tables::kTypes.size()) return LayerType::none;
  if (const auto* c = std::get_if<CustomLayer>(&value)) return c->type;
  return Tables::kTypes[i];
}

LayerClass Layer::layer_class() const noexcept {
  const std::size_t i = value.index();
  if (i >= Tables::kClasses.size()) return LayerClass::application;
  if (const auto* c = std::get_if<CustomLayer>(&value)) return c->layer_class;
  return Tables::kClasses[i];
}

std::string_view Layer::name() const noexcept {
  if (const auto* c = as<CustomLayer>()) return c->name;
  return layer_name(type());
}

std::span<const std::byte> Layer::contents() const noexcept {
  return std::visit(
      [](const auto& l) -> std::span<const std::byte> {
        if constexpr (std::is_same_v<std::decay_t<decltype(l)>, std::monostate>) {
          return {};
        } else {
          return l.contents;
        }
      },
      value);
}

std::span<const std::byte> Layer::payload() const noexcept {
  return std::visit(
      [](const auto& l) -> std::span<const std::byte> {
        if constexpr (std::is_same_v<std::decay_t<decltype(l)>, std::monostate>) {
          return {};
        } else {
          return l.payload;
        }
      },
      value);
}

Packet Packet::decode(std::span<const std::byte> data, LinkType link, const DecodeOptions& options) {
  const Registry& reg = options.registry != nullptr ? *options.registry : Registry::builtin();
  Packet p;
  const LayerType first = reg.link_type(link);
  p.assign(data, first, options);
  if (first == LayerType::none) {
    p.has_error_ = true;
    p.failure_ = DecodeFailure{LayerType::none, 0, "link type not supported by the decoder", p.data_};
  }
  return p;
}

Packet Packet::decode(std::span<const std::byte> data, LayerType first, const DecodeOptions& options) {
  Packet p;
  p.assign(data, first, options);
  return p;
}

void Packet::assign(std::span<const std::byte> data, LayerType first, const DecodeOptions& options) {
  std::span<const std::byte> view = data;
  if (options.copy) {
    owned_.assign(data.begin(), data.end());
    view = owned_;
  } else {
    owned_.clear();
  }
  // Both from `view` (registers): copying data_ right after storing it would be a 16-byte load
  // of two fresh 8-byte stores (see detail::fresh_span).
  data_ = view;
  next_data_ = view;
  registry_ = options.registry != nullptr ? options.registry : &Registry::builtin();
  count_ = 0;
  has_error_ = false;  // failure_ is only read when has_error_ is set
  next_ = first;
  if (!options.lazy) ensure(kMaxLayers);
}

// Inlined into ensure(), its one caller: the eager loop is then one function.
[[gnu::always_inline]] inline void Packet::decode_next() const noexcept {
  LayerType t = next_;
  next_ = LayerType::none;
  const std::span<const std::byte> data = next_data_;
  const auto offset = static_cast<std::uint32_t>(data.data() - data_.data());
  if (t == LayerType::raw_ip) [[unlikely]] {
    t = resolve_raw_ip(data);
    if (t == LayerType::none) {
      has_error_ = true;
      failure_ = DecodeFailure{LayerType::raw_ip, offset, "raw IP: version nibble is neither 4 nor 6", data};
      return;
    }
  }
  if (count_ == kMaxLayers) [[unlikely]] {
    has_error_ = true;
    failure_ = DecodeFailure{t, offset, "too many layers", data};
    return;
  }
  Layer& slot = layers_[count_];
  bool known = false;
  std::span<const std::byte> next_data;
  const DecodeContext ctx{*registry_};
  const DecodeStatus st = decode_one(t, slot.value, data, ctx, next_data, known);
  if (!known) [[unlikely]] {
    // A type the registry names but no struct implements yet: keep the bytes as Payload.
    t = LayerType::payload;
    decode_as<Payload>(slot.value, data, ctx, next_data);
  }
  if (!st.ok()) [[unlikely]] {
    slot.value = std::monostate{};
    has_error_ = true;
    failure_ = DecodeFailure{t, offset + st.error_offset, st.error, data};
    return;
  }
  slot.offset = offset;
  slot.trailer = detail::fresh_span(st.trailer);
  ++count_;
  next_ = known ? st.next : LayerType::none;
  next_data_ = next_data;
}

bool Packet::ensure(std::size_t index) const noexcept {
  while (count_ <= index && next_ != LayerType::none && !has_error_) decode_next();
  return index < count_;
}

std::span<Layer> Packet::layers() noexcept {
  ensure(kMaxLayers);
  return {layers_.data(), count_};
}

std::span<const Layer> Packet::layers() const noexcept {
  ensure(kMaxLayers);
  return {layers_.data(), count_};
}

const Layer* Packet::find(LayerType type) const noexcept {
  for (std::size_t i = 0; ensure(i); ++i)
    if (layers_[i].type() == type) return &layers_[i];
  return nullptr;
}

const Layer* Packet::first_of(LayerClass c) const noexcept {
  for (std::size_t i = 0; ensure(i); ++i)
    if (layers_[i].layer_class() == c) return &layers_[i];
  return nullptr;
}

const DecodeFailure* Packet::error() const noexcept {
  ensure(kMaxLayers);
  return has_error_ ? &failure_ : nullptr;
}

std::optional<FlowKey> Packet::flow() const noexcept {
  const auto all = layers();
  const Layer* ip = nullptr;
  for (const Layer& l : all) {
    if (l.as<Ipv4>() != nullptr || l.as<Ipv6>() != nullptr) {
      ip = &l;
    } else if (ip != nullptr) {
      const auto* v4 = ip->as<Ipv4>();
      const auto* v6 = ip->as<Ipv6>();
      if (const auto* tcp = l.as<Tcp>()) return v4 != nullptr ? FlowKey::of(*v4, *tcp) : FlowKey::of(*v6, *tcp);
      if (const auto* udp = l.as<Udp>()) return v4 != nullptr ? FlowKey::of(*v4, *udp) : FlowKey::of(*v6, *udp);
    }
  }
  for (const Layer& l : all) {
    if (const auto* v4 = l.as<Ipv4>()) return FlowKey::of(*v4);
    if (const auto* v6 = l.as<Ipv6>()) return FlowKey::of(*v6);
  }
  return std::nullopt;
}

void Packet::serialize(SerializeBuffer& buf, const SerializeOptions& options) const {
  const auto all = layers();
  // Bytes after the last decoded layer: the part that failed, or what a layer left undecoded.
  std::span<const std::byte> rest;
  if (has_error_) {
    rest = failure_.remaining;
  } else if (!all.empty()) {
    rest = all.back().payload();
  } else {
    rest = data_;
  }
  detail::serialize_stack(all, rest, buf, options);
}

}  // namespace pcapxx::layers
