// pxdump -C/-G/-W/-z: the files are those tcpdump writes (names and bytes, for pcap), each file
// is a complete savefile that capinfos and our reader accept, and together they hold every input
// packet once, in order, none split.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstring>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/run.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::test {
namespace {

namespace fs = std::filesystem;

const std::string kPxdump = PCAPXX_BIN_DIR "/pxdump";
const fs::path kBig = fs::path(PCAPXX_SHARED_CAPTURES) / "ppp/example.pcap";  // 3.8 MB, 4631 packets

std::vector<std::string> list_files(const fs::path& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / fmt::format("pcapxx-pxdump-rot-{}-{}", getpid(), n++);
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  [[nodiscard]] std::vector<std::string> files() const { return list_files(path); }
};

struct Pkt {
  std::int64_t ts;
  std::uint32_t origlen;
  std::uint32_t interface;
  std::vector<std::byte> data;
  friend bool operator==(const Pkt&, const Pkt&) = default;
};

std::vector<Pkt> read_all(const fs::path& file, std::string* error = nullptr) {
  std::vector<Pkt> v;
  auto r = SavefileReader::open(file.string());
  if (!r) {
    if (error) *error = r.error().what();
    return v;
  }
  for (const PacketView& p : **r)
    v.push_back({p.header.ts.ns, p.header.origlen, p.header.interface, {p.data.begin(), p.data.end()}});
  if ((*r)->error() && error) *error = (*r)->error()->what();
  return v;
}

// capinfos's packet count for a file, or -1 when it rejects the file.
long capinfos_count(const fs::path& file) {
  auto r = run({"capinfos", "-M", "-c", file.string()});
  if (r.status != 0) return -1;
  auto at = r.out.find("Number of packets:");
  if (at == std::string::npos) return -1;
  return std::stol(r.out.substr(at + 18));
}

// Every file valid for capinfos and our reader; the packets of the files, in the order given.
std::vector<Pkt> check_and_concatenate(const fs::path& dir, const std::vector<std::string>& order) {
  std::vector<Pkt> all;
  for (const auto& name : order) {
    fs::path f = dir / name;
    std::string err;
    auto pkts = read_all(f, &err);
    EXPECT_EQ(err, "") << name;
    EXPECT_EQ(capinfos_count(f), static_cast<long>(pkts.size())) << name << ": capinfos and our reader disagree";
    all.insert(all.end(), std::make_move_iterator(pkts.begin()), std::make_move_iterator(pkts.end()));
  }
  return all;
}

TEST(PxdumpRotation, SizeRotationWritesTheFilesTcpdumpWrites) {
  for (std::vector<std::string> extra : {std::vector<std::string>{}, {"-W", "3"}, {"-W", "12"}}) {
    TempDir ours, theirs;
    std::vector<std::string> a = {kPxdump, "-r", kBig.string(), "-C", "1", "-w", (ours.path / "out").string()};
    std::vector<std::string> b = {"tcpdump", "-Z", "root", "-r", kBig.string(), "-C", "1", "-w", (theirs.path / "out").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    b.insert(b.end(), extra.begin(), extra.end());
    auto ra = run(a);
    auto rb = run(b);
    ASSERT_EQ(ra.status, 0) << ra.err;
    ASSERT_EQ(rb.status, 0) << rb.err;
    std::string what = extra.empty() ? "-C 1" : "-C 1 " + extra[0] + " " + extra[1];
    ASSERT_EQ(ours.files(), theirs.files()) << what << ": ours " << fmt::format("{}", fmt::join(ours.files(), " "))
                                            << " tcpdump's " << fmt::format("{}", fmt::join(theirs.files(), " "));
    EXPECT_GE(ours.files().size(), 3u);
    for (const auto& f : ours.files())
      EXPECT_EQ(slurp(ours.path / f), slurp(theirs.path / f)) << what << ": " << f << " differs from tcpdump's";
  }
}

TEST(PxdumpRotation, SizeRotationKeepsEveryPacketInPcapAndPcapng) {
  auto input = read_all(kBig);
  ASSERT_EQ(input.size(), 4631u);
  for (const char* name : {"out.pcap", "out.pcapng"}) {
    TempDir dir;
    auto r = run({kPxdump, "-r", kBig.string(), "-C", "1", "-w", (dir.path / name).string()});
    ASSERT_EQ(r.status, 0) << r.err;
    // out.pcap, out.pcap1, out.pcap2...: in that order.
    auto files = dir.files();
    std::sort(files.begin(), files.end(), [](const std::string& x, const std::string& y) {
      return x.size() != y.size() ? x.size() < y.size() : x < y;
    });
    ASSERT_GE(files.size(), 4u) << name;
    for (std::size_t i = 0; i + 1 < files.size(); ++i) {
      auto size = fs::file_size(dir.path / files[i]);
      // tcpdump's rule: a file grows past -C by the packet that was written while it was smaller.
      EXPECT_GT(size, 1'000'000u) << files[i];
      EXPECT_LT(size, 1'000'000u + 70'000u) << files[i];
    }
    auto all = check_and_concatenate(dir.path, files);
    ASSERT_EQ(all.size(), input.size()) << name;
    for (std::size_t i = 0; i < all.size(); ++i) {
      // pcapng keeps the interface; the data, lengths and times must be the input's.
      ASSERT_EQ(all[i].data, input[i].data) << name << " packet " << i + 1;
      ASSERT_EQ(all[i].ts, input[i].ts) << name << " packet " << i + 1;
      ASSERT_EQ(all[i].origlen, input[i].origlen) << name << " packet " << i + 1;
    }
  }
}

TEST(PxdumpRotation, PcapngRotationKeepsInterfacesAndComments) {
  // A pcapng input with two interfaces of different link types and comments, big enough to rotate.
  TempDir dir;
  fs::path input = dir.path / "in.pcapng";
  auto big = read_all(kBig);
  {
    InterfaceDescription eth, raw;
    eth.link_type = LinkType{1};
    eth.snaplen = 65535;
    eth.name = "eth0";
    raw.link_type = LinkType{101};
    raw.snaplen = 65535;
    raw.name = "tun0";
    std::vector<InterfaceDescription> ifs = {eth, raw};
    WriterOptions wo;
    wo.format = SavefileFormat::pcapng;
    auto w = SavefileWriter::open(input.string(), ifs, wo);
    ASSERT_TRUE(w.has_value()) << w.error().what();
    for (std::size_t i = 0; i < big.size(); ++i) {
      PacketView v;
      v.header.ts = Timestamp{big[i].ts};
      v.header.interface = static_cast<std::uint32_t>(i % 2);
      // The raw-IP interface gets the IP packet after the 14-byte Ethernet header.
      std::span<const std::byte> d = big[i].data;
      if (v.header.interface == 1 && d.size() > 14) d = d.subspan(14);
      v.data = d;
      v.header.caplen = static_cast<std::uint32_t>(d.size());
      v.header.origlen = v.header.caplen;
      std::string comment = fmt::format("packet {}", i + 1);
      std::string_view cv = comment;
      if (i % 100 == 0) ASSERT_TRUE((*w)->write(v, std::span(&cv, 1)).has_value());
      else ASSERT_TRUE((*w)->write(v).has_value());
    }
    ASSERT_TRUE((*w)->close().has_value());
  }
  auto in = read_all(input);
  fs::create_directories(dir.path / "out");
  auto r = run({kPxdump, "-r", input.string(), "-C", "1", "-W", "9", "-w", (dir.path / "out/x.pcapng").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  auto files = list_files(dir.path / "out");
  ASSERT_GE(files.size(), 3u);
  EXPECT_EQ(files[0], "x.pcapng0");
  auto all = check_and_concatenate(dir.path / "out", files);
  ASSERT_EQ(all.size(), in.size());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], in[i]) << "packet " << i + 1;
  // Comments survive: tshark reads them back from the rotated files.
  auto t = run({"tshark", "-r", (dir.path / "out" / files[0]).string(), "-Y", "frame.comment", "-T", "fields", "-e",
                "frame.comment"});
  EXPECT_NE(t.out.find("packet 1\n"), std::string::npos) << t.out << t.err;
  EXPECT_NE(t.out.find("packet 101\n"), std::string::npos) << t.out;
}

TEST(PxdumpRotation, PostRotateCommandRunsOnEveryClosedFile) {
  TempDir dir;
  fs::path log = dir.path / "log";
  fs::path script = dir.path / "post.sh";
  {
    std::FILE* f = std::fopen(script.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fmt::print(f, "#!/bin/sh\necho \"$1 $(wc -c < \"$1\")\" >> {}\n", log.string());
    std::fclose(f);
    ::chmod(script.c_str(), 0755);
  }
  fs::create_directories(dir.path / "out");
  auto r = run({kPxdump, "-r", kBig.string(), "-C", "1", "-z", script.string(), "-w", (dir.path / "out/o").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  // pxdump waits for the commands, so the log is complete now: o, o1, o2 closed by rotations, o3 last.
  std::set<std::string> got;
  std::istringstream lines(slurp(log));
  std::string line;
  while (std::getline(lines, line)) {
    auto sp = line.find(' ');
    std::string file = line.substr(0, sp);
    got.insert(fs::path(file).filename().string());
    // The command sees the closed file complete.
    EXPECT_EQ(std::stoull(line.substr(sp + 1)), fs::file_size(file)) << line;
  }
  EXPECT_EQ(got, (std::set<std::string>{"o", "o1", "o2"}));
  EXPECT_TRUE(fs::exists(dir.path / "out/o3"));
}

// Writes a pcap to pxdump's standard input in three bursts `gap` apart.
struct SlowPipe {
  static void feed(int fd, const fs::path& file, std::chrono::milliseconds gap) {
    std::string d = slurp(file);
    std::vector<std::size_t> ends;
    for (std::size_t o = 24; o + 16 <= d.size();) {
      std::uint32_t n;
      std::memcpy(&n, d.data() + o + 8, 4);
      o += 16 + n;
      ends.push_back(o);
    }
    std::size_t k = ends.size() / 3;
    std::size_t cuts[] = {ends[k - 1], ends[2 * k - 1], d.size()};
    std::size_t from = 0;
    for (std::size_t c : cuts) {
      (void)!::write(fd, d.data() + from, c - from);
      from = c;
      std::this_thread::sleep_for(gap);
    }
  }
};

RunResult run_with_slow_input(std::vector<std::string> argv, const fs::path& file, std::chrono::milliseconds gap) {
  // Close-on-exec: pxdump must hold only the read end (as its standard input) to see the end.
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return {};
  std::string in = fmt::format("/dev/fd/{}", p[0]);
  std::thread writer([&] {
    SlowPipe::feed(p[1], file, gap);
    ::close(p[1]);
  });
  auto r = run(argv, in);
  writer.join();
  ::close(p[0]);
  return r;
}

TEST(PxdumpRotation, TimeRotationNamesFilesByStrftimeAndKeepsEveryPacket) {
  TempDir dir;
  fs::path small = fs::path(PCAPXX_SHARED_CAPTURES) / "ppp/one_tcp_stream.pcap";
  auto input = read_all(small);
  auto r = run_with_slow_input({kPxdump, "-r", "-", "-G", "1", "-w", (dir.path / "t-%s.pcap").string()}, small,
                               std::chrono::milliseconds(1300));
  ASSERT_EQ(r.status, 0) << r.err;
  auto files = dir.files();  // t-<epoch seconds>.pcap sorts by time
  ASSERT_GE(files.size(), 3u) << "three bursts 1.3 s apart with -G 1";
  for (const auto& f : files) {
    EXPECT_TRUE(f.starts_with("t-1") && f.ends_with(".pcap")) << f;
    EXPECT_EQ(f.find('%'), std::string::npos) << f;
  }
  auto all = check_and_concatenate(dir.path, files);
  ASSERT_EQ(all.size(), input.size());
  for (std::size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], input[i]) << "packet " << i + 1;
}

TEST(PxdumpRotation, TimeRotationWithFileCountStopsAfterThatManyFiles) {
  TempDir dir;
  fs::path small = fs::path(PCAPXX_SHARED_CAPTURES) / "ppp/one_tcp_stream.pcap";
  auto input = read_all(small);
  auto r = run_with_slow_input({kPxdump, "-r", "-", "-G", "1", "-W", "1", "-w", (dir.path / "t-%s.pcap").string()},
                               small, std::chrono::milliseconds(1300));
  EXPECT_EQ(r.status, 0) << r.err;
  auto files = dir.files();
  ASSERT_EQ(files.size(), 1u);
  auto first = check_and_concatenate(dir.path, files);
  // The first burst at least, and never all three.
  EXPECT_GE(first.size(), input.size() / 3);
  EXPECT_LT(first.size(), input.size());
  for (std::size_t i = 0; i < first.size(); ++i) ASSERT_EQ(first[i], input[i]) << "packet " << i + 1;
}

TEST(PxdumpProgress, ALineOnStandardErrorWhileReadingOnlyWhenAskedOrOnATerminal) {
  fs::path small = fs::path(PCAPXX_SHARED_CAPTURES) / "ppp/one_tcp_stream.pcap";
  // Three bursts 1.3 s apart: the line is redrawn at most once a second, so it appears.
  auto r = run_with_slow_input({kPxdump, "--progress", "--json", "-r", "-"}, small, std::chrono::milliseconds(1300));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("\r\x1b\\[Kpxdump: [0-9]+ packets, [0-9.]+ [kM]?B read, ")))
      << r.err;
  EXPECT_NE(r.err.find("packets/s"), std::string::npos) << r.err;
  EXPECT_TRUE(r.err.ends_with("\r\x1b[K")) << "the line is cleared at the end";
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 36) << "standard output holds only the JSON";
  // Standard error is a file here, not a terminal: no line by default.
  r = run_with_slow_input({kPxdump, "--json", "-r", "-"}, small, std::chrono::milliseconds(1300));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("packets/s"), std::string::npos) << r.err;
}

TEST(PxdumpRotation, BadValuesAreRefusedWithTcpdumpsWords) {
  for (auto [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"-C", "0"}, "invalid file size 0"},
           {{"-C", "x"}, "invalid file size x"},
           {{"-W", "0"}, "invalid number of output files 0"},
           {{"-G", "-1"}, "invalid rotate seconds -1"},
       }) {
    std::vector<std::string> a = {kPxdump, "-r", kBig.string(), "-w", "/dev/null"};
    a.insert(a.end(), args.begin(), args.end());
    auto r = run(a);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  auto r = run({kPxdump, "-r", kBig.string(), "-C", "1", "-w", "-"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("need a file name"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace pcapxx::test
