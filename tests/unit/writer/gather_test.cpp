// write_batch writes large payloads from where they lie (one writev per batch): its output must
// be byte-identical to writing the same packets one at a time, whatever mix of sizes, however
// many pieces (more than IOV_MAX), however small the buffer, and through short writes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "writer_test_util.hpp"

namespace {

using namespace writer_test;
using pcapxx::PacketView;

std::vector<TestPacket> mixed_packets(std::size_t n) {
  std::vector<TestPacket> v;
  for (std::size_t i = 0; i < n; ++i) {
    // Sizes cross the 512-byte reference threshold both ways, with odd lengths.
    std::size_t size = (i % 5 == 0) ? 1514 : (i % 3 == 0) ? 513 : (i % 7) * 73 + 1;
    v.push_back(make_packet(size, 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1000));
  }
  return v;
}

std::string write_file(const std::string& path, const std::vector<TestPacket>& packets, bool batched,
                       std::size_t buffer, std::size_t batch_size) {
  pcapxx::WriterOptions o;
  o.buffer_size = buffer;
  auto ifc = ethernet();
  auto w = pcapxx::SavefileWriter::open(path, std::span(&ifc, 1), o);
  EXPECT_TRUE(w) << w.error().what();
  std::vector<PacketView> views;
  for (const auto& p : packets) views.push_back(p.view());
  for (std::size_t i = 0; i < views.size(); i += batch_size) {
    auto chunk = std::span(views).subspan(i, std::min(batch_size, views.size() - i));
    if (batched) {
      auto ok = (*w)->write_batch(chunk);
      EXPECT_TRUE(ok) << ok.error().what();
    } else {
      for (const auto& v : chunk) EXPECT_TRUE((*w)->write(v));
    }
  }
  EXPECT_TRUE((*w)->close());
  return slurp(path);
}

TEST(PcapGather, BatchesAreByteIdenticalToSingleWrites) {
  TempDir dir;
  auto packets = mixed_packets(3000);
  std::string single = write_file(dir.file("single.pcap"), packets, false, 1 << 20, 256);
  ASSERT_GT(single.size(), 1'000'000u);
  // Batches of 1, 256, and 3000 (> IOV_MAX pieces); buffers of 64 bytes (every copy overflows)
  // and 1 MiB.
  for (std::size_t batch : {1u, 256u, 3000u})
    for (std::size_t buffer : {64u, 1u << 20}) {
      std::string got = write_file(dir.file("batch.pcap"), packets, true, buffer, batch);
      EXPECT_EQ(got.size(), single.size()) << "batch " << batch << " buffer " << buffer;
      EXPECT_TRUE(got == single) << "batch " << batch << " buffer " << buffer;
    }
  expect_oracles_read(dir.file("batch.pcap"));
}

TEST(PcapGather, ShortWritesThroughAPipeLoseNothing) {
  TempDir dir;
  auto packets = mixed_packets(2000);
  std::string single = write_file(dir.file("single.pcap"), packets, false, 1 << 20, 256);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  fcntl(fds[1], F_SETPIPE_SZ, 4096);  // writev returns short counts all the time
  std::string got;
  std::thread reader([&] {
    char buf[1000];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<std::size_t>(n));
  });
  {
    pcapxx::WriterOptions o;
    auto ifc = ethernet();
    auto w = pcapxx::SavefileWriter::open_fd(fds[1], "pipe", true, std::span(&ifc, 1), o);
    ASSERT_TRUE(w);
    std::vector<PacketView> views;
    for (const auto& p : packets) views.push_back(p.view());
    for (std::size_t i = 0; i < views.size(); i += 256)
      ASSERT_TRUE((*w)->write_batch(std::span(views).subspan(i, std::min<std::size_t>(256, views.size() - i))));
    ASSERT_TRUE((*w)->close());
  }
  reader.join();
  close(fds[0]);
  EXPECT_EQ(got.size(), single.size());
  EXPECT_TRUE(got == single);
}

TEST(PcapGather, PerPacketPolicyHasTheBatchOnDiskWhenItReturns) {
  TempDir dir;
  auto packets = mixed_packets(10);
  pcapxx::WriterOptions o;
  o.flush = pcapxx::FlushPolicy::per_packet;
  auto ifc = ethernet();
  auto path = dir.file("u.pcap");
  auto w = pcapxx::SavefileWriter::open(path, std::span(&ifc, 1), o);
  ASSERT_TRUE(w);
  std::vector<PacketView> views;
  for (const auto& p : packets) views.push_back(p.view());
  ASSERT_TRUE((*w)->write_batch(views));
  auto reader = pcapxx::SavefileReader::open(path);
  ASSERT_TRUE(reader);
  std::size_t n = 0;
  for ([[maybe_unused]] const PacketView& p : **reader) ++n;
  EXPECT_EQ(n, 10u);
  EXPECT_TRUE((*w)->close());
}

}  // namespace
