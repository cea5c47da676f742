// pxdump printers: tcpdump's per-connection state for relative TCP sequence numbers. The first
// ACK-carrying segment of a connection (or any SYN) records the base sequence and
// acknowledgment numbers; later segments print their numbers relative to those (unless -S).
// One entry per connection, both directions share it; allocation happens only for a new one.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <unordered_map>

namespace pxdump::printers {

class TcpSequenceTable {
 public:
  struct Key {
    std::array<std::uint8_t, 16> lo{};  ///< the smaller address (memcmp order)
    std::array<std::uint8_t, 16> hi{};
    std::uint32_t ports = 0;            ///< port of lo << 16 | port of hi
    std::uint8_t family = 4;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Bases {
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      std::uint64_t h = 1469598103934665603ull;
      auto mix = [&](const std::uint8_t* p, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
      };
      mix(k.lo.data(), 16);
      mix(k.hi.data(), 16);
      h ^= k.ports;
      h *= 1099511628211ull;
      return static_cast<std::size_t>(h ^ k.family);
    }
  };
  /// The entry of a connection; `created` tells whether it is new.
  Bases& find(const Key& key, bool& created) {
    auto [it, inserted] = table_.try_emplace(key);
    created = inserted;
    return it->second;
  }

 private:
  std::unordered_map<Key, Bases, KeyHash> table_;
};

}  // namespace pxdump::printers
