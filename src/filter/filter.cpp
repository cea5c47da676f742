// compile_filter and Filter: the parser, the code generator and the validator put together.
#include "pcapxx/filter.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "filter/codegen.hpp"
#include "filter/parser.hpp"

namespace pcapxx {

Result<BpfProgram> compile_filter(std::string_view expr, LinkType link, std::uint32_t snaplen,
                                  std::uint32_t netmask, bool optimize) {
  FilterOptions options;
  options.snaplen = snaplen;
  options.netmask = netmask;
  options.optimize = optimize;
  return compile_filter(expr, link, options);
}

Result<BpfProgram> compile_filter(std::string_view expr, LinkType link, const FilterOptions& options) {
  auto tree = filter::parse(expr);
  if (!tree) return std::unexpected(tree.error());
  auto program = filter::generate(
      tree->get(), filter::CodegenOptions{link, options.snaplen, options.netmask, options.optimize, options.target,
                                    options.savefile_swapped});
  if (!program) return program;
  // The generator only emits kernel-valid programs, except that protochain loops backward as
  // libpcap's does and a user's constant offset may land on an ancillary offset the kernel does
  // not know (libpcap compiles `ether[0xfffffff0:4]` to `ld [-16]`); a failure here is a bug.
  if (auto valid = validate_program(*program, required_rules(*program)); !valid)
    return fail(Errc::unsupported, fmt::format("filter: internal error, generated program invalid: {}", valid.error().what()));
  return program;
}

Result<Filter> Filter::compile(std::string_view expr, LinkType link, const FilterOptions& options) {
  auto program = compile_filter(expr, link, options);
  if (!program) return std::unexpected(program.error());
  // protochain loops backward (userland rules); everything else passes the kernel's.
  auto runner = BpfRunner::create(std::move(*program), BpfRules::libpcap, options.engine);
  if (!runner) return std::unexpected(runner.error());
  return Filter(std::move(*runner), std::string(expr));
}

Result<Filter> Filter::from_program(BpfProgram program, BpfRules rules, BpfEngineChoice engine) {
  auto runner = BpfRunner::create(std::move(program), rules, engine);
  if (!runner) return std::unexpected(runner.error());
  return Filter(std::move(*runner), std::string());
}

}  // namespace pcapxx
