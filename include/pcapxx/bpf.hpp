// pcapxx: classic BPF programs (the instruction set of Linux's SO_ATTACH_FILTER and libpcap).
#pragma once

#include <cstdint>
#include <vector>

namespace pcapxx {

/// One classic BPF instruction, laid out as struct sock_filter / struct bpf_insn.
struct BpfInsn {
  std::uint16_t code = 0;
  std::uint8_t jt = 0;
  std::uint8_t jf = 0;
  std::uint32_t k = 0;
  friend constexpr bool operator==(const BpfInsn&, const BpfInsn&) = default;
};
static_assert(sizeof(BpfInsn) == 8);

/// A classic BPF program.
using BpfProgram = std::vector<BpfInsn>;

}  // namespace pcapxx
