// 802.1Q / 802.1ad VLAN tags.
#include "pcapxx/layers/vlan.hpp"

#include <algorithm>

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

// In ethernet.cpp: the EtherType-or-802.3-length rule shared with Ethernet.
DecodeStatus decode_type_or_length(std::uint16_t type_or_length, std::span<const std::byte>& payload,
                                   const DecodeContext& ctx) noexcept;

DecodeStatus Dot1Q::decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept {
  if (data.size() < kHeaderLength) return failed("truncated tag: needs 4 bytes");
  const std::uint16_t tci = load_be16(data.data());
  priority = static_cast<std::uint8_t>(tci >> 13);
  drop_eligible = (tci >> 12) & 1;
  vlan_id = tci & 0x0fff;
  ethertype = load_be16(data.data() + 2);
  contents = data.first(kHeaderLength);
  payload = data.subspan(kHeaderLength);
  return decode_type_or_length(ethertype, payload, ctx);
}

void Dot1Q::serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext&) const {
  std::uint16_t type = ethertype;
  if (opts.fix_lengths && type <= 1500) type = static_cast<std::uint16_t>(std::min<std::size_t>(buf.size(), 1500));
  auto h = buf.prepend(kHeaderLength);
  store_be16(h.data(), static_cast<std::uint16_t>((priority & 7) << 13 | (drop_eligible ? 1 : 0) << 12 | (vlan_id & 0x0fff)));
  store_be16(h.data() + 2, type);
}

}  // namespace pcapxx::layers
