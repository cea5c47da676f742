// LiveCapture: an AF_PACKET socket with a TPACKET_V3 ring, delivering one ring block per batch.
// The block is handed back to the kernel at the start of the next call; per packet there is no
// system call, lock or allocation (views and ifindexes are reserved for a full block of minimum
// sized frames). VLAN tags and cooked headers are written into the frame's headroom.
//
// Not done yet: TPACKET_V2 (for a true immediate mode), PACKET_FANOUT, several devices per
// capture, reporting tp_freeze_q_cnt, a distinct "interrupted" batch status for break_loop.
#include "pcapxx/capture.hpp"

// <net/if.h> first: the uapi headers then leave out their copies of struct ifreq and IFF_*.
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "capture/linux/fd.hpp"
#include "capture/linux/frame_fixups.hpp"
#include "capture/linux/netlink.hpp"
#include "capture/linux/ring.hpp"
#include "pcapxx/device.hpp"

namespace pcapxx {

using linux_capture::RingV3;
using linux_capture::UniqueFd;

namespace {

constexpr std::uint32_t kMaximumSnaplen = 262144;  // libpcap's MAXIMUM_SNAPLEN
constexpr std::uint16_t kTpid8021Q = 0x8100;
// Smallest footprint of a packet in a V3 block: aligned tpacket3_hdr + sockaddr_ll + data.
constexpr std::uint32_t kMinPacketFootprint = 80;

template <class T>
T* ring_cast(std::byte* p) noexcept {
  return static_cast<T*>(static_cast<void*>(p));
}

std::int64_t monotonic_ms() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

/// pcapng epb_flags reception type (bits 2-4) for an sll_pkttype.
PacketFlags reception_flags(unsigned pkttype) noexcept {
  switch (pkttype) {
    case PACKET_HOST: return 1u << 2;
    case PACKET_MULTICAST: return 2u << 2;
    case PACKET_BROADCAST: return 3u << 2;
    case PACKET_OTHERHOST: return 4u << 2;
    default: return 0;
  }
}

Result<void> attach_filter(int sock, const std::string& device, std::span<const BpfInsn> program,
                           std::string_view step) {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.size());
  // BpfInsn is laid out as struct sock_filter (bpf.hpp).
  prog.filter = const_cast<sock_filter*>(static_cast<const sock_filter*>(static_cast<const void*>(program.data())));
  if (::setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) {
    return fail_errno(errno, fmt::format("{}: {}: setsockopt(SO_ATTACH_FILTER, {} instructions)",
                                         device, step, program.size()));
  }
  return {};
}

Result<void> check_program(const std::string& device, const BpfProgram& program) {
  if (program.empty() || program.size() > BPF_MAXINSNS) {
    return fail(Errc::invalid_argument,
                fmt::format("{}: set filter: a program has 1 to {} instructions, not {}", device,
                            BPF_MAXINSNS, program.size()));
  }
  return {};
}

}  // namespace

static_assert(sizeof(BpfInsn) == sizeof(sock_filter));
static_assert(offsetof(sock_filter, k) == 4);

struct LiveCapture::Impl {
  std::string device;
  CaptureOptions options;
  std::uint32_t snaplen = kMaximumSnaplen;
  std::uint32_t ifindex = 0;      // 0 for "any"
  std::uint32_t lo_ifindex = 0;   // outgoing copies on lo are skipped (lo sees each packet twice)
  bool cooked = false;
  bool ethernet = false;
  UniqueFd sock;
  UniqueFd wake;                  // eventfd for break_loop
  UniqueFd netlink;               // for the device's rx_dropped
  RingV3 ring;
  std::uint32_t current = 0;      // block the next batch comes from
  bool holding = false;           // `current` was delivered and is not yet released
  bool nonblocking = false;
  std::atomic<bool> break_requested{false};
  std::vector<PacketView> views;
  std::vector<std::uint32_t> ifindexes;  // parallel to views
  std::vector<InterfaceDescription> interfaces;
  std::string ring_description;
  std::vector<std::string> warnings;
  mutable CaptureStats totals;
  std::uint64_t rx_dropped_at_open = 0;

  void release_held() noexcept {
    if (!holding) return;
    auto* desc = ring_cast<tpacket_block_desc>(ring.block(current));
    std::atomic_ref<std::uint32_t>(desc->hdr.bh1.block_status)
        .store(TP_STATUS_KERNEL, std::memory_order_release);
    current = (current + 1) % ring.geometry().block_count;
    holding = false;
  }

  void parse_block(std::byte* block) noexcept;
  Result<void> socket_error() const;
};

void LiveCapture::Impl::parse_block(std::byte* block) noexcept {
  views.clear();
  ifindexes.clear();
  const auto* desc = ring_cast<tpacket_block_desc>(block);
  const std::uint32_t count = desc->hdr.bh1.num_pkts;
  std::uint32_t offset = desc->hdr.bh1.offset_to_first_pkt;
  const bool want_in = options.direction != CaptureDirection::out;
  const bool want_out = options.direction != CaptureDirection::in;
  const std::uint32_t block_size = ring.geometry().block_size;
  for (std::uint32_t i = 0; i < count && offset < block_size; ++i) {
    std::byte* frame = block + offset;
    auto* hdr = ring_cast<tpacket3_hdr>(frame);
    const auto* sll = ring_cast<const sockaddr_ll>(frame + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
    offset += hdr->tp_next_offset;

    const bool outgoing = sll->sll_pkttype == PACKET_OUTGOING;
    if (outgoing && static_cast<std::uint32_t>(sll->sll_ifindex) == lo_ifindex) continue;
    if (outgoing ? !want_out : !want_in) continue;

    std::byte* data = frame + hdr->tp_mac;
    std::uint32_t caplen = hdr->tp_snaplen;
    std::uint32_t origlen = hdr->tp_len;
    const bool has_vlan = (hdr->tp_status & TP_STATUS_VLAN_VALID) != 0;
    const std::uint16_t tpid = (hdr->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0
                                   ? hdr->hv1.tp_vlan_tpid
                                   : kTpid8021Q;
    const auto tci = static_cast<std::uint16_t>(hdr->hv1.tp_vlan_tci);
    // Headroom ends where sockaddr_ll ends; PACKET_RESERVE guarantees kFrameReserve more than
    // the 16 bytes af_packet.c always leaves, which is what both rewrites need.
    std::byte* headroom_start = frame + TPACKET3_HDRLEN;
    if (cooked) {
      linux_capture::CookedFields f{sll->sll_pkttype, sll->sll_hatype, sll->sll_halen,
                                    sll->sll_addr, sll->sll_protocol};
      std::uint32_t grow = linux_capture::kSllHeaderLength + (has_vlan ? linux_capture::kVlanTagLength : 0);
      if (data - grow >= headroom_start) {
        data = linux_capture::write_cooked_header(data, f, has_vlan, tpid, tci);
        caplen += grow;
        origlen += grow;
      }
    } else if (has_vlan && ethernet && caplen >= linux_capture::kMacAddressesLength &&
               data - linux_capture::kVlanTagLength >= headroom_start) {
      data = linux_capture::reinsert_vlan_ethernet(data, tpid, tci);
      caplen += linux_capture::kVlanTagLength;
      origlen += linux_capture::kVlanTagLength;
    }
    caplen = std::min(caplen, snaplen);

    ifindexes.push_back(static_cast<std::uint32_t>(sll->sll_ifindex));
    PacketView& v = views.emplace_back();
    std::int64_t ns = std::int64_t{hdr->tp_sec} * 1'000'000'000 + hdr->tp_nsec;
    if (!options.nanosecond) ns -= ns % 1000;
    v.header.ts = Timestamp{ns};
    v.header.caplen = caplen;
    v.header.origlen = origlen;
    v.header.interface = 0;
    v.header.direction = outgoing ? Direction::outbound : Direction::inbound;
    v.header.has_flags = true;
    v.header.flags = (outgoing ? 2u : 1u) | reception_flags(sll->sll_pkttype);
    v.data = std::span<const std::byte>(data, caplen);
  }
}

Result<void> LiveCapture::Impl::socket_error() const {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err == ENETDOWN) {
    return std::unexpected(Error{Errc::io, fmt::format("{}: read: the interface went down", device),
                                 std::nullopt, std::nullopt, ENETDOWN});
  }
  if (err == ENODEV || err == ENXIO) {
    return std::unexpected(Error{Errc::not_found, fmt::format("{}: read: the device was removed", device),
                                 std::nullopt, std::nullopt, err});
  }
  return fail_errno(err, fmt::format("{}: read: poll", device));
}

Result<std::unique_ptr<LiveCapture>> LiveCapture::open(std::string_view device_name,
                                                       const CaptureOptions& options) {
  auto impl = std::make_unique<Impl>();
  Impl& c = *impl;
  c.device = std::string(device_name);
  c.options = options;
  c.snaplen = options.snaplen == 0 || options.snaplen > kMaximumSnaplen ? kMaximumSnaplen
                                                                        : options.snaplen;
  const std::string& dev = c.device;
  if (dev.empty() || dev.size() >= IFNAMSIZ) {
    return fail(Errc::invalid_argument, fmt::format("'{}': not a valid device name", dev));
  }

  auto nl = linux_capture::open_rtnetlink();
  if (!nl) return std::unexpected(nl.error());
  c.netlink = std::move(*nl);

  LinkType link_type = dlt::kLinuxSll;
  if (dev == "any") {
    c.cooked = true;
  } else {
    c.ifindex = ::if_nametoindex(dev.c_str());
    if (c.ifindex == 0) {
      if (errno == ENODEV || errno == ENXIO) {
        return fail(Errc::not_found, fmt::format("{}: no such device", dev));
      }
      return fail_errno(errno, fmt::format("{}: if_nametoindex", dev));
    }
    auto link = linux_capture::get_link(c.netlink.get(), c.ifindex);
    if (!link) return fail(link.error().code, fmt::format("{}: {}", dev, link.error().message));
    link_type = link_type_for_arphrd(link->arphrd);
    c.cooked = link_type == dlt::kLinuxSll;
    c.ethernet = link_type == dlt::kEn10Mb;
    c.rx_dropped_at_open = link->rx_dropped;
  }
  c.lo_ifindex = ::if_nametoindex("lo");

  const int type = c.cooked ? SOCK_DGRAM : SOCK_RAW;
  // Protocol 0: the socket receives nothing until bind, so no packet lands before the ring and
  // filter are in place.
  c.sock.reset(::socket(AF_PACKET, type | SOCK_CLOEXEC, 0));
  if (!c.sock.valid()) {
    int err = errno;
    if (err == EPERM || err == EACCES) {
      auto e = fail_errno(err, fmt::format("{}: activate: socket(AF_PACKET)", dev));
      e.error().message += " (needs CAP_NET_RAW)";
      return e;
    }
    return fail_errno(err, fmt::format("{}: activate: socket(AF_PACKET)", dev));
  }
  const int s = c.sock.get();

  c.wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!c.wake.valid()) return fail_errno(errno, fmt::format("{}: activate: eventfd", dev));

  int version = TPACKET_V3;
  if (::setsockopt(s, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) {
    return fail_errno(errno, fmt::format("{}: activate: setsockopt(PACKET_VERSION, TPACKET_V3)", dev));
  }
  unsigned reserve = linux_capture::kFrameReserve;
  if (::setsockopt(s, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof reserve) < 0) {
    return fail_errno(errno, fmt::format("{}: activate: setsockopt(PACKET_RESERVE, {})", dev, reserve));
  }
  if (options.filter) {
    if (auto ok = check_program(dev, *options.filter); !ok) return std::unexpected(ok.error());
    if (auto ok = attach_filter(s, dev, *options.filter, "activate"); !ok) {
      return std::unexpected(ok.error());
    }
  }
  if (options.direction == CaptureDirection::in) {
    int one = 1;
    if (::setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
      c.warnings.push_back(fmt::format(
          "{}: PACKET_IGNORE_OUTGOING unsupported ({}); outgoing packets are dropped in user space",
          dev, std::strerror(errno)));
    }
  }

  std::uint32_t tov = options.immediate ? 1u
                      : options.timeout_ms > 0 ? static_cast<std::uint32_t>(options.timeout_ms)
                                               : 0u;
  auto geometry = linux_capture::plan_ring(options.buffer_size, c.snaplen, tov);
  auto ring = RingV3::create(s, dev, geometry, c.warnings);
  if (!ring) return std::unexpected(ring.error());
  c.ring = std::move(*ring);
  const auto& g = c.ring.geometry();
  c.views.reserve(g.block_size / kMinPacketFootprint + 1);
  c.ifindexes.reserve(g.block_size / kMinPacketFootprint + 1);
  c.ring_description = fmt::format(
      "TPACKET_V3, {} blocks of {} bytes, block timeout {} ms, reserve {}, {}", g.block_count,
      g.block_size, g.retire_tov_ms, reserve, c.cooked ? "SOCK_DGRAM (cooked)" : "SOCK_RAW");

  if (options.promiscuous) {
    if (c.ifindex == 0) {
      c.warnings.push_back("any: promiscuous mode is not supported on the any device");
    } else {
      packet_mreq mr{};
      mr.mr_ifindex = static_cast<int>(c.ifindex);
      mr.mr_type = PACKET_MR_PROMISC;
      if (::setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        return fail_errno(errno, fmt::format("{}: activate: setsockopt(PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC)", dev));
      }
    }
  }

  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(options.protocol);
  addr.sll_ifindex = static_cast<int>(c.ifindex);
  if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    int err = errno;
    if (err == ENODEV || err == ENXIO) return fail(Errc::not_found, fmt::format("{}: no such device", dev));
    return fail_errno(err, fmt::format("{}: activate: bind", dev));
  }
  // af_packet.c reports a bound device that is not running through sk_err.
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err == ENETDOWN) {
    return std::unexpected(Error{Errc::io, fmt::format("{}: activate: the interface is down", dev),
                                 std::nullopt, std::nullopt, ENETDOWN});
  }
  if (err != 0) return fail_errno(err, fmt::format("{}: activate: bind", dev));

  InterfaceDescription iface;
  iface.link_type = c.cooked ? dlt::kLinuxSll : link_type;
  iface.snaplen = c.snaplen;
  iface.name = dev;
  if (c.cooked && dev == "any") iface.description = "Pseudo-device that captures on all interfaces";
  iface.ts_units_per_second = options.nanosecond ? 1'000'000'000 : 1'000'000;
  c.interfaces.push_back(std::move(iface));

  return std::unique_ptr<LiveCapture>(new LiveCapture(std::move(impl)));
}

LiveCapture::LiveCapture(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LiveCapture::~LiveCapture() = default;

Result<BatchResult> LiveCapture::next_batch() {
  Impl& c = *impl_;
  c.release_held();
  const bool forever = c.options.timeout_ms <= 0;
  const std::int64_t deadline = forever ? 0 : monotonic_ms() + c.options.timeout_ms;
  for (;;) {
    if (c.break_requested.exchange(false, std::memory_order_acq_rel)) {
      return BatchResult{BatchStatus::end, {}};
    }
    std::byte* block = c.ring.block(c.current);
    auto* desc = ring_cast<tpacket_block_desc>(block);
    std::uint32_t status = std::atomic_ref<std::uint32_t>(desc->hdr.bh1.block_status)
                               .load(std::memory_order_acquire);
    if ((status & TP_STATUS_USER) != 0) {
      c.holding = true;
      c.parse_block(block);
      if (!c.views.empty()) {
        return BatchResult{BatchStatus::packets, Batch(c.views.data(), c.views.size())};
      }
      c.release_held();  // every packet skipped (lo duplicates, direction): look further
      continue;
    }
    int wait_ms = -1;
    if (c.nonblocking) {
      wait_ms = 0;
    } else if (!forever) {
      wait_ms = static_cast<int>(std::max<std::int64_t>(0, deadline - monotonic_ms()));
    }
    if (wait_ms == 0 && (c.nonblocking || !forever)) {
      // One last look costs nothing; then report the timeout.
      status = std::atomic_ref<std::uint32_t>(desc->hdr.bh1.block_status).load(std::memory_order_acquire);
      if ((status & TP_STATUS_USER) == 0) {
        if (c.break_requested.exchange(false, std::memory_order_acq_rel)) {
          return BatchResult{BatchStatus::end, {}};
        }
        return BatchResult{BatchStatus::timeout, {}};
      }
      continue;
    }
    pollfd fds[2] = {{c.sock.get(), POLLIN, 0}, {c.wake.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, fmt::format("{}: read: poll", c.device));
    }
    if ((fds[1].revents & POLLIN) != 0) {
      std::uint64_t drained = 0;
      [[maybe_unused]] auto r = ::read(c.wake.get(), &drained, sizeof drained);
    }
    if ((fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return std::unexpected(c.socket_error().error());
  }
}

std::span<const InterfaceDescription> LiveCapture::interfaces() const { return impl_->interfaces; }

CaptureStats LiveCapture::stats() const {
  Impl& c = *impl_;
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  // PACKET_STATISTICS resets the kernel's counters on every read, so they are accumulated.
  if (::getsockopt(c.sock.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    c.totals.received += st.tp_packets;  // includes tp_drops (af_packet.c packet_getsockopt)
    c.totals.dropped += st.tp_drops;
  }
  if (c.ifindex != 0) {
    if (auto link = linux_capture::get_link(c.netlink.get(), c.ifindex)) {
      c.totals.if_dropped = link->rx_dropped - std::min(link->rx_dropped, c.rx_dropped_at_open);
    }
  }
  return c.totals;
}

Result<void> LiveCapture::set_filter(const BpfProgram& program) {
  Impl& c = *impl_;
  if (auto ok = check_program(c.device, program); !ok) return ok;
  // Reject everything first, then empty the ring: packets accepted under the old filter must
  // not follow the new one. Resetting the ring frees the block the kernel is filling as well.
  static constexpr BpfInsn kRejectAll[] = {{0x06, 0, 0, 0}};  // BPF_RET | BPF_K, 0
  if (auto ok = attach_filter(c.sock.get(), c.device, kRejectAll, "set filter"); !ok) return ok;
  c.holding = false;
  c.views.clear();
  c.ifindexes.clear();
  if (auto ok = c.ring.reset(c.sock.get(), c.device); !ok) return ok;
  c.current = 0;
  if (auto ok = attach_filter(c.sock.get(), c.device, program, "set filter"); !ok) return ok;
  c.interfaces.front().filter.clear();
  return {};
}

std::span<const std::uint32_t> LiveCapture::batch_ifindexes() const noexcept {
  return impl_->ifindexes;
}

void LiveCapture::set_nonblocking(bool nonblocking) noexcept { impl_->nonblocking = nonblocking; }
bool LiveCapture::nonblocking() const noexcept { return impl_->nonblocking; }
int LiveCapture::selectable_fd() const noexcept { return impl_->sock.get(); }

void LiveCapture::break_loop() noexcept {
  impl_->break_requested.store(true, std::memory_order_release);
  std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(impl_->wake.get(), &one, sizeof one);
}

const std::string& LiveCapture::device() const noexcept { return impl_->device; }
const std::string& LiveCapture::ring_description() const noexcept { return impl_->ring_description; }
std::span<const std::string> LiveCapture::warnings() const noexcept { return impl_->warnings; }

}  // namespace pcapxx
