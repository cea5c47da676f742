// pxdump: the -w side. Packets of a batch are queued as views and written together: a pcap
// file gets one gather write per batch (SavefileWriter::write_batch: large payloads leave from
// the source's memory, no copy); pcapng batches go through write_batch too, except packets that
// carry comments, which keep them. Rotation as tcpdump does it:
//   -C N  before a packet, if the file is already larger than N bytes, close it and open the
//         next one (name, name1, name2...; with -W: name0..name<W-1> zero-padded, as a ring)
//   -G S  when S seconds of wall-clock time have passed since the file was opened (checked once
//         per batch and on timeouts), open a new file named by strftime(3) of the -w name;
//         with -W, stop after W files
//   -z C  run "C FILE" (no shell) on each file closed by a rotation; pxdump waits for these
//         commands before it exits, so their work is done when it returns
// A rotation happens only between packets, so no packet is split or lost, and every file is a
// complete savefile with its own header (pcapng: its own SHB and IDBs).
//
// Limits: -G uses the wall clock, as tcpdump does, not packet timestamps: reading a file with
// -G rotates only as the reading takes time. A pcap output holds one link type: packets of
// interfaces with another link type are refused with a message that names them.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "options.hpp"
#include "pcapxx/savefile.hpp"
#include "pcapxx/source.hpp"

namespace pxdump {

class SavefileOutput {
 public:
  /// Opens the first file with the interfaces the source knows; nullptr after printing an error.
  static std::unique_ptr<SavefileOutput> open(const Options& opt, const pcapxx::Source& source);
  ~SavefileOutput();
  SavefileOutput(const SavefileOutput&) = delete;
  SavefileOutput& operator=(const SavefileOutput&) = delete;

  /// Queues a packet of the current batch (its view only; the bytes stay in the source's memory
  /// until write_pending).
  void add(const pcapxx::PacketView& p) { pending_.push_back(p); }
  /// A packet with a comment and a custom option for pcapng (--process); both views must stay
  /// valid until write_pending(). Other formats write the packet alone.
  void add(const pcapxx::PacketView& p, std::string_view comment, const pcapxx::CustomOption& custom) {
    notes_.push_back({pending_.size(), comment, custom});
    pending_.push_back(p);
  }

  /// Writes the queued packets, rotating files where -C/-G say; false after printing an error.
  bool write_pending(std::span<const pcapxx::InterfaceDescription> ifs);

  /// A live capture's timeout: -G may rotate without a packet. False after printing an error.
  bool tick(std::span<const pcapxx::InterfaceDescription> ifs);

  /// With -G and -W: the W-th file is complete and the capture should stop (tcpdump exits 0).
  [[nodiscard]] bool file_limit_reached() const noexcept { return limit_reached_; }

  /// Flushes and closes the current file (pcapng: with the capture's statistics when given) and
  /// waits for the -z commands; false after printing an error.
  bool close(const pcapxx::CaptureStats* stats);

 private:
  explicit SavefileOutput(const Options& opt);
  bool open_file(std::span<const pcapxx::InterfaceDescription> ifs);
  bool rotate(std::span<const pcapxx::InterfaceDescription> ifs, bool by_time);
  bool write_run(std::span<const pcapxx::PacketView> run);
  void keep_portable_custom_options(std::vector<pcapxx::CustomOption>& custom);
  bool add_new_interfaces(std::span<const pcapxx::InterfaceDescription> ifs);
  bool time_to_rotate();
  [[nodiscard]] std::uint64_t record_size(const pcapxx::PacketView& p) const noexcept;
  [[nodiscard]] std::string file_name() const;
  void run_post_rotate(const std::string& closed);

  const Options& opt_;
  bool pcapng_;
  std::unique_ptr<pcapxx::SavefileWriter> writer_;
  std::string current_name_;
  std::size_t interfaces_written_ = 0;    // pcapng: IDBs in the current file
  std::vector<bool> link_matches_;        // pcap: interface i has the file's link type
  std::vector<pcapxx::PacketView> pending_;
  /// Annotations of some pending packets, in packet order.
  struct Note {
    std::size_t packet;
    std::string_view comment;
    pcapxx::CustomOption custom;
  };
  std::vector<Note> notes_;
  std::uint64_t position_ = 0;            // bytes in the current file, header included
  std::uint64_t size_count_ = 0;          // -C: number of the current file
  std::uint64_t time_count_ = 0;          // -G: files closed by time
  std::time_t opened_at_ = 0;             // -G: wall-clock second the current file was opened
  bool limit_reached_ = false;
  bool warned_custom_ = false;  ///< the note about unconvertible custom options was printed
  std::vector<int> post_rotate_children_;
};

}  // namespace pxdump
