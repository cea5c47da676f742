// UDP (RFC 768).
#include "pcapxx/layers/udp.hpp"

#include <algorithm>

#include "layers/checksum.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Udp::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 8 bytes");
  src_port = load_be16(data.data());
  dst_port = load_be16(data.data() + 2);
  length = load_be16(data.data() + 4);
  checksum = load_be16(data.data() + 6);
  if (length < kHeaderLength) return failed("length is below 8", 4);
  contents = data.first(kHeaderLength);
  DecodeStatus s;
  std::size_t end = data.size();
  if (length < data.size()) {
    end = length;
    s.trailer = data.subspan(end);
  }
  payload = data.subspan(kHeaderLength, end - kHeaderLength);
  s.next = next_layer(ctx.registry.port(PortProtocol::udp, src_port, dst_port), payload).next;
  return s;
}

void Udp::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const {
  auto h = buf.prepend(kHeaderLength);
  const std::size_t total = buf.size();
  store_be16(h.data(), src_port);
  store_be16(h.data() + 2, dst_port);
  store_be16(h.data() + 4, opts.fix_lengths ? static_cast<std::uint16_t>(std::min<std::size_t>(total, 0xffff)) : length);
  store_be16(h.data() + 6, opts.compute_checksums ? 0 : checksum);
  if (opts.compute_checksums) {
    const auto all = buf.mutable_bytes();
    const std::uint64_t sum = pseudo_header_sum(ctx, 17, static_cast<std::uint32_t>(all.size()));
    std::uint16_t c = checksum_finish(checksum_add(all, sum));
    if (c == 0) c = 0xffff;  // RFC 768: a computed zero is sent as all ones
    store_be16(h.data() + 6, c);
  }
}

}  // namespace pcapxx::layers
