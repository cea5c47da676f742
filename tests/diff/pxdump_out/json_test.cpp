// pxdump --json: every packet of every shared capture is one line of valid JSON that matches the
// schema of docs/pxdump-json.md (the tables below are that page's, key by key and in order),
// the packet keys agree with what our reader reads, and a sample of fields agrees with tshark.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/run.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kPxdump = PCAPXX_BIN_DIR "/pxdump";

enum class T { integer, number, boolean, string, hex, mac, ip4, ip6, addr, array };

struct Key {
  const char* name;
  T type;
};

// docs/pxdump-json.md, "The packet object" (error and process are optional, checked apart).
const std::vector<Key> kPacketKeys = {
    {"frame", T::integer},   {"ts", T::number},
    {"ts_ns", T::integer},   {"interface", T::integer},
    {"interface_name", T::string}, {"link_type", T::integer},
    {"link_type_name", T::string}, {"caplen", T::integer},
    {"len", T::integer},     {"direction", T::string},
    {"layers", T::array},
};

// docs/pxdump-json.md, "Layer objects": the fields after layer, layer_offset, layer_length.
const std::map<std::string, std::vector<Key>>& layer_schema() {
  static const std::map<std::string, std::vector<Key>> s = {
      {"Ethernet", {{"dst", T::mac}, {"src", T::mac}, {"ethertype", T::integer}}},
      {"Dot1Q", {{"priority", T::integer}, {"drop_eligible", T::boolean}, {"vlan_id", T::integer}, {"ethertype", T::integer}}},
      {"ARP", {{"hardware_type", T::integer}, {"protocol_type", T::integer}, {"hardware_length", T::integer},
               {"protocol_length", T::integer}, {"operation", T::integer}, {"sender_hardware", T::addr},
               {"sender_protocol", T::addr}, {"target_hardware", T::addr}, {"target_protocol", T::addr}}},
      {"LinuxSLL", {{"packet_type", T::integer}, {"arphrd_type", T::integer}, {"address_length", T::integer},
                    {"address", T::mac}, {"protocol", T::integer}}},
      {"LinuxSLL2", {{"protocol", T::integer}, {"reserved", T::integer}, {"interface_index", T::integer},
                     {"arphrd_type", T::integer}, {"packet_type", T::integer}, {"address_length", T::integer},
                     {"address", T::mac}}},
      {"Loopback", {{"family", T::integer}, {"big_endian", T::boolean}, {"ethertype", T::integer}, {"prefix", T::integer}}},
      {"IPv4", {{"version", T::integer}, {"ihl", T::integer}, {"tos", T::integer}, {"total_length", T::integer},
                {"id", T::integer}, {"flags", T::integer}, {"fragment_offset", T::integer}, {"ttl", T::integer},
                {"protocol", T::integer}, {"checksum", T::integer}, {"src", T::ip4}, {"dst", T::ip4}, {"options", T::hex}}},
      {"IPv6", {{"version", T::integer}, {"traffic_class", T::integer}, {"flow_label", T::integer},
                {"payload_length", T::integer}, {"next_header", T::integer}, {"hop_limit", T::integer},
                {"src", T::ip6}, {"dst", T::ip6}}},
      {"IPv6HopByHop", {{"next_header", T::integer}, {"header_ext_length", T::integer}, {"options", T::hex}}},
      {"IPv6Destination", {{"next_header", T::integer}, {"header_ext_length", T::integer}, {"options", T::hex}}},
      {"IPv6Routing", {{"next_header", T::integer}, {"header_ext_length", T::integer}, {"routing_type", T::integer},
                       {"segments_left", T::integer}, {"type_data", T::hex}}},
      {"IPv6Fragment", {{"next_header", T::integer}, {"reserved", T::integer}, {"fragment_offset", T::integer},
                        {"reserved2", T::integer}, {"more_fragments", T::boolean}, {"identification", T::integer}}},
      {"IPSecAH", {{"next_header", T::integer}, {"payload_length", T::integer}, {"reserved", T::integer},
                   {"spi", T::integer}, {"sequence", T::integer}, {"icv", T::hex}}},
      {"IPSecESP", {{"spi", T::integer}, {"sequence", T::integer}}},
      {"ICMPv4", {{"type", T::integer}, {"code", T::integer}, {"checksum", T::integer}, {"rest", T::integer}}},
      // "target" is optional: checked apart.
      {"ICMPv6", {{"type", T::integer}, {"code", T::integer}, {"checksum", T::integer}, {"rest", T::integer}, {"body", T::hex}}},
      {"TCP", {{"src_port", T::integer}, {"dst_port", T::integer}, {"seq", T::integer}, {"ack", T::integer},
               {"data_offset", T::integer}, {"flags", T::integer}, {"window", T::integer}, {"checksum", T::integer},
               {"urgent", T::integer}, {"options", T::hex}}},
      {"UDP", {{"src_port", T::integer}, {"dst_port", T::integer}, {"length", T::integer}, {"checksum", T::integer}}},
      {"DNS", {{"id", T::integer}, {"flags", T::integer}, {"question_count", T::integer}, {"answer_count", T::integer},
               {"authority_count", T::integer}, {"additional_count", T::integer}, {"questions", T::array},
               {"records", T::array}}},
      {"LLC", {{"dsap", T::integer}, {"ssap", T::integer}, {"control", T::integer}, {"control_length", T::integer}}},
      {"SNAP", {{"oui", T::integer}, {"protocol", T::integer}}},
      {"MPLS", {{"entries", T::array}}},
      {"PPPoE", {{"version", T::integer}, {"type", T::integer}, {"code", T::integer}, {"session_id", T::integer},
                 {"length", T::integer}}},
      {"PPP", {{"protocol", T::integer}, {"compressed", T::boolean}, {"address_control", T::boolean}}},
      {"IGMP", {{"type", T::integer}, {"max_resp_code", T::integer}, {"checksum", T::integer}, {"group", T::ip4},
                {"reserved", T::integer}, {"flags", T::integer}, {"qqic", T::integer}, {"source_count", T::integer},
                {"sources", T::hex}, {"v3", T::boolean}}},
      {"GRE", {{"checksum_present", T::boolean}, {"routing_present", T::boolean}, {"key_present", T::boolean},
               {"seq_present", T::boolean}, {"strict_source_route", T::boolean}, {"recursion", T::integer},
               {"ack_present", T::boolean}, {"flags", T::integer}, {"version", T::integer}, {"protocol", T::integer},
               {"checksum", T::integer}, {"offset", T::integer}, {"key", T::integer}, {"seq", T::integer},
               {"ack", T::integer}, {"routing", T::hex}}},
      {"VXLAN", {{"flags", T::integer}, {"reserved1", T::integer}, {"vni", T::integer}, {"reserved2", T::integer}}},
      {"Geneve", {{"version", T::integer}, {"options_length", T::integer}, {"oam", T::boolean}, {"critical", T::boolean},
                  {"reserved1", T::integer}, {"protocol", T::integer}, {"vni", T::integer}, {"reserved2", T::integer},
                  {"options", T::hex}}},
      {"SCTP", {{"src_port", T::integer}, {"dst_port", T::integer}, {"verification_tag", T::integer},
                {"checksum", T::integer}, {"chunks", T::array}}},
      {"DHCP", {{"op", T::integer}, {"hardware_type", T::integer}, {"hardware_length", T::integer}, {"hops", T::integer},
                {"xid", T::integer}, {"secs", T::integer}, {"flags", T::integer}, {"client_ip", T::ip4},
                {"your_ip", T::ip4}, {"server_ip", T::ip4}, {"relay_ip", T::ip4}, {"client_hardware", T::mac},
                {"server_name", T::string}, {"file", T::string}, {"has_cookie", T::boolean}, {"options", T::hex}}},
      {"NTP", {{"leap", T::integer}, {"version", T::integer}, {"mode", T::integer}, {"stratum", T::integer},
               {"poll", T::integer}, {"precision", T::integer}, {"root_delay", T::integer},
               {"root_dispersion", T::integer}, {"reference_id", T::integer}, {"reference_time", T::integer},
               {"origin_time", T::integer}, {"receive_time", T::integer}, {"transmit_time", T::integer}}},
      {"Payload", {}},
      {"Custom", {{"name", T::string}}},
  };
  return s;
}

bool all_of_chars(const std::string& s, std::string_view allowed) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return allowed.find(c) != std::string_view::npos; });
}

// Why `v` is not a `t`, or "" when it is.
std::string type_problem(const json& v, T t) {
  constexpr std::string_view kHexDigits = "0123456789abcdef";
  switch (t) {
    case T::integer: return v.is_number_integer() ? "" : "not an integer";
    case T::number: return v.is_number() ? "" : "not a number";
    case T::boolean: return v.is_boolean() ? "" : "not a boolean";
    case T::string: return v.is_string() ? "" : "not a string";
    case T::array: return v.is_array() ? "" : "not an array";
    case T::hex: {
      if (!v.is_string()) return "not a string";
      auto s = v.get<std::string>();
      return s.size() % 2 == 0 && all_of_chars(s, kHexDigits) ? "" : "not an even run of hex digits";
    }
    case T::mac: {
      if (!v.is_string()) return "not a string";
      auto s = v.get<std::string>();
      if (s.empty()) return "";
      if ((s.size() + 1) % 3 != 0) return "not colon-separated hex bytes";
      for (std::size_t i = 0; i < s.size(); ++i)
        if ((i % 3 == 2) != (s[i] == ':') || (i % 3 != 2 && kHexDigits.find(s[i]) == std::string_view::npos))
          return "not colon-separated hex bytes";
      return "";
    }
    case T::ip4: {
      if (!v.is_string()) return "not a string";
      unsigned char buf[16];
      return inet_pton(AF_INET, v.get<std::string>().c_str(), buf) == 1 ? "" : "not an IPv4 address";
    }
    case T::ip6: {
      if (!v.is_string()) return "not a string";
      unsigned char buf[16];
      return inet_pton(AF_INET6, v.get<std::string>().c_str(), buf) == 1 ? "" : "not an IPv6 address";
    }
    case T::addr: {
      for (T u : {T::ip4, T::ip6, T::mac})
        if (type_problem(v, u).empty()) return "";
      return "neither an address nor hex bytes";
    }
  }
  return "unknown type";
}

// ordered_json keeps the keys in the order pxdump wrote them (json would sort them).
using ojson = nlohmann::ordered_json;

// Checks an object's keys, in order, against `keys` followed by `optional` ones; appends problems.

void check_keys_ordered(const ojson& obj, const std::vector<Key>& keys, const std::set<std::string>& optional,
                        const std::string& where, std::vector<std::string>& problems) {
  if (!obj.is_object()) {
    problems.push_back(where + ": not an object");
    return;
  }
  std::size_t i = 0;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (i < keys.size() && it.key() == keys[i].name) {
      if (auto p = type_problem(json::parse(it.value().dump()), keys[i].type); !p.empty())
        problems.push_back(fmt::format("{}: '{}' = {}: {}", where, it.key(), it.value().dump(), p));
      ++i;
    } else if (i < keys.size()) {
      problems.push_back(fmt::format("{}: key '{}' where the schema has '{}'", where, it.key(), keys[i].name));
      return;
    } else if (!optional.contains(it.key())) {
      problems.push_back(fmt::format("{}: key '{}' is not in the schema", where, it.key()));
    }
  }
  if (i < keys.size()) problems.push_back(fmt::format("{}: '{}' is missing", where, keys[i].name));
}

void check_layer(const ojson& l, const std::string& where, std::vector<std::string>& problems) {
  if (!l.is_object() || !l.contains("layer") || !l["layer"].is_string()) {
    problems.push_back(where + ": a layer without a 'layer' name");
    return;
  }
  std::string name = l["layer"].get<std::string>();
  auto it = layer_schema().find(name);
  if (it == layer_schema().end()) {
    problems.push_back(fmt::format("{}: layer '{}' is not in the schema", where, name));
    return;
  }
  std::vector<Key> keys = {{"layer", T::string}, {"layer_offset", T::integer}, {"layer_length", T::integer}};
  keys.insert(keys.end(), it->second.begin(), it->second.end());
  std::set<std::string> optional;
  if (name == "ICMPv6") optional.insert("target");
  check_keys_ordered(l, keys, optional, where + " " + name, problems);
  if (name == "ICMPv6" && l.contains("target") && !type_problem(json::parse(l["target"].dump()), T::ip6).empty())
    problems.push_back(where + ": ICMPv6 target is not an IPv6 address");
  if (name == "DNS") {
    for (const auto& q : l.value("questions", ojson::array()))
      check_keys_ordered(q, {{"name", T::string}, {"type", T::integer}, {"klass", T::integer}}, {},
                         where + " DNS question", problems);
    for (const auto& r : l.value("records", ojson::array())) {
      check_keys_ordered(r,
                         {{"section", T::string}, {"name", T::string}, {"type", T::integer}, {"klass", T::integer},
                          {"ttl", T::integer}, {"rdata", T::hex}},
                         {}, where + " DNS record", problems);
      auto sec = r.value("section", std::string());
      if (sec != "answer" && sec != "authority" && sec != "additional")
        problems.push_back(where + ": DNS record section '" + sec + "'");
    }
  }
  if (name == "MPLS")
    for (const auto& e : l.value("entries", ojson::array()))
      check_keys_ordered(e, {{"label", T::integer}, {"tc", T::integer}, {"bottom", T::boolean}, {"ttl", T::integer}}, {},
                         where + " MPLS entry", problems);
  if (name == "SCTP")
    for (const auto& c : l.value("chunks", ojson::array()))
      check_keys_ordered(c, {{"type", T::integer}, {"flags", T::integer}, {"length", T::integer}}, {},
                         where + " SCTP chunk", problems);
}

std::vector<fs::path> shared_captures() {
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(PCAPXX_SHARED_CAPTURES)) {
    if (!e.is_regular_file()) continue;
    auto ext = e.path().extension().string();
    if (ext == ".md" || ext == ".tsv" || ext == ".txt") continue;
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct ReadPacket {
  std::int64_t ts_ns;
  std::uint32_t caplen, len, interface;
};

// What our reader reads from a file, up to its end or first error.
std::vector<ReadPacket> read_with_reader(const fs::path& file) {
  std::vector<ReadPacket> v;
  auto r = SavefileReader::open(file.string());
  if (!r) return v;
  for (const PacketView& p : **r) v.push_back({p.header.ts.ns, p.header.caplen, p.header.origlen, p.header.interface});
  return v;
}

TEST(PxdumpJson, EveryPacketOfEverySharedCaptureMatchesTheSchema) {
  auto files = shared_captures();
  ASSERT_GT(files.size(), 100u) << "the shared captures are missing: " << PCAPXX_SHARED_CAPTURES;
  std::size_t packets = 0, files_with_packets = 0;
  std::map<std::string, std::size_t> layers_seen;
  for (const auto& file : files) {
    auto r = run({kPxdump, "--json", "-r", file.string()});
    auto expected = read_with_reader(file);
    std::vector<std::string> problems;
    std::istringstream lines(r.out);
    std::string line;
    std::size_t n = 0;
    while (std::getline(lines, line)) {
      std::string where = fmt::format("{} line {}", file.filename().string(), n + 1);
      ojson obj;
      try {
        obj = ojson::parse(line);
      } catch (const std::exception& e) {
        problems.push_back(fmt::format("{}: not JSON ({}): {}", where, e.what(), line.substr(0, 300)));
        ++n;
        continue;
      }
      check_keys_ordered(obj, kPacketKeys, {"error"}, where, problems);
      if (obj.value("frame", 0u) != n + 1) problems.push_back(fmt::format("{}: frame is {}", where, obj["frame"].dump()));
      if (n < expected.size()) {
        const auto& e = expected[n];
        if (obj.value("ts_ns", std::int64_t{-1}) != e.ts_ns || obj.value("caplen", 0u) != e.caplen ||
            obj.value("len", 0u) != e.len || obj.value("interface", 0u) != e.interface)
          problems.push_back(fmt::format("{}: ts_ns/caplen/len/interface {}/{}/{}/{}, the reader says {}/{}/{}/{}",
                                         where, obj["ts_ns"].dump(), obj["caplen"].dump(), obj["len"].dump(),
                                         obj["interface"].dump(), e.ts_ns, e.caplen, e.len, e.interface));
      }
      std::size_t prev_end = 0;
      for (const auto& l : obj.value("layers", ojson::array())) {
        check_layer(l, where, problems);
        layers_seen[l.value("layer", std::string("?"))]++;
        // Layers follow one another: each starts at or after the end of the previous header.
        auto off = l.value("layer_offset", std::size_t{0});
        if (off < prev_end) problems.push_back(fmt::format("{}: layer at {} starts before {}", where, off, prev_end));
        prev_end = off + l.value("layer_length", std::size_t{0});
      }
      if (obj.contains("error"))
        check_keys_ordered(obj["error"], {{"layer", T::string}, {"offset", T::integer}, {"reason", T::string}}, {},
                           where + " error", problems);
      ++n;
    }
    packets += n;
    if (n > 0) ++files_with_packets;
    EXPECT_EQ(n, expected.size()) << file << ": pxdump --json printed " << n << " objects, the reader reads "
                                  << expected.size() << " packets\n" << r.err;
    if (!problems.empty()) {
      std::string text;
      for (std::size_t i = 0; i < problems.size() && i < 20; ++i) text += problems[i] + "\n";
      ADD_FAILURE() << file << ": " << problems.size() << " schema problems, the first:\n" << text;
    }
  }
  std::string seen;
  for (const auto& [k, v] : layers_seen) seen += fmt::format(" {}:{}", k, v);
  std::cout << fmt::format("{} files, {} with packets, {} packets; layers seen:{}\n", files.size(),
                           files_with_packets, packets, seen);
  EXPECT_GT(packets, 10000u);
  // The shared captures hold these; a schema check that never saw them would prove little.
  for (const char* l : {"Ethernet", "Dot1Q", "ARP", "IPv4", "IPv6", "TCP", "UDP", "DNS", "ICMPv4", "ICMPv6", "MPLS",
                        "GRE", "VXLAN", "LinuxSLL", "Loopback", "PPPoE", "IGMP", "DHCP", "SCTP"})
    EXPECT_GT(layers_seen[l], 0u) << l;
}

// tshark's first occurrence of each field against the first layer of ours that carries it.
struct FieldPair {
  const char* tshark;
  const char* layer;
  const char* key;
};
const FieldPair kFields[] = {
    {"eth.src", "Ethernet", "src"},     {"eth.dst", "Ethernet", "dst"},     {"vlan.id", "Dot1Q", "vlan_id"},
    {"ip.src", "IPv4", "src"},          {"ip.dst", "IPv4", "dst"},          {"ip.ttl", "IPv4", "ttl"},
    {"ip.id", "IPv4", "id"},            {"ip.len", "IPv4", "total_length"}, {"ipv6.src", "IPv6", "src"},
    {"ipv6.dst", "IPv6", "dst"},        {"ipv6.hlim", "IPv6", "hop_limit"}, {"tcp.srcport", "TCP", "src_port"},
    {"tcp.dstport", "TCP", "dst_port"}, {"tcp.seq_raw", "TCP", "seq"},      {"tcp.window_size_value", "TCP", "window"},
    {"udp.srcport", "UDP", "src_port"}, {"udp.dstport", "UDP", "dst_port"}, {"udp.length", "UDP", "length"},
    {"dns.id", "DNS", "id"},            {"icmp.type", "ICMPv4", "type"},    {"arp.opcode", "ARP", "operation"},
};

// Our value as tshark writes it: numbers in decimal (tshark prints ip.id, dns.id in hex: 0x...).
std::string our_text(const ojson& v) {
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string normalize_tshark(std::string v) {
  if (v.starts_with("0x")) return std::to_string(std::stoull(v, nullptr, 16));
  return v;
}

TEST(PxdumpJson, SampledFieldsAgreeWithTshark) {
  const char* sample[] = {
      "ppp/DnsPackets.pcap",        "ppp/VlanPackets.pcap",    "ppp/IgmpPackets.pcap",
      "ppp/GrePackets.cap",         "ppp/ip4_fragments.pcap",  "ppp/ip6_fragments.pcap",
      "ppp/ipv6.pcapng",            "ppp/sll.pcap",            "ppp/raw_ip.pcap",
      "ppp/many_interfaces-1.pcapng", "ppp/one_tcp_stream.pcap", "ppp/http-packets2.pcap",
      "gopacket/pcap_test_dns.pcap", "gopacket/pcap_test_loopback.pcap", "ppp/tls.pcap",
  };
  std::vector<std::string> args = {"tshark", "-n", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
                                   "-e", "frame.number", "-e", "frame.time_epoch", "-e", "frame.len"};
  for (const auto& f : kFields) {
    args.push_back("-e");
    args.push_back(f.tshark);
  }
  std::size_t compared = 0, files_done = 0;
  for (const char* rel : sample) {
    fs::path file = fs::path(PCAPXX_SHARED_CAPTURES) / rel;
    if (!fs::exists(file)) {
      ADD_FAILURE() << "sample capture missing: " << file;
      continue;
    }
    auto a = args;
    a.insert(a.begin() + 1, {"-r", file.string()});
    auto t = run(a);
    ASSERT_EQ(t.status, 0) << "tshark failed on " << file << ": " << t.err;
    auto ours = run({kPxdump, "--json", "--nano", "-r", file.string()});
    ASSERT_EQ(ours.status, 0) << ours.err;
    std::istringstream tl(t.out), ol(ours.out);
    std::string tline, oline;
    std::vector<std::string> mismatches;
    while (std::getline(tl, tline) && std::getline(ol, oline)) {
      std::vector<std::string> cols;
      std::size_t start = 0;
      for (std::size_t i = 0; i <= tline.size(); ++i)
        if (i == tline.size() || tline[i] == '\t') {
          cols.push_back(tline.substr(start, i - start));
          start = i + 1;
        }
      auto obj = ojson::parse(oline);
      std::string frame = std::to_string(obj["frame"].get<std::uint64_t>());
      if (cols.size() < 3 + std::size(kFields) || cols[0] != frame) {
        mismatches.push_back(fmt::format("frame {}: tshark line '{}'", frame, tline));
        continue;
      }
      // frame.time_epoch has 9 decimals: compare with ts printed with --nano.
      auto tsn = obj["ts_ns"].get<std::int64_t>();
      std::string ours_ts = fmt::format("{}.{:09}", tsn / 1'000'000'000, tsn % 1'000'000'000);
      if (cols[1] != ours_ts) mismatches.push_back(fmt::format("frame {}: time tshark {} ours {}", frame, cols[1], ours_ts));
      if (cols[2] != our_text(obj["len"])) mismatches.push_back(fmt::format("frame {}: len tshark {} ours {}", frame, cols[2], our_text(obj["len"])));
      for (std::size_t i = 0; i < std::size(kFields); ++i) {
        const std::string& tv = cols[3 + i];
        if (tv.empty()) continue;
        const ojson* layer = nullptr;
        for (const auto& l : obj["layers"])
          if (l["layer"] == kFields[i].layer) {
            layer = &l;
            break;
          }
        if (layer == nullptr) continue;  // our decoder stopped earlier or tshark decoded deeper
        std::string ov = our_text((*layer)[kFields[i].key]);
        ++compared;
        if (normalize_tshark(tv) != ov)
          mismatches.push_back(fmt::format("frame {}: {} tshark '{}' ours {}.{} '{}'", frame, kFields[i].tshark, tv,
                                           kFields[i].layer, kFields[i].key, ov));
      }
    }
    EXPECT_TRUE(!std::getline(tl, tline) && !std::getline(ol, oline)) << file << ": packet counts differ";
    if (!mismatches.empty()) {
      std::string text;
      for (std::size_t i = 0; i < mismatches.size() && i < 20; ++i) text += mismatches[i] + "\n";
      ADD_FAILURE() << file << ": " << mismatches.size() << " values differ from tshark:\n" << text;
    }
    ++files_done;
  }
  std::cout << fmt::format("{} files, {} field values compared with tshark\n", files_done, compared);
  EXPECT_GT(compared, 5000u);
}

}  // namespace
}  // namespace pcapxx::test
