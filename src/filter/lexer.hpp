// The pcap-filter(7) lexer: words, numbers, addresses and operators, each with its column.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/error.hpp"

namespace pcapxx::filter {

enum class Tok : std::uint8_t {
  end,
  word,     ///< a name or keyword (text)
  number,   ///< value (decimal, 0x hex, 0 octal, or a named constant such as tcp-syn)
  ipv4,     ///< 1 to 4 dotted parts: value holds the address left-aligned, parts the count
  ipv6,     ///< bytes
  mac,      ///< bytes (first 6)
  lparen, rparen, lbracket, rbracket, colon,
  plus, minus, star, slash, percent, amp, pipe, caret, shl, shr,
  bang, andand, oror,
  eq, ne, gt, ge, lt, le,
};

struct Token {
  Tok kind = Tok::end;
  std::string text;
  std::uint32_t column = 1;  ///< 1-based
  std::uint32_t value = 0;
  int parts = 0;
  bool escaped = false;      ///< a word written with a leading backslash (\ip)
  std::array<std::uint8_t, 16> bytes{};
};

/// Splits an expression into tokens; the error names the column of the bad character.
Result<std::vector<Token>> tokenize(std::string_view expr);

/// An error at a column of the filter: "filter column 9: unknown protocol 'tcpp'".
std::unexpected<Error> fail_column(Errc code, std::uint32_t column, std::string_view message);

}  // namespace pcapxx::filter
