// Truncated and malformed packets against tcpdump 4.99: part-B packets of a set of Ethernet
// captures, and every packet of crafted ones (IPv6 extension headers, TCP and IPv4 options, DNS
// over TCP), are cut at many lengths from byte 34 on (the original length kept, as a short
// snaplen leaves it), written to one pcap file with SavefileWriter, and printed by the built
// pxdump and by tcpdump (`-# -n -t FLAGS -r FILE`); every cut packet's full text must agree,
// truncation markers ("[|udp]", "[|hbhopt]", "[|domain]") included, wherever the cut falls.
// Both sides are printed on a mismatch.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "pcapxx/decode.hpp"
#include "pcapxx/layers/sctp.hpp"
#include "pcapxx/savefile.hpp"
#include "tcpdump_side_by_side.hpp"

namespace pxdump::printers {
namespace {

namespace fs = std::filesystem;

struct Cut {
  std::vector<std::byte> bytes;
  std::uint32_t origlen = 0;
  std::string_view protocol;  ///< the whole packet's part-B protocol
};

// An Ethernet pcap holding the cuts, in order (packet n is cuts[n - 1]).
void write_cuts(const fs::path& path, const std::vector<Cut>& cuts) {
  pcapxx::InterfaceDescription ethernet;
  ethernet.link_type = pcapxx::LinkType{1};
  ethernet.snaplen = 262144;
  auto writer = pcapxx::SavefileWriter::open(path.string(), std::span(&ethernet, 1), {});
  ASSERT_TRUE(writer.has_value()) << writer.error().what();
  for (const Cut& c : cuts) {
    pcapxx::PacketView view;
    view.header.caplen = static_cast<std::uint32_t>(c.bytes.size());
    view.header.origlen = c.origlen;
    view.data = c.bytes;
    auto written = (*writer)->write(view);
    ASSERT_TRUE(written.has_value()) << written.error().what();
  }
  auto closed = (*writer)->close();
  ASSERT_TRUE(closed.has_value()) << closed.error().what();
}

/// Appends the cuts of one file's packets: those holding a part-B protocol (at most 6) or,
/// with every_packet, all of them.
void add_cuts(const fs::path& path, bool every_packet, std::vector<Cut>& cuts) {
  auto reader = pcapxx::SavefileReader::open(path.string());
  ASSERT_TRUE(reader.has_value()) << path;
  if ((*reader)->link_type().dlt != 1) return;
  std::size_t taken = 0;
  for (const auto& view : **reader) {
    const auto whole = pcapxx::layers::Packet::decode(view.data, (*reader)->link_type());
    const std::string_view protocol = testing::part_b_protocol(whole);
    if (protocol.empty() && !every_packet) continue;
    if (++taken > 6 && !every_packet) break;
    // Cut from the transport header on, 1 byte at a time near the start, then coarser.
    const std::size_t from = 14 + 20;
    for (std::size_t n = from; n < view.data.size(); n += (n < from + 64 ? 1 : 7))
      cuts.push_back({std::vector<std::byte>(view.data.begin(), view.data.begin() + static_cast<std::ptrdiff_t>(n)),
                      view.header.origlen, protocol});
  }
}

TEST(PrintersTruncated, CutsAgreeWithTcpdump) {
  const char* files[] = {"ppp/DnsPackets.pcap",  "ppp/IcmpPackets.pcap",        "ppp/IgmpPackets.pcap",
                         "ppp/igmpv3_report2.pcap", "ppp/Ntp.pcap",             "ppp/Dhcp1.pcap",
                         "ppp/Dhcp2.pcap",       "ppp/Vxlan1.pcap",             "libpcap/filter_geneve.pcap",
                         "ppp/PPPoEDiscovery.pcap", "ppp/ip-frag.pcap",         "ppp/IcmpV6_NeighAdvSoli.pcap",
                         "ppp/DNS_NXDomain.pcap", "ppp/Dns4.pcap",              "ppp/GrePackets.cap"};
  // Crafted (data/make_crafted.py), every packet cut: IPv6 extension header chains, TCP option
  // lists, IPv4 options, DNS over TCP, DNS record data and EDNS options, RPL.
  const char* crafted[] = {"ipv6_ext_headers.pcap", "tcp_ip_options.pcap", "dns_tcp.pcap", "dns_records.pcap",
                           "rpl.pcap"};
  std::vector<Cut> cuts;
  for (const char* rel : files) add_cuts(fs::path(PCAPXX_SHARED_CAPTURES) / rel, false, cuts);
  for (const char* name : crafted)
    add_cuts(fs::path(PCAPXX_SOURCE_DIR) / "tests/unit/pxdump_printers/data" / name, true, cuts);
  ASSERT_GT(cuts.size(), 500u);
  const fs::path file = fs::temp_directory_path() / ("pxdump_printers_cuts_" + std::to_string(::getpid()) + ".pcap");
  write_cuts(file, cuts);
  // Every cut is compared, wherever it falls (a part-B layer, the UDP or TCP header, an IPv6
  // extension header, the inner packet of a tunnel), except where tcpdump prints a protocol
  // pxdump has no printer for. Cuts that end in a part-A layer are counted: they must be there.
  std::vector<bool> compare(cuts.size());
  std::size_t in_part_a = 0;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const auto packet = pcapxx::layers::Packet::decode(cuts[i].bytes, pcapxx::LinkType{1});
    compare[i] = !testing::has_unprinted_layer(packet);
    const auto* failure = packet.error();
    if (compare[i] && failure != nullptr && !testing::is_part_b_layer(failure->layer)) ++in_part_a;
  }
  std::size_t compared = 0;
  std::size_t marked = 0;
  for (int verbose = 0; verbose <= 2; ++verbose) {
    std::vector<std::string> flags;
    if (verbose > 0) flags.push_back("-" + std::string(static_cast<std::size_t>(verbose), 'v'));
    const auto both = testing::run_both(file.string(), flags);
    EXPECT_EQ(both.tcpdump.size(), cuts.size()) << "tcpdump " << both.command;
    for (std::size_t i = 0; i < cuts.size(); ++i) {
      // SCTP DATA payloads (M3UA...) are other protocols, printed by tcpdump at -vv: not ours.
      if ((cuts[i].protocol == "sctp" && verbose > 1) || !compare[i]) continue;
      ++compared;
      if (i < both.pxdump.size() && both.pxdump[i].find("[|") != std::string::npos) ++marked;
      testing::expect_same_packet(both, i + 1,
                                  fmt::format("{} of {} bytes, {}", cuts[i].bytes.size(), cuts[i].origlen,
                                              cuts[i].protocol.empty() ? "no part-B protocol" : cuts[i].protocol));
    }
  }
  fs::remove(file);
  std::printf("  %zu cut packets compared (3 flag sets), %zu with a truncation marker; %zu cuts end in a part-A layer\n",
              compared, marked, in_part_a);
  EXPECT_GT(compared, 1000u);
  EXPECT_GT(marked, 100u);
  EXPECT_GT(in_part_a, 300u);
}

}  // namespace
}  // namespace pxdump::printers
