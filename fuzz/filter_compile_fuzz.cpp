// libFuzzer target: any bytes as filter text through compile_filter for several link types,
// optimized and not. It must never crash, hang or leak; whatever compiles must pass the
// kernel validator and run on a few packets without reading out of bounds.
#include <dlfcn.h>
#include <netdb.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pcapxx/filter.hpp"

// Host names resolve through getaddrinfo, which asks DNS: seconds per random word. This
// harness answers numeric names only (the real resolver with AI_NUMERICHOST), so each input
// runs in microseconds and the same input always gives the same result.
extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  using Fn = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
  static const Fn real = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, "getaddrinfo"));
  addrinfo numeric{};
  if (hints != nullptr) numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  return real(node, service, &numeric, res);
}

namespace {

volatile std::uint32_t g_sink;

// The link types compile_filter supports, plus one it does not (its error path).
constexpr std::array<std::uint16_t, 12> kLinkTypes = {1, 113, 276, 12, 228, 229, 0, 108, 105, 127, 9, 50};

// A short Ethernet/IPv4/TCP frame and an 802.1Q-tagged one: programs run over real headers.
constexpr std::array<std::uint8_t, 58> kFrame = {
    0x00, 0x0c, 0x29, 0x36, 0x5a, 0xae, 0x00, 0x50, 0x56, 0xc0, 0x00, 0x08, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x2c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x06, 0x00, 0x00, 0x0a, 0x00,
    0x00, 0x01, 0x0a, 0x00, 0x00, 0x8a, 0x00, 0x50, 0x1f, 0x90, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04,
    0x05, 0xb4};

void check(const pcapxx::BpfProgram& program) {
  // Kernel-valid, except where required_rules says libpcap's rules (protochain, unknown ancillary offsets).
  if (!pcapxx::validate_program(program, pcapxx::required_rules(program)))
    __builtin_trap();  // the compiler emitted an invalid program
  std::span<const std::byte> frame = std::as_bytes(std::span(kFrame));
  std::uint32_t acc = 0;
  for (std::size_t cut : {frame.size(), std::size_t{34}, std::size_t{0}})
    acc ^= pcapxx::run_program(program, frame.first(cut), static_cast<std::uint32_t>(frame.size()));
  g_sink = acc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;  // longer texts only repeat what shorter ones reach
  // A first byte below 0x20 picks the options and the rest is the expression; otherwise the
  // whole input is the expression (so plain-text seeds work) with the default options.
  std::uint8_t pick = 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size > 0 && data[0] < 0x20) {
    pick = static_cast<std::uint8_t>((data[0] & 0x0f) | (data[0] & 0x10 ? 0x80 : 0) | (data[0] & 0x01 ? 0x40 : 0));
    text.remove_prefix(1);
  }
  const bool optimize = (pick & 0x80) == 0;
  const std::uint32_t netmask = (pick & 0x40) ? 0xffffffffu : 0xffffff00u;
  for (std::size_t i = 0; i < kLinkTypes.size(); ++i) {
    // Every link type when the low bits are zero, else one of them: keeps runs fast.
    if ((pick & 0x0f) != 0 && (pick & 0x0f) % kLinkTypes.size() != i) continue;
    auto program = pcapxx::compile_filter(text, pcapxx::LinkType{kLinkTypes[i]}, 262144, netmask, optimize);
    if (program) {
      check(*program);
    } else {
      g_sink = static_cast<std::uint32_t>(program.error().message.size());
      if (program.error().message.empty()) __builtin_trap();  // every error says what went wrong
    }
  }
  return 0;
}
