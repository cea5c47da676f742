// Undecoded bytes.
#include "pcapxx/layers/payload.hpp"

#include "layers/wire.hpp"

namespace pcapxx::layers {

using namespace detail;

DecodeStatus Payload::decode(std::span<const std::byte> data, const DecodeContext&) noexcept {
  contents = data;
  payload = {};
  return {};
}

void Payload::serialize(SerializeBuffer& buf, const SerializeOptions&, const SerializeContext&) const {
  copy_out(buf.prepend(contents.size()).data(), contents);
}

}  // namespace pcapxx::layers
