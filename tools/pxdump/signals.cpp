#include "signals.hpp"

#include <atomic>

namespace pxdump {
namespace {

volatile std::sig_atomic_t g_stop = 0;
std::atomic<void (*)(void*)> g_wake{nullptr};
std::atomic<void*> g_wake_context{nullptr};
static_assert(std::atomic<void (*)(void*)>::is_always_lock_free);
static_assert(std::atomic<void*>::is_always_lock_free);

void on_signal(int) {
  g_stop = 1;
  if (auto wake = g_wake.load()) wake(g_wake_context.load());
}

}  // namespace

void install_signal_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() noexcept { return g_stop != 0; }

void set_wake(void (*wake)(void*), void* context) noexcept {
  g_wake_context.store(context);
  g_wake.store(wake);
}

}  // namespace pxdump
