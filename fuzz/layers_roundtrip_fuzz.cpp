// libFuzzer target: any bytes as one packet of each link type the decoder knows; a packet that
// decodes without an error layer, serialized unchanged, must give back exactly its bytes (and
// so must one that ends in an error layer: the failed bytes are kept).
// A difference aborts and prints both. Then the packet is edited through a LayerList (a tag, an
// MPLS label and an IPv6 fragment header inserted, a layer removed, the payload swapped, at
// places chosen by the input) and serialized with fix-ups, which must not crash, and the result
// decoded again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>

#include "pcapxx/decode.hpp"
#include "pcapxx/layers/layer_list.hpp"

namespace {

using namespace pcapxx;
using namespace pcapxx::layers;

void dump(const char* what, std::span<const std::byte> b) {
  std::fprintf(stderr, "%s (%zu bytes):", what, b.size());
  for (std::byte x : b) std::fprintf(stderr, " %02x", std::to_integer<unsigned>(x));
  std::fprintf(stderr, "\n");
}

void edit(LayerList& list, std::span<const std::byte> data, LinkType link);

void check(std::span<const std::byte> data, LinkType link) {
  static SerializeBuffer buf(512);
  const Packet pkt = Packet::decode(data, link);
  if (pkt.error() != nullptr && pkt.error()->layer == LayerType::none) return;  // link type not decoded
  pkt.serialize(buf);
  const auto out = buf.bytes();
  if (out.size() != data.size() || (!out.empty() && std::memcmp(out.data(), data.data(), out.size()) != 0)) {
    std::fprintf(stderr, "layers_roundtrip_fuzz: link %d: serialize() changed the packet\n", link.dlt);
    for (const Layer& l : pkt.layers()) std::fprintf(stderr, "  %.*s at %u\n", static_cast<int>(l.name().size()), l.name().data(), l.offset);
    if (pkt.error() != nullptr) std::fprintf(stderr, "  error: %s\n", pkt.error()->message().c_str());
    dump("input", data);
    dump("output", out);
    std::abort();
  }
  LayerList list(pkt);
  list.serialize(buf);
  if (!std::ranges::equal(buf.bytes(), data)) {
    std::fprintf(stderr, "layers_roundtrip_fuzz: link %d: an unchanged LayerList serialized differently\n", link.dlt);
    dump("input", data);
    dump("output", buf.bytes());
    std::abort();
  }
  edit(list, data, link);
}

// Edits at places picked by the input's first bytes; failures (a full list) are fine.
void edit(LayerList& list, std::span<const std::byte> data, LinkType link) {
  static SerializeBuffer buf(512);
  auto pick = [&](std::size_t i) { return i < data.size() ? std::to_integer<std::size_t>(data[i]) : i; };
  Dot1Q tag;
  tag.vlan_id = static_cast<std::uint16_t>(pick(0));
  (void)list.insert(pick(1) % (list.size() + 1), tag);
  Mpls mpls;
  mpls.push({.label = static_cast<std::uint32_t>(pick(2)), .tc = 0, .bottom = true, .ttl = 1});
  (void)list.insert(pick(3) % (list.size() + 1), mpls);
  if (auto* m = list.layer<Mpls>()) {
    m->insert(pick(4) % (m->label_count() + 1), MplsEntry{});
    m->erase(pick(5) % m->label_count());
  }
  (void)list.insert(pick(6) % (list.size() + 1), Ipv6Fragment{});
  if (!list.empty()) (void)list.remove(pick(7) % list.size());
  if (pick(8) & 1) list.set_payload(data.subspan(data.size() / 2));
  list.serialize(buf, {.fix_lengths = true, .compute_checksums = true});
  const Packet again = Packet::decode(buf.bytes(), link);
  (void)again.layers();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  for (int dlt : {1, 113, 276, 0, 108, 12}) check(bytes, LinkType{dlt});
  return 0;
}
