// Counting allocations in a test binary: allocation_counter.cpp replaces the global operator
// new (as the standard allows a program to) and counts the calls made by a thread while it
// has counting on. In its own file so that the compiler never inlines the replacements into
// callers (GCC would then see malloc paired with operator delete).
#pragma once

#include <cstdint>

namespace pcapxx::test {

/// Allocations counted so far, over all threads that had counting on.
std::uint64_t allocations_counted() noexcept;
/// Turns counting on or off for the calling thread.
void count_allocations(bool on) noexcept;

}  // namespace pcapxx::test
