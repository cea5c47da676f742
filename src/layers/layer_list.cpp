// Editing decoded packets: a list of layers with insert / remove that keep the protocol chain
// consistent, and the one serializer of a layer stack (Packet::serialize uses it too).
#include "pcapxx/layers/layer_list.hpp"

#include <cstring>

#include <fmt/format.h>

namespace pcapxx::layers {

namespace {

// The number spaces in which a layer names the layer after it.
enum class Space : std::uint8_t { none, ethertype, ip, ppp };

// Which space a layer's "next protocol" field belongs to.
Space space_of(const AnyLayer& l) noexcept {
  return std::visit(
      [](const auto& x) -> Space {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Ethernet> || std::is_same_v<T, Dot1Q> || std::is_same_v<T, Gre> ||
                      std::is_same_v<T, Geneve> || std::is_same_v<T, LinuxSll> || std::is_same_v<T, LinuxSll2>) {
          return Space::ethertype;
        } else if constexpr (std::is_same_v<T, Snap>) {
          return x.oui == 0 ? Space::ethertype : Space::none;  // RFC 1042: OUI 0 carries an EtherType
        } else if constexpr (std::is_same_v<T, Ipv4> || std::is_same_v<T, Ipv6> ||
                             std::is_same_v<T, Ipv6HopByHop> || std::is_same_v<T, Ipv6Destination> ||
                             std::is_same_v<T, Ipv6Routing> || std::is_same_v<T, Ipv6Fragment> ||
                             std::is_same_v<T, IpsecAh>) {
          return Space::ip;
        } else if constexpr (std::is_same_v<T, Ppp>) {
          return Space::ppp;
        } else {
          return Space::none;
        }
      },
      l);
}

// The layer's "next protocol" field.
std::uint16_t* field_of(AnyLayer& l) noexcept {
  return std::visit(
      [](auto& x) -> std::uint16_t* {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Ethernet> || std::is_same_v<T, Dot1Q>) {
          return &x.ethertype;
        } else if constexpr (std::is_same_v<T, Gre> || std::is_same_v<T, Geneve> || std::is_same_v<T, LinuxSll> ||
                             std::is_same_v<T, LinuxSll2> || std::is_same_v<T, Snap> || std::is_same_v<T, Ppp>) {
          return &x.protocol;
        } else {
          return nullptr;
        }
      },
      l);
}

// IP protocol fields are one byte.
std::optional<std::uint16_t> get_field(AnyLayer& l) noexcept {
  if (auto* f = field_of(l)) return *f;
  return std::visit(
      [](auto& x) -> std::optional<std::uint16_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Ipv4>) {
          return x.protocol;
        } else if constexpr (std::is_same_v<T, Ipv6> || std::is_same_v<T, Ipv6HopByHop> ||
                             std::is_same_v<T, Ipv6Destination> || std::is_same_v<T, Ipv6Routing> ||
                             std::is_same_v<T, Ipv6Fragment> || std::is_same_v<T, IpsecAh>) {
          return x.next_header;
        } else {
          return std::nullopt;
        }
      },
      l);
}

void set_field(AnyLayer& l, std::uint16_t v) noexcept {
  if (auto* f = field_of(l)) {
    *f = v;
    return;
  }
  std::visit(
      [v](auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, Ipv4>) {
          x.protocol = static_cast<std::uint8_t>(v);
        } else if constexpr (std::is_same_v<T, Ipv6> || std::is_same_v<T, Ipv6HopByHop> ||
                             std::is_same_v<T, Ipv6Destination> || std::is_same_v<T, Ipv6Routing> ||
                             std::is_same_v<T, Ipv6Fragment> || std::is_same_v<T, IpsecAh>) {
          x.next_header = static_cast<std::uint8_t>(v);
        }
      },
      l);
}

// The number that names layer l in a space (IEEE EtherTypes, IANA protocol numbers, RFC 1661
// PPP protocols), or nullopt.
std::optional<std::uint16_t> number_of(Space space, const AnyLayer& l) noexcept {
  const LayerType t = std::visit(
      [](const auto& x) -> LayerType {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate> || std::is_same_v<T, CustomLayer>) {
          return LayerType::none;
        } else {
          return T::kType;
        }
      },
      l);
  switch (space) {
    case Space::ethertype:
      switch (t) {
        case LayerType::ipv4: return 0x0800;
        case LayerType::ipv6: return 0x86dd;
        case LayerType::arp: return 0x0806;
        case LayerType::dot1q: return 0x8100;
        case LayerType::mpls: return 0x8847;
        case LayerType::pppoe: return std::get<Pppoe>(l).is_discovery() ? 0x8863 : 0x8864;
        case LayerType::ethernet: return 0x6558;
        case LayerType::ppp: return 0x880b;
        default: return std::nullopt;
      }
    case Space::ip:
      switch (t) {
        case LayerType::ipv6_hop_by_hop: return 0;
        case LayerType::icmpv4: return 1;
        case LayerType::igmp: return 2;
        case LayerType::ipv4: return 4;
        case LayerType::tcp: return 6;
        case LayerType::udp: return 17;
        case LayerType::ipv6: return 41;
        case LayerType::ipv6_routing: return 43;
        case LayerType::ipv6_fragment: return 44;
        case LayerType::gre: return 47;
        case LayerType::ipsec_esp: return 50;
        case LayerType::ipsec_ah: return 51;
        case LayerType::icmpv6: return 58;
        case LayerType::ipv6_destination: return 60;
        case LayerType::sctp: return 132;
        default: return std::nullopt;
      }
    case Space::ppp:
      switch (t) {
        case LayerType::ipv4: return 0x0021;
        case LayerType::ipv6: return 0x0057;
        case LayerType::mpls: return 0x0281;
        default: return std::nullopt;
      }
    case Space::none: break;
  }
  return std::nullopt;
}

bool is_vlan_tpid(std::uint16_t v) noexcept { return v == 0x8100 || v == 0x88a8 || v == 0x9100; }

// Points `from`'s next-protocol field at `to`; false when `to` has no number in that space.
bool link(AnyLayer& from, const AnyLayer& to) noexcept {
  const Space s = space_of(from);
  if (s == Space::none) return false;
  const auto n = number_of(s, to);
  if (!n) return false;
  // A tag after a tag: keep the TPID the field has (802.1ad 0x88a8 outer, 0x8100 inner).
  if (std::holds_alternative<Dot1Q>(to) && is_vlan_tpid(get_field(from).value_or(0))) return true;
  set_field(from, *n);
  return true;
}

}  // namespace

namespace detail {

void serialize_stack(std::span<const Layer> layers, std::span<const std::byte> tail, SerializeBuffer& buf,
                     const SerializeOptions& options) {
  SerializeContext ctxs[Packet::kMaxLayers + 1]{};
  SerializeContext running{};
  for (std::size_t i = 0; i < layers.size() && i < Packet::kMaxLayers; ++i) {
    ctxs[i] = running;
    if (const auto* v4 = layers[i].as<Ipv4>()) note_network(running, *v4);
    if (const auto* v6 = layers[i].as<Ipv6>()) note_network(running, *v6);
  }
  buf.clear();
  if (!tail.empty()) std::memcpy(buf.prepend(tail.size()).data(), tail.data(), tail.size());
  for (std::size_t i = layers.size(); i-- > 0;) {
    std::visit(
        [&](const auto& l) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(l)>, std::monostate>) l.serialize(buf, options, ctxs[i]);
        },
        layers[i].value);
    const auto trailer = layers[i].trailer;
    if (!trailer.empty()) std::memcpy(buf.append(trailer.size()).data(), trailer.data(), trailer.size());
  }
}

}  // namespace detail

void LayerList::assign(const Packet& packet) noexcept {
  const auto all = packet.layers();
  for (std::size_t i = all.size(); i < count_; ++i) layers_[i] = Layer{};
  count_ = 0;
  for (const Layer& l : all) layers_[count_++] = l;
  // Bytes after the last decoded layer: the part that failed, or what a layer left undecoded.
  if (const auto* f = packet.error()) {
    tail_ = f->remaining;
  } else if (!all.empty()) {
    tail_ = all.back().payload();
  } else {
    tail_ = packet.data();
  }
}

std::optional<std::size_t> LayerList::index_of(LayerType type, std::size_t from) const noexcept {
  for (std::size_t i = from; i < count_; ++i)
    if (layers_[i].type() == type) return i;
  return std::nullopt;
}

std::unexpected<Error> LayerList::missing(LayerType type) {
  return fail(Errc::not_found, fmt::format("layer list: no {} layer", layer_name(type)));
}

Result<void> LayerList::insert(std::size_t at, AnyLayer layer) {
  if (std::holds_alternative<std::monostate>(layer))
    return fail(Errc::invalid_argument, fmt::format("layer list: insert at {}: the layer is empty", at));
  if (at > count_)
    return fail(Errc::invalid_argument,
                fmt::format("layer list: insert at {}: past the end of {} layers", at, count_));
  if (count_ == kMaxLayers)
    return fail(Errc::invalid_argument,
                fmt::format("layer list: insert at {}: the list is full ({} layers)", at, kMaxLayers));
  // The value the layer before had: the new layer passes it on when its successor has no number.
  // (A flag and a value rather than an optional: GCC 12 warns maybe-uninitialized on the latter.)
  bool carry = false;
  std::uint16_t carried = 0;
  if (at > 0) {
    AnyLayer& prev = layers_[at - 1].value;
    const auto old = get_field(prev);
    const Space prev_space = space_of(prev);
    carry = old.has_value() && link(prev, layer) && space_of(layer) == prev_space;
    carried = old.value_or(0);
  }
  const bool linked = at < count_ && link(layer, layers_[at].value);
  if (!linked && carry) set_field(layer, carried);
  for (std::size_t i = count_; i > at; --i) layers_[i] = layers_[i - 1];
  layers_[at] = Layer{std::move(layer), 0, {}};
  ++count_;
  return {};
}

Result<void> LayerList::remove(std::size_t at) {
  if (at >= count_)
    return fail(Errc::invalid_argument, fmt::format("layer list: remove {}: there are {} layers", at, count_));
  if (at > 0) {
    AnyLayer& prev = layers_[at - 1].value;
    AnyLayer& gone = layers_[at].value;
    // A removed layer of the same number space (a VLAN tag's inner EtherType, an extension
    // header's next header) named what now follows prev: prev takes its value. Otherwise prev
    // is pointed at the new neighbour.
    const auto v = get_field(gone);
    if (v && space_of(gone) == space_of(prev)) {
      set_field(prev, *v);
    } else if (at + 1 < count_) {
      link(prev, layers_[at + 1].value);
    }
  }
  for (std::size_t i = at; i + 1 < count_; ++i) layers_[i] = layers_[i + 1];
  layers_[--count_] = Layer{};
  return {};
}

void LayerList::set_payload(std::span<const std::byte> bytes) noexcept {
  std::optional<std::size_t> keep;
  for (LayerClass c : {LayerClass::transport, LayerClass::control}) {
    for (std::size_t i = count_; i-- > 0 && !keep;)
      if (layers_[i].layer_class() == c) keep = i;
    if (keep) break;
  }
  if (!keep)
    for (std::size_t i = count_; i-- > 0 && !keep;)
      if (layers_[i].layer_class() != LayerClass::application) keep = i;
  const std::size_t n = keep ? *keep + 1 : 0;
  for (std::size_t i = n; i < count_; ++i) layers_[i] = Layer{};
  count_ = n;
  tail_ = {};
  if (!bytes.empty()) {
    Payload p;
    p.contents = bytes;
    layers_[count_++] = Layer{AnyLayer(std::in_place_type<Payload>, p), 0, {}};
  }
}

void LayerList::serialize(SerializeBuffer& buf, const SerializeOptions& options) const {
  detail::serialize_stack(layers(), tail_, buf, options);
}

}  // namespace pcapxx::layers
