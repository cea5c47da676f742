// TCP (RFC 9293 3.1) and its common options.
#include "pcapxx/layers/tcp.hpp"

#include "layers/checksum.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Tcp::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < 20) return failed("truncated header: needs 20 bytes");
  src_port = load_be16(data.data());
  dst_port = load_be16(data.data() + 2);
  seq = load_be32(data.data() + 4);
  ack = load_be32(data.data() + 8);
  data_offset = u8(data[12]) >> 4;
  flags = static_cast<std::uint16_t>((u8(data[12]) & 0x0f) << 8 | u8(data[13]));
  window = load_be16(data.data() + 14);
  checksum = load_be16(data.data() + 16);
  urgent = load_be16(data.data() + 18);
  if (data_offset < 5) return failed("data offset is below 5 (20 bytes)", 12);
  const std::size_t hl = header_length();
  if (data.size() < hl) return failed("truncated options: data offset runs past the packet", 20);
  options = data.subspan(20, hl - 20);
  contents = data.first(hl);
  payload = data.subspan(hl);
  return next_layer(ctx.registry.port(PortProtocol::tcp, src_port, dst_port), payload);
}

void Tcp::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const {
  const std::size_t pad = opts.fix_lengths ? (4 - options.size() % 4) % 4 : 0;
  const std::size_t hl = 20 + options.size() + pad;
  auto h = buf.prepend(hl);
  store_be16(h.data(), src_port);
  store_be16(h.data() + 2, dst_port);
  store_be32(h.data() + 4, seq);
  store_be32(h.data() + 8, ack);
  const std::uint8_t words = opts.fix_lengths ? static_cast<std::uint8_t>(hl / 4) : data_offset;
  h[12] = std::byte{static_cast<std::uint8_t>(words << 4 | ((flags >> 8) & 0x0f))};
  h[13] = std::byte{static_cast<std::uint8_t>(flags)};
  store_be16(h.data() + 14, window);
  store_be16(h.data() + 16, opts.compute_checksums ? 0 : checksum);
  store_be16(h.data() + 18, urgent);
  copy_out(h.data() + 20, options);
  for (std::size_t i = 0; i < pad; ++i) h[20 + options.size() + i] = std::byte{0};
  if (opts.compute_checksums) {
    const auto all = buf.mutable_bytes();
    const std::uint64_t sum = pseudo_header_sum(ctx, 6, static_cast<std::uint32_t>(all.size()));
    store_be16(all.data() + 16, checksum_finish(checksum_add(all, sum)));
  }
}

std::optional<std::uint16_t> Tcp::mss() const noexcept {
  OptionReader r = option_reader();
  for (Option o; r.next(o);)
    if (o.kind == 2 && o.data.size() == 2) return load_be16(o.data.data());
  return std::nullopt;
}

std::optional<std::uint8_t> Tcp::window_scale() const noexcept {
  OptionReader r = option_reader();
  for (Option o; r.next(o);)
    if (o.kind == 3 && o.data.size() == 1) return u8(o.data[0]);
  return std::nullopt;
}

bool Tcp::sack_permitted() const noexcept {
  OptionReader r = option_reader();
  for (Option o; r.next(o);)
    if (o.kind == 4) return true;
  return false;
}

std::optional<Tcp::Timestamps> Tcp::timestamps() const noexcept {
  OptionReader r = option_reader();
  for (Option o; r.next(o);)
    if (o.kind == 8 && o.data.size() == 8) return Timestamps{load_be32(o.data.data()), load_be32(o.data.data() + 4)};
  return std::nullopt;
}

std::size_t Tcp::sack_blocks(std::span<SackBlock> out) const noexcept {
  OptionReader r = option_reader();
  for (Option o; r.next(o);) {
    if (o.kind != 5) continue;
    std::size_t n = 0;
    for (std::size_t at = 0; at + 8 <= o.data.size() && n < out.size(); at += 8)
      out[n++] = SackBlock{load_be32(o.data.data() + at), load_be32(o.data.data() + at + 4)};
    return n;
  }
  return 0;
}

std::span<std::byte> TcpOptionsBuilder::room(std::size_t n) noexcept {
  if (!ok_ || len_ + n > buf_.size()) {
    ok_ = false;
    return {};
  }
  auto r = std::span(buf_).subspan(len_, n);
  len_ += n;
  return r;
}

TcpOptionsBuilder& TcpOptionsBuilder::nop() noexcept {
  if (auto r = room(1); !r.empty()) r[0] = std::byte{1};
  return *this;
}

TcpOptionsBuilder& TcpOptionsBuilder::mss(std::uint16_t v) noexcept {
  if (auto r = room(4); !r.empty()) {
    r[0] = std::byte{2};
    r[1] = std::byte{4};
    store_be16(r.data() + 2, v);
  }
  return *this;
}

TcpOptionsBuilder& TcpOptionsBuilder::window_scale(std::uint8_t shift) noexcept {
  if (auto r = room(3); !r.empty()) {
    r[0] = std::byte{3};
    r[1] = std::byte{3};
    r[2] = std::byte{shift};
  }
  return *this;
}

TcpOptionsBuilder& TcpOptionsBuilder::sack_permitted() noexcept {
  if (auto r = room(2); !r.empty()) {
    r[0] = std::byte{4};
    r[1] = std::byte{2};
  }
  return *this;
}

TcpOptionsBuilder& TcpOptionsBuilder::sack(std::span<const Tcp::SackBlock> blocks) noexcept {
  if (auto r = room(2 + 8 * blocks.size()); !r.empty()) {
    r[0] = std::byte{5};
    r[1] = std::byte{static_cast<std::uint8_t>(2 + 8 * blocks.size())};
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      store_be32(r.data() + 2 + 8 * i, blocks[i].left);
      store_be32(r.data() + 6 + 8 * i, blocks[i].right);
    }
  }
  return *this;
}

TcpOptionsBuilder& TcpOptionsBuilder::timestamps(std::uint32_t value, std::uint32_t echo_reply) noexcept {
  if (auto r = room(10); !r.empty()) {
    r[0] = std::byte{8};
    r[1] = std::byte{10};
    store_be32(r.data() + 2, value);
    store_be32(r.data() + 6, echo_reply);
  }
  return *this;
}

}  // namespace pcapxx::layers
