// libFuzzer target: any bytes as one packet of each link type the decoder knows; a packet that
// decodes without an error layer, serialized unchanged, must give back exactly its bytes (and
// so must one that ends in an error layer: the failed bytes are kept).
// A difference aborts and prints both.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "pcapxx/decode.hpp"

namespace {

using namespace pcapxx;
using namespace pcapxx::layers;

void dump(const char* what, std::span<const std::byte> b) {
  std::fprintf(stderr, "%s (%zu bytes):", what, b.size());
  for (std::byte x : b) std::fprintf(stderr, " %02x", std::to_integer<unsigned>(x));
  std::fprintf(stderr, "\n");
}

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
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  for (int dlt : {1, 113, 276, 0, 108, 12}) check(bytes, LinkType{dlt});
  return 0;
}
