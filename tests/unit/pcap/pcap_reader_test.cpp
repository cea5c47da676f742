// The pcap reader on hand-built files: every header variant, and every way a file can be bad.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pcapxx/savefile.hpp"

namespace pcapxx {
namespace {

/// Builds pcap bytes in either byte order.
class PcapBuilder {
 public:
  PcapBuilder(std::uint32_t magic, bool swap, std::uint16_t major = 2, std::uint16_t minor = 4,
              std::uint32_t snaplen = 65535, std::uint32_t linktype = 1)
      : swap_(swap) {
    u32(magic);
    u16(major);
    u16(minor);
    u32(0);
    u32(0);
    u32(snaplen);
    u32(linktype);
  }
  PcapBuilder& record(std::uint32_t sec, std::uint32_t frac, std::uint32_t caplen, std::uint32_t len,
                      std::size_t data_bytes, std::uint8_t fill = 0xab, bool modified = false,
                      std::uint8_t pkt_type = 0) {
    u32(sec);
    u32(frac);
    u32(caplen);
    u32(len);
    if (modified) {
      u32(7);
      u16(0x0800);
      bytes_.push_back(static_cast<char>(pkt_type));
      bytes_.push_back(0);
    }
    for (std::size_t i = 0; i < data_bytes; ++i) bytes_.push_back(static_cast<char>(fill + i));
    return *this;
  }
  std::string bytes() const { return bytes_; }

 private:
  void u32(std::uint32_t v) {
    if (swap_) v = std::byteswap(v);
    bytes_.append(reinterpret_cast<const char*>(&v), 4);
  }
  void u16(std::uint16_t v) {
    if (swap_) v = std::byteswap(v);
    bytes_.append(reinterpret_cast<const char*>(&v), 2);
  }
  bool swap_;
  std::string bytes_;
};

std::filesystem::path write_temp(const std::string& bytes) {
  static int n = 0;
  auto p = std::filesystem::temp_directory_path() /
           ("pcapxx-pcap-test-" + std::to_string(getpid()) + "-" + std::to_string(n++) + ".pcap");
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

struct ReadAll {
  std::vector<PacketHeader> headers;
  std::vector<std::vector<std::byte>> data;
  std::optional<Error> error;
  SavefileInfo info;
  std::vector<InterfaceDescription> interfaces;
};

ReadAll read_bytes(const std::string& bytes) {
  ReadAll r;
  auto path = write_temp(bytes);
  auto reader = SavefileReader::open(path.string());
  std::filesystem::remove(path);
  if (!reader) {
    r.error = reader.error();
    return r;
  }
  r.info = (*reader)->info();
  r.interfaces.assign((*reader)->interfaces().begin(), (*reader)->interfaces().end());
  for (const PacketView& p : **reader) {
    r.headers.push_back(p.header);
    r.data.emplace_back(p.data.begin(), p.data.end());
  }
  r.error = (*reader)->error();
  return r;
}

TEST(PcapReader, MicrosecondBothByteOrders) {
  for (bool swap : {false, true}) {
    auto f = PcapBuilder(0xa1b2c3d4, swap).record(1000, 999999, 60, 60, 60).record(1001, 5, 10, 1514, 10);
    auto r = read_bytes(f.bytes());
    ASSERT_FALSE(r.error) << r.error->what();
    EXPECT_EQ(r.info.swapped, swap);
    EXPECT_FALSE(r.info.nanosecond);
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0].ts.ns, 1000'999'999'000LL);
    EXPECT_EQ(r.headers[1].ts.ns, 1001'000'005'000LL);
    EXPECT_EQ(r.headers[1].caplen, 10u);
    EXPECT_EQ(r.headers[1].origlen, 1514u);
    EXPECT_EQ(r.data[1][0], std::byte{0xab});
    EXPECT_EQ(r.data[1][9], std::byte{0xab + 9});
    EXPECT_EQ(r.interfaces.at(0).link_type, dlt::kEn10Mb);
    EXPECT_EQ(r.interfaces.at(0).snaplen, 65535u);
  }
}

TEST(PcapReader, NanosecondMagic) {
  for (bool swap : {false, true}) {
    auto f = PcapBuilder(0xa1b23c4d, swap).record(1, 123456789, 4, 4, 4);
    auto r = read_bytes(f.bytes());
    ASSERT_FALSE(r.error);
    EXPECT_TRUE(r.info.nanosecond);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].ts.ns, 1'123'456'789LL);
  }
}

TEST(PcapReader, ModifiedFormatRecordsCarryDirection) {
  auto f = PcapBuilder(0xa1b2cd34, true)
               .record(5, 0, 3, 3, 3, 0x10, true, 0)
               .record(6, 0, 2, 2, 2, 0x20, true, 4);
  auto r = read_bytes(f.bytes());
  ASSERT_FALSE(r.error) << r.error->what();
  EXPECT_TRUE(r.info.modified_pcap);
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].direction, Direction::inbound);
  EXPECT_EQ(r.headers[1].direction, Direction::outbound);
  EXPECT_EQ(r.data[1][0], std::byte{0x20});
}

TEST(PcapReader, OldVersionsStoreLengthsTheOtherWay) {
  // 2.2: caplen and len swapped always; 2.3: swapped only when "caplen" > "len".
  auto f22 = PcapBuilder(0xa1b2c3d4, false, 2, 2).record(1, 0, 100, 20, 20);
  auto r = read_bytes(f22.bytes());
  ASSERT_FALSE(r.error) << r.error->what();
  EXPECT_EQ(r.headers.at(0).caplen, 20u);
  EXPECT_EQ(r.headers.at(0).origlen, 100u);
  auto f23 = PcapBuilder(0xa1b2c3d4, false, 2, 3).record(1, 0, 100, 20, 20).record(2, 0, 20, 100, 20);
  r = read_bytes(f23.bytes());
  ASSERT_FALSE(r.error) << r.error->what();
  ASSERT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(r.headers[0].caplen, 20u);
  EXPECT_EQ(r.headers[0].origlen, 100u);
  EXPECT_EQ(r.headers[1].caplen, 20u);
  EXPECT_EQ(r.headers[1].origlen, 100u);
}

TEST(PcapReader, LinkTypeFieldFcsBitsAndFileLinkTypeMapping) {
  // LINKTYPE_RAW (101) is DLT_RAW (12) on Linux; FCS present with 2 words = 4 bytes.
  auto f = PcapBuilder(0xa1b2c3d4, false, 2, 4, 65535, 101 | 0x04000000 | (2u << 28));
  auto r = read_bytes(f.bytes());
  ASSERT_FALSE(r.error) << r.error->what();
  EXPECT_EQ(r.interfaces.at(0).link_type, dlt::kRaw);
  EXPECT_EQ(r.interfaces.at(0).fcs_len, 4);
}

void expect_error(const std::string& bytes, Errc code, std::uint64_t offset, const std::string& text) {
  auto r = read_bytes(bytes);
  ASSERT_TRUE(r.error) << "expected: " << text;
  EXPECT_EQ(r.error->code, code) << r.error->what();
  ASSERT_TRUE(r.error->offset) << r.error->what();
  EXPECT_EQ(*r.error->offset, offset) << r.error->what();
  EXPECT_NE(r.error->what().find(text), std::string::npos) << r.error->what();
}

TEST(PcapReader, BadHeaders) {
  expect_error("", Errc::truncated, 0, "too short for any savefile header");
  expect_error(std::string("\xd4\xc3\xb2\xa1\x02\x00", 6), Errc::truncated, 0, "truncated pcap file header: 6 of 24 bytes");
  expect_error(std::string(24, 'x'), Errc::format, 0, "unknown file format: magic 0x78787878");
  expect_error(PcapBuilder(0xa1b2c3d4, false, 1, 0).bytes(), Errc::unsupported, 4, "archaic pcap savefile format version 1.0");
  expect_error(PcapBuilder(0xa1b2c3d4, true, 2, 5).bytes(), Errc::unsupported, 4, "unsupported pcap savefile version 2.5");
  expect_error(PcapBuilder(0xa1b2c3d4, false, 2, 4, 65535, 0x00010001).bytes(), Errc::format, 20,
               "reserved bits 16-25 set");
}

TEST(PcapReader, TruncatedLastPacketDeliversTheCompleteOnesFirst) {
  auto f = PcapBuilder(0xa1b2c3d4, false).record(1, 0, 8, 8, 8).record(2, 0, 8, 8, 8).record(3, 0, 100, 100, 30);
  auto r = read_bytes(f.bytes());
  EXPECT_EQ(r.headers.size(), 2u);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::truncated);
  EXPECT_EQ(*r.error->offset, 24u + 2 * 24);
  EXPECT_NE(r.error->what().find("header says 100 bytes captured, the file ends after 30"), std::string::npos)
      << r.error->what();
}

TEST(PcapReader, TruncatedRecordHeader) {
  auto bytes = PcapBuilder(0xa1b2c3d4, false).record(1, 0, 8, 8, 8).bytes() + std::string(7, '\0');
  auto r = read_bytes(bytes);
  EXPECT_EQ(r.headers.size(), 1u);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error->offset, 48u);
  EXPECT_NE(r.error->what().find("truncated record header: 7 of 16 bytes"), std::string::npos) << r.error->what();
}

TEST(PcapReader, CaptureLengthAboveTheCeilingIsRefusedWithoutAllocating) {
  auto f = PcapBuilder(0xa1b2c3d4, false).record(1, 0, 8, 8, 8).record(2, 0, 0xfffffff0u, 8, 8);
  auto r = read_bytes(f.bytes());
  EXPECT_EQ(r.headers.size(), 1u);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, Errc::format);
  EXPECT_EQ(*r.error->offset, 48u);
  EXPECT_NE(r.error->what().find("captured length 4294967280 is above the maximum 262144"), std::string::npos)
      << r.error->what();
}

TEST(PcapReader, ManyRecordsAcrossBufferBoundaries) {
  // ~5 MiB of records of varying sizes: records straddle the 1 MiB read chunks.
  PcapBuilder f(0xa1b2c3d4, false);
  std::uint32_t n = 0;
  std::size_t total = 0;
  while (total < 5u << 20) {
    std::uint32_t len = 1 + (n * 7919u) % 9000u;
    f.record(n, n % 1000000, len, len + 1, len, static_cast<std::uint8_t>(n));
    total += 16 + len;
    ++n;
  }
  auto r = read_bytes(f.bytes());
  ASSERT_FALSE(r.error) << r.error->what();
  ASSERT_EQ(r.headers.size(), n);
  for (std::uint32_t i = 0; i < n; ++i) {
    std::uint32_t len = 1 + (i * 7919u) % 9000u;
    ASSERT_EQ(r.headers[i].caplen, len);
    ASSERT_EQ(r.headers[i].origlen, len + 1);
    ASSERT_EQ(r.data[i].front(), std::byte(static_cast<std::uint8_t>(i)));
    ASSERT_EQ(r.data[i].back(), std::byte(static_cast<std::uint8_t>(i + len - 1)));
  }
}

TEST(PcapReader, ReadsFromAPipeInSmallPieces) {
  PcapBuilder f(0xa1b23c4d, true);
  for (std::uint32_t i = 0; i < 2000; ++i) f.record(i, i, 100, 100, 100, static_cast<std::uint8_t>(i));
  std::string bytes = f.bytes();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::thread writer([&] {
    // Dribble the bytes so reads return short counts at every possible split.
    for (std::size_t off = 0; off < bytes.size();) {
      std::size_t chunk = std::min<std::size_t>(bytes.size() - off, 1 + off % 777);
      ssize_t w = write(fds[1], bytes.data() + off, chunk);
      if (w <= 0) break;
      off += static_cast<std::size_t>(w);
    }
    close(fds[1]);
  });
  auto reader = SavefileReader::open_fd(fds[0], "pipe", true);
  ASSERT_TRUE(reader) << reader.error().what();
  std::uint32_t i = 0;
  for (const PacketView& p : **reader) {
    ASSERT_EQ(p.header.ts.ns, static_cast<std::int64_t>(i) * 1'000'000'000 + i);
    ASSERT_EQ(p.data[0], std::byte(static_cast<std::uint8_t>(i)));
    ++i;
  }
  writer.join();
  EXPECT_FALSE((*reader)->error());
  EXPECT_EQ(i, 2000u);
}

TEST(PcapReader, BatchesAndSinglePacketsMix) {
  PcapBuilder f(0xa1b2c3d4, false);
  for (std::uint32_t i = 0; i < 1000; ++i) f.record(i, 0, 1, 1, 1);
  auto path = write_temp(f.bytes());
  auto reader = SavefileReader::open(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(reader);
  auto one = (*reader)->next();
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->header.ts.seconds(), 0);
  std::size_t seen = 1;
  while (true) {
    auto b = (*reader)->next_batch();
    ASSERT_TRUE(b);
    if (b->status == BatchStatus::end) break;
    EXPECT_EQ(b->packets.front().header.ts.seconds(), static_cast<std::int64_t>(seen));
    seen += b->packets.size();
  }
  EXPECT_EQ(seen, 1000u);
  EXPECT_EQ((*reader)->stats().received, 1000u);
}

TEST(PcapReader, MissingFileNamesTheFile) {
  auto r = SavefileReader::open("/nonexistent/x.pcap");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_EQ(r.error().what(), "/nonexistent/x.pcap: No such file or directory");
}

}  // namespace
}  // namespace pcapxx

namespace pcapxx {
namespace {

std::vector<std::string> digest_file(const std::string& path) {
  std::vector<std::string> rows;
  auto reader = SavefileReader::open(path);
  EXPECT_TRUE(reader) << path;
  if (!reader) return rows;
  for (const PacketView& p : **reader) {
    std::uint64_t sum = 0;
    for (std::byte b : p.data) sum = sum * 131 + static_cast<std::uint8_t>(b);
    rows.push_back(std::to_string(p.header.ts.ns) + "/" + std::to_string(p.header.caplen) + "/" +
                   std::to_string(sum));
  }
  EXPECT_FALSE((*reader)->error());
  return rows;
}

TEST(PcapReader, MappedAndBufferedInputAgree) {
  // A 70 MiB file crosses the populate and release steps of the mapping.
  PcapBuilder f(0xa1b2c3d4, false);
  for (std::uint32_t i = 0; i < 50000; ++i) f.record(i, 0, 1400, 1400, 1400, static_cast<std::uint8_t>(i));
  auto path = write_temp(f.bytes());
  auto mapped = digest_file(path.string());
  setenv("PCAPXX_NO_MMAP", "1", 1);
  auto buffered = digest_file(path.string());
  unsetenv("PCAPXX_NO_MMAP");
  std::filesystem::remove(path);
  ASSERT_EQ(mapped.size(), 50000u);
  EXPECT_EQ(mapped, buffered);
}

TEST(PcapReader, StandardInputRedirectedFromAFileIsMappedFromItsOffset) {
  auto bytes = PcapBuilder(0xa1b2c3d4, false).record(1, 0, 4, 4, 4).record(2, 0, 4, 4, 4).bytes();
  auto path = write_temp("junk" + bytes);
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(lseek(fd, 4, SEEK_SET), 4);
  auto reader = SavefileReader::open_fd(fd, "redirected", true);
  std::filesystem::remove(path);
  ASSERT_TRUE(reader) << reader.error().what();
  std::size_t n = 0;
  for ([[maybe_unused]] const PacketView& p : **reader) ++n;
  EXPECT_EQ(n, 2u);
  EXPECT_FALSE((*reader)->error());
}

}  // namespace
}  // namespace pcapxx
