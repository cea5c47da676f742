// Buffered output: flush policies, position(), standard output, descriptors, error paths.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "unit/writer/writer_test_util.hpp"

namespace {

using namespace writer_test;
using pcapxx::FlushPolicy;
using pcapxx::SavefileFormat;
using pcapxx::SavefileWriter;
using pcapxx::WriterOptions;

constexpr std::int64_t kBase = 1'700'000'000'000'000'000;

std::uint64_t size_on_disk(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<std::uint64_t>(st.st_size);
}

class FlushPolicyTest : public ::testing::TestWithParam<SavefileFormat> {};

TEST_P(FlushPolicyTest, PerPacketPutsEachPacketInTheFileAtOnce) {
  TempDir dir;
  std::string path = dir.file("live");
  WriterOptions o;
  o.format = GetParam();
  o.flush = FlushPolicy::per_packet;
  auto w = SavefileWriter::open(path, std::vector{ethernet()}, o);
  ASSERT_TRUE(w) << w.error().what();
  // The header (and IDB) are in the file before any packet.
  EXPECT_EQ(size_on_disk(path), (*w)->position());
  EXPECT_GT((*w)->position(), 0u);
  for (std::size_t i = 0; i < 3; ++i) {
    auto p = make_packet(61 + i, kBase + static_cast<std::int64_t>(i));
    ASSERT_TRUE((*w)->write(p.view()));
    EXPECT_EQ(size_on_disk(path), (*w)->position()) << "after packet " << i + 1;
    // The packet's bytes are in the file, not just its length.
    std::string on_disk = slurp(path);
    std::string data(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size());
    EXPECT_NE(on_disk.find(data), std::string::npos) << "packet " << i + 1;
  }
  // tshark can read the file while it is still open.
  EXPECT_EQ(tshark_fields(path, {"frame.cap_len"}), (std::vector<std::string>{"61", "62", "63"}));
  ASSERT_TRUE((*w)->close());
}

TEST_P(FlushPolicyTest, BufferedKeepsPacketsUntilFlushOrClose) {
  TempDir dir;
  std::string path = dir.file("buffered");
  WriterOptions o;
  o.format = GetParam();
  auto w = SavefileWriter::open(path, std::vector{ethernet()}, o);
  ASSERT_TRUE(w);
  auto p = make_packet(100, kBase);
  ASSERT_TRUE((*w)->write(p.view()));
  EXPECT_EQ(size_on_disk(path), 0u);
  std::uint64_t pos = (*w)->position();
  EXPECT_GT(pos, 100u);
  ASSERT_TRUE((*w)->flush());
  EXPECT_EQ(size_on_disk(path), pos);
  ASSERT_TRUE((*w)->write(p.view()));
  EXPECT_EQ(size_on_disk(path), pos);
  ASSERT_TRUE((*w)->close());
  EXPECT_EQ(size_on_disk(path), (*w)->position());
}

TEST_P(FlushPolicyTest, SmallBufferFlushesWhenFullAndWritesLargeRecordsThrough) {
  TempDir dir;
  std::vector<TestPacket> packets;
  for (std::size_t size : {10, 90, 50, 1514, 7, 300, 0, 99})
    packets.push_back(make_packet(size, kBase + static_cast<std::int64_t>(size)));
  auto write_all = [&](const std::string& path, std::size_t buffer) {
    WriterOptions o;
    o.format = GetParam();
    o.buffer_size = buffer;
    auto w = SavefileWriter::open(path, std::vector{ethernet()}, o);
    ASSERT_TRUE(w);
    for (const auto& p : packets) {
      ASSERT_TRUE((*w)->write(p.view()));
      // Never more than one buffer behind.
      EXPECT_LE((*w)->position() - size_on_disk(path), buffer);
    }
    ASSERT_TRUE((*w)->close());
  };
  write_all(dir.file("small"), 100);
  write_all(dir.file("tiny"), 1);
  write_all(dir.file("big"), 1 << 20);
  // Without statistics both formats are deterministic: the buffer size must not show.
  std::string expected = slurp(dir.file("big"));
  EXPECT_EQ(slurp(dir.file("small")), expected);
  EXPECT_EQ(slurp(dir.file("tiny")), expected);
  EXPECT_EQ(tshark_fields(dir.file("tiny"), {"frame.cap_len"}).size(), packets.size());
}

INSTANTIATE_TEST_SUITE_P(Formats, FlushPolicyTest,
                         ::testing::Values(SavefileFormat::pcap, SavefileFormat::pcapng),
                         [](const auto& param_info) {
                           return param_info.param == SavefileFormat::pcap ? "pcap" : "pcapng";
                         });

TEST(WriterOutput, PositionCountsBufferedBytesFromTheDescriptorOffset) {
  TempDir dir;
  std::string path = dir.file("pos.pcap");
  auto w = SavefileWriter::open(path, std::vector{ethernet()}, WriterOptions{});
  ASSERT_TRUE(w);
  EXPECT_EQ((*w)->position(), 24u);
  auto p = make_packet(61, kBase);
  ASSERT_TRUE((*w)->write(p.view()));
  EXPECT_EQ((*w)->position(), 24u + 16 + 61);
  ASSERT_TRUE((*w)->close());

  // As ftell on a stream that does not start at 0.
  int fd = ::open(dir.file("offset.pcap").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "0123456789", 10), 10);
  auto wf = SavefileWriter::open_fd(fd, "offset.pcap", true, std::vector{ethernet()}, WriterOptions{});
  ASSERT_TRUE(wf);
  EXPECT_EQ((*wf)->position(), 10u + 24);
  ASSERT_TRUE((*wf)->close());
  EXPECT_EQ(size_on_disk(dir.file("offset.pcap")), 34u);
}

TEST(WriterOutput, OpenFdClosesTheDescriptorOnlyWhenOwned) {
  TempDir dir;
  for (bool owned : {false, true}) {
    int fd = ::open(dir.file("fd.pcap").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    auto w = SavefileWriter::open_fd(fd, "fd.pcap", owned, std::vector{ethernet()}, WriterOptions{});
    ASSERT_TRUE(w);
    ASSERT_TRUE((*w)->close());
    errno = 0;
    int flags = ::fcntl(fd, F_GETFD);
    if (owned) {
      EXPECT_EQ(flags, -1);
      EXPECT_EQ(errno, EBADF);
    } else {
      EXPECT_NE(flags, -1);
      ::close(fd);
    }
    EXPECT_EQ(size_on_disk(dir.file("fd.pcap")), 24u);
  }
}

TEST(WriterOutput, DashWritesStandardOutputAndLeavesItOpen) {
  TempDir dir;
  std::vector<TestPacket> packets{make_packet(60, kBase), make_packet(1514, kBase + 1), make_packet(1, kBase + 2)};
  for (SavefileFormat format : {SavefileFormat::pcap, SavefileFormat::pcapng}) {
    WriterOptions o;
    o.format = format;
    o.append = true;  // ignored for "-", as pcap_dump_open_append does
    std::string out = dir.file("stdout.bin");
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd < 0 || ::dup2(fd, STDOUT_FILENO) < 0) ::_exit(10);
      ::close(fd);
      auto w = SavefileWriter::open("-", std::vector{ethernet()}, o);
      if (!w) ::_exit(11);
      for (const auto& p : packets)
        if (!(*w)->write(p.view())) ::_exit(12);
      if (!(*w)->close()) ::_exit(13);
      // Standard output must still be open after close().
      ::_exit(::write(STDOUT_FILENO, "END", 3) == 3 ? 0 : 14);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0);
    std::string got = slurp(out);
    ASSERT_TRUE(got.ends_with("END"));
    got.resize(got.size() - 3);
    spit(dir.file("from-stdout"), got);
    EXPECT_EQ(tshark_fields(dir.file("from-stdout"), {"frame.cap_len"}),
              (std::vector<std::string>{"60", "1514", "1"}));
    if (format == SavefileFormat::pcap) {
      o.append = false;
      std::string direct = dir.file("direct.pcap");
      auto w = SavefileWriter::open(direct, std::vector{ethernet()}, o);
      ASSERT_TRUE(w);
      for (const auto& p : packets) ASSERT_TRUE((*w)->write(p.view()));
      ASSERT_TRUE((*w)->close());
      EXPECT_EQ(got, slurp(direct));
    }
  }
}

TEST(WriterOutput, OpenErrorsNameTheFile) {
  TempDir dir;
  std::string d = dir.file("");
  auto w = SavefileWriter::open(d, std::vector{ethernet()}, WriterOptions{});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::io);
  EXPECT_EQ(w.error().sys_errno, EISDIR);
  EXPECT_NE(w.error().message.find(d), std::string::npos) << w.error().message;
  EXPECT_NE(w.error().message.find("Is a directory"), std::string::npos) << w.error().message;

  std::string missing = dir.file("no/such/dir.pcap");
  w = SavefileWriter::open(missing, std::vector{ethernet()}, WriterOptions{});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::not_found);
  EXPECT_NE(w.error().message.find(missing), std::string::npos) << w.error().message;

  WriterOptions zero;
  zero.buffer_size = 0;
  w = SavefileWriter::open(dir.file("zero.pcap"), std::vector{ethernet()}, zero);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, pcapxx::Errc::invalid_argument);
}

TEST(WriterOutput, FullDeviceIsReportedOnFlushAndCloseWithTheFileName) {
  for (SavefileFormat format : {SavefileFormat::pcap, SavefileFormat::pcapng}) {
    WriterOptions o;
    o.format = format;
    auto w = SavefileWriter::open("/dev/full", std::vector{ethernet()}, o);
    ASSERT_TRUE(w) << w.error().what();
    auto p = make_packet(60, kBase);
    ASSERT_TRUE((*w)->write(p.view()));  // buffered: nothing written yet
    auto flushed = (*w)->flush();
    ASSERT_FALSE(flushed);
    EXPECT_EQ(flushed.error().sys_errno, ENOSPC);
    EXPECT_EQ(flushed.error().code, pcapxx::Errc::io);
    EXPECT_EQ(flushed.error().message, "/dev/full: write at offset 0: No space left on device");
    // The failure sticks: later writes, close, and close again all report it.
    auto closed = (*w)->close();
    ASSERT_FALSE(closed);
    EXPECT_EQ(closed.error().sys_errno, ENOSPC);
    EXPECT_NE(closed.error().message.find("/dev/full"), std::string::npos);
    auto again = (*w)->close();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message, closed.error().message);
  }
  // With per-packet flushing the header write already fails, at open.
  WriterOptions o;
  o.flush = FlushPolicy::per_packet;
  auto w = SavefileWriter::open("/dev/full", std::vector{ethernet()}, o);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().sys_errno, ENOSPC);
  EXPECT_NE(w.error().message.find("/dev/full"), std::string::npos);
}

TEST(WriterOutput, CloseIsIdempotentAndTheWriterRefusesWorkAfterIt) {
  TempDir dir;
  std::string path = dir.file("closed.pcap");
  auto w = SavefileWriter::open(path, std::vector{ethernet()}, WriterOptions{});
  ASSERT_TRUE(w);
  auto p = make_packet(60, kBase);
  ASSERT_TRUE((*w)->write(p.view()));
  ASSERT_TRUE((*w)->close());
  ASSERT_TRUE((*w)->close());
  std::string bytes = slurp(path);
  EXPECT_EQ(bytes.size(), 24u + 16 + 60);
  auto ok = (*w)->write(p.view());
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("closed.pcap: the writer is closed"), std::string::npos);
  EXPECT_FALSE((*w)->flush());
  EXPECT_EQ(slurp(path), bytes);
}

TEST(WriterOutput, DestructorFlushesAnUnclosedWriter) {
  TempDir dir;
  std::string path = dir.file("dropped.pcapng");
  {
    WriterOptions o;
    o.format = SavefileFormat::pcapng;
    auto w = SavefileWriter::open(path, std::vector{ethernet()}, o);
    ASSERT_TRUE(w);
    auto p = make_packet(77, kBase);
    ASSERT_TRUE((*w)->write(p.view()));
    EXPECT_EQ(size_on_disk(path), 0u);
  }
  EXPECT_EQ(tshark_fields(path, {"frame.cap_len"}), std::vector<std::string>{"77"});
}

}  // namespace
