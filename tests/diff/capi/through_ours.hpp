// Test support: the environment that runs a program on pcapxx's libpcap.so.0.8 (ours) or on
// Debian's libpcap (the oracle). In a sanitizer build our library is ASan-instrumented, so a
// program that is not (Debian's tcpdump, a probe built with cc) gets the ASan runtime
// preloaded, and leak checking off: the leaks would be the foreign program's.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <future>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/run.hpp"

namespace pcapxx::test {

inline const std::string kOurLibDir = PCAPXX_BIN_DIR "/../lib";
inline const std::string kOracleLibpcap = "/usr/lib/x86_64-linux-gnu/libpcap.so.0.8";

/// Whether our library is built with ASan (and needs its runtime preloaded).
inline constexpr bool kOurLibSanitized =
#ifdef PCAPXX_ASAN_RUNTIME
    true;
#else
    false;
#endif

/// `env ...` settings that make a program load our library (or Debian's with ours = false).
inline std::vector<std::string> lib_env(bool ours) {
  std::vector<std::string> env = {"env", ours ? "LD_LIBRARY_PATH=" + kOurLibDir : "LD_LIBRARY_PATH="};
#ifdef PCAPXX_ASAN_RUNTIME
  if (ours) {
    env.push_back("LD_PRELOAD=" PCAPXX_ASAN_RUNTIME);
    env.push_back("ASAN_OPTIONS=detect_leaks=0:abort_on_error=0");
  }
#endif
  return env;
}

/// The same as one shell-command prefix, for commands run through a shell (ip netns exec ...).
inline std::string lib_env_text(bool ours) {
  std::string s;
  for (const auto& e : lib_env(ours)) s += e + " ";
  return s;
}

/// Runs argv with our library (ours) or Debian's.
inline RunResult run_on(bool ours, const std::vector<std::string>& argv,
                        const std::string& stdin_path = "/dev/null") {
  auto full = lib_env(ours);
  full.insert(full.end(), argv.begin(), argv.end());
  return run(full, stdin_path);
}

/// Runs the same program on both libraries at once (two cores halve the wait); {ours, theirs}.
inline std::pair<RunResult, RunResult> run_both(const std::vector<std::string>& ours_argv,
                                                const std::vector<std::string>& theirs_argv) {
  auto theirs = std::async(std::launch::async, [&] { return run_on(false, theirs_argv); });
  RunResult ours = run_on(true, ours_argv);
  return {std::move(ours), theirs.get()};
}

/// A C program written against libpcap's documentation, built once against our headers and
/// libpcap.so.0.8 and once against Debian's, in a directory of its own that every user may read
/// (some tests run the programs as nobody) and that goes away with the object. Meant to be held
/// in a function-local static: built once per test process.
struct ProgramOnBoth {
  std::string dir;
  std::string ours;    // binary bound to our library
  std::string oracle;  // binary bound to Debian's libpcap
  std::string error;   // compiler output of the builds that failed; empty when both built

  /// Builds `source` as <name>_ours and <name>_oracle with C11 -Wall -Wextra -Werror and `extra_flags`.
  ProgramOnBoth(const std::string& source, std::string_view name, const std::vector<std::string>& extra_flags = {})
      : dir(fmt::format("/tmp/pcapxx-{}-{}", name, ::getpid())),
        ours(fmt::format("{}/{}_ours", dir, name)),
        oracle(fmt::format("{}/{}_oracle", dir, name)) {
    namespace fs = std::filesystem;
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    std::vector<std::string> flags = {"cc", "-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wextra", "-Werror"};
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    auto with_ours = flags;
    with_ours.insert(with_ours.end(), {"-o", ours, "-I" PCAPXX_SOURCE_DIR "/include", source, "-L" + kOurLibDir,
                                       "-lpcap", "-Wl,-rpath," + kOurLibDir});
    auto built = run(with_ours);
    if (built.status != 0) error = "against pcapxx: " + built.err;
    auto with_oracle = flags;
    with_oracle.insert(with_oracle.end(), {"-o", oracle, source, kOracleLibpcap});
    built = run(with_oracle);
    if (built.status != 0) error += "against Debian's libpcap: " + built.err;
  }
  ~ProgramOnBoth() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  ProgramOnBoth(const ProgramOnBoth&) = delete;
  ProgramOnBoth& operator=(const ProgramOnBoth&) = delete;
};

}  // namespace pcapxx::test
