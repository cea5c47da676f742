// pxsend: replays a savefile onto a device at its original timing or at a rate, or sends frames
// built from a short description. Uses only the public API (pcapxx/inject.hpp, savefile.hpp,
// layers). Manual: docs/pxsend.md.
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "frame_spec.hpp"
#include "pcapxx/inject.hpp"
#include "pcapxx/savefile.hpp"

namespace {

using pcapxx::FrameBytes;

constexpr std::string_view kHelp = R"(Usage:
  pxsend -i DEV --replay FILE [timing] [--loop N] [sending]
  pxsend -i DEV --frame DESC [--count N] [timing] [sending]
  pxsend --frame DESC --print

Replays a pcap or pcapng file onto a device, or sends frames built from a description.

Timing (one of; default for --replay: the file's own timing; for --frame: --topspeed):
  --multiplier X   the file's timing sped up X times (0.5 is half speed)
  --pps N          N packets per second
  --mbps N         N megabits per second (frame bytes, no preamble or FCS)
  --topspeed       as fast as the device takes them

Sending:
  -i, --interface DEV   the device to send on (in the current network namespace)
  --path P              single (one send per frame), batch (sendmmsg, default) or ring
                        (PACKET_TX_RING); files of raw IP and --frame starting with ipv4/ipv6
                        go through a raw IP socket
  --batch N             frames per sendmmsg or ring kick (default 64)
  --qdisc-bypass        PACKET_QDISC_BYPASS (batch and ring paths)
  --loop N              replay the file N times (default 1; 0 = until interrupted)
  --count N             frames to send with --frame (default 1; 0 = until interrupted)
  --quiet               no progress line (shown only when standard error is a terminal)

Frames (--frame): layers separated by '/', fields in parentheses, e.g.
  'eth(dst=02:00:00:00:00:02,src=02:00:00:00:00:01)/ipv4(src=10.0.0.1,dst=10.0.0.2)/udp(sport=1000,dport=9)/payload(len=18)'
  layers: eth(dst,src,type) vlan(id,pcp,dei,type) ipv4(src,dst,ttl,id,tos,proto,df)
          ipv6(src,dst,hlim,tc,flow,nh) udp(sport,dport) tcp(sport,dport,seq,ack,win,flags)
          payload(len=N | hex=.. | fill=B | N | 0x..)
  lengths, checksums and type fields are filled in. --print writes the frame as hex and exits.

Prints a summary (sent, failed, duration, achieved rate) on standard output.
Exit status: 0 all frames sent, 1 a frame failed or an error stopped sending, 2 usage error.
)";

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

enum class Timing { original, multiplier, pps, mbps, topspeed };
enum class PathKind { single, batch, ring };

struct Options {
  std::string device;
  std::string replay;
  std::string frame;
  bool print = false;
  Timing timing = Timing::original;
  bool timing_given = false;
  double rate = 1.0;  // multiplier, pps or mbps
  std::uint64_t loop = 1;
  std::uint64_t count = 1;
  PathKind path = PathKind::batch;
  std::size_t batch = 64;
  bool qdisc_bypass = false;
  bool quiet = false;
};

std::optional<double> to_double(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || !(v > 0) || !std::isfinite(v)) return std::nullopt;
  return v;
}
std::optional<std::uint64_t> to_count(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

int usage(const std::string& message) {
  fmt::print(stderr, "pxsend: {}\nTry 'pxsend --help'.\n", message);
  return 2;
}

std::int64_t now_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return std::int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

void sleep_until(std::int64_t ns) {
  timespec t{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, nullptr) == EINTR && !g_stop.load()) {
  }
}

/// The sender the options chose; one interface for the pacing loop.
class Sender {
 public:
  std::variant<std::monostate, pcapxx::Injector, pcapxx::TxRing, pcapxx::RawIpSender> impl;
  PathKind path = PathKind::batch;

  /// Sends frames in order; returns how many went out and the error that stopped it, if any.
  std::pair<std::size_t, std::optional<pcapxx::Error>> send(std::span<const FrameBytes> frames) {
    if (auto* inj = std::get_if<pcapxx::Injector>(&impl)) {
      if (path == PathKind::single) {
        for (std::size_t k = 0; k < frames.size(); ++k) {
          auto r = inj->inject(frames[k]);
          if (!r) return {k, r.error()};
        }
        return {frames.size(), std::nullopt};
      }
      auto r = inj->send_batch(frames);
      if (!r) return {inj->last_batch_sent(), r.error()};
      return {frames.size(), std::nullopt};
    }
    if (auto* ring = std::get_if<pcapxx::TxRing>(&impl)) {
      auto r = ring->send_batch(frames);
      if (!r) return {ring->last_batch_sent(), r.error()};
      return {frames.size(), std::nullopt};
    }
    auto& ip = std::get<pcapxx::RawIpSender>(impl);
    if (path == PathKind::single) {
      for (std::size_t k = 0; k < frames.size(); ++k) {
        auto r = ip.send(frames[k]);
        if (!r) return {k, r.error()};
      }
      return {frames.size(), std::nullopt};
    }
    auto r = ip.send_batch(frames);
    if (!r) return {ip.last_batch_sent(), r.error()};
    return {frames.size(), std::nullopt};
  }
};

/// Collects frames that are due, sends them as one batch, counts, and shows progress.
class Pacer {
 public:
  Pacer(Sender& sender, std::size_t batch, bool progress)
      : sender_(sender), batch_(std::max<std::size_t>(batch, 1)), progress_(progress) {
    pending_.reserve(batch_);
    start_ = now_ns();
    next_progress_ = start_ + 250'000'000;
  }

  /// Queues a frame due `due` ns after the start; sends what is pending when the frame is not
  /// due yet (then waits) or when the batch is full. Returns false when sending must stop.
  bool offer(FrameBytes frame, std::int64_t due) {
    if (due > 0) {
      std::int64_t t = start_ + due;
      if (t > now_ns()) {
        if (!flush()) return false;
        sleep_until(t);
      }
    }
    pending_.push_back(frame);
    if (pending_.size() >= batch_) return flush();
    return !fatal_ && !g_stop.load();
  }

  /// Sends everything pending. A frame the device refuses is counted as failed and the rest go
  /// on; an error about the device itself stops sending.
  bool flush() {
    std::span<const FrameBytes> rest(pending_);
    while (!rest.empty() && !fatal_) {
      auto [n, err] = sender_.send(rest);
      sent_ += n;
      for (std::size_t k = 0; k < n; ++k) bytes_ += rest[k].size();
      if (!err) break;
      ++failed_;
      report(*err);
      if (err->code != pcapxx::Errc::invalid_argument) fatal_ = true;
      rest = rest.subspan(std::min(rest.size(), n + 1));
    }
    if (fatal_) failed_ += rest.size() > 1 ? rest.size() - 1 : 0;
    pending_.clear();
    last_ = now_ns();
    if (progress_ && last_ >= next_progress_) {
      show_progress();
      next_progress_ = last_ + 250'000'000;
    }
    return !fatal_ && !g_stop.load();
  }

  void finish() {
    flush();
    if (progress_) fmt::print(stderr, "\r{:79}\r", "");
  }

  [[nodiscard]] std::uint64_t sent() const { return sent_; }
  [[nodiscard]] std::uint64_t failed() const { return failed_; }
  [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
  [[nodiscard]] bool fatal() const { return fatal_; }
  [[nodiscard]] double seconds() const { return static_cast<double>(std::max<std::int64_t>(last_ - start_, 1)) / 1e9; }

 private:
  void report(const pcapxx::Error& e) {
    if (reported_ < 10) fmt::print(stderr, "pxsend: {}\n", e.what());
    if (reported_ == 10) fmt::print(stderr, "pxsend: further errors not shown\n");
    ++reported_;
  }
  void show_progress() {
    double s = seconds();
    fmt::print(stderr, "\rpxsend: {} sent, {} failed, {:.0f} pps, {:.2f} Mbps   ", sent_, failed_,
               static_cast<double>(sent_) / s, static_cast<double>(bytes_) * 8 / s / 1e6);
    std::fflush(stderr);
  }

  Sender& sender_;
  std::size_t batch_;
  bool progress_;
  std::vector<FrameBytes> pending_;
  std::int64_t start_ = 0;
  std::int64_t last_ = 0;
  std::int64_t next_progress_ = 0;
  std::uint64_t sent_ = 0, failed_ = 0, bytes_ = 0;
  unsigned reported_ = 0;
  bool fatal_ = false;
};

/// When frame `index` (of `bytes` bytes, all earlier frames `bits_before` bits) is due.
struct Schedule {
  Timing timing;
  double rate;
  [[nodiscard]] std::int64_t due(std::uint64_t index, std::uint64_t bits_before, std::int64_t file_offset_ns) const {
    switch (timing) {
      case Timing::original: return file_offset_ns;
      case Timing::multiplier: return static_cast<std::int64_t>(static_cast<double>(file_offset_ns) / rate);
      case Timing::pps: return static_cast<std::int64_t>(static_cast<double>(index) * 1e9 / rate);
      case Timing::mbps: return static_cast<std::int64_t>(static_cast<double>(bits_before) * 1e3 / rate);
      case Timing::topspeed: return 0;
    }
    return 0;
  }
};

pcapxx::Result<Sender> open_sender(const Options& o, bool raw_ip) {
  Sender s;
  s.path = o.path;
  if (raw_ip) {
    auto r = pcapxx::RawIpSender::open(o.device);
    if (!r) return std::unexpected(r.error());
    s.impl.emplace<pcapxx::RawIpSender>(std::move(*r));
  } else if (o.path == PathKind::ring) {
    pcapxx::TxRingOptions ro;
    ro.qdisc_bypass = o.qdisc_bypass;
    auto r = pcapxx::TxRing::open(o.device, ro);
    if (!r) return std::unexpected(r.error());
    s.impl.emplace<pcapxx::TxRing>(std::move(*r));
  } else {
    pcapxx::InjectOptions io;
    io.qdisc_bypass = o.qdisc_bypass;
    auto r = pcapxx::Injector::open(o.device, io);
    if (!r) return std::unexpected(r.error());
    s.impl.emplace<pcapxx::Injector>(std::move(*r));
  }
  return s;
}

int finish(Pacer& pacer, Sender& sender) {
  pacer.finish();
  std::string completed;
  if (auto* ring = std::get_if<pcapxx::TxRing>(&sender.impl)) {
    auto c = ring->wait_completion(5000);
    if (!c) fmt::print(stderr, "pxsend: {}\n", c.error().what());
    completed = fmt::format(", {} completed by the TX ring", ring->stats().completed);
  }
  const double s = pacer.seconds();
  fmt::print("sent {} packets ({} bytes), failed {}, in {:.6f} s: {:.1f} pps, {:.3f} Mbps{}\n", pacer.sent(),
             pacer.bytes(), pacer.failed(), s, static_cast<double>(pacer.sent()) / s,
             static_cast<double>(pacer.bytes()) * 8 / s / 1e6, completed);
  return pacer.failed() == 0 && !pacer.fatal() ? 0 : 1;
}

int replay(const Options& o) {
  auto probe = pcapxx::SavefileReader::open(o.replay);
  if (!probe) {
    fmt::print(stderr, "pxsend: {}\n", probe.error().what());
    return 1;
  }
  const int dlt = (*probe)->link_type().dlt;
  bool raw_ip = false;
  if (dlt == pcapxx::dlt::kRaw.dlt || dlt == 101 || dlt == pcapxx::dlt::kIpv4.dlt || dlt == pcapxx::dlt::kIpv6.dlt) {
    raw_ip = true;
  } else if (dlt != pcapxx::dlt::kEn10Mb.dlt) {
    fmt::print(stderr, "pxsend: {}: link type DLT {} cannot be replayed (Ethernet and raw IP files only)\n", o.replay,
               dlt);
    return 1;
  }
  probe->reset();
  auto sender = open_sender(o, raw_ip);
  if (!sender) {
    fmt::print(stderr, "pxsend: {}\n", sender.error().what());
    return 1;
  }
  Pacer pacer(*sender, o.path == PathKind::single ? 1 : o.batch, !o.quiet && ::isatty(2));
  const Schedule schedule{o.timing, o.rate};
  std::uint64_t index = 0, bits = 0;
  std::int64_t loop_base = 0, last_offset = 0;
  bool go = true;
  for (std::uint64_t l = 0; go && (o.loop == 0 || l < o.loop); ++l) {
    auto reader = pcapxx::SavefileReader::open(o.replay);
    if (!reader) {
      fmt::print(stderr, "pxsend: {}\n", reader.error().what());
      return 1;
    }
    std::optional<std::int64_t> first_ts;
    while (go) {
      auto b = (*reader)->next_batch();
      if (!b) {
        fmt::print(stderr, "pxsend: {}\n", b.error().what());
        go = false;
        break;
      }
      if (b->status != pcapxx::BatchStatus::packets) break;
      for (const pcapxx::PacketView& p : b->packets) {
        if (!first_ts) first_ts = p.header.ts.ns;
        // A timestamp that goes backwards is sent at once rather than waited for.
        last_offset = std::max(last_offset, loop_base + (p.header.ts.ns - *first_ts));
        if (p.header.caplen < p.header.origlen && index == 0) {
          fmt::print(stderr, "pxsend: {}: packets were cut to the snapshot length; sending the captured bytes\n",
                     o.replay);
        }
        if (!pacer.offer(p.data, schedule.due(index, bits, last_offset))) {
          go = false;
          break;
        }
        ++index;
        bits += p.data.size() * 8;
      }
      if (go) go = pacer.flush();  // views end with the batch
    }
    loop_base = last_offset;
  }
  return finish(pacer, *sender);
}

int send_frames(const Options& o) {
  auto frame = pxsend::build_frame(o.frame);
  if (!frame) {
    fmt::print(stderr, "pxsend: {}\n", frame.error().what());
    return 2;
  }
  if (o.print) {
    std::string hex;
    for (std::byte b : frame->bytes) hex += fmt::format("{:02x}", std::to_integer<int>(b));
    fmt::print("{}\n", hex);
    return 0;
  }
  auto sender = open_sender(o, frame->starts_with_ip);
  if (!sender) {
    fmt::print(stderr, "pxsend: {}\n", sender.error().what());
    return 1;
  }
  Pacer pacer(*sender, o.path == PathKind::single ? 1 : o.batch, !o.quiet && ::isatty(2));
  const Schedule schedule{o.timing_given ? o.timing : Timing::topspeed, o.rate};
  const FrameBytes bytes(frame->bytes);
  for (std::uint64_t k = 0; o.count == 0 || k < o.count; ++k) {
    if (!pacer.offer(bytes, schedule.due(k, k * bytes.size() * 8, 0))) break;
  }
  return finish(pacer, *sender);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t k = 0; k < args.size(); ++k) {
    std::string_view a = args[k];
    auto value = [&]() -> std::optional<std::string_view> {
      if (k + 1 >= args.size()) return std::nullopt;
      return args[++k];
    };
    auto set_timing = [&](Timing t, bool needs_value) -> int {
      if (o.timing_given) return usage("give only one of --multiplier, --pps, --mbps, --topspeed");
      o.timing = t;
      o.timing_given = true;
      if (needs_value) {
        auto v = value();
        auto d = v ? to_double(*v) : std::nullopt;
        if (!d) return usage(fmt::format("{} needs a positive number", a));
        o.rate = *d;
      }
      return 0;
    };
    if (a == "-h" || a == "--help") {
      fmt::print("{}", kHelp);
      return 0;
    } else if (a == "-i" || a == "--interface") {
      auto v = value();
      if (!v) return usage("-i needs a device");
      o.device = *v;
    } else if (a == "--replay" || a == "-r") {
      auto v = value();
      if (!v) return usage("--replay needs a file");
      o.replay = *v;
    } else if (a == "--frame") {
      auto v = value();
      if (!v) return usage("--frame needs a description");
      o.frame = *v;
    } else if (a == "--print") {
      o.print = true;
    } else if (a == "--multiplier") {
      if (int rc = set_timing(Timing::multiplier, true)) return rc;
    } else if (a == "--pps") {
      if (int rc = set_timing(Timing::pps, true)) return rc;
    } else if (a == "--mbps") {
      if (int rc = set_timing(Timing::mbps, true)) return rc;
    } else if (a == "--topspeed") {
      if (int rc = set_timing(Timing::topspeed, false)) return rc;
    } else if (a == "--loop" || a == "--count") {
      auto v = value();
      auto n = v ? to_count(*v) : std::nullopt;
      if (!n) return usage(fmt::format("{} needs a count", a));
      (a == "--loop" ? o.loop : o.count) = *n;
    } else if (a == "--batch") {
      auto v = value();
      auto n = v ? to_count(*v) : std::nullopt;
      if (!n || *n == 0 || *n > 1'000'000) return usage("--batch needs a count from 1 to 1000000");
      o.batch = *n;
    } else if (a == "--path") {
      auto v = value();
      if (v == "single") o.path = PathKind::single;
      else if (v == "batch") o.path = PathKind::batch;
      else if (v == "ring") o.path = PathKind::ring;
      else return usage("--path takes single, batch or ring");
    } else if (a == "--qdisc-bypass") {
      o.qdisc_bypass = true;
    } else if (a == "--quiet" || a == "-q") {
      o.quiet = true;
    } else {
      return usage(fmt::format("unknown option '{}'", a));
    }
  }
  if (o.replay.empty() == o.frame.empty()) return usage("give one of --replay FILE or --frame DESC");
  if (!o.frame.empty() && o.print) return send_frames(o);
  if (o.device.empty()) return usage("-i DEV is required");
  if (!o.replay.empty() && o.timing_given && o.timing == Timing::original) return usage("internal: timing");

  ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);  // wake close to each packet's due time
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  return o.replay.empty() ? send_frames(o) : replay(o);
}
