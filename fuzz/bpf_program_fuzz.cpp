// libFuzzer target: any bytes as a classic BPF program (8 bytes per instruction, host order,
// as struct sock_filter) through the validator under both rule sets; a program that passes
// runs on packets cut from the input itself, with ancillary data taken from the input too.
// Nothing may crash, read out of bounds or hang (backward jumps are bounded).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <algorithm>

#include "pcapxx/bpf.hpp"

namespace {

volatile std::uint32_t g_sink;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  pcapxx::BpfProgram program;
  std::span<const std::uint8_t> rest;
  // Text that parses as a -ddd or -dd listing is that program, run on the text's own bytes
  // (the seeds are tcpdump listings); anything else is binary.
  auto listed = pcapxx::parse_program_listing(std::string_view(reinterpret_cast<const char*>(data), size));
  if (listed) {
    program = std::move(*listed);
    rest = std::span(data, size);
  } else {
    // First byte: how many instructions; the bytes after them are the packet.
    std::size_t count = std::min<std::size_t>(data[0] + 1u, (size - 1) / sizeof(pcapxx::BpfInsn));
    program.resize(count);
    if (count > 0) std::memcpy(program.data(), data + 1, count * sizeof(pcapxx::BpfInsn));
    rest = std::span(data + 1 + count * sizeof(pcapxx::BpfInsn), size - 1 - count * sizeof(pcapxx::BpfInsn));
  }
  std::uint32_t acc = 0;
  for (pcapxx::BpfRules rules : {pcapxx::BpfRules::kernel, pcapxx::BpfRules::libpcap}) {
    auto valid = pcapxx::validate_program(program, rules);
    if (!valid) {
      if (valid.error().message.empty()) __builtin_trap();
      continue;
    }
    // The listing must print and parse back to the same program.
    std::string listing = pcapxx::format_program(program, pcapxx::BpfListing::decimal);
    auto back = pcapxx::parse_program_listing(listing);
    if (!back || *back != program) __builtin_trap();
    acc ^= static_cast<std::uint32_t>(pcapxx::format_program(program, pcapxx::BpfListing::image).size());
    pcapxx::BpfContext ctx;
    if (rest.size() >= 4) {
      ctx.vlan_present = rest[0] & 1;
      ctx.vlan_tci = static_cast<std::uint16_t>(rest[1] << 4 | rest[2]);
      ctx.pkttype = rest[3] & 7;
      ctx.net_offset = rest[0] & 2 ? 14 : pcapxx::BpfContext::kNoOffset;
      ctx.userspace = (rest[0] & 4) != 0;
    }
    std::span<const std::byte> packet = std::as_bytes(rest);
    // The whole tail, a truncated capture of it, and an empty packet.
    acc ^= pcapxx::run_program(program, packet, static_cast<std::uint32_t>(packet.size()), ctx);
    acc ^= pcapxx::run_program(program, packet.first(packet.size() / 2), static_cast<std::uint32_t>(packet.size()), ctx);
    acc ^= pcapxx::run_program(program, {}, 0, ctx);
  }
  g_sink = acc;
  return 0;
}
