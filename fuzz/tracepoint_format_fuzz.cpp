// Fuzz target: the connect tracer's parser of a tracefs "format" file and its decoder of a
// sample's raw bytes with the layout it parsed (kernel text and ring bytes; a kernel of another
// version may lay them out differently). Input: format text, a NUL byte, raw sample bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "process/linux/connect_trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* text = reinterpret_cast<const char*>(data);
  const void* nul = std::memchr(data, 0, size);
  std::size_t text_len = nul != nullptr ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nul) - data) : size;
  auto layout = pcapxx::detail::process::parse_tracepoint_format(std::string_view(text, text_len));
  if (!layout) return 0;
  std::size_t raw_at = text_len < size ? text_len + 1 : size;
  std::span<const std::byte> raw(reinterpret_cast<const std::byte*>(data + raw_at), size - raw_at);
  (void)pcapxx::detail::process::decode_state_change(raw, *layout);
  return 0;
}
