// RawIpSender: AF_INET and AF_INET6 SOCK_RAW sockets with protocol IPPROTO_RAW, which implies
// a caller-supplied IP header (raw(7); inet6_create sets hdrincl for IPPROTO_RAW). Both are bound
// to the device with SO_BINDTODEVICE. The destination address for routing is taken from each
// datagram's header; batches are one sendmmsg per run of the same IP version.
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "inject/linux/link.hpp"
#include "pcapxx/inject.hpp"

namespace pcapxx {

namespace {
constexpr std::size_t kMaxBatch = 1024;
}  // namespace

struct RawIpSender::Impl {
  inject::UniqueFd fd4;
  inject::UniqueFd fd6;
  std::string device;
  LinkLimits limits;
  bool nonblocking = false;
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::vector<sockaddr_in6> addrs;  // large enough for sockaddr_in too
  std::size_t last_sent = 0;

  // The version (4 or 6) and a problem text, if the datagram cannot be sent.
  std::optional<std::string> check(std::span<const std::byte> d, int& version) const {
    if (d.empty()) return std::string("empty datagram");
    version = static_cast<int>(std::to_integer<unsigned>(d[0]) >> 4);
    if (version != 4 && version != 6) {
      return fmt::format("datagram starts with IP version {}, not 4 or 6", version);
    }
    const std::size_t min = version == 4 ? 20 : 40;
    if (d.size() < min) {
      return fmt::format("IPv{} datagram of {} bytes is shorter than the {}-byte header", version, d.size(), min);
    }
    if (d.size() > limits.mtu) {
      return fmt::format("IPv{} datagram of {} bytes is larger than MTU {} (no fragmentation)", version, d.size(),
                         limits.mtu);
    }
    return std::nullopt;
  }
  // Fills the destination of message slot k from the header.
  void set_destination(std::size_t k, std::span<const std::byte> d, int version) noexcept {
    sockaddr_in6& a = addrs[k];
    a = sockaddr_in6{};
    if (version == 4) {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&a);
      a4->sin_family = AF_INET;
      std::memcpy(&a4->sin_addr, d.data() + 16, 4);
      msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    } else {
      a.sin6_family = AF_INET6;
      std::memcpy(&a.sin6_addr, d.data() + 24, 16);
      const bool link_local = d[24] == std::byte{0xfe} && (std::to_integer<unsigned>(d[25]) & 0xc0) == 0x80;
      if (link_local) a.sin6_scope_id = limits.ifindex;  // link-local destinations need the interface
      msgs[k].msg_hdr.msg_namelen = sizeof(sockaddr_in6);
    }
    msgs[k].msg_hdr.msg_name = &a;
  }
};

RawIpSender::RawIpSender(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RawIpSender::RawIpSender(RawIpSender&&) noexcept = default;
RawIpSender& RawIpSender::operator=(RawIpSender&&) noexcept = default;
RawIpSender::~RawIpSender() = default;

Result<RawIpSender> RawIpSender::open(std::string_view device, const InjectOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->device = std::string(device);
  impl->nonblocking = options.nonblocking;
  auto fd4 = inject::open_socket(device, AF_INET, SOCK_RAW, IPPROTO_RAW, "socket(AF_INET, SOCK_RAW, IPPROTO_RAW)");
  if (!fd4) return std::unexpected(fd4.error());
  impl->fd4 = std::move(*fd4);
  auto limits = inject::read_link(impl->fd4.get(), device);
  if (!limits) return std::unexpected(limits.error());
  impl->limits = *limits;
  auto fd6 = inject::open_socket(device, AF_INET6, SOCK_RAW, IPPROTO_RAW, "socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)");
  if (!fd6) return std::unexpected(fd6.error());
  impl->fd6 = std::move(*fd6);
  for (int fd : {impl->fd4.get(), impl->fd6.get()}) {
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, impl->device.c_str(),
                     static_cast<socklen_t>(impl->device.size())) != 0) {
      return fail_errno(errno, fmt::format("{}: open: setsockopt(SO_BINDTODEVICE)", device));
    }
    if (options.send_buffer != 0) {
      auto r = inject::set_int_option(fd, device, SOL_SOCKET, SO_SNDBUF, static_cast<int>(options.send_buffer),
                                       "SO_SNDBUF");
      if (!r) return std::unexpected(r.error());
    }
  }
  impl->msgs.resize(kMaxBatch);
  impl->iovs.resize(kMaxBatch);
  impl->addrs.resize(kMaxBatch);
  return RawIpSender(std::move(impl));
}

Result<std::size_t> RawIpSender::send(std::span<const std::byte> datagram) {
  auto r = send_batch(std::span<const std::span<const std::byte>>(&datagram, 1));
  if (!r) return std::unexpected(r.error());
  return datagram.size();
}

Result<std::size_t> RawIpSender::send_batch(std::span<const std::span<const std::byte>> datagrams) {
  Impl& im = *impl_;
  im.last_sent = 0;
  const int flags = im.nonblocking ? MSG_DONTWAIT : 0;
  const std::size_t count = datagrams.size();
  std::size_t i = 0;
  while (i < count) {
    std::size_t n = 0;
    int run_version = 0;
    std::optional<std::string> problem;
    while (n < kMaxBatch && i + n < count) {
      auto d = datagrams[i + n];
      int version = 0;
      problem = im.check(d, version);
      if (problem) break;
      if (n > 0 && version != run_version) break;
      run_version = version;
      im.iovs[n].iov_base = const_cast<std::byte*>(d.data());
      im.iovs[n].iov_len = d.size();
      im.msgs[n].msg_hdr = msghdr{};
      im.msgs[n].msg_hdr.msg_iov = &im.iovs[n];
      im.msgs[n].msg_hdr.msg_iovlen = 1;
      im.set_destination(n, d, version);
      ++n;
    }
    const int fd = run_version == 6 ? im.fd6.get() : im.fd4.get();
    std::size_t done = 0;
    while (done < n) {
      int r = ::sendmmsg(fd, im.msgs.data() + done, static_cast<unsigned>(n - done), flags);
      if (r < 0) {
        int err = errno;
        if (err == EINTR) continue;
        im.last_sent = i + done;
        std::string reason = inject::errno_reason(err, im.device, "sendmmsg");
        if (err == ENETUNREACH || err == EHOSTUNREACH) reason = fmt::format("no route ({})", reason);
        return inject::batch_error(inject::errc_for(err), err, im.device, "send IP", i + done, count, i + done, reason);
      }
      done += static_cast<std::size_t>(r);
    }
    i += n;
    im.last_sent = i;
    if (problem) return inject::batch_error(Errc::invalid_argument, 0, im.device, "send IP", i, count, i, *problem);
  }
  return count;
}

std::size_t RawIpSender::last_batch_sent() const noexcept { return impl_->last_sent; }
const std::string& RawIpSender::device() const noexcept { return impl_->device; }
const LinkLimits& RawIpSender::limits() const noexcept { return impl_->limits; }

}  // namespace pcapxx
