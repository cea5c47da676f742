// Test support for the JIT tests: every packet of the shared captures (pcap and pcapng, read
// with SavefileReader) grouped by link type, and a comparison of JIT and interpreter verdicts
// that prints the program and the packet on a mismatch.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/run.hpp"
#include "pcapxx/bpf.hpp"
#include "pcapxx/bpf_jit.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::test {

struct JitPacket {
  std::vector<std::byte> data;
  std::uint32_t origlen = 0;
  std::string source;  ///< "ppp/Dns.pcap #3"
};

/// Every packet of every shared capture the reader reads, keyed by the DLT of its interface.
inline const std::map<int, std::vector<JitPacket>>& shared_packets_by_link() {
  static const std::map<int, std::vector<JitPacket>> packets = [] {
    std::map<int, std::vector<JitPacket>> out;
    for (const auto& file : shared_capture_files()) {
      auto reader = SavefileReader::open(file.string());
      if (!reader) continue;
      std::string name = capture_name(file);
      std::size_t n = 0;
      for (const PacketView& pkt : **reader) {
        ++n;
        auto ifs = (*reader)->interfaces();
        int link = pkt.header.interface < ifs.size() ? ifs[pkt.header.interface].link_type.dlt : -1;
        out[link].push_back(JitPacket{{pkt.data.begin(), pkt.data.end()}, pkt.header.origlen,
                                      fmt::format("{} #{}", name, n)});
      }
    }
    return out;
  }();
  return packets;
}

inline std::string hex(std::span<const std::byte> bytes, std::size_t max = 96) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i)
    out += fmt::format("{:02x}", std::to_integer<unsigned>(bytes[i]));
  if (bytes.size() > max) out += "...";
  return out;
}

/// Runs `program` on both engines; on a difference adds a failure naming everything needed to
/// reproduce it and returns false.
inline bool same_verdict(const BpfProgram& program, const BpfJitProgram& jit, std::span<const std::byte> packet,
                         std::uint32_t wire_len, const BpfContext& ctx, std::string_view where) {
  std::uint32_t want = run_program(program, packet, wire_len, ctx);
  std::uint32_t got = jit.run(packet, wire_len, ctx);
  if (want == got) return true;
  ADD_FAILURE() << where << ": jit " << got << ", interpreter " << want << "\npacket (" << packet.size()
                << " bytes, wire " << wire_len << ", net_offset " << ctx.net_offset << ", "
                << (ctx.userspace ? "userspace" : "kernel") << " meaning): " << hex(packet)
                << "\nprogram:\n"
                << format_program(program, BpfListing::image);
  return false;
}

/// `ctx` with the kernel's meaning of negative offsets and X + k (BpfContext::userspace off).
inline BpfContext kernel_meaning(BpfContext ctx = {}) {
  ctx.userspace = false;
  return ctx;
}

/// Runs `p` on both engines, checks that they agree with `ctx` and with `ctx` under the other
/// meaning (BpfContext::userspace flipped), and returns the JIT's verdict with `ctx`.
inline std::uint32_t both(const BpfProgram& p, std::span<const std::byte> packet, std::uint32_t wire_len,
                          const BpfContext& ctx = {}) {
  EXPECT_TRUE(validate_program(p, BpfRules::libpcap)) << format_program(p, BpfListing::image);
  auto jit = BpfJitProgram::compile(p);
  EXPECT_TRUE(jit) << jit.error().what();
  if (!jit) return 0xdeadbeef;
  std::uint32_t got = jit->run(packet, wire_len, ctx);
  EXPECT_EQ(got, run_program(p, packet, wire_len, ctx)) << format_program(p, BpfListing::image);
  BpfContext other = ctx;
  other.userspace = !ctx.userspace;
  EXPECT_EQ(jit->run(packet, wire_len, other), run_program(p, packet, wire_len, other))
      << (other.userspace ? "userspace" : "kernel") << " meaning\n" << format_program(p, BpfListing::image);
  return got;
}

}  // namespace pcapxx::test
