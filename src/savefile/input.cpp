#include "savefile/input.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace pcapxx::detail {
namespace {

// Mapping bytes behind the reader are released in steps of this size.
constexpr std::size_t kReleaseStep = 32u << 20;
// Mapping bytes ahead of the reader are populated in steps of this size.
constexpr std::size_t kPopulateStep = 8u << 20;
// MADV_POPULATE_READ (Linux 5.14); older kernels refuse it with EINVAL and fault pages in.
constexpr int kMadvPopulateRead = 22;

bool mmap_disabled() {
  const char* v = std::getenv("PCAPXX_NO_MMAP");
  return v != nullptr && *v != '\0' && *v != '0';
}

}  // namespace

ByteInput::ByteInput(int fd, bool owned, std::string name, std::size_t chunk)
    : fd_(fd), owned_(owned), name_(std::move(name)), chunk_(chunk) {
  struct stat st{};
  off_t start = ::lseek(fd_, 0, SEEK_CUR);
  if (!mmap_disabled() && start >= 0 && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) &&
      st.st_size > start) {
    std::size_t len = static_cast<std::size_t>(st.st_size);
    void* m = ::mmap(nullptr, len, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (m != MAP_FAILED) {
      map_ = m;
      map_len_ = len;
      base_ = static_cast<const std::byte*>(m);
      pos_ = static_cast<std::size_t>(start);
      released_ = pos_ & ~(kReleaseStep - 1);
      end_ = len;
      populate_ahead();
      // Reading continues with read() behind the mapping if the file grows.
      ::lseek(fd_, static_cast<off_t>(len), SEEK_SET);
      return;
    }
  }
  // Only a hint; pipes and terminals refuse it harmlessly.
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

ByteInput::~ByteInput() {
  unmap();
  if (owned_ && fd_ >= 0) ::close(fd_);
}

void ByteInput::unmap() noexcept {
  if (map_ != nullptr) ::munmap(map_, map_len_);
  map_ = nullptr;
  map_len_ = 0;
}

void ByteInput::populate_ahead() noexcept {
  // Map the next stretch of the file in one call instead of a page fault per page.
  if (pos_ + kPopulateStep / 2 < populated_ || populated_ >= map_len_) return;
  std::size_t from = std::max(populated_, pos_ & ~std::size_t{4095});
  std::size_t len = std::min(kPopulateStep, map_len_ - from);
  ::madvise(static_cast<std::byte*>(map_) + from, len, kMadvPopulateRead);
  populated_ = from + len;
}

void ByteInput::consume(std::size_t n) noexcept {
  pos_ += n;
  offset_ += n;
  if (map_ != nullptr) populate_ahead();
  // Drop the page-table entries of what lies well behind: the pages stay in the page cache,
  // and a view still pointing there would simply fault them back in from the file.
  if (map_ != nullptr && pos_ >= released_ + 2 * kReleaseStep) {
    std::size_t upto = (pos_ - kReleaseStep) & ~(kReleaseStep - 1);
    ::madvise(static_cast<std::byte*>(map_) + released_, upto - released_, MADV_DONTNEED);
    released_ = upto;
  }
}

Result<std::span<const std::byte>> ByteInput::fill(std::size_t n) {
  if (end_ - pos_ >= n || eof_) return buffered();
  // Keep the unconsumed tail at the front of the read buffer and read behind it; grow only
  // for a record larger than the buffer (callers bound n).
  std::size_t have = end_ - pos_;
  std::size_t want = std::max(n, chunk_);
  if (want > cap_ || base_ != buf_.get()) {
    std::size_t cap = std::max(want, cap_ * 2);
    auto bigger = std::make_unique_for_overwrite<std::byte[]>(cap);
    if (have != 0) std::memcpy(bigger.get(), base_ + pos_, have);
    buf_ = std::move(bigger);
    cap_ = cap;
  } else if (pos_ != 0 && have != 0) {
    std::memmove(buf_.get(), base_ + pos_, have);
  }
  unmap();  // past the mapping, the rest of the file comes through read()
  base_ = buf_.get();
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
