// pcapxx layers: which decoder handles which bytes. The built-in table maps link types,
// EtherTypes, IP protocol numbers and well-known ports to layer types; a Registry copy can add
// custom decoders (custom.hpp), which take precedence over the built-in ones.
#pragma once

#include <string>
#include <vector>

#include "pcapxx/error.hpp"
#include "pcapxx/layers/custom.hpp"
#include "pcapxx/layers/layer.hpp"
#include "pcapxx/linktype.hpp"

namespace pcapxx::layers {

/// Transport protocol of a port registration.
enum class PortProtocol : std::uint8_t { tcp, udp };

/// Maps protocol numbers to layer types.
class Registry {
 public:
  /// The built-in table, shared and immutable.
  static const Registry& builtin() noexcept;

  /// A registry with only the built-in decoders; add custom ones to it.
  Registry() = default;

  /// Registers a decoder for an EtherType; returns its new layer type.
  Result<LayerType> register_ethertype(std::uint16_t ethertype, std::string name, CustomDecoder decoder);
  /// Registers a decoder for an IP protocol number (IPv4 protocol / IPv6 next header).
  Result<LayerType> register_ip_protocol(std::uint8_t protocol, std::string name, CustomDecoder decoder);
  /// Registers a decoder for a TCP or UDP port (either source or destination).
  Result<LayerType> register_port(PortProtocol proto, std::uint16_t port, std::string name,
                                  CustomDecoder decoder);

  /// The first layer of a packet of this link type; none if unknown.
  [[nodiscard]] LayerType link_type(LinkType link) const noexcept;
  /// The layer for an EtherType (or payload for unknown ones / 802.3 lengths).
  [[nodiscard]] LayerType ethertype(std::uint16_t ethertype) const noexcept;
  /// The layer for an IP protocol number (payload for unknown ones).
  [[nodiscard]] LayerType ip_protocol(std::uint8_t protocol) const noexcept;
  /// The layer for a TCP/UDP segment between two ports; payload if no port is known. The
  /// lower-numbered of the two known ports wins, so both directions decode alike.
  [[nodiscard]] LayerType port(PortProtocol proto, std::uint16_t src, std::uint16_t dst) const noexcept;

  /// A registered decoder and its name, or nullptr.
  struct CustomEntry {
    enum class Key : std::uint8_t { ethertype, ip_protocol, tcp_port, udp_port };
    Key key;
    std::uint16_t value;
    LayerType type;
    std::string name;
    CustomDecoder decoder;
  };
  [[nodiscard]] const CustomEntry* custom(LayerType type) const noexcept;

 private:
  Result<LayerType> add(CustomEntry::Key key, std::uint16_t value, std::string name, CustomDecoder decoder);
  [[nodiscard]] const CustomEntry* find(CustomEntry::Key key, std::uint16_t value) const noexcept;
  std::vector<CustomEntry> custom_;
};

}  // namespace pcapxx::layers
