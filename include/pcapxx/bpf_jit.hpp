// pcapxx: a just-in-time compiler from classic BPF to x86-64 machine code, for filtering
// savefiles and the userspace side of live capture.
//
//   auto runner = pcapxx::BpfRunner::create(program);          // JIT where it can run
//   std::uint32_t keep = runner->run(pkt.data, pkt.header.origlen);
//   if (runner->engine() == pcapxx::BpfEngine::interpreter) log(runner->interpreter_reason());
//
// The generated code has run_program's semantics exactly (bpf.hpp): out-of-bounds loads,
// division by X == 0 and unknown ancillary offsets return 0; shifts by X >= 32 give 0; with
// the default context (BpfContext::userspace, libpcap's userland meaning) every load at a
// negative offset returns 0 and X + k does not wrap; with userspace off, SKF_NET_OFF/SKF_LL_OFF
// loads and ancillary loads read the BpfContext and X + k wraps in 32 bits, as in the kernel;
// backward jumps of libpcap-rules programs are bounded by kBpfMaxBackwardJumps. A and X live in registers,
// scratch memory on the stack; per packet there is no call into C++ (SKF_AD_NLATTR and
// SKF_AD_NLATTR_NEST, netlink-only, call the interpreter's code for that one load).
//
// The code mapping is never writable and executable at once: written while PROT_READ|WRITE,
// then switched to PROT_READ|EXEC with mprotect. Where that is refused (seccomp, SELinux
// execmem, systemd's MemoryDenyWriteExecute) or the machine is not x86-64, BpfRunner runs the
// interpreter and says why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "pcapxx/bpf.hpp"
#include "pcapxx/error.hpp"

namespace pcapxx {

/// Whether JIT-compiled programs can run here: an x86-64 build, and the kernel lets this
/// process map a page and turn it executable (probed on every call; two system calls).
[[nodiscard]] bool jit_available() noexcept;

/// A classic BPF program compiled to x86-64 machine code; owns the executable mapping.
class BpfJitProgram {
 public:
  /// Validates `program` (BpfRules::libpcap, which every kernel-valid program passes) and
  /// compiles it. Fails with Errc::unsupported off x86-64; with sys_errno set (Errc::permission
  /// for EPERM/EACCES) when the kernel refuses the mapping; Errc::invalid_argument when the
  /// program is not valid.
  static Result<BpfJitProgram> compile(std::span<const BpfInsn> program);

  BpfJitProgram(BpfJitProgram&& other) noexcept;
  BpfJitProgram& operator=(BpfJitProgram&& other) noexcept;
  BpfJitProgram(const BpfJitProgram&) = delete;
  BpfJitProgram& operator=(const BpfJitProgram&) = delete;
  ~BpfJitProgram();

  /// The verdict for one packet, as run_program(program, packet, wire_len, context) gives it.
  [[nodiscard]] std::uint32_t run(std::span<const std::byte> packet, std::uint32_t wire_len,
                                  const BpfContext& context) const noexcept {
    return entry_(packet.data(), packet.size(), wire_len, &context);
  }
  /// The same with no ancillary data: a shared default context, not one built per packet.
  [[nodiscard]] std::uint32_t run(std::span<const std::byte> packet, std::uint32_t wire_len) const noexcept {
    return entry_(packet.data(), packet.size(), wire_len, &kNoContext);
  }
  static constexpr BpfContext kNoContext{};

  /// The generated machine code (inside the read-only executable mapping).
  [[nodiscard]] std::span<const std::byte> code() const noexcept { return code_; }

 private:
  using Entry = std::uint32_t (*)(const std::byte* data, std::size_t caplen, std::uint32_t wire_len,
                                  const BpfContext* context);
  BpfJitProgram(void* mapping, std::size_t mapping_size, std::span<const std::byte> code, Entry entry) noexcept
      : mapping_(mapping), mapping_size_(mapping_size), code_(code), entry_(entry) {}
  void release() noexcept;

  void* mapping_ = nullptr;
  std::size_t mapping_size_ = 0;
  std::span<const std::byte> code_;
  Entry entry_ = nullptr;
};

/// Which engine runs a BpfRunner's program.
enum class BpfEngine : std::uint8_t { jit, interpreter };

/// Which engine a BpfRunner should use.
enum class BpfEngineChoice : std::uint8_t {
  automatic,    ///< the JIT where it can run, else the interpreter
  interpreter,  ///< always the interpreter
};

/// A validated program with the fastest engine that can run it here; reports which one runs.
class BpfRunner {
 public:
  /// Validates `program` with `rules`, then JIT-compiles it unless `choice` says otherwise or
  /// the JIT cannot run here (the reason is kept, see interpreter_reason()).
  static Result<BpfRunner> create(BpfProgram program, BpfRules rules = BpfRules::kernel,
                                  BpfEngineChoice choice = BpfEngineChoice::automatic);

  /// The verdict for one packet (0 = drop, else bytes to keep), identical on both engines.
  [[nodiscard]] std::uint32_t run(std::span<const std::byte> packet, std::uint32_t wire_len,
                                  const BpfContext& context = BpfJitProgram::kNoContext) const noexcept {
    return jit_ ? jit_->run(packet, wire_len, context) : run_program(program_, packet, wire_len, context);
  }

  /// The engine that runs the program.
  [[nodiscard]] BpfEngine engine() const noexcept { return jit_ ? BpfEngine::jit : BpfEngine::interpreter; }
  /// Why the interpreter runs instead of the JIT ("" when the JIT runs).
  [[nodiscard]] const std::string& interpreter_reason() const noexcept { return reason_; }
  /// The program.
  [[nodiscard]] const BpfProgram& program() const noexcept { return program_; }

 private:
  BpfRunner(BpfProgram program, std::optional<BpfJitProgram> jit, std::string reason)
      : program_(std::move(program)), jit_(std::move(jit)), reason_(std::move(reason)) {}
  BpfProgram program_;
  std::optional<BpfJitProgram> jit_;
  std::string reason_;
};

/// The name of an engine: "jit" or "interpreter".
[[nodiscard]] std::string_view engine_name(BpfEngine engine) noexcept;

}  // namespace pcapxx
