// libFuzzer target: bytes -> classic BPF program; a program validate_program accepts (libpcap
// rules, a superset of the kernel's) is JIT-compiled and run against the interpreter on
// packets cut from the input, with a BpfContext taken from the input too. Any difference in a
// verdict aborts with both verdicts and the listing on stderr.
//
// Input: byte 0 = instruction count - 1; then 8 bytes per instruction (struct sock_filter,
// host order); then 16 context bytes (net_offset, vlan, protocol...); the rest is the packet,
// also run cut to every length around the loads' edges.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "pcapxx/bpf.hpp"
#include "pcapxx/bpf_jit.hpp"

namespace {

std::uint32_t read32(std::span<const std::uint8_t> b, std::size_t o) {
  std::uint32_t v = 0;
  if (o + 4 <= b.size()) std::memcpy(&v, b.data() + o, 4);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t count = std::min<std::size_t>(data[0] + 1u, (size - 1) / sizeof(pcapxx::BpfInsn));
  pcapxx::BpfProgram program(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint8_t* p = data + 1 + i * 8;
    std::memcpy(&program[i].code, p, 2);
    program[i].jt = p[2];
    program[i].jf = p[3];
    std::memcpy(&program[i].k, p + 4, 4);
  }
  if (!pcapxx::validate_program(program, pcapxx::BpfRules::libpcap)) return 0;
  auto jit = pcapxx::BpfJitProgram::compile(program);
  if (!jit) {
    std::fprintf(stderr, "jit refused a valid program: %s\n", jit.error().what().c_str());
    std::abort();
  }
  std::span<const std::uint8_t> rest(data + 1 + count * 8, size - 1 - count * 8);
  pcapxx::BpfContext ctx;
  if (rest.size() >= 16) {
    std::uint32_t net = read32(rest, 0);
    ctx.net_offset = (net & 0x80000000u) ? pcapxx::BpfContext::kNoOffset : (net & 0x7fffffffu) % 128;
    if ((net & 0x40000000u) != 0) ctx.net_offset = 0xffffffffu - (net & 0xff);  // near 2^32
    ctx.userspace = (net & 0x100u) != 0;  // libpcap's userland meaning, or the kernel's
    ctx.vlan_tci = static_cast<std::uint16_t>(read32(rest, 4));
    ctx.vlan_present = (read32(rest, 4) >> 16) & 1;
    ctx.protocol = static_cast<std::uint16_t>(read32(rest, 8));
    ctx.mark = read32(rest, 12);
    ctx.ifindex = ctx.mark ^ 0x55;
    ctx.random = ctx.mark * 3;
    rest = rest.subspan(16);
  }
  auto packet = std::as_bytes(rest);
  // The packet cut to every length: loads at the last byte and one past it.
  for (std::size_t len = 0; len <= packet.size(); len += (len < 80 ? 1 : 97)) {
    auto cut = packet.first(len);
    auto wire = static_cast<std::uint32_t>(packet.size() + len);
    std::uint32_t want = pcapxx::run_program(program, cut, wire, ctx);
    std::uint32_t got = jit->run(cut, wire, ctx);
    if (want != got) {
      std::fprintf(stderr, "jit %u, interpreter %u on %zu bytes (net_offset %u, %s meaning)\n%s", got, want, len,
                   ctx.net_offset, ctx.userspace ? "userspace" : "kernel",
                   pcapxx::format_program(program, pcapxx::BpfListing::image).c_str());
      std::abort();
    }
  }
  return 0;
}
