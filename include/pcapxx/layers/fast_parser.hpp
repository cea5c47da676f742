// pcapxx layers: the zero-allocation parser for a known set of layers, in the spirit of
// gopacket's DecodingLayerParser. It owns one preallocated object per layer type and
// overwrites it on every packet; it reports which layer types it decoded, in order.
//
//   FastParser<Ethernet, Dot1Q, Ipv4, Ipv6, Tcp, Udp, Payload> parser(LayerType::ethernet);
//   DecodedLayers decoded;
//   auto r = parser.decode(bytes, decoded);
//   if (decoded.contains(LayerType::tcp)) use(parser.get<Tcp>().dst_port);
//
// A layer type that occurs twice (stacked VLAN tags, tunnels) is decoded into the same object:
// only the innermost one stays readable, as in gopacket; the Packet class keeps them all.
// No virtual calls and no allocation per packet.
#pragma once

#include <array>
#include <tuple>

#include "pcapxx/layers/custom.hpp"
#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

/// The layer types one decode() produced, in order.
struct DecodedLayers {
  static constexpr std::size_t kCapacity = 24;
  std::array<LayerType, kCapacity> types{};
  std::size_t size = 0;

  [[nodiscard]] bool contains(LayerType t) const noexcept {
    for (std::size_t i = 0; i < size; ++i)
      if (types[i] == t) return true;
    return false;
  }
  [[nodiscard]] const LayerType* begin() const noexcept { return types.data(); }
  [[nodiscard]] const LayerType* end() const noexcept { return types.data() + size; }
};

/// Why FastParser::decode stopped.
enum class FastStop : std::uint8_t {
  complete,         ///< the last layer named no next layer
  unsupported,      ///< the next layer's type is not in the parser's set (see next_type)
  error,            ///< a layer failed (see failure)
  too_many_layers,  ///< more than DecodedLayers::kCapacity layers
};

/// The outcome of FastParser::decode.
struct FastResult {
  FastStop stop = FastStop::complete;
  LayerType next_type = LayerType::none;  ///< the type that was not supported
  DecodeFailure failure;                  ///< when stop == error
  std::span<const std::byte> remaining;   ///< bytes not decoded
  [[nodiscard]] bool ok() const noexcept { return stop == FastStop::complete; }
};

/// The raw-IP pseudo type resolved by the version nibble (none when neither 4 nor 6).
inline LayerType resolve_raw_ip(std::span<const std::byte> data) noexcept {
  if (data.empty()) return LayerType::none;
  switch (std::to_integer<std::uint8_t>(data[0]) >> 4) {
    case 4: return LayerType::ipv4;
    case 6: return LayerType::ipv6;
    default: return LayerType::none;
  }
}

/// Decodes packets into a fixed set of preallocated layers.
template <class... Ls>
class FastParser {
 public:
  /// A parser whose packets start with `first` (for example Registry::link_type(link)).
  explicit FastParser(LayerType first, const Registry& registry = Registry::builtin()) noexcept
      : first_(first), registry_(&registry) {}

  /// Decodes data; layer objects stay valid (and keep viewing data) until the next call.
  FastResult decode(std::span<const std::byte> data, DecodedLayers& out) noexcept {
    out.size = 0;
    const DecodeContext ctx{*registry_};
    std::span<const std::byte> rest = data;
    LayerType t = first_;
    while (t != LayerType::none) {
      if (t == LayerType::raw_ip) {
        t = resolve_raw_ip(rest);
        if (t == LayerType::none)
          return fail(LayerType::raw_ip, data, rest, "raw IP: version nibble is neither 4 nor 6", 0);
      }
      if (out.size == DecodedLayers::kCapacity) return {FastStop::too_many_layers, t, {}, rest};
      DecodeStatus st;
      std::span<const std::byte> next;
      if (!(try_layer<Ls>(t, rest, ctx, st, next) || ...)) return {FastStop::unsupported, t, {}, rest};
      if (!st.ok()) return fail(t, data, rest, st.error, st.error_offset);
      out.types[out.size++] = t;
      rest = next;
      t = st.next;
    }
    return {FastStop::complete, LayerType::none, {}, rest};
  }

  /// The preallocated object of a layer type in the set.
  template <class T>
  [[nodiscard]] T& get() noexcept {
    return std::get<T>(layers_);
  }
  template <class T>
  [[nodiscard]] const T& get() const noexcept {
    return std::get<T>(layers_);
  }

 private:
  static FastResult fail(LayerType t, std::span<const std::byte> all, std::span<const std::byte> rest,
                         const char* why, std::uint32_t at) noexcept {
    FastResult r{FastStop::error, LayerType::none, {}, rest};
    r.failure = DecodeFailure{t, static_cast<std::uint32_t>(rest.data() - all.data()) + at, why, rest};
    return r;
  }

  template <class L>
  bool try_layer(LayerType t, std::span<const std::byte> data, const DecodeContext& ctx, DecodeStatus& st,
                 std::span<const std::byte>& next) noexcept {
    if constexpr (std::is_same_v<L, CustomLayer>) {
      if (static_cast<std::uint16_t>(t) < static_cast<std::uint16_t>(LayerType::kFirstCustom)) return false;
      std::get<L>(layers_).type = t;
    } else {
      if (t != L::kType) return false;
    }
    L& layer = std::get<L>(layers_);
    st = layer.decode(data, ctx);
    next = detail::fresh_span(layer.payload);
    return true;
  }

  std::tuple<Ls...> layers_{};
  LayerType first_;
  const Registry* registry_;
};

}  // namespace pcapxx::layers
