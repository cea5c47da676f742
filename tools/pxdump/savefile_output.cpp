#include "savefile_output.hpp"

#include <cerrno>
#include <cstring>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include "expression.hpp"

extern char** environ;

namespace pxdump {
namespace {

// Digits of the -W file number: those of W-1, as tcpdump names its ring (W=10: 0..9, W=11: 00..10).
int ring_digits(std::uint32_t files) {
  int digits = 0;
  for (std::uint32_t x = files == 0 ? 0 : files - 1; x > 0; x /= 10) ++digits;
  return digits;
}

std::size_t pad4(std::size_t n) { return (4 - n % 4) % 4; }

}  // namespace

SavefileOutput::SavefileOutput(const Options& opt)
    : opt_(opt), pcapng_(opt.pcapng || opt.write_file.ends_with(".pcapng")) {
  pending_.reserve(4096);
  notes_.reserve(4096);
}

SavefileOutput::~SavefileOutput() {
  for (int pid : post_rotate_children_) ::waitpid(pid, nullptr, 0);
}

std::unique_ptr<SavefileOutput> SavefileOutput::open(const Options& opt, const pcapxx::Source& source) {
  auto out = std::unique_ptr<SavefileOutput>(new SavefileOutput(opt));
  if ((opt.rotate_size || opt.rotate_seconds) && opt.write_file == "-") {
    fmt::print(stderr, "pxdump: -C and -G need a file name for -w, not standard output\n");
    return nullptr;
  }
  auto ifs = source.interfaces();
  if (!out->pcapng_ && ifs.empty()) {
    fmt::print(stderr, "pxdump: {}: the input has no interface yet, so there is no link type for a pcap "
                       "file; write pcapng (--pcapng)\n", opt.write_file);
    return nullptr;
  }
  if (!out->pcapng_) {
    for (std::size_t i = 1; i < ifs.size(); ++i)
      if (ifs[i].link_type != ifs[0].link_type && !ifs[i].name.empty()) {
        fmt::print(stderr, "pxdump: {}: {} has link-type {} and {} has {}: a pcap file holds one; write "
                           "pcapng (--pcapng)\n", opt.write_file, ifs[0].name, link_type_text(ifs[0].link_type),
                   ifs[i].name, link_type_text(ifs[i].link_type));
        return nullptr;
      }
  }
  if (!out->open_file(ifs)) return nullptr;
  return out;
}

std::string SavefileOutput::file_name() const {
  std::string base = opt_.write_file;
  if (opt_.rotate_seconds) {
    std::tm tm{};
    localtime_r(&opened_at_, &tm);
    char buf[4096];
    std::size_t n = std::strftime(buf, sizeof buf, opt_.write_file.c_str(), &tm);
    if (n != 0) base.assign(buf, n);
  }
  int digits = opt_.rotate_size && opt_.file_count ? ring_digits(*opt_.file_count) : 0;
  if (size_count_ == 0 && digits == 0) return base;
  return fmt::format("{}{:0{}}", base, size_count_, digits);
}

bool SavefileOutput::open_file(std::span<const pcapxx::InterfaceDescription> ifs) {
  opened_at_ = std::time(nullptr);
  current_name_ = file_name();
  pcapxx::WriterOptions wo;
  wo.format = pcapng_ ? pcapxx::SavefileFormat::pcapng : pcapxx::SavefileFormat::pcap;
  wo.nanosecond = opt_.nanosecond;
  wo.flush = opt_.packet_buffered ? pcapxx::FlushPolicy::per_packet : pcapxx::FlushPolicy::buffered;
  wo.user_application = "pxdump 0.2.0";
  // pcap holds one link (packets of other interfaces with the same link are renumbered to 0);
  // pcapng gets every interface seen so far, more may come later.
  auto initial = pcapng_ ? ifs : ifs.first(std::min<std::size_t>(ifs.size(), 1));
  auto w = pcapxx::SavefileWriter::open(current_name_, initial, wo);
  if (!w) {
    fmt::print(stderr, "pxdump: {}\n", w.error().what());
    return false;
  }
  writer_ = std::move(*w);
  interfaces_written_ = initial.size();
  position_ = writer_->position();
  return true;
}

void SavefileOutput::run_post_rotate(const std::string& closed) {
  // As tcpdump: "COMMAND FILE", run in parallel to the capture at the lowest priority.
  char* argv[] = {const_cast<char*>(opt_.post_rotate_command.c_str()), const_cast<char*>(closed.c_str()),
                  nullptr};
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv, environ);
  if (rc != 0) {
    fmt::print(stderr, "pxdump: -z {} {}: {}\n", opt_.post_rotate_command, closed, std::strerror(rc));
    return;
  }
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(pid), 19);
  post_rotate_children_.push_back(pid);
  // Reap the ones already done so that a long capture leaves no zombies.
  std::erase_if(post_rotate_children_, [](int child) { return ::waitpid(child, nullptr, WNOHANG) == child; });
}

bool SavefileOutput::rotate(std::span<const pcapxx::InterfaceDescription> ifs, bool by_time) {
  if (auto ok = writer_->close(nullptr); !ok) {
    fmt::print(stderr, "pxdump: {}\n", ok.error().what());
    return false;
  }
  writer_.reset();
  if (!opt_.post_rotate_command.empty()) run_post_rotate(current_name_);
  if (by_time) {
    ++time_count_;
    size_count_ = 0;
    if (opt_.file_count && !opt_.rotate_size && time_count_ >= *opt_.file_count) {
      limit_reached_ = true;
      return true;
    }
  } else {
    ++size_count_;
    if (opt_.file_count && size_count_ >= *opt_.file_count) size_count_ = 0;  // the ring wraps
  }
  return open_file(ifs);
}

bool SavefileOutput::time_to_rotate() {
  return opt_.rotate_seconds && std::time(nullptr) - opened_at_ >= static_cast<std::time_t>(*opt_.rotate_seconds);
}

bool SavefileOutput::tick(std::span<const pcapxx::InterfaceDescription> ifs) {
  if (limit_reached_ || !time_to_rotate()) return true;
  return rotate(ifs, true);
}

bool SavefileOutput::add_new_interfaces(std::span<const pcapxx::InterfaceDescription> ifs) {
  if (pcapng_) {
    while (interfaces_written_ < ifs.size()) {
      if (auto added = writer_->add_interface(ifs[interfaces_written_]); !added) {
        fmt::print(stderr, "pxdump: {}\n", added.error().what());
        return false;
      }
      ++interfaces_written_;
    }
  } else {
    while (link_matches_.size() < ifs.size())
      link_matches_.push_back(ifs[link_matches_.size()].link_type == ifs[0].link_type);
  }
  return true;
}

std::uint64_t SavefileOutput::record_size(const pcapxx::PacketView& p) const noexcept {
  if (!pcapng_) return 16 + p.data.size();  // record header + bytes
  // Enhanced Packet Block: 28 fixed bytes, padded data, epb_flags and opt_endofopt when the
  // direction or flags are known, the trailing length (draft-ietf-opsawg-pcapng 4.3).
  bool flags = p.header.has_flags || p.header.direction != pcapxx::Direction::unknown;
  return 28 + p.data.size() + pad4(p.data.size()) + (flags ? 12 : 0) + 4;
}

bool SavefileOutput::write_run(std::span<const pcapxx::PacketView> run) {
  if (run.empty()) return true;
  if (auto ok = writer_->write_batch(run); !ok) {
    fmt::print(stderr, "pxdump: {}\n", ok.error().what());
    return false;
  }
  position_ = writer_->position();
  return true;
}

bool SavefileOutput::write_pending(std::span<const pcapxx::InterfaceDescription> ifs) {
  if (limit_reached_) {
    pending_.clear();
    notes_.clear();
    return true;
  }
  if (!add_new_interfaces(ifs)) return false;
  if (time_to_rotate()) {
    if (!rotate(ifs, true)) return false;
    if (limit_reached_) {  // as tcpdump: the packets that would open file W+1 are not written
      pending_.clear();
      notes_.clear();
      return true;
    }
  }
  std::span<pcapxx::PacketView> packets(pending_);
  if (!pcapng_) {
    for (std::size_t i = 0; i < packets.size(); ++i) {
      pcapxx::PacketView& v = packets[i];
      if (v.header.interface == 0) continue;
      if (!link_matches_[v.header.interface]) {
        fmt::print(stderr,
                   "pxdump: {}: a packet on interface {} has link-type {}, which a pcap file of link-type {} "
                   "cannot hold; write pcapng (--pcapng)\n",
                   current_name_, v.header.interface, link_type_text(ifs[v.header.interface].link_type),
                   link_type_text(ifs[0].link_type));
        return false;
      }
      v.header.interface = 0;
    }
  }
  std::size_t start = 0;
  std::size_t next_note = 0;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const pcapxx::PacketView& p = packets[i];
    const Note* note = next_note < notes_.size() && notes_[next_note].packet == i ? &notes_[next_note++] : nullptr;
    // tcpdump's rule: before writing a packet, rotate if the file is already larger than -C.
    if (opt_.rotate_size && position_ > *opt_.rotate_size) {
      if (!write_run(packets.subspan(start, i - start))) return false;
      if (position_ > *opt_.rotate_size) {
        if (!rotate(ifs, false)) return false;
      }
      start = i;
    }
    if (pcapng_ && (note != nullptr || !p.options.bytes.empty())) {
      if (!write_run(packets.subspan(start, i - start))) return false;
      // An annotation (--process) goes to the writer as it is; a packet read with pcapng options
      // pays for parsing them, so that its comments and custom options survive.
      pcapxx::PacketOptions parsed;
      if (note == nullptr) {
        if (auto got = pcapxx::parse_packet_options(p.options)) {
          parsed = std::move(*got);
          keep_portable_custom_options(parsed.custom);
        } else {
          fmt::print(stderr, "pxdump: {}: packet written without its options: {}\n", current_name_, got.error().what());
        }
      }
      auto ok = note != nullptr ? writer_->write_annotated(p, {&note->comment, 1}, {&note->custom, 1})
                                : writer_->write_annotated(p, parsed.comments, parsed.custom);
      if (!ok) {
        fmt::print(stderr, "pxdump: {}\n", ok.error().what());
        return false;
      }
      position_ = writer_->position();
      start = i + 1;
      continue;
    }
    position_ += record_size(p);
  }
  bool ok = write_run(packets.subspan(start));
  pending_.clear();
  notes_.clear();
  return ok;
}

void SavefileOutput::keep_portable_custom_options(std::vector<pcapxx::CustomOption>& custom) {
  // Custom options from a section in the other byte order: string data (2988, 19372) has no
  // byte order and is copied; binary data (2989, 19373) has a layout only its owner knows, so it
  // cannot be converted. Those are left out, and said so once.
  std::erase_if(custom, [&](pcapxx::CustomOption& c) {
    if (!c.swapped) return false;
    if (c.code == 2988 || c.code == 19372) {
      c.swapped = false;
      return false;
    }
    if (!warned_custom_) {
      fmt::print(stderr,
                 "pxdump: {}: binary custom options (code {}, PEN {}) from a section in the other byte order "
                 "are not copied: their layout is unknown\n",
                 current_name_, c.code, c.pen);
      warned_custom_ = true;
    }
    return true;
  });
}

bool SavefileOutput::close(const pcapxx::CaptureStats* stats) {
  bool ok = true;
  if (writer_) {
    if (auto closed = writer_->close(stats); !closed) {
      fmt::print(stderr, "pxdump: {}\n", closed.error().what());
      ok = false;
    }
    writer_.reset();
  }
  for (int pid : post_rotate_children_) ::waitpid(pid, nullptr, 0);
  post_rotate_children_.clear();
  return ok;
}

}  // namespace pxdump
