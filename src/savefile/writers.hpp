// The seam between SavefileWriter::open and the per-format writers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "pcapxx/savefile.hpp"
#include "savefile/output.hpp"

namespace pcapxx::detail {

/// The start of a non-empty file being appended to.
struct ExistingFile {
  std::uint64_t size = 0;
  std::array<std::byte, 24> head{};
  std::size_t head_len = 0;  ///< bytes of head read (less than 24 only for a tiny file)
};

/// Writes the file header unless appending to `existing`, which must then agree with
/// interfaces[0] (link type, snaplen); records follow the existing header's byte order and
/// timestamp precision.
Result<std::unique_ptr<SavefileWriter>> make_pcap_writer(
    std::unique_ptr<ByteOutput> out, std::span<const InterfaceDescription> interfaces,
    const WriterOptions& options, const std::optional<ExistingFile>& existing);

/// Writes a Section Header Block and one IDB per interface; when appending to an existing
/// pcapng file this starts a new section after the existing ones.
Result<std::unique_ptr<SavefileWriter>> make_pcapng_writer(
    std::unique_ptr<ByteOutput> out, std::span<const InterfaceDescription> interfaces,
    const WriterOptions& options, const std::optional<ExistingFile>& existing);

/// "LINKTYPE 1 (EN10MB)" for messages.
std::string describe_link_type(LinkType type);

/// Bytes of padding that bring n to a multiple of 4 (pcapng blocks and options).
constexpr std::size_t pad4(std::size_t n) noexcept { return (4 - (n & 3)) & 3; }

}  // namespace pcapxx::detail
