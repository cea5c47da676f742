// What attribution reads from /proc (proc(5)): the process list, the socket inodes in a
// process's fd table, and a process's identity. Plain syscalls into caller-owned buffers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pcapxx/process.hpp"

namespace pcapxx::detail::process {

/// Appends the pid of every process (numeric entries of /proc); false if /proc is unreadable.
bool list_pids(std::vector<std::int32_t>& out);

/// Appends the inode of every socket in /proc/PID/fd. Returns 0 or the errno of opening the
/// directory (EACCES/EPERM: another user's process without CAP_SYS_PTRACE; ENOENT: gone).
int socket_inodes(std::int32_t pid, std::vector<std::uint64_t>& out);

/// Fills pid, uid, comm, cmdline and netns; false when the process is gone.
bool read_process(std::int32_t pid, ProcessInfo& out);

}  // namespace pcapxx::detail::process
