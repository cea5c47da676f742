#include "expression.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "pcapxx/bpf.hpp"
#include "pcapxx/linktype.hpp"

namespace pxdump {

pcapxx::Result<std::string> filter_expression(const Options& opt) {
  if (opt.filter_file.empty()) {
    std::string expr;
    for (const auto& word : opt.expression) {
      if (!expr.empty()) expr += ' ';
      expr += word;
    }
    return expr;
  }
  std::ifstream in(opt.filter_file, std::ios::binary);
  if (!in) {
    int err = errno;
    return pcapxx::fail(pcapxx::Errc::not_found,
                        fmt::format("can't open {}: {}", opt.filter_file, std::strerror(err)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  // tcpdump blanks from each '#' to the end of its line, so the columns of errors still count
  // from the start of the file's text.
  bool comment = false;
  for (char& ch : text) {
    if (ch == '#') comment = true;
    if (ch == '\n') comment = false;
    else if (comment) ch = ' ';
  }
  return text;
}

pcapxx::Result<pcapxx::Filter> compile_expression(const std::string& expr, pcapxx::LinkType link,
                                                  std::uint32_t snaplen, std::uint32_t netmask,
                                                  bool optimize, pcapxx::FilterTarget target, bool swapped) {
  pcapxx::FilterOptions fo;
  fo.savefile_swapped = swapped;
  fo.snaplen = snaplen;
  fo.netmask = netmask;
  fo.optimize = optimize;
  fo.target = target;
  auto filter = pcapxx::Filter::compile(expr, link, fo);
  if (!filter) {
    pcapxx::Error e = filter.error();
    if (e.message.find(" column ") == std::string::npos && e.column)
      e.message = fmt::format("filter column {}: {}", *e.column, e.message);
    if (e.code == pcapxx::Errc::unsupported)
      e.message += fmt::format(" (pcapxx's filter compiler does not support this yet, for link-type {})",
                               link_type_text(link));
    return std::unexpected(std::move(e));
  }
  return filter;
}

pcapxx::Result<pcapxx::LinkType> link_type_by_name(const std::string& name) {
  const auto* row = pcapxx::find_link_type(name);
  if (row == nullptr) return pcapxx::fail(pcapxx::Errc::not_found, fmt::format("invalid data link type {}", name));
  return pcapxx::LinkType{row->dlt};
}

std::string link_type_text(pcapxx::LinkType type) {
  if (const auto* row = pcapxx::find_link_type(type)) return fmt::format("{} ({})", row->name, row->description);
  return fmt::format("{}", type.dlt);
}

void print_program(const pcapxx::BpfProgram& program, int style) {
  auto listing = style <= 1 ? pcapxx::BpfListing::image
                 : style == 2 ? pcapxx::BpfListing::c_array
                              : pcapxx::BpfListing::decimal;
  std::string text = pcapxx::format_program(program, listing);
  std::fwrite(text.data(), 1, text.size(), stdout);
}

}  // namespace pxdump
