// pxdump with several -r and -V LIST: one stream, in order, each file filtered for its own link
// type, interfaces kept in pcapng output, a clear refusal for a pcap output of two link types.
// pxdump -Z: after the drop the process has the user's ids, no capability at all and
// no_new_privs, before it reads a packet; the -w file was opened before; a failed drop stops it.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
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
using namespace std::chrono_literals;

const std::string kPxdump = PCAPXX_BIN_DIR "/pxdump";
const fs::path kEth = fs::path(PCAPXX_SHARED_CAPTURES) / "ppp/one_tcp_stream.pcap";     // EN10MB, 36
const fs::path kEth2 = fs::path(PCAPXX_SHARED_CAPTURES) / "ppp/three_http_streams.pcap"; // EN10MB, 28
const fs::path kSll = fs::path(PCAPXX_SHARED_CAPTURES) / "ppp/sll.pcap";                 // LINUX_SLL, 518

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / fmt::format("pcapxx-pxdump-files-{}-{}", getpid(), n++);
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

struct Pkt {
  std::int64_t ts;
  LinkType link;
  std::vector<std::byte> data;
  friend bool operator==(const Pkt&, const Pkt&) = default;
};

std::vector<Pkt> read_all(const fs::path& file) {
  std::vector<Pkt> v;
  auto r = SavefileReader::open(file.string());
  EXPECT_TRUE(r.has_value()) << file << ": " << (r ? "" : r.error().what());
  if (!r) return v;
  for (const PacketView& p : **r)
    v.push_back({p.header.ts.ns, (*r)->interfaces()[p.header.interface].link_type, {p.data.begin(), p.data.end()}});
  EXPECT_FALSE((*r)->error().has_value()) << (*r)->error()->what();
  return v;
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(PxdumpFiles, SeveralFilesAreOneStreamInPcapng) {
  TempDir dir;
  fs::path out = dir.path / "all.pcapng";
  auto r = run({kPxdump, "-r", kEth.string(), "-r", kSll.string(), "-r", kEth2.string(), "-w", out.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  // tcpdump's line for each file as it starts.
  for (const auto& f : {kEth, kSll, kEth2})
    EXPECT_NE(r.err.find(fmt::format("reading from file {}, link-type", f.string())), std::string::npos) << r.err;
  std::vector<Pkt> expected;
  for (const auto& f : {kEth, kSll, kEth2}) {
    auto v = read_all(f);
    expected.insert(expected.end(), v.begin(), v.end());
  }
  auto got = read_all(out);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], expected[i]) << "packet " << i + 1;
  // tshark agrees on the encapsulations, interface by interface.
  auto t = run({"capinfos", "-I", "-M", out.string()});
  EXPECT_NE(t.out.find("Number of interfaces in file: 3"), std::string::npos) << t.out;
}

TEST(PxdumpFiles, AListFileNamesTheSameStreamAndTheFilterFitsEachLinkType) {
  TempDir dir;
  fs::path list = dir.path / "list";
  {
    std::FILE* f = std::fopen(list.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fmt::print(f, "{}\n\n{}\r\n{}\n", kEth.string(), kSll.string(), kEth2.string());
    std::fclose(f);
  }
  // The filter "tcp port 80" compiles differently for EN10MB and LINUX_SLL; tcpdump counts each.
  std::size_t expected = 0;
  for (const auto& f : {kEth, kSll, kEth2}) {
    auto t = run({"tcpdump", "-n", "-r", f.string(), "tcp port 80"});
    ASSERT_EQ(t.status, 0) << t.err;
    expected += lines(t.out);
  }
  ASSERT_GT(expected, 50u);
  auto a = run({kPxdump, "--json", "-V", list.string(), "tcp", "port", "80"});
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(lines(a.out), expected);
  // Packets are numbered on across files.
  EXPECT_NE(a.out.find(fmt::format("{{\"frame\":{},", expected)), std::string::npos);
  auto b = run({kPxdump, "--json", "-r", kEth.string(), "-r", kSll.string(), "-r", kEth2.string(), "tcp port 80"});
  EXPECT_EQ(a.out, b.out) << "-V and the same -r files differ";
}

TEST(PxdumpFiles, APcapOutputRefusesASecondLinkTypeAndStaysValid) {
  TempDir dir;
  fs::path out = dir.path / "x.pcap";
  auto r = run({kPxdump, "-r", kEth.string(), "-r", kSll.string(), "-w", out.string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("LINUX_SLL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("write pcapng"), std::string::npos) << r.err;
  // What was written before is a complete file: the first file's packets.
  EXPECT_EQ(read_all(out), read_all(kEth));
}

TEST(PxdumpFiles, ListErrorsNameTheList) {
  TempDir dir;
  auto r = run({kPxdump, "-V", (dir.path / "missing").string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing: cannot open the list of savefiles (-V)"), std::string::npos) << r.err;
  fs::path empty = dir.path / "empty";
  std::fclose(std::fopen(empty.c_str(), "w"));
  r = run({kPxdump, "-V", empty.string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("names no file"), std::string::npos) << r.err;
  fs::path bad = dir.path / "bad";
  {
    std::FILE* f = std::fopen(bad.c_str(), "w");
    fmt::print(f, "{}\n{}\n", kEth.string(), (dir.path / "nope.pcap").string());
    std::fclose(f);
  }
  r = run({kPxdump, "--json", "-V", bad.string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(lines(r.out), 36u) << "the first file is read before the second fails";
  EXPECT_NE(r.err.find("nope.pcap"), std::string::npos) << r.err;
}

/// pxdump with a pipe as standard input, so the test decides when packets arrive.
class PxdumpOnPipe {
 public:
  explicit PxdumpOnPipe(std::vector<std::string> args) : out_(tmp("out")), err_(tmp("err")) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(p[0], 0);
      dup2(o, 1);
      dup2(e, 2);
      std::vector<char*> a;
      for (auto& s : args) a.push_back(s.data());
      a.push_back(nullptr);
      execv(a[0], a.data());
      _exit(127);
    }
    ::close(p[0]);
    in_ = p[1];
  }
  ~PxdumpOnPipe() {
    if (in_ >= 0) ::close(in_);
    if (status_ < 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    fs::remove(out_);
    fs::remove(err_);
  }
  void send(std::string_view bytes) { ASSERT_EQ(::write(in_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }
  void close_input() {
    ::close(in_);
    in_ = -1;
  }
  int wait() {
    int st = 0;
    waitpid(pid_, &st, 0);
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status_;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string out() const { return slurp(out_); }
  [[nodiscard]] std::string err() const { return slurp(err_); }
  /// The value of a /proc/PID/status line ("CapEff" -> "0000000000000000").
  [[nodiscard]] std::string status_line(const std::string& key) const {
    std::istringstream s(slurp(fmt::format("/proc/{}/status", pid_)));
    std::string line;
    while (std::getline(s, line))
      if (line.starts_with(key + ":")) {
        auto v = line.substr(key.size() + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        return v;
      }
    return "";
  }

 private:
  static std::string tmp(const char* what) {
    static int n = 0;
    return fmt::format("/tmp/pcapxx-pxdump-pipe-{}-{}-{}", getpid(), n++, what);
  }
  pid_t pid_ = -1;
  int in_ = -1;
  int status_ = -1;
  std::string out_, err_;
};

TEST(PxdumpPrivileges, DropsToTheUserAndEveryCapabilityBeforeTheFirstPacket) {
  ASSERT_EQ(geteuid(), 0u) << "CI runs this as root";
  TempDir dir;
  // A directory only root may write into: the -w file is opened before the drop, as tcpdump.
  fs::path secret = dir.path / "root-only";
  fs::create_directories(secret);
  ::chmod(secret.c_str(), 0700);
  fs::path out = secret / "x.pcapng";
  PxdumpOnPipe px({kPxdump, "-r", "-", "-Z", "nobody", "-w", out.string(), "--print", "--json"});
  std::string file = slurp(kEth);
  px.send(std::string_view(file).substr(0, 24));  // the header: the reader opens, then the drop
  std::string uid;
  for (int i = 0; i < 200 && (uid = px.status_line("Uid")) != "65534\t65534\t65534\t65534"; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(uid, "65534\t65534\t65534\t65534") << px.err();
  EXPECT_EQ(px.status_line("Gid"), "65534\t65534\t65534\t65534");
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_EQ(px.status_line(cap), "0000000000000000") << cap;
  EXPECT_EQ(px.status_line("NoNewPrivs"), "1");
  EXPECT_TRUE(px.out().empty()) << "no packet was sent yet";
  px.send(std::string_view(file).substr(24));
  px.close_input();
  EXPECT_EQ(px.wait(), 0) << px.err();
  EXPECT_EQ(lines(px.out()), 36u);
  EXPECT_EQ(read_all(out), read_all(kEth));
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "created by root before the drop";
}

TEST(PxdumpPrivileges, AnUnknownUserOrAFailedDropStopsBeforeAnyPacket) {
  auto r = run({kPxdump, "--json", "-r", kEth.string(), "-Z", "no-such-user-pcapxx"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("Couldn't find user 'no-such-user-pcapxx'"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  // As nobody, becoming daemon is not allowed: pxdump must say so and stop.
  r = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", kPxdump, "--json", "-r", kEth.string(), "-Z",
           "daemon"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("pxdump: -Z: "), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  // "-Z root" keeps root, as tcpdump.
  r = run({kPxdump, "--json", "-r", kEth.string(), "-Z", "root"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(r.out), 36u);
}

}  // namespace
}  // namespace pcapxx::test
