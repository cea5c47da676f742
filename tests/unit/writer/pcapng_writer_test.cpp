// The pcapng writer against tshark, capinfos and tcpdump, a walk over the blocks it wrote,
// and our own reader.
#include <sys/utsname.h>

#include <algorithm>
#include <map>

#include "core/byte_order.hpp"
#include "unit/writer/writer_test_util.hpp"

namespace {

using namespace writer_test;
using pcapxx::Direction;
using pcapxx::SavefileReader;
using pcapxx::SavefileWriter;
using pcapxx::WriterOptions;

constexpr std::int64_t kBase = 1'700'000'000'123'456'789;

std::uint32_t u32(std::string_view b, std::size_t at) {
  return pcapxx::detail::load_raw<std::uint32_t>(reinterpret_cast<const std::byte*>(b.data() + at));
}
std::uint16_t u16(std::string_view b, std::size_t at) {
  return pcapxx::detail::load_raw<std::uint16_t>(reinterpret_cast<const std::byte*>(b.data() + at));
}

// One block as written: its type and the bytes between the length words.
struct Block {
  std::uint32_t type;
  std::string body;
};

// Walks a host-order pcapng file; every block must be a multiple of 4 long and end with its
// own length.
std::vector<Block> blocks_of(std::string_view file) {
  std::vector<Block> v;
  std::size_t at = 0;
  while (at < file.size()) {
    EXPECT_LE(at + 12, file.size()) << "block header at " << at;
    if (at + 12 > file.size()) break;
    std::uint32_t len = u32(file, at + 4);
    EXPECT_EQ(len % 4, 0u) << "block at " << at;
    EXPECT_LE(at + len, file.size()) << "block at " << at;
    if (len < 12 || at + len > file.size()) break;
    EXPECT_EQ(u32(file, at + len - 4), len) << "trailing length of block at " << at;
    v.push_back({u32(file, at), std::string(file.substr(at + 8, len - 12))});
    at += len;
  }
  return v;
}

// Options from `from` in a block body: code -> values in order. The list must end with
// opt_endofopt exactly at the end of the body, each value padded to 4.
std::multimap<std::uint16_t, std::string> options_of(const std::string& body, std::size_t from) {
  std::multimap<std::uint16_t, std::string> m;
  std::size_t at = from;
  bool ended = from == body.size();
  while (at + 4 <= body.size()) {
    std::uint16_t code = u16(body, at), len = u16(body, at + 2);
    if (code == 0) {
      EXPECT_EQ(len, 0);
      EXPECT_EQ(at + 4, body.size()) << "opt_endofopt is not last";
      ended = true;
      break;
    }
    m.emplace(code, body.substr(at + 4, len));
    at += 4 + len + ((4 - len % 4) % 4);
  }
  EXPECT_TRUE(ended) << "options without opt_endofopt";
  return m;
}

std::string opt(const std::multimap<std::uint16_t, std::string>& m, std::uint16_t code) {
  auto it = m.find(code);
  return it == m.end() ? std::string("<absent>") : it->second;
}

std::vector<pcapxx::InterfaceDescription> mixed_interfaces() {
  std::vector<pcapxx::InterfaceDescription> v(4);
  v[0].link_type = pcapxx::dlt::kEn10Mb;
  v[0].snaplen = 262144;
  v[0].name = "eth0";
  v[0].description = "uplink port";
  v[1].link_type = pcapxx::dlt::kRaw;
  v[1].snaplen = 65535;
  v[1].name = "tun0";
  v[2].link_type = pcapxx::dlt::kLinuxSll;
  v[2].snaplen = 0;  // no limit
  v[2].name = "any";
  v[3].link_type = pcapxx::dlt::kEn10Mb;
  v[3].snaplen = 1518;
  v[3].name = "eth1";
  v[3].fcs_len = 4;
  return v;
}

// Packets over all four interfaces: sizes from empty to full frames, every direction, with
// and without source flags, with zero, one and two comments.
std::vector<TestPacket> mixed_packets() {
  std::vector<TestPacket> v;
  const std::size_t sizes[] = {0, 1, 2, 3, 4, 5, 14, 42, 61, 64, 127, 513, 1513, 1514};
  const Direction dirs[] = {Direction::unknown, Direction::inbound, Direction::outbound};
  std::int64_t ts = kBase;
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    TestPacket p = make_packet(sizes[i], ts, static_cast<std::uint32_t>(i % 4));
    p.header.direction = dirs[i % 3];
    if (i % 5 == 2) {
      p.header.has_flags = true;
      p.header.flags = 1u << 2;  // reception type: unicast
    }
    if (i % 4 == 1) p.comments = {fmt::format("packet {}", i + 1)};
    if (i % 7 == 3) p.comments = {"odd length!", "second note"};
    if (i == 9) p.header.origlen = 9000;  // cut by a snaplen
    v.push_back(std::move(p));
    ts += 987'654'321;
  }
  return v;
}

std::string write_pcapng(const std::string& path, std::span<const pcapxx::InterfaceDescription> ifs,
                         const std::vector<TestPacket>& packets, WriterOptions o,
                         const pcapxx::CaptureStats* stats = nullptr) {
  o.format = pcapxx::SavefileFormat::pcapng;
  auto w = SavefileWriter::open(path, ifs, o);
  EXPECT_TRUE(w) << (w ? "" : w.error().what());
  if (!w) return path;
  for (const TestPacket& p : packets) {
    auto comments = p.comment_views();
    auto ok = (*w)->write(p.view(), comments);
    EXPECT_TRUE(ok) << (ok ? "" : ok.error().what());
  }
  auto ok = (*w)->close(stats);
  EXPECT_TRUE(ok) << (ok ? "" : ok.error().what());
  return path;
}

// What tshark shows in frame.packet_flags_direction for a packet.
std::string direction_field(const pcapxx::PacketHeader& h) {
  std::uint32_t flags = h.has_flags ? h.flags : 0;
  if (h.direction != Direction::unknown)
    flags = (flags & ~3u) | static_cast<std::uint32_t>(h.direction);
  if (!h.has_flags && h.direction == Direction::unknown) return "";
  return fmt::format("0x{:08x}", flags & 3u);
}

class PcapngWriterResolution : public ::testing::TestWithParam<bool> {};

TEST_P(PcapngWriterResolution, SeveralLinkTypesDirectionsAndCommentsReadTheSameInTshark) {
  const bool ns = GetParam();
  TempDir dir;
  auto ifs = mixed_interfaces();
  auto packets = mixed_packets();
  WriterOptions o;
  o.nanosecond = ns;
  std::string path = write_pcapng(dir.file("mixed.pcapng"), ifs, packets, o);
  expect_oracles_read(path);

  auto got = tshark_fields(path, {"frame.time_epoch", "frame.cap_len", "frame.len",
                                  "frame.interface_id", "frame.interface_name", "frame.comment",
                                  "frame.packet_flags_direction"});
  ASSERT_EQ(got.size(), packets.size());
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    std::string comments;
    for (const auto& c : p.comments) comments += (comments.empty() ? "" : ",") + c;
    EXPECT_EQ(got[i], fmt::format("{}|{}|{}|{}|{}|{}|{}", epoch_string(p.header.ts.ns, ns),
                                  p.header.caplen, p.header.origlen, p.header.interface,
                                  ifs[p.header.interface].name, comments, direction_field(p.header)))
        << "packet " << i + 1;
  }

  // capinfos sees each interface with its link type and resolution.
  RunResult ci = run({"capinfos", path});
  EXPECT_NE(ci.out.find("Number of interfaces in file: 4"), std::string::npos) << ci.out;
  EXPECT_NE(ci.out.find(ns ? "Time precision = nanoseconds (9)" : "Time precision = microseconds (6)"),
            std::string::npos)
      << ci.out;
  EXPECT_NE(ci.out.find("Encapsulation = Linux cooked-mode capture v1"), std::string::npos) << ci.out;
  EXPECT_NE(ci.out.find("Description = uplink port"), std::string::npos) << ci.out;
  EXPECT_NE(ci.out.find("Capture application: pcapxx"), std::string::npos) << ci.out;
}

INSTANTIATE_TEST_SUITE_P(Both, PcapngWriterResolution, ::testing::Bool(),
                         [](const auto& param_info) { return param_info.param ? "Nanosecond" : "Microsecond"; });

TEST(PcapngWriter, TcpdumpReadsAFileOfOneLinkType) {
  TempDir dir;
  // libpcap reads a pcapng file only when all its interfaces share link type and snaplen.
  std::vector<pcapxx::InterfaceDescription> ifs{ethernet(), ethernet()};
  ifs[0].name = "eth0";
  ifs[1].name = "eth1";
  std::vector<TestPacket> packets;
  for (std::size_t i = 0; i < 9; ++i)
    packets.push_back(make_packet(14 + i * 111, kBase + static_cast<std::int64_t>(i) * 1'000'003,
                                  static_cast<std::uint32_t>(i % 2)));
  std::string path = write_pcapng(dir.file("eth.pcapng"), ifs, packets, WriterOptions{});
  RunResult td = run({"tcpdump", "-n", "-tt", "-r", path});
  EXPECT_EQ(td.status, 0) << td.err;
  std::vector<std::string> summary;
  for (std::string& l : lines(td.out))
    if (!l.empty() && !l.starts_with('\t')) summary.push_back(std::move(l));
  ASSERT_EQ(summary.size(), packets.size()) << td.out;
  for (std::size_t i = 0; i < packets.size(); ++i)
    EXPECT_TRUE(summary[i].starts_with(epoch_string(packets[i].header.ts.ns, false).substr(0, 17)))
        << summary[i];
}

TEST(PcapngWriter, BlocksAndOptionsAreLaidOutAsTheSpecSays) {
  TempDir dir;
  auto ifs = mixed_interfaces();
  auto packets = mixed_packets();
  WriterOptions o;
  o.nanosecond = true;
  o.user_application = "writer test 1.0";
  pcapxx::CaptureStats stats{123456789012, 42, 7};
  std::string path = write_pcapng(dir.file("layout.pcapng"), ifs, packets, o, &stats);
  expect_oracles_read(path);
  std::string file = slurp(path);
  auto blocks = blocks_of(file);
  ASSERT_EQ(blocks.size(), 1 + ifs.size() + packets.size() + ifs.size());

  // SHB: byte-order magic, version 1.0, section length -1, then shb_hardware, shb_os, shb_userappl.
  const Block& shb = blocks[0];
  EXPECT_EQ(shb.type, 0x0a0d0d0au);
  EXPECT_EQ(u32(shb.body, 0), 0x1a2b3c4du);
  EXPECT_EQ(u16(shb.body, 4), 1);
  EXPECT_EQ(u16(shb.body, 6), 0);
  EXPECT_EQ(shb.body.substr(8, 8), std::string(8, '\xff'));
  utsname un{};
  ASSERT_EQ(::uname(&un), 0);
  auto so = options_of(shb.body, 16);
  EXPECT_EQ(opt(so, 2), un.machine);
  EXPECT_EQ(opt(so, 3), fmt::format("{} {}", un.sysname, un.release));
  EXPECT_EQ(opt(so, 4), "writer test 1.0");

  // IDBs: LINKTYPE value, snaplen, if_name, if_description, if_tsresol 9, if_fcslen.
  const std::uint16_t linktypes[] = {1, 101, 113, 1};
  for (std::size_t i = 0; i < ifs.size(); ++i) {
    const Block& idb = blocks[1 + i];
    SCOPED_TRACE(fmt::format("IDB {}", i));
    EXPECT_EQ(idb.type, 1u);
    EXPECT_EQ(u16(idb.body, 0), linktypes[i]);
    EXPECT_EQ(u16(idb.body, 2), 0);
    EXPECT_EQ(u32(idb.body, 4), ifs[i].snaplen);
    auto io = options_of(idb.body, 8);
    EXPECT_EQ(opt(io, 2), ifs[i].name);
    EXPECT_EQ(opt(io, 3), ifs[i].description.empty() ? "<absent>" : ifs[i].description);
    EXPECT_EQ(opt(io, 9), std::string(1, '\x09'));
    EXPECT_EQ(opt(io, 13), ifs[i].fcs_len ? std::string(1, '\x04') : "<absent>");
  }

  // EPBs: interface, 64-bit ns timestamp, lengths, data padded to 4, then options.
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const Block& epb = blocks[1 + ifs.size() + i];
    const TestPacket& p = packets[i];
    SCOPED_TRACE(fmt::format("EPB {}", i + 1));
    EXPECT_EQ(epb.type, 6u);
    EXPECT_EQ(u32(epb.body, 0), p.header.interface);
    auto ts = static_cast<std::uint64_t>(p.header.ts.ns);
    EXPECT_EQ(u32(epb.body, 4), static_cast<std::uint32_t>(ts >> 32));
    EXPECT_EQ(u32(epb.body, 8), static_cast<std::uint32_t>(ts));
    EXPECT_EQ(u32(epb.body, 12), p.header.caplen);
    EXPECT_EQ(u32(epb.body, 16), p.header.origlen);
    std::size_t padded = (p.bytes.size() + 3) / 4 * 4;
    ASSERT_GE(epb.body.size(), 20 + padded);
    EXPECT_TRUE(std::ranges::equal(std::as_bytes(std::span(epb.body).subspan(20, p.bytes.size())),
                                   p.bytes));
    EXPECT_EQ(epb.body.substr(20 + p.bytes.size(), padded - p.bytes.size()),
              std::string(padded - p.bytes.size(), '\0'));
    auto eo = options_of(epb.body, 20 + padded);
    std::vector<std::string> comments;
    for (auto [it, end] = eo.equal_range(1); it != end; ++it) comments.push_back(it->second);
    EXPECT_EQ(comments, p.comments);
    std::string dir_field = direction_field(p.header);
    if (dir_field.empty()) {
      EXPECT_EQ(eo.count(2), 0u);
    } else {
      ASSERT_EQ(opt(eo, 2).size(), 4u);
      std::uint32_t flags = u32(opt(eo, 2), 0);
      EXPECT_EQ(flags & 3u, static_cast<std::uint32_t>(p.header.direction));
      EXPECT_EQ(flags & ~3u, p.header.has_flags ? (p.header.flags & ~3u) : 0u);
    }
    if (p.comments.empty() && dir_field.empty()) {
      EXPECT_EQ(epb.body.size(), 20 + padded);  // no options, not even opt_endofopt
    }
  }

  // ISBs: one per interface with start/end time (first/last packet) and the counters.
  for (std::size_t i = 0; i < ifs.size(); ++i) {
    const Block& isb = blocks[1 + ifs.size() + packets.size() + i];
    SCOPED_TRACE(fmt::format("ISB {}", i));
    EXPECT_EQ(isb.type, 5u);
    EXPECT_EQ(u32(isb.body, 0), i);
    auto io = options_of(isb.body, 12);
    auto split = [](std::int64_t ns) {
      auto v = static_cast<std::uint64_t>(ns);
      std::uint32_t w[2] = {static_cast<std::uint32_t>(v >> 32), static_cast<std::uint32_t>(v)};
      return std::string(reinterpret_cast<const char*>(w), 8);
    };
    auto u64 = [](std::uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); };
    EXPECT_EQ(opt(io, 2), split(packets.front().header.ts.ns));
    EXPECT_EQ(opt(io, 3), split(packets.back().header.ts.ns));
    EXPECT_EQ(opt(io, 4), u64(123456789012));
    EXPECT_EQ(opt(io, 5), u64(42));
  }
}

TEST(PcapngWriter, OurReaderReadsBackInterfacesPacketsAndComments) {
  TempDir dir;
  auto ifs = mixed_interfaces();
  auto packets = mixed_packets();
  for (bool ns : {false, true}) {
    SCOPED_TRACE(ns ? "ns" : "µs");
    WriterOptions o;
    o.nanosecond = ns;
    std::string path = write_pcapng(dir.file("back.pcapng"), ifs, packets, o);
    auto reader = SavefileReader::open(path);
    ASSERT_TRUE(reader) << reader.error().what();
    EXPECT_EQ((*reader)->info().format, pcapxx::SavefileFormat::pcapng);
    EXPECT_EQ((*reader)->info().user_application, "pcapxx");
    std::size_t i = 0;
    for (const pcapxx::PacketView& p : **reader) {
      ASSERT_LT(i, packets.size());
      const TestPacket& want = packets[i];
      SCOPED_TRACE(fmt::format("packet {}", i + 1));
      EXPECT_EQ(p.header.ts.ns, ns ? want.header.ts.ns : want.header.ts.ns / 1000 * 1000);
      EXPECT_EQ(p.header.caplen, want.header.caplen);
      EXPECT_EQ(p.header.origlen, want.header.origlen);
      EXPECT_EQ(p.header.interface, want.header.interface);
      EXPECT_EQ(p.header.direction, want.header.direction);
      EXPECT_TRUE(std::ranges::equal(p.data, want.bytes));
      auto po = pcapxx::parse_packet_options(p.options);
      ASSERT_TRUE(po) << po.error().what();
      std::vector<std::string> comments(po->comments.begin(), po->comments.end());
      EXPECT_EQ(comments, want.comments);
      ++i;
    }
    EXPECT_FALSE((*reader)->error()) << (*reader)->error()->what();
    EXPECT_EQ(i, packets.size());
    auto got = (*reader)->interfaces();
    ASSERT_EQ(got.size(), ifs.size());
    for (std::size_t k = 0; k < ifs.size(); ++k) {
      EXPECT_EQ(got[k].link_type, ifs[k].link_type) << k;
      EXPECT_EQ(got[k].snaplen, ifs[k].snaplen) << k;
      EXPECT_EQ(got[k].name, ifs[k].name) << k;
      EXPECT_EQ(got[k].description, ifs[k].description) << k;
      EXPECT_EQ(got[k].fcs_len, ifs[k].fcs_len) << k;
      EXPECT_EQ(got[k].ts_units_per_second, ns ? 1'000'000'000u : 1'000'000u) << k;
    }
  }
}

TEST(PcapngWriter, AddInterfaceWritesAnIdbThatLaterPacketsUse) {
  TempDir dir;
  std::string path = dir.file("added.pcapng");
  WriterOptions o;
  o.format = pcapxx::SavefileFormat::pcapng;
  auto w = SavefileWriter::open(path, {}, o);  // no interface yet: allowed in pcapng
  ASSERT_TRUE(w) << w.error().what();
  auto early = make_packet(60, kBase);
  auto ok = (*w)->write(early.view());
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("packet 1: interface 0 is unknown"), std::string::npos)
      << ok.error().message;
  pcapxx::InterfaceDescription sll;
  sll.link_type = pcapxx::dlt::kLinuxSll;
  sll.name = "any";
  auto first = (*w)->add_interface(ethernet());
  auto second = (*w)->add_interface(sll);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, 0u);
  EXPECT_EQ(*second, 1u);
  auto a = make_packet(60, kBase, 1), b = make_packet(70, kBase + 1000, 0);
  ASSERT_TRUE((*w)->write(a.view()));
  ASSERT_TRUE((*w)->write(b.view()));
  ASSERT_TRUE((*w)->close());
  expect_oracles_read(path);
  EXPECT_EQ(tshark_fields(path, {"frame.interface_id", "frame.interface_name", "frame.cap_len"}),
            (std::vector<std::string>{"1|any|60", "0|unknown|70"}));  // tshark's word for no if_name
}

TEST(PcapngWriter, RefusesWhatPcapngCannotHold) {
  TempDir dir;
  WriterOptions o;
  o.format = pcapxx::SavefileFormat::pcapng;
  auto w = SavefileWriter::open(dir.file("bad.pcapng"), std::vector{ethernet()}, o);
  ASSERT_TRUE(w);
  auto old = make_packet(60, -1);
  auto ok = (*w)->write(old.view());
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code, pcapxx::Errc::invalid_argument);
  EXPECT_NE(ok.error().message.find("before 1970"), std::string::npos) << ok.error().message;

  auto p = make_packet(60, kBase);
  std::string huge(70000, 'x');
  std::string_view comments[] = {huge};
  ok = (*w)->write(p.view(), comments);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("comment is 70000 bytes"), std::string::npos) << ok.error().message;

  auto too_big = make_packet(262145, kBase);
  ok = (*w)->write(too_big.view());
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("captured length 262145 is above the maximum 262144"),
            std::string::npos)
      << ok.error().message;
  // Nothing refused reached the file.
  ASSERT_TRUE((*w)->write(p.view()));
  ASSERT_TRUE((*w)->close());
  EXPECT_EQ(tshark_fields(dir.file("bad.pcapng"), {"frame.cap_len"}), std::vector<std::string>{"60"});
}

TEST(PcapngWriter, AppendAddsASectionToAPcapngFile) {
  TempDir dir;
  std::string path = dir.file("sections.pcapng");
  std::vector<pcapxx::InterfaceDescription> ifs{ethernet()};
  std::vector<TestPacket> first{make_packet(60, kBase), make_packet(61, kBase + 1000)};
  std::vector<TestPacket> second{make_packet(62, kBase + 2000)};
  write_pcapng(path, ifs, first, WriterOptions{});
  WriterOptions o;
  o.append = true;
  write_pcapng(path, ifs, second, o);
  expect_oracles_read(path);
  EXPECT_EQ(tshark_fields(path, {"frame.section_number", "frame.cap_len"}),
            (std::vector<std::string>{"1|60", "1|61", "2|62"}));
  // Our reader continues across the section boundary.
  auto reader = SavefileReader::open(path);
  ASSERT_TRUE(reader) << reader.error().what();
  std::vector<std::uint32_t> caplens;
  for (const auto& p : **reader) caplens.push_back(p.header.caplen);
  EXPECT_EQ(caplens, (std::vector<std::uint32_t>{60, 61, 62}));

  // A pcap file cannot take a pcapng section.
  std::string pcap = dir.file("plain.pcap");
  {
    auto w = SavefileWriter::open(pcap, ifs, WriterOptions{});
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->close());
  }
  o.format = pcapxx::SavefileFormat::pcapng;
  auto w = SavefileWriter::open(pcap, ifs, o);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::mismatch);
  EXPECT_NE(w.error().message.find("plain.pcap: cannot append a pcapng section"), std::string::npos)
      << w.error().message;
  EXPECT_EQ(slurp(pcap).size(), 24u);
}

}  // namespace
