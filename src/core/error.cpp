#include <cstring>

#include <fmt/format.h>

#include "pcapxx/error.hpp"

namespace pcapxx {

std::unexpected<Error> fail_errno(int err, std::string_view what) {
  Errc code = Errc::io;
  if (err == ENOENT || err == ENODEV || err == ENXIO) code = Errc::not_found;
  if (err == EPERM || err == EACCES) code = Errc::permission;
  return std::unexpected(
      Error{code, fmt::format("{}: {}", what, std::strerror(err)), std::nullopt, std::nullopt, err});
}

}  // namespace pcapxx
