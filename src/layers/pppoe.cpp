// PPPoE (RFC 2516).
#include "pcapxx/layers/pppoe.hpp"

#include <algorithm>

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

bool PppoeTagReader::next(PppoeTag& out) noexcept {
  if (malformed_ || pos_ >= bytes_.size()) return false;
  if (bytes_.size() - pos_ < 4) {
    malformed_ = true;
    return false;
  }
  const std::uint16_t type = load_be16(bytes_.data() + pos_);
  const std::size_t len = load_be16(bytes_.data() + pos_ + 2);
  if (bytes_.size() - pos_ - 4 < len) {
    malformed_ = true;
    return false;
  }
  out = PppoeTag{type, bytes_.subspan(pos_ + 4, len)};
  pos_ = type == 0 ? bytes_.size() : pos_ + 4 + len;  // End-Of-List
  return true;
}

DecodeStatus Pppoe::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 6 bytes");
  version = u8(data[0]) >> 4;
  type = u8(data[0]) & 0x0f;
  code = u8(data[1]);
  session_id = load_be16(data.data() + 2);
  length = load_be16(data.data() + 4);
  contents = data.first(kHeaderLength);
  DecodeStatus s;
  std::size_t end = data.size();
  if (kHeaderLength + length < data.size()) {
    end = kHeaderLength + length;
    s.trailer = data.subspan(end);
  }
  payload = data.subspan(kHeaderLength, end - kHeaderLength);
  // Discovery packets carry tags, read through tags(); session data is a PPP frame.
  s.next = is_discovery() || payload.empty() ? LayerType::none : LayerType::ppp;
  return s;
}

void Pppoe::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  const std::size_t body = buf.size();
  auto h = buf.prepend(kHeaderLength);
  h[0] = std::byte{static_cast<std::uint8_t>((version & 0x0f) << 4 | (type & 0x0f))};
  h[1] = std::byte{code};
  store_be16(h.data() + 2, session_id);
  store_be16(h.data() + 4, opts.fix_lengths ? static_cast<std::uint16_t>(std::min<std::size_t>(body, 0xffff)) : length);
}

}  // namespace pcapxx::layers
