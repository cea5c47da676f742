#include <array>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/byte_order.hpp"
#include "savefile/decoder.hpp"

namespace pcapxx {

using detail::ByteInput;

struct SavefileReader::Impl {
  static constexpr std::size_t kBatch = 256;

  Impl(int fd, bool owned, std::string name) : in(fd, owned, std::move(name)) {}

  ByteInput in;
  std::vector<InterfaceDescription> interfaces;
  SavefileInfo info;
  std::unique_ptr<detail::RecordDecoder> decoder;
  std::array<PacketView, kBatch> views{};
  std::size_t count = 0;  // views filled by the last decode
  std::size_t index = 0;  // next view next() hands out
  std::uint64_t delivered = 0;
  std::optional<Error> error;
  bool ended = false;

  Result<std::size_t> decode_more() {
    if (ended) return 0;
    auto got = decoder->decode(views);
    if (!got) {
      ended = true;
      error = got.error();
      return std::unexpected(got.error());
    }
    count = *got;
    index = 0;
    delivered += count;
    if (count == 0) ended = true;
    return count;
  }
};

namespace {
constexpr std::uint32_t kPcapngMagic = 0x0a0d0d0a;  // Section Header Block type, a palindrome
}

Result<std::unique_ptr<SavefileReader>> SavefileReader::open(std::string_view path) {
  if (path == "-") return open_fd(STDIN_FILENO, "standard input", false);
  std::string p(path);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno(errno, p);
  return open_fd(fd, std::move(p), true);
}

Result<std::unique_ptr<SavefileReader>> SavefileReader::open_fd(int fd, std::string name, bool owned) {
  auto impl = std::make_unique<Impl>(fd, owned, std::move(name));
  auto head = impl->in.fill(4);
  if (!head) return std::unexpected(head.error());
  if (head->size() < 4)
    return fail_at(Errc::truncated, 0,
                   fmt::format("{}: file is {} bytes, too short for any savefile header",
                               impl->in.name(), head->size()));
  std::uint32_t magic = detail::load_raw<std::uint32_t>(head->data());
  detail::DecoderState state{impl->in, impl->interfaces, impl->info};
  switch (magic) {
    case kPcapngMagic:
      impl->decoder = detail::make_pcapng_decoder(state);
      break;
    case 0xa1b2c3d4: case 0xd4c3b2a1: case 0xa1b23c4d: case 0x4d3cb2a1:
    case 0xa1b2cd34: case 0x34cdb2a1:
      impl->decoder = detail::make_pcap_decoder(state);
      break;
    default:
      return fail_at(Errc::format, 0,
                     fmt::format("{}: unknown file format: magic 0x{:08x} is neither pcap nor pcapng",
                                 impl->in.name(), std::byteswap(magic)));
  }
  if (auto ok = impl->decoder->read_header(); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<SavefileReader>(new SavefileReader(std::move(impl)));
}

SavefileReader::SavefileReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SavefileReader::~SavefileReader() = default;

Result<BatchResult> SavefileReader::next_batch() {
  if (impl_->index >= impl_->count) {
    auto got = impl_->decode_more();
    if (!got) return std::unexpected(got.error());
    if (*got == 0) return BatchResult{BatchStatus::end, {}};
  }
  Batch batch(impl_->views.data() + impl_->index, impl_->count - impl_->index);
  impl_->index = impl_->count;
  return BatchResult{BatchStatus::packets, batch};
}

Result<const PacketView*> SavefileReader::next() {
  if (impl_->index >= impl_->count) {
    auto got = impl_->decode_more();
    if (!got) return std::unexpected(got.error());
    if (*got == 0) return nullptr;
  }
  return &impl_->views[impl_->index++];
}

std::span<const InterfaceDescription> SavefileReader::interfaces() const { return impl_->interfaces; }

CaptureStats SavefileReader::stats() const {
  CaptureStats s;
  s.received = impl_->delivered - (impl_->count - impl_->index);
  return s;
}

const SavefileInfo& SavefileReader::info() const noexcept { return impl_->info; }
const std::string& SavefileReader::name() const noexcept { return impl_->in.name(); }
const std::optional<Error>& SavefileReader::error() const noexcept { return impl_->error; }
std::uint64_t SavefileReader::offset() const noexcept { return impl_->in.offset(); }

SavefileReader::Iterator::Iterator(SavefileReader* r) : reader_(r) { ++*this; }

SavefileReader::Iterator& SavefileReader::Iterator::operator++() {
  auto got = reader_->next();
  current_ = got ? *got : nullptr;
  return *this;
}

}  // namespace pcapxx
