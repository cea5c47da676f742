// libFuzzer target: any bytes as one packet of each link type the decoder knows, through
// pxdump --json's writer (tools/pxdump/json_output.cpp). Beyond "never crash, never read out of
// bounds": every object must be one line of valid JSON (UTF-8 included); anything else aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "json_output.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static pxdump::JsonOutput json(false);
  static fmt::memory_buffer out;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  // DLT values: EN10MB, LINUX_SLL, LINUX_SLL2, NULL, LOOP, RAW, and one the decoder lacks.
  for (int dlt : {1, 113, 276, 0, 108, 12, 147}) {
    pcapxx::InterfaceDescription ifc;
    ifc.link_type = pcapxx::LinkType{dlt};
    ifc.name = "fuzz\x01\xff\"";
    pcapxx::PacketView p;
    p.data = bytes;
    p.header.caplen = static_cast<std::uint32_t>(size);
    p.header.origlen = p.header.caplen;
    p.header.ts = pcapxx::Timestamp{size % 2 ? -1'500'000'001 : 1'700'000'000'123'456'789};
    out.clear();
    json.append(out, p, std::span(&ifc, 1), 1);
    std::string_view text(out.data(), out.size());
    if (text.empty() || text.back() != '\n' || text.find('\n') != text.size() - 1) std::abort();
    if (!nlohmann::json::accept(text.substr(0, text.size() - 1))) std::abort();
  }
  return 0;
}
