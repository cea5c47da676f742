// Code generation: a syntax tree to classic BPF for one link type, with libpcap's semantics
// (which headers each primitive tests, in which order, at which offsets).
#pragma once

#include <cstdint>

#include "filter/ast.hpp"
#include "pcapxx/bpf.hpp"
#include "pcapxx/error.hpp"
#include "pcapxx/filter.hpp"
#include "pcapxx/linktype.hpp"

namespace pcapxx::filter {

struct CodegenOptions {
  LinkType link;
  std::uint32_t snaplen = 262144;
  std::uint32_t netmask = 0;
  bool optimize = true;
  FilterTarget target = FilterTarget::dead;
  bool savefile_swapped = false;
};

/// Generates the program for `expr` (nullptr: accept everything).
Result<BpfProgram> generate(const Expr* expr, const CodegenOptions& options);

}  // namespace pcapxx::filter
