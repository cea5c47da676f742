#include "privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace pxdump {
namespace {

pcapxx::Result<void> failed(std::string_view step, int err) {
  return pcapxx::fail_errno(err, fmt::format("-Z: {}", step));
}

// The "CapXxx:" lines of /proc/self/status, as numbers (all must be 0 after the drop).
pcapxx::Result<void> check_status(uid_t uid, gid_t gid) {
  std::ifstream status("/proc/self/status");
  if (!status) return pcapxx::fail(pcapxx::Errc::io, "-Z: cannot read /proc/self/status to check the drop");
  std::string line;
  int checked = 0;
  while (std::getline(status, line)) {
    for (const char* key : {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"}) {
      if (!line.starts_with(key)) continue;
      ++checked;
      if (std::strtoull(line.c_str() + std::strlen(key), nullptr, 16) != 0)
        return pcapxx::fail(pcapxx::Errc::permission, fmt::format("-Z: capabilities remain after the drop: {}", line));
    }
    if (line.starts_with("NoNewPrivs:") && std::strtoul(line.c_str() + 11, nullptr, 10) != 1)
      return pcapxx::fail(pcapxx::Errc::permission, "-Z: no_new_privs is not set after the drop");
  }
  if (checked != 5) return pcapxx::fail(pcapxx::Errc::io, "-Z: /proc/self/status lacks the capability lines");
  uid_t r, e, s;
  gid_t rg, eg, sg;
  if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0) return failed("getresuid", errno);
  if (r != uid || e != uid || s != uid || rg != gid || eg != gid || sg != gid)
    return pcapxx::fail(pcapxx::Errc::permission,
                        fmt::format("-Z: ids after the drop are uid {}/{}/{} gid {}/{}/{}, not {} and {}", r, e, s, rg,
                                    eg, sg, uid, gid));
  // The proof: root cannot be had back.
  if (uid != 0 && ::setuid(0) == 0)
    return pcapxx::fail(pcapxx::Errc::permission, "-Z: setuid(0) still succeeds after the drop");
  return {};
}

}  // namespace

pcapxx::Result<void> drop_privileges(const std::string& user) {
  errno = 0;
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    if (errno != 0) return failed(fmt::format("looking up user '{}'", user), errno);
    // tcpdump's words.
    return pcapxx::fail(pcapxx::Errc::not_found, fmt::format("Couldn't find user '{}'", user));
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (uid == 0) return {};  // "-Z root": stay as we are, as tcpdump
  const std::string name = pw->pw_name;

  // While we still may: empty the bounding set (needs CAP_SETPCAP) and the ambient set.
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return failed("prctl(PR_SET_KEEPCAPS)", errno);
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0) break;  // past the kernel's last capability
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      return failed(fmt::format("prctl(PR_CAPBSET_DROP, {})", cap), errno);
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return failed("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno);

  if (::initgroups(name.c_str(), gid) != 0) return failed(fmt::format("initgroups({})", name), errno);
  if (::setresgid(gid, gid, gid) != 0) return failed(fmt::format("setresgid({})", gid), errno);
  if (::setresuid(uid, uid, uid) != 0) return failed(fmt::format("setresuid({})", uid), errno);

  // setresuid away from 0 clears the permitted and effective sets; clear inheritable too, and
  // make sure of the rest with capset.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) return failed("capset", errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("prctl(PR_SET_NO_NEW_PRIVS)", errno);
  return check_status(uid, gid);
}

}  // namespace pxdump
