// The pcapng custom option that stores an attribution, and its text. Layout (after the PEN,
// every integer in the section's byte order; docs/process-attribution.md):
//   0 u8 version (1) | 1 u8 quality | 2 u16 comm length | 4 u32 pid | 8 u32 tid | 12 u32 uid
//   16 u64 netns inode | 24 u32 cmdline length | 28 comm bytes | cmdline bytes
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "core/byte_order.hpp"
#include "pcapxx/process.hpp"

namespace pcapxx {
namespace {

constexpr std::size_t kFixed = 28;
constexpr std::uint8_t kVersion = 1;
// The whole option must fit pcapng's 16-bit option length with the PEN in front.
constexpr std::size_t kMaxCmdline = 4096;

template <class T>
void put(std::vector<std::byte>& out, T v) {
  std::size_t at = out.size();
  out.resize(at + sizeof v);
  detail::store_raw(out.data() + at, v);
}

}  // namespace

std::string_view to_string(AttributionQuality q) noexcept {
  switch (q) {
    case AttributionQuality::exact: return "exact";
    case AttributionQuality::inferred: return "inferred";
    case AttributionQuality::unknown: break;
  }
  return "unknown";
}

void encode_process_option(const ProcessInfo& p, AttributionQuality quality, std::vector<std::byte>& out) {
  std::string_view comm = std::string_view(p.comm).substr(0, 255);
  std::string_view cmd = std::string_view(p.cmdline).substr(0, kMaxCmdline);
  put<std::uint8_t>(out, kVersion);
  put<std::uint8_t>(out, static_cast<std::uint8_t>(quality));
  put<std::uint16_t>(out, static_cast<std::uint16_t>(comm.size()));
  put<std::uint32_t>(out, static_cast<std::uint32_t>(p.pid));
  put<std::uint32_t>(out, static_cast<std::uint32_t>(p.tid));
  put<std::uint32_t>(out, p.uid);
  put<std::uint64_t>(out, p.netns);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(cmd.size()));
  auto text = [&](std::string_view s) {
    std::size_t at = out.size();
    out.resize(at + s.size());
    if (!s.empty()) std::memcpy(out.data() + at, s.data(), s.size());
  };
  text(comm);
  text(cmd);
}

Result<StoredProcess> decode_process_option(std::span<const std::byte> d, bool swapped) {
  using detail::load;
  if (d.size() < kFixed)
    return fail(Errc::format, fmt::format("process option: {} bytes, shorter than the fixed part of {}", d.size(), kFixed));
  auto version = std::to_integer<std::uint8_t>(d[0]);
  if (version != kVersion)
    return fail(Errc::unsupported, fmt::format("process option: version {} (this reader knows {})", version, kVersion));
  auto quality = std::to_integer<std::uint8_t>(d[1]);
  if (quality > 2)
    return fail(Errc::format, fmt::format("process option: byte 1: quality {} is not 0, 1 or 2", quality));
  StoredProcess s;
  s.quality = static_cast<AttributionQuality>(quality);
  std::size_t comm_len = load<std::uint16_t>(d.data() + 2, swapped);
  s.pid = static_cast<std::int32_t>(load<std::uint32_t>(d.data() + 4, swapped));
  s.tid = static_cast<std::int32_t>(load<std::uint32_t>(d.data() + 8, swapped));
  s.uid = load<std::uint32_t>(d.data() + 12, swapped);
  s.netns = load<std::uint64_t>(d.data() + 16, swapped);
  std::size_t cmd_len = load<std::uint32_t>(d.data() + 24, swapped);
  std::size_t rest = d.size() - kFixed;
  if (comm_len > rest || cmd_len > rest - comm_len)
    return fail(Errc::format, fmt::format("process option: command {} and command line {} bytes do not fit the {} "
                                          "bytes after the fixed part",
                                          comm_len, cmd_len, rest));
  const char* base = reinterpret_cast<const char*>(d.data() + kFixed);
  s.comm = std::string_view(base, comm_len);
  s.cmdline = std::string_view(base + comm_len, cmd_len);
  return s;
}

std::optional<StoredProcess> find_process_option(const RawOptions& raw) noexcept {
  using detail::load;
  // Options: code u16, length u16, value padded to 4 (draft-ietf-opsawg-pcapng 3.5).
  std::span<const std::byte> a = raw.bytes;
  std::size_t at = 0;
  while (at + 4 <= a.size()) {
    std::uint16_t code = load<std::uint16_t>(a.data() + at, raw.swapped);
    std::size_t len = load<std::uint16_t>(a.data() + at + 2, raw.swapped);
    if (code == 0 || at + 4 + len > a.size()) break;
    if (code == kCustomBinaryCopy && len >= 4 && load<std::uint32_t>(a.data() + at + 4, raw.swapped) == kProcessOptionPen) {
      auto got = decode_process_option(a.subspan(at + 8, len - 4), raw.swapped);
      if (got) return *got;
      return std::nullopt;
    }
    at += 4 + ((len + 3) & ~std::size_t{3});
  }
  return std::nullopt;
}

void fill_record(ProcessAttribution& r, const Attribution& a) noexcept {
  r.quality = a.quality;
  if (a.process == nullptr) return;
  r.pid = a.process->pid;
  r.tid = a.process->tid;
  r.uid = a.process->uid;
  r.netns = a.process->netns;
  r.comm.fill('\0');
  std::memcpy(r.comm.data(), a.process->comm.data(), std::min(a.process->comm.size(), r.comm.size() - 1));
}

void format_process(std::string& out, const StoredProcess& p) {
  if (p.quality == AttributionQuality::unknown && p.pid == 0) {
    out += "process unknown";
    return;
  }
  fmt::format_to(std::back_inserter(out), "pid {}", p.pid);
  if (p.tid != 0 && p.tid != p.pid) fmt::format_to(std::back_inserter(out), " tid {}", p.tid);
  fmt::format_to(std::back_inserter(out), " uid {} comm {} netns {} ({})", p.uid, p.comm, p.netns,
                 to_string(p.quality));
}

}  // namespace pcapxx
