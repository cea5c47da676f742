// pxdump: SIGINT and SIGTERM end a capture cleanly. The handler sets a flag and wakes a blocked
// read through the capture's break_loop (a write to an eventfd, which is async-signal-safe).
#pragma once

#include <csignal>

namespace pxdump {

/// Installs the handlers for SIGINT and SIGTERM and ignores SIGPIPE.
void install_signal_handlers();

/// Whether SIGINT or SIGTERM arrived.
bool stop_requested() noexcept;

/// What the handler calls to wake a blocked read; nullptr for none.
void set_wake(void (*wake)(void*), void* context) noexcept;

}  // namespace pxdump
