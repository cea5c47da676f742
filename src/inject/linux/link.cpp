// Device facts and error texts shared by the packet-socket, TX-ring and raw-IP senders.
#include "inject/linux/link.hpp"

#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace pcapxx::inject {

Errc errc_for(int err) noexcept {
  switch (err) {
    case EPERM:
    case EACCES: return Errc::permission;
    case ENODEV:
    case ENXIO: return Errc::not_found;
    case EMSGSIZE: return Errc::invalid_argument;
    default: return Errc::io;
  }
}

Result<UniqueFd> open_socket(std::string_view device, int domain, int type, int protocol,
                             std::string_view call_text) {
  int fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    int err = errno;
    std::string extra = (err == EPERM || err == EACCES) ? " (needs CAP_NET_RAW)" : "";
    return std::unexpected(Error{errc_for(err),
                                 fmt::format("{}: open: {}: {}{}", device, call_text, std::strerror(err), extra),
                                 std::nullopt, std::nullopt, err});
  }
  return UniqueFd(fd);
}

Result<LinkLimits> read_link(int fd, std::string_view device) {
  if (device.empty() || device.size() >= IFNAMSIZ) {
    return fail(Errc::not_found, fmt::format("{}: no such device", device));
  }
  ifreq req{};
  std::memcpy(req.ifr_name, device.data(), device.size());
  LinkLimits limits;
  if (::ioctl(fd, SIOCGIFINDEX, &req) != 0) {
    int err = errno;
    if (err == ENODEV || err == ENXIO) return fail(Errc::not_found, fmt::format("{}: no such device", device));
    return fail_errno(err, fmt::format("{}: open: ioctl(SIOCGIFINDEX)", device));
  }
  limits.ifindex = static_cast<std::uint32_t>(req.ifr_ifindex);
  if (::ioctl(fd, SIOCGIFMTU, &req) != 0) return fail_errno(errno, fmt::format("{}: open: ioctl(SIOCGIFMTU)", device));
  limits.mtu = static_cast<std::uint32_t>(req.ifr_mtu);
  if (::ioctl(fd, SIOCGIFHWADDR, &req) != 0) {
    return fail_errno(errno, fmt::format("{}: open: ioctl(SIOCGIFHWADDR)", device));
  }
  limits.arphrd = req.ifr_hwaddr.sa_family;
  // dev->hard_header_len of the common types (drivers/net/*, include/uapi/linux/if_arp.h);
  // for others the kernel's own check is the only one.
  switch (limits.arphrd) {
    case ARPHRD_ETHER:
      limits.link_header = 14;
      limits.ethernet = true;
      limits.checked = true;
      break;
    case ARPHRD_LOOPBACK:
      limits.link_header = 14;
      limits.checked = true;
      break;
    case ARPHRD_NONE:
    case ARPHRD_RAWIP:
    case ARPHRD_PPP:
      limits.link_header = 0;
      limits.checked = true;
      break;
    default: break;
  }
  return limits;
}

Result<void> bind_packet(int fd, std::string_view device, std::uint32_t ifindex) {
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = 0;
  addr.sll_ifindex = static_cast<int>(ifindex);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (err == ENODEV || err == ENXIO) return fail(Errc::not_found, fmt::format("{}: no such device", device));
    return fail_errno(err, fmt::format("{}: open: bind(AF_PACKET)", device));
  }
  return {};
}

Result<void> set_int_option(int fd, std::string_view device, int level, int name, int value,
                            std::string_view option_text) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    return fail_errno(errno, fmt::format("{}: open: setsockopt({}, {})", device, option_text, value));
  }
  return {};
}

std::optional<std::string> frame_problem(const LinkLimits& limits, std::span<const std::byte> frame) {
  if (!limits.checked) return std::nullopt;
  if (frame.size() < limits.link_header || frame.empty()) {
    return fmt::format("frame of {} bytes is shorter than the {}-byte link header", frame.size(),
                       limits.link_header);
  }
  const bool tagged = limits.ethernet && has_8021q_tag(frame);
  if (frame.size() > limits.max_frame(tagged)) {
    return fmt::format("frame of {} bytes is larger than MTU {} + {}-byte link header{} ({} bytes)",
                       frame.size(), limits.mtu, limits.link_header, tagged ? " + 4-byte 802.1Q tag" : "",
                       limits.max_frame(tagged));
  }
  return std::nullopt;
}

std::string errno_reason(int err, std::string_view device, std::string_view call) {
  switch (err) {
    case EAGAIN: return fmt::format("send buffer full (non-blocking) ({}: {})", call, std::strerror(err));
    case ENETDOWN: return fmt::format("device is down ({}: {})", call, std::strerror(err));
    case ENXIO:
    case ENODEV: return fmt::format("device {} is gone ({}: {})", device, call, std::strerror(err));
    case EPERM:
    case EACCES: return fmt::format("not permitted, needs CAP_NET_RAW ({}: {})", call, std::strerror(err));
    case EMSGSIZE: {
      // The MTU may have changed since open: read it again for the message.
      std::string mtu = "unknown";
      int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (fd >= 0 && device.size() < IFNAMSIZ) {
        ifreq req{};
        std::memcpy(req.ifr_name, device.data(), device.size());
        if (::ioctl(fd, SIOCGIFMTU, &req) == 0) mtu = std::to_string(req.ifr_mtu);
      }
      if (fd >= 0) ::close(fd);
      return fmt::format("too large for the device (MTU now {}) ({}: {})", mtu, call, std::strerror(err));
    }
    default: return fmt::format("{}: {}", call, std::strerror(err));
  }
}

std::string sent_summary(std::size_t sent, std::size_t total, std::string_view verb) {
  if (sent == 0) return fmt::format("no frame was {} (0 of {})", verb, total);
  if (sent == 1) return fmt::format("frame 0 was {} (1 of {})", verb, total);
  return fmt::format("frames 0-{} were {} ({} of {})", sent - 1, verb, sent, total);
}

std::unexpected<Error> batch_error(Errc code, int err, std::string_view device, std::string_view step,
                                   std::size_t index, std::size_t total, std::size_t sent,
                                   std::string_view reason, std::string_view verb) {
  std::string msg;
  if (total == 1) {
    msg = fmt::format("{}: {}: {}", device, step, reason);
  } else {
    msg = fmt::format("{}: {}: frame {} of {}: {}; {}", device, step, index, total, reason,
                      sent_summary(sent, total, verb));
  }
  return std::unexpected(Error{code, std::move(msg), std::nullopt, std::nullopt, err});
}

}  // namespace pcapxx::inject
