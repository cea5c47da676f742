// The seeded byte writer under the generated-packet makers of the filter differential tests:
// a reproducible choice and big-endian appends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

namespace pcapxx::test {

using Bytes = std::vector<std::byte>;

class ByteMaker {
 public:
  explicit ByteMaker(std::uint32_t seed) : rng_(seed) {}

  /// A value in [0, n).
  std::uint32_t pick(std::uint32_t n) { return static_cast<std::uint32_t>(rng_() % n); }
  static void put(Bytes& b, std::initializer_list<unsigned> v) {
    for (unsigned x : v) b.push_back(static_cast<std::byte>(x));
  }
  static void put16(Bytes& b, unsigned v) { put(b, {v >> 8 & 0xff, v & 0xff}); }
  static void put32(Bytes& b, std::uint32_t v) { put(b, {v >> 24, v >> 16 & 0xff, v >> 8 & 0xff, v & 0xff}); }

 private:
  std::mt19937 rng_;
};

}  // namespace pcapxx::test
