// GRE (RFC 2784, RFC 2890, RFC 1701 routing) and PPTP's enhanced GRE (RFC 2637 4.1).
#include "pcapxx/layers/gre.hpp"

#include "layers/checksum.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

std::uint16_t Gre::flags_and_version() const noexcept {
  return static_cast<std::uint16_t>((checksum_present ? 0x8000 : 0) | (routing_present ? 0x4000 : 0) |
                                    (key_present ? 0x2000 : 0) | (seq_present ? 0x1000 : 0) |
                                    (strict_source_route ? 0x0800 : 0) | (recursion & 7) << 8 |
                                    (ack_present ? 0x80 : 0) | (flags & 0x0f) << 3 | (version & 7));
}

std::size_t Gre::header_length() const noexcept {
  return 4 + ((checksum_present || routing_present) ? 4 : 0) + (key_present ? 4 : 0) + (seq_present ? 4 : 0) +
         (ack_present ? 4 : 0) + routing.size();
}

bool Gre::checksum_ok() const noexcept {
  if (!checksum_present) return true;
  return checksum_finish(checksum_add(payload, checksum_add(contents, 0))) == 0;
}

DecodeStatus Gre::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < 4) return failed("truncated header: needs 4 bytes");
  const std::uint16_t fv = load_be16(data.data());
  checksum_present = fv & 0x8000;
  routing_present = fv & 0x4000;
  key_present = fv & 0x2000;
  seq_present = fv & 0x1000;
  strict_source_route = fv & 0x0800;
  recursion = (fv >> 8) & 7;
  ack_present = fv & 0x80;
  flags = (fv >> 3) & 0x0f;
  version = fv & 7;
  protocol = load_be16(data.data() + 2);
  checksum = offset = 0;
  key = seq = ack = 0;
  routing = {};
  std::size_t at = 4;
  auto word = [&](std::uint32_t& out) -> bool {
    if (data.size() - at < 4) return false;
    out = load_be32(data.data() + at);
    at += 4;
    return true;
  };
  std::uint32_t w = 0;
  if (checksum_present || routing_present) {
    if (!word(w)) return failed("truncated checksum field", at);
    checksum = static_cast<std::uint16_t>(w >> 16);
    offset = static_cast<std::uint16_t>(w);
  }
  if (key_present && !word(key)) return failed("truncated key field", at);
  if (seq_present && !word(seq)) return failed("truncated sequence number field", at);
  if (ack_present && !word(ack)) return failed("truncated acknowledgment number field", at);
  if (routing_present) {
    // RFC 1701: source route entries (address family, offset, length, data) end with a
    // null entry of family 0 and length 0.
    const std::size_t start = at;
    for (;;) {
      if (data.size() - at < 4) return failed("truncated source route entry", at);
      const std::uint16_t family = load_be16(data.data() + at);
      const std::size_t len = u8(data[at + 3]);
      if (data.size() - at - 4 < len) return failed("source route entry runs past the packet", at);
      at += 4 + len;
      if (family == 0 && len == 0) break;
    }
    routing = data.subspan(start, at - start);
  }
  contents = data.first(at);
  payload = data.subspan(at);
  return next_layer(ctx.registry.ethertype(protocol), payload);
}

void Gre::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t hl = header_length();
  auto h = buf.prepend(hl);
  store_be16(h.data(), flags_and_version());
  store_be16(h.data() + 2, protocol);
  std::size_t at = 4;
  std::size_t checksum_at = 0;
  if (checksum_present || routing_present) {
    checksum_at = at;
    store_be16(h.data() + at, opts.compute_checksums && checksum_present ? 0 : checksum);
    store_be16(h.data() + at + 2, offset);
    at += 4;
  }
  if (key_present) store_be32(h.data() + (at += 4) - 4, key);
  if (seq_present) store_be32(h.data() + (at += 4) - 4, seq);
  if (ack_present) store_be32(h.data() + (at += 4) - 4, ack);
  copy_out(h.data() + at, routing);
  if (opts.compute_checksums && checksum_present) {
    // RFC 2784 2.5: over the GRE header and its payload.
    const auto all = buf.mutable_bytes();
    store_be16(all.data() + checksum_at, checksum_finish(checksum_add(all, 0)));
  }
}

}  // namespace pcapxx::layers
