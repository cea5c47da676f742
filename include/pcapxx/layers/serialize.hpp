// pcapxx layers: crafting. Layers are written innermost first into one buffer that grows at the
// front, so each layer sees its payload already in place when it computes lengths and
// checksums. Once the buffer is large enough, serializing allocates nothing.
//
//   SerializeBuffer buf;
//   serialize_layers(buf, {.fix_lengths = true, .compute_checksums = true}, eth, ip, tcp, payload);
//   write(buf.bytes());
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "pcapxx/layers/layer.hpp"

namespace pcapxx::layers {

struct Ipv4;
struct Ipv6;

/// A byte buffer written from the back: prepend() for headers, append() for trailers.
class SerializeBuffer {
 public:
  /// Reserves `capacity` bytes, most of it in front of the write position.
  explicit SerializeBuffer(std::size_t capacity = 4096);

  /// Empties the buffer, keeping its memory.
  void clear() noexcept;
  /// Room for n bytes in front of the current contents; allocates only when out of headroom.
  std::span<std::byte> prepend(std::size_t n);
  /// Room for n bytes after the current contents.
  std::span<std::byte> append(std::size_t n);
  /// The serialized bytes so far.
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept {
    return {storage_.data() + start_, end_ - start_};
  }
  /// The serialized bytes so far, writable (for a final fix-up).
  [[nodiscard]] std::span<std::byte> mutable_bytes() noexcept {
    return {storage_.data() + start_, end_ - start_};
  }
  [[nodiscard]] std::size_t size() const noexcept { return end_ - start_; }

 private:
  std::vector<std::byte> storage_;
  std::size_t start_ = 0;
  std::size_t end_ = 0;
};

/// How to serialize.
struct SerializeOptions {
  bool fix_lengths = false;        ///< recompute length and header-length fields, pad options
  bool compute_checksums = false;  ///< IPv4 header; TCP, UDP, ICMPv4, ICMPv6 with pseudo-headers
};

/// What a layer may need from the layers around it when it is serialized.
struct SerializeContext {
  const Ipv4* ipv4 = nullptr;  ///< nearest enclosing IPv4 layer (for pseudo-header checksums)
  const Ipv6* ipv6 = nullptr;  ///< nearest enclosing IPv6 layer; the nearer of the two wins
  bool ipv6_nearer = false;
};

namespace detail {
template <class L>
inline void note_network(SerializeContext& ctx, const L& layer) noexcept {
  if constexpr (L::kType == LayerType::ipv4) {
    ctx.ipv4 = &layer;
    ctx.ipv6_nearer = false;
  } else if constexpr (L::kType == LayerType::ipv6) {
    ctx.ipv6 = &layer;
    ctx.ipv6_nearer = true;
  }
}
}  // namespace detail

/// Serializes the given layers (outermost first) into buf, which is cleared first.
template <class... Ls>
void serialize_layers(SerializeBuffer& buf, const SerializeOptions& opts, const Ls&... ls) {
  constexpr std::size_t n = sizeof...(Ls);
  static_assert(n > 0, "serialize_layers needs at least one layer");
  SerializeContext ctxs[n + 1]{};
  {
    // Forward pass: the context of each layer is what encloses it.
    SerializeContext running{};
    std::size_t i = 0;
    ((ctxs[i++] = running, detail::note_network(running, ls)), ...);
  }
  buf.clear();
  // Backward pass: innermost first.
  const void* ptrs[n] = {static_cast<const void*>(&ls)...};
  using Fn = void (*)(const void*, SerializeBuffer&, const SerializeOptions&, const SerializeContext&);
  Fn fns[n] = {[](const void* p, SerializeBuffer& b, const SerializeOptions& o, const SerializeContext& c) {
    static_cast<const Ls*>(p)->serialize(b, o, c);
  }...};
  for (std::size_t i = n; i-- > 0;) fns[i](ptrs[i], buf, opts, ctxs[i]);
}

}  // namespace pcapxx::layers
