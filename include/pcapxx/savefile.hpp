// pcapxx: reading and writing pcap and pcapng savefiles.
//
//   auto reader = pcapxx::SavefileReader::open("trace.pcapng");
//   for (const pcapxx::PacketView& pkt : **reader) { ... }
//   if (auto err = (*reader)->error()) fmt::print(stderr, "{}\n", err->what());
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/error.hpp"
#include "pcapxx/packet.hpp"
#include "pcapxx/source.hpp"

namespace pcapxx {

enum class SavefileFormat : std::uint8_t { pcap, pcapng };

/// What the file header (pcap) or first Section Header Block (pcapng) says.
struct SavefileInfo {
  SavefileFormat format = SavefileFormat::pcap;
  std::uint16_t version_major = 0;
  std::uint16_t version_minor = 0;
  bool swapped = false;        ///< the (first section's) byte order is not the host's
  bool nanosecond = false;     ///< pcap: the ns magic; pcapng: false
  bool modified_pcap = false;  ///< pcap: the Kuznetzov "modified" format (extra record fields)
  std::string hardware;        ///< shb_hardware
  std::string os;              ///< shb_os
  std::string user_application;  ///< shb_userappl
  std::vector<std::string> comments;  ///< opt_comment of the SHB
};

/// A pcapng custom option (draft-ietf-opsawg-pcapng 3.5.1): code 2988 (UTF-8) or 2989
/// (binary) may be copied by tools that rewrite a file, 19372/19373 may not; a Private
/// Enterprise Number says whose it is.
struct CustomOption {
  std::uint16_t code = 2989;
  std::uint32_t pen = 0;
  std::span<const std::byte> data;  ///< after the PEN; read: a view into the block
  bool swapped = false;             ///< read: the section's byte order is not the host's
};

/// The per-packet options of a pcapng EPB/SPB/PB, parsed on demand from RawOptions.
struct PacketOptions {
  std::vector<std::string_view> comments;   ///< opt_comment (views into the block)
  std::optional<std::uint32_t> flags;       ///< epb_flags
  std::vector<std::span<const std::byte>> hashes;  ///< epb_hash (algorithm byte first)
  std::optional<std::uint64_t> dropcount;   ///< epb_dropcount
  std::optional<std::uint64_t> packet_id;   ///< epb_packetid
  std::optional<std::uint32_t> queue;       ///< epb_queue
  std::vector<std::span<const std::byte>> verdicts;  ///< epb_verdict (type byte first)
  std::vector<CustomOption> custom;         ///< custom options (codes 2988, 2989, 19372, 19373)
};

/// Parses per-packet options; malformed options end the parse with an error.
Result<PacketOptions> parse_packet_options(const RawOptions& raw);

/// A savefile opened for reading. It is a Source: batches of views into its read buffer.
/// Regular files and pipes alike are read in large chunks; memory stays bounded.
class SavefileReader final : public Source {
 public:
  /// Opens a file by path; "-" reads standard input.
  static Result<std::unique_ptr<SavefileReader>> open(std::string_view path);
  /// Reads from an open descriptor; `name` is used in messages. Takes ownership if `owned`.
  static Result<std::unique_ptr<SavefileReader>> open_fd(int fd, std::string name, bool owned);

  ~SavefileReader() override;

  Result<BatchResult> next_batch() override;
  [[nodiscard]] std::span<const InterfaceDescription> interfaces() const override;
  [[nodiscard]] CaptureStats stats() const override;

  /// The next single packet, or nullptr at the end of the file.
  Result<const PacketView*> next();

  /// What the file header said.
  [[nodiscard]] const SavefileInfo& info() const noexcept;
  /// The file name used in messages.
  [[nodiscard]] const std::string& name() const noexcept;
  /// The error that ended a range-for loop early, if any.
  [[nodiscard]] const std::optional<Error>& error() const noexcept;
  /// Byte offset of the next unread record.
  [[nodiscard]] std::uint64_t offset() const noexcept;

  /// Range-for over packets; stops at the end or at the first error (see error()).
  class Iterator {
   public:
    using value_type = PacketView;
    using difference_type = std::ptrdiff_t;
    const PacketView& operator*() const { return *current_; }
    const PacketView* operator->() const { return current_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const Iterator& it, std::default_sentinel_t) { return it.current_ == nullptr; }

   private:
    friend class SavefileReader;
    explicit Iterator(SavefileReader* r);
    SavefileReader* reader_ = nullptr;
    const PacketView* current_ = nullptr;
  };
  Iterator begin() { return Iterator(this); }
  std::default_sentinel_t end() { return {}; }

  struct Impl;

 private:
  explicit SavefileReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// When a writer pushes its buffer to the file.
enum class FlushPolicy : std::uint8_t {
  buffered,    ///< when the buffer fills and at close (tcpdump's default)
  per_packet,  ///< after every packet (tcpdump -U)
};

/// How to write a savefile.
struct WriterOptions {
  SavefileFormat format = SavefileFormat::pcap;
  bool nanosecond = false;       ///< pcap: write the ns magic; pcapng: if_tsresol 9
  FlushPolicy flush = FlushPolicy::buffered;
  bool append = false;           ///< pcap: append to an existing file (link type, snaplen must agree)
  std::string user_application = "pcapxx";  ///< pcapng shb_userappl
  std::size_t buffer_size = 1 << 20;
};

/// A savefile opened for writing (pcap or pcapng).
class SavefileWriter {
 public:
  virtual ~SavefileWriter() = default;
  SavefileWriter() = default;
  SavefileWriter(const SavefileWriter&) = delete;
  SavefileWriter& operator=(const SavefileWriter&) = delete;

  /// Creates (or with options.append, extends) a file; "-" writes standard output. A pcap
  /// file takes the link type and snaplen of interfaces[0]; pcapng writes one IDB each.
  static Result<std::unique_ptr<SavefileWriter>> open(std::string_view path,
                                                      std::span<const InterfaceDescription> interfaces,
                                                      const WriterOptions& options);
  /// Writes to an open descriptor; `name` is used in messages. Takes ownership if `owned`.
  static Result<std::unique_ptr<SavefileWriter>> open_fd(int fd, std::string name, bool owned,
                                                         std::span<const InterfaceDescription> interfaces,
                                                         const WriterOptions& options);
  /// Writes through a stdio stream, which the writer never closes: records go into the
  /// stream's buffer (bytes the program writes to it between packets land in order; flush()
  /// is fflush; exit() flushes the rest; no stream lock is taken per packet, so no other
  /// thread may write to it meanwhile). options.buffer_size and FlushPolicy::per_packet's
  /// batching do not apply: the stream's own buffering does. For the libpcap ABI's pcap_dump.
  static Result<std::unique_ptr<SavefileWriter>> open_stream(std::FILE* stream, std::string name,
                                                             std::span<const InterfaceDescription> interfaces,
                                                             const WriterOptions& options);

  /// Writes one packet; header.interface selects the IDB (pcapng). Comments go into the EPB.
  virtual Result<void> write(const PacketView& packet,
                             std::span<const std::string_view> comments = {}) = 0;
  /// Writes one packet with comments and custom options (pcapng; other formats drop the
  /// options). A custom option read from a file in the other byte order is refused: its data
  /// cannot be converted without knowing its layout.
  virtual Result<void> write_annotated(const PacketView& packet, std::span<const std::string_view> comments,
                                       std::span<const CustomOption> custom) {
    (void)custom;
    return write(packet, comments);
  }
  /// Writes every packet of a batch.
  virtual Result<void> write_batch(Batch batch);
  /// Adds an interface (pcapng: writes an IDB now) and returns its index.
  virtual Result<std::uint32_t> add_interface(const InterfaceDescription& interface) = 0;
  /// Pushes buffered bytes to the file.
  virtual Result<void> flush() = 0;
  /// Flushes and closes; pcapng writes an Interface Statistics Block per interface first
  /// when stats are given.
  virtual Result<void> close(const CaptureStats* stats = nullptr) = 0;
  /// Bytes handed to the file so far, including buffered ones (pcap_dump_ftell).
  [[nodiscard]] virtual std::uint64_t position() const = 0;
};

}  // namespace pcapxx
