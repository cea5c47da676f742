// pxdump -Z USER: give up root once everything privileged is open (the capture sockets, the
// input files, the first -w file) and before the first packet is read, as tcpdump does.
// Beyond tcpdump, every capability goes too: the bounding and ambient sets are emptied, the
// effective/permitted/inheritable sets are cleared with capset(2), and no_new_privs is set, so
// neither a setuid program run by -z nor an exec can get them back. The drop is then checked
// (/proc/self/status, and setuid(0) must fail); if any step fails pxdump stops with a message.
//
// Semantics kept from tcpdump: -Z applies when running as root; "-Z root" (any user with uid 0)
// means "do not drop"; the group becomes the user's primary group, the supplementary groups
// the user's (initgroups). Files that -C/-G rotations create later are created as USER.
#pragma once

#include <string>

#include "pcapxx/error.hpp"

namespace pxdump {

/// Becomes `user` and drops all capabilities; an error says which step failed and why.
pcapxx::Result<void> drop_privileges(const std::string& user);

}  // namespace pxdump
