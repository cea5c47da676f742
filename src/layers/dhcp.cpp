// BOOTP / DHCP (RFC 951, RFC 2131 2, options RFC 2132).
#include "pcapxx/layers/dhcp.hpp"

#include <algorithm>

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

MacAddress Dhcp::client_mac() const noexcept {
  MacAddress m;
  std::memcpy(m.bytes.data(), client_hardware.data(), 6);
  return m;
}

std::optional<std::uint8_t> Dhcp::message_type() const noexcept {
  OptionReader r = option_reader();
  for (Option o; r.next(o);)
    if (o.kind == 53 && o.data.size() == 1) return u8(o.data[0]);
  return std::nullopt;
}

DecodeStatus Dhcp::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  if (data.size() < kFixedLength) return failed("truncated message: needs 236 bytes");
  op = u8(data[0]);
  hardware_type = u8(data[1]);
  hardware_length = u8(data[2]);
  hops = u8(data[3]);
  xid = load_be32(data.data() + 4);
  secs = load_be16(data.data() + 8);
  flags = load_be16(data.data() + 10);
  copy_in(client_ip.bytes, data.data() + 12);
  copy_in(your_ip.bytes, data.data() + 16);
  copy_in(server_ip.bytes, data.data() + 20);
  copy_in(relay_ip.bytes, data.data() + 24);
  copy_in(client_hardware, data.data() + 28);
  server_name = data.subspan(44, 64);
  file = data.subspan(108, 128);
  has_cookie = data.size() >= kFixedLength + 4 && load_be32(data.data() + kFixedLength) == kMagicCookie;
  options = {};
  std::size_t end = kFixedLength;
  if (has_cookie) {
    const auto list = data.subspan(kFixedLength + 4);
    OptionReader r(list, OptionStyle::dhcp);
    // The options end with the end option (255); padding after it is the trailer.
    std::size_t used = list.size();
    for (Option o; r.next(o);)
      if (o.kind == 255) used = static_cast<std::size_t>(o.whole.data() - list.data()) + 1;
    if (r.malformed()) return failed("option runs past the message", kFixedLength + 4 + r.offset());
    options = list.first(used);
    end = kFixedLength + 4 + options.size();
  }
  contents = data.first(end);
  payload = {};
  DecodeStatus s;
  if (end < data.size()) s.trailer = data.subspan(end);
  return s;
}

void Dhcp::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  auto h = buf.prepend(kFixedLength + (has_cookie ? 4 + options.size() : 0));
  std::memset(h.data(), 0, kFixedLength);
  h[0] = std::byte{op};
  h[1] = std::byte{hardware_type};
  h[2] = std::byte{hardware_length};
  h[3] = std::byte{hops};
  store_be32(h.data() + 4, xid);
  store_be16(h.data() + 8, secs);
  store_be16(h.data() + 10, flags);
  copy_out(h.data() + 12, client_ip.bytes);
  copy_out(h.data() + 16, your_ip.bytes);
  copy_out(h.data() + 20, server_ip.bytes);
  copy_out(h.data() + 24, relay_ip.bytes);
  copy_out(h.data() + 28, client_hardware);
  copy_out(h.data() + 44, server_name.first(std::min<std::size_t>(server_name.size(), 64)));
  copy_out(h.data() + 108, file.first(std::min<std::size_t>(file.size(), 128)));
  if (has_cookie) {
    store_be32(h.data() + kFixedLength, kMagicCookie);
    copy_out(h.data() + kFixedLength + 4, options);
  }
}

}  // namespace pcapxx::layers
