// The pcapng writer: a Section Header Block, one Interface Description Block per interface,
// an Enhanced Packet Block per packet and, at close with statistics, one Interface Statistics
// Block per interface. Everything in host byte order. Facts: draft-ietf-opsawg-pcapng
// (block and option layouts, option codes, epb_flags bits).
//
// Limits: timestamps are written as absolute times, µs (if_tsresol 6) unless WriterOptions asks
// for ns or the interface's own resolution is finer than µs (then 9), without if_tsoffset, so times before 1970 are refused. The statistics
// given to close() are the source's totals: with several interfaces every ISB carries them.
// Appending (WriterOptions::append) to an existing pcapng file starts a new section.
#include <array>
#include <ctime>
#include <sys/utsname.h>
#include <vector>

#include <fmt/format.h>

#include "core/byte_order.hpp"
#include "savefile/decoder.hpp"
#include "savefile/writers.hpp"

namespace pcapxx::detail {
namespace {

constexpr std::uint32_t kShbType = 0x0a0d0d0a;
constexpr std::uint32_t kIdbType = 0x00000001;
constexpr std::uint32_t kIsbType = 0x00000005;
constexpr std::uint32_t kEpbType = 0x00000006;
constexpr std::uint32_t kByteOrderMagic = 0x1a2b3c4d;

// Option codes (draft-ietf-opsawg-pcapng, sections 3.5, 4.1, 4.2, 4.3, 4.6).
constexpr std::uint16_t kOptEndOfOpt = 0;
constexpr std::uint16_t kOptComment = 1;
constexpr std::uint16_t kShbHardware = 2;
constexpr std::uint16_t kShbOs = 3;
constexpr std::uint16_t kShbUserAppl = 4;
constexpr std::uint16_t kIfName = 2;
constexpr std::uint16_t kIfDescription = 3;
constexpr std::uint16_t kIfSpeed = 8;
constexpr std::uint16_t kIfTsresol = 9;
constexpr std::uint16_t kIfFilter = 11;
constexpr std::uint16_t kIfOs = 12;
constexpr std::uint16_t kIfFcslen = 13;
constexpr std::uint16_t kIfHardware = 15;
constexpr std::uint16_t kEpbFlags = 2;
constexpr std::uint16_t kIsbStartTime = 2;
constexpr std::uint16_t kIsbEndTime = 3;
constexpr std::uint16_t kIsbIfRecv = 4;
constexpr std::uint16_t kIsbIfDrop = 5;

constexpr std::size_t kEpbFixedLen = 28;  // type, length, interface, ts high, ts low, caplen, len
constexpr std::size_t kMaxOptionLen = 0xffff;

// Builds a non-packet block (SHB, IDB, ISB) in memory: these are rare, so a vector is fine.
class BlockBuilder {
 public:
  explicit BlockBuilder(std::uint32_t type) {
    put32(type);
    put32(0);  // total length, patched by finish()
  }
  void put16(std::uint16_t v) { append(&v, 2); }
  void put32(std::uint32_t v) { append(&v, 4); }
  void put64_split(std::uint64_t v) {  // timestamps: high word first, each in host order
    put32(static_cast<std::uint32_t>(v >> 32));
    put32(static_cast<std::uint32_t>(v));
  }
  void option(std::uint16_t code, const void* value, std::size_t len) {
    put16(code);
    put16(static_cast<std::uint16_t>(len));
    append(value, len);
    bytes_.resize(bytes_.size() + pad4(len));
    has_options_ = true;
  }
  void option(std::uint16_t code, std::string_view s) { option(code, s.data(), s.size()); }
  void option_u64(std::uint16_t code, std::uint64_t v) { option(code, &v, 8); }
  void option_ts(std::uint16_t code, std::uint64_t v) {
    std::array<std::uint32_t, 2> words{static_cast<std::uint32_t>(v >> 32), static_cast<std::uint32_t>(v)};
    option(code, words.data(), 8);
  }
  std::span<const std::byte> finish() {
    if (has_options_) put32(kOptEndOfOpt);  // code 0, length 0
    auto total = static_cast<std::uint32_t>(bytes_.size() + 4);
    put32(total);
    store_raw(bytes_.data() + 4, total);
    return bytes_;
  }

 private:
  void append(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  std::vector<std::byte> bytes_;
  bool has_options_ = false;
};

Result<void> check_option_len(std::string_view what, std::size_t len, const std::string& name) {
  if (len <= kMaxOptionLen) return {};
  return fail(Errc::invalid_argument,
              fmt::format("{}: {} is {} bytes, more than the {} a pcapng option holds", name, what,
                          len, kMaxOptionLen));
}

struct WriterInterface {
  LinkType link_type{};
  std::uint32_t max_caplen = kMaximumSnaplen;
  std::uint64_t ns_per_unit = 1000;  // 1000 for if_tsresol 6, 1 for 9
};

class PcapngWriter final : public SavefileWriter {
 public:
  PcapngWriter(std::unique_ptr<ByteOutput> out, const WriterOptions& options)
      : out_(std::move(out)),
        per_packet_(options.flush == FlushPolicy::per_packet),
        nanosecond_(options.nanosecond) {}

  ~PcapngWriter() override {
    if (!closed_) (void)close(nullptr);
  }

  Result<void> open(std::span<const InterfaceDescription> interfaces, const WriterOptions& options,
                    const std::optional<ExistingFile>& existing) {
    if (existing) {
      // A new section after the existing ones is a valid pcapng file; any byte order will do.
      if (existing->head_len < 4 || load_raw<std::uint32_t>(existing->head.data()) != kShbType)
        return fail_at(Errc::mismatch, 0,
                       fmt::format("{}: cannot append a pcapng section: the file is not pcapng "
                                   "(it does not start with a Section Header Block)",
                                   out_->name()));
    }
    if (auto ok = check_option_len("shb_userappl", options.user_application.size(), out_->name()); !ok)
      return ok;
    BlockBuilder shb(kShbType);
    shb.put32(kByteOrderMagic);
    shb.put16(1);  // major version
    shb.put16(0);  // minor version
    shb.put64_split(~std::uint64_t{0});  // section length unknown (-1); same bytes either split
    utsname un{};
    if (::uname(&un) == 0) {
      shb.option(kShbHardware, std::string_view(un.machine));
      shb.option(kShbOs, fmt::format("{} {}", un.sysname, un.release));
    }
    if (!options.user_application.empty()) shb.option(kShbUserAppl, options.user_application);
    if (auto ok = out_->append(shb.finish()); !ok) return ok;
    for (const InterfaceDescription& ifc : interfaces)
      if (auto ok = write_idb(ifc); !ok) return ok;
    return per_packet_ ? out_->flush() : Result<void>{};
  }

  Result<void> write(const PacketView& packet, std::span<const std::string_view> comments) override {
    if (auto ok = write_one(packet, comments); !ok) return ok;
    return per_packet_ ? out_->flush() : Result<void>{};
  }

  Result<void> write_annotated(const PacketView& packet, std::span<const std::string_view> comments,
                               std::span<const CustomOption> custom) override {
    if (auto ok = write_one(packet, comments, custom); !ok) return ok;
    return per_packet_ ? out_->flush() : Result<void>{};
  }

  // With the per-packet policy the whole batch is in the file when this returns.
  Result<void> write_batch(Batch batch) override {
    for (const PacketView& p : batch)
      if (auto ok = write_one(p, {}); !ok) return ok;
    return per_packet_ ? out_->flush() : Result<void>{};
  }

  Result<std::uint32_t> add_interface(const InterfaceDescription& interface) override {
    if (closed_) return std::unexpected(closed_error().error());
    if (auto ok = write_idb(interface); !ok) return std::unexpected(ok.error());
    if (per_packet_)
      if (auto ok = out_->flush(); !ok) return std::unexpected(ok.error());
    return static_cast<std::uint32_t>(interfaces_.size() - 1);
  }

  Result<void> flush() override {
    if (closed_) return closed_error();
    return out_->flush();
  }

  Result<void> close(const CaptureStats* stats) override {
    if (closed_) return close_result_;
    closed_ = true;
    Result<void> ok;
    if (stats)
      for (std::uint32_t i = 0; i < interfaces_.size() && ok; ++i) ok = write_isb(i, *stats);
    auto closed = out_->close();
    close_result_ = ok ? closed : ok;
    return close_result_;
  }

  [[nodiscard]] std::uint64_t position() const override { return out_->position(); }

  // After a failed open: closes without writing what was buffered.
  void abandon() {
    out_->discard();
    (void)close(nullptr);
  }

 private:
  Result<void> write_one(const PacketView& p, std::span<const std::string_view> comments,
                         std::span<const CustomOption> custom = {}) {
    const PacketHeader& h = p.header;
    if (h.interface >= interfaces_.size() || h.caplen != p.data.size() ||
        h.caplen > interfaces_[h.interface].max_caplen || h.ts.ns < 0 || closed_) [[unlikely]]
      return refuse(p);

    std::size_t options_len = 0;
    for (std::string_view c : comments) {
      if (c.size() > kMaxOptionLen) [[unlikely]]
        return check_option_len(fmt::format("packet {}: comment", count_ + 1), c.size(), out_->name());
      options_len += 4 + c.size() + pad4(c.size());
    }
    for (const CustomOption& c : custom) {
      if (c.swapped) [[unlikely]]
        return fail(Errc::unsupported,
                    fmt::format("{}: packet {}: custom option {} (PEN {}) comes from a section in the other byte "
                                "order; its data cannot be converted",
                                out_->name(), count_ + 1, c.code, c.pen));
      if (c.data.size() + 4 > kMaxOptionLen) [[unlikely]]
        return check_option_len(fmt::format("packet {}: custom option", count_ + 1), c.data.size() + 4, out_->name());
      options_len += 4 + 4 + c.data.size() + pad4(c.data.size() + 4);
    }
    bool with_flags = h.has_flags || h.direction != Direction::unknown;
    if (with_flags) options_len += 8;
    if (options_len != 0) options_len += 4;  // opt_endofopt
    std::size_t data_pad = pad4(h.caplen);
    std::uint64_t total = kEpbFixedLen + h.caplen + data_pad + options_len + 4;
    if (total > 0xffffffffu) [[unlikely]]
      return fail(Errc::invalid_argument,
                  fmt::format("{}: packet {}: the block would be {} bytes, more than pcapng allows",
                              out_->name(), count_ + 1, total));

    auto units = static_cast<std::uint64_t>(h.ts.ns) / interfaces_[h.interface].ns_per_unit;
    std::array<std::uint32_t, 7> head{kEpbType,
                                      static_cast<std::uint32_t>(total),
                                      h.interface,
                                      static_cast<std::uint32_t>(units >> 32),
                                      static_cast<std::uint32_t>(units),
                                      h.caplen,
                                      h.origlen};
    if (auto ok = out_->append(std::as_bytes(std::span(head))); !ok) return ok;
    if (auto ok = out_->append(p.data); !ok) return ok;
    if (auto ok = out_->append_zeros(data_pad); !ok) return ok;
    if (options_len != 0) {
      for (std::string_view c : comments) {
        std::array<std::uint16_t, 2> oh{kOptComment, static_cast<std::uint16_t>(c.size())};
        if (auto ok = out_->append(std::as_bytes(std::span(oh))); !ok) return ok;
        if (auto ok = out_->append(std::as_bytes(std::span(c))); !ok) return ok;
        if (auto ok = out_->append_zeros(pad4(c.size())); !ok) return ok;
      }
      for (const CustomOption& c : custom) {
        std::array<std::uint16_t, 2> oh{c.code, static_cast<std::uint16_t>(c.data.size() + 4)};
        if (auto ok = out_->append(std::as_bytes(std::span(oh))); !ok) return ok;
        if (auto ok = out_->append(std::as_bytes(std::span(&c.pen, 1))); !ok) return ok;
        if (auto ok = out_->append(c.data); !ok) return ok;
        if (auto ok = out_->append_zeros(pad4(c.data.size() + 4)); !ok) return ok;
      }
      if (with_flags) {
        // epb_flags bits 0-1: 1 inbound, 2 outbound; the direction we know wins over the source's.
        std::uint32_t flags = h.has_flags ? h.flags : 0;
        if (h.direction != Direction::unknown)
          flags = (flags & ~std::uint32_t{3}) | static_cast<std::uint32_t>(h.direction);
        std::array<std::uint16_t, 2> oh{kEpbFlags, 4};
        if (auto ok = out_->append(std::as_bytes(std::span(oh))); !ok) return ok;
        if (auto ok = out_->append(std::as_bytes(std::span(&flags, 1))); !ok) return ok;
      }
      std::uint32_t end = kOptEndOfOpt;
      if (auto ok = out_->append(std::as_bytes(std::span(&end, 1))); !ok) return ok;
    }
    auto trailer = static_cast<std::uint32_t>(total);
    if (auto ok = out_->append(std::as_bytes(std::span(&trailer, 1))); !ok) return ok;

    if (count_ == 0) first_ts_ = h.ts.ns;
    last_ts_ = h.ts.ns;
    ++count_;
    return {};
  }

  // Says why write_one would not take a packet; off the hot path.
  Result<void> refuse(const PacketView& p) const {
    const PacketHeader& h = p.header;
    std::string where = fmt::format("{}: packet {}", out_->name(), count_ + 1);
    if (closed_) return closed_error();
    if (h.interface >= interfaces_.size())
      return fail(Errc::invalid_argument,
                  fmt::format("{}: interface {} is unknown; the file has {} (add_interface first)",
                              where, h.interface, interfaces_.size()));
    if (h.caplen != p.data.size())
      return fail(Errc::invalid_argument,
                  fmt::format("{}: header says {} bytes captured but {} bytes were given", where,
                              h.caplen, p.data.size()));
    if (h.ts.ns < 0)
      return fail(Errc::invalid_argument,
                  fmt::format("{}: timestamp {} ns is before 1970, which pcapng cannot store "
                              "without if_tsoffset",
                              where, h.ts.ns));
    const WriterInterface& ifc = interfaces_[h.interface];
    return fail(Errc::invalid_argument,
                fmt::format("{}: captured length {} is above the maximum {} readers accept for {}",
                            where, h.caplen, ifc.max_caplen, describe_link_type(ifc.link_type)));
  }

  [[nodiscard]] Result<void> closed_error() const {
    return fail(Errc::invalid_argument, fmt::format("{}: the writer is closed", out_->name()));
  }

  Result<void> write_idb(const InterfaceDescription& ifc) {
    const std::string& name = out_->name();
    for (auto [what, s] : {std::pair{"if_name", &ifc.name}, std::pair{"if_description", &ifc.description},
                           std::pair{"if_os", &ifc.os}, std::pair{"if_hardware", &ifc.hardware}})
      if (auto ok = check_option_len(what, s->size(), name); !ok) return ok;
    if (auto ok = check_option_len("if_filter", ifc.filter.size() + 1, name); !ok) return ok;
    for (const std::string& c : ifc.comments)
      if (auto ok = check_option_len("interface comment", c.size(), name); !ok) return ok;

    BlockBuilder idb(kIdbType);
    idb.put16(link_type_to_file(ifc.link_type));
    idb.put16(0);  // reserved
    idb.put32(ifc.snaplen);
    for (const std::string& c : ifc.comments) idb.option(kOptComment, c);
    if (!ifc.name.empty()) idb.option(kIfName, ifc.name);
    if (!ifc.description.empty()) idb.option(kIfDescription, ifc.description);
    if (ifc.speed) idb.option_u64(kIfSpeed, *ifc.speed);
    // if_tsresol: 10^-9 s when asked for or when the interface's own clock does not divide µs
    // (so copies lose nothing), 10^-6 s otherwise.
    bool nano = nanosecond_ || 1'000'000 % std::max<std::uint64_t>(ifc.ts_units_per_second, 1) != 0;
    std::uint8_t tsresol = nano ? 9 : 6;
    idb.option(kIfTsresol, &tsresol, 1);
    if (!ifc.filter.empty()) {
      // if_filter: a type byte (0: a libpcap filter string), then the filter.
      std::string value(1, '\0');
      value += ifc.filter;
      idb.option(kIfFilter, value);
    }
    if (!ifc.os.empty()) idb.option(kIfOs, ifc.os);
    if (ifc.fcs_len) idb.option(kIfFcslen, &*ifc.fcs_len, 1);
    if (!ifc.hardware.empty()) idb.option(kIfHardware, ifc.hardware);
    if (auto ok = out_->append(idb.finish()); !ok) return ok;
    interfaces_.push_back({ifc.link_type, max_snaplen_for(ifc.link_type), nano ? 1u : 1000u});
    return {};
  }

  Result<void> write_isb(std::uint32_t interface, const CaptureStats& stats) {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    std::int64_t now_ns = static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
    BlockBuilder isb(kIsbType);
    isb.put32(interface);
    std::uint64_t unit = interfaces_[interface].ns_per_unit;
    isb.put64_split(static_cast<std::uint64_t>(now_ns) / unit);
    if (count_ != 0) {
      isb.option_ts(kIsbStartTime, static_cast<std::uint64_t>(first_ts_) / unit);
      isb.option_ts(kIsbEndTime, static_cast<std::uint64_t>(last_ts_) / unit);
    }
    isb.option_u64(kIsbIfRecv, stats.received);
    isb.option_u64(kIsbIfDrop, stats.dropped);
    return out_->append(isb.finish());
  }

  std::unique_ptr<ByteOutput> out_;
  bool per_packet_;
  bool nanosecond_;
  bool closed_ = false;
  Result<void> close_result_;
  std::vector<WriterInterface> interfaces_;
  std::uint64_t count_ = 0;
  std::int64_t first_ts_ = 0;
  std::int64_t last_ts_ = 0;
};

}  // namespace

Result<std::unique_ptr<SavefileWriter>> make_pcapng_writer(
    std::unique_ptr<ByteOutput> out, std::span<const InterfaceDescription> interfaces,
    const WriterOptions& options, const std::optional<ExistingFile>& existing) {
  auto w = std::make_unique<PcapngWriter>(std::move(out), options);
  if (auto ok = w->open(interfaces, options, existing); !ok) {
    w->abandon();
    return std::unexpected(ok.error());
  }
  return std::unique_ptr<SavefileWriter>(std::move(w));
}

}  // namespace pcapxx::detail
