// BpfJitProgram and BpfRunner (bpf_jit.hpp): the W^X code mapping and the choice of engine.
// The code generator is jit_x86_64.cpp.
#include "pcapxx/bpf_jit.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "filter/jit_x86_64.hpp"

namespace pcapxx {
namespace {

constexpr bool kX86_64 =
#if defined(__x86_64__)
    true;
#else
    false;
#endif

std::size_t page_size() noexcept {
  long p = ::sysconf(_SC_PAGESIZE);
  return p > 0 ? static_cast<std::size_t>(p) : 4096;
}

// Maps `code` read+write, copies it, then makes it read+execute: never both at once.
Result<void*> map_executable(std::span<const std::uint8_t> code, std::size_t& mapped) {
  std::size_t page = page_size();
  mapped = (code.size() + page - 1) / page * page;
  void* m = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return fail_errno(errno, fmt::format("bpf jit: mmap of {} bytes for code", mapped));
  std::memset(m, 0xcc, mapped);  // int3 after the code
  std::memcpy(m, code.data(), code.size());
  if (::mprotect(m, mapped, PROT_READ | PROT_EXEC) != 0) {
    int err = errno;
    ::munmap(m, mapped);
    return fail_errno(err, "bpf jit: mprotect of the code to read+execute");
  }
  return m;
}

}  // namespace

bool jit_available() noexcept {
  if (!kX86_64) return false;
  const std::uint8_t ret[] = {0xc3};
  std::size_t mapped = 0;
  auto m = map_executable(ret, mapped);
  if (!m) return false;
  ::munmap(*m, mapped);
  return true;
}

Result<BpfJitProgram> BpfJitProgram::compile(std::span<const BpfInsn> program) {
  if (auto valid = validate_program(program, BpfRules::libpcap); !valid) return std::unexpected(valid.error());
  if (!kX86_64) return fail(Errc::unsupported, "bpf jit: this build is not for x86-64");
  std::vector<std::uint8_t> code = detail::generate_x86_64(program);
  if (code.size() <= detail::kJitEntryOffset)
    return fail(Errc::unsupported, "bpf jit: the code generator did not settle on jump sizes");
  std::size_t mapped = 0;
  auto m = map_executable(code, mapped);
  if (!m) return std::unexpected(m.error());
  auto* bytes = static_cast<const std::byte*>(*m);
  auto entry = std::bit_cast<Entry>(static_cast<const void*>(bytes + detail::kJitEntryOffset));
  return BpfJitProgram(*m, mapped, std::span(bytes, code.size()), entry);
}

BpfJitProgram::BpfJitProgram(BpfJitProgram&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_size_(std::exchange(other.mapping_size_, 0)),
      code_(std::exchange(other.code_, {})),
      entry_(std::exchange(other.entry_, nullptr)) {}

BpfJitProgram& BpfJitProgram::operator=(BpfJitProgram&& other) noexcept {
  if (this != &other) {
    release();
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_size_ = std::exchange(other.mapping_size_, 0);
    code_ = std::exchange(other.code_, {});
    entry_ = std::exchange(other.entry_, nullptr);
  }
  return *this;
}

BpfJitProgram::~BpfJitProgram() { release(); }

void BpfJitProgram::release() noexcept {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_size_);
  mapping_ = nullptr;
  mapping_size_ = 0;
}

Result<BpfRunner> BpfRunner::create(BpfProgram program, BpfRules rules, BpfEngineChoice choice) {
  if (auto valid = validate_program(program, rules); !valid) return std::unexpected(valid.error());
  if (choice == BpfEngineChoice::interpreter)
    return BpfRunner(std::move(program), std::nullopt, "the interpreter was asked for");
  auto jit = BpfJitProgram::compile(program);
  if (!jit) return BpfRunner(std::move(program), std::nullopt, jit.error().what());
  return BpfRunner(std::move(program), std::move(*jit), "");
}

std::string_view engine_name(BpfEngine engine) noexcept {
  return engine == BpfEngine::jit ? "jit" : "interpreter";
}

}  // namespace pcapxx
