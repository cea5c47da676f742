// pcapng block constants and the option lists that end Section Header, Interface Description
// and packet blocks. Facts: draft-ietf-opsawg-pcapng (3.5 "Options", 4.1 SHB, 4.2 IDB, 4.3 EPB,
// 4.4 SPB, Appendix A PB).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pcapxx/savefile.hpp"
#include "pcapxx/source.hpp"

namespace pcapxx::detail::pcapng {

inline constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;
inline constexpr std::uint32_t kInterfaceDescription = 0x00000001;
inline constexpr std::uint32_t kPacket = 0x00000002;  // obsolete Packet Block
inline constexpr std::uint32_t kSimplePacket = 0x00000003;
inline constexpr std::uint32_t kNameResolution = 0x00000004;
inline constexpr std::uint32_t kInterfaceStatistics = 0x00000005;
inline constexpr std::uint32_t kEnhancedPacket = 0x00000006;
inline constexpr std::uint32_t kDecryptionSecrets = 0x0000000A;
inline constexpr std::uint32_t kCustom = 0x00000BAD;
inline constexpr std::uint32_t kCustomNoCopy = 0x40000BAD;

inline constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;

/// Option codes that every block shares (3.5).
inline constexpr std::uint16_t kOptEndOfOpt = 0;
inline constexpr std::uint16_t kOptComment = 1;
/// Custom options (3.5.1): UTF-8 or binary, copyable or not; a PEN leads the value.
inline constexpr std::uint16_t kCustomUtf8Copy = 2988;
inline constexpr std::uint16_t kCustomBinaryCopy = 2989;
inline constexpr std::uint16_t kCustomUtf8NoCopy = 19372;
inline constexpr std::uint16_t kCustomBinaryNoCopy = 19373;

/// The block's name in the spec's words, for messages ("Enhanced Packet Block").
std::string_view block_name(std::uint32_t type) noexcept;

/// n rounded up to a multiple of 4: every pcapng field of variable length is padded so.
constexpr std::size_t pad4(std::size_t n) noexcept { return (n + 3) & ~std::size_t{3}; }

/// Where a block sits, so that option errors name the file, the block and the option.
struct BlockPlace {
  std::string_view file;
  std::uint64_t block_offset = 0;   ///< file offset of the block
  std::uint64_t options_offset = 0; ///< file offset of its options area
  std::uint32_t type = 0;
};

/// One option: its code and value (padding excluded); `at` is its offset in the options area.
struct Option {
  std::uint16_t code = 0;
  std::span<const std::byte> value;
  std::size_t at = 0;
};

/// Walks an options area. next() stops at the end of the area or at opt_endofopt; when an
/// option header or value (with its padding) does not fit in what is left, it stops and
/// malformed() is true. Never reads outside the area.
class OptionReader {
 public:
  OptionReader(std::span<const std::byte> area, bool swapped) noexcept : area_(area), swapped_(swapped) {}

  /// The next option, or nullopt at the end or on a malformed option.
  std::optional<Option> next() noexcept;
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }
  /// What was wrong, in words ("option 12336 at offset 24 has length 12336 ..."); the offset
  /// is the file offset of the bad option when `options_offset` is the area's file offset.
  [[nodiscard]] std::string describe(std::uint64_t options_offset) const;
  /// Area offset of the option that did not fit.
  [[nodiscard]] std::size_t bad_at() const noexcept { return pos_; }

 private:
  std::span<const std::byte> area_;
  bool swapped_;
  std::size_t pos_ = 0;
  bool malformed_ = false;
  bool done_ = false;
  std::uint16_t bad_code_ = 0;
  std::uint16_t bad_length_ = 0;
};

/// A string option's text: UTF-8, not terminated. Some writers add a NUL anyway, and some leave
/// garbage after it (ppp/pcapng-example.pcapng); as Wireshark does, the text ends at a NUL.
std::string_view option_text(std::span<const std::byte> value) noexcept;

/// Reads the options of a Section Header Block into `info` (shb_hardware, shb_os,
/// shb_userappl, opt_comment).
Result<void> read_section_options(std::span<const std::byte> area, bool swapped,
                                  const BlockPlace& place, SavefileInfo& info);

/// Reads the options of an Interface Description Block into `ifc`.
Result<void> read_interface_options(std::span<const std::byte> area, bool swapped,
                                    const BlockPlace& place, InterfaceDescription& ifc);

/// Checks the options of a packet block (EPB or PB) and returns epb_flags if present.
/// Allocates nothing: it runs once per packet.
Result<std::optional<std::uint32_t>> scan_packet_options(std::span<const std::byte> area, bool swapped,
                                                         const BlockPlace& place);

}  // namespace pcapxx::detail::pcapng
