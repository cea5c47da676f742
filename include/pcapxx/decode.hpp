// pcapxx: decoding packets into layers, in the spirit of gopacket.
//
//   auto pkt = pcapxx::layers::Packet::decode(view.data, reader->link_type());
//   if (const auto* tcp = pkt.layer<pcapxx::layers::Tcp>()) use(tcp->dst_port);
//   if (const auto* err = pkt.error()) fmt::print("{}\n", err->message());
//
// Modes, all over the same layer code (src/layers/, one file per protocol):
//   - eager (default): every layer is decoded by decode();
//   - lazy (DecodeOptions::lazy): a layer is decoded when first asked for;
//   - no-copy (default): layers view the caller's bytes, which must outlive the Packet;
//     DecodeOptions::copy makes the Packet own a copy instead;
//   - the zero-allocation FastParser (layers/fast_parser.hpp) for a fixed set of layers.
// A Packet holds its layers inline (no allocation unless copy is asked for). A layer that fails
// ends the stack: error() says which layer, at which offset, and why.
// Crafting: serialize_layers() (layers/serialize.hpp), or edit a Packet's layers and call
// Packet::serialize(). Unchanged, serialize() reproduces the decoded bytes exactly. To insert or
// remove whole layers (a VLAN tag, MPLS, an IPv6 extension header) or swap the payload, copy the
// layers into a LayerList (layers/layer_list.hpp), which relinks the protocol fields.
//
// Protocols: Ethernet/802.3 + LLC/SNAP, 802.1Q/ad, ARP/RARP, Linux SLL/SLL2, NULL/LOOP, IPv4,
// IPv6 + extension headers, AH/ESP, ICMPv4/v6, TCP, UDP, DNS (UDP 53/5353/5355), MPLS, PPPoE
// (discovery + session), PPP, IGMP v1-v3, GRE (incl. PPTP v1, 0x6558 Ethernet), VXLAN (UDP 4789),
// Geneve (UDP 6081), SCTP, DHCP/BOOTP (UDP 67/68), NTP (UDP 123).
//
// NOT DONE YET (next engineer, start here):
//   - layers: DNS over TCP (2-byte length prefix); IPv6 jumbograms; MPLS pseudowires (control
//     word, PW Ethernet: Payload today); VXLAN on 8472 / VXLAN-GPE; ERSPAN, L2TP, GTP, Teredo;
//     PPP has no LCP/IPCP decoding (Payload); SCTP chunks are bytes (SctpChunkReader), no
//     typed DATA/INIT fields; DHCP options are TLVs (OptionReader, OptionStyle::dhcp) with only
//     message_type() typed; NTP extension fields / MAC are Payload; DHCPv6 is not decoded.
//   - MPLS keeps at most 8 label stack entries (deeper stacks are an error layer).
//   - DNS crafting: DnsBuilder (layers/dns.hpp) writes questions and A/AAAA/CNAME/NS/PTR/MX/TXT/
//     SOA/SRV (others raw) with name compression; names are dotted text without escapes, records
//     must be added in section order. Dns::serialize() still copies a decoded message unchanged.
//   - checksums are not verified on decode; checksum_status() (layers/checksum_status.hpp)
//     verifies IPv4/TCP/UDP/ICMPv4/ICMPv6 of a decoded packet on request (Gre/Sctp::checksum_ok()).
//     Serializing, the IPv6 pseudo-header uses the IPv6 header's destination even when a
//     routing header names another (checksum_status() uses the final one).
//   - fix_lengths does not pad Ethernet frames to 60 bytes.
//   - LayerList: a removed layer's trailer goes with it; custom layers are not relinked (their
//     number is not known); a removed IPv4 header is not turned into IPv6 (no translation).
//   - FastParser keeps one object per layer type: a repeated type (QinQ, tunnels) leaves only
//     the innermost readable. CustomLayer in a FastParser handles every custom type in one object.
//   - DNS: record data is typed by Dns::parse_rdata() for A/AAAA/CNAME/NS/PTR/MX/SOA/SRV and
//     DnsTextReader for TXT; other types (NSEC, OPT options, HTTPS...) are DnsRecord::rdata bytes.
//   - custom decoders get a layer class from their key (EtherType: link, IP protocol:
//     transport, port: application); no way yet to choose another.
//   - Adding Dhcp (136 bytes) grew the AnyLayer variant: Layer is 168 bytes, Packet 4 KiB.
//   - Speed (targets: eager Eth/IPv4/TCP <= 60 ns and >= 2x libtins, fast parser <= 25, DNS
//     <= 150, craft <= 120): bench/layers_oracles.sh measures every mode against libtins and
//     gopacket on pxgen captures in one run. The decode loop keeps spans out of 16-byte copies
//     of fresh stores (detail::fresh_span): that stall was most of the eager time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "pcapxx/layers/arp.hpp"
#include "pcapxx/layers/checksum_status.hpp"
#include "pcapxx/layers/custom.hpp"
#include "pcapxx/layers/dhcp.hpp"
#include "pcapxx/layers/dns.hpp"
#include "pcapxx/layers/ethernet.hpp"
#include "pcapxx/layers/fast_parser.hpp"
#include "pcapxx/layers/flow.hpp"
#include "pcapxx/layers/geneve.hpp"
#include "pcapxx/layers/gre.hpp"
#include "pcapxx/layers/icmp.hpp"
#include "pcapxx/layers/igmp.hpp"
#include "pcapxx/layers/ipv4.hpp"
#include "pcapxx/layers/ipv6.hpp"
#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/linux_sll.hpp"
#include "pcapxx/layers/llc.hpp"
#include "pcapxx/layers/loopback.hpp"
#include "pcapxx/layers/mpls.hpp"
#include "pcapxx/layers/ntp.hpp"
#include "pcapxx/layers/payload.hpp"
#include "pcapxx/layers/pppoe.hpp"
#include "pcapxx/layers/registry.hpp"
#include "pcapxx/layers/sctp.hpp"
#include "pcapxx/layers/serialize.hpp"
#include "pcapxx/layers/tcp.hpp"
#include "pcapxx/layers/udp.hpp"
#include "pcapxx/layers/vlan.hpp"
#include "pcapxx/layers/vxlan.hpp"
#include "pcapxx/linktype.hpp"
#include "pcapxx/packet.hpp"

namespace pcapxx::layers {

/// Any decoded layer; std::monostate marks an unused slot.
using AnyLayer = std::variant<std::monostate, Ethernet, Dot1Q, Arp, LinuxSll, LinuxSll2, Loopback, Ipv4, Ipv6,
                              Ipv6HopByHop, Ipv6Routing, Ipv6Fragment, Ipv6Destination, IpsecAh, IpsecEsp,
                              Icmpv4, Icmpv6, Tcp, Udp, Dns, Payload, CustomLayer, Llc, Snap, Mpls, Pppoe,
                              Ppp, Igmp, Gre, Vxlan, Geneve, Sctp, Dhcp, Ntp>;

/// One layer of a Packet.
class Layer {
 public:
  /// The layer's type (a custom type for CustomLayer).
  [[nodiscard]] LayerType type() const noexcept;
  /// Link, network, control, transport or application.
  [[nodiscard]] LayerClass layer_class() const noexcept;
  /// The layer's name ("TCP"; the registered name for custom layers).
  [[nodiscard]] std::string_view name() const noexcept;
  /// The layer's own header bytes.
  [[nodiscard]] std::span<const std::byte> contents() const noexcept;
  /// The bytes after the header that the next layer decodes.
  [[nodiscard]] std::span<const std::byte> payload() const noexcept;
  /// The layer as T, or nullptr.
  template <class T>
  [[nodiscard]] T* as() noexcept {
    return std::get_if<T>(&value);
  }
  template <class T>
  [[nodiscard]] const T* as() const noexcept {
    return std::get_if<T>(&value);
  }

  AnyLayer value;
  std::uint32_t offset = 0;               ///< where the layer starts in the packet
  std::span<const std::byte> trailer;     ///< bytes after its declared length (link padding)
};

/// How Packet::decode works.
struct DecodeOptions {
  bool lazy = false;                   ///< decode each layer when first asked for
  bool copy = false;                   ///< the packet owns a copy of the bytes
  const Registry* registry = nullptr;  ///< nullptr: Registry::builtin()
};

/// A decoded packet: a stack of layers, an optional error layer on top.
/// Not thread-safe in lazy mode (reading decodes).
class Packet {
 public:
  static constexpr std::size_t kMaxLayers = 24;

  Packet() = default;
  Packet(Packet&&) noexcept = default;
  Packet& operator=(Packet&&) noexcept = default;
  Packet(const Packet&) = delete;  // layers view the bytes: a copy would view the wrong ones
  Packet& operator=(const Packet&) = delete;

  /// Decodes bytes of the given link type.
  static Packet decode(std::span<const std::byte> data, LinkType link, const DecodeOptions& options = {});
  /// Decodes the first layer as `first` (a LayerType rather than a link type).
  static Packet decode(std::span<const std::byte> data, LayerType first, const DecodeOptions& options = {});
  /// Decodes again into this object (reusing its storage).
  void assign(std::span<const std::byte> data, LayerType first, const DecodeOptions& options = {});

  /// The packet's bytes.
  [[nodiscard]] std::span<const std::byte> data() const noexcept { return data_; }
  /// All layers (in lazy mode, decodes the rest first).
  [[nodiscard]] std::span<Layer> layers() noexcept;
  [[nodiscard]] std::span<const Layer> layers() const noexcept;
  /// The first layer of type T, or nullptr.
  template <class T>
  [[nodiscard]] T* layer() noexcept {
    for (std::size_t i = 0; ensure(i); ++i)
      if (auto* p = layers_[i].as<T>()) return p;
    return nullptr;
  }
  template <class T>
  [[nodiscard]] const T* layer() const noexcept {
    return const_cast<Packet*>(this)->layer<T>();
  }
  /// The first layer of a given type (custom types too), or nullptr.
  [[nodiscard]] const Layer* find(LayerType type) const noexcept;

  /// The first link, network, transport and application layer, or nullptr (gopacket's shortcuts).
  [[nodiscard]] const Layer* link_layer() const noexcept { return first_of(LayerClass::link); }
  [[nodiscard]] const Layer* network_layer() const noexcept { return first_of(LayerClass::network); }
  [[nodiscard]] const Layer* transport_layer() const noexcept { return first_of(LayerClass::transport); }
  [[nodiscard]] const Layer* application_layer() const noexcept { return first_of(LayerClass::application); }

  /// The error layer: which layer failed, where, why; nullptr if everything decoded.
  [[nodiscard]] const DecodeFailure* error() const noexcept;

  /// The 5-tuple: the first TCP/UDP layer and the IP header right before it, or without
  /// TCP/UDP the first IP header. nullopt without IP.
  [[nodiscard]] std::optional<FlowKey> flow() const noexcept;

  /// Writes the layers (as they are now, edits included) into buf, which is cleared first;
  /// trailers and undecoded bytes are kept so that an unchanged packet serializes to its input.
  void serialize(SerializeBuffer& buf, const SerializeOptions& options = {}) const;

 private:
  bool ensure(std::size_t index) const noexcept;  // decodes up to layers_[index]; false if none
  void decode_next() const noexcept;
  [[nodiscard]] const Layer* first_of(LayerClass c) const noexcept;

  std::vector<std::byte> owned_;
  std::span<const std::byte> data_;
  const Registry* registry_ = nullptr;
  mutable std::array<Layer, kMaxLayers> layers_{};
  mutable std::size_t count_ = 0;
  mutable LayerType next_ = LayerType::none;        // next layer to decode (lazy)
  mutable std::span<const std::byte> next_data_;    // its bytes
  mutable bool has_error_ = false;
  mutable DecodeFailure failure_;
};

}  // namespace pcapxx::layers
