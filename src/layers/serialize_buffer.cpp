// The front-growing serialization buffer.
#include <algorithm>
#include <cstring>

#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

namespace {
// Room kept after the write position for trailers (Ethernet padding).
constexpr std::size_t kTailRoom = 128;
}  // namespace

SerializeBuffer::SerializeBuffer(std::size_t capacity)
    : storage_(std::max(capacity, 2 * kTailRoom)) {
  clear();
}

void SerializeBuffer::clear() noexcept {
  start_ = end_ = storage_.size() - kTailRoom;
}

std::span<std::byte> SerializeBuffer::prepend(std::size_t n) {
  if (n > start_) {
    // Grow at the front, keeping the contents and the tail room.
    const std::size_t used = end_ - start_;
    const std::size_t tail = storage_.size() - end_;
    std::vector<std::byte> bigger(std::max(storage_.size() * 2, n + used + tail + 256));
    const std::size_t new_end = bigger.size() - tail;
    std::memcpy(bigger.data() + new_end - used, storage_.data() + start_, used);
    storage_.swap(bigger);
    end_ = new_end;
    start_ = new_end - used;
  }
  start_ -= n;
  return {storage_.data() + start_, n};
}

std::span<std::byte> SerializeBuffer::append(std::size_t n) {
  if (storage_.size() - end_ < n) {
    storage_.resize(end_ + n + kTailRoom);
  }
  const std::size_t at = end_;
  end_ += n;
  return {storage_.data() + at, n};
}

}  // namespace pcapxx::layers
