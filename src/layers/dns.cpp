// DNS messages (RFC 1035 4.1) with name compression (4.1.4).
#include "pcapxx/layers/dns.hpp"

#include <algorithm>
#include <array>

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

namespace {

constexpr std::size_t kMaxJumps = 64;

struct NameWalk {
  const char* error = nullptr;
  std::size_t error_at = 0;
  std::size_t end = 0;  ///< offset after the name where it was found (after the first pointer)
};

// Walks the name at `pos`; if out is given, writes its dotted text there (len set). Every
// label read is inside msg; jumps are bounded by the visited set and the 255-byte limit.
NameWalk walk_name(std::span<const std::byte> msg, std::size_t pos, std::span<char> out, std::size_t* len) noexcept {
  NameWalk w;
  std::array<std::uint16_t, kMaxJumps> visited{};
  std::size_t jumps = 0;
  std::size_t wire_length = 0;
  std::size_t text = 0;
  bool jumped = false;
  bool text_ok = true;
  for (;;) {
    if (pos >= msg.size()) return {"name runs past the end of the message", pos, 0};
    const std::uint8_t l = u8(msg[pos]);
    if ((l & 0xc0) == 0xc0) {
      if (pos + 1 >= msg.size()) return {"truncated compression pointer", pos, 0};
      const std::size_t target = (std::size_t{l & 0x3fu} << 8) | u8(msg[pos + 1]);
      if (!jumped) w.end = pos + 2;
      jumped = true;
      if (target >= msg.size()) return {"compression pointer out of range", pos, 0};
      for (std::size_t i = 0; i < jumps; ++i)
        if (visited[i] == target) return {"compression pointer loop", pos, 0};
      if (jumps == kMaxJumps) return {"too many compression pointers", pos, 0};
      visited[jumps++] = static_cast<std::uint16_t>(target);
      pos = target;
      continue;
    }
    if ((l & 0xc0) != 0) return {"unsupported label type (0x40/0x80)", pos, 0};
    wire_length += 1 + l;
    if (wire_length > Dns::kMaxNameLength) return {"name longer than 255 bytes", pos, 0};
    if (l == 0) {
      if (!jumped) w.end = pos + 1;
      break;
    }
    if (pos + 1 + l > msg.size()) return {"label runs past the end of the message", pos, 0};
    if (len != nullptr) {
      const std::size_t need = (text == 0 ? 0 : 1) + l;
      if (text + need > out.size()) {
        text_ok = false;
      } else {
        if (text != 0) out[text++] = '.';
        for (std::size_t i = 0; i < l; ++i) out[text++] = static_cast<char>(msg[pos + 1 + i]);
      }
    }
    pos += 1 + l;
  }
  if (len != nullptr) {
    if (text == 0 && text_ok) {
      constexpr std::string_view kRoot = "<Root>";
      if (out.size() >= kRoot.size()) {
        std::copy(kRoot.begin(), kRoot.end(), out.begin());
        text = kRoot.size();
      } else {
        text_ok = false;
      }
    }
    *len = text_ok ? text : 0;
  }
  return w;
}

}  // namespace

DecodeStatus Dns::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (!decode_header(data)) return failed("truncated header: needs 12 bytes");
  std::size_t pos = kHeaderLength;
  for (std::uint32_t i = 0; i < question_count; ++i) {
    const NameWalk w = walk_name(data, pos, {}, nullptr);
    if (w.error != nullptr) return failed(w.error, w.error_at);
    if (w.end + 4 > data.size()) return failed("truncated question", w.end);
    pos = w.end + 4;
  }
  const std::uint32_t records = std::uint32_t{answer_count} + authority_count + additional_count;
  for (std::uint32_t i = 0; i < records; ++i) {
    const NameWalk w = walk_name(data, pos, {}, nullptr);
    if (w.error != nullptr) return failed(w.error, w.error_at);
    if (w.end + 10 > data.size()) return failed("truncated resource record", w.end);
    const std::size_t rdlength = load_be16(data.data() + w.end + 8);
    if (w.end + 10 + rdlength > data.size()) return failed("record data runs past the end of the message", w.end + 8);
    pos = w.end + 10 + rdlength;
  }
  contents = data;
  payload = {};
  return {};
}

bool Dns::decode_header(std::span<const std::byte> data) noexcept {
  if (data.size() < kHeaderLength) return false;
  id = load_be16(data.data());
  flags = load_be16(data.data() + 2);
  question_count = load_be16(data.data() + 4);
  answer_count = load_be16(data.data() + 6);
  authority_count = load_be16(data.data() + 8);
  additional_count = load_be16(data.data() + 10);
  contents = data;
  payload = {};
  return true;
}

std::size_t Dns::read_name(std::uint32_t offset, std::span<char> out) const noexcept {
  std::size_t len = 0;
  const NameWalk w = walk_name(contents, offset, out, &len);
  return w.error != nullptr ? 0 : len;
}

std::string Dns::name(std::uint32_t offset) const {
  std::array<char, 1024> buf;
  const std::size_t n = read_name(offset, buf);
  return std::string(buf.data(), n);
}

void Dns::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  const auto sections = contents.size() > kHeaderLength ? contents.subspan(kHeaderLength) : std::span<const std::byte>{};
  auto h = buf.prepend(kHeaderLength + sections.size());
  store_be16(h.data(), id);
  store_be16(h.data() + 2, flags);
  store_be16(h.data() + 4, question_count);
  store_be16(h.data() + 6, answer_count);
  store_be16(h.data() + 8, authority_count);
  store_be16(h.data() + 10, additional_count);
  copy_out(h.data() + kHeaderLength, sections);
}

DnsReader::DnsReader(const Dns& dns) noexcept : dns_(&dns), questions_left_(dns.question_count) {}

bool DnsReader::next_question(DnsQuestion& out) noexcept {
  if (questions_left_ == 0) return false;
  const auto msg = dns_->contents;
  const NameWalk w = walk_name(msg, pos_, {}, nullptr);
  if (w.error != nullptr || w.end + 4 > msg.size()) return false;
  out = DnsQuestion{static_cast<std::uint32_t>(pos_), load_be16(msg.data() + w.end), load_be16(msg.data() + w.end + 2)};
  pos_ = w.end + 4;
  --questions_left_;
  return true;
}

bool DnsReader::next_record(DnsRecord& out) noexcept {
  for (DnsQuestion q; questions_left_ > 0;)
    if (!next_question(q)) return false;
  const std::uint32_t an = dns_->answer_count, ns = dns_->authority_count;
  const std::uint32_t total = an + ns + dns_->additional_count;
  if (records_done_ >= total) return false;
  const auto msg = dns_->contents;
  const NameWalk w = walk_name(msg, pos_, {}, nullptr);
  if (w.error != nullptr || w.end + 10 > msg.size()) return false;
  const std::size_t rdlength = load_be16(msg.data() + w.end + 8);
  if (w.end + 10 + rdlength > msg.size()) return false;
  out.section = records_done_ < an        ? DnsRecord::Section::answer
                : records_done_ < an + ns ? DnsRecord::Section::authority
                                          : DnsRecord::Section::additional;
  out.name_offset = static_cast<std::uint32_t>(pos_);
  out.type = load_be16(msg.data() + w.end);
  out.klass = load_be16(msg.data() + w.end + 2);
  out.ttl = load_be32(msg.data() + w.end + 4);
  out.rdata_offset = static_cast<std::uint32_t>(w.end + 10);
  out.rdata = msg.subspan(w.end + 10, rdlength);
  pos_ = w.end + 10 + rdlength;
  ++records_done_;
  return true;
}

}  // namespace pcapxx::layers
