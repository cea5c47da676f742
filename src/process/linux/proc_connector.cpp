#include "process/linux/proc_connector.hpp"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pcapxx::detail::process {
namespace {

// nlmsghdr, cn_msg (whose data[] is flexible) and the 4-byte operation, back to back.
constexpr std::size_t kSubscribeLen = sizeof(nlmsghdr) + sizeof(cn_msg) + sizeof(std::uint32_t);

}  // namespace

Result<ProcConnector> ProcConnector::open() {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
  if (fd < 0) return fail_errno(errno, "process attribution: socket(NETLINK_CONNECTOR)");
  ProcConnector pc(fd);
  int size = 1 << 23;
  // Bursts of thousands of processes a second must fit between two drains.
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = CN_IDX_PROC;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    int err = errno;
    auto e = fail_errno(err, "process attribution: bind(NETLINK_CONNECTOR, CN_IDX_PROC)"
                             + std::string(err == EPERM ? " (needs CAP_NET_ADMIN)" : ""));
    return e;
  }
  nlmsghdr nlh{};
  nlh.nlmsg_len = kSubscribeLen;
  nlh.nlmsg_type = NLMSG_DONE;
  cn_msg cn{};
  cn.id.idx = CN_IDX_PROC;
  cn.id.val = CN_VAL_PROC;
  cn.len = sizeof(std::uint32_t);
  std::uint32_t op = PROC_CN_MCAST_LISTEN;
  std::byte msg[kSubscribeLen];
  std::memcpy(msg, &nlh, sizeof nlh);
  std::memcpy(msg + sizeof nlh, &cn, sizeof cn);
  std::memcpy(msg + sizeof nlh + sizeof cn, &op, sizeof op);
  if (::send(fd, msg, sizeof msg, 0) < 0) {
    int err = errno;
    // No kernel side in this namespace: the connector lives in the initial network namespace only.
    if (err == ECONNREFUSED)
      return fail_errno(err, "process attribution: proc connector: not available in this network namespace "
                             "(the kernel serves it in the initial one only)");
    return fail_errno(err, "process attribution: send(PROC_CN_MCAST_LISTEN) (needs CAP_NET_ADMIN)");
  }
  return pc;
}

ProcConnector::~ProcConnector() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> ProcConnector::drain(std::vector<ProcEvent>& out, bool& overrun) {
  buf_.resize(1 << 16);
  for (;;) {
    ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
      if (errno == ENOBUFS) {
        overrun = true;
        continue;
      }
      return fail_errno(errno, "process attribution: recv(NETLINK_CONNECTOR)");
    }
    std::size_t off = 0;
    auto len = static_cast<std::size_t>(n);
    while (off + NLMSG_HDRLEN <= len) {
      nlmsghdr h;
      std::memcpy(&h, buf_.data() + off, sizeof h);
      if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > len) break;
      const std::byte* body = buf_.data() + off + NLMSG_HDRLEN;
      std::size_t body_len = h.nlmsg_len - NLMSG_HDRLEN;
      if (h.nlmsg_type == NLMSG_DONE && body_len >= sizeof(cn_msg) + sizeof(proc_event)) {
        cn_msg cn;
        std::memcpy(&cn, body, sizeof cn);
        proc_event ev;
        std::memcpy(&ev, body + sizeof cn, sizeof ev);
        if (cn.id.idx == CN_IDX_PROC && cn.id.val == CN_VAL_PROC) {
          switch (ev.what) {
            case proc_event::PROC_EVENT_FORK:
              out.push_back({ProcEvent::Kind::fork, ev.event_data.fork.child_pid, ev.event_data.fork.child_tgid, ev.timestamp_ns});
              break;
            case proc_event::PROC_EVENT_EXEC:
              out.push_back({ProcEvent::Kind::exec, ev.event_data.exec.process_pid, ev.event_data.exec.process_tgid, ev.timestamp_ns});
              break;
            case proc_event::PROC_EVENT_EXIT:
              out.push_back({ProcEvent::Kind::exit, ev.event_data.exit.process_pid, ev.event_data.exit.process_tgid, ev.timestamp_ns});
              break;
            default: break;
          }
        }
      }
      off += NLMSG_ALIGN(h.nlmsg_len);
    }
  }
}

}  // namespace pcapxx::detail::process
