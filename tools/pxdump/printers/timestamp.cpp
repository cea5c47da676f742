#include "printers/timestamp.hpp"

#include <ctime>

#include "printers/names.hpp"

namespace pxdump::printers {

namespace {

/// What tcpdump 4.99 prints for seconds it will not convert.
constexpr std::string_view kErrorConverting = "[Error converting time]";

/// tcpdump takes seconds with bit 31 set (beyond 2038 as a 32-bit time_t, the width of the
/// savefile field) as invalid, for dates and epoch seconds alike.
bool in_range(std::int64_t seconds) { return seconds >= 0 && (static_cast<std::uint64_t>(seconds) & 0xffffffff80000000u) == 0; }

}  // namespace

void TimestampPrinter::append_fraction(fmt::memory_buffer& out, std::uint32_t ns) const {
  char digits[9];
  std::uint32_t v = nano_ ? ns : ns / 1000;
  const int n = nano_ ? 9 : 6;
  for (int i = n - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.push_back('.');
  out.append(digits, digits + n);
}

void TimestampPrinter::append_delta(fmt::memory_buffer& out, std::int64_t ns) const {
  // tcpdump prints a delta as a sign (' ' or '-') and the time of day of its absolute value as
  // gmtime() gives it: whole days drop out.
  const bool negative = ns < 0;
  const pcapxx::Timestamp d{negative ? -ns : ns};
  out.push_back(negative ? '-' : ' ');
  if (!in_range(d.seconds())) return out.append(kErrorConverting);
  const std::int64_t sec = d.seconds() % 86400;
  fmt::format_to(std::back_inserter(out), "{:02}:{:02}:{:02}", sec / 3600, sec / 60 % 60, sec % 60);
  append_fraction(out, d.subsec_ns());
}

void TimestampPrinter::append(fmt::memory_buffer& out, pcapxx::Timestamp ts) {
  // At microsecond precision the time is what libpcap delivers: truncated to the microsecond
  // (deltas included).
  if (!nano_) ts.ns = pcapxx::Timestamp::from(ts.seconds(), std::int64_t{ts.subsec_us()} * 1000).ns;
  switch (mode_) {
    case 1: return;
    case 2:
      if (!in_range(ts.seconds())) {
        out.append(kErrorConverting);
        break;
      }
      append_uint(out, static_cast<std::uint64_t>(ts.seconds()));
      append_fraction(out, ts.subsec_ns());
      break;
    case 3:
      // A previous time stamp of zero counts as none, as for -ttttt below.
      append_delta(out, have_prev_ && prev_.ns != 0 ? ts.ns - prev_.ns : 0);
      break;
    case 5:
      // tcpdump takes a zero reference for "not set yet": after a first packet stamped 0 the
      // next packet becomes the reference.
      if (!have_prev_ || first_.ns == 0) first_ = ts;
      append_delta(out, ts.ns - first_.ns);
      break;
    default: {
      const std::int64_t sec = ts.seconds();
      if (!in_range(sec)) {
        out.append(kErrorConverting);
        break;
      }
      if (sec != cached_sec_) {
        std::time_t t = static_cast<std::time_t>(sec);
        std::tm tm{};
        localtime_r(&t, &tm);
        auto r = mode_ == 4 ? fmt::format_to_n(cached_, sizeof cached_, "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                                               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                               tm.tm_min, tm.tm_sec)
                            : fmt::format_to_n(cached_, sizeof cached_, "{:02}:{:02}:{:02}", tm.tm_hour,
                                               tm.tm_min, tm.tm_sec);
        cached_len_ = std::min(r.size, sizeof cached_);
        cached_sec_ = sec;
      }
      out.append(cached_, cached_ + cached_len_);
      append_fraction(out, ts.subsec_ns());
      break;
    }
  }
  have_prev_ = true;
  prev_ = ts;
  out.push_back(' ');
}

}  // namespace pxdump::printers
