// Buffered input for savefile readers: large reads into one reusable buffer, so regular files
// and pipes are read the same way and memory stays bounded whatever the file size.
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

  /// Bytes buffered and not yet consumed.
  [[nodiscard]] std::span<const std::byte> buffered() const noexcept {
    return {buf_.get() + pos_, end_ - pos_};
  }
  /// Buffers at least n bytes unless the input ends first, and returns what is buffered.
  /// Moves the buffer contents: every earlier view into the buffer becomes invalid.
  Result<std::span<const std::byte>> fill(std::size_t n);
  /// Marks n buffered bytes as used.
  void consume(std::size_t n) noexcept {
    pos_ += n;
    offset_ += n;
  }
  /// Absolute file offset of buffered().data().
  [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
  /// Whether the input has reported end of file.
  [[nodiscard]] bool at_eof() const noexcept { return eof_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

 private:
  int fd_;
  bool owned_;
  std::string name_;
  std::unique_ptr<std::byte[]> buf_;
  std::size_t cap_;
  [[maybe_unused]] std::size_t chunk_;  // read size hint; clang flags it as unused
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::uint64_t offset_ = 0;
  bool eof_ = false;
};

}  // namespace pcapxx::detail
