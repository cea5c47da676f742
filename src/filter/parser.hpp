// The pcap-filter(7) parser: tokens to a syntax tree, with libpcap's rules for implicit
// qualifiers ("host a or b"), equal precedence of and/or (left to right) and relations.
#pragma once

#include <memory>
#include <string_view>

#include "filter/ast.hpp"
#include "pcapxx/error.hpp"

namespace pcapxx::filter {

/// Parses an expression; an empty expression gives nullptr (matches everything).
Result<std::unique_ptr<Expr>> parse(std::string_view expr);

}  // namespace pcapxx::filter
