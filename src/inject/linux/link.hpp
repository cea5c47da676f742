// What every sender shares: opening a socket on a device, reading its MTU and link header
// length, checking a frame's size before the kernel does, and turning a failed send into a
// message that names the device, the step, the reason and which frames went out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "capture/linux/fd.hpp"
#include "pcapxx/error.hpp"
#include "pcapxx/inject.hpp"

namespace pcapxx::inject {

using linux_capture::UniqueFd;

/// socket(domain, type, protocol) with a message naming the device and the call; EPERM/EACCES
/// say "(needs CAP_NET_RAW)".
Result<UniqueFd> open_socket(std::string_view device, int domain, int type, int protocol,
                             std::string_view call_text);

/// The ifindex, MTU and hardware type of `device` through ioctls on `fd`; `DEV: no such device`.
Result<LinkLimits> read_link(int fd, std::string_view device);

/// Binds a PF_PACKET socket to the device (protocol 0: the socket receives nothing).
Result<void> bind_packet(int fd, std::string_view device, std::uint32_t ifindex);

/// Sets an int socket option; the message names the device and the option.
Result<void> set_int_option(int fd, std::string_view device, int level, int name, int value,
                            std::string_view option_text);

/// Whether an Ethernet frame carries an 802.1Q tag right after the addresses.
inline bool has_8021q_tag(std::span<const std::byte> frame) noexcept {
  return frame.size() >= 14 && frame[12] == std::byte{0x81} && frame[13] == std::byte{0x00};
}

/// Why a frame cannot be sent on this link (too long, or shorter than the link header), or
/// nullopt. Only allocates when the frame is bad.
std::optional<std::string> frame_problem(const LinkLimits& limits, std::span<const std::byte> frame);

/// The reason text for a send errno: "send buffer full (non-blocking)", "device is down", ...
std::string errno_reason(int err, std::string_view device, std::string_view call);

/// "frames 0-36 were sent (37 of 64)" / "no frame was sent (0 of 64)".
std::string sent_summary(std::size_t sent, std::size_t total, std::string_view verb = "sent");

/// An error for frame `index` of a batch of `total` after `sent` went out; `reason` says why.
std::unexpected<Error> batch_error(Errc code, int err, std::string_view device, std::string_view step,
                                   std::size_t index, std::size_t total, std::size_t sent,
                                   std::string_view reason, std::string_view verb = "sent");

/// The Errc for a send errno.
Errc errc_for(int err) noexcept;

}  // namespace pcapxx::inject
