// Ethernet II / 802.3 framing.
#include "pcapxx/layers/ethernet.hpp"

#include <algorithm>

#include "layers/wire.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

namespace {
// The type/length field after a MAC header or VLAN tag: an EtherType names the next layer, a
// length of 1500 or less bounds the 802.3 payload, an LLC header (llc.cpp).
DecodeStatus after_type_or_length(std::uint16_t type_or_length, std::span<const std::byte>& payload,
                                  const DecodeContext& ctx) noexcept {
  if (type_or_length <= 1500) {
    DecodeStatus s;
    if (type_or_length < payload.size()) {
      s.trailer = payload.subspan(type_or_length);
      payload = payload.first(type_or_length);
    }
    // An 802.2 LLC header follows, except in Novell's "raw 802.3" (IPX starting 0xffff).
    const bool raw_ipx = payload.size() >= 2 && u8(payload[0]) == 0xff && u8(payload[1]) == 0xff;
    s.next = payload.empty() ? LayerType::none : raw_ipx ? LayerType::payload : LayerType::llc;
    return s;
  }
  return next_layer(ctx.registry.ethertype(type_or_length), payload);
}
}  // namespace

DecodeStatus decode_type_or_length(std::uint16_t type_or_length, std::span<const std::byte>& payload,
                                   const DecodeContext& ctx) noexcept {
  return after_type_or_length(type_or_length, payload, ctx);
}

DecodeStatus Ethernet::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 14 bytes");
  copy_in(dst.bytes, data.data());
  copy_in(src.bytes, data.data() + 6);
  ethertype = load_be16(data.data() + 12);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  return after_type_or_length(ethertype, payload, ctx);
}

void Ethernet::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  std::uint16_t type = ethertype;
  if (opts.fix_lengths && is_802_3_length()) type = static_cast<std::uint16_t>(std::min<std::size_t>(buf.size(), 1500));
  auto h = buf.prepend(kHeaderLength);
  copy_out(h.data(), dst.bytes);
  copy_out(h.data() + 6, src.bytes);
  store_be16(h.data() + 12, type);
}

}  // namespace pcapxx::layers
