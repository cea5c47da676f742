// Fuzz target: the pcapng option bytes that carry a process attribution (a savefile is
// untrusted input). The first byte picks the byte order; the rest is read both as one
// attribution option value and as a packet's whole options area.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "pcapxx/process.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  bool swapped = (data[0] & 1) != 0;
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  if (auto p = pcapxx::decode_process_option(bytes, swapped)) {
    std::string text;
    pcapxx::format_process(text, *p);
    // The views stay inside the input.
    if (!p->comm.empty() && (p->comm.data() < reinterpret_cast<const char*>(bytes.data()) ||
                             p->comm.data() + p->comm.size() > reinterpret_cast<const char*>(bytes.data() + bytes.size())))
      __builtin_trap();
  }
  (void)pcapxx::find_process_option(pcapxx::RawOptions{bytes, swapped});
  return 0;
}
