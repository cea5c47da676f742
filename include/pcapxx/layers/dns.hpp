// pcapxx layers: DNS messages (RFC 1035 4.1) over UDP. decode() checks the header and walks every
// question and resource record, following name compression (4.1.4) with two guards: a pointer
// must point before itself (so no loop is possible: a loop is reported as such) and inside the
// message (else "pointer out of range"). Sections are then read without allocating through
// DnsReader; names come out as text through read_name(); the data of A, AAAA, CNAME, NS, PTR,
// MX, TXT, SOA and SRV records is typed by Dns::parse_rdata() and DnsTextReader.
//
// Crafting: DnsBuilder writes a whole message (questions, then answer, authority and additional
// records of those types or any type as raw data) with optional name compression (RFC 1035
// 4.1.4: a name's longest suffix already written becomes a pointer). dns() gives the Dns layer
// to serialize inside Ethernet/IPv4 or IPv6/UDP with length and checksum fix-ups.
//
// Limits: names are dotted text without escapes (a label holding '.' or a byte outside printable
// ASCII cannot be written); the builder does not reorder sections: records must come in section
// order; EDNS OPT (type 41) is written as a raw record.
#pragma once

#include <array>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/error.hpp"

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

struct DnsRdata;

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

  // Header flags (RFC 1035 4.1.1, RFC 4035 3.2 for AD and CD).
  static constexpr std::uint16_t kResponse = 0x8000, kAuthoritative = 0x0400, kTruncated = 0x0200,
                                 kRecursionDesired = 0x0100, kRecursionAvailable = 0x0080,
                                 kAuthenticData = 0x0020, kCheckingDisabled = 0x0010;
  // Record types (RFC 1035 3.2.2, RFC 3596, RFC 2782, RFC 6891) and the Internet class.
  static constexpr std::uint16_t kTypeA = 1, kTypeNs = 2, kTypeCname = 5, kTypeSoa = 6, kTypePtr = 12,
                                 kTypeMx = 15, kTypeTxt = 16, kTypeAaaa = 28, kTypeSrv = 33, kTypeOpt = 41;
  static constexpr std::uint16_t kClassIn = 1;

  [[nodiscard]] bool is_response() const noexcept { return (flags & 0x8000) != 0; }
  [[nodiscard]] std::uint8_t opcode() const noexcept { return (flags >> 11) & 0x0f; }
  [[nodiscard]] std::uint8_t rcode() const noexcept { return flags & 0x0f; }

  /// Writes the dotted text of the name at `offset` (no trailing dot; "<Root>" for the root)
  /// into out; returns its length, or 0 if it does not fit or is malformed.
  std::size_t read_name(std::uint32_t offset, std::span<char> out) const noexcept;
  /// The name at `offset` as a string. Allocates.
  [[nodiscard]] std::string name(std::uint32_t offset) const;

  /// Where the name at `offset` ends in place (after its last label or its first pointer), or 0
  /// if the name is malformed.
  [[nodiscard]] std::size_t name_end(std::uint32_t offset) const noexcept;
  /// Types the data of an A, AAAA, CNAME, NS, PTR, MX, SOA or SRV record into out (names as
  /// offsets, each checked to end inside the data); returns nullptr, or why the data does not
  /// fit its type (static text). TXT is only checked (read it with DnsTextReader); other types
  /// return nullptr with out.known false.
  const char* parse_rdata(const DnsRecord& record, DnsRdata& out) const noexcept;

  /// Decodes the header at the start of data (see layer.hpp).
  DecodeStatus decode(std::span<const std::byte> data, const DecodeContext& ctx) noexcept;
  /// Reads only the 12-byte header and views all of data as the message, without walking the
  /// sections: a truncated message can then be read with DnsReader up to where it breaks
  /// (printers show such a prefix). False if data is shorter than the header.
  bool decode_header(std::span<const std::byte> data) noexcept;
  /// Prepends this header to buf (see serialize.hpp).
  void serialize(SerializeBuffer& buf, const SerializeOptions& opts, const SerializeContext& ctx) const;
};

/// The typed data of a record (Dns::parse_rdata). Names are offsets in the message for Dns::name().
struct DnsRdata {
  bool known = false;           ///< the type is one of those typed here
  Ipv4Address a;                ///< A
  Ipv6Address aaaa;             ///< AAAA
  std::uint32_t name = 0;       ///< CNAME, NS, PTR target; MX exchange; SRV target; SOA MNAME
  std::uint32_t name2 = 0;      ///< SOA RNAME (the mailbox)
  std::uint16_t preference = 0; ///< MX preference; SRV priority
  std::uint16_t weight = 0;     ///< SRV
  std::uint16_t port = 0;       ///< SRV
  std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;  ///< SOA
};

/// The character-strings of TXT record data (RFC 1035 3.3.14), each a length byte and text.
class DnsTextReader {
 public:
  explicit DnsTextReader(std::span<const std::byte> rdata) noexcept : rdata_(rdata) {}
  /// The next string; false at the end or, with malformed() true, at one that runs past the data.
  bool next(std::string_view& out) noexcept;
  [[nodiscard]] bool malformed() const noexcept { return malformed_; }

 private:
  std::span<const std::byte> rdata_;
  std::size_t pos_ = 0;
  bool malformed_ = false;
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

/// SOA record data (RFC 1035 3.3.13) for DnsBuilder::soa().
struct DnsSoa {
  std::string_view mname;  ///< the primary name server
  std::string_view rname;  ///< the responsible mailbox, as a name
  std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};

/// Who a record is about: its owner name, TTL and class.
struct DnsOwner {
  std::string_view name;
  std::uint32_t ttl = 0;
  std::uint16_t klass = Dns::kClassIn;
};

/// Writes a DNS message: header, questions, then records in section order. The first error
/// (a bad name, sections out of order, a message over 65535 bytes) sticks and is reported by
/// result(); later calls do nothing. clear() keeps the memory: once warm, building allocates nothing.
///
///   DnsBuilder b;
///   b.start(0x1234, Dns::kResponse | Dns::kRecursionDesired).question("example.com", Dns::kTypeA)
///    .a(DnsRecord::Section::answer, {"example.com", 300}, addr);
///   auto dns = b.dns();  // a Dns layer viewing b's bytes
class DnsBuilder {
 public:
  /// compress: write repeated name suffixes as pointers (RFC 1035 4.1.4).
  explicit DnsBuilder(bool compress = true);

  /// Starts a new message with this id and flags (drops what was built).
  DnsBuilder& start(std::uint16_t id, std::uint16_t flags);
  /// Adds a question.
  DnsBuilder& question(std::string_view name, std::uint16_t type, std::uint16_t klass = Dns::kClassIn);
  DnsBuilder& a(DnsRecord::Section s, const DnsOwner& owner, const Ipv4Address& addr);
  DnsBuilder& aaaa(DnsRecord::Section s, const DnsOwner& owner, const Ipv6Address& addr);
  /// A record whose data is one name: CNAME, NS or PTR (or another such type).
  DnsBuilder& name_record(DnsRecord::Section s, std::uint16_t type, const DnsOwner& owner, std::string_view target);
  DnsBuilder& cname(DnsRecord::Section s, const DnsOwner& owner, std::string_view target) {
    return name_record(s, Dns::kTypeCname, owner, target);
  }
  DnsBuilder& ns(DnsRecord::Section s, const DnsOwner& owner, std::string_view target) {
    return name_record(s, Dns::kTypeNs, owner, target);
  }
  DnsBuilder& ptr(DnsRecord::Section s, const DnsOwner& owner, std::string_view target) {
    return name_record(s, Dns::kTypePtr, owner, target);
  }
  DnsBuilder& mx(DnsRecord::Section s, const DnsOwner& owner, std::uint16_t preference, std::string_view exchange);
  /// TXT with one or more character-strings of at most 255 bytes each.
  DnsBuilder& txt(DnsRecord::Section s, const DnsOwner& owner, std::span<const std::string_view> strings);
  DnsBuilder& soa(DnsRecord::Section s, const DnsOwner& owner, const DnsSoa& soa);
  DnsBuilder& srv(DnsRecord::Section s, const DnsOwner& owner, std::uint16_t priority, std::uint16_t weight,
                  std::uint16_t port, std::string_view target);
  /// Any record type with its data as bytes (no compression inside).
  DnsBuilder& raw(DnsRecord::Section s, std::uint16_t type, const DnsOwner& owner, std::span<const std::byte> rdata);

  /// The message, or the first error ("DNS builder: answer record 2: label 'x...' is longer than 63 bytes").
  [[nodiscard]] std::expected<std::span<const std::byte>, Error> result() const;
  /// The message as a Dns layer (header fields set, contents viewing this builder's bytes, valid
  /// until the next change); an empty layer after an error.
  [[nodiscard]] Dns dns() const noexcept;
  /// The bytes so far.
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return msg_; }
  [[nodiscard]] bool ok() const noexcept { return error_.empty(); }

 private:
  bool begin_record(DnsRecord::Section s, std::uint16_t type, const DnsOwner& owner);
  void end_record();
  bool put_name(std::string_view name, bool compressible);
  bool room(std::size_t n);
  void fail(std::string why);

  bool compress_;
  std::vector<std::byte> msg_;
  std::string error_;
  std::size_t rdata_at_ = 0;       // where the open record's data starts
  std::uint8_t section_ = 0;       // 0 questions, then 1 + DnsRecord::Section
  std::uint8_t adding_ = 0;        // the section of the entry being added (for messages)
  std::array<std::uint16_t, 4> counts_{};
  // Offsets of labels written in place (not pointers): candidates for compression.
  std::array<std::uint16_t, 256> labels_{};
  std::size_t label_count_ = 0;
};

}  // namespace pcapxx::layers
