// NETLINK_SOCK_DIAG exact socket lookups (linux/inet_diag.h): many requests in one sendmsg,
// answers matched by sequence number. A request without NLM_F_DUMP asks for the one socket
// with this 5-tuple; TCP answers from its established table, else with the listener of the local
// address and port (a query with remote 0:0 asks for that listener alone), UDP from its socket
// lookup, which also finds unconnected sockets bound to the local address and port.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pcapxx/error.hpp"

namespace pcapxx::detail::process {

/// One socket to look up, oriented: local is this host's end.
struct SocketQuery {
  std::uint8_t family = 0;    ///< AF_INET or AF_INET6
  std::uint8_t protocol = 0;  ///< IPPROTO_TCP or IPPROTO_UDP
  std::uint16_t local_port = 0, remote_port = 0;  ///< host byte order
  std::array<std::uint8_t, 16> local{}, remote{};  ///< network order; IPv4 in the first 4
};

/// The answer: found or not, and the socket's inode (0 once its process closed it) and uid.
struct SocketAnswer {
  bool found = false;
  std::uint64_t inode = 0;
  std::uint32_t uid = 0;
  std::array<std::uint8_t, 16> local{};  ///< the socket's own local address (wildcard for unbound)
  std::uint16_t local_port = 0;
  std::uint8_t state = 0;  ///< TCP state (include/net/tcp_states.h): a lookup falls back to a listener
};

/// TCP_LISTEN of include/net/tcp_states.h: the state of a listening socket in an answer.
inline constexpr std::uint8_t kTcpListen = 10;

/// A NETLINK_SOCK_DIAG socket in one network namespace.
class SockDiag {
 public:
  /// Opens the socket in the namespace at `netns_path` ("" = the caller's).
  static Result<SockDiag> open(const std::string& netns_path);
  SockDiag(SockDiag&& o) noexcept : fd_(o.fd_), send_(std::move(o.send_)), recv_(std::move(o.recv_)) { o.fd_ = -1; }
  SockDiag& operator=(SockDiag&&) = delete;
  ~SockDiag();

  /// Looks up every query; answers[i] belongs to queries[i].
  Result<void> lookup(std::span<const SocketQuery> queries, std::span<SocketAnswer> answers);

 private:
  explicit SockDiag(int fd) : fd_(fd) {}
  Result<void> lookup_chunk(std::span<const SocketQuery> queries, std::span<SocketAnswer> answers);
  int fd_ = -1;
  std::vector<std::byte> send_;
  std::vector<std::byte> recv_;
};

}  // namespace pcapxx::detail::process
