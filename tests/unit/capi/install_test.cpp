// Packaging: `cmake --install <build> --prefix P` puts the C++ library with its CMake package
// and pcapxx.pc, and the C ABI (libpcap.so.0.8, <pcap.h>, <pcap/*.h>, libpcap.pc, pcap-config)
// under P; consumers then build with pkg-config, pcap-config and find_package and run.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>

#include "common/run.hpp"
#include "diff/capi/through_ours.hpp"

namespace pcapxx {
namespace {

namespace fs = std::filesystem;
using test::run;

const std::string kBuild = PCAPXX_BIN_DIR "/..";
const std::string kDemo = PCAPXX_SOURCE_DIR "/tests/data/demo.pcap";

std::string sanitize_flags() {
#ifdef PCAPXX_ASAN_RUNTIME
  std::string rt = fs::path(PCAPXX_ASAN_RUNTIME).parent_path().string();
  return "-fsanitize=address,undefined -shared-libsan -Wl,-rpath," + rt;
#else
  return "";
#endif
}

void write(const fs::path& p, std::string_view text) {
  std::ofstream(p) << text;
}

struct Installed {
  std::string prefix = fmt::format("/tmp/pcapxx-install-{}", getpid());
  test::RunResult result;
  Installed() {
    fs::remove_all(prefix);
    result = run({"cmake", "--install", kBuild, "--prefix", prefix});
  }
  ~Installed() { fs::remove_all(prefix); }
  [[nodiscard]] std::string env() const {
    return fmt::format("PKG_CONFIG_PATH={}/lib/pkgconfig", prefix);
  }
};

Installed& installed() {
  static Installed i;
  return i;
}

std::string sh(const std::string& command) {
  auto r = run({"sh", "-c", command + " 2>&1"});
  return fmt::format("{}exit {}", r.out, r.status);
}

const char* kCProgram = R"(#include <pcap.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char** argv) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(argv[1], err);
  if (p == NULL) { printf("%s\n", err); return 1; }
  struct pcap_pkthdr* h; const u_char* d; int n = 0;
  while (pcap_next_ex(p, &h, &d) == 1) ++n;
  pcap_close(p);
  printf("%d packets, %s\n", n, strstr(pcap_lib_version(), "pcapxx") ? "pcapxx" : "other");
  return 0;
}
)";

const char* kCxxProgram = R"(#include <cstdio>
#include "pcapxx/savefile.hpp"
int main(int, char** argv) {
  auto r = pcapxx::SavefileReader::open(argv[1]);
  if (!r) { std::puts(r.error().what().c_str()); return 1; }
  int n = 0;
  for (;;) {
    auto b = (*r)->next_batch();
    if (!b || b->status != pcapxx::BatchStatus::packets) break;
    n += static_cast<int>(b->packets.size());
  }
  std::printf("%d packets\n", n);
  return 0;
}
)";

TEST(Install, PutsBothLibrariesHeadersAndPackageFiles) {
  auto& in = installed();
  ASSERT_EQ(in.result.status, 0) << in.result.out << in.result.err;
  for (const char* f : {"lib/libpcap.so.0.8", "lib/libpcap.so", "include/pcap.h", "include/pcap/pcap.h",
                        "include/pcap/bpf.h", "lib/pkgconfig/libpcap.pc", "bin/pcap-config",
                        "lib/libpcapxx.so", "lib/libpcapxx.a", "include/pcapxx/savefile.hpp",
                        "lib/cmake/pcapxx/pcapxx-config.cmake", "lib/cmake/pcapxx/pcapxx-targets.cmake",
                        "lib/pkgconfig/pcapxx.pc", "share/doc/pcapxx/pxdump.md",
                        "share/man/man1/pxdump.1"}) {
    EXPECT_TRUE(fs::exists(fs::path(in.prefix) / f)) << f << " (pxdump.1 needs go-md2man)";
  }
  // The man page: its title, sections, and the option table as tagged paragraphs (.TP).
  std::ifstream page(fs::path(in.prefix) / "share/man/man1/pxdump.1");
  std::string roff((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  for (const char* text : {".TH pxdump 1\n", "\n.SH NAME\n", "\n.SH SYNOPSIS\n", "\n.SH OPTIONS\n",
                           "\n.TP\n\\fB\\fC-r FILE\\fR\nread FILE"})
    EXPECT_NE(roff.find(text), std::string::npos) << text << "\n" << roff.substr(0, 2000);
  auto cfg = run({in.prefix + "/bin/pcap-config", "--cflags", "--libs"});
  EXPECT_EQ(cfg.out, fmt::format("-I{0}/include -L{0}/lib -lpcap\n", in.prefix));
}

TEST(Install, CConsumerBuildsWithPkgConfigAndPcapConfig) {
  auto& in = installed();
  ASSERT_EQ(in.result.status, 0) << in.result.err;
  fs::path dir = fs::path(in.prefix) / "consumer-c";
  fs::create_directories(dir);
  write(dir / "count.c", kCProgram);
  for (std::string flags : {fmt::format("$({} pkg-config --cflags --libs libpcap)", in.env()),
                            fmt::format("$({}/bin/pcap-config --cflags --libs)", in.prefix)}) {
    std::string build = fmt::format("{} -o {}/count {}/count.c {} -Wl,-rpath,{}/lib {}", PCAPXX_TEST_CC,
                                    dir.string(), dir.string(), flags, in.prefix, sanitize_flags());
    ASSERT_EQ(run({"sh", "-c", build}).status, 0) << sh(build);
    auto r = run({"env", "ASAN_OPTIONS=detect_leaks=0", (dir / "count").string(), kDemo});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(" packets, pcapxx"), std::string::npos) << r.out;
    auto ldd = run({"ldd", (dir / "count").string()});
    EXPECT_NE(ldd.out.find(in.prefix + "/lib/libpcap.so.0.8"), std::string::npos) << ldd.out;
  }
}

TEST(Install, CxxConsumerBuildsWithPkgConfigAndFindPackage) {
  auto& in = installed();
  ASSERT_EQ(in.result.status, 0) << in.result.err;
  fs::path dir = fs::path(in.prefix) / "consumer-cxx";
  fs::create_directories(dir);
  write(dir / "count.cpp", kCxxProgram);
  std::string build = fmt::format("{} -std=c++23 -o {}/count {}/count.cpp $({} pkg-config --cflags --libs pcapxx) "
                                  "-Wl,-rpath,{}/lib {}",
                                  PCAPXX_TEST_CXX, dir.string(), dir.string(), in.env(), in.prefix, sanitize_flags());
  ASSERT_EQ(run({"sh", "-c", build}).status, 0) << sh(build);
  auto r = run({(dir / "count").string(), kDemo});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(" packets"), std::string::npos) << r.out;
  std::string expected = r.out;

  write(dir / "CMakeLists.txt", fmt::format(R"(cmake_minimum_required(VERSION 3.25)
project(consumer CXX)
set(CMAKE_CXX_STANDARD 23)
find_package(pcapxx REQUIRED)
add_executable(count count.cpp)
target_link_libraries(count PRIVATE pcapxx::pcapxx)
target_compile_options(count PRIVATE {0})
target_link_options(count PRIVATE {0})
)", sanitize_flags()));
  auto cfg = run({"cmake", "-S", dir.string(), "-B", (dir / "build").string(), "-G", "Ninja",
                  std::string("-DCMAKE_CXX_COMPILER=") + PCAPXX_TEST_CXX, "-DCMAKE_PREFIX_PATH=" + in.prefix});
  ASSERT_EQ(cfg.status, 0) << cfg.out << cfg.err;
  auto b = run({"cmake", "--build", (dir / "build").string()});
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  auto r2 = run({(dir / "build" / "count").string(), kDemo});
  EXPECT_EQ(r2.status, 0) << r2.err;
  EXPECT_EQ(r2.out, expected);
}

}  // namespace
}  // namespace pcapxx
