// pcapxx layers against libtins (the oracle, linked into this program only) on the same packets
// in the same run. Input: two generated captures (pxgen --mix tcp, pxgen --mix dns; see
// bench/layers_oracles.sh, which also runs the gopacket program on the same files and prints one
// table). Cases, per packet:
//   read            reading the savefile, no decoding (the baseline "plain read")
//   read+MODE       reading and decoding in MODE (eager, eager_copy, lazy, fast); minus `read`:
//                   the decode cost over a plain read
//   eager           eager decode of packets already in memory, layers view the bytes (no-copy)
//   eager_copy      eager decode, the Packet owns a copy of the bytes
//   lazy            lazy decode (no-copy) up to the transport layer (TCP) or the DNS layer
//   lazy_copy       lazy decode with a copy
//   fast            the FastParser over Ethernet, IPv4, IPv6, TCP, UDP, DNS, Payload (the set
//                   the gopacket program gives its DecodingLayerParser)
//   craft           Eth/IPv4/TCP + 64 bytes, lengths and checksums computed, a new seq each time
//   edit            decode, insert a VLAN tag, serialize with fix-ups
// libtins always parses the whole chain and copies payloads into its PDUs: its figure sits in the
// eager rows. Each figure is the best pass of up to PASSES passes (at most about half a second of
// them) over all the packets: a pass is well under a scheduler time slice, so a busy machine
// disturbs the best one little. Never asserted.
// Output: "RESULT <impl> <capture>.<case> <ns/packet>" lines, then a table of ours vs libtins.
//   layers_libtins_bench TCP.pcap DNS.pcap [PASSES]
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <tins/tins.h>

#include "pcapxx/decode.hpp"
#include "pcapxx/layers/layer_list.hpp"
#include "pcapxx/savefile.hpp"

namespace {

using namespace pcapxx;
using namespace pcapxx::layers;
using Clock = std::chrono::steady_clock;

volatile std::uint64_t g_sink;

// The packets of a capture, in one arena (as a read buffer holds them), and views of them.
struct Capture {
  std::string path;
  std::vector<std::byte> arena;
  std::vector<std::span<const std::byte>> packets;
};

bool load(const std::string& path, Capture& c) {
  auto reader = SavefileReader::open(path);
  if (!reader.has_value()) {
    fmt::print(stderr, "layers_libtins_bench: {}\n", reader.error().message);
    return false;
  }
  std::vector<std::size_t> lengths;
  for (const PacketView& v : **reader) {
    c.arena.insert(c.arena.end(), v.data.begin(), v.data.end());
    lengths.push_back(v.data.size());
  }
  if (const auto e = (*reader)->error()) {
    fmt::print(stderr, "layers_libtins_bench: {}\n", e->message);
    return false;
  }
  std::size_t at = 0;
  for (std::size_t n : lengths) {
    c.packets.push_back(std::span<const std::byte>(c.arena).subspan(at, n));
    at += n;
  }
  c.path = path;
  return !c.packets.empty();
}

// Best ns per packet over `passes` passes, or as many as fit in about half a second (at least
// 10: a slow contender on a busy machine stays bounded); pass() handles all n packets once.
template <class Pass>
double best_ns(int passes, std::size_t n, Pass&& pass) {
  constexpr auto kBudget = std::chrono::milliseconds(500);
  pass();  // warm caches and buffers
  double best = 1e30;
  const auto start = Clock::now();
  for (int r = 0; r < passes && (r < 10 || Clock::now() - start < kBudget); ++r) {
    const auto t0 = Clock::now();
    pass();
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    best = std::min(best, ns / static_cast<double>(n));
  }
  return best;
}

std::map<std::string, double> g_ours, g_tins;

void result(std::map<std::string, double>& into, const char* impl, const std::string& key, double ns) {
  into[key] = ns;
  fmt::print("RESULT {} {} {:.1f}\n", impl, key, ns);
}

// Reads the savefile once through, calling fn on every packet's bytes.
template <class Fn>
void read_pass(const std::string& path, Fn&& fn) {
  auto reader = SavefileReader::open(path);
  if (!reader.has_value()) {  // it opened a moment ago
    fmt::print(stderr, "layers_libtins_bench: {}\n", reader.error().message);
    std::exit(1);
  }
  for (const PacketView& v : **reader) fn(v.data);
}

void bench_capture(const Capture& cap, const char* name, int passes, bool dns) {
  const std::size_t n = cap.packets.size();
  const std::string k = name;
  auto over = [&](auto&& fn) { return [&, fn] { for (const auto& p : cap.packets) fn(p); }; };
  const LayerType want = dns ? LayerType::dns : LayerType::tcp;
  {
    // The figures are only about this work if every packet holds the layer and decodes whole.
    std::size_t with = 0, errors = 0;
    for (const auto& p : cap.packets) {
      const Packet whole = Packet::decode(p, LayerType::ethernet);
      with += whole.find(want) != nullptr;
      errors += whole.error() != nullptr;
    }
    fmt::print("{}: {} packets, {} with a {} layer, {} with a decode error\n", cap.path, n, with, layer_name(want),
               errors);
    if (with != n || errors != 0)
      fmt::print(stderr, "layers_libtins_bench: warning: {} is not all {} packets decoding whole\n", cap.path,
                 layer_name(want));
  }

  // Plain read and read + decode. The reader's views are what a program gets from a file.
  result(g_ours, "pcapxx", k + ".read", best_ns(passes, n, [&] {
           read_pass(cap.path, [](std::span<const std::byte> b) { g_sink = g_sink + b.size(); });
         }));
  Packet pkt;
  result(g_ours, "pcapxx", k + ".read+eager", best_ns(passes, n, [&] {
           read_pass(cap.path, [&](std::span<const std::byte> b) {
             pkt.assign(b, LayerType::ethernet);
             g_sink = g_sink + (pkt.find(want) != nullptr);
           });
         }));
  result(g_ours, "pcapxx", k + ".read+eager_copy", best_ns(passes, n, [&] {
           read_pass(cap.path, [&](std::span<const std::byte> b) {
             pkt.assign(b, LayerType::ethernet, {.copy = true});
             g_sink = g_sink + (pkt.find(want) != nullptr);
           });
         }));
  result(g_ours, "pcapxx", k + ".read+lazy", best_ns(passes, n, [&] {
           read_pass(cap.path, [&](std::span<const std::byte> b) {
             pkt.assign(b, LayerType::ethernet, {.lazy = true});
             g_sink = g_sink + (dns ? pkt.layer<Dns>() != nullptr : pkt.transport_layer() != nullptr);
           });
         }));
  FastParser<Ethernet, Ipv4, Ipv6, Tcp, Udp, Dns, Payload> parser(LayerType::ethernet);
  DecodedLayers decoded;
  result(g_ours, "pcapxx", k + ".read+fast", best_ns(passes, n, [&] {
           read_pass(cap.path, [&](std::span<const std::byte> b) {
             parser.decode(b, decoded);
             g_sink = g_sink + decoded.size;
           });
         }));

  // In memory: each mode alone.
  result(g_ours, "pcapxx", k + ".eager", best_ns(passes, n, over([&](std::span<const std::byte> b) {
           pkt.assign(b, LayerType::ethernet);
           g_sink = g_sink + (pkt.find(want) != nullptr);
         })));
  result(g_ours, "pcapxx", k + ".eager_copy", best_ns(passes, n, over([&](std::span<const std::byte> b) {
           pkt.assign(b, LayerType::ethernet, {.copy = true});
           g_sink = g_sink + (pkt.find(want) != nullptr);
         })));
  // Lazy: the question a lazy user asks, the layer of interest, decoding what it takes.
  auto lazy = [&](bool copy) {
    return over([&, copy](std::span<const std::byte> b) {
      pkt.assign(b, LayerType::ethernet, {.lazy = true, .copy = copy});
      g_sink = g_sink + (dns ? pkt.layer<Dns>() != nullptr : pkt.transport_layer() != nullptr);
    });
  };
  result(g_ours, "pcapxx", k + ".lazy", best_ns(passes, n, lazy(false)));
  result(g_ours, "pcapxx", k + ".lazy_copy", best_ns(passes, n, lazy(true)));
  result(g_ours, "pcapxx", k + ".fast", best_ns(passes, n, over([&](std::span<const std::byte> b) {
           parser.decode(b, decoded);
           g_sink = g_sink + decoded.size;
         })));

  // libtins: the constructor decodes the whole chain (and copies payloads). DNS is not decoded
  // from a port by libtins: the RawPDU above UDP is turned into a DNS PDU, as its docs show.
  auto u8 = [](std::span<const std::byte> b) { return reinterpret_cast<const std::uint8_t*>(b.data()); };
  if (!dns) {
    result(g_tins, "libtins", k + ".eager", best_ns(passes, n, over([&](std::span<const std::byte> b) {
             Tins::EthernetII eth(u8(b), static_cast<std::uint32_t>(b.size()));
             g_sink = g_sink + (eth.find_pdu<Tins::TCP>() != nullptr);
           })));
  } else {
    result(g_tins, "libtins", k + ".eager", best_ns(passes, n, over([&](std::span<const std::byte> b) {
             Tins::EthernetII eth(u8(b), static_cast<std::uint32_t>(b.size()));
             const Tins::DNS d = eth.rfind_pdu<Tins::RawPDU>().to<Tins::DNS>();
             g_sink = g_sink + d.questions_count();
           })));
  }
}

void bench_craft(const Capture& tcp, int passes) {
  // Ethernet / IPv4 / TCP / 64 bytes, lengths and checksums computed, a new sequence number each time.
  constexpr std::size_t kBatch = 1000;
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
  result(g_ours, "pcapxx", "craft", best_ns(passes, kBatch, [&] {
           for (std::size_t i = 0; i < kBatch; ++i) {
             ++t.seq;
             serialize_layers(buf, opts, eth, ip, t, data);
             g_sink = g_sink + buf.size();
           }
         }));
  Tins::EthernetII tpkt = Tins::EthernetII() / Tins::IP("10.0.0.2", "10.0.0.1") / Tins::TCP(80, 40000) /
                          Tins::RawPDU(std::vector<std::uint8_t>(64, 0));
  tpkt.rfind_pdu<Tins::TCP>().set_flag(Tins::TCP::ACK, 1);
  std::uint32_t seq = 0;
  result(g_tins, "libtins", "craft", best_ns(passes, kBatch, [&] {
           for (std::size_t i = 0; i < kBatch; ++i) {
             tpkt.rfind_pdu<Tins::TCP>().seq(++seq);
             const auto v = tpkt.serialize();
             g_sink = g_sink + v.size();
           }
         }));

  // Editing: decode, insert a VLAN tag after Ethernet, serialize with lengths and checksums.
  LayerList list;
  Dot1Q tag;
  tag.vlan_id = 42;
  Packet pkt;
  const std::size_t n = tcp.packets.size();
  result(g_ours, "pcapxx", "edit", best_ns(passes, n, [&] {
           for (const auto& b : tcp.packets) {
             pkt.assign(b, LayerType::ethernet);
             list.assign(pkt);
             (void)list.insert(1, tag);
             list.serialize(buf, opts);
             g_sink = g_sink + buf.size();
           }
         }));
  result(g_tins, "libtins", "edit", best_ns(passes, n, [&] {
           for (const auto& b : tcp.packets) {
             Tins::EthernetII e(reinterpret_cast<const std::uint8_t*>(b.data()),
                                static_cast<std::uint32_t>(b.size()));
             Tins::Dot1Q q(42, false);
             q.inner_pdu(e.release_inner_pdu());
             e.inner_pdu(q);
             const auto v = e.serialize();
             g_sink = g_sink + v.size();
           }
         }));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    fmt::print(stderr,
               "usage: layers_libtins_bench TCP.pcap DNS.pcap [PASSES]\n"
               "  (pxgen --mix tcp / --mix dns write them; bench/layers_oracles.sh runs everything)\n");
    return 2;
  }
  const int passes = argc > 3 ? std::max(1, std::atoi(argv[3])) : 300;
  Capture tcp, dns;
  if (!load(argv[1], tcp) || !load(argv[2], dns)) return 2;
  fmt::print("packets: {} in {}, {} in {}; best of {} passes\n", tcp.packets.size(), tcp.path, dns.packets.size(),
             dns.path, passes);
  bench_capture(tcp, "tcp", passes, false);
  bench_capture(dns, "dns", passes, true);
  bench_craft(tcp, passes);

  fmt::print("\n{:<18} {:>12} {:>12} {:>14}\n", "case", "pcapxx ns", "libtins ns", "libtins/ours");
  for (const auto& [key, ours] : g_ours) {
    const auto it = g_tins.find(key);
    if (it == g_tins.end()) {
      fmt::print("{:<18} {:>12.1f} {:>12} {:>14}\n", key, ours, "-", "-");
    } else {
      fmt::print("{:<18} {:>12.1f} {:>12.1f} {:>13.2f}x\n", key, ours, it->second, it->second / ours);
    }
  }
  return 0;
}
