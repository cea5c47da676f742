// The x86-64 code generator behind BpfJitProgram (bpf_jit.hpp): bytes only, no mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "pcapxx/bpf.hpp"

namespace pcapxx::detail {

/// Where the generated function starts in the image: the bytes before it are int3 padding, so
/// clang's -fsanitize=function, which reads a signature just before a callee, reads mapped
/// bytes that carry no signature.
inline constexpr std::size_t kJitEntryOffset = 16;

/// Machine code for `program` (validated with BpfRules::libpcap or kernel), as the System V
/// function uint32_t(const std::byte* data, size_t caplen, uint32_t wire_len,
/// const BpfContext* context), starting at kJitEntryOffset.
std::vector<std::uint8_t> generate_x86_64(std::span<const BpfInsn> program);

}  // namespace pcapxx::detail
