#include "process/linux/sock_diag.hpp"

#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "core/byte_order.hpp"

namespace pcapxx::detail::process {
namespace {

struct Request {
  nlmsghdr nlh;
  inet_diag_req_v2 req;
};
static_assert(sizeof(Request) == 16 + 56);

// Answers are queued per request; this many in flight stay well inside the receive buffer.
constexpr std::size_t kChunk = 256;

int open_socket() {
  return ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
}

}  // namespace

Result<SockDiag> SockDiag::open(const std::string& netns_path) {
  int fd = -1;
  int err = 0;
  std::string step;
  if (netns_path.empty()) {
    fd = open_socket();
    if (fd < 0) err = errno, step = "socket(NETLINK_SOCK_DIAG)";
  } else {
    // setns changes only the calling thread's namespace; a short-lived thread keeps ours intact.
    std::thread t([&] {
      int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0) {
        err = errno, step = fmt::format("open {}", netns_path);
        return;
      }
      if (::setns(ns, CLONE_NEWNET) != 0) {
        err = errno, step = fmt::format("setns {} (needs CAP_SYS_ADMIN)", netns_path);
      } else {
        fd = open_socket();
        if (fd < 0) err = errno, step = "socket(NETLINK_SOCK_DIAG)";
      }
      ::close(ns);
    });
    t.join();
  }
  if (fd < 0) return fail_errno(err, fmt::format("process attribution: {}", step));
  int size = 1 << 22;
  // Root may exceed rmem_max; others get what the sysctl allows.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  // The kernel answers at once; a lost answer must not hang the caller.
  timeval limit{1, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return SockDiag(fd);
}

SockDiag::~SockDiag() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> SockDiag::lookup(std::span<const SocketQuery> queries, std::span<SocketAnswer> answers) {
  for (std::size_t at = 0; at < queries.size(); at += kChunk) {
    std::size_t n = std::min(kChunk, queries.size() - at);
    if (auto ok = lookup_chunk(queries.subspan(at, n), answers.subspan(at, n)); !ok) return ok;
  }
  return {};
}

Result<void> SockDiag::lookup_chunk(std::span<const SocketQuery> queries, std::span<SocketAnswer> answers) {
  send_.resize(queries.size() * sizeof(Request));
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const SocketQuery& q = queries[i];
    Request r{};
    r.nlh.nlmsg_len = sizeof r;
    r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    r.nlh.nlmsg_flags = NLM_F_REQUEST;
    r.nlh.nlmsg_seq = static_cast<std::uint32_t>(i + 1);
    r.req.sdiag_family = q.family;
    r.req.sdiag_protocol = q.protocol;
    r.req.idiag_states = ~0u;
    // Byte order of the id fields: ports and addresses in network order (inet_diag.h).
    store_be16(reinterpret_cast<std::byte*>(&r.req.id.idiag_sport), q.local_port);
    store_be16(reinterpret_cast<std::byte*>(&r.req.id.idiag_dport), q.remote_port);
    std::memcpy(r.req.id.idiag_src, q.local.data(), 16);
    std::memcpy(r.req.id.idiag_dst, q.remote.data(), 16);
    r.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    r.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    std::memcpy(send_.data() + i * sizeof r, &r, sizeof r);
    answers[i] = SocketAnswer{};
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, send_.data(), send_.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
    return fail_errno(errno, "process attribution: sendto(NETLINK_SOCK_DIAG)");

  // Every request gets exactly one answer: a socket, or an error (ENOENT when none).
  std::size_t pending = queries.size();
  recv_.resize(1 << 16);
  while (pending > 0) {
    ssize_t n = ::recv(fd_, recv_.data(), recv_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return fail(Errc::io, fmt::format("process attribution: NETLINK_SOCK_DIAG left {} of {} lookups "
                                          "unanswered for 1 s", pending, queries.size()));
      return fail_errno(errno, "process attribution: recv(NETLINK_SOCK_DIAG)");
    }
    std::size_t off = 0;
    auto len = static_cast<std::size_t>(n);
    while (off + sizeof(nlmsghdr) <= len) {
      nlmsghdr h;
      std::memcpy(&h, recv_.data() + off, sizeof h);
      if (h.nlmsg_len < sizeof h || off + h.nlmsg_len > len) break;
      std::size_t idx = h.nlmsg_seq - 1;
      const std::byte* body = recv_.data() + off + NLMSG_HDRLEN;
      std::size_t body_len = h.nlmsg_len - NLMSG_HDRLEN;
      if (idx < queries.size()) {
        if (h.nlmsg_type == NLMSG_ERROR) {
          --pending;
        } else if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY && body_len >= sizeof(inet_diag_msg)) {
          inet_diag_msg m;
          std::memcpy(&m, body, sizeof m);
          SocketAnswer& a = answers[idx];
          a.found = true;
          a.inode = m.idiag_inode;
          a.uid = m.idiag_uid;
          std::memcpy(a.local.data(), m.id.idiag_src, 16);
          a.local_port = load_be16(reinterpret_cast<const std::byte*>(&m.id.idiag_sport));
          a.state = m.idiag_state;
          --pending;
        }
      }
      off += NLMSG_ALIGN(h.nlmsg_len);
    }
  }
  return {};
}

}  // namespace pcapxx::detail::process
