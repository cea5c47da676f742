// pcapng option lists: walking them safely and reading the ones of SHBs, IDBs and packet blocks.
// Facts: draft-ietf-opsawg-pcapng, 3.5 (option format, padding), 4.1 (shb_*), 4.2 (if_*,
// if_tsresol encoding), 4.3 (epb_* codes and sizes).
#include "savefile/pcapng_options.hpp"

#include <limits>

#include <fmt/format.h>

#include "core/byte_order.hpp"

namespace pcapxx {
namespace detail::pcapng {
namespace {

constexpr std::size_t kOptionHeaderLen = 4;

// Interface Description Block option codes (4.2).
constexpr std::uint16_t kIfName = 2;
constexpr std::uint16_t kIfDescription = 3;
constexpr std::uint16_t kIfSpeed = 8;
constexpr std::uint16_t kIfTsresol = 9;
constexpr std::uint16_t kIfFilter = 11;
constexpr std::uint16_t kIfOs = 12;
constexpr std::uint16_t kIfFcslen = 13;
constexpr std::uint16_t kIfTsoffset = 14;
constexpr std::uint16_t kIfHardware = 15;

// Section Header Block option codes (4.1).
constexpr std::uint16_t kShbHardware = 2;
constexpr std::uint16_t kShbOs = 3;
constexpr std::uint16_t kShbUserappl = 4;

// Enhanced Packet Block option codes (4.3); the obsolete PB uses the same for flags and hash.
constexpr std::uint16_t kEpbFlags = 2;
constexpr std::uint16_t kEpbHash = 3;
constexpr std::uint16_t kEpbDropcount = 4;
constexpr std::uint16_t kEpbPacketid = 5;
constexpr std::uint16_t kEpbQueue = 6;
constexpr std::uint16_t kEpbVerdict = 7;

std::unexpected<Error> malformed_options(const OptionReader& r, const BlockPlace& place) {
  return fail_at(Errc::format, place.options_offset + r.bad_at(),
                 fmt::format("{}: block at offset {}: {} {}", place.file, place.block_offset,
                             block_name(place.type), r.describe(place.options_offset)));
}

std::unexpected<Error> bad_length(const BlockPlace& place, const Option& opt, std::string_view what,
                                  std::size_t expected) {
  std::uint64_t at = place.options_offset + opt.at;
  return fail_at(Errc::format, at,
                 fmt::format("{}: block at offset {}: {} option {} at offset {} has length {}, "
                             "expected {}",
                             place.file, place.block_offset, block_name(place.type), what, at,
                             opt.value.size(), expected));
}

// 10^exp or 2^exp, or nullopt if it does not fit in 64 bits.
std::optional<std::uint64_t> units_per_second(std::uint8_t tsresol) {
  unsigned exp = tsresol & 0x7f;
  if (tsresol & 0x80) {
    if (exp >= 64) return std::nullopt;
    return std::uint64_t{1} << exp;
  }
  std::uint64_t v = 1;
  for (unsigned i = 0; i < exp; ++i) {
    if (v > std::numeric_limits<std::uint64_t>::max() / 10) return std::nullopt;
    v *= 10;
  }
  return v;
}

}  // namespace

std::string_view block_name(std::uint32_t type) noexcept {
  switch (type) {
    case kSectionHeader: return "Section Header Block";
    case kInterfaceDescription: return "Interface Description Block";
    case kPacket: return "Packet Block";
    case kSimplePacket: return "Simple Packet Block";
    case kNameResolution: return "Name Resolution Block";
    case kInterfaceStatistics: return "Interface Statistics Block";
    case kEnhancedPacket: return "Enhanced Packet Block";
    case kDecryptionSecrets: return "Decryption Secrets Block";
    case kCustom: case kCustomNoCopy: return "Custom Block";
    default: return "block";
  }
}

std::optional<Option> OptionReader::next() noexcept {
  if (done_) return std::nullopt;
  std::size_t left = area_.size() - pos_;
  if (left == 0) {
    done_ = true;
    return std::nullopt;
  }
  if (left < kOptionHeaderLen) {
    done_ = malformed_ = true;
    return std::nullopt;
  }
  const std::byte* p = area_.data() + pos_;
  std::uint16_t code = load<std::uint16_t>(p, swapped_);
  std::uint16_t length = load<std::uint16_t>(p + 2, swapped_);
  if (code == kOptEndOfOpt) {
    done_ = true;
    return std::nullopt;
  }
  if (pad4(length) > left - kOptionHeaderLen) {
    done_ = malformed_ = true;
    bad_code_ = code;
    bad_length_ = length;
    return std::nullopt;
  }
  Option opt{code, area_.subspan(pos_ + kOptionHeaderLen, length), pos_};
  pos_ += kOptionHeaderLen + pad4(length);
  return opt;
}

std::string OptionReader::describe(std::uint64_t options_offset) const {
  std::size_t left = area_.size() - pos_;
  if (left < kOptionHeaderLen)
    return fmt::format("option area has {} bytes at offset {} after its last option, too few "
                       "for an option header of {}",
                       left, options_offset + pos_, kOptionHeaderLen);
  return fmt::format("option {} at offset {} has length {} ({} with padding), which overruns the "
                     "block: only {} bytes are left for it",
                     bad_code_, options_offset + pos_, bad_length_, pad4(bad_length_),
                     left - kOptionHeaderLen);
}

std::string_view option_text(std::span<const std::byte> value) noexcept {
  std::string_view s(reinterpret_cast<const char*>(value.data()), value.size());
  return s.substr(0, s.find('\0'));
}

Result<void> read_section_options(std::span<const std::byte> area, bool swapped,
                                  const BlockPlace& place, SavefileInfo& info) {
  OptionReader r(area, swapped);
  while (auto opt = r.next()) {
    switch (opt->code) {
      case kOptComment: info.comments.emplace_back(option_text(opt->value)); break;
      case kShbHardware: info.hardware = option_text(opt->value); break;
      case kShbOs: info.os = option_text(opt->value); break;
      case kShbUserappl: info.user_application = option_text(opt->value); break;
      default: break;  // unknown and custom options are skipped (3.5)
    }
  }
  if (r.malformed()) return malformed_options(r, place);
  return {};
}

Result<void> read_interface_options(std::span<const std::byte> area, bool swapped,
                                    const BlockPlace& place, InterfaceDescription& ifc) {
  OptionReader r(area, swapped);
  while (auto opt = r.next()) {
    const auto& v = opt->value;
    switch (opt->code) {
      case kOptComment: ifc.comments.emplace_back(option_text(v)); break;
      case kIfName: ifc.name = option_text(v); break;
      case kIfDescription: ifc.description = option_text(v); break;
      case kIfOs: ifc.os = option_text(v); break;
      case kIfHardware: ifc.hardware = option_text(v); break;
      case kIfFilter:
        // First byte says what follows: 0 a filter string, 1 a BPF program (not kept).
        if (!v.empty() && v[0] == std::byte{0}) ifc.filter = option_text(v.subspan(1));
        break;
      case kIfSpeed:
        if (v.size() != 8) return bad_length(place, *opt, "if_speed", 8);
        ifc.speed = load<std::uint64_t>(v.data(), swapped);
        break;
      case kIfFcslen:
        if (v.size() != 1) return bad_length(place, *opt, "if_fcslen", 1);
        ifc.fcs_len = static_cast<std::uint8_t>(v[0]);
        break;
      case kIfTsoffset:
        if (v.size() != 8) return bad_length(place, *opt, "if_tsoffset", 8);
        ifc.ts_offset_seconds = load<std::int64_t>(v.data(), swapped);
        break;
      case kIfTsresol: {
        if (v.size() != 1) return bad_length(place, *opt, "if_tsresol", 1);
        auto tsresol = static_cast<std::uint8_t>(v[0]);
        auto units = units_per_second(tsresol);
        if (!units) {
          std::uint64_t at = place.options_offset + opt->at;
          return fail_at(Errc::format, at,
                         fmt::format("{}: block at offset {}: Interface Description Block option "
                                     "if_tsresol at offset {}: resolution {}^-{} s needs more "
                                     "units per second than 64 bits hold",
                                     place.file, place.block_offset, at,
                                     (tsresol & 0x80) ? 2 : 10, tsresol & 0x7f));
        }
        ifc.ts_units_per_second = *units;
        break;
      }
      default: break;
    }
  }
  if (r.malformed()) return malformed_options(r, place);
  return {};
}

Result<std::optional<std::uint32_t>> scan_packet_options(std::span<const std::byte> area, bool swapped,
                                                         const BlockPlace& place) {
  std::optional<std::uint32_t> flags;
  if (area.empty()) return flags;
  OptionReader r(area, swapped);
  while (auto opt = r.next()) {
    if (opt->code != kEpbFlags) continue;
    if (opt->value.size() != 4) return bad_length(place, *opt, "epb_flags", 4);
    flags = load<std::uint32_t>(opt->value.data(), swapped);
  }
  if (r.malformed()) return malformed_options(r, place);
  return flags;
}

}  // namespace detail::pcapng

Result<PacketOptions> parse_packet_options(const RawOptions& raw) {
  using detail::load;
  using namespace detail::pcapng;
  PacketOptions out;
  OptionReader r(raw.bytes, raw.swapped);
  auto wrong = [](const Option& opt, std::string_view what, std::string_view expected) {
    return fail(Errc::format, fmt::format("packet options: option {} at byte {} has length {}, "
                                          "expected {}",
                                          what, opt.at, opt.value.size(), expected));
  };
  while (auto opt = r.next()) {
    const auto& v = opt->value;
    switch (opt->code) {
      case kOptComment: out.comments.push_back(option_text(v)); break;
      case kEpbFlags:
        if (v.size() != 4) return wrong(*opt, "epb_flags", "4");
        out.flags = load<std::uint32_t>(v.data(), raw.swapped);
        break;
      case kEpbHash:
        if (v.empty()) return wrong(*opt, "epb_hash", "at least 1");
        out.hashes.push_back(v);
        break;
      case kEpbDropcount:
        if (v.size() != 8) return wrong(*opt, "epb_dropcount", "8");
        out.dropcount = load<std::uint64_t>(v.data(), raw.swapped);
        break;
      case kEpbPacketid:
        if (v.size() != 8) return wrong(*opt, "epb_packetid", "8");
        out.packet_id = load<std::uint64_t>(v.data(), raw.swapped);
        break;
      case kEpbQueue:
        if (v.size() != 4) return wrong(*opt, "epb_queue", "4");
        out.queue = load<std::uint32_t>(v.data(), raw.swapped);
        break;
      case kEpbVerdict:
        if (v.empty()) return wrong(*opt, "epb_verdict", "at least 1");
        out.verdicts.push_back(v);
        break;
      case kCustomUtf8Copy:
      case kCustomBinaryCopy:
      case kCustomUtf8NoCopy:
      case kCustomBinaryNoCopy:
        if (v.size() < 4) return wrong(*opt, "custom", "at least 4 (the Private Enterprise Number)");
        out.custom.push_back({opt->code, load<std::uint32_t>(v.data(), raw.swapped), v.subspan(4), raw.swapped});
        break;
      default: break;
    }
  }
  if (r.malformed())
    return fail(Errc::format, fmt::format("packet options: {}", r.describe(0)));
  return out;
}

}  // namespace pcapxx
