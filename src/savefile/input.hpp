// Input for savefile readers. Regular files are memory-mapped: records are handed out as views
// into the mapping, so nothing is copied, and pages behind the reader are released so resident
// memory stays bounded (the pages are file-backed, never anonymous). Pipes, terminals and the
// part of a file that grows after it was opened are read in large chunks into one reusable
// buffer. Either way a decoder sees one window of contiguous bytes.
//
// Limitation: as with any mmap reader, a file truncated by another process while we read it
// raises SIGBUS. Set PCAPXX_NO_MMAP=1 to read such files through the buffer instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "pcapxx/error.hpp"

namespace pcapxx::detail {

class ByteInput {
 public:
  static constexpr std::size_t kDefaultChunk = 1 << 20;

  ByteInput(int fd, bool owned, std::string name, std::size_t chunk = kDefaultChunk);
  ~ByteInput();
  ByteInput(const ByteInput&) = delete;
  ByteInput& operator=(const ByteInput&) = delete;

  /// Bytes available and not yet consumed.
  [[nodiscard]] std::span<const std::byte> buffered() const noexcept {
    return {base_ + pos_, end_ - pos_};
  }
  /// Makes at least n bytes available unless the input ends first, and returns what is
  /// available. May move the window: every earlier view into it becomes invalid.
  Result<std::span<const std::byte>> fill(std::size_t n);
  /// Marks n available bytes as used.
  void consume(std::size_t n) noexcept;
  /// Absolute file offset of buffered().data().
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  /// Whether the input has reported end of file.
  [[nodiscard]] bool at_eof() const noexcept { return eof_; }
  /// Whether the window is a mapping of the file (no copies).
  [[nodiscard]] bool mapped() const noexcept { return map_ != nullptr; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  void unmap() noexcept;
  void populate_ahead() noexcept;

  int fd_;
  bool owned_;
  std::string name_;
  std::size_t chunk_;
  const std::byte* base_ = nullptr;     // start of the window: the mapping or buf_
  std::unique_ptr<std::byte[]> buf_;    // read buffer, allocated when first needed
  std::size_t cap_ = 0;
  void* map_ = nullptr;
  std::size_t map_len_ = 0;
  std::size_t released_ = 0;            // mapping bytes already given back to the kernel
  std::size_t populated_ = 0;           // mapping bytes already mapped in ahead of the reader
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t offset_ = 0;
  bool eof_ = false;
};

}  // namespace pcapxx::detail
