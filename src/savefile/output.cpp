#include "savefile/output.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fmt/format.h>

namespace pcapxx::detail {

ByteOutput::ByteOutput(int fd, bool owned, std::string name, std::size_t capacity,
                       std::uint64_t start)
    : fd_(fd),
      owned_(owned),
      name_(std::move(name)),
      buf_(std::make_unique_for_overwrite<std::byte[]>(capacity)),
      cap_(capacity),
      flushed_(start) {}

ByteOutput::ByteOutput(std::FILE* stream, std::string name, std::uint64_t start)
    : fd_(::fileno(stream)), owned_(false), name_(std::move(name)), cap_(0), flushed_(start),
      stream_(stream) {}

Result<void> ByteOutput::stream_write(std::span<const std::byte> bytes) {
  if (failed_) return std::unexpected(*failed_);
  std::size_t n = bytes.size();
  if (n == 0) return {};
  errno = 0;
  if (std::fwrite(bytes.data(), 1, n, stream_) != n) return stream_failed("write");
  flushed_ += n;
  return {};
}

Result<void> ByteOutput::stream_failed(const char* what) {
  int err = errno != 0 ? errno : EIO;
  auto e = fail_errno(err, fmt::format("{}: {} at offset {}", name_, what, flushed_));
  e.error().offset = flushed_;
  failed_ = e.error();
  return e;
}

void ByteOutput::close_segment() noexcept {
  if (used_ > segment_start_) iov_[iov_count_++] = {buf_.get() + segment_start_, used_ - segment_start_};
  segment_start_ = used_;
}

Result<void> ByteOutput::gather_ref(std::span<const std::byte> bytes) {
  if (stream_ != nullptr) return stream_put(bytes);
  if (!iov_) iov_ = std::make_unique_for_overwrite<iovec[]>(kMaxIov);
  // Room for the open buffer segment, this reference, and the segment write_gathered() closes.
  if (iov_count_ + 3 > kMaxIov)
    if (auto ok = write_gathered(); !ok) return ok;
  close_segment();
  iov_[iov_count_++] = {const_cast<std::byte*>(bytes.data()), bytes.size()};
  return {};
}

Result<void> ByteOutput::gather_copy_slow(std::span<const std::byte> bytes) {
  if (stream_ != nullptr) return stream_put(bytes);
  // The buffer is full of pieces still waiting in iov_: write them before reusing it.
  if (!iov_) iov_ = std::make_unique_for_overwrite<iovec[]>(kMaxIov);
  if (auto ok = write_gathered(); !ok) return ok;
  if (bytes.size() <= cap_) return gather_copy(bytes);
  return write_all(bytes.data(), bytes.size());
}

Result<void> ByteOutput::end_gather() {
  if (iov_count_ == 0) return {};  // nothing referenced: what was copied stays buffered
  return write_gathered();
}

Result<void> ByteOutput::write_gathered() {
  if (failed_) return std::unexpected(*failed_);
  close_segment();
  iovec* v = iov_.get();
  std::size_t left = iov_count_;
  while (left > 0) {
    ssize_t put = ::writev(fd_, v, static_cast<int>(left));
    if (put < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        pollfd pfd{fd_, POLLOUT, 0};
        if (::poll(&pfd, 1, -1) >= 0 || errno == EINTR) continue;
      }
      auto err = fail_errno(errno, fmt::format("{}: write at offset {}", name_, flushed_));
      err.error().offset = flushed_;
      failed_ = err.error();
      return err;
    }
    flushed_ += static_cast<std::uint64_t>(put);
    auto done = static_cast<std::size_t>(put);
    while (left > 0 && done >= v->iov_len) {  // skip what went out whole
      done -= v->iov_len;
      ++v;
      --left;
    }
    if (left > 0) {  // a short write stopped inside this piece
      v->iov_base = static_cast<char*>(v->iov_base) + done;
      v->iov_len -= done;
    }
  }
  iov_count_ = 0;
  used_ = 0;
  segment_start_ = 0;
  return {};
}

ByteOutput::~ByteOutput() {
  if (owned_ && fd_ >= 0) ::close(fd_);
}

Result<void> ByteOutput::append_slow(std::span<const std::byte> bytes) {
  if (stream_ != nullptr) return stream_put(bytes);
  if (auto ok = flush(); !ok) return ok;
  if (bytes.size() <= cap_) {
    std::memcpy(buf_.get(), bytes.data(), bytes.size());
    used_ = bytes.size();
    return {};
  }
  return write_all(bytes.data(), bytes.size());
}

Result<void> ByteOutput::flush() {
  if (failed_) return std::unexpected(*failed_);
  if (stream_ != nullptr) {
    errno = 0;
    return std::fflush(stream_) == 0 ? Result<void>{} : stream_failed("write");
  }
  if (iov_count_ != 0) return write_gathered();
  if (used_ == 0) return {};
  auto ok = write_all(buf_.get(), used_);
  used_ = 0;
  return ok;
}

Result<void> ByteOutput::write_all(const std::byte* p, std::size_t n) {
  if (failed_) return std::unexpected(*failed_);
  while (n > 0) {
    ssize_t put = ::write(fd_, p, n);
    if (put < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // A non-blocking pipe or socket someone handed us: wait until it drains.
        pollfd pfd{fd_, POLLOUT, 0};
        if (::poll(&pfd, 1, -1) >= 0 || errno == EINTR) continue;
      }
      auto err = fail_errno(errno, fmt::format("{}: write at offset {}", name_, flushed_));
      err.error().offset = flushed_;
      failed_ = err.error();
      return err;
    }
    p += put;
    n -= static_cast<std::size_t>(put);
    flushed_ += static_cast<std::uint64_t>(put);
  }
  return {};
}

Result<void> ByteOutput::close() {
  auto ok = flush();
  if (owned_ && fd_ >= 0) {
    // Linux releases the descriptor even when close() reports EINTR, so it is never retried;
    // other errors (EIO, ENOSPC, EDQUOT on network file systems) mean lost data.
    int rc = ::close(fd_);
    int err = errno;
    fd_ = -1;
    if (rc != 0 && err != EINTR && ok) return fail_errno(err, fmt::format("{}: close", name_));
  }
  return ok;
}

}  // namespace pcapxx::detail
