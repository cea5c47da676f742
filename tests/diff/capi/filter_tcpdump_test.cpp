// Filters through libpcap.so.0.8: Debian's unmodified tcpdump reading the shared captures
// (merged per link type, tests/diff/filter/merged_captures.hpp) with every expression of the
// filter corpus, once on Debian's libpcap and once on ours. The decoded output (and for a
// part of the corpus the -w file) must be identical; an expression libpcap refuses must be
// refused with the same exit status; one pcapxx's compiler does not support yet must say so
// (those are listed). The -d/-dd/-ddd listings may differ where our optimizer differs, so
// they are compared by their verdicts: both programs run on our interpreter over the packets.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "diff/capi/through_ours.hpp"
#include "diff/filter/merged_captures.hpp"

namespace pcapxx {
namespace {

using test::RunResult;

constexpr std::string_view kUnsupported = "(not supported yet by pcapxx)";

// The link types whose merged capture the filters run on.
const std::vector<const test::MergedCapture*>& targets() {
  static const std::vector<const test::MergedCapture*> t = [] {
    std::vector<const test::MergedCapture*> out;
    for (const auto& m : test::merged_captures())
      if (m.tcpdump_name == "EN10MB" || m.tcpdump_name == "LINUX_SLL" || m.tcpdump_name == "RAW")
        out.push_back(&m);
    return out;
  }();
  return t;
}

std::string show(const RunResult& r) {
  return fmt::format("exit {}\n--- stderr\n{}--- stdout (first 1500 bytes)\n{}", r.status, r.err,
                     r.out.substr(0, 1500));
}

RunResult tcpdump(bool ours, std::vector<std::string> args) {
  args.insert(args.begin(), "tcpdump");
  return test::run_on(ours, args);
}

TEST(TcpdumpFilters, SameOutputAsLibpcapForTheCorpus) {
  ASSERT_EQ(targets().size(), 3u);
  std::map<std::string, std::vector<std::string>> unsupported;
  int compared = 0, refused = 0;
  std::string scratch = (test::scratch_dir() / "capi-w-").string();
  for (const test::MergedCapture* m : targets()) {
    int index = 0;
    for (std::string_view expr : test::kFilterCorpus) {
      std::vector<std::string> args = {"-nn", "-tt", "-r", m->path.string(), "--", std::string(expr)};
      // The first 25 expressions also write what they keep: files must be byte-identical.
      bool write = index++ < 25;
      if (write) args.insert(args.begin(), {"-w", ""});
      auto with_file = [&](const std::string& f) {
        auto a = args;
        if (write) a[1] = f;
        return a;
      };
      auto tcpdump_argv = [](std::vector<std::string> a) {
        a.insert(a.begin(), "tcpdump");
        return a;
      };
      auto [ours, theirs] = test::run_both(tcpdump_argv(with_file(scratch + "ours")),
                                           tcpdump_argv(with_file(scratch + "theirs")));
      std::string where = fmt::format("'{}' on {}", expr, m->tcpdump_name);
      if (theirs.status != 0) {
        EXPECT_EQ(ours.status, theirs.status) << where << "\n=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
        ++refused;
        continue;
      }
      if (ours.status != 0 && ours.err.find(kUnsupported) != std::string::npos) {
        unsupported[std::string(expr)].push_back(m->tcpdump_name);
        continue;
      }
      EXPECT_EQ(ours.status, 0) << where << "\n" << show(ours);
      EXPECT_EQ(ours.out, theirs.out) << where << "\n=== libpcap\n" << show(theirs) << "=== pcapxx\n" << show(ours);
      EXPECT_EQ(ours.err, theirs.err) << where;
      if (write) {
        EXPECT_EQ(test::slurp(scratch + "ours"), test::slurp(scratch + "theirs")) << where << ": -w files differ";
      }
      ++compared;
    }
  }
  fmt::print("[ filters ] {} compared, {} refused by both, {} not supported yet by pcapxx:\n", compared,
             refused, unsupported.size());
  for (const auto& [f, lts] : unsupported) fmt::print("  '{}' on {}\n", f, fmt::join(lts, ","));
  EXPECT_GT(compared, 250);
}

std::expected<BpfProgram, std::string> parsed_listing(const RunResult& r) {
  if (r.status != 0) return std::unexpected(r.err);
  auto p = parse_program_listing(r.out);
  if (!p) return std::unexpected("unparsable listing: " + p.error().what() + "\n" + r.out);
  return *p;
}

TEST(TcpdumpFilters, ListingsGiveLibpcapsVerdicts) {
  int compared = 0;
  for (const test::MergedCapture* m : targets()) {
    for (std::string_view expr : test::kFilterCorpus) {
      std::vector<std::string> args = {"-r", m->path.string(), "-ddd", "--", std::string(expr)};
      args.insert(args.begin(), "tcpdump");
      auto [ours_run, theirs_run] = test::run_both(args, args);
      auto theirs = parsed_listing(theirs_run);
      auto ours = parsed_listing(ours_run);
      std::string where = fmt::format("'{}' on {}", expr, m->tcpdump_name);
      if (!theirs) {
        EXPECT_FALSE(ours) << where << ": libpcap refuses it (" << theirs.error() << ") but pcapxx compiles it";
        continue;
      }
      if (!ours) {
        EXPECT_NE(ours.error().find(kUnsupported), std::string::npos) << where << ": " << ours.error();
        continue;
      }
      EXPECT_EQ(test::kept_by(*ours, *m), test::kept_by(*theirs, *m))
          << where << "\n=== libpcap\n" << format_program(*theirs, BpfListing::image)
          << "=== pcapxx\n" << format_program(*ours, BpfListing::image);
      // Our -d and -dd listings are the same program as our -ddd (a sample, for time).
      if (m->tcpdump_name == "EN10MB" && compared % 8 == 0) {
        auto d = tcpdump(true, {"-r", m->path.string(), "-d", "--", std::string(expr)});
        EXPECT_EQ(d.out, format_program(*ours, BpfListing::image)) << where;
        auto dd = tcpdump(true, {"-r", m->path.string(), "-dd", "--", std::string(expr)});
        EXPECT_EQ(dd.out, format_program(*ours, BpfListing::c_array)) << where;
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 250);
}

// pcap_compile's errors: libpcap's words where the expression is wrong.
TEST(TcpdumpFilters, CompileErrorsSayWhatLibpcapSays) {
  std::string file = PCAPXX_SHARED_CAPTURES "/ppp/Dns.pcap";
  for (std::string expr : {"port 99999", "ip proto nosuchproto", "ether host 1.2.3.4", "tcp port ftpx"}) {
    auto theirs = tcpdump(false, {"-r", file, expr});
    auto ours = tcpdump(true, {"-r", file, expr});
    EXPECT_EQ(ours.status, theirs.status) << expr;
    EXPECT_EQ(ours.err, theirs.err) << expr;
  }
  auto ours = tcpdump(true, {"-r", file, "tcp and"});
  EXPECT_EQ(ours.status, 1);
  EXPECT_NE(ours.err.find("syntax error"), std::string::npos) << ours.err;
}

}  // namespace
}  // namespace pcapxx
