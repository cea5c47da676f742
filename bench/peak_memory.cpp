// pxpeak: runs a command and reports its peak anonymous memory (heap, stacks, anonymous
// mappings: what the program itself allocated), which the peak RSS of /usr/bin/time does not
// separate from mapped files and shared libraries.
//
// The kernel keeps a high-water mark only for the total RSS (VmHWM), so RssAnon is sampled from
// /proc/PID/status every 100 µs, and once more when the command exits: the command runs under
// ptrace with PTRACE_O_TRACEEXIT only, which stops it at exit with its memory still mapped and
// costs nothing while it runs. Allocations freed within one sampling interval can be missed.
//
//   pxpeak [-o FILE] -- COMMAND [ARGS...]
// prints "peak_anon_kib vm_hwm_kib rss_file_at_exit_kib exit_status" to FILE (default stderr);
// the command's stdin, stdout and stderr are its own.
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace {

struct StatusSample {
  long rss_anon_kib = -1;
  long rss_file_kib = -1;
  long vm_hwm_kib = -1;
};

long field_kib(std::string_view text, std::string_view key) {
  auto at = text.find(key);
  if (at == std::string_view::npos) return -1;
  at += key.size();
  while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
  long v = -1;
  std::from_chars(text.data() + at, text.data() + text.size(), v);
  return v;
}

StatusSample read_status(int fd) {
  char buf[4096];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  StatusSample s;
  if (n <= 0) return s;
  std::string_view text(buf, static_cast<std::size_t>(n));
  s.rss_anon_kib = field_kib(text, "RssAnon:");
  s.rss_file_kib = field_kib(text, "RssFile:");
  s.vm_hwm_kib = field_kib(text, "VmHWM:");
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "-o" && i + 1 < argc) {
      out_path = argv[++i];
    } else if (a == "--help" || a == "-h") {
      fmt::print("usage: pxpeak [-o FILE] -- COMMAND [ARGS...]\n"
                 "Runs COMMAND; writes 'peak_anon_kib vm_hwm_kib rss_file_at_exit_kib "
                 "exit_status' to FILE or stderr.\n");
      return 0;
    } else {
      fmt::print(stderr, "pxpeak: unknown argument '{}' (try --help)\n", a);
      return 2;
    }
  }
  if (i >= argc) {
    fmt::print(stderr, "pxpeak: no command given (try --help)\n");
    return 2;
  }

  pid_t pid = ::fork();
  if (pid < 0) {
    fmt::print(stderr, "pxpeak: fork: {}\n", std::strerror(errno));
    return 2;
  }
  if (pid == 0) {
    ::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
    ::execvp(argv[i], argv + i);  // stops with SIGTRAP after a successful exec
    std::fprintf(stderr, "pxpeak: %s: %s\n", argv[i], std::strerror(errno));
    ::_exit(127);
  }

  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
    fmt::print(stderr, "pxpeak: {}: did not start\n", argv[i]);
    return 2;
  }
  // Exit stops for the last sample; exec events so a later exec is not a bare SIGTRAP; the
  // command dies with us if we die.
  ::ptrace(PTRACE_SETOPTIONS, pid, nullptr,
           reinterpret_cast<void*>(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL));
  int status_fd = ::open(fmt::format("/proc/{}/status", pid).c_str(), O_RDONLY | O_CLOEXEC);
  ::ptrace(PTRACE_CONT, pid, nullptr, nullptr);

  long peak_anon = 0;
  StatusSample at_exit;
  const timespec interval{0, 100'000};
  for (;;) {
    pid_t got = ::waitpid(pid, &status, WNOHANG);
    if (got == 0) {
      StatusSample s = read_status(status_fd);
      if (s.rss_anon_kib > peak_anon) peak_anon = s.rss_anon_kib;
      ::nanosleep(&interval, nullptr);
      continue;
    }
    if (got < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) break;
    if (WIFSTOPPED(status)) {
      int sig = WSTOPSIG(status);
      int event = status >> 16;
      if (sig == SIGTRAP && event == PTRACE_EVENT_EXIT) {
        at_exit = read_status(status_fd);
        if (at_exit.rss_anon_kib > peak_anon) peak_anon = at_exit.rss_anon_kib;
        sig = 0;
      } else if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
        sig = 0;
      }
      // Hand every other signal on to the command, as if nobody were watching.
      ::ptrace(PTRACE_CONT, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(sig)));
    }
  }
  if (status_fd >= 0) ::close(status_fd);
  int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  std::string line = fmt::format("{} {} {} {}\n", peak_anon, at_exit.vm_hwm_kib, at_exit.rss_file_kib,
                                 exit_status);
  if (out_path.empty()) {
    fmt::print(stderr, "{}", line);
  } else if (std::FILE* f = std::fopen(out_path.c_str(), "w")) {
    std::fputs(line.c_str(), f);
    std::fclose(f);
  } else {
    fmt::print(stderr, "pxpeak: {}: {}\n", out_path, std::strerror(errno));
    return 2;
  }
  return exit_status;
}
