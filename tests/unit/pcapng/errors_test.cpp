// Malformed pcapng files built byte by byte: each must give its own error, naming the file and
// the offset (in Error::offset and in the message), after delivering the packets before it.
#include <cstring>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "pcapng_test_util.hpp"

namespace pcapxx::test {
namespace {

constexpr bool kLE = false;
constexpr bool kBE = true;

// The error a read ended with, whether at open or later.
const Error& error_of(const ReadOutcome& r) {
  static const Error none{Errc::io, "(no error)", std::nullopt, std::nullopt, 0};
  if (r.open_error) return *r.open_error;
  if (r.error) return *r.error;
  return none;
}

void expect_error(const ReadOutcome& r, Errc code, std::uint64_t offset, const std::string& text) {
  const Error& e = error_of(r);
  EXPECT_EQ(e.message, r.name + ": " + text);
  EXPECT_EQ(e.code, code);
  ASSERT_TRUE(e.offset.has_value()) << e.message;
  EXPECT_EQ(*e.offset, offset);
}

// A section with one Ethernet interface and one 60-byte packet: 28 + 20 + 92 bytes.
std::vector<std::byte> good_start(bool be) {
  return cat({shb(be), idb(be, 1, 0), epb(be, 0, 1'000'000, payload(60), 60)});
}

std::vector<std::byte> with_length(std::vector<std::byte> block, bool be, std::uint32_t leading,
                                   std::uint32_t trailing) {
  Bytes l(be), t(be);
  l.u32(leading);
  t.u32(trailing);
  std::copy(l.bytes().begin(), l.bytes().end(), block.begin() + 4);
  std::copy(t.bytes().begin(), t.bytes().end(), block.end() - 4);
  return block;
}

TEST(PcapngErrors, TotalLengthNotAMultipleOf4) {
  for (bool be : {kLE, kBE}) {
    auto start = good_start(be);
    auto bad = with_length(epb(be, 0, 2, payload(60), 60), be, 94, 94);
    auto r = read_bytes(cat({start, bad}));
    ASSERT_EQ(r.packets.size(), 1U);
    expect_error(r, Errc::format, start.size(),
                 "block at offset 140: total length 94 of an Enhanced Packet Block is not a "
                 "multiple of 4");
  }
}

TEST(PcapngErrors, TotalLengthBelowTheMinimumForTheType) {
  auto start = good_start(kLE);
  struct Case {
    std::uint32_t type;
    std::size_t body;
    std::string text;
  };
  std::vector<Case> cases = {
      {6, 16, "total length 28 is smaller than the minimum 32 for an Enhanced Packet Block"},
      {2, 4, "total length 16 is smaller than the minimum 32 for a Packet Block"},
      {3, 0, "total length 12 is smaller than the minimum 16 for a Simple Packet Block"},
      {1, 4, "total length 16 is smaller than the minimum 20 for an Interface Description Block"},
  };
  for (const auto& c : cases) {
    Bytes body(kLE);
    for (std::size_t i = 0; i < c.body; ++i) body.u8(0);
    auto r = read_bytes(cat({start, block(kLE, c.type, body)}));
    EXPECT_EQ(r.packets.size(), 1U);
    expect_error(r, Errc::format, 140, "block at offset 140: " + c.text);
  }
  // Any block needs 12 bytes: type, length, trailing length.
  auto r = read_bytes(cat({start, with_length(block(kLE, 0x4242, Bytes(kLE).u32(0)), kLE, 8, 8)}));
  expect_error(r, Errc::format, 140,
               "block at offset 140: total length 8 is smaller than the minimum 12 for a block "
               "of type 0x00004242");
  // The first SHB: refused at open.
  auto shb_short = with_length(shb(kBE), kBE, 24, 24);
  shb_short.erase(shb_short.begin() + 20, shb_short.begin() + 24);
  r = read_bytes(shb_short);
  expect_error(r, Errc::format, 0,
               "block at offset 0: total length 24 is smaller than the minimum 28 for a Section "
               "Header Block");
}

TEST(PcapngErrors, TrailingLengthDisagrees) {
  for (bool be : {kLE, kBE}) {
    auto start = good_start(be);
    auto bad = epb(be, 0, 2, payload(60), 60);
    bad = with_length(bad, be, static_cast<std::uint32_t>(bad.size()), 96);
    auto r = read_bytes(cat({start, bad}));
    EXPECT_EQ(r.packets.size(), 1U);
    expect_error(r, Errc::format, 140,
                 "block at offset 140: Enhanced Packet Block: trailing total length 96 disagrees "
                 "with the leading total length 92");
  }
}

TEST(PcapngErrors, OptionOverrunningItsBlock) {
  // IDB: a name option claiming 100 bytes where 8 are left after its header.
  Bytes opts(kLE);
  opts.u16(2).u16(100).raw("eth0eth1");
  auto r = read_bytes(cat({shb(kLE), idb(kLE, 1, 0, opts)}));
  expect_error(r, Errc::format, 44,
               "block at offset 28: Interface Description Block option 2 at offset 44 has length "
               "100 (100 with padding), which overruns the block: only 8 bytes are left for it");

  // EPB: a comment whose padding does not fit (length 5 needs 8 bytes, 4 are left).
  Bytes popts(kBE);
  popts.u16(1).u16(5).raw("abcd");
  auto start = good_start(kBE);
  r = read_bytes(cat({start, epb(kBE, 0, 5, payload(10), 10, popts)}));
  EXPECT_EQ(r.packets.size(), 1U);
  // EPB at 140: fixed part 28 bytes, 10 data bytes padded to 12: options at 180.
  expect_error(r, Errc::format, 180,
               "block at offset 140: Enhanced Packet Block option 1 at offset 180 has length 5 "
               "(8 with padding), which overruns the block: only 4 bytes are left for it");

  // SHB: refused at open.
  Bytes sopts(kLE);
  sopts.u16(4).u16(9).raw("pcapxx!!");
  r = read_bytes(shb(kLE, 1, 0, sopts));
  expect_error(r, Errc::format, 24,
               "block at offset 0: Section Header Block option 4 at offset 24 has length 9 (12 "
               "with padding), which overruns the block: only 8 bytes are left for it");
}

TEST(PcapngErrors, FixedSizeOptionsWithTheWrongLength) {
  Bytes opts(kLE);
  opts.option(9, std::vector<std::byte>{std::byte{6}, std::byte{0}});  // if_tsresol is 1 byte
  auto r = read_bytes(cat({shb(kLE), idb(kLE, 1, 0, opts)}));
  expect_error(r, Errc::format, 44,
               "block at offset 28: Interface Description Block option if_tsresol at offset 44 "
               "has length 2, expected 1");

  Bytes popts(kLE);
  popts.option(2, popts.value<std::uint16_t>(1));  // epb_flags is 4 bytes
  auto start = good_start(kLE);
  r = read_bytes(cat({start, epb(kLE, 0, 5, payload(8), 8, popts)}));
  expect_error(r, Errc::format, 176,
               "block at offset 140: Enhanced Packet Block option epb_flags at offset 176 has "
               "length 2, expected 4");
}

TEST(PcapngErrors, TimestampResolutionBeyond64Bits) {
  struct Case {
    std::uint8_t tsresol;
    std::string text;
  };
  for (const auto& c : {Case{20, "10^-20"}, Case{0x80 | 64, "2^-64"}, Case{0x7f, "10^-127"}}) {
    Bytes opts(kBE);
    opts.option(9, std::vector<std::byte>{std::byte{c.tsresol}});
    auto r = read_bytes(cat({shb(kBE), idb(kBE, 1, 0, opts)}));
    expect_error(r, Errc::format, 44,
                 "block at offset 28: Interface Description Block option if_tsresol at offset 44: "
                 "resolution " + c.text + " s needs more units per second than 64 bits hold");
  }
  // The largest that fit are read.
  for (std::uint8_t ok : {std::uint8_t{19}, std::uint8_t{0x80 | 63}}) {
    Bytes opts(kBE);
    opts.option(9, std::vector<std::byte>{std::byte{ok}});
    auto r = read_bytes(cat({shb(kBE), idb(kBE, 1, 0, opts)}));
    EXPECT_FALSE(r.error) << r.error->message;
    ASSERT_EQ(r.interfaces.size(), 1U);
    EXPECT_EQ(r.interfaces[0].ts_units_per_second,
              ok == 19 ? 10'000'000'000'000'000'000ULL : 1ULL << 63);
  }
}

TEST(PcapngErrors, PacketNamingAnInterfaceTheSectionDoesNotHave) {
  auto start = good_start(kLE);
  auto r = read_bytes(cat({start, epb(kLE, 2, 0, payload(4), 4)}));
  EXPECT_EQ(r.packets.size(), 1U);
  expect_error(r, Errc::format, 140,
               "block at offset 140: Enhanced Packet Block: names interface 2, but the section "
               "has 1 interface (0)");

  r = read_bytes(cat({shb(kBE), idb(kBE, 1, 0), idb(kBE, 0, 0), epb(kBE, 7, 0, payload(4), 4)}));
  expect_error(r, Errc::format, 68,
               "block at offset 68: Enhanced Packet Block: names interface 7, but the section "
               "has 2 interfaces (0-1)");

  r = read_bytes(cat({shb(kLE), spb(kLE, 4, payload(4))}));
  expect_error(r, Errc::format, 28,
               "block at offset 28: Simple Packet Block: names interface 0, but the section has "
               "no interfaces");

  // A new section forgets the old one's interfaces, though the file's list keeps them.
  r = read_bytes(cat({start, shb(kBE), idb(kBE, 1, 0), epb(kBE, 1, 0, payload(4), 4)}));
  EXPECT_EQ(r.packets.size(), 1U);
  EXPECT_EQ(r.interfaces.size(), 2U);
  expect_error(r, Errc::format, 188,
               "block at offset 188: Enhanced Packet Block: names interface 1, but the section "
               "has 1 interface (0)");
}

TEST(PcapngErrors, CapturedLengthLargerThanTheBlock) {
  auto start = good_start(kBE);
  auto bad = epb(kBE, 0, 0, payload(64), 64);
  Bytes caplen(kBE);
  caplen.u32(65);
  std::copy(caplen.bytes().begin(), caplen.bytes().end(), bad.begin() + 20);
  auto r = read_bytes(cat({start, bad}));
  EXPECT_EQ(r.packets.size(), 1U);
  expect_error(r, Errc::format, 140,
               "block at offset 140: Enhanced Packet Block: captured length 65 is larger than "
               "the 64 bytes the block has for packet data");
}

TEST(PcapngErrors, TruncatedLastBlock) {
  for (bool be : {kLE, kBE}) {
    auto file = cat({good_start(be), epb(be, 0, 2, payload(60, 1), 60)});
    auto last = epb(be, 0, 3, payload(60, 2), 60);
    file.insert(file.end(), last.begin(), last.begin() + 50);
    auto r = read_bytes(file);
    ASSERT_EQ(r.packets.size(), 2U);
    EXPECT_EQ(r.packets[1].data, payload(60, 1));
    expect_error(r, Errc::truncated, 232,
                 "block at offset 232: truncated Enhanced Packet Block: its header says 92 "
                 "bytes, the file ends after 50");
  }
  // The file ends inside the next block's first 12 bytes.
  auto file = good_start(kLE);
  for (int i = 0; i < 5; ++i) file.push_back(std::byte{6});
  auto r = read_bytes(file);
  EXPECT_EQ(r.packets.size(), 1U);
  expect_error(r, Errc::truncated, 140,
               "block at offset 140: truncated block header: the file ends after 5 of 12 bytes");
  // The first SHB itself.
  auto head = shb(kLE);
  head.resize(20);
  r = read_bytes(head);
  expect_error(r, Errc::truncated, 0,
               "block at offset 0: truncated Section Header Block: its header says 28 bytes, the "
               "file ends after 20");
}

TEST(PcapngErrors, BlockAbove16MiBIsRefusedNotRead) {
  // Only the first 12 bytes of the big block exist: the length alone must stop the reader.
  auto start = good_start(kBE);
  Bytes big(kBE);
  big.u32(6).u32(16 * 1024 * 1024 + 4).u32(0);
  auto r = read_bytes(cat({start, big.bytes()}));
  EXPECT_EQ(r.packets.size(), 1U);
  expect_error(r, Errc::format, 140,
               "block at offset 140: total length 16777220 of an Enhanced Packet Block is above "
               "the limit of 16777216 bytes");
  Bytes huge(kLE);
  huge.u32(0x0A0D0D0A).u32(0xFFFFFFFC).u32(0x1A2B3C4D);
  r = read_bytes(huge.bytes());
  expect_error(r, Errc::format, 0,
               "block at offset 0: total length 4294967292 of a Section Header Block is above the "
               "limit of 16777216 bytes");
}

TEST(PcapngErrors, UnsupportedVersion) {
  auto r = read_bytes(shb(kLE, 2, 0));
  expect_error(r, Errc::unsupported, 0, "block at offset 0: unsupported pcapng savefile version 2.0");
  r = read_bytes(shb(kBE, 1, 2));
  expect_error(r, Errc::unsupported, 0, "block at offset 0: unsupported pcapng savefile version 1.2");
  // A later section: the first section's packets come first.
  auto start = good_start(kLE);
  r = read_bytes(cat({start, shb(kBE, 0, 1), idb(kBE, 1, 0)}));
  EXPECT_EQ(r.packets.size(), 1U);
  expect_error(r, Errc::unsupported, 140,
               "block at offset 140: unsupported pcapng savefile version 0.1");
}

TEST(PcapngErrors, BadByteOrderMagic) {
  auto file = cat({good_start(kLE), shb(kLE)});
  file[140 + 8] = std::byte{0x11};
  auto r = read_bytes(file);
  EXPECT_EQ(r.packets.size(), 1U);
  expect_error(r, Errc::format, 140,
               "block at offset 140: Section Header Block byte-order magic 0x113c2b1a is neither "
               "0x1a2b3c4d nor 0x4d3c2b1a");
}

TEST(PcapngErrors, ErrorAfterPacketsEndsTheBatchAndTheNextCallReportsIt) {
  auto file = cat({good_start(kLE), epb(kLE, 0, 9, payload(8), 8), epb(kLE, 5, 9, payload(8), 8)});
  TempFile f(file);
  auto reader = SavefileReader::open(f.path());
  ASSERT_TRUE(reader) << reader.error().message;
  auto first = (*reader)->next_batch();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->status, BatchStatus::packets);
  EXPECT_EQ(first->packets.size(), 2U);
  auto second = (*reader)->next_batch();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().offset, 140U + 40U);
  EXPECT_NE(second.error().message.find("names interface 5"), std::string::npos);
}

// A real multi-section file cut at every 4-byte boundary: the packets of every whole block come
// out, then a truncation error at the cut block's offset (none when the cut is between blocks).
TEST(PcapngErrors, RealFileCutAnywhere) {
  std::string path = std::string(PCAPXX_SHARED_CAPTURES) + "/gopacket/pcapgo_tests_le_test202.pcapng";
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(chars.size(), 2000U) << path;
  std::vector<std::byte> whole(chars.size());
  std::memcpy(whole.data(), chars.data(), chars.size());
  bool be = false;  // its middle section is big-endian
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t(chars[at + (be ? 3 - i : i)] & 0xff) << (8 * i);
    return v;
  };
  struct Block {
    std::size_t start, length;
    bool packet;
  };
  std::vector<Block> blocks;
  for (std::size_t off = 0; off < whole.size(); off += blocks.back().length) {
    std::uint32_t type = u32(off);
    if (type == 0x0A0D0D0A) be = chars[off + 8] == 0x1a;
    blocks.push_back({off, u32(off + 4), type == 2 || type == 3 || type == 6});
  }
  std::size_t packets_total = 0;
  for (const auto& b : blocks) packets_total += b.packet;
  ASSERT_EQ(packets_total, 8U);

  for (std::size_t cut = blocks[0].length; cut <= whole.size(); cut += 4) {
    SCOPED_TRACE(cut);
    std::vector<std::byte> part(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(cut));
    auto r = read_bytes(part);
    ASSERT_FALSE(r.open_error) << r.open_error->message;
    std::size_t want_packets = 0;
    const Block* cut_block = nullptr;
    for (const auto& b : blocks) {
      if (b.start + b.length <= cut) want_packets += b.packet;
      else if (b.start < cut) cut_block = &b;
    }
    EXPECT_EQ(r.packets.size(), want_packets);
    if (cut_block == nullptr) {
      EXPECT_FALSE(r.error) << r.error->message;
      continue;
    }
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code, Errc::truncated);
    EXPECT_EQ(r.error->offset, cut_block->start);
    std::size_t have = cut - cut_block->start;
    std::string head = r.name + ": block at offset " + std::to_string(cut_block->start) + ": truncated ";
    if (have < 12)
      EXPECT_EQ(r.error->message,
                head + "block header: the file ends after " + std::to_string(have) + " of 12 bytes");
    else
      EXPECT_TRUE(r.error->message.starts_with(head) &&
                  r.error->message.ends_with(": its header says " + std::to_string(cut_block->length) +
                                             " bytes, the file ends after " + std::to_string(have)))
          << r.error->message;
  }
}

}  // namespace
}  // namespace pcapxx::test
