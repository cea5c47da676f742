// MPLS label stack (RFC 3032).
#include "pcapxx/layers/mpls.hpp"

#include "layers/wire.hpp"
#include "pcapxx/layers/fast_parser.hpp"

namespace pcapxx::layers {

using namespace detail;

bool Mpls::push(const MplsEntry& e) noexcept {
  if (count == kMaxEntries) return false;
  words[count++] = e.word();
  return true;
}

namespace {
// RFC 3032 2.1: the bottom-of-stack bit is set on the last entry and on no other.
void mark_bottom(std::array<std::uint32_t, Mpls::kMaxEntries>& words, std::size_t count) noexcept {
  for (std::size_t i = 0; i < count; ++i) words[i] = i + 1 == count ? (words[i] | 0x100u) : (words[i] & ~0x100u);
}
}  // namespace

bool Mpls::insert(std::size_t at, const MplsEntry& e) noexcept {
  if (count == kMaxEntries || at > count) return false;
  for (std::size_t i = count; i > at; --i) words[i] = words[i - 1];
  words[at] = e.word();
  mark_bottom(words, ++count);
  return true;
}

bool Mpls::erase(std::size_t at) noexcept {
  if (at >= count || count == 1) return false;
  for (std::size_t i = at; i + 1 < count; ++i) words[i] = words[i + 1];
  mark_bottom(words, --count);
  return true;
}

DecodeStatus Mpls::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  count = 0;
  std::size_t at = 0;
  for (;;) {
    if (data.size() < at + 4) return failed("truncated label stack entry: needs 4 bytes", at);
    if (count == kMaxEntries) return failed("label stack deeper than 8 entries", at);
    const std::uint32_t w = load_be32(data.data() + at);
    words[count++] = w;
    at += 4;
    if ((w >> 8) & 1) break;  // bottom of stack
  }
  contents = data.first(at);
  payload = data.subspan(at);
  // RFC 3032 has no payload type: the IP version nibble tells IPv4 from IPv6.
  const LayerType ip = resolve_raw_ip(payload);
  return next_layer(ip == LayerType::none ? LayerType::payload : ip, payload);
}

void Mpls::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(std::size_t{count} * 4);
  for (std::size_t i = 0; i < count; ++i) store_be32(h.data() + 4 * i, words[i]);
}

}  // namespace pcapxx::layers
