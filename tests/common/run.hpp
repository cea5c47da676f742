// Test support: run an oracle (tshark, tcpdump, capinfos, pxdump) as a separate process and
// collect its exit status, standard output and standard error.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace pcapxx::test {

struct RunResult {
  int status = -1;  ///< exit status, or 128+signal
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// Runs argv[0] (looked up in PATH) with stdin from `stdin_path` (or /dev/null).
inline RunResult run(const std::vector<std::string>& argv, const std::string& stdin_path = "/dev/null") {
  char out_tmpl[] = "/tmp/pcapxx-run-out-XXXXXX";
  char err_tmpl[] = "/tmp/pcapxx-run-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int err_fd = mkstemp(err_tmpl);
  RunResult r;
  pid_t pid = fork();
  if (pid == 0) {
    int in_fd = open(stdin_path.c_str(), O_RDONLY);
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  close(out_fd);
  close(err_fd);
  r.out = slurp(out_tmpl);
  r.err = slurp(err_tmpl);
  std::filesystem::remove(out_tmpl);
  std::filesystem::remove(err_tmpl);
  return r;
}

/// Splits text into lines (no trailing empty line).
inline std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) v.push_back(line);
  return v;
}

/// Splits text at every separator (empty fields kept).
inline std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> v;
  std::size_t start = 0;
  while (true) {
    auto at = text.find(sep, start);
    v.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return v;
    start = at + 1;
  }
}

/// Every capture file under the shared captures, sorted, as paths.
inline std::vector<std::filesystem::path> shared_capture_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(PCAPXX_SHARED_CAPTURES)) {
    auto ext = e.path().extension();
    if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng" || ext == ".cap")) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// The path relative to the shared captures folder ("ppp/Dns.pcap").
inline std::string capture_name(const std::filesystem::path& p) {
  return std::filesystem::relative(p, PCAPXX_SHARED_CAPTURES).string();
}

}  // namespace pcapxx::test
