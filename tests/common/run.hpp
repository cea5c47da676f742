// Test support: run an oracle (tshark, tcpdump, capinfos, pxdump) as a separate process and
// collect its exit status, standard output and standard error.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
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

namespace detail {

/// FNV-1a and libstdc++'s murmur hash side by side: 128 bits naming some bytes.
inline void mix_into(std::uint64_t (&key)[2], std::string_view bytes) {
  std::uint64_t h = key[0] ^ 1469598103934665603ull;
  for (char c : bytes) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  key[0] = h;
  key[1] = key[1] * 31 + std::hash<std::string_view>{}(bytes) + bytes.size();
}

/// Where an oracle's result for this exact run is cached, or "" when it must run.
/// CI runs every test twice (GCC, then ASan+UBSan); the oracles (tshark, tcpdump, capinfos:
/// Debian's binaries, not ours) give the same answer both times, so with PCAPXX_ORACLE_CACHE
/// set the second pass reuses the first one's output. The key holds the oracle binary's
/// identity, every argument, and the contents of every file named as an argument and of stdin;
/// runs that write a file (-w) or load another library (LD_LIBRARY_PATH, LD_PRELOAD: our
/// libpcap.so.0.8) are never cached.
inline std::string oracle_cache_path(const std::vector<std::string>& argv, const std::string& stdin_path) {
  const char* dir = std::getenv("PCAPXX_ORACLE_CACHE");
  if (dir == nullptr || *dir == 0 || argv.empty()) return {};
  if (std::getenv("LD_LIBRARY_PATH") != nullptr || std::getenv("LD_PRELOAD") != nullptr) return {};
  std::string tool = std::filesystem::path(argv[0]).filename().string();
  if (tool != "tshark" && tool != "tcpdump" && tool != "capinfos") return {};
  // Only runs that read a savefile (capinfos always does): never a live capture or a device list.
  bool reads_file = tool == "capinfos";
  for (const auto& a : argv) {
    if (a.starts_with("-w") || a.starts_with("-i") || a == "--interface") return {};
    reads_file = reads_file || a == "-r" || a.starts_with("-r");
  }
  if (!reads_file) return {};
  std::uint64_t key[2] = {0, 0};
  std::string binary = "/usr/bin/" + tool;
  std::error_code ec;
  auto stamp = std::filesystem::last_write_time(binary, ec);
  mix_into(key, binary + std::to_string(std::filesystem::file_size(binary, ec)) + ":" +
                    std::to_string(stamp.time_since_epoch().count()));
  auto add_file = [&](const std::string& path) {
    std::error_code fec;
    if (!std::filesystem::is_regular_file(path, fec)) return;
    mix_into(key, slurp(path));
  };
  // A file argument counts by its contents, not its (often temporary) name; read_cached and
  // write_cached swap the names in the output for placeholders.
  for (const auto& a : argv) {
    std::error_code fec;
    if (std::filesystem::is_regular_file(a, fec)) add_file(a);
    else mix_into(key, a);
    mix_into(key, "\x1f");
  }
  const char* tz = std::getenv("TZ");  // timestamps printed in local time depend on it
  mix_into(key, tz != nullptr ? tz : "(no TZ)");
  mix_into(key, stdin_path);
  add_file(stdin_path);
  char name[40];
  std::snprintf(name, sizeof name, "%016llx%016llx", static_cast<unsigned long long>(key[0]),
                static_cast<unsigned long long>(key[1]));
  return std::string(dir) + "/" + name;
}

/// Replaces every `from` in text with `to`.
inline void replace_all(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

/// File arguments in an oracle's output become "\x01<index>\x01" in the cache and back.
inline void names_to_placeholders(std::string& text, const std::vector<std::string>& argv) {
  for (std::size_t i = argv.size(); i-- > 0;)
    if (argv[i].size() > 1 && argv[i].find('/') != std::string::npos)
      replace_all(text, argv[i], "\x01" + std::to_string(i) + "\x01");
}
inline void placeholders_to_names(std::string& text, const std::vector<std::string>& argv) {
  for (std::size_t i = 0; i < argv.size(); ++i) replace_all(text, "\x01" + std::to_string(i) + "\x01", argv[i]);
}

inline bool read_cached(const std::string& path, RunResult& r) {
  std::ifstream f(path, std::ios::binary);
  std::size_t out_size = 0, err_size = 0;
  if (!(f >> r.status >> out_size >> err_size)) return false;
  f.get();
  r.out.resize(out_size);
  r.err.resize(err_size);
  f.read(r.out.data(), static_cast<std::streamsize>(out_size));
  f.read(r.err.data(), static_cast<std::streamsize>(err_size));
  return static_cast<bool>(f);
}

inline void write_cached(const std::string& path, const RunResult& r) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::string tmp = path + "." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f << r.status << ' ' << r.out.size() << ' ' << r.err.size() << '\n' << r.out << r.err;
  }
  std::filesystem::rename(tmp, path, ec);  // atomic: parallel tests never see half a file
}

}  // namespace detail

/// Runs argv[0] (looked up in PATH) with stdin from `stdin_path` (or /dev/null).
inline RunResult run(const std::vector<std::string>& argv, const std::string& stdin_path = "/dev/null") {
  std::string cached = detail::oracle_cache_path(argv, stdin_path);
  if (!cached.empty()) {
    RunResult r;
    if (detail::read_cached(cached, r)) {
      detail::placeholders_to_names(r.out, argv);
      detail::placeholders_to_names(r.err, argv);
      return r;
    }
  }
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
  if (!cached.empty()) {
    RunResult stored = r;
    detail::names_to_placeholders(stored.out, argv);
    detail::names_to_placeholders(stored.err, argv);
    detail::write_cached(cached, stored);
  }
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
