// The pcapng custom option that carries a process attribution: its codec, and the savefile
// writer and reader carrying custom options (draft-ietf-opsawg-pcapng 3.5.1).
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pcapxx/process.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx {
namespace {

ProcessInfo sample() {
  ProcessInfo p;
  p.pid = 4242;
  p.tid = 4243;
  p.uid = 1000;
  p.comm = "curl";
  p.cmdline = "curl -s http://example.invalid/";
  p.netns = 4026531840ull;
  return p;
}

TEST(ProcessOption, RoundTripHostOrder) {
  std::vector<std::byte> data;
  encode_process_option(sample(), AttributionQuality::exact, data);
  EXPECT_EQ(data.size(), 28u + 4 + sample().cmdline.size());
  auto got = decode_process_option(data, false);
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_EQ(got->pid, 4242);
  EXPECT_EQ(got->tid, 4243);
  EXPECT_EQ(got->uid, 1000u);
  EXPECT_EQ(got->netns, 4026531840ull);
  EXPECT_EQ(got->comm, "curl");
  EXPECT_EQ(got->cmdline, "curl -s http://example.invalid/");
  EXPECT_EQ(got->quality, AttributionQuality::exact);
  std::string text;
  format_process(text, *got);
  EXPECT_EQ(text, "pid 4242 tid 4243 uid 1000 comm curl netns 4026531840 (exact)");
}

TEST(ProcessOption, OtherByteOrder) {
  std::vector<std::byte> data;
  encode_process_option(sample(), AttributionQuality::inferred, data);
  // Byte-swap every integer field, as a writer of the other byte order would have written it.
  auto swap = [&](std::size_t at, std::size_t n) { std::reverse(data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + n)); };
  swap(2, 2);
  swap(4, 4);
  swap(8, 4);
  swap(12, 4);
  swap(16, 8);
  swap(24, 4);
  auto got = decode_process_option(data, true);
  ASSERT_TRUE(got) << got.error().what();
  EXPECT_EQ(got->pid, 4242);
  EXPECT_EQ(got->uid, 1000u);
  EXPECT_EQ(got->netns, 4026531840ull);
  EXPECT_EQ(got->comm, "curl");
  EXPECT_EQ(got->quality, AttributionQuality::inferred);
}

TEST(ProcessOption, MalformedIsAClearError) {
  std::vector<std::byte> data;
  encode_process_option(sample(), AttributionQuality::exact, data);
  auto short_one = decode_process_option(std::span(data).first(27), false);
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.error().what().find("shorter than the fixed part of 28"), std::string::npos);

  auto bad_version = data;
  bad_version[0] = std::byte{7};
  auto v = decode_process_option(bad_version, false);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().what().find("version 7"), std::string::npos);

  auto bad_quality = data;
  bad_quality[1] = std::byte{3};
  EXPECT_FALSE(decode_process_option(bad_quality, false));

  auto too_long = data;
  std::uint32_t huge = 0xfffffff0u;
  std::memcpy(too_long.data() + 24, &huge, 4);
  auto t = decode_process_option(too_long, false);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().what().find("do not fit"), std::string::npos) << t.error().what();
}

TEST(ProcessOption, PcapngWriterAndReaderCarryCustomOptions) {
  std::string path = fmt::format("/tmp/pxproc_unit_{}.pcapng", ::getpid());
  InterfaceDescription ifc;
  ifc.link_type = LinkType{1};
  ifc.snaplen = 65535;
  ifc.name = "eth0";
  WriterOptions wo;
  wo.format = SavefileFormat::pcapng;
  auto w = SavefileWriter::open(path, std::span(&ifc, 1), wo);
  ASSERT_TRUE(w) << w.error().what();
  std::array<std::byte, 60> frame{};
  frame[12] = std::byte{0x08};
  PacketView p;
  p.header.ts = Timestamp{1'700'000'000'000'000'000};
  p.header.caplen = p.header.origlen = frame.size();
  p.data = frame;
  std::vector<std::byte> data;
  encode_process_option(sample(), AttributionQuality::exact, data);
  std::array<std::string_view, 1> comments{"pid 4242 uid 1000 comm curl"};
  std::array<CustomOption, 2> custom{CustomOption{kCustomBinaryCopy, kProcessOptionPen, data, false},
                                     CustomOption{2988, 99999, std::as_bytes(std::span("other", 5)), false}};
  ASSERT_TRUE((*w)->write_annotated(p, comments, custom));
  ASSERT_TRUE((*w)->write(p));  // and one without
  ASSERT_TRUE((*w)->close());

  auto r = SavefileReader::open(path);
  ASSERT_TRUE(r) << r.error().what();
  auto first = (*r)->next();
  ASSERT_TRUE(first && *first);
  auto opts = parse_packet_options((*first)->options);
  ASSERT_TRUE(opts) << opts.error().what();
  ASSERT_EQ(opts->comments.size(), 1u);
  EXPECT_EQ(opts->comments[0], "pid 4242 uid 1000 comm curl");
  ASSERT_EQ(opts->custom.size(), 2u);
  EXPECT_EQ(opts->custom[0].code, kCustomBinaryCopy);
  EXPECT_EQ(opts->custom[0].pen, kProcessOptionPen);
  EXPECT_EQ(opts->custom[0].data.size(), data.size());
  EXPECT_EQ(opts->custom[1].code, 2988);
  EXPECT_EQ(opts->custom[1].pen, 99999u);
  auto found = find_process_option((*first)->options);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->pid, 4242);
  EXPECT_EQ(found->cmdline, "curl -s http://example.invalid/");
  auto second = (*r)->next();
  ASSERT_TRUE(second && *second);
  EXPECT_FALSE(find_process_option((*second)->options));
  std::filesystem::remove(path);
}

TEST(ProcessOption, WriterRefusesCustomOptionsOfTheOtherByteOrder) {
  std::string path = fmt::format("/tmp/pxproc_unit_swapped_{}.pcapng", ::getpid());
  InterfaceDescription ifc;
  ifc.link_type = LinkType{1};
  ifc.snaplen = 65535;
  WriterOptions wo;
  wo.format = SavefileFormat::pcapng;
  auto w = SavefileWriter::open(path, std::span(&ifc, 1), wo);
  ASSERT_TRUE(w);
  std::array<std::byte, 20> frame{};
  PacketView p;
  p.header.caplen = p.header.origlen = frame.size();
  p.data = frame;
  std::array<std::byte, 8> d{};
  std::array<CustomOption, 1> custom{CustomOption{kCustomBinaryCopy, kProcessOptionPen, d, true}};
  auto ok = (*w)->write_annotated(p, {}, custom);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().what().find("other byte order"), std::string::npos) << ok.error().what();
  (void)(*w)->close();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace pcapxx
