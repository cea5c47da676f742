// DNS messages (RFC 1035 4.1) with name compression (4.1.4).
#include "pcapxx/layers/dns.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

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
  std::array<std::uint16_t, kMaxJumps> visited;  // only [0, jumps) is read: no zeroing per name
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

std::size_t Dns::name_end(std::uint32_t offset) const noexcept {
  const NameWalk w = walk_name(contents, offset, {}, nullptr);
  return w.error != nullptr ? 0 : w.end;
}

const char* Dns::parse_rdata(const DnsRecord& record, DnsRdata& out) const noexcept {
  out = DnsRdata{};
  const std::span<const std::byte> d = record.rdata;
  const std::size_t end = std::size_t{record.rdata_offset} + d.size();
  if (end > contents.size()) return "record data runs past the end of the message";
  // A name inside the data must end in place exactly where `until` says (or inside the data).
  auto name_at = [&](std::size_t at, std::uint32_t& field, std::size_t& after) -> const char* {
    const NameWalk w = walk_name(contents, at, {}, nullptr);
    if (w.error != nullptr) return w.error;
    if (w.end > end) return "name runs past the record data";
    field = static_cast<std::uint32_t>(at);
    after = w.end;
    return nullptr;
  };
  const std::size_t start = record.rdata_offset;
  std::size_t after = 0;
  const char* why = nullptr;
  switch (record.type) {
    case kTypeA:
      if (d.size() != 4) return "A record data is not 4 bytes";
      copy_in(out.a.bytes, d.data());
      break;
    case kTypeAaaa:
      if (d.size() != 16) return "AAAA record data is not 16 bytes";
      copy_in(out.aaaa.bytes, d.data());
      break;
    case kTypeCname:
    case kTypeNs:
    case kTypePtr:
      if ((why = name_at(start, out.name, after)) != nullptr) return why;
      break;
    case kTypeMx:
      if (d.size() < 3) return "MX record data shorter than 3 bytes";
      out.preference = load_be16(d.data());
      if ((why = name_at(start + 2, out.name, after)) != nullptr) return why;
      break;
    case kTypeSrv:
      if (d.size() < 7) return "SRV record data shorter than 7 bytes";
      out.preference = load_be16(d.data());
      out.weight = load_be16(d.data() + 2);
      out.port = load_be16(d.data() + 4);
      if ((why = name_at(start + 6, out.name, after)) != nullptr) return why;
      break;
    case kTypeSoa: {
      if ((why = name_at(start, out.name, after)) != nullptr) return why;
      if ((why = name_at(after, out.name2, after)) != nullptr) return why;
      if (after + 20 > end) return "SOA record data too short for its five numbers";
      const std::byte* p = contents.data() + after;
      out.serial = load_be32(p);
      out.refresh = load_be32(p + 4);
      out.retry = load_be32(p + 8);
      out.expire = load_be32(p + 12);
      out.minimum = load_be32(p + 16);
      after += 20;
      break;
    }
    case kTypeTxt: {
      DnsTextReader r(d);
      for (std::string_view t; r.next(t);) {
      }
      if (r.malformed()) return "TXT character-string runs past the record data";
      out.known = true;
      return nullptr;
    }
    default:
      return nullptr;
  }
  if (after != 0 && after != end) return "record data longer than its fields";
  out.known = true;
  return nullptr;
}

bool DnsTextReader::next(std::string_view& out) noexcept {
  if (pos_ >= rdata_.size() || malformed_) return false;
  const std::size_t len = u8(rdata_[pos_]);
  if (pos_ + 1 + len > rdata_.size()) {
    malformed_ = true;
    return false;
  }
  out = std::string_view(reinterpret_cast<const char*>(rdata_.data() + pos_ + 1), len);
  pos_ += 1 + len;
  return true;
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

// ---- DnsBuilder ----

namespace {

constexpr std::size_t kMaxMessage = 65535;
constexpr std::size_t kMaxLabels = 128;  // 255 bytes hold at most 127 one-byte labels
constexpr std::string_view kSectionNames[] = {"question", "answer", "authority", "additional"};

// The labels of a name as offsets into its text (small arrays: no 2 KiB of views to clear per name).
struct Labels {
  std::string_view text;
  std::array<std::uint16_t, kMaxLabels> start;
  std::array<std::uint8_t, kMaxLabels> length;
  std::size_t count = 0;
  [[nodiscard]] std::string_view at(std::size_t i) const { return text.substr(start[i], length[i]); }
};

// Whether the name written at `pos` in msg (labels, maybe a pointer) equals labels[from..].
// The bytes were written by the builder, so they are well formed; the walk is bounded anyway.
bool name_equals(std::span<const std::byte> msg, std::size_t pos, const Labels& labels, std::size_t from) {
  for (std::size_t steps = 0; steps < 2 * kMaxLabels && pos < msg.size(); ++steps) {
    const std::uint8_t l = u8(msg[pos]);
    if ((l & 0xc0) == 0xc0) {
      if (pos + 1 >= msg.size()) return false;
      pos = (std::size_t{l & 0x3fu} << 8) | u8(msg[pos + 1]);
      continue;
    }
    if (l == 0) return from == labels.count;
    if (from == labels.count || labels.length[from] != l || pos + 1 + l > msg.size()) return false;
    const std::string_view label = labels.at(from);
    if (!std::equal(label.begin(), label.end(), msg.begin() + static_cast<std::ptrdiff_t>(pos + 1),
                    [](char c, std::byte b) { return static_cast<std::byte>(c) == b; }))
      return false;
    ++from;
    pos += 1 + l;
  }
  return false;
}

}  // namespace

DnsBuilder::DnsBuilder(bool compress) : compress_(compress) {
  msg_.reserve(512);
  start(0, 0);
}

DnsBuilder& DnsBuilder::start(std::uint16_t id, std::uint16_t flags) {
  msg_.assign(Dns::kHeaderLength, std::byte{0});
  store_be16(msg_.data(), id);
  store_be16(msg_.data() + 2, flags);
  error_.clear();
  section_ = adding_ = 0;
  counts_ = {};
  label_count_ = 0;
  return *this;
}

void DnsBuilder::fail(std::string why) {
  if (!error_.empty()) return;
  error_ = fmt::format("DNS builder: {} {}: {}", kSectionNames[adding_], counts_[adding_] + 1, why);
}

bool DnsBuilder::room(std::size_t n) {
  if (msg_.size() + n > kMaxMessage) {
    fail(fmt::format("the message would be longer than {} bytes", kMaxMessage));
    return false;
  }
  msg_.resize(msg_.size() + n);
  return true;
}

bool DnsBuilder::put_name(std::string_view name, bool compressible) {
  if (name.ends_with('.')) name.remove_suffix(1);
  Labels labels;
  labels.text = name;
  std::size_t wire = 1;
  for (std::string_view rest = name; !rest.empty();) {
    const auto dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty()) {
      fail(fmt::format("name '{}' has an empty label", name));
      return false;
    }
    if (label.size() > 63) {
      fail(fmt::format("label '{}' of name '{}' is longer than 63 bytes", label, name));
      return false;
    }
    wire += 1 + label.size();
    if (wire > Dns::kMaxNameLength || labels.count == kMaxLabels) {
      fail(fmt::format("name '{}' is longer than 255 bytes in wire form", name));
      return false;
    }
    labels.start[labels.count] = static_cast<std::uint16_t>(label.data() - name.data());
    labels.length[labels.count++] = static_cast<std::uint8_t>(label.size());
    rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    if (dot != std::string_view::npos && rest.empty()) {
      fail(fmt::format("name '{}' has an empty label", name));
      return false;
    }
  }
  // The longest suffix already in the message becomes a pointer (RFC 1035 4.1.4).
  std::size_t suffix = labels.count;
  std::uint16_t target = 0;
  if (compress_ && compressible) {
    for (std::size_t i = 0; i < labels.count && suffix == labels.count; ++i)
      for (std::size_t k = 0; k < label_count_; ++k)
        if (name_equals(msg_, labels_[k], labels, i)) {
          suffix = i;
          target = labels_[k];
          break;
        }
  }
  for (std::size_t i = 0; i < suffix; ++i) {
    const std::size_t at = msg_.size();
    const std::string_view label = labels.at(i);
    if (!room(1 + label.size())) return false;
    msg_[at] = static_cast<std::byte>(label.size());
    std::memcpy(msg_.data() + at + 1, label.data(), label.size());
    if (at < 0x4000 && label_count_ < labels_.size()) labels_[label_count_++] = static_cast<std::uint16_t>(at);
  }
  if (suffix < labels.count) {
    const std::size_t at = msg_.size();
    if (!room(2)) return false;
    store_be16(msg_.data() + at, static_cast<std::uint16_t>(0xc000 | target));
  } else {
    const std::size_t at = msg_.size();
    if (!room(1)) return false;
    msg_[at] = std::byte{0};
  }
  return true;
}

DnsBuilder& DnsBuilder::question(std::string_view name, std::uint16_t type, std::uint16_t klass) {
  if (!ok()) return *this;
  adding_ = 0;
  if (section_ != 0) {
    fail(fmt::format("after {} records: questions come first", kSectionNames[section_]));
    return *this;
  }
  if (counts_[0] == 0xffff) {
    fail("more than 65535 entries");
    return *this;
  }
  if (!put_name(name, true)) return *this;
  const std::size_t at = msg_.size();
  if (!room(4)) return *this;
  store_be16(msg_.data() + at, type);
  store_be16(msg_.data() + at + 2, klass);
  store_be16(msg_.data() + 4, ++counts_[0]);
  return *this;
}

bool DnsBuilder::begin_record(DnsRecord::Section s, std::uint16_t type, const DnsOwner& owner) {
  if (!ok()) return false;
  const auto sec = static_cast<std::uint8_t>(1 + static_cast<std::uint8_t>(s));
  adding_ = sec;
  if (sec < section_) {
    fail(fmt::format("after {} records: records must be added in section order", kSectionNames[section_]));
    return false;
  }
  section_ = sec;
  if (counts_[sec] == 0xffff) {
    fail("more than 65535 entries");
    return false;
  }
  if (!put_name(owner.name, true)) return false;
  const std::size_t at = msg_.size();
  if (!room(10)) return false;
  store_be16(msg_.data() + at, type);
  store_be16(msg_.data() + at + 2, owner.klass);
  store_be32(msg_.data() + at + 4, owner.ttl);
  rdata_at_ = msg_.size();
  return true;
}

void DnsBuilder::end_record() {
  if (!ok()) return;
  store_be16(msg_.data() + rdata_at_ - 2, static_cast<std::uint16_t>(msg_.size() - rdata_at_));
  store_be16(msg_.data() + 4 + 2 * section_, ++counts_[section_]);
}

DnsBuilder& DnsBuilder::a(DnsRecord::Section s, const DnsOwner& owner, const Ipv4Address& addr) {
  if (begin_record(s, Dns::kTypeA, owner) && room(4)) copy_out(msg_.data() + rdata_at_, addr.bytes);
  end_record();
  return *this;
}

DnsBuilder& DnsBuilder::aaaa(DnsRecord::Section s, const DnsOwner& owner, const Ipv6Address& addr) {
  if (begin_record(s, Dns::kTypeAaaa, owner) && room(16)) copy_out(msg_.data() + rdata_at_, addr.bytes);
  end_record();
  return *this;
}

DnsBuilder& DnsBuilder::name_record(DnsRecord::Section s, std::uint16_t type, const DnsOwner& owner,
                                    std::string_view target) {
  if (begin_record(s, type, owner)) put_name(target, true);
  end_record();
  return *this;
}

DnsBuilder& DnsBuilder::mx(DnsRecord::Section s, const DnsOwner& owner, std::uint16_t preference,
                           std::string_view exchange) {
  if (begin_record(s, Dns::kTypeMx, owner) && room(2)) {
    store_be16(msg_.data() + rdata_at_, preference);
    put_name(exchange, true);
  }
  end_record();
  return *this;
}

DnsBuilder& DnsBuilder::txt(DnsRecord::Section s, const DnsOwner& owner, std::span<const std::string_view> strings) {
  if (begin_record(s, Dns::kTypeTxt, owner)) {
    if (strings.empty()) fail("TXT record without a character-string");
    for (std::string_view t : strings) {
      if (t.size() > 255) {
        fail(fmt::format("TXT character-string of {} bytes (at most 255)", t.size()));
        break;
      }
      const std::size_t at = msg_.size();
      if (!room(1 + t.size())) break;
      msg_[at] = static_cast<std::byte>(t.size());
      if (!t.empty()) std::memcpy(msg_.data() + at + 1, t.data(), t.size());
    }
  }
  end_record();
  return *this;
}

DnsBuilder& DnsBuilder::soa(DnsRecord::Section s, const DnsOwner& owner, const DnsSoa& soa) {
  if (begin_record(s, Dns::kTypeSoa, owner) && put_name(soa.mname, true) && put_name(soa.rname, true)) {
    const std::size_t at = msg_.size();
    if (room(20)) {
      store_be32(msg_.data() + at, soa.serial);
      store_be32(msg_.data() + at + 4, soa.refresh);
      store_be32(msg_.data() + at + 8, soa.retry);
      store_be32(msg_.data() + at + 12, soa.expire);
      store_be32(msg_.data() + at + 16, soa.minimum);
    }
  }
  end_record();
  return *this;
}

DnsBuilder& DnsBuilder::srv(DnsRecord::Section s, const DnsOwner& owner, std::uint16_t priority,
                            std::uint16_t weight, std::uint16_t port, std::string_view target) {
  if (begin_record(s, Dns::kTypeSrv, owner) && room(6)) {
    store_be16(msg_.data() + rdata_at_, priority);
    store_be16(msg_.data() + rdata_at_ + 2, weight);
    store_be16(msg_.data() + rdata_at_ + 4, port);
    put_name(target, false);  // RFC 2782: the target is not compressed
  }
  end_record();
  return *this;
}

DnsBuilder& DnsBuilder::raw(DnsRecord::Section s, std::uint16_t type, const DnsOwner& owner,
                            std::span<const std::byte> rdata) {
  if (begin_record(s, type, owner) && room(rdata.size())) copy_out(msg_.data() + rdata_at_, rdata);
  end_record();
  return *this;
}

std::expected<std::span<const std::byte>, Error> DnsBuilder::result() const {
  if (!ok()) return pcapxx::fail(Errc::invalid_argument, error_);
  return std::span<const std::byte>(msg_);
}

Dns DnsBuilder::dns() const noexcept {
  Dns d;
  if (ok()) d.decode_header(msg_);
  return d;
}

}  // namespace pcapxx::layers
