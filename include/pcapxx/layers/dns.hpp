// pcapxx layers: DNS messages (RFC 1035 4.1) over UDP. decode() checks the header and walks every
// question and resource record, following name compression (4.1.4) with two guards: a pointer
// must point before itself (so no loop is possible: a loop is reported as such) and inside the
// message (else "pointer out of range"). Sections are then read without allocating through
// DnsReader; names come out as text through read_name().
#pragma once

#include <string>

#include "pcapxx/layers/layer.hpp"
#include "pcapxx/layers/serialize.hpp"

namespace pcapxx::layers {

/// One entry of the question section.
struct DnsQuestion {
  std::uint32_t name_offset = 0;  ///< where the name starts in the message
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
};

/// One resource record of the answer, authority or additional section.
struct DnsRecord {
  enum class Section : std::uint8_t { answer, authority, additional };
  Section section = Section::answer;
  std::uint32_t name_offset = 0;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  std::uint32_t rdata_offset = 0;
  std::span<const std::byte> rdata;
};

/// A DNS message.
struct Dns : LayerBase {
  static constexpr LayerType kType = LayerType::dns;
  static constexpr LayerClass kClass = LayerClass::application;
  static constexpr std::size_t kHeaderLength = 12;
  static constexpr std::size_t kMaxNameLength = 255;  ///< RFC 1035 2.3.4, wire form

  std::uint16_t id = 0;
  std::uint16_t flags = 0;  ///< QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE
  std::uint16_t question_count = 0;
  std::uint16_t answer_count = 0;
  std::uint16_t authority_count = 0;
  std::uint16_t additional_count = 0;

  [[nodiscard]] bool is_response() const noexcept { return (flags & 0x8000) != 0; }
  [[nodiscard]] std::uint8_t opcode() const noexcept { return (flags >> 11) & 0x0f; }
  [[nodiscard]] std::uint8_t rcode() const noexcept { return flags & 0x0f; }

  /// Writes the dotted text of the name at `offset` (no trailing dot; "<Root>" for the root)
  /// into out; returns its length, or 0 if it does not fit or is malformed.
  std::size_t read_name(std::uint32_t offset, std::span<char> out) const noexcept;
  /// The name at `offset` as a string. Allocates.
  [[nodiscard]] std::string name(std::uint32_t offset) const;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Reads only the 12-byte header and views all of data as the message, without walking the
  /// sections: a truncated message can then be read with DnsReader up to where it breaks
  /// (printers show such a prefix). False if data is shorter than the header.
  bool decode_header(std::span<const std::byte> data) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// Walks the sections of a decoded Dns layer in order.
class DnsReader {
 public:
  explicit DnsReader(const Dns& dns) noexcept;
  /// The next question; false after the last one.
  bool next_question(DnsQuestion& out) noexcept;
  /// The next record (after all questions); false after the last one.
  bool next_record(DnsRecord& out) noexcept;

 private:
  const Dns* dns_;
  std::size_t pos_ = Dns::kHeaderLength;
  std::uint32_t questions_left_;
  std::uint32_t records_done_ = 0;
};

}  // namespace pcapxx::layers
