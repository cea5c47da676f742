// TxRing: PACKET_TX_RING on a PF_PACKET socket (Documentation/networking/packet_mmap.rst).
// Each slot starts with a tpacket2_hdr or tpacket3_hdr; the frame follows at
// TPACKET_ALIGN(sizeof(header)) (tp_hdrlen - sizeof(sockaddr_ll) in net/packet/af_packet.c,
// tpacket_fill_skb, when PACKET_TX_HAS_OFF is off). We write the frame and tp_len, then set
// tp_status to TP_STATUS_SEND_REQUEST; send() makes the kernel walk the ring, and the kernel sets
// the status back to TP_STATUS_AVAILABLE when the skb is freed (tpacket_destruct_skb): that is
// the completion we count.
//
// With linear_bytes > 0 the socket has PACKET_VNET_HDR on and a 10-byte virtio_net_hdr
// (include/uapi/linux/virtio_net.h; no checksum or GSO request) sits between the slot header and
// the frame; its hdr_len is how many bytes tpacket_snd copies into the skb's linear area (the
// rest become page fragments of the ring, marked zero-copy, which __dev_forward_skb and loopback
// copy into a new page per frame).
//
// Measured with bench/inject_bench (64-byte frames, veth, kernel 6.18): the fragment layout spends
// ~14% of the send in skb_copy_ubufs plus the page free later; the linear layout removes both.
//
// Closing notes / limitations:
//   - TPACKET_V3 TX (kernel >= 4.11) is tried first, TPACKET_V2 when the kernel refuses it;
//     both use fixed-size slots (V3 needs tp_next_offset == 0 on TX);
//   - when the kick fails (device down), queued frames stay in the ring with
//     TP_STATUS_SEND_REQUEST and go out on the next kick;
//   - PACKET_LOSS is not set: a malformed frame makes the kick fail instead of being skipped,
//     but sizes are checked before a frame is queued.
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "inject/linux/link.hpp"
#include "pcapxx/inject.hpp"

namespace pcapxx {

namespace {

// Slot layouts (include/uapi/linux/if_packet.h).
constexpr std::size_t kV2Data = TPACKET_ALIGN(sizeof(tpacket2_hdr));
constexpr std::size_t kV3Data = TPACKET_ALIGN(sizeof(tpacket3_hdr));
static_assert(kV2Data == 32 && kV3Data == 48);
static_assert(offsetof(tpacket2_hdr, tp_status) == 0 && offsetof(tpacket2_hdr, tp_len) == 4);
static_assert(offsetof(tpacket3_hdr, tp_next_offset) == 0 && offsetof(tpacket3_hdr, tp_len) == 16 &&
              offsetof(tpacket3_hdr, tp_status) == 20);

// How long a blocking send_batch waits on a full ring while the device drops every frame.
constexpr std::chrono::milliseconds kStallLimit{1000};

// struct virtio_net_hdr of PACKET_VNET_HDR (include/uapi/linux/virtio_net.h, which does not
// compile as C++), in the host's byte order: af_packet.c uses the legacy layout, vio_le().
struct VnetHeader {
  std::uint8_t flags;  // VIRTIO_NET_HDR_F_*: 0, no checksum request
  std::uint8_t gso_type;  // VIRTIO_NET_HDR_GSO_NONE
  std::uint16_t hdr_len;  // bytes tpacket_snd copies into the linear area
  std::uint16_t gso_size;
  std::uint16_t csum_start;
  std::uint16_t csum_offset;
};
constexpr std::size_t kVnetHeader = sizeof(VnetHeader);
static_assert(kVnetHeader == 10 && offsetof(VnetHeader, hdr_len) == 2 && offsetof(VnetHeader, csum_offset) == 8);

std::size_t round_up(std::size_t v, std::size_t to) { return (v + to - 1) / to * to; }

}  // namespace

struct TxRing::Impl {
  inject::UniqueFd fd;
  linux_capture::Mapping map;
  std::string device;
  std::string description;
  LinkLimits limits;
  bool nonblocking = false;
  bool v3 = false;
  std::size_t data_offset = kV2Data;
  std::size_t status_offset = 0;
  std::size_t len_offset = 4;
  std::size_t slot_size = 0;
  std::size_t vnet = 0;          // kVnetHeader when PACKET_VNET_HDR is on, else 0
  std::size_t linear_bytes = 0;  // hdr_len cap in the virtio_net_hdr
  std::vector<std::byte*> slots;
  std::size_t head = 0;  // next slot we fill
  std::size_t tail = 0;  // oldest slot not yet seen completed
  TxRingStats counters;
  std::size_t last_sent = 0;

  std::atomic_ref<std::uint32_t> status(std::byte* slot) const noexcept {
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(slot + status_offset));
  }
  [[nodiscard]] std::uint64_t pending() const noexcept {
    return counters.queued - counters.completed - counters.rejected;
  }
  // Walks from the oldest pending slot while the kernel has released slots.
  void reap() noexcept {
    while (pending() > 0) {
      std::byte* slot = slots[tail];
      std::uint32_t st = status(slot).load(std::memory_order_acquire);
      if (st == TP_STATUS_AVAILABLE) {
        ++counters.completed;
      } else if (st & TP_STATUS_WRONG_FORMAT) {
        ++counters.rejected;
        status(slot).store(TP_STATUS_AVAILABLE, std::memory_order_release);
      } else {
        break;
      }
      tail = tail + 1 == slots.size() ? 0 : tail + 1;
    }
  }
  // Tells the kernel to send what is queued, without waiting. EAGAIN and ENOBUFS leave the
  // frames queued for the next kick and are returned as 0; `dropped` says whether it was
  // ENOBUFS (the device dropped the first frame: a full or stopped queue, or no carrier with
  // qdisc bypass, where tpacket_snd puts the frame back to TP_STATUS_SEND_REQUEST).
  int kick(bool* dropped = nullptr) noexcept {
    if (dropped != nullptr) *dropped = false;
    while (true) {
      ssize_t r = ::send(fd.get(), nullptr, 0, MSG_DONTWAIT);
      if (r >= 0) return 0;
      int err = errno;
      if (err == EINTR) continue;
      if (err == ENOBUFS && dropped != nullptr) *dropped = true;
      if (err == EAGAIN || err == ENOBUFS) return 0;
      return err;
    }
  }

  template <class FrameAt>
  Result<std::size_t> send_frames(std::size_t count, FrameAt at) {
    last_sent = 0;
    const std::size_t capacity = slot_size - data_offset - vnet;
    for (std::size_t i = 0; i < count; ++i) {
      FrameBytes f = at(i);
      if (f.size() > capacity) {
        if (int err = kick()) return kick_error(err, i, count);
        return inject::batch_error(Errc::invalid_argument, 0, device, "TX ring", i, count, i,
                                   fmt::format("frame of {} bytes does not fit a {}-byte ring slot ({} bytes of data)",
                                               f.size(), slot_size, capacity),
                                   "queued");
      }
      if (limits.checked && (f.size() > limits.max_frame(false) || f.size() < limits.link_header)) {
        if (auto problem = inject::frame_problem(limits, f)) {
          if (int err = kick()) return kick_error(err, i, count);
          return inject::batch_error(Errc::invalid_argument, 0, device, "TX ring", i, count, i, *problem, "queued");
        }
      }
      if (pending() == slots.size()) reap();
      if (pending() == slots.size()) {
        if (nonblocking) {
          if (int err = kick()) return kick_error(err, i, count);
          reap();
          if (pending() == slots.size()) {
            return inject::batch_error(Errc::io, EAGAIN, device, "TX ring", i, count, i,
                                       fmt::format("TX ring full (non-blocking, {} slots pending)", slots.size()),
                                       "queued");
          }
        } else {
          // Not a blocking send(): it would also wait for the completion of every queued frame,
          // without a bound when the device holds them (tpacket_snd's need_wait). A device that
          // drops every frame (ENOBUFS) without completing any for kStallLimit is an error,
          // not a wait forever.
          auto stalled_since = std::chrono::steady_clock::now();
          while (pending() == slots.size()) {
            bool dropped = false;
            if (int err = kick(&dropped)) return kick_error(err, i, count);
            const std::uint64_t before = counters.completed + counters.rejected;
            reap();
            if (pending() == slots.size()) {
              pollfd p{fd.get(), POLLOUT, 0};
              ::poll(&p, 1, 1);
              reap();
            }
            const auto now = std::chrono::steady_clock::now();
            if (counters.completed + counters.rejected != before) {
              stalled_since = now;
            } else if (dropped && now - stalled_since > kStallLimit) {
              return stall_error(i, count);
            }
          }
        }
      }
      std::byte* slot = slots[head];
      if (vnet != 0) {
        VnetHeader h{};
        h.hdr_len = static_cast<std::uint16_t>(std::min(f.size(), linear_bytes));
        std::memcpy(slot + data_offset, &h, sizeof h);
      }
      std::memcpy(slot + data_offset + vnet, f.data(), f.size());
      const auto len = static_cast<std::uint32_t>(f.size() + vnet);
      std::memcpy(slot + len_offset, &len, sizeof len);
      if (v3) {
        const std::uint32_t zero = 0;
        std::memcpy(slot + offsetof(tpacket3_hdr, tp_next_offset), &zero, sizeof zero);
        std::memcpy(slot + offsetof(tpacket3_hdr, tp_snaplen), &len, sizeof len);
      } else {
        std::memcpy(slot + offsetof(tpacket2_hdr, tp_snaplen), &len, sizeof len);
      }
      status(slot).store(TP_STATUS_SEND_REQUEST, std::memory_order_release);
      head = head + 1 == slots.size() ? 0 : head + 1;
      ++counters.queued;
      last_sent = i + 1;
    }
    if (int err = kick()) return kick_error(err, count, count);
    return count;
  }

  std::unexpected<Error> stall_error(std::size_t index, std::size_t total) const {
    return inject::batch_error(Errc::io, ENOBUFS, device, "TX ring", index, total, index,
                               fmt::format("the device drops every frame (send: {}; no carrier, or its queue "
                                           "stays stopped) and none of the {} queued completed in {} ms",
                                           std::strerror(ENOBUFS), slots.size(), kStallLimit.count()),
                               "queued");
  }

  std::unexpected<Error> kick_error(int err, std::size_t index, std::size_t total) const {
    // Frames before `index` are in the ring; the kernel refused to send them now.
    std::string reason = inject::errno_reason(err, device, "send (TX ring kick)");
    return std::unexpected(Error{inject::errc_for(err),
                                 fmt::format("{}: TX ring: {}; {} but not sent{}", device, reason,
                                             inject::sent_summary(index, total, "queued"),
                                             index < total ? fmt::format(", frame {} and later not queued", index) : ""),
                                 std::nullopt, std::nullopt, err});
  }
};

TxRing::TxRing(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TxRing::TxRing(TxRing&&) noexcept = default;
TxRing& TxRing::operator=(TxRing&&) noexcept = default;
TxRing::~TxRing() = default;

Result<TxRing> TxRing::open(std::string_view device, const TxRingOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->device = std::string(device);
  impl->nonblocking = options.nonblocking;
  auto fd = inject::open_socket(device, AF_PACKET, SOCK_RAW, 0, "socket(AF_PACKET, SOCK_RAW)");
  if (!fd) return std::unexpected(fd.error());
  impl->fd = std::move(*fd);
  const int sock = impl->fd.get();
  auto limits = inject::read_link(sock, device);
  if (!limits) return std::unexpected(limits.error());
  impl->limits = *limits;
  if (options.send_buffer != 0) {
    auto r = inject::set_int_option(sock, device, SOL_SOCKET, SO_SNDBUF, static_cast<int>(options.send_buffer),
                                     "SO_SNDBUF");
    if (!r) return std::unexpected(r.error());
  }
  if (options.qdisc_bypass) {
    auto r = inject::set_int_option(sock, device, SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
    if (!r) return std::unexpected(r.error());
  }
  // Before the ring: the kernel refuses PACKET_VNET_HDR once a ring exists.
  std::string layout = "page fragments";
  if (options.linear_bytes > 0) {
    int on = 1;
    if (::setsockopt(sock, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof on) == 0) {
      impl->vnet = kVnetHeader;
      impl->linear_bytes = std::min<std::size_t>(options.linear_bytes, 0xffff);
      layout = fmt::format("frames up to {} bytes linear", impl->linear_bytes);
    } else {
      layout = fmt::format("page fragments (PACKET_VNET_HDR refused: {})", std::strerror(errno));
    }
  }

  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t frame_size =
      round_up(std::max<std::size_t>(options.frame_size, kV3Data + impl->vnet + 64), TPACKET_ALIGNMENT);
  const std::size_t block_size = round_up(std::max(frame_size, std::size_t{1} << 16), page);
  const std::size_t per_block = block_size / frame_size;
  const std::size_t blocks = std::max<std::size_t>(1, (std::max<std::size_t>(options.frame_count, 1) + per_block - 1) / per_block);
  const std::size_t frames = per_block * blocks;

  std::string fallback;
  auto try_version = [&](int version) -> int {
    int v = version;
    if (::setsockopt(sock, SOL_PACKET, PACKET_VERSION, &v, sizeof v) != 0) return errno;
    int rc;
    if (version == TPACKET_V3) {
      tpacket_req3 req{};
      req.tp_block_size = static_cast<unsigned>(block_size);
      req.tp_block_nr = static_cast<unsigned>(blocks);
      req.tp_frame_size = static_cast<unsigned>(frame_size);
      req.tp_frame_nr = static_cast<unsigned>(frames);
      rc = ::setsockopt(sock, SOL_PACKET, PACKET_TX_RING, &req, sizeof req);
    } else {
      tpacket_req req{};
      req.tp_block_size = static_cast<unsigned>(block_size);
      req.tp_block_nr = static_cast<unsigned>(blocks);
      req.tp_frame_size = static_cast<unsigned>(frame_size);
      req.tp_frame_nr = static_cast<unsigned>(frames);
      rc = ::setsockopt(sock, SOL_PACKET, PACKET_TX_RING, &req, sizeof req);
    }
    return rc == 0 ? 0 : errno;
  };
  int err = 0;
  bool v3 = options.version != TxRingVersion::v2;
  if (v3) {
    err = try_version(TPACKET_V3);
    if (err != 0 && options.version == TxRingVersion::automatic) {
      fallback = fmt::format(" (TPACKET_V3 TX refused: {}; fell back)", std::strerror(err));
      v3 = false;
    }
  }
  if (!v3) err = try_version(TPACKET_V2);
  if (err != 0) {
    std::string extra = (err == EPERM || err == EACCES) ? " (needs CAP_NET_RAW)" : "";
    return std::unexpected(Error{inject::errc_for(err),
                                 fmt::format("{}: open: setsockopt(PACKET_TX_RING, {} slots of {} bytes, {}): {}{}",
                                             device, frames, frame_size, v3 ? "TPACKET_V3" : "TPACKET_V2",
                                             std::strerror(err), extra),
                                 std::nullopt, std::nullopt, err});
  }
  const std::size_t size = block_size * blocks;
  void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, sock, 0);
  if (addr == MAP_FAILED) return fail_errno(errno, fmt::format("{}: open: mmap of the {}-byte TX ring", device, size));
  impl->map = linux_capture::Mapping(addr, size);
  impl->v3 = v3;
  impl->slot_size = frame_size;
  impl->data_offset = v3 ? kV3Data : kV2Data;
  impl->status_offset = v3 ? offsetof(tpacket3_hdr, tp_status) : offsetof(tpacket2_hdr, tp_status);
  impl->len_offset = v3 ? offsetof(tpacket3_hdr, tp_len) : offsetof(tpacket2_hdr, tp_len);
  impl->slots.reserve(frames);
  for (std::size_t b = 0; b < blocks; ++b) {
    for (std::size_t f = 0; f < per_block; ++f) impl->slots.push_back(impl->map.data() + b * block_size + f * frame_size);
  }
  if (auto r = inject::bind_packet(sock, device, impl->limits.ifindex); !r) return std::unexpected(r.error());
  impl->description = fmt::format("{} TX ring: {} slots of {} bytes in {} blocks of {}, {}, qdisc bypass {}{}",
                                  v3 ? "TPACKET_V3" : "TPACKET_V2", frames, frame_size, blocks, block_size, layout,
                                  options.qdisc_bypass ? "on" : "off", fallback);
  return TxRing(std::move(impl));
}

Result<std::size_t> TxRing::send_batch(std::span<const FrameBytes> frames) {
  return impl_->send_frames(frames.size(), [&](std::size_t i) { return frames[i]; });
}

Result<std::size_t> TxRing::send_batch(Batch packets) {
  return impl_->send_frames(packets.size(), [&](std::size_t i) { return packets[i].data; });
}

std::size_t TxRing::last_batch_sent() const noexcept { return impl_->last_sent; }

Result<std::uint64_t> TxRing::wait_completion(int timeout_ms) {
  Impl& im = *impl_;
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    im.reap();
    if (im.pending() == 0) return im.counters.completed;
    if (int err = im.kick()) {
      return std::unexpected(Error{inject::errc_for(err),
                                   fmt::format("{}: TX ring: {}; {} frames still queued", im.device,
                                               inject::errno_reason(err, im.device, "send (TX ring kick)"), im.pending()),
                                   std::nullopt, std::nullopt, err});
    }
    im.reap();
    if (im.pending() == 0) return im.counters.completed;
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    if (timeout_ms >= 0 && waited.count() >= timeout_ms) {
      return fail(Errc::io, fmt::format("{}: TX ring: {} of {} frames not completed after {} ms", im.device,
                                        im.pending(), im.counters.queued, timeout_ms));
    }
    pollfd p{im.fd.get(), POLLOUT, 0};
    ::poll(&p, 1, 1);
  }
}

TxRingStats TxRing::stats() {
  impl_->reap();
  return impl_->counters;
}

const std::string& TxRing::device() const noexcept { return impl_->device; }
const LinkLimits& TxRing::limits() const noexcept { return impl_->limits; }
const std::string& TxRing::ring_description() const noexcept { return impl_->description; }
std::size_t TxRing::slot_capacity() const noexcept { return impl_->slot_size - impl_->data_offset - impl_->vnet; }
int TxRing::fd() const noexcept { return impl_->fd.get(); }

}  // namespace pcapxx
