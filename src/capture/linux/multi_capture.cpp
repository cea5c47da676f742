// MultiCapture: several LiveCaptures read as one Source. Ready rings are taken in turn (so a
// busy device cannot starve a quiet one); when none is ready, one poll waits on every
// capture's socket and doorbell and on our own break_loop eventfd.
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include <fmt/format.h>

#include "capture/linux/live_impl.hpp"

namespace pcapxx {
namespace {

std::int64_t monotonic_ms() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

struct MultiCapture::Impl {
  std::vector<std::unique_ptr<LiveCapture>> captures;
  std::vector<InterfaceDescription> interfaces;
  std::vector<pollfd> fds;        // per capture: socket, doorbell (or -1); then the eventfd
  linux_capture::UniqueFd wake;
  int timeout_ms = 1000;
  bool nonblocking = false;
  bool any_polling = false;       // some capture is immediate without a doorbell
  bool any_peek = false;          // some capture is immediate (V3 reading open blocks)
  std::size_t since_wait = 0;     // packets delivered since the last wait (coalescing)
  std::size_t next = 0;           // the capture to look at first
  LiveCapture::Impl* holder = nullptr;  // whose batch was delivered last
  std::atomic<bool> break_requested{false};
};

Result<std::unique_ptr<MultiCapture>> MultiCapture::open(std::span<const std::string> devices,
                                                         const CaptureOptions& options) {
  std::vector<std::unique_ptr<LiveCapture>> captures;
  for (const auto& d : devices) {
    auto c = LiveCapture::open(d, options);
    if (!c) return std::unexpected(c.error());
    captures.push_back(std::move(*c));
  }
  return adopt(std::move(captures), options.timeout_ms);
}

Result<std::unique_ptr<MultiCapture>> MultiCapture::adopt(std::vector<std::unique_ptr<LiveCapture>> captures,
                                                          int timeout_ms) {
  if (captures.empty()) return fail(Errc::invalid_argument, "several devices: no capture given");
  auto impl = std::make_unique<Impl>();
  impl->wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl->wake.valid()) return fail_errno(errno, "several devices: eventfd");
  impl->timeout_ms = timeout_ms;
  for (std::size_t i = 0; i < captures.size(); ++i) {
    if (!captures[i]) return fail(Errc::invalid_argument, fmt::format("several devices: capture {} is empty", i));
    LiveCapture::Impl& c = captures[i]->impl();
    c.interface_index = static_cast<std::uint32_t>(i);
    impl->interfaces.push_back(c.interfaces.front());
    impl->fds.push_back({c.sock.get(), POLLIN, 0});
    impl->fds.push_back({c.doorbell.valid() ? c.doorbell.get() : -1, POLLIN, 0});
    impl->any_polling |= c.peek && !c.doorbell.valid();
    impl->any_peek |= c.peek;
  }
  impl->fds.push_back({impl->wake.get(), POLLIN, 0});
  impl->captures = std::move(captures);
  return std::unique_ptr<MultiCapture>(new MultiCapture(std::move(impl)));
}

MultiCapture::MultiCapture(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MultiCapture::~MultiCapture() = default;

Result<BatchResult> MultiCapture::next_batch() {
  Impl& m = *impl_;
  if (m.holder != nullptr) {
    m.holder->release_held();
    m.holder = nullptr;
  }
  const bool forever = m.timeout_ms <= 0;
  const std::int64_t deadline = forever ? 0 : monotonic_ms() + m.timeout_ms;
  const std::size_t n = m.captures.size();
  auto take_any = [&]() -> LiveCapture::Impl* {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (m.next + k) % n;
      LiveCapture::Impl& c = m.captures[i]->impl();
      if (c.take_ready()) {
        m.next = (i + 1) % n;
        return &c;
      }
    }
    return nullptr;
  };
  for (;;) {
    if (m.break_requested.exchange(false, std::memory_order_acq_rel)) return BatchResult{BatchStatus::end, {}};
    LiveCapture::Impl* ready = take_any();
    // As LiveCapture does in immediate mode: packets faster than a wake-up each make the next
    // wait one for a retired block or kCoalesceWaitNs, with the doorbells left out.
    const bool coalescing = ready == nullptr && m.any_peek && m.since_wait >= LiveCapture::Impl::kCoalescePackets;
    if (ready == nullptr) {
      m.since_wait = 0;
      if (!coalescing) {
        for (auto& c : m.captures) c->impl().drain_doorbell();
        ready = take_any();
      }
    }
    if (ready != nullptr) {
      m.holder = ready;
      m.since_wait += ready->views.size();
      return BatchResult{BatchStatus::packets, Batch(ready->views.data(), ready->views.size())};
    }
    int wait_ms = m.nonblocking ? 0 : forever ? -1 : static_cast<int>(std::max<std::int64_t>(0, deadline - monotonic_ms()));
    if (wait_ms == 0) return BatchResult{BatchStatus::timeout, {}};
    long most_ns = -1;  // no bound of our own
    if (coalescing) most_ns = LiveCapture::Impl::kCoalesceWaitNs;
    else if (m.any_polling) most_ns = LiveCapture::Impl::kImmediateFallbackPollMs * 1'000'000L;
    timespec limit{};
    const timespec* bound = LiveCapture::Impl::wait_limit(wait_ms, most_ns, limit);
    for (std::size_t i = 0; i < n; ++i) {
      const LiveCapture::Impl& c = m.captures[i]->impl();
      m.fds[2 * i + 1].fd = c.doorbell.valid() && !coalescing ? c.doorbell.get() : -1;
    }
    int r = ::ppoll(m.fds.data(), m.fds.size(), bound, nullptr);
    if (r < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "several devices: read: poll");
    }
    if ((m.fds.back().revents & POLLIN) != 0) {
      std::uint64_t drained = 0;
      [[maybe_unused]] auto rd = ::read(m.wake.get(), &drained, sizeof drained);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if ((m.fds[2 * i].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
        return std::unexpected(m.captures[i]->impl().socket_error().error());
      }
    }
  }
}

std::span<const InterfaceDescription> MultiCapture::interfaces() const { return impl_->interfaces; }

CaptureStats MultiCapture::stats() const {
  CaptureStats sum;
  for (const auto& c : impl_->captures) {
    CaptureStats s = c->stats();
    sum.received += s.received;
    sum.dropped += s.dropped;
    sum.if_dropped += s.if_dropped;
    sum.ring_freezes += s.ring_freezes;
  }
  return sum;
}

LiveCapture& MultiCapture::capture(std::size_t index) const { return *impl_->captures.at(index); }
std::size_t MultiCapture::size() const noexcept { return impl_->captures.size(); }
void MultiCapture::set_nonblocking(bool nonblocking) noexcept { impl_->nonblocking = nonblocking; }

void MultiCapture::break_loop() noexcept {
  impl_->break_requested.store(true, std::memory_order_release);
  std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(impl_->wake.get(), &one, sizeof one);
}

}  // namespace pcapxx
