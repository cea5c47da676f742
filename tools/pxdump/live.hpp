// pxdump: live capture on one or several devices (-i, repeatable), with the kernel filter
// compiled from the expression, tcpdump's startup line and closing counts, and an account of
// where packets were lost when any were.
#pragma once

#include <string>

#include "options.hpp"

namespace pxdump {

/// Captures until -c packets, SIGINT/SIGTERM or an error; returns the exit status.
int run_live(const Options& opt, const std::string& expression);

/// -d/-dd/-ddd without -r: compiles for -y TYPE (no device needed) or for the device's link
/// type, prints the program; returns the exit status.
int dump_program_for_device(const Options& opt, const std::string& expression);

}  // namespace pxdump
