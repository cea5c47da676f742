// A program run inside a network namespace as a child process (pxdump, or tcpdump as the
// oracle), for live tests that start a capture, send traffic, stop it and read what it wrote.
//
//   pcapxx::test::NetnsProcess px(link.capture_ns(), {PCAPXX_BIN_DIR "/pxdump", "-i", dev, "-w", f});
//   ASSERT_TRUE(px.wait_for_err("listening on")) << px.err();
//   ...send...
//   px.signal(SIGINT);
//   ASSERT_EQ(px.wait(), 0) << px.err();
//
// `ip netns exec` execs the program in place, so pid() is the program's own and a signal
// reaches it directly. Every wait has a limit: a hang fails the test instead of the run.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/run.hpp"
#include "live/netns.hpp"

namespace pcapxx::test {

/// A program running in a namespace; standard input is /dev/null, standard output goes to a
/// file (or a pseudo-terminal), standard error to a file. Killed on destruction if still running.
class NetnsProcess {
 public:
  enum class Output { file, pty };

  /// Starts `argv` (argv[0] looked up in PATH) inside `ns`.
  NetnsProcess(const Netns& ns, const std::vector<std::string>& argv, Output output = Output::file)
      : out_(temp_path(".out")), err_(temp_path(".err")) {
    std::vector<std::string> full = {"ip", "netns", "exec", ns.name()};
    full.insert(full.end(), argv.begin(), argv.end());
    std::vector<char*> args;
    for (auto& s : full) args.push_back(s.data());
    args.push_back(nullptr);
    pid_ = output == Output::pty ? ::forkpty(&pty_, nullptr, nullptr, nullptr) : ::fork();
    if (pid_ == 0) {
      int e = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (output == Output::file) {
        int o = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = ::open("/dev/null", O_RDONLY);
        ::dup2(in, 0);
        ::dup2(o, 1);
      }
      ::dup2(e, 2);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    if (pid_ < 0) throw std::runtime_error(fmt::format("fork for {}: {}", argv.at(0), std::strerror(errno)));
  }
  ~NetnsProcess() {
    if (pid_ > 0 && status_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (pty_ >= 0) ::close(pty_);
    std::error_code ec;
    std::filesystem::remove(out_, ec);
    std::filesystem::remove(err_, ec);
  }
  NetnsProcess(const NetnsProcess&) = delete;
  NetnsProcess& operator=(const NetnsProcess&) = delete;

  /// Waits until standard error holds `text`; false when the program ended first or `limit` passed.
  bool wait_for_err(std::string_view text, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (err().find(text) != std::string::npos) return true;
      if (exited()) return err().find(text) != std::string::npos;
      pause();
    }
    return false;
  }

  /// Waits for the exit and returns the status (128+signal when killed by one); after `limit` the
  /// program is killed and the status is 1000, "killed by the test".
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!exited() && std::chrono::steady_clock::now() < end) pause();
    if (!exited()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      status_ = 1000;
    }
    if (pty_ >= 0) read_pty(std::chrono::milliseconds(100));  // what it wrote last
    return status_;
  }

  /// Whether the program has ended (reaps it).
  bool exited() {
    if (status_ >= 0) return true;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }

  /// Sends `sig` to the program (not after it was reaped: the pid may be someone else's).
  void signal(int sig) {
    if (!exited()) ::kill(pid_, sig);
  }

  /// Appends what the pseudo-terminal has to screen(), waiting up to `wait` for the first bytes.
  void read_pty(std::chrono::milliseconds wait) {
    if (pty_ < 0) return;
    pollfd p{pty_, POLLIN, 0};
    char buf[8192];
    while (::poll(&p, 1, static_cast<int>(wait.count())) > 0) {
      const ssize_t n = ::read(pty_, buf, sizeof buf);
      if (n <= 0) break;
      screen_.append(buf, static_cast<std::size_t>(n));
      wait = std::chrono::milliseconds(0);
    }
  }

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::string out() const { return slurp(out_); }
  [[nodiscard]] std::string err() const { return slurp(err_); }
  /// Everything read from the pseudo-terminal so far (Output::pty).
  [[nodiscard]] const std::string& screen() const { return screen_; }

 private:
  static std::string temp_path(std::string_view ext) {
    return (std::filesystem::temp_directory_path() / (unique_name("pxnsrun") + std::string(ext))).string();
  }
  // Between polls: drain the terminal (a full one would block the program), else sleep.
  void pause() {
    if (pty_ >= 0) read_pty(std::chrono::milliseconds(10));
    else std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  std::string out_, err_, screen_;
  pid_t pid_ = -1;
  int pty_ = -1;
  int status_ = -1;
};

/// pxdump, the one this build made, run in a namespace with `args`.
class PxdumpProcess : public NetnsProcess {
 public:
  PxdumpProcess(const Netns& ns, const std::vector<std::string>& args, Output output = Output::file)
      : NetnsProcess(ns, with_program(PCAPXX_BIN_DIR "/pxdump", args), output) {}

 private:
  static std::vector<std::string> with_program(std::string program, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {std::move(program)};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
};

/// The counts of tcpdump's (and pxdump's) closing lines on standard error: packets captured,
/// received by filter, dropped by kernel; -1 where a line is missing.
inline std::array<long, 3> closing_counts(const std::string& err) {
  std::array<long, 3> n = {-1, -1, -1};
  static const std::regex kLines[3] = {std::regex(R"((^|\n)(\d+) packets? captured\n)"),
                                       std::regex(R"((^|\n)(\d+) packets? received by filter\n)"),
                                       std::regex(R"((^|\n)(\d+) packets? dropped by kernel\n)")};
  for (std::size_t i = 0; i < 3; ++i) {
    std::smatch m;
    if (std::regex_search(err, m, kLines[i])) n[i] = std::stol(m[2]);
  }
  return n;
}

}  // namespace pcapxx::test
