// The proc connector (NETLINK_CONNECTOR, CN_IDX_PROC; linux/cn_proc.h): fork, exec and exit
// events of every process, multicast by the kernel to sockets in the initial network
// namespace that asked with PROC_CN_MCAST_LISTEN. Listening needs CAP_NET_ADMIN.
#pragma once

#include <cstdint>
#include <vector>

#include "pcapxx/error.hpp"

namespace pcapxx::detail::process {

/// One event, reduced to what the index needs.
struct ProcEvent {
  enum class Kind : std::uint8_t { fork, exec, exit } kind = Kind::fork;
  std::int32_t pid = 0;   ///< the task (thread) id
  std::int32_t tgid = 0;  ///< the process id
  std::uint64_t ts_ns = 0;  ///< CLOCK_MONOTONIC when the kernel sent it
};

/// A subscribed proc connector socket, read without blocking.
class ProcConnector {
 public:
  /// Subscribes; the error says which capability is missing.
  static Result<ProcConnector> open();
  ProcConnector(ProcConnector&& o) noexcept : fd_(o.fd_), buf_(std::move(o.buf_)) { o.fd_ = -1; }
  ProcConnector& operator=(ProcConnector&&) = delete;
  ~ProcConnector();

  /// Appends the events queued so far; `overrun` is set when the kernel dropped some.
  Result<void> drain(std::vector<ProcEvent>& out, bool& overrun);

 private:
  explicit ProcConnector(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::vector<std::byte> buf_;
};

}  // namespace pcapxx::detail::process
