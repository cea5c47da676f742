// ICMPv4 (RFC 792) and ICMPv6 (RFC 4443, ND messages RFC 4861 section 4).
#include "pcapxx/layers/icmp.hpp"

#include "layers/checksum.hpp"
#include "pcapxx/layers/registry.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Icmpv4::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated header: needs 8 bytes");
  type = u8(data[0]);
  code = u8(data[1]);
  checksum = load_be16(data.data() + 2);
  rest = load_be32(data.data() + 4);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  // Unreachable, source quench, redirect, time exceeded, parameter problem carry the
  // invoking IPv4 header and at least 8 bytes of its payload.
  const bool error = type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
  return next_layer(error ? LayerType::ipv4 : LayerType::payload, payload);
}

void Icmpv4::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  auto h = buf.prepend(kHeaderLength);
  h[0] = std::byte{type};
  h[1] = std::byte{code};
  store_be16(h.data() + 2, opts.compute_checksums ? 0 : checksum);
  store_be32(h.data() + 4, rest);
  if (opts.compute_checksums) store_be16(h.data() + 2, checksum_finish(checksum_add(buf.bytes(), 0)));
}

DecodeStatus Icmpv6::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < 8) return failed("truncated header: needs 8 bytes");
  type = u8(data[0]);
  code = u8(data[1]);
  checksum = load_be16(data.data() + 2);
  rest = load_be32(data.data() + 4);
  if (is_neighbor_discovery()) {
    contents = data;
    body = data.subspan(8);
    payload = {};
    return {};
  }
  body = {};
  contents = data.first(8);
  payload = data.subspan(8);
  // Types 1-4 (RFC 4443 3.1-3.4) carry as much of the invoking packet as fits.
  return next_layer(type >= 1 && type <= 4 ? LayerType::ipv6 : LayerType::payload, payload);
}

bool Icmpv6::target(Ipv6Address& out) const noexcept {
  if ((type != kNeighborSolicitation && type != kNeighborAdvertisement && type != kRedirect) || body.size() < 16)
    return false;
  copy_in(out.bytes, body.data());
  return true;
}

std::span<const std::byte> Icmpv6::nd_options() const noexcept {
  // Fixed part of each ND message after the first 8 bytes (RFC 4861 4.1-4.5).
  std::size_t fixed = 0;
  switch (type) {
    case kRouterSolicitation: fixed = 0; break;
    case kRouterAdvertisement: fixed = 8; break;
    case kNeighborSolicitation: case kNeighborAdvertisement: fixed = 16; break;
    case kRedirect: fixed = 32; break;
    default: return {};
  }
  return body.size() < fixed ? std::span<const std::byte>{} : body.subspan(fixed);
}

void Icmpv6::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const {
  auto h = buf.prepend(8 + body.size());
  h[0] = std::byte{type};
  h[1] = std::byte{code};
  store_be16(h.data() + 2, opts.compute_checksums ? 0 : checksum);
  store_be32(h.data() + 4, rest);
  copy_out(h.data() + 8, body);
  if (opts.compute_checksums) {
    const auto all = buf.mutable_bytes();
    const std::uint64_t sum = pseudo_header_sum(ctx, 58, static_cast<std::uint32_t>(all.size()));
    store_be16(all.data() + 2, checksum_finish(checksum_add(all, sum)));
  }
}

}  // namespace pcapxx::layers
