// pxdump: a progress line on standard error while reading savefiles (packets, bytes, rate),
// redrawn in place at most once a second. On when standard error is a terminal (--progress
// and --no-progress override); never for live captures, whose end is not in sight anyway.
// One clock read per batch, nothing per packet.
#pragma once

#include <cstdint>
#include <ctime>

#include "options.hpp"
#include "pcapxx/packet.hpp"

namespace pxdump {

class Progress {
 public:
  Progress(const Options& opt, bool live);
  /// Counts a batch as read; redraws the line when a second has passed since the last time.
  void update(pcapxx::Batch batch);
  /// Clears the line (the counts at exit belong to the summary, not to the progress line).
  void finish();

 private:
  void draw(double now);
  bool on_ = false;
  bool drawn_ = false;
  std::uint64_t packets_ = 0;
  std::uint64_t bytes_ = 0;
  double start_ = 0;
  double last_draw_ = 0;
};

}  // namespace pxdump
