// The attribution lab: two namespaces on a veth pair with IPv4 and IPv6, peer services in the
// peer namespace (threads of the test), known processes started in the capture namespace, and a
// capture there whose packets go through a ProcessAttributor, recording per flow what it said.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "live/netns.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/layers/ethernet.hpp"
#include "pcapxx/layers/fast_parser.hpp"
#include "pcapxx/process.hpp"

namespace pcapxx::test {

// How long the peer takes to answer a request: a small backend's service time. Under the
// sanitizers everything (the capture, the attributor, the clients) runs ~3x slower, so the
// connections last proportionally longer.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr int kServiceMs = 60;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr int kServiceMs = 60;
#else
inline constexpr int kServiceMs = 20;
#endif
#else
inline constexpr int kServiceMs = 20;
#endif

inline constexpr const char* kCaptureV4 = "10.66.0.1";
inline constexpr const char* kPeerV4 = "10.66.0.2";
inline constexpr const char* kCaptureV6 = "fd66::1";
inline constexpr const char* kPeerV6 = "fd66::2";

/// Connect tracing reads the tracepoint's layout from tracefs; a VM without systemd may not
/// have mounted it. The tests run as root (CI), so they mount it where the kernel expects it.
inline void ensure_tracefs() {
  struct stat sb{};
  if (::stat("/sys/kernel/tracing/events", &sb) == 0 || ::stat("/sys/kernel/debug/tracing/events", &sb) == 0) return;
  if (::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) != 0)
    fmt::print("lab: mount tracefs on /sys/kernel/tracing: {}\n", std::strerror(errno));
}

/// What the attributor said about one flow: the best answer over its packets.
struct Seen {
  layers::FlowKey key;
  AttributionQuality quality = AttributionQuality::unknown;
  std::int32_t pid = 0;
  std::string comm;
  std::uint64_t netns = 0;
  std::uint64_t packets = 0;
};

/// The local port of a flow on the capture side (capture addresses are ours).
inline std::uint16_t capture_side_port(const layers::FlowKey& k) {
  bool src_is_capture = (k.ip_version == 4 && k.src[3] == 1) || (k.ip_version == 6 && k.src[15] == 1);
  return src_is_capture ? k.src_port : k.dst_port;
}

class Lab {
 public:
  Lab() {
    ensure_tracefs();
    for (const Netns* ns : {&link_.capture_ns(), &link_.peer_ns()})
      must(ns->exec_command("sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0"));
    must(link_.capture_ns().exec_command(fmt::format("sysctl -qw net.ipv6.conf.{}.disable_ipv6=0", link_.capture_if())));
    must(link_.peer_ns().exec_command(fmt::format("sysctl -qw net.ipv6.conf.{}.disable_ipv6=0", link_.peer_if())));
    link_.capture_ns().ip(fmt::format("addr add {}/24 dev {}", kCaptureV4, link_.capture_if()));
    link_.capture_ns().ip(fmt::format("addr add {}/64 dev {} nodad", kCaptureV6, link_.capture_if()));
    link_.peer_ns().ip(fmt::format("addr add {}/24 dev {}", kPeerV4, link_.peer_if()));
    link_.peer_ns().ip(fmt::format("addr add {}/64 dev {} nodad", kPeerV6, link_.peer_if()));
    capture_ns_fd_ = ::open(fmt::format("/run/netns/{}", link_.capture_ns().name()).c_str(), O_RDONLY | O_CLOEXEC);
    if (capture_ns_fd_ < 0) throw std::runtime_error("open capture netns");
  }
  ~Lab() {
    stop();
    if (launcher_in_ != nullptr) std::fclose(launcher_in_);
    if (launcher_out_ != nullptr) std::fclose(launcher_out_);
    if (launcher_ > 0) ::waitpid(launcher_, nullptr, 0);
    if (capture_ns_fd_ >= 0) ::close(capture_ns_fd_);
  }

  [[nodiscard]] const VethPair& link() const { return link_; }
  [[nodiscard]] std::string capture_netns_path() const { return fmt::format("/run/netns/{}", link_.capture_ns().name()); }

  /// TCP (port 7000, replies "pong" after `reply_delay_ms` and closes) and UDP (port 7001,
  /// drains) in the peer namespace.
  void start_peer_services(int reply_delay_ms = 0) {
    reply_delay_ = std::chrono::milliseconds(reply_delay_ms);
    InNetns in(link_.peer_ns());
    for (const char* addr : {kPeerV4, kPeerV6}) {
      sockaddr_storage ss{};
      socklen_t len = make_addr(addr, 7000, ss);
      int t = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      ::setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(t, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(t, 512) != 0)
        throw std::runtime_error(fmt::format("peer tcp listen {}: {}", addr, std::strerror(errno)));
      fds_.push_back({t, true});
      len = make_addr(addr, 7001, ss);
      int u = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (::bind(u, reinterpret_cast<sockaddr*>(&ss), len) != 0)
        throw std::runtime_error(fmt::format("peer udp bind {}: {}", addr, std::strerror(errno)));
      fds_.push_back({u, false});
    }
    services_ = std::thread([this] { serve(); });
  }

  /// Starts a capture in the capture namespace feeding an attributor (sockets of that namespace).
  void start_capture(AttributorOptions opt = {}) {
    opt.netns_path = capture_netns_path();
    auto a = ProcessAttributor::open(opt);
    if (!a) throw std::runtime_error(a.error().what());
    attributor_ = std::move(*a);
    for (const auto& w : attributor_->warnings()) fmt::print("attributor warning: {}\n", w);
    {
      InNetns in(link_.capture_ns());
      CaptureOptions co;
      co.buffer_size = 32 << 20;
      co.timeout_ms = 5;
      co.immediate = true;
      auto c = LiveCapture::open(link_.capture_if(), co);
      if (!c) throw std::runtime_error(c.error().what());
      capture_ = std::move(*c);
    }
    capturing_ = std::thread([this] { capture_loop(); });
  }

  /// Starts proc_peer with `args` in the capture namespace; returns its pid. A small launcher
  /// process there starts them (posix_spawn), so that a start costs little CPU.
  pid_t spawn(const std::vector<std::string>& args) {
    std::string line = "spawn";
    for (const auto& a : args) line += " " + a;
    return static_cast<pid_t>(ask(line));
  }

  /// Waits for a spawned process; its exit status.
  int wait(pid_t pid) { return static_cast<int>(ask(fmt::format("wait {}", pid))); }

  /// While held, the capture thread reads and notes packets but neither resolves nor looks them
  /// up, as a capture that fell behind; released, it catches up. Flows still pending then are
  /// looked up again after each later pass until they settle.
  void hold_resolve(bool on) {
    relook_pending_ = true;
    hold_ = on;
  }

  /// Lets the capture drain for `ms`, stops it, and returns what was seen per flow.
  std::vector<Seen> finish(int ms = 100) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    stop();
    if (capture_) loss_ = capture_->loss_account().summary();
    std::vector<Seen> out;
    for (auto& [k, s] : flows_) out.push_back(s);
    return out;
  }

  /// The capture's loss account, after finish().
  [[nodiscard]] const std::string& loss() const { return loss_; }
  [[nodiscard]] AttributorStats stats() const { return attributor_ ? attributor_->stats() : AttributorStats{}; }

  void stop() {
    stop_ = true;
    if (capturing_.joinable()) capturing_.join();
    if (services_.joinable()) services_.join();
    for (auto& f : fds_) ::close(f.fd);
    fds_.clear();
  }

  static socklen_t make_addr(const char* text, int port, sockaddr_storage& ss) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(static_cast<std::uint16_t>(port));
      return sizeof *v4;
    }
    ::inet_pton(AF_INET6, text, &v6->sin6_addr);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    return sizeof *v6;
  }

 private:
  struct Fd {
    int fd;
    bool listening;
  };

  long ask(const std::string& line) {
    if (launcher_ <= 0) start_launcher();
    std::fprintf(launcher_in_, "%s\n", line.c_str());
    std::fflush(launcher_in_);
    char buf[64];
    if (std::fgets(buf, sizeof buf, launcher_out_) == nullptr) throw std::runtime_error("launcher ended");
    long v = std::strtol(buf, nullptr, 10);
    if (v < 0) throw std::runtime_error(fmt::format("launcher: {} failed ({})", line, v));
    return v;
  }

  void start_launcher() {
    int to[2], from[2];
    if (::pipe2(to, O_CLOEXEC) != 0 || ::pipe2(from, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    std::string bin = std::string(PCAPXX_TEST_BIN_DIR) + "/proc_peer";
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(to[0], 0);
      ::dup2(from[1], 1);
      if (::setns(capture_ns_fd_, CLONE_NEWNET) != 0) ::_exit(126);
      ::execl(bin.c_str(), bin.c_str(), "launch", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid < 0) throw std::runtime_error("fork");
    ::close(to[0]);
    ::close(from[1]);
    launcher_ = pid;
    launcher_in_ = ::fdopen(to[1], "w");
    launcher_out_ = ::fdopen(from[0], "r");
  }

  void serve() {
    using Clock = std::chrono::steady_clock;
    std::vector<int> conns;                                  // waiting for a request
    std::vector<std::pair<int, Clock::time_point>> replies;  // answered at the time
    char buf[512];
    while (!stop_) {
      std::vector<pollfd> p;
      for (auto& f : fds_) p.push_back({f.fd, POLLIN, 0});
      for (int c : conns) p.push_back({c, POLLIN, 0});
      int wait_ms = 5;
      auto now = Clock::now();
      for (auto& [c, at] : replies)
        wait_ms = std::min<int>(wait_ms, static_cast<int>(std::max<long>(
                                             0, std::chrono::duration_cast<std::chrono::milliseconds>(at - now).count())));
      int n = ::poll(p.data(), p.size(), wait_ms);
      now = Clock::now();
      for (std::size_t i = 0; i < replies.size();) {
        if (replies[i].second <= now) {
          (void)!::write(replies[i].first, "pong", 4);
          ::close(replies[i].first);  // one request per connection
          replies[i] = replies.back();
          replies.pop_back();
        } else {
          ++i;
        }
      }
      if (n <= 0) continue;
      std::vector<int> keep;
      for (std::size_t i = 0; i < p.size(); ++i) {
        if (i < fds_.size()) {
          if (!(p[i].revents & POLLIN)) continue;
          if (fds_[i].listening) {
            int c = ::accept4(fds_[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) keep.push_back(c);
          } else {
            (void)::recv(fds_[i].fd, buf, sizeof buf, 0);
          }
          continue;
        }
        int c = p[i].fd;
        if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
          (void)::read(c, buf, sizeof buf);
          replies.emplace_back(c, now + reply_delay_);
        } else {
          keep.push_back(c);
        }
      }
      conns = std::move(keep);
    }
    for (int c : conns) ::close(c);
    for (auto& r : replies) ::close(r.first);
  }

  /// Records what the attributor says about a packet's flow now; a pending answer is asked again.
  void record(const layers::FlowKey& k, bool packet) {
    using layers::FlowKey;
    Attribution a = attributor_->lookup(k);
    FlowKey canon = k.src_port < k.dst_port ? k.reversed() : k;
    Seen& s = flows_[canon.to_string()];
    if (packet && s.packets++ == 0) s.key = k;
    if (a.pending && relook_pending_) relook_.push_back(k);
    if (a.process != nullptr && a.quality > s.quality) {
      s.quality = a.quality;
      s.pid = a.process->pid;
      s.comm = a.process->comm;
      s.netns = a.process->netns;
    }
  }

  void relook() {
    std::vector<layers::FlowKey> again;
    again.swap(relook_);
    for (const auto& k : again) record(k, false);
  }

  void capture_loop() {
    using namespace layers;
    // The capture runs above the churning workload, as a capture tool is run on a busy host
    // (on 2 cores, hundreds of process starts a second otherwise delay it by tens of ms).
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), -10);
    FastParser<Ethernet, Ipv4, Ipv6, Tcp, Udp> parser(LayerType::ethernet);
    DecodedLayers decoded;
    std::vector<std::optional<FlowKey>> keys;
    while (!stop_) {
      auto batch = capture_->next_batch();
      if (!batch) throw std::runtime_error(batch.error().what());
      if (batch->status != BatchStatus::packets) {
        if (hold_) continue;
        (void)attributor_->resolve();
        for (const auto& k : held_) record(k, true);
        held_.clear();
        relook();
        continue;
      }
      keys.clear();
      for (const PacketView& p : batch->packets) {
        parser.decode(p.data, decoded);
        std::optional<FlowKey> k;
        bool v4 = decoded.contains(LayerType::ipv4);
        if (decoded.contains(LayerType::tcp))
          k = v4 ? FlowKey::of(parser.get<Ipv4>(), parser.get<Tcp>()) : FlowKey::of(parser.get<Ipv6>(), parser.get<Tcp>());
        else if (decoded.contains(LayerType::udp))
          k = v4 ? FlowKey::of(parser.get<Ipv4>(), parser.get<Udp>()) : FlowKey::of(parser.get<Ipv6>(), parser.get<Udp>());
        bool syn = decoded.contains(LayerType::tcp) && (parser.get<Tcp>().flags & (Tcp::kSyn | Tcp::kAck)) == Tcp::kSyn;
        if (k) attributor_->note(*k, syn);
        keys.push_back(k);
      }
      if (hold_) {
        for (const auto& k : keys)
          if (k) held_.push_back(*k);
        continue;
      }
      if (auto ok = attributor_->resolve(); !ok) fmt::print("resolve: {}\n", ok.error().what());
      for (const auto& k : held_) record(k, true);
      held_.clear();
      relook();
      for (const auto& k : keys)
        if (k) record(*k, true);
    }
  }

  VethPair link_;
  int capture_ns_fd_ = -1;
  std::vector<Fd> fds_;
  std::thread services_;
  std::thread capturing_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<ProcessAttributor> attributor_;
  std::unique_ptr<LiveCapture> capture_;
  std::map<std::string, Seen> flows_;
  std::atomic<bool> hold_{false};
  std::atomic<bool> relook_pending_{false};  // set by hold_resolve(); other tests see packets only
  std::vector<layers::FlowKey> held_;    // packets read while held, looked up on release
  std::vector<layers::FlowKey> relook_;  // flows pending at their last lookup
  pid_t launcher_ = -1;
  std::FILE* launcher_in_ = nullptr;
  std::FILE* launcher_out_ = nullptr;
  std::chrono::milliseconds reply_delay_{0};
  std::string loss_;
};

}  // namespace pcapxx::test
