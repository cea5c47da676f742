// pcapxx layers: IGMP versions 1 (RFC 1112), 2 (RFC 2236) and 3 (RFC 3376). The version follows
// RFC 3376 7.1: a query of 8 bytes is v1 when its max response code is 0, else v2; a query of 12
// bytes or more is v3. Type 0x12 is a v1 report, 0x16 a v2 report, 0x17 leave, 0x22 a v3 report.
#pragma once

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// One group record of an IGMPv3 report (RFC 3376 4.2.4).
struct IgmpGroupRecord {
  std::uint8_t record_type = 0;       ///< 1 MODE_IS_INCLUDE ... 6 BLOCK_OLD_SOURCES
  std::uint8_t aux_data_length = 0;   ///< in 32-bit words
  std::uint16_t source_count = 0;
  Ipv4Address group;
  std::span<const std::byte> sources;    ///< source_count * 4 bytes
  std::span<const std::byte> auxiliary;  ///< aux_data_length * 4 bytes
};

/// An IGMP message.
struct Igmp : LayerBase {
  static constexpr LayerType kType = LayerType::igmp;
  static constexpr LayerClass kClass = LayerClass::control;

  std::uint8_t type = 0x11;
  std::uint8_t max_resp_code = 0;  ///< v1: unused (0); v2: 1/10 s; v3: RFC 3376 4.1.1 code
  std::uint16_t checksum = 0;
  Ipv4Address group;               ///< v1/v2 and v3 query; not in v3 reports
  std::uint16_t reserved = 0;      ///< v3 report: the 2 bytes before the record count
  // IGMPv3 query (RFC 3376 4.1):
  std::uint8_t flags = 0;          ///< reserved (4 bits), S (1), QRV (3)
  std::uint8_t qqic = 0;
  std::uint16_t source_count = 0;  ///< query: number of sources; v3 report: number of group records
  std::span<const std::byte> sources;  ///< v3 query sources; v3 report group records

  /// 1, 2 or 3 (0 for an unknown type).
  [[nodiscard]] std::uint8_t version() const noexcept;
  [[nodiscard]] bool is_v3_query() const noexcept { return type == 0x11 && contents.size() >= 12; }
  [[nodiscard]] bool is_v3_report() const noexcept { return type == 0x22; }

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Prepends this message to buf (see serialize.hpp); a v3 message needs `v3` set when crafting
  /// (decoding sets it from the length).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;

  bool v3 = false;  ///< has the v3 query / report layout
};

/// Walks the group records of an IGMPv3 report.
class IgmpReader {
 public:
  explicit IgmpReader(const Igmp& igmp) noexcept
      : bytes_(igmp.is_v3_report() ? igmp.sources : std::span<const std::byte>{}), left_(igmp.source_count) {}
  /// The next group record; false after the last or at one that does not fit.
  bool next(IgmpGroupRecord& out) noexcept;

 private:
  std::span<const std::byte> bytes_;
  std::size_t pos_ = 0;
  std::uint32_t left_;
};

}  // namespace pcapxx::layers
