// pcapxx layers against libtins (the oracle) on the same packets in the same run: eager
// Eth/IPv4/TCP decode, DNS decode, crafting Eth/IPv4/TCP with lengths and checksums, and editing
// (decode a real Eth/IPv4/TCP packet, insert a VLAN tag, serialize with fix-ups).
// Prints ns per packet for both and the ratio ours/libtins (below 1: we are faster). Each
// figure is the best of several rounds, so a busy machine disturbs it less; never asserted.
//   layers_libtins_bench [ROUNDS]
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <tins/tins.h>

#include "pcapxx/decode.hpp"
#include "pcapxx/layers/layer_list.hpp"
#include "pcapxx/savefile.hpp"

namespace {

using namespace pcapxx;
using namespace pcapxx::layers;
using Bytes = std::vector<std::byte>;

volatile std::uint64_t g_sink;

std::vector<Bytes> load(const char* rel, LayerType must_have) {
  std::vector<Bytes> out;
  auto reader = SavefileReader::open((std::filesystem::path(PCAPXX_SHARED_CAPTURES) / rel).string());
  if (!reader.has_value()) return out;
  for (const PacketView& v : **reader) {
    const Packet p = Packet::decode(v.data, (*reader)->link_type());
    if (p.error() == nullptr && p.find(must_have) != nullptr) out.emplace_back(v.data.begin(), v.data.end());
  }
  return out;
}

// Best ns per call of fn over `rounds` rounds of about 200 ms each.
template <class Fn>
double best_ns(int rounds, std::size_t n_items, Fn&& fn) {
  double best = 1e30;
  std::size_t iters = 1000;
  for (int r = 0; r < rounds; ++r) {
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      for (std::size_t i = 0; i < iters; ++i) fn(i % n_items);
      const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
      if (ns < 1e8 && iters < (std::size_t{1} << 30)) {
        iters *= 2;
        continue;
      }
      best = std::min(best, ns / static_cast<double>(iters));
      break;
    }
  }
  return best;
}

void report(const char* what, double ours, double theirs) {
  fmt::print("{:<34} pcapxx {:8.1f} ns/pkt   libtins {:8.1f} ns/pkt   ours/libtins {:.3f} ({:.1f}x)\n", what, ours,
             theirs, ours / theirs, theirs / ours);
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
  const auto tcp = load("ppp/http-packets.pcap", LayerType::tcp);
  const auto dns = load("ppp/DnsPackets.pcap", LayerType::dns);
  if (tcp.empty() || dns.empty()) {
    fmt::print(stderr, "layers_libtins_bench: shared captures not found under {}\n", PCAPXX_SHARED_CAPTURES);
    return 2;
  }
  auto u8 = [](const Bytes& b) { return reinterpret_cast<const std::uint8_t*>(b.data()); };
  fmt::print("packets: {} Eth/IPv4/TCP (ppp/http-packets.pcap), {} DNS (ppp/DnsPackets.pcap); best of {} rounds\n",
             tcp.size(), dns.size(), rounds);

  Packet pkt;
  const double ours_tcp = best_ns(rounds, tcp.size(), [&](std::size_t i) {
    pkt.assign(tcp[i], LayerType::ethernet);
    g_sink = g_sink + pkt.layer<Tcp>()->dst_port;
  });
  const double tins_tcp = best_ns(rounds, tcp.size(), [&](std::size_t i) {
    Tins::EthernetII eth(u8(tcp[i]), static_cast<std::uint32_t>(tcp[i].size()));
    g_sink = g_sink + eth.rfind_pdu<Tins::TCP>().dport();
  });
  report("eager decode Eth/IPv4/TCP", ours_tcp, tins_tcp);

  FastParser<Ethernet, Ipv4, Ipv6, Tcp, Udp, Payload> parser(LayerType::ethernet);
  DecodedLayers decoded;
  const double ours_fast = best_ns(rounds, tcp.size(), [&](std::size_t i) {
    parser.decode(tcp[i], decoded);
    g_sink = g_sink + parser.get<Tcp>().dst_port;
  });
  report("fast parser Eth/IPv4/TCP", ours_fast, tins_tcp);

  // DNS: both walk every question and record (libtins parses them in its DNS constructor).
  const double ours_dns = best_ns(rounds, dns.size(), [&](std::size_t i) {
    pkt.assign(dns[i], LayerType::ethernet);
    g_sink = g_sink + pkt.layer<Dns>()->id;
  });
  const double tins_dns = best_ns(rounds, dns.size(), [&](std::size_t i) {
    Tins::EthernetII eth(u8(dns[i]), static_cast<std::uint32_t>(dns[i].size()));
    const Tins::DNS d = eth.rfind_pdu<Tins::RawPDU>().to<Tins::DNS>();
    g_sink = g_sink + d.id();
  });
  report("eager decode DNS", ours_dns, tins_dns);

  // Crafting: Ethernet / IPv4 / TCP / 64 bytes, lengths and checksums computed, a new sequence
  // number each time.
  Ethernet eth;
  eth.ethertype = 0x0800;
  Ipv4 ip;
  ip.protocol = 6;
  ip.src.bytes = {10, 0, 0, 1};
  ip.dst.bytes = {10, 0, 0, 2};
  Tcp t;
  t.src_port = 40000;
  t.dst_port = 80;
  t.flags = Tcp::kAck;
  static const std::byte body[64] = {};
  Payload data;
  data.contents = body;
  SerializeBuffer buf;
  const SerializeOptions opts{.fix_lengths = true, .compute_checksums = true};
  const double ours_craft = best_ns(rounds, 1, [&](std::size_t) {
    ++t.seq;
    serialize_layers(buf, opts, eth, ip, t, data);
    g_sink = g_sink + buf.size();
  });
  Tins::EthernetII tpkt = Tins::EthernetII() / Tins::IP("10.0.0.2", "10.0.0.1") / Tins::TCP(80, 40000) /
                          Tins::RawPDU(std::vector<std::uint8_t>(64, 0));
  tpkt.rfind_pdu<Tins::TCP>().set_flag(Tins::TCP::ACK, 1);
  std::uint32_t seq = 0;
  const double tins_craft = best_ns(rounds, 1, [&](std::size_t) {
    tpkt.rfind_pdu<Tins::TCP>().seq(++seq);
    const auto v = tpkt.serialize();
    g_sink = g_sink + v.size();
  });
  report("craft Eth/IPv4/TCP+64 (checksums)", ours_craft, tins_craft);

  // Editing: decode, insert a VLAN tag after Ethernet, serialize with lengths and checksums.
  LayerList list;
  Dot1Q tag;
  tag.vlan_id = 42;
  const double ours_edit = best_ns(rounds, tcp.size(), [&](std::size_t i) {
    pkt.assign(tcp[i], LayerType::ethernet);
    list.assign(pkt);
    (void)list.insert(1, tag);
    list.serialize(buf, opts);
    g_sink = g_sink + buf.size();
  });
  const double tins_edit = best_ns(rounds, tcp.size(), [&](std::size_t i) {
    Tins::EthernetII e(u8(tcp[i]), static_cast<std::uint32_t>(tcp[i].size()));
    Tins::Dot1Q q(42, false);
    q.inner_pdu(e.release_inner_pdu());
    e.inner_pdu(q);
    const auto v = e.serialize();
    g_sink = g_sink + v.size();
  });
  report("edit: decode, add VLAN, serialize", ours_edit, tins_edit);
  return 0;
}
