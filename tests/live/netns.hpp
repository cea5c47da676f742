// Live-test helpers: network namespaces, veth pairs and a raw frame sender, all RAII so a
// failing test still removes what it created. Names carry the pid and a counter, so parallel
// test processes never collide. Needs root (CI runs live tests as root).
//
//   pcapxx::test::VethPair link;                   // two namespaces, one veth end in each, up
//   { pcapxx::test::InNetns in(link.capture_ns()); // this thread now lives in the namespace
//     auto cap = pcapxx::LiveCapture::open(link.capture_if(), {...}); }
//   pcapxx::test::FrameSender tx(link.peer_ns(), link.peer_if());
//   tx.send(frame);
//
// The namespaces have IPv6 switched off so the links stay silent (no DAD, MLD or router
// solicitations): whatever a capture sees is what the test sent.
#pragma once

#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace pcapxx::test {

using MacAddress = std::array<std::uint8_t, 6>;

/// Runs a shell command; returns its exit status (-1 if it could not run).
inline int shell(const std::string& command) {
  int rc = std::system(command.c_str());
  if (rc == -1) return -1;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/// Runs a shell command and returns what it printed on standard output.
inline std::string shell_output(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

/// Runs a shell command and throws if it fails; for setup steps.
inline void must(const std::string& command) {
  if (shell(command + " >/dev/null 2>&1") != 0) {
    throw std::runtime_error(fmt::format("setup step failed: {}", command));
  }
}

/// A name unique to this process and call: prefix + pid + counter, at most 15 characters (an
/// interface name must fit IFNAMSIZ).
inline std::string unique_name(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  std::string name = fmt::format("{}{:x}{}", prefix, static_cast<unsigned>(::getpid()),
                                 counter.fetch_add(1));
  if (name.size() > 15) name = name.substr(name.size() - 15);
  return name;
}

/// A MAC address ending in `last`, locally administered (02:99:...).
inline MacAddress test_mac(std::uint8_t last) { return {0x02, 0x99, 0x00, 0x00, 0x00, last}; }

inline std::string mac_text(const MacAddress& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/// A network namespace created with `ip netns add` and deleted on destruction.
class Netns {
 public:
  /// Creates the namespace; with quiet, IPv6 is off in it (all and default).
  explicit Netns(std::string_view prefix = "pxns", bool quiet = true)
      : name_(unique_name(prefix)) {
    must(fmt::format("ip netns add {}", name_));
    if (quiet) {
      must(exec_command("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"));
    }
  }
  ~Netns() { shell(fmt::format("ip netns del {} >/dev/null 2>&1", name_)); }
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// The command line that runs `command` inside the namespace.
  [[nodiscard]] std::string exec_command(std::string_view command) const {
    return fmt::format("ip netns exec {} {}", name_, command);
  }
  /// Runs `command` inside the namespace; returns its exit status.
  int exec(std::string_view command) const { return shell(exec_command(command)); }
  /// `ip -n NAME ...` for link and address setup.
  void ip(std::string_view args) const { must(fmt::format("ip -n {} {}", name_, args)); }

 private:
  std::string name_;
};

/// Moves the calling thread into a namespace until destruction (setns(CLONE_NEWNET)); sockets
/// created meanwhile stay in that namespace after the thread returns.
class InNetns {
 public:
  explicit InNetns(const Netns& ns) {
    original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = ::open(fmt::format("/run/netns/{}", ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
    if (original_ < 0 || target < 0 || ::setns(target, CLONE_NEWNET) != 0) {
      int err = errno;
      if (target >= 0) ::close(target);
      if (original_ >= 0) ::close(original_);
      throw std::runtime_error(fmt::format("setns into {}: {}", ns.name(), std::strerror(err)));
    }
    ::close(target);
  }
  ~InNetns() {
    if (::setns(original_, CLONE_NEWNET) != 0) std::abort();  // a thread in the wrong netns poisons every later test
    ::close(original_);
  }
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  int original_ = -1;
};

/// Two namespaces joined by a veth pair: capture_if() in capture_ns(), peer_if() in
/// peer_ns(), both up with fixed MACs (02:99:00:00:00:01 and :02).
class VethPair {
 public:
  VethPair() : capture_ns_("pxc"), peer_ns_("pxp"), capture_if_(unique_name("pxa")), peer_if_(unique_name("pxb")) {
    must(fmt::format("ip link add {} netns {} address {} type veth peer name {} netns {} address {}",
                     capture_if_, capture_ns_.name(), mac_text(capture_mac()), peer_if_,
                     peer_ns_.name(), mac_text(peer_mac())));
    capture_ns_.ip(fmt::format("link set {} up", capture_if_));
    peer_ns_.ip(fmt::format("link set {} up", peer_if_));
  }
  VethPair(const VethPair&) = delete;
  VethPair& operator=(const VethPair&) = delete;

  [[nodiscard]] const Netns& capture_ns() const noexcept { return capture_ns_; }
  [[nodiscard]] const Netns& peer_ns() const noexcept { return peer_ns_; }
  [[nodiscard]] const std::string& capture_if() const noexcept { return capture_if_; }
  [[nodiscard]] const std::string& peer_if() const noexcept { return peer_if_; }
  [[nodiscard]] static MacAddress capture_mac() { return test_mac(1); }
  [[nodiscard]] static MacAddress peer_mac() { return test_mac(2); }

 private:
  Netns capture_ns_;
  Netns peer_ns_;
  std::string capture_if_;
  std::string peer_if_;
};

/// A raw AF_PACKET socket bound to one device in a namespace; sends frames exactly as given.
class FrameSender {
 public:
  FrameSender(const Netns& ns, const std::string& ifname) {
    InNetns in(ns);
    fd_ = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(fmt::format("sender socket: {}", std::strerror(errno)));
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
    if (addr.sll_ifindex == 0 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int err = errno;
      ::close(fd_);
      throw std::runtime_error(fmt::format("sender bind {}: {}", ifname, std::strerror(err)));
    }
  }
  ~FrameSender() { ::close(fd_); }
  FrameSender(const FrameSender&) = delete;
  FrameSender& operator=(const FrameSender&) = delete;

  /// Sends one frame; throws if the kernel does not take all of it.
  void send(std::span<const std::byte> frame) const {
    ssize_t n = ::send(fd_, frame.data(), frame.size(), 0);
    if (n != static_cast<ssize_t>(frame.size())) {
      throw std::runtime_error(fmt::format("send of {} bytes: {}", frame.size(),
                                           n < 0 ? std::strerror(errno) : "short write"));
    }
  }

 private:
  int fd_ = -1;
};

}  // namespace pcapxx::test
