#include "process_column.hpp"

#include "json_output.hpp"

#include <cstring>

namespace pxdump {
namespace {

}  // namespace

ProcessColumn::ProcessColumn(const Options& opt, bool live)
    : opt_(opt), live_(live), annotate_(live && !opt.write_file.empty() && (opt.pcapng || opt.write_file.ends_with(".pcapng"))) {}

ProcessColumn::~ProcessColumn() = default;

pcapxx::Result<std::unique_ptr<ProcessColumn>> ProcessColumn::open(const Options& opt, bool live) {
  if (!opt.process && !opt.process_pid && opt.process_comm.empty() && !opt.process_uid)
    return std::unique_ptr<ProcessColumn>();
  auto col = std::unique_ptr<ProcessColumn>(new ProcessColumn(opt, live));
  if (live) {
    auto a = pcapxx::ProcessAttributor::open({});
    if (!a) return std::unexpected(a.error());
    for (const std::string& w : (*a)->warnings()) fmt::print(stderr, "pxdump: warning: {}\n", w);
    col->attributor_ = std::move(*a);
  }
  return col;
}

void ProcessColumn::prepare(std::span<const pcapxx::PacketView> packets,
                            std::span<const pcapxx::InterfaceDescription> ifs) {
  rows_.assign(packets.size(), Row{});
  if (!live_) {
    for (std::size_t i = 0; i < packets.size(); ++i)
      if (auto stored = pcapxx::find_process_option(packets[i].options)) rows_[i] = Row{true, *stored, 0, 0};
    return;
  }
  keys_.assign(packets.size(), std::nullopt);
  refs_.resize(packets.size());
  pcapxx::FlowPacket fp;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    if (p.header.interface >= ifs.size()) continue;
    if (classifier_.classify(p, ifs[p.header.interface].link_type, fp) && fp.has_ports) {
      keys_[i] = fp.key;
      refs_[i] = attributor_->note(fp.key);
    }
  }
  if (auto ok = attributor_->resolve(); !ok) fmt::print(stderr, "pxdump: {}\n", ok.error().what());
  arena_.clear();
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (!keys_[i]) continue;
    pcapxx::Attribution a = attributor_->lookup(*keys_[i], refs_[i]);
    if (a.process == nullptr) continue;
    Row& r = rows_[i];
    r.has = true;
    r.process = pcapxx::StoredProcess{a.quality, a.process->pid, a.process->tid, a.process->uid,
                                      a.process->netns, a.process->comm, a.process->cmdline};
    if (annotate_ && packets[i].options.bytes.empty()) {
      // A comment for people and the custom option's data for tools; the writer encodes both.
      text_.clear();
      pcapxx::format_process(text_, r.process);
      if (!r.process.cmdline.empty()) {
        text_ += " cmdline ";
        text_.append(r.process.cmdline.substr(0, 1024));
      }
      r.comment_at = arena_.size();
      const auto comment = std::as_bytes(std::span(text_));
      arena_.insert(arena_.end(), comment.begin(), comment.end());
      r.data_at = arena_.size();
      pcapxx::encode_process_option(*a.process, a.quality, arena_);
      r.data_len = arena_.size() - r.data_at;
    }
  }
}

bool ProcessColumn::accept(std::size_t i) const noexcept {
  if (!opt_.process_pid && opt_.process_comm.empty() && !opt_.process_uid) return true;
  const Row& r = rows_[i];
  if (!r.has) return false;
  if (opt_.process_pid && r.process.pid != *opt_.process_pid) return false;
  if (opt_.process_uid && r.process.uid != *opt_.process_uid) return false;
  if (!opt_.process_comm.empty() && r.process.comm != opt_.process_comm) return false;
  return true;
}

void ProcessColumn::append_text(fmt::memory_buffer& line, std::size_t i) {
  std::string_view all(line.data(), line.size());
  std::size_t nl = all.find('\n');
  if (nl == std::string_view::npos) nl = all.size();
  tail_.clear();
  tail_.append(all.substr(nl));
  line.resize(nl);
  text_.clear();
  if (rows_[i].has) pcapxx::format_process(text_, rows_[i].process);
  else text_ = "process unknown";
  fmt::format_to(std::back_inserter(line), " [{}]", text_);
  line.append(std::string_view(tail_.data(), tail_.size()));
}

void ProcessColumn::json_member(fmt::memory_buffer& out, std::size_t i) const {
  const Row& r = rows_[i];
  if (!r.has) {
    out.append(std::string_view(R"("process":null)"));
    return;
  }
  const auto& p = r.process;
  fmt::format_to(std::back_inserter(out), R"("process":{{"quality":"{}","pid":{},"tid":{},"uid":{},"netns":{},"comm":)",
                 pcapxx::to_string(p.quality), p.pid, p.tid, p.uid, p.netns);
  append_json_string(out, p.comm);
  out.append(std::string_view(R"(,"cmdline":)"));
  append_json_string(out, p.cmdline);
  out.push_back('}');
}

bool ProcessColumn::annotation(std::size_t i, std::string_view& comment, pcapxx::CustomOption& custom) const noexcept {
  const Row& r = rows_[i];
  if (!annotate_ || r.data_len == 0) return false;
  const auto* base = reinterpret_cast<const char*>(arena_.data());
  comment = std::string_view(base + r.comment_at, r.data_at - r.comment_at);
  custom = pcapxx::CustomOption{pcapxx::kCustomBinaryCopy, pcapxx::kProcessOptionPen,
                                std::span<const std::byte>(arena_).subspan(r.data_at, r.data_len), false};
  return true;
}

void ProcessColumn::report() const {
  if (!attributor_) return;
  auto s = attributor_->stats();
  fmt::print(stderr, "pxdump: process attribution: {} flows: {} exact, {} inferred, {} unknown\n", s.flows, s.exact,
             s.inferred, s.unknown);
}

}  // namespace pxdump
