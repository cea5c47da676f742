// Test support for the pcapng reader: building pcapng bytes by hand in either byte order,
// writing them to a temporary file, and reading a file back completely.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "pcapxx/savefile.hpp"

namespace pcapxx::test {

/// Bytes appended in a chosen byte order.
class Bytes {
 public:
  explicit Bytes(bool big_endian) : be_(big_endian) {}

  Bytes& u8(std::uint8_t v) {
    v_.push_back(std::byte{v});
    return *this;
  }
  Bytes& u16(std::uint16_t v) { return put(v); }
  Bytes& u32(std::uint32_t v) { return put(v); }
  Bytes& u64(std::uint64_t v) { return put(v); }
  Bytes& raw(std::string_view s) {
    for (char c : s) v_.push_back(static_cast<std::byte>(c));
    return *this;
  }
  Bytes& raw(const std::vector<std::byte>& b) {
    v_.insert(v_.end(), b.begin(), b.end());
    return *this;
  }
  Bytes& pad() {
    while (v_.size() % 4 != 0) v_.push_back(std::byte{0});
    return *this;
  }
  /// One option: code, length, value, padding.
  Bytes& option(std::uint16_t code, const std::vector<std::byte>& value) {
    u16(code).u16(static_cast<std::uint16_t>(value.size())).raw(value);
    return pad();
  }
  Bytes& option(std::uint16_t code, std::string_view text) {
    u16(code).u16(static_cast<std::uint16_t>(text.size())).raw(text);
    return pad();
  }
  Bytes& end_of_options() { return u16(0).u16(0); }

  [[nodiscard]] bool big_endian() const { return be_; }
  [[nodiscard]] const std::vector<std::byte>& bytes() const { return v_; }
  [[nodiscard]] std::size_t size() const { return v_.size(); }

  /// The value of a fixed-size option in this byte order.
  template <class T>
  [[nodiscard]] std::vector<std::byte> value(T v) const {
    Bytes b(be_);
    b.put(v);
    return b.v_;
  }

 private:
  template <class T>
  Bytes& put(T v) {
    if (be_ != (std::endian::native == std::endian::big)) v = std::byteswap(v);
    const auto* p = reinterpret_cast<const std::byte*>(&v);
    v_.insert(v_.end(), p, p + sizeof v);
    return *this;
  }

  bool be_;
  std::vector<std::byte> v_;
};

/// A whole block: type, total length, body padded to 4, total length.
inline std::vector<std::byte> block(bool be, std::uint32_t type, const Bytes& body) {
  Bytes b(be);
  std::uint32_t len = static_cast<std::uint32_t>(12 + ((body.size() + 3) & ~std::size_t{3}));
  b.u32(type).u32(len).raw(body.bytes()).pad().u32(len);
  return b.bytes();
}

/// A Section Header Block, version 1.0 unless told, section length -1.
inline std::vector<std::byte> shb(bool be, std::uint16_t major = 1, std::uint16_t minor = 0,
                                  const std::optional<Bytes>& options = std::nullopt) {
  Bytes body(be);
  body.u32(0x1A2B3C4D).u16(major).u16(minor).u64(~std::uint64_t{0});
  if (options) body.raw(options->bytes());
  return block(be, 0x0A0D0D0A, body);
}

/// An Interface Description Block.
inline std::vector<std::byte> idb(bool be, std::uint16_t linktype, std::uint32_t snaplen,
                                  const std::optional<Bytes>& options = std::nullopt) {
  Bytes body(be);
  body.u16(linktype).u16(0).u32(snaplen);
  if (options) body.raw(options->bytes());
  return block(be, 1, body);
}

/// Packet bytes 0, 1, 2, ... (mod 251) shifted by `seed`, so packets differ.
inline std::vector<std::byte> payload(std::size_t n, unsigned seed = 0) {
  std::vector<std::byte> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::byte>((i + seed) % 251);
  return v;
}

/// An Enhanced Packet Block.
inline std::vector<std::byte> epb(bool be, std::uint32_t interface, std::uint64_t ticks,
                                  const std::vector<std::byte>& data, std::uint32_t origlen,
                                  const std::optional<Bytes>& options = std::nullopt) {
  Bytes body(be);
  body.u32(interface).u32(static_cast<std::uint32_t>(ticks >> 32)).u32(static_cast<std::uint32_t>(ticks));
  body.u32(static_cast<std::uint32_t>(data.size())).u32(origlen).raw(data).pad();
  if (options) body.raw(options->bytes());
  return block(be, 6, body);
}

/// A Simple Packet Block.
inline std::vector<std::byte> spb(bool be, std::uint32_t origlen, const std::vector<std::byte>& data) {
  Bytes body(be);
  body.u32(origlen).raw(data).pad();
  return block(be, 3, body);
}

/// Concatenation of blocks.
inline std::vector<std::byte> cat(std::initializer_list<std::vector<std::byte>> parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// A file in the test's temporary directory, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::vector<std::byte>& bytes) {
    std::string tmpl = ::testing::TempDir() + "pcapxx-pcapng-XXXXXX";
    int fd = ::mkstemp(tmpl.data());
    EXPECT_GE(fd, 0);
    path_ = tmpl;
    std::size_t done = 0;
    while (done < bytes.size()) {
      ssize_t got = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    EXPECT_EQ(done, bytes.size());
    ::close(fd);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// One packet copied out of its batch.
struct PacketCopy {
  PacketHeader header;
  std::vector<std::byte> data;
  std::vector<std::byte> options;
  bool options_swapped = false;
};

/// Everything a reader delivered for a file.
struct ReadOutcome {
  std::string name;                 ///< the path read, which messages start with
  std::optional<Error> open_error;  ///< set if open() failed; nothing else is then
  SavefileInfo info;
  std::vector<InterfaceDescription> interfaces;
  std::vector<PacketCopy> packets;
  std::optional<Error> error;       ///< the error that ended reading, if any
  std::size_t batches = 0;
};

/// Opens a file and reads it to the end (or the first error) batch by batch.
inline ReadOutcome read_all(const std::string& path) {
  ReadOutcome r;
  r.name = path;
  auto reader = SavefileReader::open(path);
  if (!reader) {
    r.open_error = reader.error();
    return r;
  }
  for (;;) {
    auto batch = (*reader)->next_batch();
    if (!batch) {
      r.error = batch.error();
      break;
    }
    if (batch->status == BatchStatus::end) break;
    ++r.batches;
    for (const PacketView& v : batch->packets) {
      PacketCopy c;
      c.header = v.header;
      c.data.assign(v.data.begin(), v.data.end());
      c.options.assign(v.options.bytes.begin(), v.options.bytes.end());
      c.options_swapped = v.options.swapped;
      r.packets.push_back(std::move(c));
    }
  }
  r.info = (*reader)->info();
  auto ifs = (*reader)->interfaces();
  r.interfaces.assign(ifs.begin(), ifs.end());
  return r;
}

/// Writes bytes to a temporary file and reads it back.
inline ReadOutcome read_bytes(const std::vector<std::byte>& bytes) {
  TempFile f(bytes);
  return read_all(f.path());
}

}  // namespace pcapxx::test
