// pcapxx: one error type for everything that can fail on input or the system.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace pcapxx {

/// What kind of failure an Error describes; the message says the details.
enum class Errc : std::uint8_t {
  io,                ///< a system call failed (see sys_errno)
  format,            ///< input is not in the expected format (bad magic, bad field)
  truncated,         ///< input ended in the middle of a record
  unsupported,       ///< valid input we do not handle (version, feature)
  invalid_argument,  ///< the caller passed something that cannot work
  not_found,         ///< a named thing (file, device, interface) does not exist
  permission,        ///< the system refused for lack of privilege
  mismatch,          ///< two things that must agree do not (append: link type, snaplen)
};

/// A failure: a code, a complete human message naming the thing and the place, and where it
/// applies the byte offset in a file, the column in a filter, or the errno of a system call.
struct Error {
  Errc code = Errc::io;
  std::string message;
  std::optional<std::uint64_t> offset;  ///< byte offset in a savefile
  std::optional<std::uint32_t> column;  ///< 1-based column in a filter expression
  int sys_errno = 0;                    ///< errno of the failed system call, or 0

  /// The message, for printing.
  [[nodiscard]] const std::string& what() const noexcept { return message; }
};

template <class T>
using Result = std::expected<T, Error>;

/// Builds an Error with a code and message.
inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected(Error{code, std::move(message), std::nullopt, std::nullopt, 0});
}

/// Builds an Error for a savefile problem at a byte offset.
inline std::unexpected<Error> fail_at(Errc code, std::uint64_t offset, std::string message) {
  return std::unexpected(Error{code, std::move(message), offset, std::nullopt, 0});
}

/// Builds an Error for a failed system call; the message should name the call and the object.
std::unexpected<Error> fail_errno(int err, std::string_view what);

}  // namespace pcapxx
