// Shared pieces of the writer tests: a scratch directory, the oracles (tshark, capinfos,
// tcpdump) run as separate processes through common/run.hpp, and packets built from known bytes.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/run.hpp"
#include "pcapxx/savefile.hpp"

namespace writer_test {

namespace fs = std::filesystem;

// Oracles run through the shared runner: output through files, and the oracle cache CI's
// second (sanitizer) pass reuses.
using pcapxx::test::lines;
using pcapxx::test::run;
using pcapxx::test::RunResult;
using pcapxx::test::slurp;

/// A fresh directory under TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "pcapxx-writer-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline void spit(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// stderr without the one line tshark and capinfos print whenever they run as root.
inline std::string without_root_notice(const std::string& err) {
  std::istringstream in(err);
  std::string line, kept;
  while (std::getline(in, line))
    if (line.find("This could be dangerous") == std::string::npos) kept += line + "\n";
  return kept;
}

/// Checks that capinfos and tshark read the file without a complaint.
inline void expect_oracles_read(const std::string& path) {
  RunResult ci = run({"capinfos", path});
  EXPECT_EQ(ci.status, 0) << "capinfos " << path << ":\n" << ci.out << ci.err;
  EXPECT_EQ(without_root_notice(ci.err), "") << "capinfos " << path;
  RunResult ts = run({"tshark", "-n", "-r", path});
  EXPECT_EQ(ts.status, 0) << "tshark " << path << ":\n" << ts.err;
  EXPECT_EQ(without_root_notice(ts.err), "") << "tshark " << path;
}

/// tshark's view of each packet, one line each, fields separated by '|'.
inline std::vector<std::string> tshark_fields(const std::string& path,
                                              const std::vector<std::string>& fields) {
  std::vector<std::string> argv{"tshark", "-n", "-o", "frame.generate_md5_hash:TRUE", "-r", path,
                                "-T", "fields", "-E", "separator=|"};
  for (const std::string& f : fields) {
    argv.push_back("-e");
    argv.push_back(f);
  }
  RunResult r = run(argv);
  EXPECT_EQ(r.status, 0) << r.err;
  return lines(r.out);
}

/// A packet with its own bytes.
struct TestPacket {
  pcapxx::PacketHeader header;
  std::vector<std::byte> bytes;
  std::vector<std::string> comments;

  [[nodiscard]] pcapxx::PacketView view() const { return pcapxx::PacketView{header, bytes, {}}; }
  [[nodiscard]] std::vector<std::string_view> comment_views() const {
    return {comments.begin(), comments.end()};
  }
};

/// An Ethernet frame of `size` bytes (a header when there is room, then a counting pattern
/// seeded by `seed`), so every packet's bytes differ.
inline std::vector<std::byte> frame_bytes(std::size_t size, unsigned seed) {
  std::vector<std::byte> b(size);
  for (std::size_t i = 0; i < size; ++i) b[i] = static_cast<std::byte>((i * 7 + seed * 13) & 0xff);
  if (size >= 14) {
    // Destination and source MAC, then ethertype 0x88b5 (local experimental), so tshark
    // shows the payload as data and never as a malformed protocol.
    b[12] = std::byte{0x88};
    b[13] = std::byte{0xb5};
  }
  return b;
}

inline TestPacket make_packet(std::size_t size, std::int64_t ts_ns, std::uint32_t interface = 0,
                              std::uint32_t origlen = 0) {
  TestPacket p;
  p.header.ts.ns = ts_ns;
  p.header.caplen = static_cast<std::uint32_t>(size);
  p.header.origlen = origlen != 0 ? origlen : static_cast<std::uint32_t>(size);
  p.header.interface = interface;
  p.bytes = frame_bytes(size, static_cast<unsigned>(ts_ns % 251));
  return p;
}

/// tshark's frame.time_epoch for a time in ns, shown to `digits` decimals (6 or 9), as
/// tshark 4.0 prints it: always 9 decimals, the unused ones zero.
inline std::string epoch_string(std::int64_t ns, bool nanosecond) {
  std::int64_t sec = ns / 1'000'000'000;
  std::int64_t frac = ns % 1'000'000'000;
  if (!nanosecond) frac = frac / 1000 * 1000;
  return fmt::format("{}.{:09}", sec, frac);
}

inline pcapxx::InterfaceDescription ethernet(std::uint32_t snaplen = 262144) {
  pcapxx::InterfaceDescription d;
  d.link_type = pcapxx::dlt::kEn10Mb;
  d.snaplen = snaplen;
  return d;
}

}  // namespace writer_test
