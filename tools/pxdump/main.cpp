// pxdump: capture live or read a savefile, filter, then print a line per packet or write the
// packets to a savefile; tcpdump's options, messages and exit codes. Uses only the public
// pcapxx C++ API.
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "device_lists.hpp"
#include "expression.hpp"
#include "live.hpp"
#include "options.hpp"
#include "packet_loop.hpp"
#include "pcapxx/savefile.hpp"
#include "savefile_list.hpp"
#include "signals.hpp"

namespace {

using pxdump::link_type_text;

int run_savefile(const pxdump::Options& opt, const std::string& expression) {
  auto opened = pcapxx::SavefileReader::open(opt.read_file);
  if (!opened) {
    fmt::print(stderr, "pxdump: {}\n", opened.error().what());
    return 1;
  }
  pcapxx::SavefileReader& reader = **opened;
  // A savefile is filtered in userspace with the program tcpdump would use for it
  // (FilterTarget::savefile), on its first interface's link type and snapshot length.
  std::optional<pcapxx::Filter> filter;
  if (!expression.empty() || opt.dump_program > 0) {
    std::uint32_t snaplen = reader.snaplen() == 0 ? 262144 : reader.snaplen();
    auto compiled = pxdump::compile_expression(expression, reader.link_type(), snaplen, 0, opt.optimize,
                                               pcapxx::FilterTarget::savefile, reader.info().swapped);
    if (!compiled) {
      fmt::print(stderr, "pxdump: {}\n", compiled.error().what());
      return 1;
    }
    if (opt.dump_program > 0) {
      pxdump::print_program(compiled->program(), opt.dump_program);
      return 0;
    }
    filter = std::move(*compiled);
  }
  fmt::print(stderr, "reading from file {}, link-type {}, snapshot length {}\n", opt.read_file,
             link_type_text(reader.link_type()), reader.snaplen());
  auto result = pxdump::run_packet_loop(opt, reader, filter ? &*filter : nullptr, false);
  return result.status;
}

// Several -r, or -V: the files as one stream (savefile_list.hpp).
int run_savefile_list(const pxdump::Options& opt, const std::string& expression) {
  auto names = pxdump::savefile_names(opt);
  if (!names) {
    fmt::print(stderr, "pxdump: {}\n", names.error().what());
    return 1;
  }
  auto list = pxdump::SavefileList::open(opt, std::move(*names), expression, !opt.drop_to_user.empty());
  if (!list) {
    fmt::print(stderr, "pxdump: {}\n", list.error().what());
    return 1;
  }
  return pxdump::run_packet_loop(opt, **list, nullptr, false).status;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = pxdump::parse_options(argc, argv);
  if (!parsed.options) return parsed.exit_status;
  const pxdump::Options& opt = *parsed.options;
  pxdump::install_signal_handlers();

  if (opt.list_devices) return pxdump::print_device_list();
  const std::string first_device = opt.devices.empty() ? std::string() : opt.devices.front();
  if (opt.list_time_stamp_types) return pxdump::print_time_stamp_types(first_device);
  if (opt.list_link_types) return pxdump::print_link_types(first_device);

  auto expression = pxdump::filter_expression(opt);
  if (!expression) {
    fmt::print(stderr, "pxdump: {}\n", expression.error().what());
    return 1;
  }
  if (!opt.read_file.empty() || !opt.read_list_file.empty()) {
    if (!opt.devices.empty()) {
      fmt::print(stderr, "pxdump: -r and -i both given: read a savefile or capture live, not both\n{}",
                 pxdump::usage_text());
      return 1;
    }
    if ((opt.read_files.size() > 1 || !opt.read_list_file.empty()) && opt.dump_program == 0)
      return run_savefile_list(opt, *expression);
    if (opt.read_file.empty()) {
      fmt::print(stderr, "pxdump: -d with -V: give the file to compile for with -r\n");
      return 1;
    }
    return run_savefile(opt, *expression);
  }
  if (opt.dump_program > 0) return pxdump::dump_program_for_device(opt, *expression);
  return pxdump::run_live(opt, *expression);
}
