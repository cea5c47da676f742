// The classic pcap savefile format: a 24-byte file header, then records of a 16-byte header
// (24 in the Kuznetzov "modified" variant) and the captured bytes.
// Facts: draft-ietf-opsawg-pcap (file header, LinkType field bits), libpcap savefile ABI.
#include <fmt/format.h>

#include "core/byte_order.hpp"
#include "savefile/decoder.hpp"

namespace pcapxx::detail {
namespace {

constexpr std::uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNano = 0xa1b23c4d;
constexpr std::uint32_t kMagicModified = 0xa1b2cd34;  // Alexey Kuznetzov's patched libpcap
constexpr std::size_t kFileHeaderLen = 24;

// LinkType field: bits 0-15 link type, 16-25 reserved, 26 FCS-length present, 28-31 FCS
// length in 16-bit words (draft-ietf-opsawg-pcap, "LinkType and additional information").
constexpr std::uint32_t kReservedBits = 0x03ff0000;
constexpr std::uint32_t kFcsPresent = 0x04000000;

class PcapDecoder final : public RecordDecoder {
 public:
  explicit PcapDecoder(DecoderState s) : s_(s) {}

  Result<void> read_header() override {
    auto buf = s_.in.fill(kFileHeaderLen);
    if (!buf) return std::unexpected(buf.error());
    if (buf->size() < kFileHeaderLen)
      return fail_at(Errc::truncated, 0,
                     fmt::format("{}: truncated pcap file header: {} of {} bytes", s_.in.name(),
                                 buf->size(), kFileHeaderLen));
    const std::byte* p = buf->data();
    std::uint32_t magic = load_raw<std::uint32_t>(p);
    swapped_ = false;
    if (magic != kMagicMicro && magic != kMagicNano && magic != kMagicModified) {
      magic = std::byteswap(magic);
      swapped_ = true;
    }
    SavefileInfo& info = s_.info;
    info.format = SavefileFormat::pcap;
    info.swapped = swapped_;
    info.nanosecond = magic == kMagicNano;
    info.modified_pcap = magic == kMagicModified;
    info.version_major = load<std::uint16_t>(p + 4, swapped_);
    info.version_minor = load<std::uint16_t>(p + 6, swapped_);
    std::uint32_t snaplen = load<std::uint32_t>(p + 16, swapped_);
    std::uint32_t linktype_field = load<std::uint32_t>(p + 20, swapped_);

    if (info.version_major < 2)
      return fail_at(Errc::unsupported, 4,
                     fmt::format("{}: archaic pcap savefile format version {}.{}", s_.in.name(),
                                 info.version_major, info.version_minor));
    // libpcap reads 2.0-2.4, and 543.568, which some writer emitted for 2.4.
    bool known = (info.version_major == 2 && info.version_minor <= 4) ||
                 (info.version_major == 543 && info.version_minor == 568);
    if (!known)
      return fail_at(Errc::unsupported, 4,
                     fmt::format("{}: unsupported pcap savefile version {}.{}", s_.in.name(),
                                 info.version_major, info.version_minor));
    if (linktype_field & kReservedBits)
      return fail_at(Errc::format, 20,
                     fmt::format("{}: link-type field 0x{:08x} has reserved bits 16-25 set",
                                 s_.in.name(), linktype_field));

    InterfaceDescription ifc;
    ifc.link_type = link_type_from_file(linktype_field & 0xffff);
    if (linktype_field & kFcsPresent) ifc.fcs_len = static_cast<std::uint8_t>((linktype_field >> 28) * 2);
    ifc.ts_units_per_second = info.nanosecond ? 1'000'000'000 : 1'000'000;
    max_caplen_ = max_snaplen_for(ifc.link_type);
    ifc.snaplen = snaplen;  // reported as the header says, as libpcap does
    s_.interfaces.assign(1, std::move(ifc));

    record_header_len_ = info.modified_pcap ? 24 : 16;
    ts_scale_ = info.nanosecond ? 1 : 1000;
    // Before 2.3 caplen and len were stored in the other order; 2.3 writers did either.
    if (info.version_major == 2 && info.version_minor < 3) lengths_ = Lengths::swapped;
    else if (info.version_major == 2 && info.version_minor == 3) lengths_ = Lengths::maybe_swapped;
    plain_ = !swapped_ && record_header_len_ == 16 && lengths_ == Lengths::normal;
    s_.in.consume(kFileHeaderLen);
    return {};
  }

  Result<std::size_t> decode(std::span<PacketView> out) override {
    // Almost every file is 16-byte records in this host's byte order with 2.4 length order:
    // that loop loads each field with one plain load and no per-field checks.
    return plain_ ? decode_as<true>(out) : decode_as<false>(out);
  }

 private:
  template <bool kPlain>
  Result<std::size_t> decode_as(std::span<PacketView> out) {
    std::size_t n = 0;
    ByteInput& in = s_.in;
    std::span<const std::byte> buf = in.buffered();
    std::size_t used = 0;
    const std::size_t header_len = kPlain ? 16 : record_header_len_;
    while (n < out.size()) {
      std::span<const std::byte> rest = buf.subspan(used);
      std::uint32_t caplen = rest.size() < header_len ? 0 : caplen_as<kPlain>(rest.data());
      if (rest.size() < header_len || caplen > max_caplen_ || rest.size() - header_len < caplen)
          [[unlikely]] {
        if (n > 0) break;  // the buffer may not move under views already handed out
        in.consume(used);
        used = 0;
        auto more = in.fill(header_len);
        if (!more) return std::unexpected(more.error());
        buf = *more;
        prefetched_ = nullptr;
        if (buf.empty()) return 0;
        if (buf.size() < header_len)
          return fail_at(Errc::truncated, in.offset(),
                         fmt::format("{}: record at offset {}: truncated record header: {} of {} bytes",
                                     in.name(), in.offset(), buf.size(), header_len));
        caplen = caplen_as<kPlain>(buf.data());
        if (caplen > max_caplen_)
          return fail_at(Errc::format, in.offset(),
                         fmt::format("{}: record at offset {}: captured length {} is above the "
                                     "maximum {} for this link type",
                                     in.name(), in.offset(), caplen, max_caplen_));
        more = in.fill(header_len + caplen);
        if (!more) return std::unexpected(more.error());
        buf = *more;
        if (buf.size() < header_len + caplen)
          return fail_at(Errc::truncated, in.offset(),
                         fmt::format("{}: record at offset {}: truncated packet: header says {} "
                                     "bytes captured, the file ends after {}",
                                     in.name(), in.offset(), caplen,
                                     buf.size() - header_len));
        continue;
      }
      const std::byte* p = rest.data();
      if (in.mapped()) prefetch_ahead(p, buf);
      PacketView& v = out[n++];
      std::uint32_t sec = kPlain ? load_raw<std::uint32_t>(p) : load<std::uint32_t>(p, swapped_);
      std::uint32_t frac = kPlain ? load_raw<std::uint32_t>(p + 4) : load<std::uint32_t>(p + 4, swapped_);
      v.header.ts.ns = static_cast<std::int64_t>(sec) * 1'000'000'000 +
                       static_cast<std::int64_t>(frac) * ts_scale_;
      v.header.caplen = caplen;
      v.header.origlen = kPlain ? load_raw<std::uint32_t>(p + 12) : origlen_at(p);
      v.header.interface = 0;
      v.header.direction = Direction::unknown;
      v.header.has_flags = false;
      v.header.flags = 0;
      if (!kPlain && record_header_len_ == 24) {
        // Modified format: ifindex(4) protocol(2) pkt_type(1) pad(1); PACKET_OUTGOING is 4.
        std::uint8_t pkt_type = static_cast<std::uint8_t>(p[22]);
        v.header.direction = pkt_type == 4 ? Direction::outbound : Direction::inbound;
      }
      v.data = {p + header_len, caplen};
      v.options = {};
      used += header_len + caplen;
    }
    in.consume(used);
    return n;
  }

  // A mapped file is read straight from the page cache, where each record header is a cache
  // miss that the next one depends on (its offset comes from this caplen): without help the
  // loop waits on memory once per record. Streaming prefetches a fixed distance ahead turn
  // that chain of misses into sequential reads the memory system overlaps.
  void prefetch_ahead(const std::byte* at, std::span<const std::byte> buf) noexcept {
    // Measured on a 512 MiB capture (bench/capi_tcpdump.sh): 2 KiB ahead, every line, beats
    // 1 and 4 KiB and every other line.
    constexpr std::size_t kAhead = 2048;
    constexpr std::size_t kLine = 64;
    const std::byte* end = buf.data() + buf.size();
    const std::byte* want = static_cast<std::size_t>(end - at) > kAhead ? at + kAhead : end;
    if (prefetched_ < at || prefetched_ > end) prefetched_ = at;
    for (; prefetched_ < want; prefetched_ += kLine) __builtin_prefetch(prefetched_);
  }

  template <bool kPlain>
  [[nodiscard]] std::uint32_t caplen_as(const std::byte* p) const {
    if constexpr (kPlain) return load_raw<std::uint32_t>(p + 8);
    else return caplen_at(p);
  }

  enum class Lengths : std::uint8_t { normal, swapped, maybe_swapped };

  [[nodiscard]] std::uint32_t raw_caplen(const std::byte* p) const { return load<std::uint32_t>(p + 8, swapped_); }
  [[nodiscard]] std::uint32_t raw_len(const std::byte* p) const { return load<std::uint32_t>(p + 12, swapped_); }
  [[nodiscard]] bool lengths_swapped(const std::byte* p) const {
    return lengths_ == Lengths::swapped ||
           (lengths_ == Lengths::maybe_swapped && raw_caplen(p) > raw_len(p));
  }
  [[nodiscard]] std::uint32_t caplen_at(const std::byte* p) const {
    return lengths_swapped(p) ? raw_len(p) : raw_caplen(p);
  }
  [[nodiscard]] std::uint32_t origlen_at(const std::byte* p) const {
    return lengths_swapped(p) ? raw_caplen(p) : raw_len(p);
  }

  DecoderState s_;
  bool swapped_ = false;
  std::size_t record_header_len_ = 16;
  std::int64_t ts_scale_ = 1000;
  std::uint32_t max_caplen_ = kMaximumSnaplen;
  Lengths lengths_ = Lengths::normal;
  bool plain_ = false;                    // native order, 16-byte records, 2.4 length order
  const std::byte* prefetched_ = nullptr;  // where the next prefetch starts (mapped input)
};

}  // namespace

std::unique_ptr<RecordDecoder> make_pcap_decoder(DecoderState state) {
  return std::make_unique<PcapDecoder>(state);
}

std::uint32_t max_snaplen_for(LinkType type) noexcept {
  // libpcap's max_snaplen_for_dlt: D-Bus messages may be 128 MiB, EBHSCR 8 MiB, USBPcap 1 MiB.
  switch (type.dlt) {
    case 231: return 128 * 1024 * 1024;  // DBUS
    case 279: return 8 * 1024 * 1024;    // EBHSCR
    case 249: return 1024 * 1024;        // USBPCAP
    default: return kMaximumSnaplen;
  }
}

}  // namespace pcapxx::detail
