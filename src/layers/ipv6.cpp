// IPv6 (RFC 8200 section 3).
#include "pcapxx/layers/ipv6.hpp"

#include <algorithm>

#include "layers/wire.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Ipv6::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 40 bytes");
  const std::uint32_t w = load_be32(data.data());
  version = static_cast<std::uint8_t>(w >> 28);
  if (version != 6) return failed("version is not 6");
  traffic_class = static_cast<std::uint8_t>(w >> 20);
  flow_label = w & 0xfffff;
  payload_length = load_be16(data.data() + 4);
  next_header = u8(data[6]);
  hop_limit = u8(data[7]);
  copy_in(src.bytes, data.data() + 8);
  copy_in(dst.bytes, data.data() + 24);
  contents = data.first(kHeaderLength);
  DecodeStatus s;
  std::size_t end = data.size();
  // Payload length 0 is a jumbogram (RFC 2675) or TSO: take what was captured.
  if (payload_length != 0 && kHeaderLength + payload_length < data.size()) {
    end = kHeaderLength + payload_length;
    s.trailer = data.subspan(end);
  }
  payload = data.subspan(kHeaderLength, end - kHeaderLength);
  s.next = next_layer(ctx.registry.ip_protocol(next_header), payload).next;
  return s;
}

void Ipv6::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t plen = buf.size();
  auto h = buf.prepend(kHeaderLength);
  store_be32(h.data(), static_cast<std::uint32_t>(version & 0x0f) << 28 | std::uint32_t{traffic_class} << 20 |
                           (flow_label & 0xfffff));
  store_be16(h.data() + 4, opts.fix_lengths ? static_cast<std::uint16_t>(std::min<std::size_t>(plen, 0xffff))
                                            : payload_length);
  h[6] = std::byte{next_header};
  h[7] = std::byte{hop_limit};
  copy_out(h.data() + 8, src.bytes);
  copy_out(h.data() + 24, dst.bytes);
}

}  // namespace pcapxx::layers
