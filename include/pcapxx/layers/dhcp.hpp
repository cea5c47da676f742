// pcapxx layers: BOOTP (RFC 951) and DHCP (RFC 2131 2), UDP ports 67 and 68. The options
// (RFC 2132) follow the magic cookie 99.130.83.99; pad (0) is one byte, end (255) ends them.
// Without the cookie the message is plain BOOTP and its vendor area is kept as bytes.
#pragma once

#include <optional>

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// A BOOTP/DHCP message.
struct Dhcp : LayerBase {
  static constexpr LayerType kType = LayerType::dhcp;
  static constexpr LayerClass kClass = LayerClass::application;
  static constexpr std::size_t kFixedLength = 236;  ///< up to the vendor area / magic cookie
  static constexpr std::uint32_t kMagicCookie = 0x63825363;

  std::uint8_t op = 1;               ///< 1 BOOTREQUEST, 2 BOOTREPLY
  std::uint8_t hardware_type = 1;
  std::uint8_t hardware_length = 6;
  std::uint8_t hops = 0;
  std::uint32_t xid = 0;
  std::uint16_t secs = 0;
  std::uint16_t flags = 0;           ///< 0x8000 broadcast
  Ipv4Address client_ip;             ///< ciaddr
  Ipv4Address your_ip;               ///< yiaddr
  Ipv4Address server_ip;             ///< siaddr
  Ipv4Address relay_ip;              ///< giaddr
  std::array<std::uint8_t, 16> client_hardware{};  ///< chaddr
  std::span<const std::byte> server_name;  ///< sname, 64 bytes
  std::span<const std::byte> file;         ///< 128 bytes
  bool has_cookie = true;
  std::span<const std::byte> options;      ///< after the cookie, up to and including the end option

  /// The client MAC (first 6 bytes of chaddr).
  [[nodiscard]] MacAddress client_mac() const noexcept;
  [[nodiscard]] OptionReader option_reader() const noexcept { return {options, OptionStyle::dhcp}; }
  /// The value of option 53 (DHCP message type: 1 DISCOVER ... 8 INFORM), if present.
  [[nodiscard]] std::optional<std::uint8_t> message_type() const noexcept;

  /// Decodes the message at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this message to buf (see serialize.hpp); empty sname/file are written as zeros.
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

}  // namespace pcapxx::layers
