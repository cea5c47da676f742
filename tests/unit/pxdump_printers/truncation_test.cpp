// Truncated and malformed part-B packets against tcpdump 4.99: every part-B packet of a set of
// Ethernet captures is cut at many lengths inside its protocol (the original length kept, as a
// short snaplen leaves it), written to a pcap file, and printed by tcpdump and by our printers;
// the texts must agree, truncation markers ("[|domain]") included. Both sides are printed on a
// mismatch.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "dispatch.hpp"
#include "pcapxx/decode.hpp"
#include "pcapxx/savefile.hpp"

namespace pxdump::printers {
namespace {

namespace fs = std::filesystem;

struct Cut {
  std::vector<std::byte> bytes;
  std::uint32_t origlen;
};

void put32(std::ofstream& f, std::uint32_t v) { f.write(reinterpret_cast<const char*>(&v), 4); }

// A little-endian microsecond pcap of Ethernet frames.
void write_pcap(const fs::path& path, const std::vector<Cut>& cuts) {
  std::ofstream f(path, std::ios::binary);
  put32(f, 0xa1b2c3d4);
  put32(f, 2 | (4u << 16));
  put32(f, 0);
  put32(f, 0);
  put32(f, 262144);
  put32(f, 1);
  std::uint32_t t = 0;
  for (const Cut& c : cuts) {
    put32(f, t++);
    put32(f, 0);
    put32(f, static_cast<std::uint32_t>(c.bytes.size()));
    put32(f, c.origlen);
    f.write(reinterpret_cast<const char*>(c.bytes.data()), static_cast<std::streamsize>(c.bytes.size()));
  }
}

std::map<std::size_t, std::string> tcpdump_text(const fs::path& file, const std::string& flags) {
  std::map<std::size_t, std::string> out;
  const std::string cmd = "tcpdump -# -n -t " + flags + " -r '" + file.string() + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::string text;
  char chunk[4096];
  while (std::fgets(chunk, sizeof chunk, p) != nullptr) text += chunk;
  pclose(p);
  std::size_t current = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    std::size_t i = 0;
    while (i < line.size() && line[i] == ' ') ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] >= '0' && line[j] <= '9') ++j;
    if (j > i && j + 2 <= line.size() && line[j] == ' ' && line[j + 1] == ' ') {
      current = std::stoul(line.substr(i, j - i));
      out[current] = line.substr(j + 2);
    } else if (current != 0) {
      out[current] += "\n" + line;
    }
  }
  return out;
}

TEST(PrintersTruncated, CutsAgreeWithTcpdump) {
  const char* files[] = {"ppp/DnsPackets.pcap",  "ppp/IcmpPackets.pcap",        "ppp/IgmpPackets.pcap",
                         "ppp/igmpv3_report2.pcap", "ppp/Ntp.pcap",             "ppp/Dhcp1.pcap",
                         "ppp/Dhcp2.pcap",       "ppp/Vxlan1.pcap",             "libpcap/filter_geneve.pcap",
                         "ppp/PPPoEDiscovery.pcap", "ppp/ip-frag.pcap",         "ppp/IcmpV6_NeighAdvSoli.pcap",
                         "ppp/DNS_NXDomain.pcap", "ppp/Dns4.pcap",              "ppp/GrePackets.cap"};
  std::vector<Cut> cuts;
  for (const char* rel : files) {
    auto reader = pcapxx::SavefileReader::open((fs::path(PCAPXX_SHARED_CAPTURES) / rel).string());
    ASSERT_TRUE(reader.has_value()) << rel;
    if ((*reader)->link_type().dlt != 1) continue;
    std::size_t taken = 0;
    for (const auto& view : **reader) {
      const auto whole = pcapxx::layers::Packet::decode(view.data, (*reader)->link_type());
      if (!testing::print_part_b(whole, {})) continue;
      if (++taken > 6) break;
      // Cut from the transport header on, 1 byte at a time near the start, then coarser.
      const std::size_t from = 14 + 20;
      for (std::size_t n = from; n < view.data.size(); n += (n < from + 64 ? 1 : 7))
        cuts.push_back({std::vector<std::byte>(view.data.begin(), view.data.begin() + static_cast<std::ptrdiff_t>(n)),
                        view.header.origlen});
    }
  }
  ASSERT_GT(cuts.size(), 500u);
  const fs::path file = fs::temp_directory_path() / ("pxdump_printers_cuts_" + std::to_string(::getpid()) + ".pcap");
  write_pcap(file, cuts);
  std::size_t compared = 0;
  std::size_t marked = 0;
  for (int verbose = 0; verbose <= 2; ++verbose) {
    const std::string flag_text = verbose == 0 ? "" : std::string("-") + std::string(static_cast<std::size_t>(verbose), 'v');
    auto expected = tcpdump_text(file, flag_text);
    for (std::size_t i = 0; i < cuts.size(); ++i) {
      const auto packet = pcapxx::layers::Packet::decode(cuts[i].bytes, pcapxx::LinkType{1});
      const auto printed = testing::print_part_b(packet, PrintFlags{.verbose = verbose});
      if (!printed) continue;
      // SCTP DATA payloads (M3UA...) are other protocols: not ours.
      if (printed->protocol == "sctp" && verbose > 1) continue;
      ++compared;
      const std::string& want = expected[i + 1];
      if (printed->text.find(" [|") != std::string::npos) ++marked;
      if (!testing::matches(want, printed->text))
        ADD_FAILURE() << "cut packet " << i + 1 << " (" << cuts[i].bytes.size() << " of " << cuts[i].origlen
                      << " bytes, " << printed->protocol << ") flags '" << flag_text << "'\n  tcpdump: " << want
                      << "\n  ours:    " << printed->text;
    }
  }
  fs::remove(file);
  std::printf("  %zu cut packet texts compared, %zu with a truncation marker\n", compared, marked);
  EXPECT_GT(compared, 1000u);
  EXPECT_GT(marked, 100u);
}

}  // namespace
}  // namespace pxdump::printers
