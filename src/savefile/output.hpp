// Buffered output for savefile writers: records are copied once into one buffer that is pushed
// to the descriptor when full, on flush() and at close(). Short writes, EINTR and EAGAIN (a
// non-blocking pipe) are retried; the first failed write is remembered and reported again by
// every later flush, because the bytes it lost make the rest of the file useless.
//
// Stream mode (the libpcap ABI's pcap_dump): bytes go into a stdio stream's own buffer instead,
// so that what a program writes to the same FILE* between packets lands in order, fflush is the
// flush and exit() flushes what is left, as with libpcap. Bytes are stored straight into the
// stream's buffer while it has room, as glibc's putc_unlocked does; a full buffer goes through
// fwrite. Like putc_unlocked this takes no stream lock: the stream must not be written by
// another thread at the same time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "pcapxx/error.hpp"

struct iovec;

namespace pcapxx::detail {

class ByteOutput {
 public:
  /// `start` is the file offset of the first byte we write (pcap_dump_ftell counts from it).
  ByteOutput(int fd, bool owned, std::string name, std::size_t capacity, std::uint64_t start);
  /// Stream mode: writes into `stream`'s buffer; never closes it. `start` as above.
  ByteOutput(std::FILE* stream, std::string name, std::uint64_t start);
  /// Closes an owned descriptor without flushing: the writer flushes first.
  ~ByteOutput();
  ByteOutput(const ByteOutput&) = delete;
  ByteOutput& operator=(const ByteOutput&) = delete;

  /// Copies bytes into the buffer, pushing it to the file first when they do not fit. A run
  /// of bytes larger than the whole buffer goes to the file directly, without a copy.
  Result<void> append(std::span<const std::byte> bytes) {
    if (bytes.size() <= cap_ - used_) {
      if (!bytes.empty()) std::memcpy(buf_.get() + used_, bytes.data(), bytes.size());
      used_ += bytes.size();
      return {};
    }
    if (stream_ != nullptr) return stream_put(bytes);
    return append_slow(bytes);
  }

  /// Writes n zero bytes (block padding).
  Result<void> append_zeros(std::size_t n) {
    static constexpr std::byte kZeros[8]{};
    return append(std::span<const std::byte>(kZeros, n));
  }

  /// Gather mode, for a batch whose payloads live in the source's memory until the batch ends:
  /// gather_copy() copies small pieces into the buffer, gather_ref() references large ones in
  /// place (no copy), and end_gather() writes everything with writev and empties the buffer.
  /// Every referenced byte must stay valid until end_gather() returns.
  Result<void> gather_copy(std::span<const std::byte> bytes) {
    if (bytes.size() <= cap_ - used_) [[likely]] {
      // An empty packet may come with a null data pointer, which memcpy must not see.
      if (!bytes.empty()) std::memcpy(buf_.get() + used_, bytes.data(), bytes.size());
      used_ += bytes.size();
      return {};
    }
    return gather_copy_slow(bytes);
  }
  Result<void> gather_ref(std::span<const std::byte> bytes);
  Result<void> end_gather();

  /// Pushes every buffered byte to the descriptor.
  Result<void> flush();
  /// Drops buffered bytes (a writer that failed to start leaves no partial header).
  void discard() noexcept {
    used_ = 0;
    iov_count_ = 0;
    segment_start_ = 0;
  }
  /// Flushes, then closes the descriptor if owned (stream mode: flushes only). Call once.
  Result<void> close();

  /// Bytes handed to us so far, buffered ones included, plus the start offset.
  [[nodiscard]] std::uint64_t position() const noexcept { return flushed_ + used_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  Result<void> append_slow(std::span<const std::byte> bytes);
  // Stream mode: into the stream's buffer while it has room, else through fwrite.
  Result<void> stream_put(std::span<const std::byte> bytes) {
#ifdef __GLIBC__
    // glibc's putc_unlocked (<bits/types/struct_FILE.h>, __putc_unlocked_body): while the
    // buffer has room the bytes go to _IO_write_ptr; a stream that is unbuffered, line
    // buffered or not in write mode keeps no room there, and stream_write handles it.
    std::FILE* f = stream_;
    std::size_t n = bytes.size();
    // A line-buffered stream's fwrite leaves _IO_write_ptr past _IO_write_end: compare first.
    if (f->_IO_write_ptr < f->_IO_write_end &&
        static_cast<std::size_t>(f->_IO_write_end - f->_IO_write_ptr) >= n && !failed_) [[likely]] {
      if (n != 0) std::memcpy(f->_IO_write_ptr, bytes.data(), n);
      f->_IO_write_ptr += n;
      flushed_ += n;
      return {};
    }
#endif
    return stream_write(bytes);
  }
  Result<void> stream_write(std::span<const std::byte> bytes);
  Result<void> stream_failed(const char* what);
  Result<void> write_all(const std::byte* p, std::size_t n);
  Result<void> gather_copy_slow(std::span<const std::byte> bytes);
  void close_segment() noexcept;
  Result<void> write_gathered();

  static constexpr std::size_t kMaxIov = 1024;  // IOV_MAX on Linux

  int fd_;
  bool owned_;
  std::string name_;
  std::unique_ptr<std::byte[]> buf_;
  std::size_t cap_;
  std::size_t used_ = 0;
  std::uint64_t flushed_;
  std::optional<Error> failed_;
  std::unique_ptr<struct iovec[]> iov_;  // gather mode: pieces to write, in order
  std::size_t iov_count_ = 0;
  std::size_t segment_start_ = 0;        // first buffered byte not yet in iov_
  std::FILE* stream_ = nullptr;          // stream mode (buf_ unused, cap_ 0)
};

}  // namespace pcapxx::detail
