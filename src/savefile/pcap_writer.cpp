// The classic pcap writer: a 24-byte file header, then a 16-byte record header and the
// captured bytes per packet. Facts: draft-ietf-opsawg-pcap (header, record, LinkType field
// bits), libpcap's savefile ABI (magic numbers, version 2.4, append rules).
//
// Limits: a pcap file has one link type, so packets may come from any of the interfaces given
// at open (or added later) only when their link type is that of interfaces[0]. Comments,
// direction and flags have no place in a pcap record and are not written. Seconds are 32 bits:
// pre-epoch times are stored as libpcap stores them (two's complement, so libpcap reads them
// back signed); times outside [-2^31, 2^32) s are refused. Appending checks only the file
// header, as libpcap does: a torn last record in the existing file stays torn.
#include <array>
#include <bit>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "core/byte_order.hpp"
#include "savefile/decoder.hpp"
#include "savefile/writers.hpp"

namespace pcapxx::detail {
namespace {

constexpr std::uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kMagicModified = 0xa1b2cd34;
constexpr std::uint32_t kPcapngMagic = 0x0a0d0d0a;
constexpr std::uint16_t kVersionMajor = 2;
constexpr std::uint16_t kVersionMinor = 4;
constexpr std::size_t kFileHeaderLen = 24;
constexpr std::size_t kRecordHeaderLen = 16;
// LinkType field bit 26: an FCS length is present in bits 28-31, in 16-bit words.
constexpr std::uint32_t kFcsPresent = 0x04000000;

// The LinkType field of the file header for an interface.
Result<std::uint32_t> linktype_field(const InterfaceDescription& ifc, const std::string& name) {
  std::uint32_t field = link_type_to_file(ifc.link_type);
  if (ifc.fcs_len) {
    if (*ifc.fcs_len % 2 != 0 || *ifc.fcs_len > 30)
      return fail(Errc::invalid_argument,
                  fmt::format("{}: FCS length {} cannot be stored in a pcap header (even, at most 30)",
                              name, *ifc.fcs_len));
    field |= kFcsPresent | (static_cast<std::uint32_t>(*ifc.fcs_len / 2) << 28);
  }
  return field;
}

std::string describe_field(std::uint32_t field) {
  std::string s = describe_link_type(link_type_from_file(field & 0xffff));
  if (field & kFcsPresent) s += fmt::format(" with a {}-byte FCS", (field >> 28) * 2);
  return s;
}

class PcapWriter final : public SavefileWriter {
 public:
  PcapWriter(std::unique_ptr<ByteOutput> out, const WriterOptions& options, bool swapped,
             bool nanosecond)
      : out_(std::move(out)),
        per_packet_(options.flush == FlushPolicy::per_packet),
        swapped_(swapped),
        nanosecond_(nanosecond) {}

  ~PcapWriter() override {
    if (!closed_) (void)close(nullptr);
  }

  Result<void> open(std::span<const InterfaceDescription> interfaces,
                    const std::optional<ExistingFile>& existing) {
    if (interfaces.empty())
      return fail(Errc::invalid_argument,
                  fmt::format("{}: a pcap file needs an interface for its link type and snaplen",
                              out_->name()));
    const InterfaceDescription& first = interfaces.front();
    link_type_ = first.link_type;
    auto field = linktype_field(first, out_->name());
    if (!field) return std::unexpected(field.error());
    // The draft forbids snaplen 0; libpcap reads 0 as "the largest for this link type".
    std::uint32_t snaplen = first.snaplen != 0 ? first.snaplen : max_snaplen_for(first.link_type);
    for (const InterfaceDescription& ifc : interfaces) accepts_.push_back(ifc.link_type == link_type_);
    max_caplen_ = max_snaplen_for(link_type_);

    if (existing) return check_existing(*existing, *field, snaplen);

    std::array<std::byte, kFileHeaderLen> h{};
    put32(h.data(), nanosecond_ ? kMagicNano : kMagicMicro);
    put16(h.data() + 4, kVersionMajor);
    put16(h.data() + 6, kVersionMinor);
    put32(h.data() + 8, 0);   // thiszone: always UTC
    put32(h.data() + 12, 0);  // sigfigs
    put32(h.data() + 16, snaplen);
    put32(h.data() + 20, *field);
    if (auto ok = out_->append(h); !ok) return ok;
    return per_packet_ ? out_->flush() : Result<void>{};
  }

  Result<void> write(const PacketView& packet, std::span<const std::string_view>) override {
    if (auto ok = write_one(packet); !ok) return ok;
    return per_packet_ ? out_->flush() : Result<void>{};
  }

  // With the per-packet policy the whole batch is in the file when this returns, as it would be
  // after one flush per packet, for one system call instead of one per packet.
  // Large payloads go out from where they lie (the source's ring or file mapping) in one writev
  // for the batch instead of being copied into the buffer: the views are valid until we return.
  Result<void> write_batch(Batch batch) override {
    constexpr std::size_t kReferenceFrom = 512;  // smaller payloads are cheaper to copy
    for (const PacketView& p : batch) {
      std::array<std::byte, kRecordHeaderLen> r;
      if (auto ok = record_header(p, r); !ok) [[unlikely]] {
        (void)out_->end_gather();
        return ok;
      }
      if (auto ok = out_->gather_copy(r); !ok) return ok;
      auto ok = p.data.size() >= kReferenceFrom ? out_->gather_ref(p.data) : out_->gather_copy(p.data);
      if (!ok) return ok;
      ++count_;
    }
    if (auto ok = out_->end_gather(); !ok) return ok;
    return per_packet_ ? out_->flush() : Result<void>{};
  }

  Result<std::uint32_t> add_interface(const InterfaceDescription& interface) override {
    if (interface.link_type != link_type_)
      return fail(Errc::mismatch,
                  fmt::format("{}: a pcap file holds one link type: cannot add an interface with "
                              "link type {} to a file of {} (write pcapng for several)",
                              out_->name(), describe_link_type(interface.link_type),
                              describe_link_type(link_type_)));
    accepts_.push_back(true);
    return static_cast<std::uint32_t>(accepts_.size() - 1);
  }

  Result<void> flush() override {
    if (closed_) return closed_error();
    return out_->flush();
  }

  Result<void> close(const CaptureStats*) override {
    if (closed_) return close_result_;
    closed_ = true;
    close_result_ = out_->close();
    return close_result_;
  }

  [[nodiscard]] std::uint64_t position() const override { return out_->position(); }

  // After a failed open: closes without writing what was buffered.
  void abandon() {
    out_->discard();
    (void)close(nullptr);
  }

 private:
  Result<void> write_one(const PacketView& p) {
    std::array<std::byte, kRecordHeaderLen> r;
    if (auto ok = record_header(p, r); !ok) return ok;
    if (auto ok = out_->append(r); !ok) return ok;
    if (auto ok = out_->append(p.data); !ok) return ok;
    ++count_;
    return {};
  }

  // Checks a packet and builds its record header.
  Result<void> record_header(const PacketView& p, std::array<std::byte, kRecordHeaderLen>& r) const {
    const PacketHeader& h = p.header;
    if (h.interface >= accepts_.size() || !accepts_[h.interface] || h.caplen != p.data.size() ||
        h.caplen > max_caplen_ || closed_) [[unlikely]]
      return refuse(p);
    std::int64_t sec = h.ts.seconds();
    if (sec < std::numeric_limits<std::int32_t>::min() ||
        sec > std::numeric_limits<std::uint32_t>::max()) [[unlikely]]
      return fail_at(Errc::invalid_argument, out_->position(),
                     fmt::format("{}: packet {}: timestamp {} s does not fit the 32-bit seconds "
                                 "field of a pcap record",
                                 out_->name(), count_ + 1, sec));
    put32(r.data(), static_cast<std::uint32_t>(sec));
    put32(r.data() + 4, nanosecond_ ? h.ts.subsec_ns() : h.ts.subsec_us());
    put32(r.data() + 8, h.caplen);
    put32(r.data() + 12, h.origlen);
    return {};
  }

  // Says why write_one would not take a packet; off the hot path.
  Result<void> refuse(const PacketView& p) const {
    const PacketHeader& h = p.header;
    std::string where = fmt::format("{}: packet {}", out_->name(), count_ + 1);
    if (closed_) return closed_error();
    if (h.interface >= accepts_.size())
      return fail(Errc::invalid_argument,
                  fmt::format("{}: interface {} is unknown; the file has {}", where, h.interface,
                              accepts_.size()));
    if (!accepts_[h.interface])
      return fail(Errc::mismatch,
                  fmt::format("{}: interface {} has a different link type than the file's {}; "
                              "a pcap file holds one link type (write pcapng for several)",
                              where, h.interface, describe_link_type(link_type_)));
    if (h.caplen != p.data.size())
      return fail(Errc::invalid_argument,
                  fmt::format("{}: header says {} bytes captured but {} bytes were given", where,
                              h.caplen, p.data.size()));
    return fail(Errc::invalid_argument,
                fmt::format("{}: captured length {} is above the maximum {} readers accept for {}",
                            where, h.caplen, max_caplen_, describe_link_type(link_type_)));
  }

  [[nodiscard]] Result<void> closed_error() const {
    return fail(Errc::invalid_argument, fmt::format("{}: the writer is closed", out_->name()));
  }

  Result<void> check_existing(const ExistingFile& ex, std::uint32_t field, std::uint32_t snaplen) {
    const std::string& name = out_->name();
    if (ex.head_len < 4)
      return fail_at(Errc::truncated, 0,
                     fmt::format("{}: cannot append: the file is {} bytes, too short for a pcap "
                                 "file header",
                                 name, ex.size));
    std::uint32_t magic = load_raw<std::uint32_t>(ex.head.data());
    if (magic == kPcapngMagic)
      return fail_at(Errc::mismatch, 0,
                     fmt::format("{}: cannot append pcap records to a pcapng file (append with "
                                 "the pcapng format to add a section)",
                                 name));
    swapped_ = false;
    if (magic != kMagicMicro && magic != kMagicNano && magic != kMagicModified) {
      magic = std::byteswap(magic);
      swapped_ = true;
    }
    if (magic == kMagicModified)
      return fail_at(Errc::unsupported, 0,
                     fmt::format("{}: cannot append to a file in the Kuznetzov modified pcap "
                                 "format",
                                 name));
    if (magic != kMagicMicro && magic != kMagicNano)
      return fail_at(Errc::format, 0,
                     fmt::format("{}: cannot append: magic 0x{:08x} is not a pcap file's", name,
                                 load_be32(ex.head.data())));
    if (ex.head_len < kFileHeaderLen)
      return fail_at(Errc::truncated, ex.head_len,
                     fmt::format("{}: cannot append: truncated pcap file header: {} of {} bytes",
                                 name, ex.head_len, kFileHeaderLen));
    nanosecond_ = magic == kMagicNano;
    const std::byte* p = ex.head.data();
    std::uint16_t major = load<std::uint16_t>(p + 4, swapped_);
    std::uint16_t minor = load<std::uint16_t>(p + 6, swapped_);
    // 2.3 readers accept records in 2.4 order; earlier versions stored the lengths swapped.
    if (major != 2 || (minor != 3 && minor != 4))
      return fail_at(Errc::unsupported, 4,
                     fmt::format("{}: cannot append to pcap version {}.{} (only 2.3 and 2.4)",
                                 name, major, minor));
    std::uint32_t file_snaplen = load<std::uint32_t>(p + 16, swapped_);
    std::uint32_t file_field = load<std::uint32_t>(p + 20, swapped_);
    if (file_field != field)
      return fail_at(Errc::mismatch, 20,
                     fmt::format("{}: cannot append: the file has link type {}, the packets "
                                 "have {}",
                                 name, describe_field(file_field), describe_field(field)));
    if (file_snaplen != snaplen)
      return fail_at(Errc::mismatch, 16,
                     fmt::format("{}: cannot append: the file has snaplen {}, the packets have "
                                 "snaplen {}",
                                 name, file_snaplen, snaplen));
    return {};
  }

  void put16(std::byte* p, std::uint16_t v) const { store_raw(p, swapped_ ? std::byteswap(v) : v); }
  void put32(std::byte* p, std::uint32_t v) const { store_raw(p, swapped_ ? std::byteswap(v) : v); }

  std::unique_ptr<ByteOutput> out_;
  bool per_packet_;
  bool swapped_;     // appending to a file of the other byte order
  bool nanosecond_;  // ns magic: record fractions are ns
  bool closed_ = false;
  Result<void> close_result_;
  LinkType link_type_{};
  std::uint32_t max_caplen_ = kMaximumSnaplen;
  std::vector<bool> accepts_;  // per interface: its link type is the file's
  std::uint64_t count_ = 0;
};

}  // namespace

Result<std::unique_ptr<SavefileWriter>> make_pcap_writer(
    std::unique_ptr<ByteOutput> out, std::span<const InterfaceDescription> interfaces,
    const WriterOptions& options, const std::optional<ExistingFile>& existing) {
  auto w = std::make_unique<PcapWriter>(std::move(out), options, false, options.nanosecond);
  if (auto ok = w->open(interfaces, existing); !ok) {
    w->abandon();
    return std::unexpected(ok.error());
  }
  return std::unique_ptr<SavefileWriter>(std::move(w));
}

}  // namespace pcapxx::detail
