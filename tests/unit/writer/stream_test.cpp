// SavefileWriter::open_stream (the libpcap ABI's pcap_dump path): records go through the stdio
// stream's own buffer, so the file is byte-identical to what SavefileWriter::open writes, bytes
// the program puts on the stream between packets land exactly there, and a stream buffer that
// is smaller than a record, unbuffered or line buffered takes the fwrite path unharmed.
#include <gtest/gtest.h>

#include <cstdio>

#include "writer_test_util.hpp"

namespace {

using namespace writer_test;
using pcapxx::PacketView;

std::vector<TestPacket> stream_packets(std::size_t n) {
  std::vector<TestPacket> v;
  for (std::size_t i = 0; i < n; ++i)
    v.push_back(make_packet((i % 4 == 0) ? 1514 : (i % 9) * 57 + 1,
                            1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1000));
  return v;
}

std::string through_descriptor(const std::string& path, const std::vector<TestPacket>& packets) {
  auto ifc = ethernet();
  auto w = pcapxx::SavefileWriter::open(path, std::span(&ifc, 1), {});
  EXPECT_TRUE(w) << w.error().what();
  for (const auto& p : packets) EXPECT_TRUE((*w)->write(p.view()));
  EXPECT_TRUE((*w)->close());
  return slurp(path);
}

// mode: _IOFBF with `buffer` bytes, _IOLBF or _IONBF; `mark_every` > 0 puts "<n>" after every
// mark_every-th packet.
std::string through_stream(const std::string& path, const std::vector<TestPacket>& packets, int mode,
                           std::size_t buffer, std::size_t mark_every) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  std::vector<char> storage(buffer == 0 ? 1 : buffer);
  std::setvbuf(f, mode == _IONBF ? nullptr : storage.data(), mode, buffer);
  auto ifc = ethernet();
  auto w = pcapxx::SavefileWriter::open_stream(f, path, std::span(&ifc, 1), {});
  EXPECT_TRUE(w) << w.error().what();
  for (std::size_t i = 0; i < packets.size(); ++i) {
    auto ok = (*w)->write(packets[i].view());
    EXPECT_TRUE(ok) << ok.error().what();
    if (mark_every != 0 && (i + 1) % mark_every == 0) std::fprintf(f, "<%zu>", i + 1);
  }
  // position() counts the writer's own bytes: ftell's answer when nobody else wrote.
  if (mark_every == 0) {
    EXPECT_EQ((*w)->position(), static_cast<std::uint64_t>(std::ftell(f)));
  }
  EXPECT_TRUE((*w)->close());
  std::fclose(f);
  return slurp(path);
}

TEST(StreamWriter, ByteIdenticalToTheDescriptorWriterWhateverTheStreamBuffering) {
  TempDir dir;
  auto packets = stream_packets(2000);
  std::string expected = through_descriptor(dir.file("fd.pcap"), packets);
  ASSERT_GT(expected.size(), 500'000u);
  struct Case {
    int mode;
    std::size_t buffer;
  };
  for (Case c : {Case{_IOFBF, 1 << 20}, Case{_IOFBF, 100}, Case{_IOLBF, 4096}, Case{_IONBF, 0}}) {
    std::string got = through_stream(dir.file("stream.pcap"), packets, c.mode, c.buffer, 0);
    EXPECT_EQ(got.size(), expected.size()) << "mode " << c.mode << " buffer " << c.buffer;
    EXPECT_TRUE(got == expected) << "mode " << c.mode << " buffer " << c.buffer;
  }
}

TEST(StreamWriter, BytesWrittenToTheStreamBetweenPacketsLandInOrder) {
  TempDir dir;
  auto packets = stream_packets(300);
  std::string plain = through_descriptor(dir.file("fd.pcap"), packets);
  std::string got = through_stream(dir.file("marked.pcap"), packets, _IOFBF, 1 << 16, 7);
  // Rebuild the expected file: the plain one with "<n>" after every 7th record.
  std::string expected = plain.substr(0, 24);
  std::size_t at = 24;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    std::size_t len = 16 + packets[i].view().data.size();
    expected += plain.substr(at, len);
    at += len;
    if ((i + 1) % 7 == 0) expected += fmt::format("<{}>", i + 1);
  }
  ASSERT_EQ(at, plain.size());
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

}  // namespace
