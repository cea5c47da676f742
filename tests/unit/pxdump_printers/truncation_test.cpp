// Truncated and malformed part-B packets against tcpdump 4.99: part-B packets of a set of
// Ethernet captures are cut at many lengths from the transport header on (the original length
// kept, as a short snaplen leaves it), written to one pcap file with SavefileWriter, and printed
// by the built pxdump and by tcpdump (`-# -n -t FLAGS -r FILE`); every cut packet's full text
// must agree, truncation markers ("[|domain]") included. Both sides are printed on a mismatch.
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
      const std::string_view protocol = testing::part_b_protocol(whole);
      if (protocol.empty()) continue;
      if (++taken > 6) break;
      // Cut from the transport header on, 1 byte at a time near the start, then coarser.
      const std::size_t from = 14 + 20;
      for (std::size_t n = from; n < view.data.size(); n += (n < from + 64 ? 1 : 7))
        cuts.push_back({std::vector<std::byte>(view.data.begin(), view.data.begin() + static_cast<std::ptrdiff_t>(n)),
                        view.header.origlen, protocol});
    }
  }
  ASSERT_GT(cuts.size(), 500u);
  const fs::path file = fs::temp_directory_path() / ("pxdump_printers_cuts_" + std::to_string(::getpid()) + ".pcap");
  write_cuts(file, cuts);
  // A cut is compared where its part-B printer runs and the cut falls in a part-B layer or
  // after the last decoded one: a cut inside a part-A layer (the UDP header, an IPv6
  // extension header, the Ethernet frame inside VXLAN) prints part A's truncation marker.
  std::vector<bool> compare(cuts.size());
  std::size_t in_part_a = 0;
  for (std::size_t i = 0; i < cuts.size(); ++i) {
    const auto packet = pcapxx::layers::Packet::decode(cuts[i].bytes, pcapxx::LinkType{1});
    const auto* failure = packet.error();
    compare[i] = !testing::part_b_protocol(packet).empty() && !testing::has_unprinted_layer(packet) &&
                 (failure == nullptr || testing::is_part_b_layer(failure->layer));
    if (!compare[i]) ++in_part_a;
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
                                  fmt::format("{} of {} bytes, {}", cuts[i].bytes.size(), cuts[i].origlen, cuts[i].protocol));
    }
  }
  fs::remove(file);
  std::printf("  %zu cut packets compared, %zu with a truncation marker; %zu cuts (x3 flag sets) not compared: cut in a part-A layer\n",
              compared, marked, in_part_a);
  EXPECT_GT(compared, 1000u);
  EXPECT_GT(marked, 100u);
}

}  // namespace
}  // namespace pxdump::printers
