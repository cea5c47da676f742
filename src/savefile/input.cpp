#include "savefile/input.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

namespace pcapxx::detail {

ByteInput::ByteInput(int fd, bool owned, std::string name, std::size_t chunk)
    : fd_(fd),
      owned_(owned),
      name_(std::move(name)),
      buf_(std::make_unique_for_overwrite<std::byte[]>(chunk)),
      cap_(chunk),
      chunk_(chunk) {
  // Only a hint; pipes and terminals refuse it harmlessly.
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

ByteInput::~ByteInput() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

Result<std::span<const std::byte>> ByteInput::fill(std::size_t n) {
  if (end_ - pos_ >= n || eof_) return buffered();
  // Keep the unconsumed tail and read behind it; grow only for a record larger than the buffer.
  std::size_t have = end_ - pos_;
  if (n > cap_) {
    std::size_t cap = std::max(n, cap_ * 2);
    auto bigger = std::make_unique_for_overwrite<std::byte[]>(cap);
    std::memcpy(bigger.get(), buf_.get() + pos_, have);
    buf_ = std::move(bigger);
    cap_ = cap;
  } else if (pos_ != 0) {
    std::memmove(buf_.get(), buf_.get() + pos_, have);
  }
  pos_ = 0;
  end_ = have;
  while (end_ < n) {
    ssize_t got = ::read(fd_, buf_.get() + end_, cap_ - end_);
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, fmt::format("{}: read at offset {}", name_, offset_ + end_));
    }
    if (got == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<std::size_t>(got);
  }
  return buffered();
}

}  // namespace pcapxx::detail
