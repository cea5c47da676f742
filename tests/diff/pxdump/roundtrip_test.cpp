// Round trips through pxdump: every shared capture that reads cleanly is written as pcapng and
// as nanosecond pcap; tshark must read back the same packets (timestamps, lengths, comments)
// with no complaint, capinfos must accept the file, and our reader must agree.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fmt/format.h>

#include "common/run.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx {
namespace {

using test::run;

const std::string kPxdump = PCAPXX_BIN_DIR "/pxdump";

bool is_pcapng(const std::string& file) {
  auto reader = SavefileReader::open(file);
  return reader && (*reader)->info().format == SavefileFormat::pcapng;
}

std::vector<std::string> tshark_rows(const std::string& file, bool with_interface, std::string* err) {
  std::vector<std::string> args = {"tshark", "-r", file, "-T", "fields", "-e", "frame.time_epoch",
                                   "-e", "frame.cap_len", "-e", "frame.len", "-e", "frame.comment",
                                   "-e", "frame.interface_id", "-E", "separator=|"};
  auto r = run(args);
  std::vector<std::string> rows;
  for (auto& row : test::lines(r.out)) {
    // tshark 4 lists non-packet pcapng blocks as records without an interface: not packets.
    auto bar = row.rfind('|');
    std::string interface = row.substr(bar + 1);
    if (interface.empty() && row.find("|", 0) != std::string::npos && is_pcapng(file)) continue;
    if (!with_interface) row.resize(bar);
    // A Simple Packet Block has no timestamp (tshark shows none); written as an EPB it gets 0.
    if (row.starts_with("|")) row = "0.000000000" + row;
    rows.push_back(row);
  }
  if (err) *err = r.status == 0 ? "" : fmt::format("exit {}: {}", r.status, r.err);
  return rows;
}

struct Readable {
  bool ok = false;
  bool pcapng = false;
  bool one_link = true;
};

Readable probe(const std::filesystem::path& path) {
  Readable r;
  auto reader = SavefileReader::open(path.string());
  if (!reader) return r;
  for ([[maybe_unused]] const PacketView& p : **reader) {
  }
  if ((*reader)->error()) return r;
  r.ok = true;
  r.pcapng = (*reader)->info().format == SavefileFormat::pcapng;
  r.one_link = !(*reader)->interfaces().empty();
  for (const auto& ifc : (*reader)->interfaces()) r.one_link &= ifc.link_type == (*reader)->link_type();
  return r;
}

/// "ns|caplen|len|hash of the bytes" for every packet, through our reader.
std::vector<std::string> packet_digests(const std::string& file) {
  std::vector<std::string> rows;
  auto reader = SavefileReader::open(file);
  if (!reader) return {reader.error().what()};
  for (const PacketView& p : **reader) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::byte b : p.data) h = (h ^ static_cast<std::uint8_t>(b)) * 1099511628211ull;
    rows.push_back(fmt::format("{}|{}|{}|{:016x}", p.header.ts.ns, p.header.caplen, p.header.origlen, h));
  }
  if ((*reader)->error()) rows.push_back((*reader)->error()->what());
  return rows;
}

std::string temp_name(const std::string& ext) {
  static int n = 0;
  return fmt::format("/tmp/pcapxx-roundtrip-{}-{}{}", getpid(), n++, ext);
}

class Roundtrip : public testing::TestWithParam<std::filesystem::path> {};

TEST_P(Roundtrip, PcapngAndPcapReadBackTheSame) {
  const auto& path = GetParam();
  std::string name = test::capture_name(path);
  Readable readable = probe(path);
  std::string err;
  auto original = tshark_rows(path.string(), false, &err);
  if (!readable.ok || !err.empty()) {
    // Damaged or tshark-unreadable inputs are covered by the read differential test.
    GTEST_SUCCEED() << name << " is not a round-trip candidate";
    return;
  }

  // pcapng: everything survives, comments included.
  std::string ng = temp_name(".pcapng");
  auto w = run({kPxdump, "-r", path.string(), "-w", ng});
  if (name == "ppp/pcapng-example.pcapng") {
    // Its tick counts have the top bit set: we read them as times before 1970, which a pcapng
    // EPB cannot hold without if_tsoffset, and the writer says so rather than wrap them.
    EXPECT_EQ(w.status, 1);
    EXPECT_NE(w.err.find("packet 60: timestamp -505425287000 ns is before 1970"), std::string::npos) << w.err;
    std::filesystem::remove(ng);
    return;
  }
  ASSERT_EQ(w.status, 0) << name << ": " << w.err;
  auto back = tshark_rows(ng, false, &err);
  EXPECT_EQ(err, "") << name;
  EXPECT_EQ(back.size(), original.size()) << name;
  for (std::size_t i = 0; i < std::min(back.size(), original.size()); ++i)
    if (back[i] != original[i]) {
      ADD_FAILURE() << name << " -> pcapng, packet " << i + 1 << "\n  original: " << original[i]
                    << "\n  written:  " << back[i];
      break;
    }
  auto ci = run({"capinfos", ng});
  EXPECT_EQ(ci.status, 0) << name << ": capinfos: " << ci.err;
  EXPECT_EQ(ci.err, "") << name;

  // Nanosecond pcap: timestamps, lengths and bytes survive (comments have no place in pcap).
  // Compared through our reader, which the read differential test holds to tshark; tcpdump
  // (libpcap) must read the file.
  if (readable.one_link) {
    std::string pc = temp_name(".pcap");
    w = run({kPxdump, "-r", path.string(), "-w", pc, "--time-stamp-precision=nano"});
    ASSERT_EQ(w.status, 0) << name << ": " << w.err;
    auto expect = packet_digests(path.string());
    auto got = packet_digests(pc);
    ASSERT_EQ(got.size(), expect.size()) << name;
    for (std::size_t i = 0; i < expect.size(); ++i)
      if (got[i] != expect[i]) {
        ADD_FAILURE() << name << " -> pcap, packet " << i + 1 << "\n  original: " << expect[i]
                      << "\n  written:  " << got[i];
        break;
      }
    auto td = run({"tcpdump", "-r", pc, "-w", "/dev/null"});
    EXPECT_EQ(td.status, 0) << name << ": tcpdump: " << td.err;
    std::filesystem::remove(pc);
  }
  std::filesystem::remove(ng);
}

std::string test_name(const testing::TestParamInfo<std::filesystem::path>& info) {
  std::string n = test::capture_name(info.param);
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(SharedCaptures, Roundtrip, testing::ValuesIn(test::shared_capture_files()), test_name);

TEST(PxdumpPipes, StandardInputToStandardOutput) {
  std::string src = PCAPXX_SOURCE_DIR "/tests/data/demo.pcap";
  std::string out = temp_name(".pcap");
  auto r = run({"sh", "-c", fmt::format("{} -r - -w - -c 4 < {} > {}", kPxdump, src, out)});
  ASSERT_EQ(r.status, 0) << r.err;
  auto rows = tshark_rows(out, false, nullptr);
  auto orig = tshark_rows(src, false, nullptr);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows, std::vector<std::string>(orig.begin(), orig.begin() + 4));
  std::filesystem::remove(out);
}

TEST(PxdumpExitStatus, ErrorsExitOneWithTheFileNamed) {
  auto r = run({kPxdump, "-r", "/nonexistent.pcap"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("/nonexistent.pcap: No such file or directory"), std::string::npos) << r.err;
  r = run({kPxdump, "--no-such-flag"});
  EXPECT_EQ(r.status, 1);
  r = run({kPxdump, "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("-r FILE"), std::string::npos);
  r = run({kPxdump, "--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.out.starts_with("pxdump version ")) << r.out;
  r = run({kPxdump, "-r", PCAPXX_SHARED_CAPTURES "/libpcap/pcap-invalid-version-2.pcap"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("unsupported pcap savefile version 2.5"), std::string::npos) << r.err;
}

TEST(PxdumpCount, StopsAfterN) {
  auto r = run({kPxdump, "-r", PCAPXX_SOURCE_DIR "/tests/data/demo.pcap", "-c", "3"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(test::lines(r.out).size(), 3u);
}

}  // namespace
}  // namespace pcapxx
