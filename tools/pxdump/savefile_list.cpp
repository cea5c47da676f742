#include "savefile_list.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "expression.hpp"

namespace pxdump {

pcapxx::Result<std::vector<std::string>> savefile_names(const Options& opt) {
  std::vector<std::string> files = opt.read_files;
  if (opt.read_list_file.empty()) return files;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (opt.read_list_file != "-") {
    file.open(opt.read_list_file);
    if (!file)
      return pcapxx::fail_errno(errno, fmt::format("{}: cannot open the list of savefiles (-V)", opt.read_list_file));
    in = &file;
  }
  std::string line;
  std::size_t named = 0;
  while (std::getline(*in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty()) continue;
    files.push_back(line);
    ++named;
  }
  if (named == 0)
    return pcapxx::fail(pcapxx::Errc::format, fmt::format("{}: the list of savefiles (-V) names no file",
                                                          opt.read_list_file == "-" ? "standard input" : opt.read_list_file));
  return files;
}

pcapxx::Result<std::unique_ptr<SavefileList>> SavefileList::open(const Options& opt, std::vector<std::string> files,
                                                                  const std::string& expression, bool open_all) {
  auto list = std::unique_ptr<SavefileList>(new SavefileList(opt, expression));
  for (auto& f : files) list->inputs_.push_back(Input{std::move(f), nullptr, std::nullopt, {}});
  list->views_.reserve(4096);
  if (open_all)
    for (auto& in : list->inputs_)
      if (auto ok = list->open_input(in); !ok) return std::unexpected(ok.error());
  if (auto ok = list->start(0); !ok) return std::unexpected(ok.error());
  return list;
}

pcapxx::Result<void> SavefileList::open_input(Input& in) {
  if (in.reader) return {};
  auto opened = pcapxx::SavefileReader::open(in.path);
  if (!opened) return std::unexpected(opened.error());
  in.reader = std::move(*opened);
  return {};
}

void SavefileList::map_interfaces(Input& in) {
  auto ifs = in.reader->interfaces();
  while (in.interface_map.size() < ifs.size()) {
    in.interface_map.push_back(static_cast<std::uint32_t>(interfaces_.size()));
    interfaces_.push_back(ifs[in.interface_map.size() - 1]);
  }
}

pcapxx::Result<void> SavefileList::start(std::size_t i) {
  Input& in = inputs_[i];
  if (auto ok = open_input(in); !ok) return ok;
  pcapxx::SavefileReader& reader = *in.reader;
  // Each file is filtered with the program tcpdump would use for it, as the single-file path.
  if (!expression_.empty()) {
    std::uint32_t snaplen = reader.snaplen() == 0 ? 262144 : reader.snaplen();
    auto compiled = compile_expression(expression_, reader.link_type(), snaplen, 0, opt_.optimize,
                                       pcapxx::FilterTarget::savefile, reader.info().swapped);
    if (!compiled) return std::unexpected(compiled.error());
    in.filter = std::move(*compiled);
  }
  map_interfaces(in);
  fmt::print(stderr, "reading from file {}, link-type {}, snapshot length {}\n", in.path,
             link_type_text(reader.link_type()), reader.snaplen());
  return {};
}

pcapxx::Result<pcapxx::BatchResult> SavefileList::next_batch() {
  while (current_ < inputs_.size()) {
    Input& in = inputs_[current_];
    auto batch = in.reader->next_batch();
    if (!batch) return std::unexpected(batch.error());
    if (batch->status == pcapxx::BatchStatus::end) {
      auto s = in.reader->stats();
      finished_.received += s.received;
      finished_.dropped += s.dropped;
      in.reader.reset();  // its memory goes now; no view into it is used after this call
      if (++current_ == inputs_.size()) break;
      if (auto ok = start(current_); !ok) return std::unexpected(ok.error());
      continue;
    }
    if (batch->status != pcapxx::BatchStatus::packets) return *batch;
    map_interfaces(in);
    // Only the headers are copied (the interface index changes); the bytes stay in the reader.
    views_.clear();
    for (const pcapxx::PacketView& p : batch->packets) {
      if (in.filter && !in.filter->matches(p)) continue;
      pcapxx::PacketView v = p;
      v.header.interface = in.interface_map[p.header.interface];
      views_.push_back(v);
    }
    if (views_.empty()) continue;
    return pcapxx::BatchResult{pcapxx::BatchStatus::packets, views_};
  }
  return pcapxx::BatchResult{pcapxx::BatchStatus::end, {}};
}

pcapxx::CaptureStats SavefileList::stats() const {
  pcapxx::CaptureStats s = finished_;
  if (current_ < inputs_.size() && inputs_[current_].reader) {
    auto c = inputs_[current_].reader->stats();
    s.received += c.received;
    s.dropped += c.dropped;
  }
  return s;
}

}  // namespace pxdump
