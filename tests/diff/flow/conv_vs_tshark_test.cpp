// The flow table against tshark's conversation tables (-q -z conv,tcp -z conv,udp) on every
// shared capture: per conversation, frames and bytes in each direction.
//
// Definitional differences, each handled explicitly here (and in docs/pxdump-stats.md):
//   - bytes are frame lengths on the wire (origlen) on both sides;
//   - tshark reassembles IP fragments by default and counts a fragmented datagram once, at its
//     last fragment; the flow table does not reassemble. tshark runs with ip.defragment and
//     ipv6.defragment off, so the first fragment (which has the ports) counts in both;
//   - tshark dissects inside tunnels (VXLAN, Geneve, GRE, GTP, LISP, Teredo, AYIYA, L2TP) and
//     decompresses IPComp, so one frame can count in an outer and an inner conversation; the
//     flow table keys a frame once, by the outer header. tshark runs with those protocols
//     disabled;
//   - an ICMP error quotes the header of the packet it answers: tshark counts the frame in the
//     quoted TCP/UDP conversation, the flow table in the ICMP flow between the two hosts. The
//     conversation taps get the filter "not icmp and not icmpv6";
//   - link types the layers registry has no decoder for (ARCNET, PPI, Cisco HDLC, NFLOG...) are
//     skipped, with the reason printed; so are files tshark or our reader refuse;
//   - an IPv6 routing header with segments left: both use the final destination (RFC 8200 8.1);
//   - tshark's key has no VLAN id or interface; ours does. Our flows that differ only in VLAN or
//     interface are summed before comparing (and the test says how often it did so);
//   - tshark 4.0 prints byte counts of 10,000 and more in SI units, truncated ("55 kB"); our exact
//     count is printed the same way for those, and compared exactly below 10,000;
//   - tshark splits a TCP conversation when a SYN with a new initial sequence number arrives
//     (a new tcp.stream); the flow table does the same (FlowEndReason::tcp_reuse).
// No timeouts and no eviction here: tshark has neither.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "common/run.hpp"
#include "pcapxx/flow_table.hpp"
#include "pcapxx/layers/ipv4.hpp"
#include "pcapxx/layers/ipv6.hpp"
#include "pcapxx/layers/registry.hpp"
#include "pcapxx/savefile.hpp"

namespace {

namespace fs = std::filesystem;

/// One side of a conversation as tshark prints it: "addr:port".
std::string endpoint(const pcapxx::layers::FlowKey& k, bool src) {
  const auto& a = src ? k.src : k.dst;
  std::string addr;
  if (k.ip_version == 4) {
    addr = pcapxx::layers::Ipv4Address{{a[0], a[1], a[2], a[3]}}.to_string();
  } else {
    pcapxx::layers::Ipv6Address v6;
    v6.bytes = a;
    addr = v6.to_string();
  }
  return fmt::format("{}:{}", addr, src ? k.src_port : k.dst_port);
}

/// tshark 4.0's format_size with SI prefixes: exact below 10,000, then truncated units.
std::string tshark_bytes(std::uint64_t n) {
  static const char* const kUnits[] = {"kB", "MB", "GB", "TB"};
  if (n < 10'000) return fmt::format("{} bytes", n);
  std::uint64_t div = 1000;
  for (int u = 0; u < 4; ++u, div *= 1000)
    if (n / div < 10'000 || u == 3) return fmt::format("{} {}", n / div, kUnits[u]);
  return {};
}

/// A conversation normalized so both tools describe it alike: endpoints in string order.
struct Conv {
  std::string proto, lo, hi;
  std::uint64_t lo_frames = 0, hi_frames = 0;  // frames sent by lo, by hi
  std::string lo_bytes, hi_bytes;              // as tshark prints them
  auto tie() const { return std::tie(proto, lo, hi, lo_frames, lo_bytes, hi_frames, hi_bytes); }
  bool operator<(const Conv& o) const { return tie() < o.tie(); }
  bool operator==(const Conv& o) const { return tie() == o.tie(); }
  std::string text() const {
    return fmt::format("{} {} -> {}: {} frames {}; back: {} frames {}", proto, lo, hi, lo_frames, lo_bytes,
                       hi_frames, hi_bytes);
  }
};

Conv make(std::string proto, std::string a, std::string b, std::uint64_t af, std::string ab, std::uint64_t bf,
          std::string bb) {
  if (b < a) {
    std::swap(a, b);
    std::swap(af, bf);
    std::swap(ab, bb);
  }
  return Conv{std::move(proto), std::move(a), std::move(b), af, bf, std::move(ab), std::move(bb)};
}

/// Parses "A <-> B  f_in b_in unit  f_out b_out unit  f_tot b_tot unit  start duration". The
/// "<-" columns are frames B sent to A, "->" those A sent to B (checked on a capture with a
/// known client).
bool parse_tshark(const std::string& out, std::vector<Conv>& convs, std::string& why) {
  std::string proto;
  for (const std::string& line : pcapxx::test::lines(out)) {
    if (line.starts_with("TCP Conversations")) proto = "tcp";
    if (line.starts_with("UDP Conversations")) proto = "udp";
    if (line.find(" <-> ") == std::string::npos) continue;
    std::istringstream ss(line);
    std::vector<std::string> t;
    for (std::string w; ss >> w;) t.push_back(w);
    if (t.size() != 14 || t[1] != "<->" || proto.empty()) {
      why = "unexpected tshark line: " + line;
      return false;
    }
    convs.push_back(make(proto, t[0], t[2], std::stoull(t[6]), t[7] + " " + t[8], std::stoull(t[3]),
                         t[4] + " " + t[5]));
  }
  return true;
}

struct Ours {
  std::vector<Conv> convs;
  std::uint64_t merged = 0;  // flows summed because only VLAN or interface told them apart
};

// Reads a capture through classifier and table; false (with why) when the reader fails.
bool run_ours(const fs::path& file, Ours& ours, std::string& why) {
  auto reader = pcapxx::SavefileReader::open(file.string());
  if (!reader) {
    why = reader.error().what();
    return false;
  }
  pcapxx::FlowClassifier classify;
  pcapxx::FlowTable table({.max_flows = 1 << 20, .idle_timeout_ns = 0, .active_timeout_ns = 0});
  // Ended (tcp_reuse) and remaining flows, keyed by id so VLAN/interface twins can be summed.
  struct Row {
    std::string proto, a, b;
    std::uint16_t vlan;
    std::uint32_t interface;
    std::uint64_t af = 0, ab = 0, bf = 0, bb = 0;
  };
  std::vector<pcapxx::FlowRecord> done;
  table.set_end_handler([&](const pcapxx::FlowRecord& r, pcapxx::FlowEndReason) { done.push_back(r); });
  for (const pcapxx::PacketView& p : **reader) {
    pcapxx::FlowPacket fp;
    auto ifs = (*reader)->interfaces();
    if (classify.classify(p, ifs[p.header.interface].link_type, fp)) table.add(fp);
  }
  if (const auto& err = (*reader)->error()) {
    why = err->what();
    return false;
  }
  table.flush();
  // A TCP connection and its tcp_reuse successor stay apart, but the same 5-tuple seen on two
  // VLANs or interfaces is one tshark conversation: those flows are summed.
  std::vector<Row> rows;
  for (const auto& r : done) {
    if (!r.has_ports || (r.key.protocol != 6 && r.key.protocol != 17)) continue;
    const std::string proto = r.key.protocol == 6 ? "tcp" : "udp";
    Row row{proto, endpoint(r.key, true), endpoint(r.key, false), r.vlan, r.interface,
            r.dir[0].packets, r.dir[0].bytes, r.dir[1].packets, r.dir[1].bytes};
    bool merged = false;
    for (auto& o : rows) {
      if (o.proto != proto) continue;
      const bool same = o.a == row.a && o.b == row.b, swapped = o.a == row.b && o.b == row.a;
      if (!same && !swapped) continue;
      if (o.vlan == r.vlan && o.interface == r.interface) continue;  // a tcp_reuse successor stays apart
      o.af += same ? row.af : row.bf;
      o.ab += same ? row.ab : row.bb;
      o.bf += same ? row.bf : row.af;
      o.bb += same ? row.bb : row.ab;
      merged = true;
      ++ours.merged;
      break;
    }
    if (!merged) rows.push_back(row);
  }
  for (const auto& r : rows)
    ours.convs.push_back(make(r.proto, r.a, r.b, r.af, tshark_bytes(r.ab), r.bf, tshark_bytes(r.bb)));
  return true;
}

std::vector<fs::path> shared_captures() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(PCAPXX_SHARED_CAPTURES)) {
    const auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng" || ext == ".cap")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Captures whose difference is understood and kept (the test fails if one starts to agree, so
// the list stays true).
const std::map<std::string, std::string> kKnownDifferences{
    {"libpcap/filter_ipv6_ext_headers.pcap",
     "17 IPv6 extension headers before UDP: more layers than the fast parser keeps (DecodedLayers::kCapacity "
     "24), so the flow has no ports"},
};

struct FileResult {
  fs::path file;
  std::string skipped;  // why it was not compared
  std::string error;    // a failure that is not a difference
  std::vector<Conv> theirs, ours;
  std::uint64_t merged = 0;
};

// Link types the layers registry cannot decode carry no flows for us; tshark decodes more.
std::string undecodable_link(const fs::path& file) {
  auto reader = pcapxx::SavefileReader::open(file.string());
  if (!reader) return {};
  for (const auto& ifc : (*reader)->interfaces())
    if (pcapxx::layers::Registry::builtin().link_type(ifc.link_type) == pcapxx::layers::LayerType::none)
      return fmt::format("link type {} has no decoder in pcapxx layers", ifc.link_type.dlt);
  return {};
}

FileResult compare_one(const fs::path& file) {
  FileResult res;
  res.file = file;
  if (auto why = undecodable_link(file); !why.empty()) {
    res.skipped = why;
    return res;
  }
  Ours ours;
  std::string why;
  if (!run_ours(file, ours, why)) {
    res.skipped = "our reader: " + why;
    return res;
  }
  // ICMP errors quote the header of the packet they answer; tshark counts such a frame in the
  // quoted conversation, the flow table in the ICMP flow: the conversation taps leave them out.
  const std::string no_icmp = ",not icmp and not icmpv6";
  std::vector<std::string> argv{"tshark", "-n", "-q", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"};
  for (const char* tunnel :
       {"vxlan", "geneve", "gre", "gtp", "lisp", "lisp-data", "teredo", "ayiya", "l2tp", "ipcomp"}) {
    argv.emplace_back("--disable-protocol");
    argv.emplace_back(tunnel);
  }
  for (const char* z : {"conv,tcp", "conv,udp"}) {
    argv.emplace_back("-z");
    argv.emplace_back(z + no_icmp);
  }
  argv.emplace_back("-r");
  argv.emplace_back(file.string());
  auto ts = pcapxx::test::run(argv);
  if (ts.status != 0) {
    res.skipped = fmt::format("tshark exit {}: {}", ts.status, ts.err.substr(0, 300));
    return res;
  }
  if (!parse_tshark(ts.out, res.theirs, why)) {
    res.error = why;
    return res;
  }
  std::sort(res.theirs.begin(), res.theirs.end());
  res.ours = std::move(ours.convs);
  std::sort(res.ours.begin(), res.ours.end());
  res.merged = ours.merged;
  return res;
}

TEST(FlowVsTshark, ConversationCountsOnSharedCaptures) {
  const auto files = shared_captures();
  ASSERT_GT(files.size(), 200u) << "shared captures missing under " << PCAPXX_SHARED_CAPTURES;
  // tshark's start-up dominates: three files at a time.
  std::vector<FileResult> results(files.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 3; ++w)
    workers.emplace_back([&] {
      for (std::size_t i; (i = next++) < files.size();) results[i] = compare_one(files[i]);
    });
  for (auto& t : workers) t.join();

  std::size_t compared = 0, with_convs = 0, total_convs = 0, merged = 0;
  std::vector<std::string> skipped, known;
  for (const auto& r : results) {
    const std::string rel = fs::relative(r.file, PCAPXX_SHARED_CAPTURES).string();
    if (!r.skipped.empty()) {
      skipped.push_back(fmt::format("{}: {}", rel, r.skipped));
      continue;
    }
    EXPECT_TRUE(r.error.empty()) << rel << ": " << r.error;
    ++compared;
    merged += r.merged;
    if (!r.theirs.empty()) ++with_convs;
    total_convs += r.theirs.size();
    std::string report;
    std::set<Conv> a(r.theirs.begin(), r.theirs.end()), b(r.ours.begin(), r.ours.end());
    for (const auto& c : r.theirs)
      if (!b.contains(c)) report += "  tshark only: " + c.text() + "\n";
    for (const auto& c : r.ours)
      if (!a.contains(c)) report += "  pcapxx only: " + c.text() + "\n";
    const auto k = kKnownDifferences.find(rel);
    if (k != kKnownDifferences.end()) {
      EXPECT_NE(r.theirs, r.ours) << rel << " is listed as a known difference but now agrees: update the list";
      known.push_back(fmt::format("{}: {}\n{}", rel, k->second, report));
      continue;
    }
    if (r.theirs != r.ours)
      ADD_FAILURE() << rel << ": conversations differ (" << r.theirs.size() << " in tshark, " << r.ours.size()
                    << " in pcapxx)\n" << report;
  }
  fmt::print("compared {} captures ({} with TCP/UDP conversations, {} conversations); summed {} VLAN/interface "
             "twins\nknown differences {}:\n", compared, with_convs, total_convs, merged, known.size());
  for (const auto& s : known) fmt::print("  {}", s);
  fmt::print("skipped {}:\n", skipped.size());
  for (const auto& s : skipped) fmt::print("  {}\n", s);
  EXPECT_GE(with_convs, 150u) << "too few captures compared for the test to mean anything";
}

}  // namespace
