// Layers over the real packets of the shared captures: round trip (decode, serialize unchanged,
// same bytes), the lazy and copying modes against eager, the fast parser against the Packet,
// and flow keys of a real TCP stream.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "common/run.hpp"
#include "pcapxx/decode.hpp"
#include "pcapxx/layers/layer_list.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx::layers {
namespace {

std::filesystem::path capture(const char* rel) { return std::filesystem::path(PCAPXX_SHARED_CAPTURES) / rel; }

// Every capture (pcap and pcapng) with an interface whose link type we decode.
std::vector<std::filesystem::path> decodable_captures(SavefileFormat format) {
  std::vector<std::filesystem::path> out;
  for (const auto& path : test::shared_capture_files()) {
    auto r = SavefileReader::open(path.string());
    if (!r.has_value() || (*r)->info().format != format) continue;
    // A pcapng file names its interfaces as it goes: look at the first packet's.
    auto first = (*r)->next();
    if (!first.has_value() || *first == nullptr) continue;
    const auto ifs = (*r)->interfaces();
    const std::uint32_t i = (*first)->header.interface;
    if (i < ifs.size() && Registry::builtin().link_type(ifs[i].link_type) != LayerType::none) out.push_back(path);
  }
  return out;
}

std::vector<std::byte> copy_of(std::span<const std::byte> s) { return {s.begin(), s.end()}; }

struct RoundTripCounts {
  std::size_t packets = 0, with_error = 0, multi_layer = 0;
};

// Decodes every packet of every file with its interface's link type, serializes it unchanged
// and compares with its bytes.
RoundTripCounts round_trip(const std::vector<std::filesystem::path>& files) {
  SerializeBuffer buf;
  RoundTripCounts c;
  for (const auto& path : files) {
    auto reader = SavefileReader::open(path.string());
    EXPECT_TRUE(reader.has_value()) << path;
    if (!reader.has_value()) continue;
    std::size_t index = 0;
    for (const PacketView& view : **reader) {
      ++index;
      const auto ifs = (*reader)->interfaces();
      if (view.header.interface >= ifs.size()) {
        ADD_FAILURE() << path << " packet " << index << ": interface " << view.header.interface << " unknown";
        return c;
      }
      const LinkType link = ifs[view.header.interface].link_type;
      if (Registry::builtin().link_type(link) == LayerType::none) continue;
      const Packet pkt = Packet::decode(view.data, link);
      pkt.serialize(buf);
      if (!std::ranges::equal(buf.bytes(), view.data)) {
        ADD_FAILURE() << path << " packet " << index << ": " << buf.size() << " bytes out, " << view.data.size()
                      << " in";
        return c;
      }
      // A LayerList made from the packet gives the same bytes too.
      LayerList(pkt).serialize(buf);
      if (!std::ranges::equal(buf.bytes(), view.data)) {
        ADD_FAILURE() << path << " packet " << index << ": the LayerList serialized differently";
        return c;
      }
      ++c.packets;
      c.with_error += pkt.error() != nullptr;
      c.multi_layer += pkt.layers().size() >= 3;
    }
  }
  return c;
}

TEST(LayersRoundTrip, EveryPacketSerializesUnchangedToItsOwnBytes) {
  const auto files = decodable_captures(SavefileFormat::pcap);
  ASSERT_GT(files.size(), 100u);
  const auto c = round_trip(files);
  EXPECT_GT(c.packets, 25000u);
  EXPECT_GT(c.multi_layer, c.packets * 9 / 10);
  EXPECT_GT(c.with_error, 0u);  // the malformed samples are in the set too
}

TEST(LayersRoundTrip, EveryPacketOfThePcapngCapturesSerializesUnchanged) {
  const auto files = decodable_captures(SavefileFormat::pcapng);
  ASSERT_GT(files.size(), 40u);
  const auto c = round_trip(files);
  EXPECT_GT(c.packets, 500u);  // capinfos: about 550 packets in the pcapng files we decode
  EXPECT_GT(c.multi_layer, c.packets * 8 / 10);
}

TEST(LayersModes, LazyAndCopyingDecodeGiveTheSameLayersAsEager) {
  auto reader = SavefileReader::open(capture("ppp/many-protocols.pcap").string());
  ASSERT_TRUE(reader.has_value());
  const LinkType link = (*reader)->link_type();
  std::size_t compared = 0;
  for (const PacketView& view : **reader) {
    const Packet eager = Packet::decode(view.data, link);
    Packet lazy = Packet::decode(view.data, link, {.lazy = true});
    // Asking for the transport layer first decodes only up to it.
    const Layer* t = lazy.transport_layer();
    const Layer* te = eager.transport_layer();
    ASSERT_EQ(t == nullptr, te == nullptr);
    if (t != nullptr) {
      EXPECT_EQ(t->contents().data(), te->contents().data());
    }
    std::vector<std::byte> bytes = copy_of(view.data);
    const Packet copied = Packet::decode(bytes, link, {.copy = true});
    std::fill(bytes.begin(), bytes.end(), std::byte{0xee});  // the copy must not depend on these
    const auto a = eager.layers();
    const auto b = lazy.layers();
    const auto c = copied.layers();
    ASSERT_EQ(a.size(), b.size());
    ASSERT_EQ(a.size(), c.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].type(), b[i].type());
      EXPECT_EQ(a[i].type(), c[i].type());
      EXPECT_TRUE(std::ranges::equal(a[i].contents(), c[i].contents()));
      EXPECT_NE(a[i].contents().data(), c[i].contents().data());
      EXPECT_EQ(a[i].offset, c[i].offset);
      ++compared;
    }
    EXPECT_EQ(eager.error() == nullptr, copied.error() == nullptr);
  }
  EXPECT_GT(compared, 10000u);
}

TEST(LayersFastParser, AgreesWithThePacketOnEveryPacketOfAnHttpCapture) {
  auto reader = SavefileReader::open(capture("ppp/http-packets.pcap").string());
  ASSERT_TRUE(reader.has_value());
  FastParser<Ethernet, Dot1Q, Ipv4, Ipv6, Tcp, Udp, Icmpv4, Dns, Payload> parser(LayerType::ethernet);
  DecodedLayers decoded;
  std::size_t tcp_packets = 0;
  for (const PacketView& view : **reader) {
    const FastResult r = parser.decode(view.data, decoded);
    const Packet pkt = Packet::decode(view.data, (*reader)->link_type());
    ASSERT_EQ(r.ok(), pkt.error() == nullptr);
    const auto layers = pkt.layers();
    ASSERT_EQ(decoded.size, layers.size());
    for (std::size_t i = 0; i < decoded.size; ++i) EXPECT_EQ(decoded.types[i], layers[i].type());
    if (const auto* tcp = pkt.layer<Tcp>()) {
      ASSERT_TRUE(decoded.contains(LayerType::tcp));
      EXPECT_EQ(parser.get<Tcp>().src_port, tcp->src_port);
      EXPECT_EQ(parser.get<Tcp>().seq, tcp->seq);
      EXPECT_EQ(parser.get<Tcp>().payload.size(), tcp->payload.size());
      EXPECT_EQ(parser.get<Ipv4>().src, pkt.layer<Ipv4>()->src);
      EXPECT_EQ(FlowKey::of(parser.get<Ipv4>(), parser.get<Tcp>()), pkt.flow());
      ++tcp_packets;
    }
  }
  EXPECT_GT(tcp_packets, 1500u);
}

TEST(LayersFastParser, ReportsALayerTypeOutsideItsSet) {
  auto reader = SavefileReader::open(capture("ppp/VlanPackets.pcap").string());
  ASSERT_TRUE(reader.has_value());
  FastParser<Ethernet, Ipv4> parser(LayerType::ethernet);
  DecodedLayers decoded;
  const auto* view = *(*reader)->next();
  ASSERT_NE(view, nullptr);
  const FastResult r = parser.decode(view->data, decoded);
  EXPECT_EQ(r.stop, FastStop::unsupported);
  EXPECT_EQ(r.next_type, LayerType::dot1q);
  ASSERT_EQ(decoded.size, 1u);
  EXPECT_EQ(decoded.types[0], LayerType::ethernet);
  EXPECT_EQ(r.remaining.data(), view->data.data() + 14);
}

TEST(LayersVlan, StackedTagsDecodeAsTwoLayersOuterFirst) {
  // tshark: vlan.id 118,10 for every packet of this file (outer first).
  auto reader = SavefileReader::open(capture("ppp/VlanPackets.pcap").string());
  ASSERT_TRUE(reader.has_value());
  const auto* view = *(*reader)->next();
  const Packet pkt = Packet::decode(view->data, (*reader)->link_type());
  const auto layers = pkt.layers();
  ASSERT_GE(layers.size(), 4u);
  ASSERT_NE(layers[1].as<Dot1Q>(), nullptr);
  ASSERT_NE(layers[2].as<Dot1Q>(), nullptr);
  EXPECT_EQ(layers[1].as<Dot1Q>()->vlan_id, 118);
  EXPECT_EQ(layers[2].as<Dot1Q>()->vlan_id, 10);
  EXPECT_EQ(layers[3].type(), LayerType::ipv4);
}

TEST(LayersFlow, BothDirectionsOfATcpStreamShareTheSymmetricHashOnly) {
  auto reader = SavefileReader::open(capture("ppp/one_tcp_stream.pcap").string());
  ASSERT_TRUE(reader.has_value());
  std::map<std::uint64_t, std::size_t> symmetric, directed;
  std::optional<FlowKey> first;
  for (const PacketView& view : **reader) {
    const Packet pkt = Packet::decode(view.data, (*reader)->link_type());
    const auto key = pkt.flow();
    ASSERT_TRUE(key.has_value());
    EXPECT_EQ(key->protocol, 6);
    EXPECT_EQ(key->symmetric_hash(), key->reversed().symmetric_hash());
    EXPECT_NE(key->hash(), key->reversed().hash());
    ++symmetric[key->symmetric_hash()];
    ++directed[key->hash()];
    if (!first) first = key;
  }
  EXPECT_EQ(symmetric.size(), 1u);  // one conversation
  EXPECT_EQ(directed.size(), 2u);   // two directions
  // A different flow (other port) hashes differently.
  FlowKey other = *first;
  ++other.src_port;
  EXPECT_NE(other.symmetric_hash(), first->symmetric_hash());
}

TEST(LayersShortcuts, LinkNetworkTransportApplicationOfADnsResponse) {
  auto reader = SavefileReader::open(capture("ppp/DNS_NXDomain.pcap").string());
  ASSERT_TRUE(reader.has_value());
  const auto* view = *(*reader)->next();
  const Packet pkt = Packet::decode(view->data, (*reader)->link_type());
  ASSERT_EQ(pkt.error(), nullptr);
  EXPECT_EQ(pkt.link_layer()->type(), LayerType::ethernet);
  EXPECT_EQ(pkt.network_layer()->type(), LayerType::ipv4);
  EXPECT_EQ(pkt.transport_layer()->type(), LayerType::udp);
  ASSERT_EQ(pkt.application_layer()->type(), LayerType::dns);
  const Dns* dns = pkt.layer<Dns>();
  EXPECT_TRUE(dns->is_response());
  EXPECT_EQ(dns->rcode(), 3);  // NXDOMAIN
}

}  // namespace
}  // namespace pcapxx::layers
