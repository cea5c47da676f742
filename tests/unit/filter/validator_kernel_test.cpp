// The validator must accept exactly what the running kernel accepts for SO_ATTACH_FILTER.
#include <linux/filter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pcapxx/bpf.hpp"
#include "unit/filter/random_programs.hpp"

namespace pcapxx {
namespace {

// Our constants are the kernel's (<linux/filter.h>, <linux/bpf_common.h>).
static_assert(bpf::kLdx == BPF_LDX && bpf::kMisc == BPF_MISC && bpf::kRet == BPF_RET);
static_assert(bpf::kMsh == BPF_MSH && bpf::kLen == BPF_LEN && bpf::kMem == BPF_MEM && bpf::kInd == BPF_IND);
static_assert(bpf::kMod == BPF_MOD && bpf::kXor == BPF_XOR && bpf::kNeg == BPF_NEG && bpf::kJset == BPF_JSET);
static_assert(bpf::kTxa == BPF_TXA && bpf::kA == BPF_A && bpf::kX == BPF_X && bpf::kB == BPF_B);
static_assert(bpf::kAdOff == static_cast<std::uint32_t>(SKF_AD_OFF));
static_assert(bpf::kNetOff == static_cast<std::uint32_t>(SKF_NET_OFF));
static_assert(bpf::kLlOff == static_cast<std::uint32_t>(SKF_LL_OFF));
static_assert(bpf::kAdVlanTpid == SKF_AD_VLAN_TPID && bpf::kAdMax == SKF_AD_MAX);
static_assert(bpf::kAdPayOffset == SKF_AD_PAY_OFFSET && bpf::kAdRandom == SKF_AD_RANDOM);
static_assert(bpf::kMemWords == BPF_MEMWORDS && bpf::kMaxInsns == BPF_MAXINSNS);

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

// 0 when the kernel attached the program, else the errno.
int kernel_attach(int fd, const BpfProgram& p) {
  static_assert(sizeof(sock_filter) == sizeof(BpfInsn));
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(p.size());
  // A zero-length program still needs a valid pointer, or the kernel fails on the copy first.
  static BpfInsn dummy{};
  prog.filter = reinterpret_cast<sock_filter*>(const_cast<BpfInsn*>(p.empty() ? &dummy : p.data()));
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0) return 0;
  return errno;
}

std::string listing(const BpfProgram& p) {
  if (p.size() > 40) return fmt::format("({} instructions)\n", p.size());
  return format_program(p, BpfListing::image) + format_program(p, BpfListing::decimal);
}

TEST(ValidatorKernel, AcceptsExactlyWhatSoAttachFilterAccepts) {
  Socket sock;
  ASSERT_GE(sock.fd(), 0) << std::strerror(errno);
  test::ProgramGenerator gen(20240611);
  std::vector<BpfProgram> accepted_pool;
  int accepted = 0;
  int rejected = 0;
  int disagreements = 0;
  constexpr int kPrograms = 20000;
  for (int i = 0; i < kPrograms; ++i) {
    BpfProgram p = (!accepted_pool.empty() && gen.chance(50))
                       ? gen.mutate(accepted_pool[gen.below(static_cast<std::uint32_t>(accepted_pool.size()))])
                       : gen.random_program();
    // Only programs short enough that the 16-bit count cannot wrap.
    if (p.size() > 0xffff) continue;
    int err = kernel_attach(sock.fd(), p);
    ASSERT_TRUE(err == 0 || err == EINVAL) << "kernel said " << std::strerror(err) << " for\n" << listing(p);
    auto ours = validate_program(p);
    bool kernel_ok = err == 0;
    if (kernel_ok != ours.has_value()) {
      ++disagreements;
      if (disagreements <= 10)
        ADD_FAILURE() << "program " << i << ": kernel " << (kernel_ok ? "accepts" : "rejects") << ", we "
                      << (ours ? "accept" : "reject: " + ours.error().what()) << "\n" << listing(p);
    }
    if (kernel_ok) {
      ++accepted;
      if (accepted_pool.size() < 2000 && p.size() < 100) accepted_pool.push_back(p);
    } else {
      ++rejected;
    }
  }
  EXPECT_EQ(disagreements, 0);
  // The mix must exercise both sides.
  EXPECT_GT(accepted, kPrograms / 10);
  EXPECT_GT(rejected, kPrograms / 10);
  fmt::print("kernel agreement: {} programs, {} accepted, {} rejected\n", accepted + rejected, accepted, rejected);
}

TEST(ValidatorKernel, ErrorsNameTheInstructionAndTheRule) {
  using namespace bpf;
  BpfProgram p = {stmt(kLd | kH | kAbs, 12), jump(kJmp | kJeq | kK, 0x800, 0, 5), stmt(kRet | kK, 1)};
  auto r = validate_program(p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "bpf instruction 1 (code 0x15, jt 0, jf 5, k 0x800): jump to 2 or 7 is not inside the program (length 3)");
  BpfProgram q = {stmt(kLd | kMem, 3), stmt(kRet | kA, 0)};
  r = validate_program(q);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "bpf instruction 0 (code 0x60, jt 0, jf 0, k 0x3): M[3] may be read before anything is stored in it");
  BpfProgram d = {stmt(kAlu | kDiv | kK, 0), stmt(kRet | kA, 0)};
  r = validate_program(d);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("instruction 0"), std::string::npos);
  EXPECT_NE(r.error().what().find("division by the constant 0"), std::string::npos);
  BpfProgram last = {stmt(kLd | kImm, 1)};
  r = validate_program(last);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("not a return"), std::string::npos);
  EXPECT_FALSE(validate_program(BpfProgram{}));
}

}  // namespace
}  // namespace pcapxx
