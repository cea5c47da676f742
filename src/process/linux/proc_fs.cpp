#include "process/linux/proc_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace pcapxx::detail::process {
namespace {

/// A directory read with getdents64 into a fixed buffer; calls f(name) per entry.
template <class F>
int for_each_entry(int dirfd, F&& f) {
  alignas(8) char buf[16384];
  for (;;) {
    long n = ::syscall(SYS_getdents64, dirfd, buf, sizeof buf);
    if (n < 0) return errno;
    if (n == 0) return 0;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<dirent64*>(buf + off);
      f(static_cast<const char*>(d->d_name));
      off += d->d_reclen;
    }
  }
}

bool parse_int(const char* s, std::int32_t& v) {
  std::size_t len = std::strlen(s);
  auto [p, ec] = std::from_chars(s, s + len, v);
  return ec == std::errc{} && p == s + len && len > 0;
}

/// Reads a small file whole; -1 when it cannot be opened.
ssize_t read_file(const char* path, char* buf, std::size_t cap) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::size_t got = 0;
  while (got < cap) {
    ssize_t n = ::read(fd, buf + got, cap - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return static_cast<ssize_t>(got);
}

}  // namespace

bool list_pids(std::vector<std::int32_t>& out) {
  int fd = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  int err = for_each_entry(fd, [&](const char* name) {
    std::int32_t pid;
    if (parse_int(name, pid)) out.push_back(pid);
  });
  ::close(fd);
  return err == 0;
}

int socket_inodes(std::int32_t pid, std::vector<std::uint64_t>& out) {
  char path[64];
  *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/fd", pid).out = '\0';
  int fd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int err = for_each_entry(fd, [&](const char* name) {
    if (name[0] < '0' || name[0] > '9') return;
    char target[64];
    ssize_t n = ::readlinkat(fd, name, target, sizeof target - 1);
    // "socket:[12345]" (proc(5), /proc/pid/fd)
    constexpr std::string_view kPrefix = "socket:[";
    if (n <= static_cast<ssize_t>(kPrefix.size()) + 1) return;
    std::string_view t(target, static_cast<std::size_t>(n));
    if (!t.starts_with(kPrefix) || t.back() != ']') return;
    std::uint64_t ino = 0;
    auto digits = t.substr(kPrefix.size(), t.size() - kPrefix.size() - 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ino);
    if (ec == std::errc{} && p == digits.data() + digits.size()) out.push_back(ino);
  });
  ::close(fd);
  return err;
}

bool read_process(std::int32_t pid, ProcessInfo& out) {
  char path[64];
  char buf[4096];
  out.pid = pid;
  *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/comm", pid).out = '\0';
  ssize_t n = read_file(path, buf, sizeof buf);
  if (n < 0) return false;
  std::string_view comm(buf, static_cast<std::size_t>(n));
  if (comm.ends_with('\n')) comm.remove_suffix(1);
  out.comm.assign(comm);

  *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/cmdline", pid).out = '\0';
  n = read_file(path, buf, sizeof buf);
  out.cmdline.clear();
  if (n > 0) {
    std::string_view cmd(buf, static_cast<std::size_t>(n));
    while (cmd.ends_with('\0')) cmd.remove_suffix(1);
    out.cmdline.assign(cmd);
    for (char& c : out.cmdline)
      if (c == '\0') c = ' ';
  }

  *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/status", pid).out = '\0';
  n = read_file(path, buf, sizeof buf);
  if (n > 0) {
    std::string_view st(buf, static_cast<std::size_t>(n));
    auto at = st.find("\nUid:\t");
    if (at != std::string_view::npos) {
      auto v = st.substr(at + 6);
      std::from_chars(v.data(), v.data() + v.size(), out.uid);
    }
  }

  *fmt::format_to_n(path, sizeof path - 1, "/proc/{}/ns/net", pid).out = '\0';
  struct stat sb{};
  out.netns = ::stat(path, &sb) == 0 ? sb.st_ino : 0;
  return true;
}

}  // namespace pcapxx::detail::process
