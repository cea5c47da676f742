// Small helpers every layer's decode and serialize use. Internal to the layers module.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "core/byte_order.hpp"
#include "pcapxx/layers/layer.hpp"

namespace pcapxx::layers::detail {

using pcapxx::detail::load_be16;
using pcapxx::detail::load_be32;
using pcapxx::detail::store_be16;
using pcapxx::detail::store_be32;

inline std::uint8_t u8(std::byte b) noexcept { return std::to_integer<std::uint8_t>(b); }

/// A failed decode: `why` is static text, `at` the offset within the layer's input.
inline DecodeStatus failed(const char* why, std::size_t at = 0) noexcept {
  DecodeStatus s;
  s.error = why;
  s.error_offset = static_cast<std::uint32_t>(at);
  return s;
}

/// A successful decode naming the next layer; payload-less "payload" means no next layer.
inline DecodeStatus next_layer(LayerType next, std::span<const std::byte> payload) noexcept {
  DecodeStatus s;
  s.next = (next == LayerType::payload && payload.empty()) ? LayerType::none : next;
  return s;
}

template <std::size_t N>
inline void copy_in(std::array<std::uint8_t, N>& to, const std::byte* from) noexcept {
  std::memcpy(to.data(), from, N);
}
template <std::size_t N>
inline void copy_out(std::byte* to, const std::array<std::uint8_t, N>& from) noexcept {
  std::memcpy(to, from.data(), N);
}
inline void copy_out(std::byte* to, std::span<const std::byte> from) noexcept {
  if (!from.empty()) std::memcpy(to, from.data(), from.size());
}

}  // namespace pcapxx::layers::detail
