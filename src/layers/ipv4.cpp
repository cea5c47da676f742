// IPv4 (RFC 791).
#include "pcapxx/layers/ipv4.hpp"

#include <algorithm>

#include "layers/checksum.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Ipv4::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < 20) return failed("truncated header: needs 20 bytes");
  const std::uint8_t vihl = u8(data[0]);
  version = vihl >> 4;
  ihl = vihl & 0x0f;
  if (version != 4) return failed("version is not 4");
  if (ihl < 5) return failed("header length field is below 5 (20 bytes)");
  const std::size_t hl = header_length();
  if (data.size() < hl) return failed("truncated options", 20);
  tos = u8(data[1]);
  total_length = load_be16(data.data() + 2);
  id = load_be16(data.data() + 4);
  const std::uint16_t ff = load_be16(data.data() + 6);
  flags = static_cast<std::uint8_t>(ff >> 13);
  fragment_offset = ff & 0x1fff;
  ttl = u8(data[8]);
  protocol = u8(data[9]);
  checksum = load_be16(data.data() + 10);
  copy_in(src.bytes, data.data() + 12);
  copy_in(dst.bytes, data.data() + 16);
  options = data.subspan(20, hl - 20);
  contents = data.first(hl);
  // A total length of 0 is what TCP segmentation offload leaves in captures of sent packets:
  // the packet is what was captured.
  std::size_t end = total_length == 0 ? data.size() : total_length;
  if (end < hl) return failed("total length is less than the header length", 2);
  DecodeStatus s;
  if (end < data.size()) {
    s.trailer = data.subspan(end);
  } else {
    end = data.size();  // short capture (snaplen): decode what is there
  }
  payload = data.subspan(hl, end - hl);
  const LayerType next = fragment_offset != 0 ? LayerType::payload : ctx.registry.ip_protocol(protocol);
  const DecodeStatus n = next_layer(next, payload);
  s.next = n.next;
  return s;
}

bool Ipv4::checksum_ok() const noexcept {
  return contents.size() >= 20 && checksum_finish(checksum_add(contents, 0)) == 0;
}

void Ipv4::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t pad = opts.fix_lengths ? (4 - options.size() % 4) % 4 : 0;
  const std::size_t hl = 20 + options.size() + pad;
  auto h = buf.prepend(hl);
  const std::uint8_t hdr_words = opts.fix_lengths ? static_cast<std::uint8_t>(hl / 4) : ihl;
  h[0] = std::byte{static_cast<std::uint8_t>(version << 4 | (hdr_words & 0x0f))};
  h[1] = std::byte{tos};
  store_be16(h.data() + 2, opts.fix_lengths ? static_cast<std::uint16_t>(std::min<std::size_t>(buf.size(), 0xffff))
                                            : total_length);
  store_be16(h.data() + 4, id);
  store_be16(h.data() + 6, static_cast<std::uint16_t>((flags & 7) << 13 | (fragment_offset & 0x1fff)));
  h[8] = std::byte{ttl};
  h[9] = std::byte{protocol};
  store_be16(h.data() + 10, opts.compute_checksums ? 0 : checksum);
  copy_out(h.data() + 12, src.bytes);
  copy_out(h.data() + 16, dst.bytes);
  copy_out(h.data() + 20, options);
  for (std::size_t i = 0; i < pad; ++i) h[20 + options.size() + i] = std::byte{0};  // End of Option List
  if (opts.compute_checksums) store_be16(h.data() + 10, checksum_finish(checksum_add(h, 0)));
}

}  // namespace pcapxx::layers
