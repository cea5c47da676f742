// IGMP v1/v2/v3 (RFC 1112, RFC 2236, RFC 3376).
#include "pcapxx/layers/igmp.hpp"

#include "layers/checksum.hpp"

namespace pcapxx::layers {

using namespace detail;

std::uint8_t Igmp::version() const noexcept {
  switch (type) {
    case 0x11: return v3 ? 3 : (max_resp_code == 0 ? 1 : 2);
    case 0x12: return 1;
    case 0x16: case 0x17: return 2;
    case 0x22: return 3;
    default: return 0;
  }
}

DecodeStatus Igmp::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < 8) return failed("truncated message: needs 8 bytes");
  type = u8(data[0]);
  max_resp_code = u8(data[1]);
  checksum = load_be16(data.data() + 2);
  flags = 0;
  qqic = 0;
  source_count = 0;
  sources = {};
  v3 = false;
  std::size_t len = 8;
  if (type == 0x22) {
    // RFC 3376 4.2: reserved (2 bytes), number of group records; the records are walked by
    // IgmpReader, so here only their total length is found and checked.
    v3 = true;
    group = {};
    reserved = load_be16(data.data() + 4);
    source_count = load_be16(data.data() + 6);
    std::size_t at = 8;
    for (std::uint32_t i = 0; i < source_count; ++i) {
      if (data.size() - at < 8) return failed("truncated group record", at);
      const std::size_t rec = 8 + std::size_t{u8(data[at + 1])} * 4 + std::size_t{load_be16(data.data() + at + 2)} * 4;
      if (data.size() - at < rec) return failed("group record runs past the message", at);
      at += rec;
    }
    sources = data.subspan(8, at - 8);
    len = at;
  } else {
    copy_in(group.bytes, data.data() + 4);
    if (type == 0x11 && data.size() >= 12) {  // IGMPv3 query (RFC 3376 7.1)
      v3 = true;
      flags = u8(data[8]);
      qqic = u8(data[9]);
      source_count = load_be16(data.data() + 10);
      const std::size_t n = std::size_t{source_count} * 4;
      if (data.size() - 12 < n) return failed("source list runs past the message", 12);
      sources = data.subspan(12, n);
      len = 12 + n;
    }
  }
  contents = data.first(len);
  payload = {};
  DecodeStatus s;
  if (len < data.size()) s.trailer = data.subspan(len);
  return s;
}

void Igmp::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t len = (v3 ? (type == 0x22 ? 8 : 12) : 8) + sources.size();
  auto h = buf.prepend(len);
  h[0] = std::byte{type};
  h[1] = std::byte{max_resp_code};
  store_be16(h.data() + 2, opts.compute_checksums ? 0 : checksum);
  if (v3 && type == 0x22) {
    store_be16(h.data() + 4, reserved);
    store_be16(h.data() + 6, source_count);
    copy_out(h.data() + 8, sources);
  } else {
    copy_out(h.data() + 4, group.bytes);
    if (v3) {
      h[8] = std::byte{flags};
      h[9] = std::byte{qqic};
      store_be16(h.data() + 10, source_count);
      copy_out(h.data() + 12, sources);
    }
  }
  if (opts.compute_checksums) store_be16(h.data() + 2, checksum_finish(checksum_add(h, 0)));
}

bool IgmpReader::next(IgmpGroupRecord& out) noexcept {
  if (left_ == 0 || bytes_.size() - pos_ < 8) return false;
  const std::size_t aux = std::size_t{u8(bytes_[pos_ + 1])} * 4;
  const std::uint16_t n = load_be16(bytes_.data() + pos_ + 2);
  const std::size_t rec = 8 + std::size_t{n} * 4 + aux;
  if (bytes_.size() - pos_ < rec) return false;
  out.record_type = u8(bytes_[pos_]);
  out.aux_data_length = u8(bytes_[pos_ + 1]);
  out.source_count = n;
  copy_in(out.group.bytes, bytes_.data() + pos_ + 4);
  out.sources = bytes_.subspan(pos_ + 8, std::size_t{n} * 4);
  out.auxiliary = bytes_.subspan(pos_ + 8 + std::size_t{n} * 4, aux);
  pos_ += rec;
  --left_;
  return true;
}

}  // namespace pcapxx::layers
