// The pcap writer against the oracles (capinfos, tshark, tcpdump) and our own reader.
#include <algorithm>
#include <bit>
#include <cstring>

#include "core/byte_order.hpp"
#include "unit/writer/writer_test_util.hpp"

namespace {

using namespace writer_test;
using pcapxx::SavefileReader;
using pcapxx::SavefileWriter;
using pcapxx::WriterOptions;

constexpr std::int64_t kBase = 1'700'000'000'123'456'789;  // 2023-11-14, with ns digits

// Sizes from empty to a full Ethernet frame, odd ones included.
std::vector<TestPacket> sample_packets() {
  std::vector<TestPacket> v;
  const std::size_t sizes[] = {0, 1, 13, 14, 60, 61, 63, 64, 127, 333, 999, 1000, 1513, 1514};
  std::int64_t ts = kBase;
  for (std::size_t s : sizes) {
    v.push_back(make_packet(s, ts));
    ts += 1'000'001'237;  // every fraction differs, in both µs and ns
  }
  // A packet cut by the snaplen: on the wire it was longer than what we keep.
  v.push_back(make_packet(100, ts, 0, 1514));
  return v;
}

std::uint32_t u32(const std::string& bytes, std::size_t at) {
  return pcapxx::detail::load_raw<std::uint32_t>(reinterpret_cast<const std::byte*>(bytes.data() + at));
}
std::uint16_t u16(const std::string& bytes, std::size_t at) {
  return pcapxx::detail::load_raw<std::uint16_t>(reinterpret_cast<const std::byte*>(bytes.data() + at));
}

std::string write_file(const TempDir& dir, std::string_view name, const std::vector<TestPacket>& packets,
                       const WriterOptions& options, const pcapxx::InterfaceDescription& ifc = ethernet()) {
  std::string path = dir.file(name);
  auto w = SavefileWriter::open(path, std::span(&ifc, 1), options);
  EXPECT_TRUE(w) << (w ? "" : w.error().what());
  if (!w) return path;
  for (const TestPacket& p : packets) {
    auto ok = (*w)->write(p.view());
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().what());
  }
  auto ok = (*w)->close();
  EXPECT_TRUE(ok) << (ok ? "" : ok.error().what());
  return path;
}

// tcpdump -tt prints one line per packet starting with the time to the µs (hex dumps of the
// unknown ethertype follow on lines starting with a tab); an empty packet gets a note instead.
void expect_tcpdump_reads(const std::string& path, const std::vector<TestPacket>& packets) {
  RunResult td = run({"tcpdump", "-n", "-tt", "-r", path});
  EXPECT_EQ(td.status, 0) << td.err;
  std::vector<std::string> summary;
  for (std::string& l : lines(td.out))
    if (!l.starts_with('\t') && !l.empty()) summary.push_back(std::move(l));
  ASSERT_EQ(summary.size(), packets.size()) << td.out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto& h = packets[i].header;
    std::string want = h.caplen == 0 ? fmt::format("[Invalid header: caplen==0, len=={}]", h.origlen)
                                     : epoch_string(h.ts.ns, false).substr(0, 17) + " ";
    EXPECT_TRUE(summary[i].starts_with(want)) << summary[i] << " vs " << want;
  }
}

void check_against_oracles(const std::string& path, const std::vector<TestPacket>& packets, bool ns) {
  expect_oracles_read(path);

  auto got = tshark_fields(path, {"frame.time_epoch", "frame.cap_len", "frame.len"});
  ASSERT_EQ(got.size(), packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto& h = packets[i].header;
    EXPECT_EQ(got[i], fmt::format("{}|{}|{}", epoch_string(h.ts.ns, ns), h.caplen, h.origlen))
        << "packet " << i + 1;
  }

  expect_tcpdump_reads(path, packets);

  auto reader = SavefileReader::open(path);
  ASSERT_TRUE(reader) << reader.error().what();
  EXPECT_EQ((*reader)->info().nanosecond, ns);
  EXPECT_EQ((*reader)->info().version_major, 2);
  EXPECT_EQ((*reader)->info().version_minor, 4);
  std::size_t i = 0;
  for (const pcapxx::PacketView& p : **reader) {
    ASSERT_LT(i, packets.size());
    const auto& want = packets[i];
    std::int64_t want_ns = ns ? want.header.ts.ns : want.header.ts.ns / 1000 * 1000;
    EXPECT_EQ(p.header.ts.ns, want_ns) << "packet " << i + 1;
    EXPECT_EQ(p.header.caplen, want.header.caplen);
    EXPECT_EQ(p.header.origlen, want.header.origlen);
    EXPECT_TRUE(std::ranges::equal(p.data, want.bytes)) << "packet " << i + 1;
    ++i;
  }
  EXPECT_FALSE((*reader)->error()) << (*reader)->error()->what();
  EXPECT_EQ(i, packets.size());
}

TEST(PcapWriter, MicrosecondFileReadsTheSameInEveryOracle) {
  TempDir dir;
  auto packets = sample_packets();
  std::string path = write_file(dir, "us.pcap", packets, WriterOptions{});
  std::string bytes = slurp(path);
  ASSERT_GE(bytes.size(), 24u);
  EXPECT_EQ(u32(bytes, 0), 0xa1b2c3d4u);
  EXPECT_EQ(u16(bytes, 4), 2);
  EXPECT_EQ(u16(bytes, 6), 4);
  EXPECT_EQ(u32(bytes, 8), 0u);
  EXPECT_EQ(u32(bytes, 12), 0u);
  EXPECT_EQ(u32(bytes, 16), 262144u);
  EXPECT_EQ(u32(bytes, 20), 1u);
  std::size_t expected = 24;
  for (const auto& p : packets) expected += 16 + p.bytes.size();
  EXPECT_EQ(bytes.size(), expected);
  // The first record: seconds, then the µs fraction truncated from ns.
  EXPECT_EQ(u32(bytes, 24), 1'700'000'000u);
  EXPECT_EQ(u32(bytes, 28), 123'456u);
  check_against_oracles(path, packets, false);
}

TEST(PcapWriter, NanosecondFileReadsTheSameInEveryOracle) {
  TempDir dir;
  auto packets = sample_packets();
  WriterOptions o;
  o.nanosecond = true;
  std::string path = write_file(dir, "ns.pcap", packets, o);
  std::string bytes = slurp(path);
  ASSERT_GE(bytes.size(), 32u);
  EXPECT_EQ(u32(bytes, 0), 0xa1b23c4du);
  EXPECT_EQ(u32(bytes, 28), 123'456'789u);
  check_against_oracles(path, packets, true);
}

TEST(PcapWriter, LinkTypeFieldCarriesFileValueAndFcsBits) {
  TempDir dir;
  pcapxx::InterfaceDescription raw;
  raw.link_type = pcapxx::dlt::kRaw;  // DLT 12 in the API, LINKTYPE_RAW 101 in files
  raw.snaplen = 65535;
  std::string path = write_file(dir, "raw.pcap", {}, WriterOptions{}, raw);
  std::string bytes = slurp(path);
  ASSERT_EQ(bytes.size(), 24u);
  EXPECT_EQ(u32(bytes, 16), 65535u);
  EXPECT_EQ(u32(bytes, 20), 101u);

  pcapxx::InterfaceDescription fcs = ethernet();
  fcs.fcs_len = 4;
  path = write_file(dir, "fcs.pcap", {make_packet(64, kBase)}, WriterOptions{}, fcs);
  bytes = slurp(path);
  // Bit 26: FCS length present; bits 28-31: the length in 16-bit words.
  EXPECT_EQ(u32(bytes, 20), 1u | 0x04000000u | (2u << 28));
  auto reader = SavefileReader::open(path);
  ASSERT_TRUE(reader) << reader.error().what();
  ASSERT_EQ((*reader)->interfaces().size(), 1u);
  EXPECT_EQ((*reader)->interfaces()[0].fcs_len, std::optional<std::uint8_t>(4));
  EXPECT_EQ((*reader)->interfaces()[0].link_type, pcapxx::dlt::kEn10Mb);
  expect_oracles_read(path);

  fcs.fcs_len = 3;  // cannot be expressed in 16-bit words
  auto w = SavefileWriter::open(dir.file("bad-fcs.pcap"), std::span(&fcs, 1), WriterOptions{});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::invalid_argument);
  EXPECT_NE(w.error().message.find("FCS length 3"), std::string::npos) << w.error().message;
}

TEST(PcapWriter, ZeroSnaplenIsWrittenAsTheLinkTypeMaximum) {
  TempDir dir;
  std::string path = write_file(dir, "zero.pcap", {}, WriterOptions{}, ethernet(0));
  EXPECT_EQ(u32(slurp(path), 16), 262144u);
}

TEST(PcapWriter, PreEpochTimesAreStoredAsLibpcapStoresThem) {
  TempDir dir;
  // 1.5 s before the epoch: seconds -2 (two's complement), fraction +0.5 s.
  auto p = make_packet(20, -1'500'000'000);
  std::string path = write_file(dir, "old.pcap", {p}, WriterOptions{});
  std::string bytes = slurp(path);
  ASSERT_EQ(bytes.size(), 24u + 16 + 20);
  EXPECT_EQ(u32(bytes, 24), 0xfffffffeu);
  EXPECT_EQ(u32(bytes, 28), 500'000u);
  // Out of the 32-bit range: refused, naming the packet.
  auto w = SavefileWriter::open(dir.file("far.pcap"), std::vector{ethernet()}, WriterOptions{});
  ASSERT_TRUE(w);
  auto far = make_packet(20, std::int64_t{5'000'000'000} * 1'000'000'000);
  auto ok = (*w)->write(far.view());
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code, pcapxx::Errc::invalid_argument);
  EXPECT_NE(ok.error().message.find("packet 1: timestamp 5000000000 s"), std::string::npos)
      << ok.error().message;
}

TEST(PcapWriter, RefusesPacketsOfAnotherLinkTypeOrUnknownInterface) {
  TempDir dir;
  pcapxx::InterfaceDescription sll;
  sll.link_type = pcapxx::dlt::kLinuxSll;
  sll.snaplen = 262144;
  std::vector<pcapxx::InterfaceDescription> ifs{ethernet(), sll, ethernet(1500)};
  std::string path = dir.file("mixed.pcap");
  auto w = SavefileWriter::open(path, ifs, WriterOptions{});
  ASSERT_TRUE(w) << w.error().what();

  auto on_sll = make_packet(60, kBase, 1);
  auto ok = (*w)->write(on_sll.view());
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code, pcapxx::Errc::mismatch);
  EXPECT_NE(ok.error().message.find("interface 1"), std::string::npos) << ok.error().message;
  EXPECT_NE(ok.error().message.find("EN10MB (1)"), std::string::npos) << ok.error().message;

  auto unknown = make_packet(60, kBase, 7);
  ok = (*w)->write(unknown.view());
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code, pcapxx::Errc::invalid_argument);
  EXPECT_NE(ok.error().message.find("interface 7 is unknown"), std::string::npos) << ok.error().message;

  // Another interface with the file's link type can share it.
  auto same = make_packet(60, kBase + 1000, 2);
  ASSERT_TRUE((*w)->write(same.view()));
  auto added = (*w)->add_interface(sll);
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code, pcapxx::Errc::mismatch);
  added = (*w)->add_interface(ethernet());
  ASSERT_TRUE(added);
  EXPECT_EQ(*added, 3u);
  auto on_added = make_packet(61, kBase + 2000, 3);
  ASSERT_TRUE((*w)->write(on_added.view()));

  // The header must describe the bytes: a caplen that is not the data size is refused.
  auto lying = make_packet(60, kBase);
  lying.header.caplen = 64;
  ok = (*w)->write(lying.view());
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("packet 3: header says 64 bytes captured but 60"),
            std::string::npos)
      << ok.error().message;
  ASSERT_TRUE((*w)->close());
  auto got = tshark_fields(path, {"frame.cap_len"});
  EXPECT_EQ(got, (std::vector<std::string>{"60", "61"}));
}

TEST(PcapWriter, RefusesAnEmptyInterfaceList) {
  TempDir dir;
  auto w = SavefileWriter::open(dir.file("none.pcap"), {}, WriterOptions{});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::invalid_argument);
  EXPECT_NE(w.error().message.find("none.pcap"), std::string::npos);
}

TEST(PcapWriter, WriteBatchWritesEveryPacketInOrder) {
  TempDir dir;
  auto packets = sample_packets();
  std::vector<pcapxx::PacketView> views;
  for (const auto& p : packets) views.push_back(p.view());
  std::string path = dir.file("batch.pcap");
  auto w = SavefileWriter::open(path, std::vector{ethernet()}, WriterOptions{});
  ASSERT_TRUE(w);
  ASSERT_TRUE((*w)->write_batch(views));
  ASSERT_TRUE((*w)->close());
  EXPECT_EQ(slurp(path), slurp(write_file(dir, "single.pcap", packets, WriterOptions{})));
}

}  // namespace
