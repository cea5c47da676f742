// Differential test: every shared capture read by pcapxx and by tshark (a separate process)
// gives the same packets: count, timestamps to the nanosecond, lengths, interface, comments;
// and the same link type and snapshot length as tcpdump reports. Files the oracles cannot read
// are listed with the error we must give.
#include <gtest/gtest.h>

#include <map>

#include <fmt/format.h>

#include "common/run.hpp"
#include "pcapxx/linktype.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx {
namespace {

using test::run;

// Files that are broken on purpose, with the start of the message our reader must give
// (after the file name); see ../shared/captures/README.md.
const std::map<std::string, std::string> kBrokenFiles = {
    {"libpcap/pcap-invalid-version-1.pcap", "archaic pcap savefile format version 1.4"},
    {"libpcap/pcap-invalid-version-2.pcap", "unsupported pcap savefile version 2.5"},
    {"libpcap/linktype-reserved-field-not-zero.pcap",
     "link-type field 0x00300000 has reserved bits 16-25 set"},
    {"libpcap/pcapng-invalid-vers-1.pcapng", "unsupported pcapng savefile version 0.1"},
    {"libpcap/pcapng-invalid-vers-2.pcapng", "unsupported pcapng savefile version 1.1"},
};

std::string epoch(Timestamp ts) {
  return fmt::format("{}.{:09}", ts.seconds(), ts.subsec_ns());
}

struct Ours {
  std::vector<std::string> rows;
  std::optional<Error> error;
  LinkType link{};
  std::uint32_t snaplen = 0;
  bool pcapng = false;
};

Ours read_ours(const std::filesystem::path& path) {
  Ours o;
  auto reader = SavefileReader::open(path.string());
  if (!reader) {
    o.error = reader.error();
    return o;
  }
  bool pcapng = (*reader)->info().format == SavefileFormat::pcapng;
  o.pcapng = pcapng;
  o.link = (*reader)->link_type();
  o.snaplen = (*reader)->snaplen();
  for (const PacketView& p : **reader) {
    std::string comments;
    if (!p.options.bytes.empty()) {
      auto opts = parse_packet_options(p.options);
      if (opts) {
        for (std::size_t i = 0; i < opts->comments.size(); ++i)
          comments += fmt::format("{}{}", i ? "," : "", opts->comments[i]);
      } else {
        comments = "<" + opts.error().what() + ">";
      }
    }
    o.rows.push_back(fmt::format("{}|{}|{}|{}|{}", epoch(p.header.ts), p.header.caplen,
                                 p.header.origlen,
                                 // tshark shows an interface only for pcapng
                                 pcapng ? fmt::format("{}", p.header.interface) : "", comments));
  }
  o.error = (*reader)->error();
  return o;
}

class ReadVsTshark : public testing::TestWithParam<std::filesystem::path> {};

TEST_P(ReadVsTshark, SamePackets) {
  const auto& path = GetParam();
  std::string name = test::capture_name(path);
  Ours ours = read_ours(path);

  if (auto it = kBrokenFiles.find(name); it != kBrokenFiles.end()) {
    ASSERT_TRUE(ours.error.has_value()) << name << ": expected the error '" << it->second << "'";
    EXPECT_NE(ours.error->what().find(it->second), std::string::npos)
        << name << ": expected '" << it->second << "', got '" << ours.error->what() << "'";
    return;
  }

  auto ts = run({"tshark", "-r", path.string(), "-T", "fields", "-e", "frame.time_epoch", "-e",
                 "frame.cap_len", "-e", "frame.len", "-e", "frame.interface_id", "-e",
                 "frame.comment", "-e", "frame.section_number", "-E", "separator=|"});
  auto theirs = test::lines(ts.out);
  // tshark numbers interfaces per pcapng section, we number them through the file; a Simple
  // Packet Block has no timestamp (tshark shows none, we say 0).
  // tshark 4 also lists non-packet pcapng blocks as records, with no interface: drop them.
  bool several_sections = false;
  std::vector<std::string> packets;
  for (auto& row : theirs) {
    auto bar = row.rfind('|');
    several_sections |= row.substr(bar + 1) != "1" && row.substr(bar + 1) != "";
    row.resize(bar);
    auto fields = test::split(row, '|');
    if (ours.pcapng && fields.size() > 3 && fields[3].empty()) continue;
    if (row.starts_with("|")) row = "0.000000000" + row;
    packets.push_back(row);
  }
  theirs = std::move(packets);
  if (several_sections) {
    auto drop_interface = [](std::string& row) {
      auto last = row.rfind('|');
      auto before = row.rfind('|', last - 1);
      row.erase(before + 1, last - before - 1);
    };
    for (auto& row : theirs) drop_interface(row);
    for (auto& row : ours.rows) drop_interface(row);
  }
  bool tshark_ok = ts.status == 0;
  if (ts.err.find("doesn't support") != std::string::npos && theirs.empty()) {
    // A link type tshark does not know: libpcap (through a test helper) is the oracle.
    auto lp = run({PCAPXX_TEST_BIN_DIR "/pcap_oracle", path.string()});
    theirs = test::lines(lp.out);
    tshark_ok = lp.status == 0;
    for (auto& row : ours.rows) row = row.substr(0, row.rfind('|', row.rfind('|') - 1));
    ts.err = "(libpcap) " + lp.out;
  }
  // tshark stops at a damaged record and says so; we must stop there too, with an error.
  if (!tshark_ok) {
    EXPECT_TRUE(ours.error.has_value())
        << name << ": tshark failed (" << ts.err << ") but pcapxx read the whole file";
  } else {
    EXPECT_FALSE(ours.error.has_value()) << name << ": " << (ours.error ? ours.error->what() : "");
  }
  EXPECT_EQ(ours.rows.size(), theirs.size()) << name << ": packet count; tshark said: " << ts.err;
  for (std::size_t i = 0; i < std::min(ours.rows.size(), theirs.size()); ++i) {
    // A pcapng tick count with the top bit set is a time ~584 years past 2^63 ns: tshark reads
    // it unsigned, we read it signed (pcapng_reader.cpp); compare the rest of such rows.
    if (auto sec = theirs[i].substr(0, theirs[i].find('.')); sec.size() > 11) {
      auto rest = [](const std::string& row) { return row.substr(row.find('|')); };
      if (rest(ours.rows[i]) != rest(theirs[i]))
        ADD_FAILURE() << name << ": packet " << i + 1 << "\n  pcapxx: " << ours.rows[i]
                      << "\n  tshark: " << theirs[i];
      continue;
    }
    if (ours.rows[i] != theirs[i]) {
      ADD_FAILURE() << name << ": packet " << i + 1 << "\n  pcapxx: " << ours.rows[i]
                    << "\n  tshark: " << theirs[i];
      break;
    }
  }

  // Link type and snapshot length as tcpdump (libpcap) reports them in its first line.
  auto td = run({"tcpdump", "-r", path.string(), "-c", "1", "-w", "/dev/null"});
  auto first = td.err.substr(0, td.err.find('\n'));
  if (first.starts_with("reading from file") && !ours.error) {
    const auto* row = find_link_type(ours.link);
    std::string link_text = row ? fmt::format("link-type {} ({})", row->name, row->description)
                                : fmt::format("link-type {}", ours.link.dlt);
    // libpcap reports a pcapng snaplen of 0 ("no limit") as its maximum, 262144.
    std::uint32_t snaplen = ours.pcapng && ours.snaplen == 0 ? 262144 : ours.snaplen;
    std::string expect = fmt::format("reading from file {}, {}, snapshot length {}", path.string(),
                                     link_text, snaplen);
    EXPECT_EQ(first, expect) << name;
  }
}

std::string test_name(const testing::TestParamInfo<std::filesystem::path>& info) {
  std::string n = test::capture_name(info.param);
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(SharedCaptures, ReadVsTshark, testing::ValuesIn(test::shared_capture_files()),
                         test_name);

}  // namespace
}  // namespace pcapxx
