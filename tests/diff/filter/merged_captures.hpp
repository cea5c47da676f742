// Test support: the pcap files of the shared captures, merged into one pcap file per link type
// so an oracle runs once per filter instead of once per file. Packet i of a merged file has the
// timestamp i seconds, so the oracle's output says which packets it kept.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <expected>
#include <optional>
#include <span>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/run.hpp"
#include "diff/filter/filter_corpus.hpp"
#include "pcapxx/bpf.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::test {

struct StoredPacket {
  std::vector<std::byte> data;
  std::uint32_t origlen = 0;
  std::string source;        ///< "ppp/Dns.pcap #3" (1-based packet number)
};

struct MergedCapture {
  std::uint32_t linktype = 0;
  std::string tcpdump_name;
  std::filesystem::path path;
  std::vector<StoredPacket> packets;
  std::vector<std::string> files;
};

/// A temporary directory removed at the end of the test program.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pcapxx-filter-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    return std::filesystem::path(tmpl);
  }();
  static const struct Cleanup {
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup;
  return dir;
}

// The LINKTYPE field of a pcap file header, or nothing when the file is not a pcap file.
inline std::optional<std::uint32_t> pcap_linktype(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  unsigned char h[24];
  if (!f.read(reinterpret_cast<char*>(h), sizeof h)) return std::nullopt;
  std::uint32_t magic_le = h[0] | h[1] << 8 | h[2] << 16 | static_cast<std::uint32_t>(h[3]) << 24;
  bool le = magic_le == 0xa1b2c3d4 || magic_le == 0xa1b23c4d;
  bool be = magic_le == 0xd4c3b2a1 || magic_le == 0x4d3cb2a1;
  if (!le && !be) return std::nullopt;
  std::uint32_t lt = le ? (h[20] | h[21] << 8) : (h[23] | h[22] << 8);
  return lt;
}

inline void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

/// The shared captures' pcap files merged per link type (only the link types of
/// kCaptureLinkTypes); files the reader cannot read completely are left out.
inline const std::vector<MergedCapture>& merged_captures() {
  static const std::vector<MergedCapture> merged = [] {
    std::map<std::uint32_t, MergedCapture> by_type;
    for (const auto& file : shared_capture_files()) {
      auto lt = pcap_linktype(file);
      if (!lt) continue;
      const CaptureLinkType* known = nullptr;
      for (const auto& c : kCaptureLinkTypes)
        if (c.linktype == *lt) known = &c;
      if (known == nullptr) continue;
      auto reader = SavefileReader::open(file.string());
      if (!reader) continue;
      std::vector<StoredPacket> pkts;
      std::string name = capture_name(file);
      for (const PacketView& pkt : **reader) {
        pkts.push_back(StoredPacket{{pkt.data.begin(), pkt.data.end()}, pkt.header.origlen,
                                    fmt::format("{} #{}", name, pkts.size() + 1)});
      }
      if ((*reader)->error()) continue;
      MergedCapture& m = by_type[*lt];
      m.linktype = *lt;
      m.tcpdump_name = known->tcpdump_name;
      m.files.push_back(name);
      for (auto& p : pkts) m.packets.push_back(std::move(p));
    }
    std::vector<MergedCapture> out;
    for (auto& [lt, m] : by_type) {
      m.path = scratch_dir() / fmt::format("merged-{}.pcap", m.tcpdump_name);
      std::string bytes;
      put32(bytes, 0xa1b2c3d4);
      bytes += std::string("\x02\x00\x04\x00", 4);
      put32(bytes, 0);
      put32(bytes, 0);
      put32(bytes, 262144);
      put32(bytes, lt);
      for (std::size_t i = 0; i < m.packets.size(); ++i) {
        const auto& p = m.packets[i];
        put32(bytes, static_cast<std::uint32_t>(i));
        put32(bytes, 0);
        put32(bytes, static_cast<std::uint32_t>(p.data.size()));
        put32(bytes, p.origlen);
        bytes.append(reinterpret_cast<const char*>(p.data.data()), p.data.size());
      }
      std::ofstream(m.path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      out.push_back(std::move(m));
    }
    return out;
  }();
  return merged;
}

/// The indices of the packets of `m` that `program` keeps, on our interpreter.
inline std::vector<std::uint32_t> kept_by(std::span<const BpfInsn> program, const MergedCapture& m) {
  std::vector<std::uint32_t> kept;
  for (std::size_t i = 0; i < m.packets.size(); ++i) {
    const auto& p = m.packets[i];
    if (run_program(program, p.data, p.origlen) != 0) kept.push_back(static_cast<std::uint32_t>(i));
  }
  return kept;
}

inline std::expected<BpfProgram, std::string> tcpdump_listing(std::vector<std::string> argv) {
  RunResult r = run(argv);
  if (r.status != 0) return std::unexpected(r.err.empty() ? fmt::format("exit {}", r.status) : r.err);
  auto p = parse_program_listing(r.out);
  if (!p) return std::unexpected("unparsable -ddd output: " + p.error().what() + "\n" + r.out);
  return *p;
}

/// libpcap's program for `expr` on tcpdump's link type `name` (tcpdump -ddd -y), or the error text.
inline std::expected<BpfProgram, std::string> tcpdump_program(std::string_view expr, std::string_view name,
                                                              bool optimize = true) {
  std::vector<std::string> argv = {"tcpdump", "-ddd", "-y", std::string(name)};
  if (!optimize) argv.push_back("-O");
  argv.push_back("--");  // an expression may start with '-'
  argv.push_back(std::string(expr));
  return tcpdump_listing(std::move(argv));
}

/// The program tcpdump uses to filter the savefile `path` (tcpdump -r path -ddd): libpcap
/// compiles some expressions differently for savefiles (DLT_NULL address families).
inline std::expected<BpfProgram, std::string> tcpdump_program_for_file(std::string_view expr,
                                                                       const std::filesystem::path& path) {
  return tcpdump_listing({"tcpdump", "-r", path.string(), "-ddd", "--", std::string(expr)});
}

}  // namespace pcapxx::test
