// The pcapng savefile format: a sequence of blocks (type, total length, body, total length
// again), grouped in sections that each start with a Section Header Block giving the section's
// byte order. Packets come from Enhanced, Simple and (obsolete) Packet Blocks; Interface
// Description Blocks give each packet's link type and timestamp units. Every other block
// (NRB, ISB, DSB, custom, unknown) is checked for its framing and skipped.
// Facts: draft-ietf-opsawg-pcapng (2 general structure, 4.1-4.4, Appendix A).
//
// Limits: blocks above 16 MiB are refused rather than buffered. Timestamps finer than 1 ns are
// truncated to ns; a 64-bit tick count beyond what 64-bit ns hold is read as signed, then
// clamped (tshark and libpcap show such a count unsigned, in seconds). Only the first
// section's SHB options reach SavefileInfo. Interfaces of all sections are one list; a packet's
// interface is its index in that list.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/byte_order.hpp"
#include "savefile/decoder.hpp"
#include "savefile/pcapng_options.hpp"

namespace pcapxx::detail {
namespace {

using namespace pcapng;

constexpr std::size_t kBlockHeadLen = 12;  // type, total length, and the SHB's byte-order magic
constexpr std::uint32_t kMaxBlockLen = 16 * 1024 * 1024;

// Smallest total length of each block type: 12 bytes of framing plus the fixed fields.
constexpr std::uint32_t min_block_len(std::uint32_t type) noexcept {
  switch (type) {
    case kSectionHeader: return 28;         // magic, version, section length
    case kInterfaceDescription: return 20;  // link type, reserved, snaplen
    case kEnhancedPacket: return 32;        // interface, timestamp, caplen, origlen
    case kPacket: return 32;                // interface, drops, timestamp, caplen, len
    case kSimplePacket: return 16;          // origlen
    default: return 12;
  }
}

struct BlockHead {
  std::uint32_t type = 0;
  std::uint32_t length = 0;
  bool swapped = false;  // byte order of this block (an SHB sets it for its section)
};

__extension__ typedef __int128 Int128;

// ns since the epoch for a timestamp of `ticks` at `units` per second, plus an offset in
// seconds. Exact for units that divide 10^9, truncated to the ns for finer ones. A count that
// does not fit 64-bit ns is read again as a signed (two's complement) count, which is how a
// writer's negative timestamp looks (ppp/pcapng-example.pcapng has such packets); if that does
// not fit either, the result is clamped.
std::int64_t ticks_to_ns(std::uint64_t ticks, std::uint64_t units, std::int64_t offset_s) noexcept {
  constexpr std::int64_t kNsPerSecond = 1'000'000'000;
  // The common case (µs or ns, no offset, a date in range) needs no 128-bit division.
  if (offset_s == 0 && units <= kNsPerSecond && kNsPerSecond % units == 0 &&
      ticks <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    std::int64_t ns = 0;
    if (!__builtin_mul_overflow(static_cast<std::int64_t>(ticks),
                                kNsPerSecond / static_cast<std::int64_t>(units), &ns))
      return ns;
  }
  auto convert = [&](Int128 t) {
    Int128 u = units;
    Int128 secs = t / u;
    Int128 rem = t % u;
    if (rem < 0) {  // floor, so the fraction is never negative
      rem += u;
      secs -= 1;
    }
    return (secs + offset_s) * kNsPerSecond + rem * kNsPerSecond / u;
  };
  constexpr Int128 kMax = std::numeric_limits<std::int64_t>::max();
  constexpr Int128 kMin = std::numeric_limits<std::int64_t>::min();
  Int128 ns = convert(static_cast<Int128>(ticks));
  if (ns > kMax || ns < kMin) ns = convert(static_cast<std::int64_t>(ticks));
  return static_cast<std::int64_t>(std::clamp(ns, kMin, kMax));
}

class PcapngDecoder final : public RecordDecoder {
 public:
  explicit PcapngDecoder(DecoderState s) : s_(s) {}

  Result<void> read_header() override {
    ByteInput& in = s_.in;
    auto buf = in.fill(kBlockHeadLen);
    if (!buf) return std::unexpected(buf.error());
    if (buf->size() < kBlockHeadLen)
      return fail_at(Errc::truncated, 0,
                     fmt::format("{}: block at offset 0: truncated Section Header Block: the file "
                                 "ends after {} of at least {} bytes",
                                 in.name(), buf->size(), min_block_len(kSectionHeader)));
    auto head = read_head(buf->data(), 0);
    if (!head) return std::unexpected(head.error());
    buf = in.fill(head->length);
    if (!buf) return std::unexpected(buf.error());
    if (buf->size() < head->length) return truncated_block(0, *head, buf->size());
    auto ok = process(buf->first(head->length), 0, *head, nullptr, /*first=*/true);
    if (!ok) return std::unexpected(ok.error());
    in.consume(head->length);
    read_to_first_packet();
    return {};
  }

  Result<std::size_t> decode(std::span<PacketView> out) override {
    ByteInput& in = s_.in;
    std::span<const std::byte> buf = in.buffered();
    std::size_t used = 0;
    std::size_t n = 0;
    auto stop = [&](Error e) -> Result<std::size_t> {
      in.consume(used);
      return std::unexpected(std::move(e));
    };
    while (n < out.size()) {
      std::span<const std::byte> rest = buf.subspan(used);
      std::uint64_t off = in.offset() + used;
      if (rest.size() < kBlockHeadLen) {
        if (n > 0) break;  // the buffer may not move under views already handed out
        in.consume(used);
        used = 0;
        auto more = in.fill(kBlockHeadLen);
        if (!more) return std::unexpected(more.error());
        buf = *more;
        if (buf.empty()) return 0;
        if (buf.size() < kBlockHeadLen)
          return fail_at(Errc::truncated, in.offset(),
                         fmt::format("{}: block at offset {}: truncated block header: the file "
                                     "ends after {} of {} bytes",
                                     in.name(), in.offset(), buf.size(), kBlockHeadLen));
        continue;
      }
      auto head = read_head(rest.data(), off);
      if (!head) {
        if (n > 0) break;  // reported by the next call, at the same block
        return stop(head.error());
      }
      // A new interface or section ends the batch, so that interfaces() describes exactly the
      // interfaces of the packets handed out so far (libpcap stops at such a block too).
      if (n > 0 && (head->type == kInterfaceDescription || head->type == kSectionHeader)) break;
      if (rest.size() < head->length) {
        if (n > 0) break;
        in.consume(used);
        used = 0;
        auto more = in.fill(head->length);
        if (!more) return std::unexpected(more.error());
        buf = *more;
        if (buf.size() < head->length) return truncated_block(in.offset(), *head, buf.size());
        continue;
      }
      auto got = process(rest.first(head->length), off, *head, &out[n], /*first=*/false);
      if (!got) {
        if (n > 0) break;
        return stop(got.error());
      }
      if (*got) ++n;
      used += head->length;
    }
    in.consume(used);
    return n;
  }

 private:
  // As libpcap does at open, reads the blocks before the first packet so the interfaces are
  // known before any packet is asked for. A damaged block stops this quietly: decode() meets
  // it again and reports it (process() changes no state when it fails).
  void read_to_first_packet() {
    ByteInput& in = s_.in;
    while (true) {
      auto buf = in.fill(kBlockHeadLen);
      if (!buf || buf->size() < kBlockHeadLen) return;
      auto head = read_head(buf->data(), in.offset());
      if (!head || head->type == kEnhancedPacket || head->type == kSimplePacket || head->type == kPacket)
        return;
      buf = in.fill(head->length);
      if (!buf || buf->size() < head->length) return;
      if (!process(buf->first(head->length), in.offset(), *head, nullptr, /*first=*/false)) return;
      in.consume(head->length);
    }
  }

  // Reads and checks a block's type and total length; p has kBlockHeadLen bytes.
  Result<BlockHead> read_head(const std::byte* p, std::uint64_t off) const {
    BlockHead h;
    h.swapped = swapped_;
    h.type = load<std::uint32_t>(p, swapped_);
    if (h.type == kSectionHeader) {  // a palindrome: found whatever the byte order
      std::uint32_t magic = load_raw<std::uint32_t>(p + 8);
      if (magic == kByteOrderMagic) {
        h.swapped = false;
      } else if (magic == std::byteswap(kByteOrderMagic)) {
        h.swapped = true;
      } else {
        return fail_at(Errc::format, off,
                       fmt::format("{}: block at offset {}: Section Header Block byte-order magic "
                                   "0x{:08x} is neither 0x1a2b3c4d nor 0x4d3c2b1a",
                                   s_.in.name(), off, load_be32(p + 8)));
      }
    }
    h.length = load<std::uint32_t>(p + 4, h.swapped);
    if (h.length % 4 != 0)
      return fail_at(Errc::format, off,
                     fmt::format("{}: block at offset {}: total length {} of {} is not a "
                                 "multiple of 4",
                                 s_.in.name(), off, h.length, a_block(h.type)));
    std::uint32_t min = min_block_len(h.type);
    if (h.length < min)
      return fail_at(Errc::format, off,
                     fmt::format("{}: block at offset {}: total length {} is smaller than the "
                                 "minimum {} for {}",
                                 s_.in.name(), off, h.length, min, a_block(h.type)));
    if (h.length > kMaxBlockLen)
      return fail_at(Errc::format, off,
                     fmt::format("{}: block at offset {}: total length {} of {} is above the "
                                 "limit of {} bytes",
                                 s_.in.name(), off, h.length, a_block(h.type), kMaxBlockLen));
    return h;
  }

  // "an Enhanced Packet Block", "a block of type 0x00000123": for messages only.
  static std::string a_block(std::uint32_t type) {
    std::string_view name = block_name(type);
    if (name == "block") return fmt::format("a block of type 0x{:08x}", type);
    bool vowel = name.front() == 'E' || name.front() == 'I';
    return fmt::format("{} {}", vowel ? "an" : "a", name);
  }

  std::unexpected<Error> truncated_block(std::uint64_t off, const BlockHead& h, std::size_t have) const {
    return fail_at(Errc::truncated, off,
                   fmt::format("{}: block at offset {}: truncated {}: its header says {} bytes, "
                               "the file ends after {}",
                               s_.in.name(), off, block_name(h.type), h.length, have));
  }

  std::unexpected<Error> block_error(std::uint64_t off, const BlockHead& h, std::string_view what) const {
    return fail_at(Errc::format, off,
                   fmt::format("{}: block at offset {}: {}: {}", s_.in.name(), off,
                               block_name(h.type), what));
  }

  // Handles one whole block. Returns true if it produced a packet in *view. Changes no state
  // when it fails, so the same block fails the same way when tried again.
  Result<bool> process(std::span<const std::byte> b, std::uint64_t off, const BlockHead& h,
                       PacketView* view, bool first) {
    std::uint32_t trailer = load<std::uint32_t>(b.data() + b.size() - 4, h.swapped);
    if (trailer != h.length)
      return block_error(off, h, fmt::format("trailing total length {} disagrees with the "
                                             "leading total length {}",
                                             trailer, h.length));
    if (first && h.type != kSectionHeader)
      return block_error(off, h, "the file does not start with a Section Header Block");
    switch (h.type) {
      case kSectionHeader: {
        auto ok = section_header(b, off, h, first);
        if (!ok) return std::unexpected(ok.error());
        return false;
      }
      case kInterfaceDescription: {
        auto ok = interface_description(b, off, h);
        if (!ok) return std::unexpected(ok.error());
        return false;
      }
      case kEnhancedPacket: return packet_block(b, off, h, *view, false);
      case kPacket: return packet_block(b, off, h, *view, true);
      case kSimplePacket: return simple_packet(b, off, h, *view);
      default: return false;  // NRB, ISB, DSB, custom and unknown blocks are skipped
    }
  }

  Result<void> section_header(std::span<const std::byte> b, std::uint64_t off, const BlockHead& h,
                              bool first) {
    const std::byte* p = b.data();
    std::uint16_t major = load<std::uint16_t>(p + 12, h.swapped);
    std::uint16_t minor = load<std::uint16_t>(p + 14, h.swapped);
    if (major != 1 || minor != 0)
      return fail_at(Errc::unsupported, off,
                     fmt::format("{}: block at offset {}: unsupported pcapng savefile version {}.{}",
                                 s_.in.name(), off, major, minor));
    // The section length at p + 16 may be -1 (unknown); nothing here depends on it.
    BlockPlace place{s_.in.name(), off, off + 24, h.type};
    SavefileInfo info;
    auto ok = read_section_options(b.subspan(24, b.size() - 28), h.swapped, place, info);
    if (!ok) return ok;
    if (first) {
      info.format = SavefileFormat::pcapng;
      info.version_major = major;
      info.version_minor = minor;
      info.swapped = h.swapped;
      s_.info = std::move(info);
    }
    swapped_ = h.swapped;
    section_base_ = s_.interfaces.size();
    return {};
  }

  Result<void> interface_description(std::span<const std::byte> b, std::uint64_t off,
                                     const BlockHead& h) {
    const std::byte* p = b.data();
    InterfaceDescription ifc;
    ifc.link_type = link_type_from_file(load<std::uint16_t>(p + 8, h.swapped));
    ifc.snaplen = load<std::uint32_t>(p + 12, h.swapped);
    BlockPlace place{s_.in.name(), off, off + 16, h.type};
    auto ok = read_interface_options(b.subspan(16, b.size() - 20), h.swapped, place, ifc);
    if (!ok) return ok;
    s_.interfaces.push_back(std::move(ifc));
    return {};
  }

  [[nodiscard]] std::size_t section_interfaces() const noexcept {
    return s_.interfaces.size() - section_base_;
  }

  Result<bool> no_such_interface(std::uint64_t off, const BlockHead& h, std::uint32_t id) const {
    std::size_t count = section_interfaces();
    return block_error(off, h,
                       count == 0   ? fmt::format("names interface {}, but the section has no "
                                                      "interfaces", id)
                       : count == 1 ? fmt::format("names interface {}, but the section has 1 "
                                                  "interface (0)", id)
                                    : fmt::format("names interface {}, but the section has {} "
                                                  "interfaces (0-{})", id, count, count - 1));
  }

  // EPB: interface(4) ts_high(4) ts_low(4) caplen(4) origlen(4) data options.
  // PB:  interface(2) drops(2) ts_high(4) ts_low(4) caplen(4) len(4) data options.
  Result<bool> packet_block(std::span<const std::byte> b, std::uint64_t off, const BlockHead& h,
                            PacketView& v, bool obsolete) {
    const std::byte* p = b.data();
    bool sw = h.swapped;
    std::uint32_t id = obsolete ? load<std::uint16_t>(p + 8, sw) : load<std::uint32_t>(p + 8, sw);
    if (id >= section_interfaces()) return no_such_interface(off, h, id);
    std::uint32_t caplen = load<std::uint32_t>(p + 20, sw);
    std::size_t room = b.size() - 32;
    if (caplen > room)
      return block_error(off, h, fmt::format("captured length {} is larger than the {} bytes "
                                             "the block has for packet data",
                                             caplen, room));
    const InterfaceDescription& ifc = s_.interfaces[section_base_ + id];
    std::uint64_t ticks = (std::uint64_t{load<std::uint32_t>(p + 12, sw)} << 32) |
                          load<std::uint32_t>(p + 16, sw);
    std::int64_t ns = ticks_to_ns(ticks, ifc.ts_units_per_second, ifc.ts_offset_seconds);
    std::size_t opt_at = 28 + pad4(caplen);
    auto options = b.subspan(opt_at, b.size() - 4 - opt_at);
    BlockPlace place{s_.in.name(), off, off + opt_at, h.type};
    auto flags = scan_packet_options(options, sw, place);
    if (!flags) return std::unexpected(flags.error());

    v.header.ts.ns = ns;
    v.header.caplen = caplen;
    v.header.origlen = load<std::uint32_t>(p + 24, sw);
    v.header.interface = static_cast<std::uint32_t>(section_base_ + id);
    v.header.has_flags = flags->has_value();
    v.header.flags = flags->value_or(0);
    // epb_flags bits 0-1: 00 not available, 01 inbound, 10 outbound (4.3.1).
    switch (v.header.flags & 3) {
      case 1: v.header.direction = Direction::inbound; break;
      case 2: v.header.direction = Direction::outbound; break;
      default: v.header.direction = Direction::unknown; break;
    }
    v.data = b.subspan(28, caplen);
    v.options = RawOptions{options, sw};
    return true;
  }

  // SPB: origlen(4) data. Always interface 0 of the section; no timestamp, no options (4.4).
  Result<bool> simple_packet(std::span<const std::byte> b, std::uint64_t off, const BlockHead& h,
                             PacketView& v) {
    if (section_interfaces() == 0) return no_such_interface(off, h, 0);
    const InterfaceDescription& ifc = s_.interfaces[section_base_];
    std::uint32_t origlen = load<std::uint32_t>(b.data() + 8, h.swapped);
    auto caplen = static_cast<std::uint32_t>(std::min<std::size_t>(origlen, b.size() - 16));
    if (ifc.snaplen != 0) caplen = std::min(caplen, ifc.snaplen);
    v.header = PacketHeader{};
    v.header.caplen = caplen;
    v.header.origlen = origlen;
    v.header.interface = static_cast<std::uint32_t>(section_base_);
    v.data = b.subspan(12, caplen);
    v.options = RawOptions{{}, h.swapped};
    return true;
  }

  DecoderState s_;
  bool swapped_ = false;         // byte order of the current section
  std::size_t section_base_ = 0; // index of the current section's interface 0 in s_.interfaces
};

}  // namespace

std::unique_ptr<RecordDecoder> make_pcapng_decoder(DecoderState state) {
  return std::make_unique<PcapngDecoder>(state);
}

}  // namespace pcapxx::detail
