// NTP (RFC 5905 7.3) as tcpdump 4.99 prints it: "NTPv4, Client, length 48"; at -v the header
// fields, the four timestamps (with their UTC date) and the originator-relative differences on
// "\n\t" lines, then a key id / digest when the length says there is one. Texts observed by
// running tcpdump.
#include <array>
#include <ctime>

#include "printers/protocols.hpp"
#include "printers/text.hpp"

namespace pxdump::printers {

namespace {

using text::be32;
using text::u8;

constexpr std::int64_t kNtpToUnix = 2208988800;  // seconds from 1900-01-01 to 1970-01-01
constexpr double kTwo32 = 4294967296.0;

std::uint32_t nanoseconds(std::uint32_t fraction) {
  return static_cast<std::uint32_t>(1000000000.0 * (static_cast<double>(fraction) / kTwo32));
}

void put_time(Out& out, std::uint64_t t) {
  const auto seconds = static_cast<std::uint32_t>(t >> 32);
  const auto fraction = static_cast<std::uint32_t>(t);
  out.put("{}.{:09}", seconds, nanoseconds(fraction));
  if (seconds == 0) return;
  const std::time_t unix_time = static_cast<std::time_t>(std::int64_t{seconds} - kNtpToUnix);
  std::tm tm{};
  if (gmtime_r(&unix_time, &tm) == nullptr) return;
  out.put(" ({:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z)", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
          tm.tm_min, tm.tm_sec);
}

// `to` relative to `from`; tcpdump prints the absolute `to` when `from` is zero, and "-" for
// an exact zero difference.
void put_delta(Out& out, std::uint64_t from, std::uint64_t to) {
  if (from == 0) return put_time(out, to);
  const bool negative = to <= from;
  const std::uint64_t magnitude = negative ? from - to : to - from;
  out.put("{}{}.{:09}", negative ? "-" : "+", magnitude >> 32, nanoseconds(static_cast<std::uint32_t>(magnitude)));
}

// NTP short format (16.16 seconds) as "%d.%06d".
void put_short(Out& out, std::uint32_t v) {
  out.put("{}.{:06}", v >> 16, static_cast<std::uint32_t>((v & 0xffff) * 1000000.0 / 65536.0));
}

std::string_view mode_name(std::uint8_t mode) noexcept {
  static constexpr std::array<std::string_view, 8> kModes{"unspecified",     "symmetric active", "symmetric passive",
                                                          "Client",          "Server",           "Broadcast",
                                                          "Control Message", "Reserved"};
  return kModes[mode & 7];
}

std::uint64_t be64(const std::byte* p) { return std::uint64_t{be32(p)} << 32 | be32(p + 4); }

// The time message fields, each as far as it was captured (tcpdump prints them one by one);
// false when the capture ends before the message does.
bool time_message(Out& out, std::span<const std::byte> bytes, std::uint32_t length) {
  auto have = [&](std::size_t end) { return bytes.size() >= end; };
  if (!have(2)) return false;
  const std::uint8_t stratum = u8(bytes.data() + 1);
  const char* stratum_name = stratum == 0    ? "unspecified"
                             : stratum == 1  ? "primary reference"
                             : stratum <= 15 ? "secondary reference"
                                             : "reserved";
  out.put(", Stratum {} ({})", stratum, stratum_name);
  if (!have(3)) return false;
  const auto poll = static_cast<std::int8_t>(u8(bytes.data() + 2));
  out.put(", poll {}", poll);
  if (poll > -32 && poll < 32) {
    if (poll >= 0) out.put(" ({}s)", 1u << poll);
    else out.put(" (1/{}s)", 1u << -poll);
  }
  if (!have(4)) return false;
  out.put(", precision {}", static_cast<std::int8_t>(u8(bytes.data() + 3)));
  if (!have(8)) return false;
  out.put("\n\tRoot Delay: ");
  put_short(out, be32(bytes.data() + 4));
  if (!have(12)) return false;
  out.put(", Root dispersion: ");
  put_short(out, be32(bytes.data() + 8));
  if (!have(16)) return false;
  out.put(", Reference-ID: ");
  if (stratum == 0) out.put("(unspec)");
  else if (stratum == 1) text::safe_text(out, bytes.subspan(12, 4));
  else out.put("0x{:08x}", be32(bytes.data() + 12));
  static constexpr std::string_view kLabels[] = {"\n\t  Reference Timestamp:  ", "\n\t  Originator Timestamp: ",
                                                 "\n\t  Receive Timestamp:    ", "\n\t  Transmit Timestamp:   "};
  for (std::size_t i = 0; i < 4; ++i) {
    if (!have(24 + 8 * i)) return false;
    out.put(kLabels[i]);
    put_time(out, be64(bytes.data() + 16 + 8 * i));
  }
  const std::uint64_t origin = be64(bytes.data() + 24);
  out.put("\n\t    Originator - Receive Timestamp:  ");
  put_delta(out, origin, be64(bytes.data() + 32));
  out.put("\n\t    Originator - Transmit Timestamp: ");
  put_delta(out, origin, be64(bytes.data() + 40));
  // RFC 5905 7.3: an optional key identifier and message digest (MD5 16 or SHA-1 20 bytes).
  const std::uint32_t extra = length - 48;
  if (extra == 4 || extra == 20 || extra == 24) {
    if (!have(52)) return false;
    out.put("\n\tKey id: {}", be32(bytes.data() + 48));
    if (extra == 4) return true;
    if (!have(48 + std::size_t{extra})) return false;
    out.put("\n\tAuthentication: ");
    for (std::size_t i = 52; i < 48 + std::size_t{extra}; i += 4) out.put("{:08x}", be32(bytes.data() + i));
  } else if (extra > 0) {
    out.put("\n\t({} more bytes after the header)", extra);
  }
  return true;
}

}  // namespace

Result print_ntp(Out& out, const Names&, std::span<const std::byte> bytes, std::uint32_t length) {
  if (bytes.empty()) {
    out.truncated("ntp");
    return {};
  }
  const std::uint8_t first = u8(bytes.data());
  const std::uint8_t mode = first & 7;
  out.put("NTPv{}, {}, length {}", (first >> 3) & 7, mode_name(mode), length);
  if (out.flags.verbose == 0) return {};
  static constexpr std::array<std::string_view, 4> kLeap{"", "+1s", "-1s", "clock unsynchronized"};
  out.put("\n\tLeap indicator: {} ({})", kLeap[first >> 6], first & 0xc0);
  if (mode > 5) return {};  // control and private messages: only the leap indicator
  if (length < 48) {
    out.put(" (invalid)");
    return {};
  }
  // The Ntp layer needs the whole 48-byte header; a short capture still shows its first fields.
  if (!time_message(out, bytes, length)) out.truncated("ntp");
  return {};
}

}  // namespace pxdump::printers
