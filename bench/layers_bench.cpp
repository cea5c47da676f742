// Layer decoding and crafting throughput over real packets of the shared captures, loaded into
// memory first. Targets (issue): eager Eth/IPv4/TCP <= 60 ns, fast parser <= 25 ns,
// DNS <= 150 ns, crafting <= 120 ns per packet. For profiling (perf record --benchmark_filter=...);
// the comparison with libtins and gopacket on generated captures is bench/layers_oracles.sh.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <vector>

#include "pcapxx/decode.hpp"
#include "pcapxx/savefile.hpp"

namespace {

using namespace pcapxx;
using namespace pcapxx::layers;

// The packets of a capture that contain the given layer type (copied into memory).
std::vector<std::vector<std::byte>> load(const char* rel, LayerType must_have) {
  std::vector<std::vector<std::byte>> out;
  auto reader = SavefileReader::open((std::filesystem::path(PCAPXX_SHARED_CAPTURES) / rel).string());
  if (!reader.has_value()) return out;
  for (const PacketView& v : **reader) {
    const Packet p = Packet::decode(v.data, (*reader)->link_type());
    if (p.error() == nullptr && p.find(must_have) != nullptr) out.emplace_back(v.data.begin(), v.data.end());
  }
  return out;
}

const std::vector<std::vector<std::byte>>& tcp_packets() {
  static const auto v = load("ppp/http-packets.pcap", LayerType::tcp);
  return v;
}

const std::vector<std::vector<std::byte>>& dns_packets() {
  static const auto v = load("ppp/DnsPackets.pcap", LayerType::dns);
  return v;
}

void run_over(benchmark::State& state, const std::vector<std::vector<std::byte>>& pkts, auto&& fn) {
  if (pkts.empty()) {
    state.SkipWithError("capture not found");
    return;
  }
  std::size_t i = 0;
  for (auto _ : state) {
    fn(pkts[i]);
    if (++i == pkts.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void BM_EagerEthIpv4Tcp(benchmark::State& state) {
  Packet pkt;
  run_over(state, tcp_packets(), [&](const std::vector<std::byte>& b) {
    pkt.assign(b, LayerType::ethernet);
    benchmark::DoNotOptimize(pkt.layer<Tcp>()->dst_port);
  });
}
BENCHMARK(BM_EagerEthIpv4Tcp);

void BM_LazyTransportOnly(benchmark::State& state) {
  Packet pkt;
  run_over(state, tcp_packets(), [&](const std::vector<std::byte>& b) {
    pkt.assign(b, LayerType::ethernet, {.lazy = true});
    benchmark::DoNotOptimize(pkt.transport_layer());
  });
}
BENCHMARK(BM_LazyTransportOnly);

void BM_FastParserEthIpv4Tcp(benchmark::State& state) {
  FastParser<Ethernet, Ipv4, Ipv6, Tcp, Udp, Payload> parser(LayerType::ethernet);
  DecodedLayers decoded;
  run_over(state, tcp_packets(), [&](const std::vector<std::byte>& b) {
    benchmark::DoNotOptimize(parser.decode(b, decoded).stop);
    benchmark::DoNotOptimize(parser.get<Tcp>().dst_port);
  });
}
BENCHMARK(BM_FastParserEthIpv4Tcp);

void BM_FlowSymmetricHash(benchmark::State& state) {
  FastParser<Ethernet, Ipv4, Tcp, Payload> parser(LayerType::ethernet);
  DecodedLayers decoded;
  run_over(state, tcp_packets(), [&](const std::vector<std::byte>& b) {
    parser.decode(b, decoded);
    benchmark::DoNotOptimize(FlowKey::of(parser.get<Ipv4>(), parser.get<Tcp>()).symmetric_hash());
  });
}
BENCHMARK(BM_FlowSymmetricHash);

void BM_EagerDns(benchmark::State& state) {
  Packet pkt;
  run_over(state, dns_packets(), [&](const std::vector<std::byte>& b) {
    pkt.assign(b, LayerType::ethernet);
    benchmark::DoNotOptimize(pkt.layer<Dns>()->id);
  });
}
BENCHMARK(BM_EagerDns);

void BM_CraftEthIpv4TcpChecksums(benchmark::State& state) {
  Ethernet eth;
  eth.ethertype = 0x0800;
  Ipv4 ip;
  ip.protocol = 6;
  ip.src.bytes = {10, 0, 0, 1};
  ip.dst.bytes = {10, 0, 0, 2};
  Tcp tcp;
  tcp.src_port = 40000;
  tcp.dst_port = 80;
  tcp.flags = Tcp::kAck;
  static const std::byte body[64] = {};
  Payload data;
  data.contents = body;
  SerializeBuffer buf;
  const SerializeOptions opts{.fix_lengths = true, .compute_checksums = true};
  for (auto _ : state) {
    ++tcp.seq;
    serialize_layers(buf, opts, eth, ip, tcp, data);
    benchmark::DoNotOptimize(buf.bytes().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_CraftEthIpv4TcpChecksums);

}  // namespace

BENCHMARK_MAIN();
