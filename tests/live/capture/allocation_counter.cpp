#include "live/capture/allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<std::uint64_t> g_allocations{0};
thread_local bool t_counting = false;

}  // namespace

namespace pcapxx::test {

std::uint64_t allocations_counted() noexcept { return g_allocations.load(std::memory_order_relaxed); }
void count_allocations(bool on) noexcept { t_counting = on; }

}  // namespace pcapxx::test

// The array and nothrow forms of libstdc++ call these; aligned forms keep their own pair.
void* operator new(std::size_t n) {
  if (t_counting) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
