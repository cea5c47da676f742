// pxdump --process: which local process sent each packet (docs/process-attribution.md).
// Live: a ProcessAttributor resolves each batch's new flows once per batch (no system call
// per packet). Reading a file: the attribution stored in the packet's pcapng custom option
// (PEN 32473) is shown again. Either way the text line gets a column, --json objects a
// "process" member, a pcapng output a comment and the custom option per packet, and
// --pid/--comm/--uid keep only the packets of matching processes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "options.hpp"
#include "pcapxx/flow_table.hpp"
#include "pcapxx/process.hpp"
#include "pcapxx/savefile.hpp"
#include "pcapxx/source.hpp"

namespace pxdump {

class ProcessColumn {
 public:
  /// nullptr when no option asks for processes; an error when live attribution cannot start.
  static pcapxx::Result<std::unique_ptr<ProcessColumn>> open(const Options& opt, bool live);
  ~ProcessColumn();

  /// Resolves a batch before its packets are handled; rows follow the batch's order.
  void prepare(std::span<const pcapxx::PacketView> packets, std::span<const pcapxx::InterfaceDescription> ifs);
  /// Whether packet i passes --pid, --comm and --uid.
  [[nodiscard]] bool accept(std::size_t i) const noexcept;
  /// Adds the column to a printed line (before its first newline).
  void append_text(fmt::memory_buffer& line, std::size_t i);
  /// The "process" member of packet i's --json object (JsonOutput::append's extra members).
  void json_member(fmt::memory_buffer& out, std::size_t i) const;
  /// The attribution of packet i as a pcapng comment and custom option (live captures writing
  /// pcapng); false when there is none. The views stay valid until the next prepare().
  bool annotation(std::size_t i, std::string_view& comment, pcapxx::CustomOption& custom) const noexcept;
  /// A line for standard error at the end (live): flows and their attribution quality.
  void report() const;

 private:
  struct Row {
    bool has = false;
    pcapxx::StoredProcess process;
    std::size_t comment_at = 0, data_at = 0, data_len = 0;  ///< in arena_
  };
  ProcessColumn(const Options& opt, bool live);

  const Options& opt_;
  bool live_;
  bool annotate_;
  std::unique_ptr<pcapxx::ProcessAttributor> attributor_;
  pcapxx::FlowClassifier classifier_;
  std::vector<std::optional<pcapxx::layers::FlowKey>> keys_;
  std::vector<pcapxx::FlowRef> refs_;  // where note() left each packet's flow, for lookup()
  std::vector<Row> rows_;
  std::vector<std::byte> arena_;
  std::string text_;
  fmt::memory_buffer tail_;
};

}  // namespace pxdump
