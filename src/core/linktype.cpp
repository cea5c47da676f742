// STUB table: replaced by the full table.
#include <algorithm>
#include <cctype>
#include "pcapxx/linktype.hpp"
namespace pcapxx {
namespace {
constexpr LinkTypeInfo kTable[] = {
    {0, 0, "NULL", "BSD loopback"},
    {1, 1, "EN10MB", "Ethernet"},
    {12, 101, "RAW", "Raw IP"},
    {113, 113, "LINUX_SLL", "Linux cooked v1"},
};
}
std::span<const LinkTypeInfo> link_type_table() noexcept { return kTable; }
const LinkTypeInfo* find_link_type(LinkType type) noexcept {
  for (const auto& r : kTable) if (r.dlt == type.dlt) return &r;
  return nullptr;
}
const LinkTypeInfo* find_link_type(std::string_view) noexcept { return nullptr; }
LinkType link_type_from_file(std::uint32_t linktype) noexcept {
  linktype &= 0xffff;
  if (linktype == 101) return LinkType{12};
  return LinkType{static_cast<int>(linktype)};
}
std::uint16_t link_type_to_file(LinkType type) noexcept {
  if (type.dlt == 12) return 101;
  return static_cast<std::uint16_t>(type.dlt);
}
}  // namespace pcapxx
