// Every pcapng file among the shared sample captures, read by pcapxx and by the oracles:
// tshark for the packets (timestamp to the ns, lengths, interface, comments, epb options) and
// capinfos for the interfaces and the first section's header. Files the oracles cannot read
// are listed with the exact error we give for them.
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pcapng_test_util.hpp"
#include "pcapxx/linktype.hpp"

namespace pcapxx::test {
namespace {

namespace fs = std::filesystem;

const fs::path kCaptures = PCAPXX_SHARED_CAPTURES;

struct ProcessOutput {
  int status = -1;
  std::string out;
};

// Runs a shell command (oracle paths only; no user input) and collects standard output.
ProcessOutput run(const std::string& command) {
  ProcessOutput r;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t got = 0;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, got);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

// Every file under the shared captures that starts with the SHB type, whatever its name.
std::vector<std::string> pcapng_files() {
  std::vector<std::string> out;
  if (!fs::is_directory(kCaptures)) return out;
  for (const auto& e : fs::recursive_directory_iterator(kCaptures)) {
    if (!e.is_regular_file()) continue;
    std::ifstream f(e.path(), std::ios::binary);
    unsigned char m[4] = {};
    if (!f.read(reinterpret_cast<char*>(m), 4)) continue;
    if (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a)
      out.push_back(fs::relative(e.path(), kCaptures).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Files the oracles refuse, and what we say about them (after "PATH: ").
const std::map<std::string, std::string>& expected_errors() {
  static const std::map<std::string, std::string> m = {
      {"gopacket/pcapgo_tests_be_test901.pcapng",
       "block at offset 480: unsupported pcapng savefile version 2.0"},
      {"gopacket/pcapgo_tests_le_test901.pcapng",
       "block at offset 480: unsupported pcapng savefile version 2.0"},
      {"libpcap/pcapng-invalid-vers-1.pcapng",
       "block at offset 0: unsupported pcapng savefile version 0.1"},
      {"libpcap/pcapng-invalid-vers-2.pcapng",
       "block at offset 0: unsupported pcapng savefile version 1.1"},
      {"libpcap/shb-option-too-long.pcapng",
       // Its option overruns the block too, but the trailer is the first thing we check.
       "block at offset 0: Section Header Block: trailing total length 808464432 disagrees "
       "with the leading total length 52"},
  };
  return m;
}

// One packet as tshark shows it, in tshark's own text.
struct OracleRow {
  std::string time, caplen, len, interface_id, section, comment, flags, dropcount, packet_id,
      queue;
};

std::vector<OracleRow> tshark_rows(const fs::path& file, int* status) {
  auto r = run(fmt::format(
      "tshark -n -r '{}' -T fields -E separator=/t -e frame.time_epoch -e frame.cap_len "
      "-e frame.len -e frame.interface_id -e frame.section_number -e frame.comment "
      "-e frame.packet_flags -e frame.drop_count -e frame.packet_id -e frame.interface_queue "
      "2>/dev/null",
      file.string()));
  *status = r.status;
  std::vector<OracleRow> rows;
  for (const auto& line : split(r.out, '\n')) {
    if (line.empty()) continue;
    auto f = split(line, '\t');
    f.resize(10);
    // Records without an interface (custom blocks tshark shows as frames) are not packets.
    if (f[3].empty()) continue;
    rows.push_back({f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]});
  }
  return rows;
}

// Section of each interface and first interface of each section, worked out from the file
// itself: the reader gives one list, tshark numbers interfaces per section.
struct FileLayout {
  std::vector<std::uint32_t> section_of;    // section of each interface, in file order
  std::vector<std::uint32_t> section_base;  // first interface of each section
  std::vector<bool> simple;                 // per packet block: whether it is an SPB
};

FileLayout layout_of(const fs::path& file) {
  FileLayout l;
  auto& section_of = l.section_of;
  auto& section_base = l.section_base;
  std::ifstream f(file, std::ios::binary);
  std::vector<unsigned char> d((std::istreambuf_iterator<char>(f)), {});
  bool be = false;
  std::size_t off = 0;
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= std::uint32_t{d[at + (be ? i : 3 - i)]} << (8 * (3 - i));
    return v;
  };
  while (off + 12 <= d.size()) {
    if (u32(off) == 0x0a0d0d0a) {
      be = d[off + 8] == 0x1a;
      section_base.push_back(static_cast<std::uint32_t>(section_of.size()));
    } else if (u32(off) == 1 && !section_base.empty()) {
      section_of.push_back(static_cast<std::uint32_t>(section_base.size() - 1));
    } else if (u32(off) == 2 || u32(off) == 3 || u32(off) == 6) {
      l.simple.push_back(u32(off) == 3);
    }
    std::uint32_t len = u32(off + 4);
    if (len < 12) break;
    off += len;
  }
  if (section_base.empty()) section_base.push_back(0);
  return l;
}

// Our packet in tshark's words. tshark prints no time for an SPB (we give 0, and the
// test checks that), 9 decimals otherwise; it joins several comments with ','.
__extension__ typedef __int128 Int128;

// tshark shows a 64-bit tick count as unsigned seconds even where that is beyond 64-bit ns
// (ppp/pcapng-example.pcapng); we read such a count as signed. Both must then agree on the
// count modulo 2^64, which this checks; it returns tshark's text if they do.
std::optional<std::string> same_ticks(const std::string& tshark_time, std::int64_t ns,
                                      std::uint64_t units) {
  auto dot = tshark_time.find('.');
  if (dot == std::string::npos || tshark_time.size() - dot != 10 || tshark_time[0] == '-')
    return std::nullopt;
  Int128 sec = std::stoull(tshark_time.substr(0, dot));
  Int128 frac = std::stoull(tshark_time.substr(dot + 1));
  if (sec <= std::numeric_limits<std::int64_t>::max() / 1'000'000'000) return std::nullopt;
  auto theirs = static_cast<std::uint64_t>(sec * units + frac * units / 1'000'000'000);
  Int128 t = static_cast<Int128>(ns) * units;
  Int128 q = t / 1'000'000'000;
  if (t % 1'000'000'000 < 0) q -= 1;
  auto ours = static_cast<std::uint64_t>(q);
  if (ours != theirs) return std::nullopt;
  return tshark_time;
}

OracleRow our_row(const PacketCopy& p, std::size_t index, const FileLayout& layout,
                  const std::vector<InterfaceDescription>& interfaces, const OracleRow* theirs) {
  const auto& section_of = layout.section_of;
  const auto& section_base = layout.section_base;
  OracleRow r;
  bool simple = index < layout.simple.size() && layout.simple[index];
  if (!simple)
  {
    std::int64_t ns = p.header.ts.ns;
    std::uint64_t mag = ns < 0 ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
    r.time = fmt::format("{}{}.{:09}", ns < 0 ? "-" : "", mag / 1'000'000'000, mag % 1'000'000'000);
    if (theirs != nullptr && p.header.interface < interfaces.size())
      if (auto same = same_ticks(theirs->time, ns, interfaces[p.header.interface].ts_units_per_second))
        r.time = *same;
  }
  else if (p.header.ts.ns != 0)
    r.time = fmt::format("<SPB with timestamp {} ns>", p.header.ts.ns);
  r.caplen = std::to_string(p.header.caplen);
  r.len = std::to_string(p.header.origlen);
  std::uint32_t section = p.header.interface < section_of.size() ? section_of[p.header.interface] : 0;
  r.interface_id = std::to_string(p.header.interface - section_base[section]);
  r.section = std::to_string(section + 1);
  auto opts = parse_packet_options(RawOptions{p.options, p.options_swapped});
  if (!opts) {
    r.comment = "<" + opts.error().message + ">";
    return r;
  }
  for (std::size_t i = 0; i < opts->comments.size(); ++i)
    r.comment += (i ? "," : "") + std::string(opts->comments[i]);
  if (p.header.has_flags) r.flags = fmt::format("0x{:08x}", p.header.flags);
  if (opts->dropcount) r.dropcount = std::to_string(*opts->dropcount);
  if (opts->packet_id) r.packet_id = std::to_string(*opts->packet_id);
  if (opts->queue) r.queue = std::to_string(*opts->queue);
  return r;
}

std::string show(const OracleRow& r) {
  return fmt::format("time={} caplen={} len={} if={} section={} comment='{}' flags={} drops={} "
                     "id={} queue={}",
                     r.time, r.caplen, r.len, r.interface_id, r.section, r.comment, r.flags,
                     r.dropcount, r.packet_id, r.queue);
}

// capinfos -I -M: the interface list (it repeats the list for each section; we take the first).
std::vector<std::map<std::string, std::vector<std::string>>> capinfos_interfaces(const fs::path& file,
                                                                                 int* status) {
  auto r = run(fmt::format("capinfos -I -M '{}' 2>/dev/null", file.string()));
  *status = r.status;
  std::vector<std::map<std::string, std::vector<std::string>>> out;
  std::string last_key;
  for (const auto& line : split(r.out, '\n')) {
    if (line.starts_with("Section 1:")) break;
    if (line.starts_with("Interface #")) {
      out.emplace_back();
      last_key.clear();
      continue;
    }
    if (out.empty()) continue;
    auto eq = line.find(" = ");
    if (!line.starts_with("    ") || eq == std::string::npos) {
      // A value with line breaks goes on over unindented lines.
      if (!last_key.empty()) out.back()[last_key].back() += "\n" + line;
      continue;
    }
    auto key = line.substr(line.find_first_not_of(' '), eq - line.find_first_not_of(' '));
    out.back()[key].push_back(line.substr(eq + 3));
    last_key = key;
  }
  return out;
}

// capinfos -F -k -M: the first section's header options.
std::map<std::string, std::vector<std::string>> capinfos_section(const fs::path& file) {
  auto r = run(fmt::format("capinfos -F -k -M '{}' 2>/dev/null", file.string()));
  std::map<std::string, std::vector<std::string>> out;
  std::string last_key;
  auto lines = split(r.out, '\n');
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (const auto& line : lines) {
    if (line.starts_with("Section 1:")) break;
    if (!line.starts_with("Capture ")) {
      // A value with line breaks goes on over the following lines.
      if (!last_key.empty()) out[last_key].back() += "\n" + line;
      continue;
    }
    auto colon = line.find(':');
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    last_key = line.substr(0, colon);
    out[last_key].push_back(value);
  }
  return out;
}

// Wireshark's encapsulation short names for the link types in the sample files.
std::optional<LinkType> link_type_for_encapsulation(const std::string& text) {
  auto dash = text.rfind(" - ");
  if (dash == std::string::npos) return std::nullopt;
  std::string name = text.substr(dash + 3, text.size() - dash - 4);
  if (name == "ether") return dlt::kEn10Mb;
  if (name == "null") return dlt::kNull;
  if (name == "linux-sll") return dlt::kLinuxSll;
  if (name == "rawip") return dlt::kRaw;
  return std::nullopt;
}

std::string first_or_empty(const std::map<std::string, std::vector<std::string>>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() || it->second.empty() ? std::string() : it->second.front();
}

void compare_interfaces(const fs::path& file, const std::vector<InterfaceDescription>& ours) {
  int status = 0;
  auto theirs = capinfos_interfaces(file, &status);
  ASSERT_EQ(status, 0) << "capinfos failed on " << file;
  ASSERT_EQ(ours.size(), theirs.size()) << "interface count";
  for (std::size_t i = 0; i < ours.size(); ++i) {
    SCOPED_TRACE(fmt::format("interface #{}", i));
    const auto& o = ours[i];
    const auto& t = theirs[i];
    EXPECT_EQ(o.name, first_or_empty(t, "Name"));
    EXPECT_EQ(o.description, first_or_empty(t, "Description"));
    EXPECT_EQ(o.filter, first_or_empty(t, "Filter string"));
    EXPECT_EQ(o.os, first_or_empty(t, "Operating system"));
    EXPECT_EQ(o.comments, t.contains("Comment") ? t.at("Comment") : std::vector<std::string>{});
    EXPECT_EQ(std::to_string(o.snaplen), first_or_empty(t, "Capture length"));
    EXPECT_EQ(std::to_string(o.ts_units_per_second), first_or_empty(t, "Time ticks per second"));
    EXPECT_EQ(o.fcs_len ? std::to_string(*o.fcs_len) : "", first_or_empty(t, "FCS length"));
    EXPECT_EQ(o.speed ? std::to_string(*o.speed) : "", first_or_empty(t, "Speed"));
    if (t.contains("Timestamp offset"))
      EXPECT_EQ(std::to_string(o.ts_offset_seconds), first_or_empty(t, "Timestamp offset"));
    else
      EXPECT_EQ(o.ts_offset_seconds, 0);
    std::string encap = first_or_empty(t, "Encapsulation");
    auto expected = link_type_for_encapsulation(encap);
    if (!expected)
      ADD_FAILURE() << "no link type known for capinfos encapsulation '" << encap << "'";
    else
      EXPECT_EQ(o.link_type.dlt, expected->dlt) << "capinfos says " << encap;
  }
}

void compare_section(const fs::path& file, const SavefileInfo& info) {
  auto t = capinfos_section(file);
  EXPECT_EQ(info.hardware, first_or_empty(t, "Capture hardware"));
  EXPECT_EQ(info.os, first_or_empty(t, "Capture oper-sys"));
  EXPECT_EQ(info.user_application, first_or_empty(t, "Capture application"));
  // capinfos -k shows a capture comment's line breaks as spaces.
  std::vector<std::string> comments = info.comments;
  for (auto& c : comments) {
    std::replace(c.begin(), c.end(), '\n', ' ');
    c.erase(0, c.find_first_not_of(' '));
  }
  EXPECT_EQ(comments, t.contains("Capture comment") ? t.at("Capture comment")
                                                    : std::vector<std::string>{});
  EXPECT_EQ(info.format, SavefileFormat::pcapng);
  EXPECT_EQ(info.version_major, 1);
  EXPECT_EQ(info.version_minor, 0);
}

class SampleFile : public ::testing::TestWithParam<std::string> {};

TEST_P(SampleFile, AgreesWithTsharkAndCapinfos) {
  const std::string& rel = GetParam();
  fs::path file = kCaptures / rel;
  ReadOutcome ours = read_all(file.string());
  int tshark_status = 0;
  auto theirs = tshark_rows(file, &tshark_status);

  auto expected = expected_errors().find(rel);
  if (expected != expected_errors().end()) {
    EXPECT_NE(tshark_status, 0) << "tshark now reads " << rel << "; it should not be listed";
    std::string message = file.string() + ": " + expected->second;
    const std::optional<Error>& got = ours.open_error ? ours.open_error : ours.error;
    ASSERT_TRUE(got.has_value()) << "no error for " << rel;
    EXPECT_EQ(got->message, message);
    ASSERT_TRUE(got->offset.has_value());
    EXPECT_NE(got->message.find(fmt::format("offset {}", *got->offset)), std::string::npos)
        << "the offset " << *got->offset << " is not in the message";
  } else {
    ASSERT_EQ(tshark_status, 0) << "tshark could not read " << rel;
    ASSERT_FALSE(ours.open_error.has_value()) << ours.open_error->message;
    EXPECT_FALSE(ours.error.has_value()) << ours.error->message;
  }

  FileLayout layout = layout_of(file);
  std::size_t n = std::max(ours.packets.size(), theirs.size());
  EXPECT_EQ(ours.packets.size(), theirs.size()) << "packet count";
  for (std::size_t i = 0; i < n; ++i) {
    std::string o = i < ours.packets.size() ? show(our_row(ours.packets[i], i, layout, ours.interfaces,
                                                      i < theirs.size() ? &theirs[i] : nullptr))
                                            : "(none)";
    std::string t = i < theirs.size() ? show(theirs[i]) : "(none)";
    EXPECT_EQ(o, t) << "packet " << i + 1 << "\n  pcapxx: " << o << "\n  tshark: " << t;
  }

  if (expected == expected_errors().end()) {
    compare_interfaces(file, ours.interfaces);
    compare_section(file, ours.info);
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Captures, SampleFile, ::testing::ValuesIn(pcapng_files()), test_name);

// Guards against the parameterized test passing vacuously: the sample set must be there, and
// every file listed as failing must exist.
TEST(SampleFiles, AreFoundAndListedFailuresExist) {
  auto files = pcapng_files();
  EXPECT_GE(files.size(), 80U) << "sample captures missing under " << kCaptures;
  for (const auto& [rel, message] : expected_errors())
    EXPECT_NE(std::find(files.begin(), files.end(), rel), files.end()) << rel;
}

}  // namespace
}  // namespace pcapxx::test
