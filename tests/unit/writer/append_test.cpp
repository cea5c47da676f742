// Appending to pcap files (pcap_dump_open_append): new or empty files get a header, existing
// ones keep theirs, their byte order and their timestamp precision; mismatches are refused.
#include <algorithm>
#include <cctype>
#include <bit>
#include <filesystem>

#include "core/byte_order.hpp"
#include "unit/writer/writer_test_util.hpp"

namespace {

using namespace writer_test;
using pcapxx::SavefileReader;
using pcapxx::SavefileWriter;
using pcapxx::WriterOptions;

constexpr std::int64_t kBase = 1'600'000'000'987'654'321;

WriterOptions appending() {
  WriterOptions o;
  o.append = true;
  return o;
}

void append_packets(const std::string& path, std::span<const pcapxx::InterfaceDescription> ifs,
                    const std::vector<TestPacket>& packets, std::uint64_t expect_start) {
  // position() after open: the existing size, or the new header's 24 bytes.
  auto w = SavefileWriter::open(path, ifs, appending());
  ASSERT_TRUE(w) << w.error().what();
  EXPECT_EQ((*w)->position(), expect_start);
  for (const auto& p : packets) ASSERT_TRUE((*w)->write(p.view()));
  ASSERT_TRUE((*w)->close());
}

TEST(PcapAppend, AppendingTwiceKeepsEveryPacketInOrder) {
  TempDir dir;
  std::string path = dir.file("grow.pcap");
  std::vector<pcapxx::InterfaceDescription> ifs{ethernet(65535)};
  std::vector<TestPacket> all;
  for (std::size_t i = 0; i < 9; ++i)
    all.push_back(make_packet(20 + i * 37, kBase + static_cast<std::int64_t>(i) * 1'000'000));
  // The file does not exist: the first append creates it with a header.
  append_packets(path, ifs, {all.begin(), all.begin() + 3}, 24);
  std::uint64_t size = slurp(path).size();
  EXPECT_EQ(size, 24u + 3 * 16 + 20 + 57 + 94);
  append_packets(path, ifs, {all.begin() + 3, all.begin() + 5}, size);
  append_packets(path, ifs, {all.begin() + 5, all.end()}, slurp(path).size());

  expect_oracles_read(path);
  RunResult ci = run({"capinfos", "-c", "-M", path});
  EXPECT_NE(ci.out.find("Number of packets:   9"), std::string::npos) << ci.out;
  std::vector<std::string> want;
  for (const auto& p : all) want.push_back(fmt::format("{}|{}", epoch_string(p.header.ts.ns, false), p.header.caplen));
  EXPECT_EQ(tshark_fields(path, {"frame.time_epoch", "frame.cap_len"}), want);
  // Exactly one header: the file is what one writer would have produced.
  std::string once = dir.file("once.pcap");
  auto w = SavefileWriter::open(once, ifs, WriterOptions{});
  ASSERT_TRUE(w);
  for (const auto& p : all) ASSERT_TRUE((*w)->write(p.view()));
  ASSERT_TRUE((*w)->close());
  EXPECT_EQ(slurp(path), slurp(once));
}

TEST(PcapAppend, AnEmptyFileGetsAHeader) {
  TempDir dir;
  std::string path = dir.file("empty.pcap");
  spit(path, "");
  append_packets(path, std::vector{ethernet()}, {make_packet(60, kBase)}, 24);
  EXPECT_EQ(tshark_fields(path, {"frame.cap_len"}), std::vector<std::string>{"60"});
}

// The shared samples in the other byte order and in ns; our appended records must follow them.
struct Sample {
  const char* file;
  bool big_endian;
  bool nanosecond;
};

class PcapAppendToSample : public ::testing::TestWithParam<Sample> {};

TEST_P(PcapAppendToSample, RecordsFollowTheFilesByteOrderAndPrecision) {
  const Sample& s = GetParam();
  TempDir dir;
  std::string path = dir.file("sample.pcap");
  std::filesystem::copy_file(fs::path(PCAPXX_SHARED_CAPTURES) / s.file, path);
  std::string before = slurp(path);

  std::vector<pcapxx::InterfaceDescription> ifs;
  std::size_t count = 0;
  {
    auto r = SavefileReader::open(path);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ((*r)->info().swapped, s.big_endian == (std::endian::native == std::endian::little));
    EXPECT_EQ((*r)->info().nanosecond, s.nanosecond);
    ifs.assign((*r)->interfaces().begin(), (*r)->interfaces().end());
    for ([[maybe_unused]] const auto& p : **r) ++count;
  }
  ASSERT_GT(count, 0u);
  auto added = make_packet(333, kBase);
  WriterOptions o = appending();
  o.nanosecond = !s.nanosecond;  // the file's precision wins
  auto w = SavefileWriter::open(path, ifs, o);
  ASSERT_TRUE(w) << w.error().what();
  ASSERT_TRUE((*w)->write(added.view()));
  ASSERT_TRUE((*w)->close());

  std::string after = slurp(path);
  ASSERT_EQ(after.size(), before.size() + 16 + 333);
  EXPECT_EQ(after.substr(0, before.size()), before);
  // The record header in the file's byte order.
  auto* rec = reinterpret_cast<const std::byte*>(after.data() + before.size());
  auto field = [&](std::size_t off) {
    return s.big_endian ? pcapxx::detail::load_be32(rec + off) : pcapxx::detail::load_le32(rec + off);
  };
  EXPECT_EQ(field(0), 1'600'000'000u);
  EXPECT_EQ(field(4), s.nanosecond ? 987'654'321u : 987'654u);
  EXPECT_EQ(field(8), 333u);
  EXPECT_EQ(field(12), 333u);

  // Both oracles and our reader see the old packets and the new one, with its time.
  expect_oracles_read(path);
  auto got = tshark_fields(path, {"frame.time_epoch", "frame.cap_len"});
  ASSERT_EQ(got.size(), count + 1);
  EXPECT_EQ(got.back(), fmt::format("{}|333", epoch_string(kBase, s.nanosecond)));
  auto r = SavefileReader::open(path);
  ASSERT_TRUE(r);
  const pcapxx::PacketView* last = nullptr;
  std::size_t n = 0;
  for (const auto& p : **r) {
    last = &p;
    ++n;
    if (n == count + 1) break;
  }
  ASSERT_EQ(n, count + 1);
  EXPECT_EQ(last->header.ts.ns, s.nanosecond ? kBase : kBase / 1000 * 1000);
  EXPECT_TRUE(std::ranges::equal(last->data, added.bytes));
}

INSTANTIATE_TEST_SUITE_P(
    Samples, PcapAppendToSample,
    ::testing::Values(Sample{"ppp/microsecs_big_endian.pcap", true, false},
                      Sample{"ppp/nanosecs_big_endian.pcap", true, true},
                      Sample{"ppp/nanosecs.pcap", false, true},
                      Sample{"gopacket/pcap_test_dns.pcap", false, false}),
    [](const auto& param_info) {
      std::string n = fs::path(param_info.param.file).stem().string();
      std::erase_if(n, [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); });
      return n;
    });

TEST(PcapAppend, MismatchedLinkTypeOrSnaplenIsRefusedNamingBothValues) {
  TempDir dir;
  std::string path = dir.file("eth.pcap");
  append_packets(path, std::vector{ethernet(65535)}, {make_packet(60, kBase)}, 24);
  std::string before = slurp(path);

  pcapxx::InterfaceDescription sll;
  sll.link_type = pcapxx::dlt::kLinuxSll;
  sll.snaplen = 65535;
  auto w = SavefileWriter::open(path, std::span(&sll, 1), appending());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::mismatch);
  EXPECT_EQ(w.error().message,
            path + ": cannot append: the file has link type EN10MB (1), the packets have LINUX_SLL (113)");

  pcapxx::InterfaceDescription fcs = ethernet(65535);
  fcs.fcs_len = 4;
  w = SavefileWriter::open(path, std::span(&fcs, 1), appending());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::mismatch);
  EXPECT_NE(w.error().message.find("the packets have EN10MB (1) with a 4-byte FCS"), std::string::npos)
      << w.error().message;

  w = SavefileWriter::open(path, std::vector{ethernet(262144)}, appending());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::mismatch);
  EXPECT_EQ(w.error().message,
            path + ": cannot append: the file has snaplen 65535, the packets have snaplen 262144");
  EXPECT_EQ(slurp(path), before);
}

TEST(PcapAppend, RefusesFilesThatAreNotPcap) {
  TempDir dir;
  // A pcapng file.
  std::string ng = dir.file("trace.pcapng");
  {
    WriterOptions o;
    o.format = pcapxx::SavefileFormat::pcapng;
    auto w = SavefileWriter::open(ng, std::vector{ethernet()}, o);
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->close());
  }
  std::string before = slurp(ng);
  auto w = SavefileWriter::open(ng, std::vector{ethernet()}, appending());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::mismatch);
  EXPECT_NE(w.error().message.find("trace.pcapng: cannot append pcap records to a pcapng file"),
            std::string::npos)
      << w.error().message;
  EXPECT_EQ(slurp(ng), before);

  std::string text = dir.file("notes.txt");
  spit(text, "these are not packets, just some words");
  w = SavefileWriter::open(text, std::vector{ethernet()}, appending());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::format);
  EXPECT_NE(w.error().message.find("magic 0x74686573"), std::string::npos) << w.error().message;

  std::string tiny = dir.file("tiny.pcap");
  spit(tiny, "\xd4\xc3");
  w = SavefileWriter::open(tiny, std::vector{ethernet()}, appending());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::truncated);

  std::string cut = dir.file("cut.pcap");
  spit(cut, std::string("\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8));
  w = SavefileWriter::open(cut, std::vector{ethernet()}, appending());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::truncated);
  EXPECT_NE(w.error().message.find("truncated pcap file header: 8 of 24 bytes"), std::string::npos)
      << w.error().message;
}

}  // namespace
