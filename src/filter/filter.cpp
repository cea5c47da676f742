// compile_filter and Filter: the parser, the code generator and the validator put together.
#include "pcapxx/filter.hpp"

#include <fmt/format.h>

#include "filter/codegen.hpp"
#include "filter/parser.hpp"

namespace pcapxx {

Result<BpfProgram> compile_filter(std::string_view expr, LinkType link, std::uint32_t snaplen,
                                  std::uint32_t netmask, bool optimize) {
  auto tree = filter::parse(expr);
  if (!tree) return std::unexpected(tree.error());
  auto program = filter::generate(tree->get(), filter::CodegenOptions{link, snaplen, netmask, optimize});
  if (!program) return program;
  // The generator only emits kernel-valid programs; a failure here is a bug worth reporting.
  if (auto valid = validate_program(*program); !valid)
    return fail(Errc::unsupported, fmt::format("filter: internal error, generated program invalid: {}", valid.error().what()));
  return program;
}

Result<Filter> Filter::compile(std::string_view expr, LinkType link, const FilterOptions& options) {
  auto program = compile_filter(expr, link, options.snaplen, options.netmask, options.optimize);
  if (!program) return std::unexpected(program.error());
  return Filter(std::move(*program), std::string(expr));
}

Result<Filter> Filter::from_program(BpfProgram program, BpfRules rules) {
  if (auto valid = validate_program(program, rules); !valid) return std::unexpected(valid.error());
  return Filter(std::move(program), std::string());
}

}  // namespace pcapxx
