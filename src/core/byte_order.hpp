// Explicit byte-order loads and stores for wire and file formats. Never cast packet or file
// memory to a struct: savefile records are not aligned.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pcapxx::detail {

template <class T>
inline T load_raw(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
inline T load(const std::byte* p, bool swapped) noexcept {
  T v = load_raw<T>(p);
  return swapped ? std::byteswap(v) : v;
}

inline std::uint16_t load_be16(const std::byte* p) noexcept {
  return std::endian::native == std::endian::big ? load_raw<std::uint16_t>(p)
                                                 : std::byteswap(load_raw<std::uint16_t>(p));
}
inline std::uint32_t load_be32(const std::byte* p) noexcept {
  return std::endian::native == std::endian::big ? load_raw<std::uint32_t>(p)
                                                 : std::byteswap(load_raw<std::uint32_t>(p));
}
inline std::uint16_t load_le16(const std::byte* p) noexcept {
  return std::endian::native == std::endian::little ? load_raw<std::uint16_t>(p)
                                                    : std::byteswap(load_raw<std::uint16_t>(p));
}
inline std::uint32_t load_le32(const std::byte* p) noexcept {
  return std::endian::native == std::endian::little ? load_raw<std::uint32_t>(p)
                                                    : std::byteswap(load_raw<std::uint32_t>(p));
}

template <class T>
inline void store_raw(std::byte* p, T v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

inline void store_be16(std::byte* p, std::uint16_t v) noexcept {
  store_raw(p, std::endian::native == std::endian::big ? v : std::byteswap(v));
}
inline void store_be32(std::byte* p, std::uint32_t v) noexcept {
  store_raw(p, std::endian::native == std::endian::big ? v : std::byteswap(v));
}

}  // namespace pcapxx::detail
