// pxdump: where the filter expression comes from (the words after the options, or -F FILE) and
// how it is compiled and listed (-d, -dd, -ddd).
#pragma once

#include <string>

#include "options.hpp"
#include "pcapxx/error.hpp"
#include "pcapxx/filter.hpp"

namespace pxdump {

/// The expression: the contents of -F FILE with '#' comments blanked out, or the words after
/// the options joined with single spaces (tcpdump's copy_argv). Empty means "every packet".
pcapxx::Result<std::string> filter_expression(const Options& opt);

/// Compiles `expr` (empty: no filter). The error message is ready to print after "pxdump: ".
/// `swapped`: a savefile in the other byte order (DLT_NULL's family word).
pcapxx::Result<pcapxx::Filter> compile_expression(const std::string& expr, pcapxx::LinkType link,
                                                  std::uint32_t snaplen, std::uint32_t netmask,
                                                  bool optimize, pcapxx::FilterTarget target,
                                                  bool swapped = false);

/// The link type named by -y (as -L prints it), or an error in tcpdump's words.
pcapxx::Result<pcapxx::LinkType> link_type_by_name(const std::string& name);

/// "EN10MB (Ethernet)", or the number for a type the table does not know.
std::string link_type_text(pcapxx::LinkType type);

/// Prints the program in the style of -d (1), -dd (2) or -ddd (3) to standard output.
void print_program(const pcapxx::BpfProgram& program, int style);

}  // namespace pxdump
