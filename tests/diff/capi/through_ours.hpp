// Test support: the environment that runs a program on pcapxx's libpcap.so.0.8 (ours) or on
// Debian's libpcap (the oracle). In a sanitizer build our library is ASan-instrumented, so a
// program that is not (Debian's tcpdump, a probe built with cc) gets the ASan runtime
// preloaded, and leak checking off: the leaks would be the foreign program's.
#pragma once

#include <future>
#include <string>
#include <utility>
#include <vector>

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

}  // namespace pcapxx::test
