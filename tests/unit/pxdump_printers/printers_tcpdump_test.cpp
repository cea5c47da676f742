// The part-B protocol printers against tcpdump 4.99 on real captures: each packet holding one of
// ICMP, ICMPv6, IGMP, SCTP, GRE, VXLAN, Geneve, PPPoE, DNS, DHCP/BOOTP or NTP is printed by our
// printer (through a test-only dispatcher), and tcpdump's text for the same packet and flags must
// end with exactly that text (or, for encapsulations, contain it before the inner packet).
// tcpdump runs as a separate program (`tcpdump -# -n FLAGS -r FILE`); both sides are printed on
// a mismatch. The full lines are compared by the pxdump differential harness (tests/diff/pxdump_print).
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dispatch.hpp"
#include "pcapxx/decode.hpp"
#include "pcapxx/savefile.hpp"

namespace pxdump::printers {
namespace {

namespace fs = std::filesystem;

std::string capture(const char* rel) { return (fs::path(PCAPXX_SHARED_CAPTURES) / rel).string(); }

// tcpdump's text per packet number (1-based), continuation lines joined with "\n".
std::map<std::size_t, std::string> tcpdump_text(const std::string& file, const std::string& flags) {
  std::map<std::size_t, std::string> out;
  const std::string cmd = "tcpdump -# -n -t " + flags + " -r '" + file + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::string line;
  std::size_t current = 0;
  char chunk[4096];
  auto flush = [&] {
    if (line.empty()) return;
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
    line.clear();
  };
  while (std::fgets(chunk, sizeof chunk, p) != nullptr) {
    line += chunk;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      flush();
    }
  }
  flush();
  pclose(p);
  return out;
}

// Per protocol: packets compared and packets that differ.
struct Tally {
  std::map<std::string, std::size_t> compared, mismatched;
};

void compare_file(const std::string& file, const std::string& flag_text, const PrintFlags& flags, Tally& tally) {
  auto expected = tcpdump_text(file, flag_text);
  auto reader = pcapxx::SavefileReader::open(file);
  if (!reader.has_value()) return;  // files broken on purpose: the savefile tests cover them
  std::size_t number = 0;
  for (const auto& view : **reader) {
    ++number;
    // tcpdump stops at a pcapng interface whose link type or snapshot length differs from the
    // first one's: packets after that have no text to compare with.
    const auto it = expected.find(number);
    if (it == expected.end()) continue;
    const auto interfaces = (*reader)->interfaces();
    if (view.header.interface >= interfaces.size()) continue;
    const auto packet = pcapxx::layers::Packet::decode(view.data, interfaces[view.header.interface].link_type);
    const auto printed = testing::print_part_b(packet, flags);
    if (!printed) continue;
    const std::string protocol(printed->protocol);
    // SCTP DATA payloads (M3UA...) are other protocols, printed by tcpdump at -vv: not ours.
    if (protocol == "sctp" && flags.verbose > 1 && printed->text.find("[DATA]") != std::string::npos) continue;
    // ICMPv6 messages whose bodies are not decoded yet (see icmp6.cpp): router renumbering, node
    // information, home agent / mobile prefix replies at -v, RPL.
    if (protocol == "icmp6") {
      bool unsupported = false;
      for (const char* name : {"router renumbering", "who-are-you", "ha discovery reply", "mobile router advertisement",
                               "unknown icmp6 type (155)"})
        unsupported = unsupported || printed->text.find(name) != std::string::npos;
      if (unsupported) continue;
    }
    ++tally.compared[protocol];
    const std::string& want = it->second;
    if (!testing::matches(want, printed->text)) {
      ++tally.mismatched[protocol];
      ADD_FAILURE() << file << " packet " << number << " (" << protocol << ") flags '" << flag_text
                    << "'\n  tcpdump: " << want << "\n  ours:    " << printed->text;
    }
  }
}

// Every shared capture holding a part-B protocol (found with tshark), under -n and -v to -vvv.
const char* const kCaptures[] = {
#include "captures.inc"
};

TEST(PrintersTcpdump, SharedCaptures) {
  struct FlagSet {
    std::string text;
    PrintFlags flags;
  };
  const std::vector<FlagSet> sets{{"", {}}, {"-v", {.verbose = 1}}, {"-vv", {.verbose = 2}}, {"-vvv", {.verbose = 3}}};
  Tally tally;
  for (const char* rel : kCaptures)
    for (const auto& s : sets) compare_file(capture(rel), s.text, s.flags, tally);
  for (const auto& [protocol, n] : tally.compared)
    std::printf("  %-6s %6zu packet texts compared, %zu differ\n", protocol.c_str(), n, tally.mismatched[protocol]);
  // The protocols the captures must exercise (a test that compares nothing cannot fail).
  for (const char* protocol : {"dns", "mdns", "icmp", "icmp6", "igmp", "sctp", "gre", "vxlan", "geneve", "pppoe", "bootp", "ntp"})
    EXPECT_GT(tally.compared[protocol], 0u) << protocol;
}

// Crafted frames (data/make_crafted.py) for what the shared captures lack: every DNS type and
// class, every ICMP and ICMPv6 type, ND options, ICMPv6 errors, MLD, GRE v0 fields, NTP variants
// and every DHCP option name.
TEST(PrintersTcpdump, CraftedCaptures) {
  const char* files[] = {"dns_types_classes.pcap", "icmp_types.pcap", "icmp6_types.pcap", "icmp6_nd_options.pcap",
                         "icmp6_errors.pcap",      "mld.pcap",        "gre_v0.pcap",      "ntp_fields.pcap",
                         "dhcp_option_names.pcap"};
  const std::vector<std::pair<std::string, PrintFlags>> sets{
      {"", {}}, {"-v", {.verbose = 1}}, {"-vv", {.verbose = 2}}, {"-vvv", {.verbose = 3}}};
  Tally tally;
  for (const char* f : files)
    for (const auto& [text, flags] : sets)
      compare_file((fs::path(PCAPXX_SOURCE_DIR) / "tests/unit/pxdump_printers/data" / f).string(), text, flags, tally);
  for (const auto& [protocol, n] : tally.compared)
    std::printf("  %-6s %6zu crafted packet texts compared, %zu differ\n", protocol.c_str(), n, tally.mismatched[protocol]);
  for (const char* protocol : {"dns", "icmp", "icmp6", "gre", "ntp", "bootp"}) EXPECT_GT(tally.compared[protocol], 0u) << protocol;
}

}  // namespace
}  // namespace pxdump::printers
