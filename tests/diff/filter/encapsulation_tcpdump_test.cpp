// The primitives that shift offsets or read Linux metadata (vlan, mpls, pppoe, the 802.2 LLC
// family, inbound/outbound, ifindex), the savefile target, and generated host/net/port
// disjunctions (compiled as search trees), each against libpcap on the shared captures.
#include <algorithm>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "diff/filter/merged_captures.hpp"
#include "pcapxx/filter.hpp"

namespace pcapxx {
namespace {

const test::MergedCapture* merged_of(std::uint32_t linktype) {
  for (const auto& m : test::merged_captures())
    if (m.linktype == linktype) return &m;
  return nullptr;
}

// Verdict differences of two programs on every packet of `m`, printed with both programs.
std::string differences(const BpfProgram& ours, const BpfProgram& theirs, const test::MergedCapture& m) {
  std::string out;
  int shown = 0, total = 0;
  for (const auto& p : m.packets) {
    bool a = run_program(ours, p.data, p.origlen) != 0;
    bool b = run_program(theirs, p.data, p.origlen) != 0;
    if (a == b) continue;
    ++total;
    if (shown++ < 5) out += fmt::format("  {} ({} bytes): ours {}, libpcap {}\n", p.source, p.data.size(), a, b);
  }
  if (total == 0) return {};
  return fmt::format("{} packets differ\n{}ours:\n{}libpcap:\n{}", total, out, format_program(ours, BpfListing::image),
                     format_program(theirs, BpfListing::image));
}

// The captures hold frames of each encapsulation, so the differential tests exercise them:
// libpcap keeps some packets for each filter, and we keep the same ones.
TEST(EncapsulationVsLibpcap, CapturesExerciseEachEncapsulationAndVerdictsAgree) {
  const test::MergedCapture* ether = merged_of(1);
  ASSERT_NE(ether, nullptr);
  constexpr std::string_view kFilters[] = {
      "vlan", "vlan and vlan", "vlan and ip", "mpls", "mpls and ip", "pppoes", "pppoed", "pppoes and ip",
      "stp", "llc", "llc u", "llc i", "ipx", "iso", "isis", "decnet", "ether proto 0x42",
  };
  for (std::string_view expr : kFilters) {
    auto theirs = test::tcpdump_program(expr, "EN10MB");
    ASSERT_TRUE(theirs) << expr << ": " << theirs.error();
    auto ours = compile_filter(expr, LinkType{1}, 262144, 0, true);
    ASSERT_TRUE(ours) << expr << ": " << ours.error().what();
    auto kept = test::kept_by(*theirs, *ether);
    EXPECT_FALSE(kept.empty()) << "'" << expr << "': no packet of the captures has this encapsulation";
    EXPECT_EQ(differences(*ours, *theirs, *ether), "") << expr;
    fmt::print("'{}': libpcap and we keep {} of {} Ethernet packets\n", expr, kept.size(), ether->packets.size());
  }
}

// Reading a savefile, libpcap cannot use Linux metadata: inbound/outbound and ifindex need a
// header field (the cooked headers have them) and fail otherwise, with libpcap's diagnosis.
TEST(EncapsulationVsLibpcap, SavefileTargetMatchesTcpdumpReadingTheFile) {
  constexpr std::string_view kFilters[] = {"inbound", "outbound", "ifindex 2", "ip and not inbound",
                                           "vlan and ip", "tcp or outbound", "ether src 00:0c:29:36:5a:ae",
                                           "ether multicast", "mpls and arp"};
  constexpr std::uint32_t kTypes[] = {1, 113, 276, 101, 0, 108, 228, 229};
  int compared = 0, rejected = 0;
  for (std::uint32_t lt : kTypes) {
    const test::MergedCapture* m = merged_of(lt);
    if (m == nullptr) continue;
    LinkType link = link_type_from_file(lt);
    for (std::string_view expr : kFilters) {
      auto theirs = test::tcpdump_program_for_file(expr, m->path);
      FilterOptions options;
      options.target = FilterTarget::savefile;
      auto ours = compile_filter(expr, link, options);
      std::string where = fmt::format("'{}' reading {}", expr, m->tcpdump_name);
      if (!theirs) {
        ASSERT_FALSE(ours) << where << ": libpcap rejects it (" << theirs.error() << ") but we compile";
        // tcpdump's last line is "tcpdump: MESSAGE"; our message carries the same diagnosis.
        std::string diagnosis = theirs.error();
        while (!diagnosis.empty() && diagnosis.back() == '\n') diagnosis.pop_back();
        diagnosis = diagnosis.substr(diagnosis.rfind("tcpdump: ") + 9);
        EXPECT_NE(ours.error().what().find(diagnosis), std::string::npos)
            << where << ": ours '" << ours.error().what() << "', libpcap '" << diagnosis << "'";
        ++rejected;
        continue;
      }
      ASSERT_TRUE(ours) << where << ": libpcap compiles it but we fail: " << ours.error().what();
      EXPECT_EQ(differences(*ours, *theirs, *m), "") << where;
      ++compared;
    }
  }
  fmt::print("savefile target: {} filters compared on packets, {} rejected by both\n", compared, rejected);
  EXPECT_GE(compared, 8);
  EXPECT_GE(rejected, 8);
}

// Disjunctions of host, net, port and portrange terms become search trees; generated ones
// (fixed seed, values taken partly from the captures so some match) keep exactly the packets
// libpcap's programs keep.
TEST(DisjunctionVsLibpcap, GeneratedDisjunctionsKeepTheSamePackets) {
  std::mt19937 rng(20261124);
  constexpr std::string_view kAddrs[] = {"10.0.0.1", "10.0.0.138", "10.0.0.6", "212.199.202.9", "54.192.94.30",
                                         "82.102.137.164", "10.118.213.211", "192.168.1.1", "172.16.0.1", "8.8.8.8"};
  constexpr std::string_view kNets[] = {"10.0.0.0/24", "212.199.202.0/24", "10.118.0.0/16", "192.168.0.0/16",
                                        "172.16.0.0/12", "54.192.0.0/16"};
  constexpr std::uint32_t kPorts[] = {80, 443, 53, 20, 21, 22, 2049, 789, 8080, 123, 5353, 67, 68, 1900};
  auto pick = [&](auto& table) { return table[rng() % std::size(table)]; };
  auto term = [&](int family) -> std::string {
    switch (family) {
      case 0: return fmt::format("host {}", rng() % 3 ? std::string(pick(kAddrs)) :
                                 fmt::format("10.{}.{}.{}", rng() % 4, rng() % 256, rng() % 256));
      case 1: return fmt::format("net {}", pick(kNets));
      case 2: return fmt::format("port {}", rng() % 3 ? pick(kPorts) : 1024 + rng() % 60000);
      default: {
        std::uint32_t lo = rng() % 3 ? pick(kPorts) : rng() % 65536;
        return fmt::format("portrange {}-{}", lo, std::min<std::uint32_t>(65535, lo + rng() % 200));
      }
    }
  };
  constexpr std::string_view kPrefix[][4] = {{"", "ip ", "arp ", "src "}, {"", "ip ", "dst ", "src or dst "},
                                             {"", "tcp ", "udp ", "src "}, {"", "udp ", "dst ", "tcp src "}};
  struct Target {
    std::string_view name;
    int dlt;
    std::uint32_t file;
  };
  constexpr Target kTargets[] = {{"EN10MB", 1, 1}, {"LINUX_SLL", 113, 113}};
  int compared = 0, matching = 0;
  for (int round = 0; round < 24; ++round) {
    int family = round % 4;
    std::size_t size = round < 8 ? 2 + rng() % 4 : round < 20 ? 8 + rng() % 24 : 40 + rng() % 30;
    std::string prefix(kPrefix[family][rng() % 4]);
    std::string expr;
    for (std::size_t i = 0; i < size; ++i) {
      if (i) expr += " or ";
      // Mostly one qualifier for the whole run (merged), now and then a different one.
      expr += (rng() % 8 ? prefix : std::string(kPrefix[family][rng() % 4])) + term(family);
    }
    for (const Target& t : kTargets) {
      const test::MergedCapture* m = merged_of(t.file);
      ASSERT_NE(m, nullptr);
      auto theirs = test::tcpdump_program(expr, t.name);
      auto ours = compile_filter(expr, LinkType{t.dlt}, 262144, 0, true);
      if (!theirs) {
        EXPECT_FALSE(ours) << expr << " on " << t.name << ": libpcap rejects it: " << theirs.error();
        continue;
      }
      ASSERT_TRUE(ours) << expr << " on " << t.name << ": " << ours.error().what();
      EXPECT_EQ(differences(*ours, *theirs, *m), "") << expr << " on " << t.name;
      ++compared;
      matching += !test::kept_by(*theirs, *m).empty();
    }
  }
  fmt::print("{} generated disjunctions compared, {} keep some packets\n", compared, matching);
  EXPECT_GT(compared, 40);
  EXPECT_GT(matching, 20);
}

}  // namespace
}  // namespace pcapxx
