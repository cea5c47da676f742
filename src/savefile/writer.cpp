// SavefileWriter::open: opens (or, to append, inspects) the file and hands a buffered output
// to the pcap or pcapng writer.
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "savefile/writers.hpp"

namespace pcapxx {

using detail::ByteOutput;
using detail::ExistingFile;

Result<void> SavefileWriter::write_batch(Batch batch) {
  for (const PacketView& p : batch)
    if (auto ok = write(p); !ok) return ok;
  return {};
}

namespace {

// Reads the start of a file opened to append. Only a non-empty regular file has something to
// append to; a FIFO or a device is written as a new file.
Result<std::optional<ExistingFile>> inspect_existing(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fail_errno(errno, fmt::format("{}: fstat", name));
  if (!S_ISREG(st.st_mode) || st.st_size == 0) return std::optional<ExistingFile>{};
  ExistingFile ex;
  ex.size = static_cast<std::uint64_t>(st.st_size);
  while (ex.head_len < ex.head.size()) {
    ssize_t got = ::pread(fd, ex.head.data() + ex.head_len, ex.head.size() - ex.head_len,
                          static_cast<off_t>(ex.head_len));
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, fmt::format("{}: reading the existing file header to append", name));
    }
    if (got == 0) break;
    ex.head_len += static_cast<std::size_t>(got);
  }
  return std::optional<ExistingFile>{ex};
}

// `stream`, when given, is the stdio stream over fd that the writer writes through.
Result<std::unique_ptr<SavefileWriter>> start(int fd, std::string name, bool owned,
                                              std::span<const InterfaceDescription> interfaces,
                                              const WriterOptions& options, bool append,
                                              std::FILE* stream = nullptr) {
  // Until the ByteOutput owns it, an owned descriptor must be closed on every error path.
  auto close_owned = [&] {
    if (owned) ::close(fd);
  };
  if (options.buffer_size == 0) {
    close_owned();
    return fail(Errc::invalid_argument, fmt::format("{}: writer buffer size must not be 0", name));
  }
  std::optional<ExistingFile> existing;
  std::uint64_t start_offset = 0;
  if (append) {
    auto ex = inspect_existing(fd, name);
    if (!ex) {
      close_owned();
      return std::unexpected(ex.error());
    }
    existing = *ex;
    // Without O_APPEND (a descriptor handed to open_fd) we still must start at the end.
    int flags = ::fcntl(fd, F_GETFL);
    if (stream != nullptr) {
      if (existing && ::fseeko(stream, 0, SEEK_END) != 0)
        return fail_errno(errno, fmt::format("{}: seeking to the end to append", name));
    } else if (existing && flags >= 0 && !(flags & O_APPEND)) {
      ::lseek(fd, 0, SEEK_END);
    }
    if (existing) start_offset = existing->size;
  } else if (stream != nullptr) {
    off_t at = ::ftello(stream);
    if (at > 0) start_offset = static_cast<std::uint64_t>(at);
  } else {
    // As ftell would: count from where the descriptor stands (0 for a pipe).
    off_t at = ::lseek(fd, 0, SEEK_CUR);
    if (at > 0) start_offset = static_cast<std::uint64_t>(at);
  }
  auto out = stream != nullptr
                 ? std::make_unique<ByteOutput>(stream, std::move(name), start_offset)
                 : std::make_unique<ByteOutput>(fd, owned, std::move(name), options.buffer_size,
                                                start_offset);
  if (options.format == SavefileFormat::pcapng)
    return detail::make_pcapng_writer(std::move(out), interfaces, options, existing);
  return detail::make_pcap_writer(std::move(out), interfaces, options, existing);
}

}  // namespace

Result<std::unique_ptr<SavefileWriter>> SavefileWriter::open(
    std::string_view path, std::span<const InterfaceDescription> interfaces,
    const WriterOptions& options) {
  // As pcap_dump_open_append does, "-" means a new stream on standard output even to append.
  if (path == "-") return start(STDOUT_FILENO, "standard output", false, interfaces, options, false);
  std::string p(path);
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
  if (options.append) flags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC;
  int fd = ::open(p.c_str(), flags, 0666);
  if (fd < 0)
    return fail_errno(errno, fmt::format("{}: cannot open for {}", p,
                                         options.append ? "appending" : "writing"));
  return start(fd, std::move(p), true, interfaces, options, options.append);
}

Result<std::unique_ptr<SavefileWriter>> SavefileWriter::open_fd(
    int fd, std::string name, bool owned, std::span<const InterfaceDescription> interfaces,
    const WriterOptions& options) {
  if (fd < 0)
    return fail(Errc::invalid_argument, fmt::format("{}: invalid file descriptor {}", name, fd));
  return start(fd, std::move(name), owned, interfaces, options, options.append);
}

Result<std::unique_ptr<SavefileWriter>> SavefileWriter::open_stream(
    std::FILE* stream, std::string name, std::span<const InterfaceDescription> interfaces,
    const WriterOptions& options) {
  if (stream == nullptr)
    return fail(Errc::invalid_argument, fmt::format("{}: no stream to write to", name));
  int fd = ::fileno(stream);
  if (fd < 0)
    return fail(Errc::invalid_argument, fmt::format("{}: the stream has no file descriptor", name));
  return start(fd, std::move(name), false, interfaces, options, options.append, stream);
}

namespace detail {

std::string describe_link_type(LinkType type) {
  std::uint16_t in_file = link_type_to_file(type);
  if (const LinkTypeInfo* info = find_link_type(type)) return fmt::format("{} ({})", info->name, in_file);
  return fmt::format("{}", in_file);
}

}  // namespace detail
}  // namespace pcapxx
