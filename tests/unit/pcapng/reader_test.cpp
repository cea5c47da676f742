// The pcapng reader on files built byte by byte: every block type, every option we read,
// timestamps in every unit, sections in both byte orders, and files larger than the read buffer.
#include <filesystem>
#include <limits>

#include <gtest/gtest.h>

#include "pcapng_test_util.hpp"
#include "pcapxx/linktype.hpp"

namespace pcapxx::test {
namespace {

constexpr bool kLE = false;
constexpr bool kBE = true;

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> v;
  for (char c : s) v.push_back(static_cast<std::byte>(c));
  return v;
}

// An IDB with every option we read, and some we skip.
Bytes full_interface_options(bool be) {
  Bytes o(be);
  o.option(2, "eth0")
      .option(3, "the first Ethernet port")
      .option(4, std::vector<std::byte>(8, std::byte{1}))  // if_IPv4addr: skipped
      .option(11, bytes_of(std::string_view("\0tcp port 80", 12)))
      .option(12, "Linux 6.1")
      .option(15, "Intel 82574L")
      .option(9, std::vector<std::byte>{std::byte{9}})
      .option(14, o.value<std::int64_t>(-3600))
      .option(13, std::vector<std::byte>{std::byte{4}})
      .option(8, o.value<std::uint64_t>(10'000'000'000ULL))
      .option(1, "first comment")
      .option(0x8001, "custom, skipped")
      .option(1, "second comment")
      .end_of_options();
  return o;
}

TEST(PcapngReader, InterfaceDescriptionOptions) {
  for (bool be : {kLE, kBE}) {
    auto r = read_bytes(cat({shb(be), idb(be, 113, 65535, full_interface_options(be))}));
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.interfaces.size(), 1U);
    const auto& i = r.interfaces[0];
    EXPECT_EQ(i.link_type, dlt::kLinuxSll);
    EXPECT_EQ(i.snaplen, 65535U);
    EXPECT_EQ(i.name, "eth0");
    EXPECT_EQ(i.description, "the first Ethernet port");
    EXPECT_EQ(i.filter, "tcp port 80");
    EXPECT_EQ(i.os, "Linux 6.1");
    EXPECT_EQ(i.hardware, "Intel 82574L");
    EXPECT_EQ(i.ts_units_per_second, 1'000'000'000U);
    EXPECT_EQ(i.ts_offset_seconds, -3600);
    EXPECT_EQ(i.fcs_len, std::optional<std::uint8_t>(4));
    EXPECT_EQ(i.speed, std::optional<std::uint64_t>(10'000'000'000ULL));
    EXPECT_EQ(i.comments, (std::vector<std::string>{"first comment", "second comment"}));
  }
  // A BPF-program filter (type 1) is not a string; no options at all leaves the defaults.
  Bytes o(kLE);
  o.option(11, std::vector<std::byte>{std::byte{1}, std::byte{0x28}, std::byte{0}, std::byte{0}});
  auto r = read_bytes(cat({shb(kLE), idb(kLE, 1, 0, o), idb(kLE, 101, 0)}));
  ASSERT_EQ(r.interfaces.size(), 2U);
  EXPECT_EQ(r.interfaces[0].filter, "");
  EXPECT_EQ(r.interfaces[1].link_type, link_type_from_file(101));
  EXPECT_EQ(r.interfaces[1].ts_units_per_second, 1'000'000U);
  EXPECT_EQ(r.interfaces[1].ts_offset_seconds, 0);
  EXPECT_FALSE(r.interfaces[1].fcs_len);
  EXPECT_FALSE(r.interfaces[1].speed);
}

TEST(PcapngReader, SectionHeaderOptionsComeFromTheFirstSection) {
  Bytes o(kBE);
  o.option(2, "x86_64").option(3, "Linux").option(4, "pcapxx test").option(1, "one").option(1, "two");
  Bytes o2(kLE);
  o2.option(2, "other").option(1, "not the first section");
  auto r = read_bytes(cat({shb(kBE, 1, 0, o), shb(kLE, 1, 0, o2)}));
  ASSERT_FALSE(r.open_error) << r.open_error->message;
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.info.format, SavefileFormat::pcapng);
  EXPECT_EQ(r.info.version_major, 1);
  EXPECT_EQ(r.info.version_minor, 0);
  EXPECT_EQ(r.info.swapped, std::endian::native == std::endian::little);
  EXPECT_EQ(r.info.hardware, "x86_64");
  EXPECT_EQ(r.info.os, "Linux");
  EXPECT_EQ(r.info.user_application, "pcapxx test");
  EXPECT_EQ(r.info.comments, (std::vector<std::string>{"one", "two"}));
}

// One packet's timestamp for an interface with the given if_tsresol / if_tsoffset.
std::int64_t ts_ns(std::optional<std::uint8_t> tsresol, std::optional<std::int64_t> tsoffset,
                   std::uint64_t ticks) {
  Bytes o(kLE);
  if (tsresol) o.option(9, std::vector<std::byte>{std::byte{*tsresol}});
  if (tsoffset) o.option(14, o.value<std::int64_t>(*tsoffset));
  auto r = read_bytes(cat({shb(kLE), idb(kLE, 1, 0, o), epb(kLE, 0, ticks, payload(1), 1)}));
  EXPECT_FALSE(r.error) << r.error->message;
  EXPECT_EQ(r.packets.size(), 1U);
  return r.packets.empty() ? -1 : r.packets[0].header.ts.ns;
}

TEST(PcapngReader, TimestampsInEveryUnit) {
  constexpr std::int64_t kNs = 1'000'000'000;
  // Default microseconds.
  EXPECT_EQ(ts_ns(std::nullopt, std::nullopt, 1'340'954'905'298'858ULL), 1'340'954'905'298'858'000LL);
  // Nanoseconds, the largest count that fits, and one beyond read as signed.
  EXPECT_EQ(ts_ns(9, std::nullopt, 1'700'000'000'123'456'789ULL), 1'700'000'000'123'456'789LL);
  EXPECT_EQ(ts_ns(9, std::nullopt, 9'223'372'036'854'775'807ULL), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ts_ns(9, std::nullopt, 0xFFFFFFFFFFFFFFFFULL), -1);
  // Seconds (10^0), milliseconds, 2^-8 (tshark: 1519128000.195312500 for test902).
  EXPECT_EQ(ts_ns(0, std::nullopt, 1'500'000'000ULL), 1'500'000'000 * kNs);
  EXPECT_EQ(ts_ns(3, std::nullopt, 1'500'000'000'007ULL), 1'500'000'000 * kNs + 7'000'000);
  EXPECT_EQ(ts_ns(0x88, std::nullopt, 388'896'768'050ULL), 1'519'128'000'195'312'500LL);
  // 2^-1: half seconds; 2^-30 rounds down to the ns (1/2^30 s = 0.931 ns).
  EXPECT_EQ(ts_ns(0x81, std::nullopt, 3), 1'500'000'000);
  EXPECT_EQ(ts_ns(0x80 | 30, std::nullopt, (1ULL << 30) * 1000 + 3), 1000 * kNs + 2);
  // Picoseconds truncate to the ns; 10^19 units still convert without overflow.
  EXPECT_EQ(ts_ns(12, std::nullopt, 1'600'000'000'000'000'999ULL), 1'600'000'000'000'000LL);
  EXPECT_EQ(ts_ns(19, std::nullopt, 18'000'000'000'000'000'000ULL), 1'800'000'000);
  // if_tsoffset adds seconds, also negative ones.
  EXPECT_EQ(ts_ns(std::nullopt, 1'000'000'000, 5'000'000ULL), 1'000'000'005 * kNs);
  EXPECT_EQ(ts_ns(6, -10, 3'000'001ULL), -7 * kNs + 1000);
  // A count of seconds beyond 64-bit ns is read as signed; if that does not help it is clamped.
  EXPECT_EQ(ts_ns(0, std::nullopt, 0xFFFFFFFFFFFFFFFEULL), -2 * kNs);
  EXPECT_EQ(ts_ns(0, std::nullopt, 1ULL << 62), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(ts_ns(0, std::nullopt, 1ULL << 63), std::numeric_limits<std::int64_t>::min());
}

TEST(PcapngReader, EnhancedPacketBlockFields) {
  for (bool be : {kLE, kBE}) {
    Bytes in(be), out(be), bad(be), none(be);
    in.option(2, in.value<std::uint32_t>(0x01000001)).option(1, "hello");
    out.option(2, out.value<std::uint32_t>(0x0000000a));
    bad.option(2, bad.value<std::uint32_t>(3));
    auto r = read_bytes(cat({shb(be), idb(be, 1, 0), idb(be, 0, 0),
                             epb(be, 1, 77, payload(61, 3), 1500, in), epb(be, 0, 78, payload(3), 3, out),
                             epb(be, 0, 79, payload(0), 0, bad), epb(be, 1, 80, payload(7), 9)}));
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.packets.size(), 4U);
    const auto& a = r.packets[0].header;
    EXPECT_EQ(a.ts.ns, 77'000);
    EXPECT_EQ(a.caplen, 61U);
    EXPECT_EQ(a.origlen, 1500U);
    EXPECT_EQ(a.interface, 1U);
    EXPECT_TRUE(a.has_flags);
    EXPECT_EQ(a.flags, 0x01000001U);
    EXPECT_EQ(a.direction, Direction::inbound);
    EXPECT_EQ(r.packets[0].data, payload(61, 3));
    EXPECT_EQ(r.packets[0].options_swapped, be != (std::endian::native == std::endian::big));
    EXPECT_EQ(r.packets[0].options.size(), in.size());
    EXPECT_EQ(r.packets[1].header.direction, Direction::outbound);
    EXPECT_EQ(r.packets[1].header.flags, 0x0aU);
    EXPECT_EQ(r.packets[2].header.direction, Direction::unknown);  // 11 is not a direction
    EXPECT_TRUE(r.packets[2].header.has_flags);
    EXPECT_TRUE(r.packets[2].data.empty());
    EXPECT_FALSE(r.packets[3].header.has_flags);
    EXPECT_EQ(r.packets[3].header.direction, Direction::unknown);
    EXPECT_TRUE(r.packets[3].options.empty());
    EXPECT_EQ(r.packets[3].data, payload(7));
  }
}

TEST(PcapngReader, SimplePacketBlock) {
  for (bool be : {kLE, kBE}) {
    // caplen is the least of origlen, the room in the block and the interface's snaplen.
    auto r = read_bytes(cat({shb(be), idb(be, 1, 0), idb(be, 1, 0), spb(be, 100, payload(100)),
                             spb(be, 50, payload(52)), spb(be, 1000, payload(40)),
                             shb(be), idb(be, 1, 20), spb(be, 100, payload(100))}));
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.packets.size(), 4U);
    EXPECT_EQ(r.packets[0].header.caplen, 100U);
    EXPECT_EQ(r.packets[1].header.caplen, 50U);
    EXPECT_EQ(r.packets[1].header.origlen, 50U);
    EXPECT_EQ(r.packets[2].header.caplen, 40U);
    EXPECT_EQ(r.packets[2].header.origlen, 1000U);
    EXPECT_EQ(r.packets[3].header.caplen, 20U);
    EXPECT_EQ(r.packets[3].data, std::vector<std::byte>(payload(20)));
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(r.packets[i].header.interface, 0U);
    EXPECT_EQ(r.packets[3].header.interface, 2U);  // interface 0 of the second section
    for (const auto& p : r.packets) {
      EXPECT_EQ(p.header.ts.ns, 0);
      EXPECT_FALSE(p.header.has_flags);
      EXPECT_TRUE(p.options.empty());
    }
  }
}

TEST(PcapngReader, ObsoletePacketBlock) {
  for (bool be : {kLE, kBE}) {
    Bytes body(be);
    Bytes opts(be);
    opts.option(2, opts.value<std::uint32_t>(2)).option(1, "old");
    // interface 1 (16 bits), drops 0xFFFF, timestamp, caplen, len, data, options.
    body.u16(1).u16(0xFFFF).u32(0).u32(4'000'000).u32(5).u32(70).raw(payload(5)).pad().raw(opts.bytes());
    auto r = read_bytes(cat({shb(be), idb(be, 1, 0), idb(be, 0, 0), block(be, 2, body)}));
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.packets.size(), 1U);
    const auto& p = r.packets[0];
    EXPECT_EQ(p.header.interface, 1U);
    EXPECT_EQ(p.header.ts.ns, 4'000'000'000);
    EXPECT_EQ(p.header.caplen, 5U);
    EXPECT_EQ(p.header.origlen, 70U);
    EXPECT_EQ(p.header.direction, Direction::outbound);
    EXPECT_EQ(p.data, payload(5));
    auto parsed = parse_packet_options(RawOptions{p.options, p.options_swapped});
    ASSERT_TRUE(parsed) << parsed.error().message;
    ASSERT_EQ(parsed->comments.size(), 1U);
    EXPECT_EQ(parsed->comments[0], "old");
  }
}

TEST(PcapngReader, OtherBlocksAreSkipped) {
  for (bool be : {kLE, kBE}) {
    Bytes nrb(be), isb(be), dsb(be), custom(be), unknown(be);
    nrb.u16(1).u16(8).raw(std::vector<std::byte>(4, std::byte{10})).raw("host").u16(0).u16(0);
    isb.u32(0).u32(0).u32(5).option(4, isb.value<std::uint64_t>(12)).end_of_options();
    dsb.u32(0x544c534b).u32(5).raw("keys!").pad();
    custom.u32(32473).raw("private data");
    unknown.raw("whatever this is");
    auto r = read_bytes(cat({shb(be), block(be, 0xBAD, custom), idb(be, 1, 0),
                             block(be, 4, nrb), epb(be, 0, 1, payload(10), 10), block(be, 5, isb),
                             block(be, 0x0A, dsb), block(be, 0x40000BAD, custom),
                             block(be, 0x12345678, unknown), block(be, 0x80000001, Bytes(be)),
                             epb(be, 0, 2, payload(11), 11)}));
    ASSERT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.packets.size(), 2U);
    EXPECT_EQ(r.packets[0].data, payload(10));
    EXPECT_EQ(r.packets[1].data, payload(11));
    EXPECT_EQ(r.interfaces.size(), 1U);
  }
}

TEST(PcapngReader, SectionsWithTheirOwnByteOrderAndInterfaces) {
  auto file = cat({shb(kLE), idb(kLE, 1, 0), idb(kLE, 0, 0), epb(kLE, 1, 1, payload(4, 1), 4),
                   shb(kBE), idb(kBE, 101, 0), epb(kBE, 0, 2, payload(4, 2), 4),
                   shb(kLE), idb(kLE, 113, 0), idb(kLE, 1, 0), epb(kLE, 1, 3, payload(4, 3), 4),
                   epb(kLE, 0, 4, payload(4, 4), 4)});
  auto r = read_bytes(file);
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.interfaces.size(), 5U);
  EXPECT_EQ(r.interfaces[0].link_type, dlt::kEn10Mb);
  EXPECT_EQ(r.interfaces[1].link_type, dlt::kNull);
  EXPECT_EQ(r.interfaces[2].link_type, link_type_from_file(101));
  EXPECT_EQ(r.interfaces[3].link_type, dlt::kLinuxSll);
  EXPECT_EQ(r.interfaces[4].link_type, dlt::kEn10Mb);
  ASSERT_EQ(r.packets.size(), 4U);
  std::vector<std::uint32_t> want_if = {1, 2, 4, 3};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.packets[i].header.interface, want_if[i]) << "packet " << i;
    EXPECT_EQ(r.packets[i].header.ts.ns, static_cast<std::int64_t>(i + 1) * 1000);
    EXPECT_EQ(r.packets[i].data, payload(4, static_cast<unsigned>(i + 1)));
  }
  EXPECT_EQ(r.packets[1].options_swapped, std::endian::native == std::endian::little);
  EXPECT_EQ(r.info.swapped, std::endian::native == std::endian::big);
}

TEST(PcapngReader, BigEndianAndLittleEndianGiveTheSamePackets) {
  auto build = [](bool be) {
    Bytes o(be);
    o.option(1, "c").option(2, o.value<std::uint32_t>(1)).option(4, o.value<std::uint64_t>(9));
    Bytes io(be);
    io.option(9, std::vector<std::byte>{std::byte{9}}).option(2, "if");
    return cat({shb(be), idb(be, 1, 96, io), epb(be, 0, 0x123456789ULL, payload(90), 200, o),
                spb(be, 30, payload(30, 1)), epb(be, 0, 7, payload(1, 2), 1)});
  };
  auto le = read_bytes(build(kLE));
  auto be = read_bytes(build(kBE));
  ASSERT_FALSE(le.error) << le.error->message;
  ASSERT_FALSE(be.error) << be.error->message;
  ASSERT_EQ(le.packets.size(), 3U);
  ASSERT_EQ(be.packets.size(), 3U);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& a = le.packets[i];
    const auto& b = be.packets[i];
    EXPECT_EQ(a.header.ts.ns, b.header.ts.ns);
    EXPECT_EQ(a.header.caplen, b.header.caplen);
    EXPECT_EQ(a.header.origlen, b.header.origlen);
    EXPECT_EQ(a.header.interface, b.header.interface);
    EXPECT_EQ(a.header.flags, b.header.flags);
    EXPECT_EQ(a.header.direction, b.header.direction);
    EXPECT_EQ(a.data, b.data);
    EXPECT_NE(a.options_swapped, b.options_swapped);
    auto pa = parse_packet_options(RawOptions{a.options, a.options_swapped});
    auto pb = parse_packet_options(RawOptions{b.options, b.options_swapped});
    ASSERT_TRUE(pa && pb);
    EXPECT_EQ(pa->comments, pb->comments);
    EXPECT_EQ(pa->flags, pb->flags);
    EXPECT_EQ(pa->dropcount, pb->dropcount);
  }
  EXPECT_EQ(le.packets[0].header.ts.ns, 0x123456789LL);
  EXPECT_EQ(le.interfaces[0].name, be.interfaces[0].name);
  EXPECT_EQ(le.interfaces[0].ts_units_per_second, be.interfaces[0].ts_units_per_second);
}

// The conformance set comes in both byte orders: each pair must read the same.
TEST(PcapngReader, SampleFilesInBothByteOrdersAgree) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(PCAPXX_SHARED_CAPTURES) / "gopacket";
  std::size_t pairs = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (!name.starts_with("pcapgo_tests_le_") || !name.ends_with(".pcapng")) continue;
    fs::path other = dir / ("pcapgo_tests_be_" + name.substr(16));
    if (!fs::exists(other)) continue;
    SCOPED_TRACE(name);
    ++pairs;
    auto le = read_all(e.path().string());
    auto be = read_all(other.string());
    ASSERT_EQ(le.open_error.has_value(), be.open_error.has_value());
    ASSERT_EQ(le.error.has_value(), be.error.has_value());
    if (le.error) {
      EXPECT_EQ(le.error->offset, be.error->offset);
    }
    EXPECT_NE(le.info.swapped, be.info.swapped);
    EXPECT_EQ(le.info.comments, be.info.comments);
    ASSERT_EQ(le.interfaces.size(), be.interfaces.size());
    for (std::size_t i = 0; i < le.interfaces.size(); ++i) {
      EXPECT_EQ(le.interfaces[i].link_type, be.interfaces[i].link_type);
      EXPECT_EQ(le.interfaces[i].name, be.interfaces[i].name);
      EXPECT_EQ(le.interfaces[i].snaplen, be.interfaces[i].snaplen);
      EXPECT_EQ(le.interfaces[i].ts_units_per_second, be.interfaces[i].ts_units_per_second);
      EXPECT_EQ(le.interfaces[i].speed, be.interfaces[i].speed);
    }
    ASSERT_EQ(le.packets.size(), be.packets.size());
    for (std::size_t i = 0; i < le.packets.size(); ++i) {
      EXPECT_EQ(le.packets[i].header.ts.ns, be.packets[i].header.ts.ns);
      EXPECT_EQ(le.packets[i].header.caplen, be.packets[i].header.caplen);
      EXPECT_EQ(le.packets[i].header.origlen, be.packets[i].header.origlen);
      EXPECT_EQ(le.packets[i].header.interface, be.packets[i].header.interface);
      EXPECT_EQ(le.packets[i].header.flags, be.packets[i].header.flags);
      EXPECT_EQ(le.packets[i].data, be.packets[i].data);
      auto pa = parse_packet_options(RawOptions{le.packets[i].options, le.packets[i].options_swapped});
      auto pb = parse_packet_options(RawOptions{be.packets[i].options, be.packets[i].options_swapped});
      ASSERT_TRUE(pa && pb);
      EXPECT_EQ(pa->comments, pb->comments);
      EXPECT_EQ(pa->packet_id, pb->packet_id);
      EXPECT_EQ(pa->dropcount, pb->dropcount);
    }
  }
  EXPECT_GE(pairs, 25U);
}

TEST(PcapngReader, FilesLargerThanTheReadBuffer) {
  // 3000 packets of ~1000 bytes (3 MB, three read chunks) with skipped blocks between them,
  // and one 3 MiB packet that needs the buffer to grow.
  std::vector<std::byte> file = cat({shb(kBE), idb(kBE, 1, 0)});
  Bytes custom(kBE);
  custom.u32(1).raw("filler");
  auto skipped = block(kBE, 0xBAD, custom);
  for (unsigned i = 0; i < 3000; ++i) {
    auto e = epb(kBE, 0, i, payload(900 + i % 200, i), 2000);
    file.insert(file.end(), e.begin(), e.end());
    if (i % 7 == 0) file.insert(file.end(), skipped.begin(), skipped.end());
    if (i == 1500) {
      auto big = epb(kBE, 0, i, payload(3 << 20, 7), 3 << 20);
      file.insert(file.end(), big.begin(), big.end());
    }
  }
  auto r = read_bytes(file);
  ASSERT_FALSE(r.error) << r.error->message;
  ASSERT_EQ(r.packets.size(), 3001U);
  EXPECT_GT(r.batches, 3U);
  std::size_t k = 0;
  for (unsigned i = 0; i < 3000; ++i, ++k) {
    ASSERT_EQ(r.packets[k].data, payload(900 + i % 200, i)) << "packet " << k;
    ASSERT_EQ(r.packets[k].header.ts.ns, static_cast<std::int64_t>(i) * 1000);
    if (i == 1500) {
      ++k;
      ASSERT_EQ(r.packets[k].data, payload(3 << 20, 7));
    }
  }
}

TEST(PcapngPacketOptions, EveryOption) {
  for (bool be : {kLE, kBE}) {
    Bytes o(be);
    std::vector<std::byte> hash = {std::byte{2}, std::byte{0xde}, std::byte{0xad}, std::byte{0xbe},
                                   std::byte{0xef}};
    o.option(1, "first")
        .option(2, o.value<std::uint32_t>(0x00000012))
        .option(3, hash)
        .option(4, o.value<std::uint64_t>(42))
        .option(5, o.value<std::uint64_t>(0xABCDEF0123ULL))
        .option(6, o.value<std::uint32_t>(3))
        .option(7, std::vector<std::byte>{std::byte{1}, std::byte{9}})
        .option(1, "second")
        .option(0x4242, "unknown")
        .end_of_options()
        .option(1, "after the end");
    bool swapped = be != (std::endian::native == std::endian::big);
    auto p = parse_packet_options(RawOptions{o.bytes(), swapped});
    ASSERT_TRUE(p) << p.error().message;
    ASSERT_EQ(p->comments.size(), 2U);
    EXPECT_EQ(p->comments[0], "first");
    EXPECT_EQ(p->comments[1], "second");
    EXPECT_EQ(p->flags, std::optional<std::uint32_t>(0x12));
    ASSERT_EQ(p->hashes.size(), 1U);
    EXPECT_TRUE(std::equal(p->hashes[0].begin(), p->hashes[0].end(), hash.begin(), hash.end()));
    EXPECT_EQ(p->dropcount, std::optional<std::uint64_t>(42));
    EXPECT_EQ(p->packet_id, std::optional<std::uint64_t>(0xABCDEF0123ULL));
    EXPECT_EQ(p->queue, std::optional<std::uint32_t>(3));
    ASSERT_EQ(p->verdicts.size(), 1U);
    EXPECT_EQ(p->verdicts[0].size(), 2U);
    EXPECT_EQ(p->verdicts[0][1], std::byte{9});
  }
  auto empty = parse_packet_options(RawOptions{});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->comments.empty());
  EXPECT_FALSE(empty->flags);
}

TEST(PcapngPacketOptions, MalformedOptions) {
  Bytes over(kLE);
  over.option(1, "ok").u16(1).u16(40).raw("short");
  auto p = parse_packet_options(RawOptions{over.bytes(), false});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "packet options: option 1 at offset 8 has length 40 (40 with padding), which overruns "
            "the block: only 5 bytes are left for it");
  Bytes wrong(kBE);
  wrong.option(5, wrong.value<std::uint32_t>(1));
  p = parse_packet_options(RawOptions{wrong.bytes(), std::endian::native == std::endian::little});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "packet options: option epb_packetid at byte 0 has length 4, expected 8");
  Bytes stray(kLE);
  stray.option(1, "x").u8(1).u8(0);
  p = parse_packet_options(RawOptions{stray.bytes(), false});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message,
            "packet options: option area has 2 bytes at offset 8 after its last option, too few "
            "for an option header of 4");
}

}  // namespace
}  // namespace pcapxx::test
