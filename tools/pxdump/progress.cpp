#include "progress.hpp"

#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

namespace pxdump {
namespace {

double monotonic_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// 1234567 -> "1.2 M": the line stays short and readable at any size.
std::string human(double v, const char* unit) {
  if (v >= 1e9) return fmt::format("{:.1f} G{}", v / 1e9, unit);
  if (v >= 1e6) return fmt::format("{:.1f} M{}", v / 1e6, unit);
  if (v >= 1e3) return fmt::format("{:.1f} k{}", v / 1e3, unit);
  return fmt::format("{:.0f} {}", v, unit);
}

}  // namespace

Progress::Progress(const Options& opt, bool live) {
  on_ = !live && opt.progress.value_or(::isatty(STDERR_FILENO) == 1);
  if (on_) start_ = last_draw_ = monotonic_seconds();
}

void Progress::update(pcapxx::Batch batch) {
  if (!on_) return;
  packets_ += batch.size();
  for (const pcapxx::PacketView& p : batch) bytes_ += p.data.size();
  double now = monotonic_seconds();
  if (now - last_draw_ >= 1.0) draw(now);
}

void Progress::draw(double now) {
  last_draw_ = now;
  double elapsed = now - start_;
  double rate = elapsed > 0 ? static_cast<double>(packets_) / elapsed : 0;
  double byte_rate = elapsed > 0 ? static_cast<double>(bytes_) * 8 / elapsed : 0;
  // \r and erase-to-end keep one line; the line goes to stderr so stdout stays clean.
  fmt::print(stderr, "\r\x1b[Kpxdump: {} packets, {} read, {}, {} ({:.0f} s)", packets_, human(static_cast<double>(bytes_), "B"),
             human(rate, "packets/s"), human(byte_rate, "bit/s"), elapsed);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (!on_ || !drawn_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
}

}  // namespace pxdump
