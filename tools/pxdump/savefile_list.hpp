// pxdump with several savefiles: -r given more than once, and -V LIST (a file naming savefiles,
// one per line; '-' is standard input). The files are read in order as one stream: one output,
// packets numbered on, one summary.
//
// Link types may differ between files. Each file gets the filter compiled for its own link type
// (and byte order), and its interfaces are appended to one interface list (file 2's interface 0
// comes after all of file 1's), so printing and --json see every packet with its own link
// type; pcapng output (-w x.pcapng, --pcapng) gets one IDB per input interface. A pcap output
// holds one link type: a file whose link type differs from the first file's stops pxdump with a
// message naming both (write pcapng instead), as tcpdump -V -w refuses it.
//
// Files are opened one after the other, except with -Z: then all are opened before the drop.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "options.hpp"
#include "pcapxx/filter.hpp"
#include "pcapxx/savefile.hpp"
#include "pcapxx/source.hpp"

namespace pxdump {

/// The files of every -r, in order, then those named in -V LIST; an error names the list.
pcapxx::Result<std::vector<std::string>> savefile_names(const Options& opt);

/// Several savefiles as one Source; it filters itself (each file with its own program).
class SavefileList final : public pcapxx::Source {
 public:
  /// Opens the first file (all of them with `open_all`), compiles `expression` for it.
  static pcapxx::Result<std::unique_ptr<SavefileList>> open(const Options& opt, std::vector<std::string> files,
                                                             const std::string& expression, bool open_all);

  pcapxx::Result<pcapxx::BatchResult> next_batch() override;
  [[nodiscard]] std::span<const pcapxx::InterfaceDescription> interfaces() const override { return interfaces_; }
  [[nodiscard]] pcapxx::CaptureStats stats() const override;

 private:
  struct Input {
    std::string path;
    std::unique_ptr<pcapxx::SavefileReader> reader;
    std::optional<pcapxx::Filter> filter;
    std::vector<std::uint32_t> interface_map;  // the file's interface index -> ours
  };
  SavefileList(const Options& opt, std::string expression) : opt_(opt), expression_(std::move(expression)) {}
  pcapxx::Result<void> open_input(Input& in);
  pcapxx::Result<void> start(std::size_t i);
  void map_interfaces(Input& in);

  const Options& opt_;
  std::string expression_;
  std::vector<Input> inputs_;
  std::size_t current_ = 0;
  std::vector<pcapxx::InterfaceDescription> interfaces_;
  std::vector<pcapxx::PacketView> views_;
  pcapxx::CaptureStats finished_;  // counters of the files already read
};

}  // namespace pxdump
