// SCTP common header and chunks (RFC 9260 3).
#include "pcapxx/layers/sctp.hpp"

#include <algorithm>
#include <array>

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

namespace {

// CRC32c (Castagnoli, reflected polynomial 0x82f63b78), RFC 9260 Appendix A.
constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrc32cTable = make_crc32c_table();

// The CRC32c of bytes with the 4 checksum bytes (offset 8) taken as zero.
std::uint32_t sctp_crc(std::span<const std::byte> bytes) noexcept {
  std::uint32_t c = 0xffffffffu;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const std::uint8_t b = (i >= 8 && i < 12) ? 0 : u8(bytes[i]);
    c = kCrc32cTable[(c ^ b) & 0xff] ^ (c >> 8);
  }
  return ~c;
}

// The CRC goes on the wire least significant byte first (RFC 9260 Appendix A); Sctp::checksum
// holds the four bytes read big-endian, as tshark shows them.
std::uint32_t wire_order(std::uint32_t crc) noexcept {
  return (crc & 0xff) << 24 | (crc & 0xff00) << 8 | (crc >> 8 & 0xff00) | crc >> 24;
}

}  // namespace

bool SctpChunkReader::next(SctpChunk& out) noexcept {
  if (malformed_ || pos_ >= bytes_.size()) return false;
  const std::size_t left = bytes_.size() - pos_;
  if (left < 4) {
    malformed_ = true;
    return false;
  }
  const std::uint16_t len = load_be16(bytes_.data() + pos_ + 2);
  if (len < 4 || len > left) {
    malformed_ = true;
    return false;
  }
  const std::size_t padded = std::min<std::size_t>((std::size_t{len} + 3) & ~std::size_t{3}, left);
  out = SctpChunk{u8(bytes_[pos_]), u8(bytes_[pos_ + 1]), len, bytes_.subspan(pos_ + 4, len - 4u),
                  bytes_.subspan(pos_, padded)};
  pos_ += padded;
  return true;
}

bool Sctp::checksum_ok() const noexcept {
  return contents.size() >= kHeaderLength && wire_order(sctp_crc(contents)) == checksum;
}

DecodeStatus Sctp::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated common header: needs 12 bytes");
  src_port = load_be16(data.data());
  dst_port = load_be16(data.data() + 2);
  verification_tag = load_be32(data.data() + 4);
  checksum = load_be32(data.data() + 8);
  chunks = data.subspan(kHeaderLength);
  SctpChunkReader r(chunks);
  for (SctpChunk c; r.next(c);) {
  }
  if (r.malformed()) return failed("chunk length runs past the packet or is below 4", kHeaderLength + r.offset());
  contents = data;
  payload = {};
  return {};
}

void Sctp::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength + chunks.size());
  store_be16(h.data(), src_port);
  store_be16(h.data() + 2, dst_port);
  store_be32(h.data() + 4, verification_tag);
  copy_out(h.data() + kHeaderLength, chunks);
  store_be32(h.data() + 8, opts.compute_checksums ? wire_order(sctp_crc(h)) : checksum);
}

}  // namespace pcapxx::layers
