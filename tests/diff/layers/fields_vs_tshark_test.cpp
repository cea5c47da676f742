// Differential test: every packet of the shared .pcap captures of the link types we decode,
// decoded by pcapxx and by tshark (a separate process, -T fields). Every occurrence of each
// field must agree, in order. Where tshark decodes inside something we do not decode yet (a
// tunnel, PPPoE, MPLS...) or inside the truncated copy an ICMP error carries, our values must
// be a prefix of tshark's. The test prints both sides on a mismatch.
#include <gtest/gtest.h>

#include <map>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "common/run.hpp"
#include "pcapxx/decode.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::layers {
namespace {

using test::run;

// The tshark fields compared, in column order.
const std::vector<std::string> kFields = {
    "eth.src",       "eth.dst",       "eth.type",      "vlan.id",        "vlan.priority",
    "arp.opcode",    "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
    "ip.version",    "ip.hdr_len",    "ip.dsfield",    "ip.len",         "ip.id",
    "ip.ttl",        "ip.proto",      "ip.checksum",   "ip.src",         "ip.dst",
    "ipv6.tclass",   "ipv6.flow",     "ipv6.plen",     "ipv6.nxt",       "ipv6.hlim",
    "ipv6.src",      "ipv6.dst",      "ipv6.fraghdr.ident", "ah.spi",      "esp.spi",
    "tcp.srcport",   "tcp.dstport",   "tcp.seq_raw",   "tcp.ack_raw",    "tcp.hdr_len",
    "tcp.flags",     "tcp.window_size_value", "tcp.checksum", "tcp.urgent_pointer",
    "tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.timestamp.tsval",
    "udp.srcport",   "udp.dstport",   "udp.length",    "udp.checksum",
    "icmp.type",     "icmp.code",     "icmp.checksum", "icmpv6.type",    "icmpv6.code",
    "icmpv6.checksum", "icmpv6.nd.ns.target_address",
    "sll.pkttype",   "sll.hatype",    "sll.etype",     "null.family",   "null.type",
    "icmpv6.nd.na.target_address",
    "dns.id",        "dns.flags",     "dns.count.queries", "dns.count.answers", "dns.qry.name", "dns.resp.name",
};

// Protocols tshark decodes that can carry IP or transport layers we do not decode yet.
const std::vector<std::string> kUndecodedCarriers = {
    "gre",  "vxlan", "geneve", "gtp", "mpls", "pppoe", "ppp", "llc", "teredo", "l2tp", "erspan",
    "etherip", "ipcomp", "ayiya", "cflow", "sflow", "nsh", "dhcpv6", "lisp", "udpencap", "isakmp",
    "bfd", "carp", "vrrp", "pim", "igmp", "ipx", "ospf", "eigrp", "ieee8021ah", "mip6",
};

// Link types (DLT values) whose captures we decode, by the file's link type.
bool decodable(LinkType lt) {
  return Registry::builtin().link_type(lt) != LayerType::none;
}

std::string hex16(std::uint32_t v) { return fmt::format("0x{:04x}", v); }

using Row = std::map<std::string, std::vector<std::string>>;

Row our_row(const Packet& pkt) {
  Row r;
  auto add = [&](const char* f, std::string v) { r[f].push_back(std::move(v)); };
  bool udp_seen = false;
  for (const Layer& l : pkt.layers()) {
    if (const auto* e = l.as<Ethernet>()) {
      add("eth.src", e->src.to_string());
      add("eth.dst", e->dst.to_string());
      if (!e->is_802_3_length()) add("eth.type", hex16(e->ethertype));
    } else if (const auto* v = l.as<Dot1Q>()) {
      add("vlan.id", std::to_string(v->vlan_id));
      add("vlan.priority", std::to_string(v->priority));
    } else if (const auto* a = l.as<Arp>()) {
      add("arp.opcode", std::to_string(a->operation));
      if (a->protocol_type == 0x0800 && a->protocol_length == 4) {
        Ipv4Address s, t;
        std::memcpy(s.bytes.data(), a->sender_protocol.data(), 4);
        std::memcpy(t.bytes.data(), a->target_protocol.data(), 4);
        add("arp.src.proto_ipv4", s.to_string());
        add("arp.dst.proto_ipv4", t.to_string());
      }
    } else if (const auto* ip = l.as<Ipv4>()) {
      add("ip.version", std::to_string(ip->version));
      add("ip.hdr_len", std::to_string(ip->header_length()));
      add("ip.dsfield", fmt::format("0x{:02x}", ip->tos));
      // A zero total length (TSO) is shown by tshark as the length it assumed instead.
      add("ip.len", std::to_string(ip->total_length != 0 ? ip->total_length : ip->contents.size() + ip->payload.size()));
      add("ip.id", hex16(ip->id));
      add("ip.ttl", std::to_string(ip->ttl));
      add("ip.proto", std::to_string(ip->protocol));
      add("ip.checksum", hex16(ip->checksum));
      add("ip.src", ip->src.to_string());
      // tshark's ip.dst is the final destination: the last address of a source route option.
      Ipv4Address final_dst = ip->dst;
      OptionReader opts = ip->option_reader();
      for (Option o; opts.next(o);)
        if ((o.kind == 131 || o.kind == 137) && o.data.size() >= 5)
          std::memcpy(final_dst.bytes.data(), o.data.data() + o.data.size() - 4, 4);
      add("ip.dst", final_dst.to_string());
    } else if (const auto* ip6 = l.as<Ipv6>()) {
      add("ip.version", "6");
      add("ipv6.tclass", fmt::format("0x{:08x}", ip6->traffic_class));
      add("ipv6.flow", fmt::format("0x{:06x}", ip6->flow_label));
      add("ipv6.plen", std::to_string(ip6->payload_length));
      add("ipv6.nxt", std::to_string(ip6->next_header));
      add("ipv6.hlim", std::to_string(ip6->hop_limit));
      add("ipv6.src", ip6->src.to_string());
      add("ipv6.dst", ip6->dst.to_string());
    } else if (const auto* fr = l.as<Ipv6Fragment>()) {
      add("ipv6.fraghdr.ident", fmt::format("0x{:08x}", fr->identification));
    } else if (const auto* ah = l.as<IpsecAh>()) {
      add("ah.spi", fmt::format("0x{:08x}", ah->spi));
    } else if (const auto* esp = l.as<IpsecEsp>()) {
      add("esp.spi", fmt::format("0x{:08x}", esp->spi));
    } else if (const auto* t = l.as<Tcp>()) {
      add("tcp.srcport", std::to_string(t->src_port));
      add("tcp.dstport", std::to_string(t->dst_port));
      add("tcp.seq_raw", std::to_string(t->seq));
      add("tcp.ack_raw", std::to_string(t->ack));
      add("tcp.hdr_len", std::to_string(t->header_length()));
      add("tcp.flags", fmt::format("0x{:04x}", t->flags));
      add("tcp.window_size_value", std::to_string(t->window));
      add("tcp.checksum", hex16(t->checksum));
      add("tcp.urgent_pointer", std::to_string(t->urgent));
      if (auto m = t->mss()) add("tcp.options.mss_val", std::to_string(*m));
      if (auto w = t->window_scale()) add("tcp.options.wscale.shift", std::to_string(*w));
      if (auto ts = t->timestamps()) add("tcp.options.timestamp.tsval", std::to_string(ts->value));
    } else if (const auto* u = l.as<Udp>()) {
      udp_seen = true;
      add("udp.srcport", std::to_string(u->src_port));
      add("udp.dstport", std::to_string(u->dst_port));
      add("udp.length", std::to_string(u->length));
      add("udp.checksum", hex16(u->checksum));
    } else if (const auto* i4 = l.as<Icmpv4>()) {
      add("icmp.type", std::to_string(i4->type));
      add("icmp.code", std::to_string(i4->code));
      add("icmp.checksum", hex16(i4->checksum));
    } else if (const auto* i6 = l.as<Icmpv6>()) {
      add("icmpv6.type", std::to_string(i6->type));
      add("icmpv6.code", std::to_string(i6->code));
      add("icmpv6.checksum", hex16(i6->checksum));
      Ipv6Address target;
      if (i6->type == 135 && i6->target(target)) add("icmpv6.nd.ns.target_address", target.to_string());
      if (i6->type == 136 && i6->target(target)) add("icmpv6.nd.na.target_address", target.to_string());
    } else if (const auto* s = l.as<LinuxSll>()) {
      add("sll.pkttype", std::to_string(s->packet_type));
      add("sll.hatype", std::to_string(s->arphrd_type));
      if (s->protocol >= 1536) add("sll.etype", hex16(s->protocol));
    } else if (const auto* s2 = l.as<LinuxSll2>()) {
      add("sll.pkttype", std::to_string(s2->packet_type));
      add("sll.hatype", std::to_string(s2->arphrd_type));
      if (s2->protocol >= 1536) add("sll.etype", hex16(s2->protocol));
    } else if (const auto* lo = l.as<Loopback>()) {
      if (lo->ethertype != 0) {
        add("null.type", hex16(lo->ethertype));
      } else {
        add("null.family", std::to_string(lo->family));
      }
    } else if (const auto* d = l.as<Dns>(); d != nullptr && udp_seen) {
      add("dns.id", hex16(d->id));
      add("dns.flags", hex16(d->flags));
      add("dns.count.queries", std::to_string(d->question_count));
      add("dns.count.answers", std::to_string(d->answer_count));
      DnsReader reader(*d);
      for (DnsQuestion q; reader.next_question(q);) add("dns.qry.name", d->name(q.name_offset));
      for (DnsRecord rec; reader.next_record(rec);) add("dns.resp.name", d->name(rec.name_offset));
    }
  }
  return r;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    auto at = s.find(sep, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

struct Totals {
  std::size_t packets = 0;
  std::size_t exact = 0;      // packets compared field for field
  std::size_t values = 0;     // field values that matched
  std::size_t mismatches = 0;
};

void compare_file(const std::filesystem::path& path, Totals& totals) {
  const std::string name = std::filesystem::relative(path, PCAPXX_SHARED_CAPTURES).string();
  auto reader = SavefileReader::open(path.string());
  ASSERT_TRUE(reader.has_value()) << name << ": " << reader.error().message;
  const LinkType link = (*reader)->link_type();
  std::vector<std::string> args = {"tshark", "-r", path.string(), "-n", "-o", "ip.defragment:FALSE",
                                   "-o", "ipv6.defragment:FALSE", "-T", "fields", "-E", "separator=/t",
                                   "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.protocols"};
  for (const auto& f : kFields) {
    args.push_back("-e");
    args.push_back(f);
  }
  const auto res = run(args);
  ASSERT_EQ(res.status, 0) << name << ": tshark failed: " << res.err;
  const auto rows = test::lines(res.out);
  std::size_t i = 0;
  for (const PacketView& view : **reader) {
    ASSERT_LT(i, rows.size()) << name << ": tshark has fewer packets";
    const auto cols = split(rows[i], '\t');
    ASSERT_EQ(cols.size(), kFields.size() + 1) << name << " packet " << i + 1 << ": " << rows[i];
    const std::string& protocols = cols[0];
    bool partial = false;
    for (const auto& p : split(protocols, ':')) {
      if (std::find(kUndecodedCarriers.begin(), kUndecodedCarriers.end(), p) != kUndecodedCarriers.end())
        partial = true;
    }
    const Packet pkt = Packet::decode(view.data, link);
    if (pkt.error() != nullptr || protocols.find("icmp:ip") != std::string::npos ||
        protocols.find("icmpv6:ipv6") != std::string::npos)
      partial = true;
    const Row ours = our_row(pkt);
    for (std::size_t f = 0; f < kFields.size(); ++f) {
      // tshark separates repeated values with ',' but also prints some values with commas.
      const auto theirs = kFields[f] == "dns.qry.name" && !cols[f + 1].empty() ? std::vector<std::string>{cols[f + 1]} : split(cols[f + 1], ',');
      auto it = ours.find(kFields[f]);
      std::vector<std::string> mine = it == ours.end() ? std::vector<std::string>{} : it->second;
      if (kFields[f] == "dns.qry.name" && !mine.empty()) mine = {join(mine)};
      bool ok = false;
      if (partial) {
        ok = mine.size() <= theirs.size() && std::equal(mine.begin(), mine.end(), theirs.begin());
      } else {
        ok = mine == theirs;
      }
      if (ok) {
        totals.values += mine.size();
      } else {
        ++totals.mismatches;
        ADD_FAILURE() << name << " packet " << i + 1 << " field " << kFields[f] << (partial ? " (prefix)" : "")
                      << "\n  tshark: " << join(theirs) << "\n  pcapxx: " << join(mine)
                      << "\n  protocols: " << protocols
                      << (pkt.error() ? "\n  our error: " + pkt.error()->message() : std::string());
      }
    }
    ++totals.packets;
    if (!partial) ++totals.exact;
    ++i;
  }
  EXPECT_EQ(i, rows.size()) << name << ": packet counts differ";
}

TEST(LayersVsTshark, FieldsOfEveryPacketOfTheSharedPcapCaptures) {
  Totals totals;
  std::size_t files = 0;
  for (const auto& path : test::shared_capture_files()) {
    if (path.extension() == ".pcapng") continue;  // pcapng reader in progress
    auto reader = SavefileReader::open(path.string());
    // pcapng files (whatever their extension) wait for the pcapng reader.
    if (!reader.has_value() || (*reader)->info().format != SavefileFormat::pcap ||
        !decodable((*reader)->link_type()))
      continue;
    SCOPED_TRACE(path.string());
    compare_file(path, totals);
    ++files;
    if (totals.mismatches > 400) break;
  }
  fmt::print("layers vs tshark: {} files, {} packets ({} compared field for field), {} values agree\n", files,
             totals.packets, totals.exact, totals.values);
  EXPECT_EQ(totals.mismatches, 0u);
  // The comparison must have covered real traffic: most packets exactly, many values.
  EXPECT_GT(files, 120u);
  EXPECT_GT(totals.exact, totals.packets * 3 / 4);
  EXPECT_GT(totals.values, 200000u);
}

}  // namespace
}  // namespace pcapxx::layers
