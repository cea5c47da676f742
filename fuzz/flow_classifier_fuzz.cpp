// Fuzz target: frames of several link types through FlowClassifier into a small FlowTable
// (budget 8, short timeouts), so parsing, eviction, timeouts and TCP reuse all run on hostile
// input. Input: a sequence of [link selector byte][length byte][frame bytes]; the selector also
// advances the packet clock. Checks the table's own invariants as it goes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "pcapxx/flow_table.hpp"

namespace {

constexpr pcapxx::LinkType kLinks[] = {
    pcapxx::LinkType{1},    // Ethernet
    pcapxx::LinkType{101},  // raw IP
    pcapxx::LinkType{0},    // BSD loopback
    pcapxx::LinkType{113},  // Linux cooked v1
    pcapxx::LinkType{276},  // Linux cooked v2
    pcapxx::LinkType{228},  // IPv4
    pcapxx::LinkType{229},  // IPv6
    pcapxx::LinkType{147},  // a user DLT: no decoder
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pcapxx::FlowClassifier classify;
  pcapxx::FlowTable table({.max_flows = 8, .idle_timeout_ns = 5000, .active_timeout_ns = 20000});
  std::uint64_t ended = 0;
  table.set_end_handler([&](const pcapxx::FlowRecord& r, pcapxx::FlowEndReason) {
    ++ended;
    if (r.packets() == 0 && r.id == 0) std::abort();
  });
  std::int64_t now = 0;
  std::size_t at = 0;
  while (at + 2 <= size) {
    const std::uint8_t sel = data[at];
    std::size_t len = data[at + 1];
    at += 2;
    if (len > size - at) len = size - at;
    pcapxx::PacketView v;
    v.data = std::span<const std::byte>(reinterpret_cast<const std::byte*>(data + at), len);
    v.header.caplen = static_cast<std::uint32_t>(len);
    v.header.origlen = static_cast<std::uint32_t>(len);
    v.header.interface = sel >> 7;
    now += (sel >> 3) * 250;
    v.header.ts = pcapxx::Timestamp{now};
    at += len;
    pcapxx::FlowPacket fp;
    if (classify.classify(v, kLinks[sel % 8], fp)) {
      const auto u = table.add(fp);
      if (u.flow == nullptr || u.flow->packets() == 0) std::abort();
      if (table.find(fp.key, fp.vlan, fp.interface) != u.flow) std::abort();
    }
    if (table.size() > table.capacity()) std::abort();
  }
  const std::size_t live = table.size();
  const auto before = table.counters().ended_flushed;
  table.flush();
  if (table.size() != 0 || table.counters().ended_flushed - before != live) std::abort();
  return 0;
}
