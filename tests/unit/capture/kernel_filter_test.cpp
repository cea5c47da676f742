// plan_kernel_filter: a cooked program translated for the kernel must give, on the packet the
// kernel's filter sees (from the network header on, header fields as SKF_AD_* values), the
// verdict the program gives on the LINUX_SLL / LINUX_SLL2 frame. Checked on every packet of
// the shared SLL and SLL2 captures with the interpreter (the kernel's semantics, bpf.hpp);
// the live tests check the kernel itself.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/byte_order.hpp"
#include "pcapxx/bpf.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/filter.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx {
namespace {

struct Frame {
  std::vector<std::byte> bytes;
  std::uint32_t len = 0;
};

std::vector<Frame> read_frames(const std::string& path) {
  std::vector<Frame> out;
  auto reader = SavefileReader::open(path);
  EXPECT_TRUE(reader) << (reader ? "" : reader.error().what());
  if (!reader) return out;
  for (;;) {
    auto batch = (*reader)->next_batch();
    if (!batch || batch->status != BatchStatus::packets) break;
    for (const auto& p : batch->packets) out.push_back({{p.data.begin(), p.data.end()}, p.header.origlen});
  }
  return out;
}

// What the kernel's filter sees of a cooked frame: the bytes after the header, and the header
// fields as ancillary values.
std::uint32_t run_as_kernel(const BpfProgram& kernel, const Frame& f, LinkType link) {
  const bool sll2 = link == dlt::kLinuxSll2;
  const std::size_t header = sll2 ? 20 : 16;
  BpfContext ctx;
  ctx.userspace = false;  // the kernel's meaning of SKF_AD_* loads
  const std::byte* h = f.bytes.data();
  if (sll2) {
    ctx.protocol = detail::load_be16(h);
    ctx.ifindex = detail::load_be32(h + 4);
    ctx.hatype = detail::load_be16(h + 8);
    ctx.pkttype = std::to_integer<std::uint32_t>(h[10]);
  } else {
    ctx.pkttype = detail::load_be16(h);
    ctx.hatype = detail::load_be16(h + 2);
    ctx.protocol = detail::load_be16(h + 14);
  }
  std::span<const std::byte> seen(f.bytes.data() + header, f.bytes.size() - header);
  return run_program(kernel, seen, f.len - static_cast<std::uint32_t>(header), ctx);
}

struct Case {
  const char* expr;
  FilterPlacement placement;
};

void check_files(std::initializer_list<const char*> files, LinkType link, std::span<const Case> cases) {
  std::vector<Frame> frames;
  std::string file = "ppp/{";
  for (const char* name : files) {
    auto more = read_frames(std::string(PCAPXX_SHARED_CAPTURES) + "/ppp/" + name);
    ASSERT_FALSE(more.empty()) << name;
    frames.insert(frames.end(), more.begin(), more.end());
    file += fmt::format("{}{}", file.size() > 5 ? "," : "", name);
  }
  file += "}";
  for (const Case& c : cases) {
    FilterOptions fo;
    fo.target = FilterTarget::linux_live;
    auto program = compile_filter(c.expr, link, fo);
    ASSERT_TRUE(program) << c.expr << ": " << program.error().what();
    KernelFilterPlan plan = plan_kernel_filter(*program, link, 262144);
    ASSERT_EQ(plan.placement, c.placement) << c.expr << ": " << plan.reason << "\n"
                                           << format_program(*program, BpfListing::image);
    ASSERT_TRUE(validate_program(plan.kernel)) << c.expr;
    if (plan.placement == FilterPlacement::userspace) {
      EXPECT_FALSE(plan.reason.empty()) << c.expr;
      EXPECT_EQ(plan.kernel.size(), 1u) << c.expr;  // accept everything
      continue;
    }
    EXPECT_TRUE(plan.reason.empty()) << c.expr << ": " << plan.reason;
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const Frame& f = frames[i];
      if (f.bytes.size() < (link == dlt::kLinuxSll2 ? 20u : 16u)) continue;
      std::uint32_t want = run_program(*program, f.bytes, f.len);
      std::uint32_t got = run_as_kernel(plan.kernel, f, link);
      EXPECT_EQ(want != 0, got != 0) << file << " packet " << i + 1 << ", filter '" << c.expr << "': on the frame "
                                     << want << ", translated for the kernel " << got << "\noriginal:\n"
                                     << format_program(*program, BpfListing::image) << "kernel:\n"
                                     << format_program(plan.kernel, BpfListing::image);
      accepted += want != 0;
    }
    // Each translatable filter here accepts some packets and rejects others, so a wrong
    // translation shows.
    if (std::string_view(c.expr).find("link[") == std::string_view::npos) {
      EXPECT_GT(accepted, 0u) << file << ": '" << c.expr << "' accepts nothing";
      EXPECT_LT(accepted, frames.size()) << file << ": '" << c.expr << "' accepts everything";
    }
  }
}

TEST(KernelFilterPlan, SllProgramsGiveTheSameVerdictsTranslated) {
  static constexpr Case kCases[] = {
      {"udp port 53", FilterPlacement::kernel_translated},
      {"tcp", FilterPlacement::kernel_translated},
      {"ip and not tcp", FilterPlacement::kernel_translated},
      {"ip6", FilterPlacement::kernel_translated},
      {"arp", FilterPlacement::kernel_translated},
      {"inbound", FilterPlacement::kernel_translated},
      {"outbound", FilterPlacement::kernel_translated},
      {"ether proto 0x0800", FilterPlacement::kernel_translated},
      {"tcp[tcpflags] & tcp-syn != 0", FilterPlacement::kernel_translated},
      {"ip[8] < 64", FilterPlacement::kernel_translated},
      {"link[0:2] = 0", FilterPlacement::kernel_translated},       // packet type, 2 bytes
      {"link[1] = 4", FilterPlacement::kernel_translated},         // its low byte
      {"link[2:2] = 1", FilterPlacement::kernel_translated},       // ARPHRD type
      {"greater 100", FilterPlacement::userspace},                 // the kernel's length has no header
      {"link[6:4] = 0", FilterPlacement::userspace},               // link-layer address
      {"link[14] = 8", FilterPlacement::userspace},                // half of the protocol
      {"link[0] = 0", FilterPlacement::userspace},                 // high byte of the packet type
  };
  check_files({"sll.pcap", "SllPacket.pcap"}, dlt::kLinuxSll, kCases);
}

TEST(KernelFilterPlan, Sll2ProgramsGiveTheSameVerdictsTranslated) {
  static constexpr Case kCases[] = {
      {"ip", FilterPlacement::kernel_translated},
      {"tcp[tcpflags] & tcp-fin != 0", FilterPlacement::kernel_translated},
      {"inbound", FilterPlacement::kernel_translated},
      {"outbound", FilterPlacement::kernel_translated},
      {"ifindex 20", FilterPlacement::kernel_translated},
      {"not ip", FilterPlacement::kernel_translated},
      {"link[8:2] = 1", FilterPlacement::kernel_translated},
      {"link[11] = 6", FilterPlacement::userspace},  // address length
      {"link[1] = 0", FilterPlacement::userspace},   // half of the protocol
  };
  check_files({"sll2.pcap", "Sll2Packet.pcap", "Sll2PacketLLC.pcap"}, dlt::kLinuxSll2, kCases);
}

TEST(KernelFilterPlan, TranslationMovesOffsetsAndMapsHeaderFields) {
  using namespace bpf;
  const BpfProgram program = {
      stmt(kLd | kH | kAbs, 0),            // packet type
      stmt(kLd | kH | kAbs, 2),            // ARPHRD
      stmt(kLd | kH | kAbs, 14),           // protocol
      stmt(kLd | kB | kAbs, 25),           // IPv4 protocol
      stmt(kLdx | kB | kMsh, 16),          // IPv4 header length
      stmt(kLd | kH | kInd, 18),           // destination port
      stmt(kLd | kW | kAbs, kAdOff + kAdIfIndex),  // already ancillary: unchanged
      stmt(kRet | kK, 96),
  };
  auto plan = plan_kernel_filter(program, dlt::kLinuxSll, 96);
  ASSERT_EQ(plan.placement, FilterPlacement::kernel_translated);
  const BpfProgram want = {
      stmt(kLd | kH | kAbs, kAdOff + kAdPktType), stmt(kLd | kH | kAbs, kAdOff + kAdHaType),
      stmt(kLd | kH | kAbs, kAdOff + kAdProtocol), stmt(kLd | kB | kAbs, 9),
      stmt(kLdx | kB | kMsh, 0), stmt(kLd | kH | kInd, 2),
      stmt(kLd | kW | kAbs, kAdOff + kAdIfIndex), stmt(kRet | kK, 96),
  };
  EXPECT_EQ(plan.kernel, want) << format_program(plan.kernel, BpfListing::image);

  // [x + 4] may be anywhere: not translatable.
  const BpfProgram indirect = {stmt(kLdx | kImm, 20), stmt(kLd | kB | kInd, 4), stmt(kRet | kA, 0)};
  EXPECT_EQ(plan_kernel_filter(indirect, dlt::kLinuxSll, 96).placement, FilterPlacement::userspace);
  // Other link types go to the kernel as they are.
  EXPECT_EQ(plan_kernel_filter(indirect, dlt::kRaw, 96).kernel, indirect);
}

TEST(KernelFilterPlan, VlanTestsGetAKernelPrologueForStrippedTags) {
  for (const char* expr : {"vlan", "vlan 5 and udp port 9", "vlan and vlan 7", "not vlan"}) {
    FilterOptions fo;
    fo.target = FilterTarget::linux_live;
    auto program = compile_filter(expr, dlt::kEn10Mb, fo);
    ASSERT_TRUE(program) << expr;
    auto plan = plan_kernel_filter(*program, dlt::kEn10Mb, 262144);
    EXPECT_EQ(plan.placement, FilterPlacement::kernel_and_userspace) << expr;
    ASSERT_EQ(plan.kernel.size(), program->size() + 3) << expr;
    ASSERT_TRUE(validate_program(plan.kernel)) << expr;
    // With a stripped tag the kernel passes the packet up; without one it runs the program.
    BpfContext untagged;
    untagged.userspace = false;  // the kernel's meaning of SKF_AD_* loads
    BpfContext tagged = untagged;
    tagged.vlan_present = true;
    std::vector<std::byte> frame(60);
    EXPECT_EQ(run_program(plan.kernel, frame, 60, tagged), 262144u) << expr;
    EXPECT_EQ(run_program(plan.kernel, frame, 60, untagged), run_program(*program, frame, 60)) << expr;
  }
  // Comparisons with 0x8100 that are not of the link-type field are not VLAN tests.
  for (const char* expr : {"udp port 33024", "ip", "ether proto 0x0800", "inbound"}) {
    FilterOptions fo;
    fo.target = FilterTarget::linux_live;
    auto program = compile_filter(expr, dlt::kEn10Mb, fo);
    ASSERT_TRUE(program) << expr;
    auto plan = plan_kernel_filter(*program, dlt::kEn10Mb, 262144);
    EXPECT_EQ(plan.placement, FilterPlacement::kernel) << expr;
    EXPECT_EQ(plan.kernel, *program) << expr;
  }
}

}  // namespace
}  // namespace pcapxx
