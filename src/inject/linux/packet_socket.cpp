// Injector: a PF_PACKET SOCK_RAW socket bound to one device. Single frames go out with send(),
// batches with sendmmsg (one call per kMaxBatch frames; the kernel caps vlen at UIO_MAXIOV).
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "inject/linux/link.hpp"
#include "pcapxx/inject.hpp"

namespace pcapxx {

namespace {
constexpr std::size_t kMaxBatch = 1024;  // UIO_MAXIOV, the most sendmmsg takes at once
}  // namespace

struct Injector::Impl {
  inject::UniqueFd fd;
  std::string device;
  LinkLimits limits;
  bool nonblocking = false;
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::size_t last_sent = 0;

  // Frame i of a batch is at(i); no allocation unless a frame is bad or a send fails.
  template <class FrameAt>
  Result<std::size_t> send_frames(std::size_t count, FrameAt at) {
    last_sent = 0;
    const int flags = nonblocking ? MSG_DONTWAIT : 0;
    std::size_t i = 0;
    while (i < count) {
      std::size_t n = 0;
      std::optional<std::string> problem;
      while (n < kMaxBatch && i + n < count) {
        FrameBytes f = at(i + n);
        if (limits.checked && (f.size() > limits.max_frame(false) || f.size() < limits.link_header)) {
          problem = inject::frame_problem(limits, f);
          if (problem) break;
        }
        iovs[n].iov_base = const_cast<std::byte*>(f.data());
        iovs[n].iov_len = f.size();
        msgs[n].msg_hdr = msghdr{};
        msgs[n].msg_hdr.msg_iov = &iovs[n];
        msgs[n].msg_hdr.msg_iovlen = 1;
        ++n;
      }
      std::size_t done = 0;
      while (done < n) {
        int r = ::sendmmsg(fd.get(), msgs.data() + done, static_cast<unsigned>(n - done), flags);
        if (r < 0) {
          int err = errno;
          if (err == EINTR) continue;
          last_sent = i + done;
          return inject::batch_error(inject::errc_for(err), err, device, "send batch", i + done, count,
                                     i + done, inject::errno_reason(err, device, "sendmmsg"));
        }
        done += static_cast<std::size_t>(r);
      }
      i += n;
      last_sent = i;
      if (problem) {
        return inject::batch_error(Errc::invalid_argument, 0, device, "send batch", i, count, i, *problem);
      }
    }
    return count;
  }
};

Injector::Injector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Injector::Injector(Injector&&) noexcept = default;
Injector& Injector::operator=(Injector&&) noexcept = default;
Injector::~Injector() = default;

Result<Injector> Injector::open(std::string_view device, const InjectOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->device = std::string(device);
  impl->nonblocking = options.nonblocking;
  auto fd = inject::open_socket(device, AF_PACKET, SOCK_RAW, 0, "socket(AF_PACKET, SOCK_RAW)");
  if (!fd) return std::unexpected(fd.error());
  impl->fd = std::move(*fd);
  auto limits = inject::read_link(impl->fd.get(), device);
  if (!limits) return std::unexpected(limits.error());
  impl->limits = *limits;
  if (options.send_buffer != 0) {
    auto r = inject::set_int_option(impl->fd.get(), device, SOL_SOCKET, SO_SNDBUF,
                                     static_cast<int>(options.send_buffer), "SO_SNDBUF");
    if (!r) return std::unexpected(r.error());
  }
  if (options.qdisc_bypass) {
    auto r = inject::set_int_option(impl->fd.get(), device, SOL_PACKET, PACKET_QDISC_BYPASS, 1,
                                     "PACKET_QDISC_BYPASS");
    if (!r) return std::unexpected(r.error());
  }
  if (auto r = inject::bind_packet(impl->fd.get(), device, impl->limits.ifindex); !r) {
    return std::unexpected(r.error());
  }
  impl->msgs.resize(kMaxBatch);
  impl->iovs.resize(kMaxBatch);
  return Injector(std::move(impl));
}

Result<std::size_t> Injector::inject(FrameBytes frame) {
  Impl& im = *impl_;
  if (auto problem = inject::frame_problem(im.limits, frame)) {
    return fail(Errc::invalid_argument, fmt::format("{}: inject: {}", im.device, *problem));
  }
  const int flags = im.nonblocking ? MSG_DONTWAIT : 0;
  while (true) {
    ssize_t n = ::send(im.fd.get(), frame.data(), frame.size(), flags);
    if (n >= 0) return static_cast<std::size_t>(n);
    int err = errno;
    if (err == EINTR) continue;
    return std::unexpected(Error{inject::errc_for(err),
                                 fmt::format("{}: inject: {}", im.device, inject::errno_reason(err, im.device, "send")),
                                 std::nullopt, std::nullopt, err});
  }
}

Result<std::size_t> Injector::send_batch(std::span<const FrameBytes> frames) {
  return impl_->send_frames(frames.size(), [&](std::size_t i) { return frames[i]; });
}

Result<std::size_t> Injector::send_batch(Batch packets) {
  return impl_->send_frames(packets.size(), [&](std::size_t i) { return packets[i].data; });
}

std::size_t Injector::last_batch_sent() const noexcept { return impl_->last_sent; }
const std::string& Injector::device() const noexcept { return impl_->device; }
const LinkLimits& Injector::limits() const noexcept { return impl_->limits; }
int Injector::fd() const noexcept { return impl_->fd.get(); }

}  // namespace pcapxx
