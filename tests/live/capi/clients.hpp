// Test support for the live C ABI tests: programs run inside a network namespace on our
// libpcap.so.0.8 or on Debian's, in the foreground or in the background (a capture that waits
// for frames the test then sends).
#pragma once

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "common/run.hpp"
#include "diff/capi/through_ours.hpp"
#include "live/capture/frames.hpp"
#include "live/netns.hpp"

namespace pcapxx::test {

/// Which library a program runs on.
inline const char* side(bool ours) { return ours ? "pcapxx" : "libpcap"; }

/// A scratch directory for one test process, removed at exit of the object.
class ScratchDir {
 public:
  ScratchDir() : path_(fmt::format("/tmp/pcapxx-live-capi-{}-{}", ::getpid(), counter()++)) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] std::string file(std::string_view name) const { return fmt::format("{}/{}", path_, name); }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::string path_;
};

/// A program's result for a failure message: exit status, standard error, the start of standard output.
inline std::string show(const RunResult& r) {
  return fmt::format("exit {}\n--- stderr\n{}--- stdout\n{}", r.status, r.err, r.out.substr(0, 4000));
}

/// Runs a shell command inside a namespace with our library or Debian's; collects the result.
inline RunResult run_in(const Netns& ns, bool ours, const std::string& command) {
  return run({"sh", "-c", ns.exec_command(lib_env_text(ours) + command)});
}

/// A program started in the background inside a namespace; its standard output and error go
/// to files. The destructor kills it if it is still running (a failed test must not leave
/// it behind).
class Background {
 public:
  Background(const Netns& ns, bool ours, const std::string& command, const ScratchDir& dir,
             std::string_view tag)
      : out_(dir.file(fmt::format("{}.out", tag))), err_(dir.file(fmt::format("{}.err", tag))) {
    std::string line = fmt::format("exec {} >{} 2>{}", ns.exec_command(lib_env_text(ours) + command), out_, err_);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0 && !done_) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  /// Waits until standard error (or output) contains `text`, at most `limit`; false otherwise.
  bool wait_for(std::string_view text, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (slurp(err_).find(text) != std::string::npos || slurp(out_).find(text) != std::string::npos)
        return true;
      if (finished()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  /// Waits for the program to end, at most `limit` (then kills it); its result.
  RunResult finish(std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!finished() && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!done_) {
      ::kill(-pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      done_ = true;
      status_ = 128 + SIGKILL;
    }
    return RunResult{status_, slurp(out_), slurp(err_)};
  }

  /// Whether the program has ended.
  bool done() { return finished(); }

  /// Sends a signal to the program's process group (SIGINT ends a capture cleanly).
  void signal(int sig) const { ::kill(-pid_, sig); }

 private:
  bool finished() {
    if (done_) return true;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      done_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    return done_;
  }
  std::string out_;
  std::string err_;
  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = -1;
};

/// Sends 300-byte test frames (kTestEthertype) from the peer side every 50 ms until both
/// programs have ended, at most `limit` frames. For programs such as dumpcap that say they
/// capture before their capture is open: the two may start at different frames.
inline void send_until_both_done(const VethPair& link, Background& a, Background& b, std::uint32_t limit = 200) {
  FrameSender tx(link.peer_ns(), link.peer_if());
  for (std::uint32_t i = 0; i < limit && !(a.done() && b.done()); ++i) {
    tx.send(make_frame(VethPair::capture_mac(), VethPair::peer_mac(), kTestEthertype, 300, i));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// dumpcap run on both libraries at once and what tshark reads from the files they wrote.
struct DumpcapOnBoth {
  std::string ours_file;
  std::string theirs_file;
  RunResult ours;           // dumpcap on our library
  RunResult theirs;         // dumpcap on Debian's
  RunResult ours_fields;    // tshark -T fields on ours_file
  RunResult theirs_fields;  // the same on theirs_file
};

/// Runs `dumpcap <args> -w FILE` on both libraries in the capture namespace while test frames
/// go out from the peer until both have ended (send_until_both_done), then reads both files with
/// `tshark -T fields` and the fields given. Checks what must hold for any comparison: both
/// started and ended well, tshark read ours as it read theirs (no warning beyond running as
/// root), and theirs holds `want` packets.
inline DumpcapOnBoth dumpcap_on_both(const VethPair& link, const ScratchDir& dir, const std::string& args,
                                     const std::vector<std::string>& fields, std::size_t want) {
  DumpcapOnBoth r{dir.file("ours.pcapng"), dir.file("theirs.pcapng"), {}, {}, {}, {}};
  Background ours(link.capture_ns(), true, fmt::format("dumpcap {} -w {}", args, r.ours_file), dir, "ours");
  Background theirs(link.capture_ns(), false, fmt::format("dumpcap {} -w {}", args, r.theirs_file), dir, "theirs");
  const bool started = ours.wait_for("Capturing on") && theirs.wait_for("Capturing on");
  if (started) send_until_both_done(link, ours, theirs);
  r.ours = ours.finish();
  r.theirs = theirs.finish();
  EXPECT_TRUE(started) << show(r.ours) << show(r.theirs);
  EXPECT_EQ(r.theirs.status, 0) << show(r.theirs);
  EXPECT_EQ(r.ours.status, 0) << show(r.ours);
  auto read = [&](const std::string& file) {
    std::vector<std::string> argv = {"tshark", "-r", file, "-T", "fields"};
    for (const auto& f : fields) argv.insert(argv.end(), {"-e", f});
    return run(argv);
  };
  r.ours_fields = read(r.ours_file);
  r.theirs_fields = read(r.theirs_file);
  EXPECT_EQ(r.ours_fields.status, 0) << r.ours_fields.err;
  EXPECT_EQ(r.ours_fields.err, r.theirs_fields.err);  // tshark only warns that it runs as root
  EXPECT_EQ(lines(r.theirs_fields.out).size(), want) << r.theirs_fields.out;
  return r;
}

/// How many packets a `tcpdump -x` listing shows (the lines that are not hex dump lines).
inline std::size_t packets_in(const std::string& listing) {
  std::size_t n = 0;
  for (const auto& l : lines(listing)) n += !l.starts_with("\t");
  return n;
}

/// What Debian's tcpdump (on Debian's libpcap) reads from a capture file, without time stamps.
inline RunResult read_back(const std::string& file) {
  return run_on(false, {"tcpdump", "-r", file, "-nn", "-t", "-e", "-x"});
}

}  // namespace pcapxx::test
