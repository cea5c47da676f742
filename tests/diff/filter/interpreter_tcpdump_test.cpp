// libpcap's own programs (tcpdump -r f -ddd expr) run on our interpreter must keep exactly the packets
// tcpdump keeps when it filters the same file itself (tcpdump -r f -w - expr).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "diff/filter/merged_captures.hpp"

namespace pcapxx {
namespace {

// Packet indices (= timestamp seconds) of a pcap file tcpdump wrote.
std::vector<std::uint32_t> indices_in(const std::filesystem::path& p) {
  std::vector<std::uint32_t> out;
  auto reader = SavefileReader::open(p.string());
  if (!reader) {
    ADD_FAILURE() << reader.error().what();
    return out;
  }
  for (const PacketView& pkt : **reader) out.push_back(static_cast<std::uint32_t>(pkt.header.ts.seconds()));
  if ((*reader)->error()) ADD_FAILURE() << (*reader)->error()->what();
  return out;
}

std::string describe_difference(const std::vector<std::uint32_t>& ours, const std::vector<std::uint32_t>& theirs,
                                const test::MergedCapture& m) {
  std::string out;
  int shown = 0;
  std::size_t i = 0, j = 0;
  while ((i < ours.size() || j < theirs.size()) && shown < 8) {
    if (j == theirs.size() || (i < ours.size() && ours[i] < theirs[j])) {
      out += fmt::format("  packet {} ({}): our interpreter keeps it, tcpdump -r drops it\n", ours[i], m.packets[ours[i]].source);
      ++i, ++shown;
    } else if (i == ours.size() || theirs[j] < ours[i]) {
      out += fmt::format("  packet {} ({}): tcpdump -r keeps it, our interpreter drops it\n", theirs[j], m.packets[theirs[j]].source);
      ++j, ++shown;
    } else {
      ++i, ++j;
    }
  }
  return out;
}

// Every corpus filter in the first CI pass; every fourth under the sanitizers (each one costs
// a tcpdump run per link type, which the sanitizers do not check).
#ifdef PCAPXX_SANITIZED
constexpr std::size_t kFilterStride = 4;
#else
constexpr std::size_t kFilterStride = 1;
#endif

TEST(InterpreterVsTcpdump, LibpcapProgramsKeepTheSamePacketsAsTcpdump) {
  const auto& merged = test::merged_captures();
  ASSERT_GE(merged.size(), 8u) << "expected pcap files of many link types in " << PCAPXX_SHARED_CAPTURES;
  std::size_t combos = 0, packets_checked = 0, kept_total = 0;
  const auto out_file = test::scratch_dir() / "tcpdump-out.pcap";
  for (std::size_t fi = 0; fi < std::size(test::kFilterCorpus); fi += kFilterStride) {
    std::string_view expr = test::kFilterCorpus[fi];
    int ran_on = 0;
    for (const auto& m : merged) {
      auto program = test::tcpdump_program_for_file(expr, m.path);
      if (!program) continue;  // not a valid filter for this link type
      auto valid = validate_program(*program, BpfRules::libpcap);
      ASSERT_TRUE(valid) << "'" << expr << "' on " << m.tcpdump_name << ": libpcap's program fails our validator: "
                         << valid.error().what() << "\n" << format_program(*program, BpfListing::image);
      auto ours = test::kept_by(*program, m);
      auto r = test::run({"tcpdump", "-r", m.path.string(), "-w", out_file.string(), "--", std::string(expr)});
      ASSERT_EQ(r.status, 0) << "tcpdump -r failed for '" << expr << "' on " << m.tcpdump_name << ": " << r.err;
      auto theirs = indices_in(out_file);
      EXPECT_EQ(ours, theirs) << "filter '" << expr << "' on " << m.tcpdump_name << " (" << m.packets.size()
                              << " packets): we keep " << ours.size() << ", tcpdump keeps " << theirs.size() << "\n"
                              << describe_difference(ours, theirs, m) << "libpcap's program:\n"
                              << format_program(*program, BpfListing::image);
      ++ran_on;
      ++combos;
      packets_checked += m.packets.size();
      kept_total += ours.size();
    }
    EXPECT_GT(ran_on, 0) << "'" << expr << "' compiled on no link type";
  }
  fmt::print("{} filter/link-type pairs, {} packet verdicts compared, {} kept\n", combos, packets_checked, kept_total);
  EXPECT_GT(kept_total, 0u);
}

}  // namespace
}  // namespace pcapxx
