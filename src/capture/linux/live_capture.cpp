// LiveCapture: opening an AF_PACKET socket with a TPACKET_V1/V2/V3 ring, waiting for packets
// and the public calls. Taking packets out of the ring is ring_reader.cpp. The delivered
// block (V3) or frames (V1/V2) go back to the kernel at the start of the next call; views and
// ifindexes are reserved for a full batch so nothing allocates per packet.
//
// Not done: monitor mode (refused), hardware timestamps, a distinct "interrupted" batch status (the seam
// has none; interrupted() tells), V1 VLAN tags (the V1 header has no room for them).
#include "pcapxx/capture.hpp"

// <net/if.h> first: the uapi headers then leave out their copies of struct ifreq and IFF_*.
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/wireless.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "capture/linux/fd.hpp"
#include "capture/linux/live_impl.hpp"
#include "capture/linux/netlink.hpp"
#include "capture/linux/ring.hpp"
#include "pcapxx/device.hpp"

namespace pcapxx {

using linux_capture::Ring;
using linux_capture::UniqueFd;

namespace {

constexpr std::uint32_t kMaximumSnaplen = 262144;  // libpcap's MAXIMUM_SNAPLEN
// Smallest footprint of a packet in a V3 block: aligned tpacket3_hdr + sockaddr_ll + data.
constexpr std::uint32_t kMinPacketFootprint = 80;

std::int64_t monotonic_ms() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

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

namespace {

// The same failure with a message that says more (code and errno kept).
std::unexpected<Error> amended(const Error& e, std::string message) {
  Error copy = e;
  copy.message = std::move(message);
  return std::unexpected(std::move(copy));
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

namespace {

/// The largest packet a V1/V2 frame must hold: the device's MTU plus room for a link header
/// and two VLAN tags (for "any", the largest MTU of any device), never more than the snaplen.
std::uint32_t largest_packet(std::uint32_t ifindex, std::uint32_t snaplen, int netlink_fd) {
  std::uint32_t mtu = 0;
  if (ifindex != 0) {
    if (auto link = linux_capture::get_link(netlink_fd, ifindex)) mtu = link->mtu;
  } else if (auto links = linux_capture::dump_links()) {
    for (const auto& l : *links) mtu = std::max(mtu, l.mtu);
  }
  if (mtu == 0) return snaplen;
  return std::min<std::uint32_t>(snaplen, mtu + 32);
}

/// A socket that receives what the capture receives into a tiny queue, for its wake-ups only:
/// V3 wakes a reader when a block retires, the doorbell when a packet arrives. It is bound
/// before the capture socket: af_packet.c adds taps at the head of the list, so the capture's
/// ring has each packet before the doorbell rings (Documentation says nothing; see
/// dev_add_pack). A full queue drops quietly, so floods cost it a filter run and a check.
Result<UniqueFd> open_doorbell(const std::string& dev, std::uint32_t ifindex, const CaptureOptions& o,
                               std::span<const BpfInsn> kernel_program) {
  UniqueFd bell(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!bell.valid()) return fail_errno(errno, fmt::format("{}: immediate mode: socket(AF_PACKET) for wake-ups", dev));
  int small = 1;  // the kernel raises it to its minimum
  ::setsockopt(bell.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  if (!kernel_program.empty()) {
    if (auto ok = attach_filter(bell.get(), dev, kernel_program, "immediate mode"); !ok) return std::unexpected(ok.error());
  }
  if (o.direction == CaptureDirection::in) {
    int one = 1;
    ::setsockopt(bell.get(), SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  }
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(o.protocol);
  addr.sll_ifindex = static_cast<int>(ifindex);
  if (::bind(bell.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    return fail_errno(errno, fmt::format("{}: immediate mode: bind wake-up socket", dev));
  }
  return bell;
}

const char* version_name(int v) { return v == 1 ? "TPACKET_V1" : v == 2 ? "TPACKET_V2" : "TPACKET_V3"; }

// x86 keeps stores in order (TSO), which reading an open V3 block depends on (ring_reader.cpp).
#if defined(__x86_64__) || defined(__i386__)
constexpr bool kStoresKeepOrder = true;
#else
constexpr bool kStoresKeepOrder = false;
#endif

}  // namespace

Result<std::unique_ptr<LiveCapture>> LiveCapture::open(std::string_view device_name,
                                                       const CaptureOptions& options) {
  return Impl::open(device_name, options, {});
}

Result<std::unique_ptr<LiveCapture>> LiveCapture::Impl::open(std::string_view device_name,
                                                             const CaptureOptions& options,
                                                             const AfterBind& after_bind) {
  auto impl = std::make_unique<Impl>();
  Impl& c = *impl;
  c.device = std::string(device_name);
  c.options = options;
  c.snaplen = options.snaplen == 0 || options.snaplen > kMaximumSnaplen ? kMaximumSnaplen
                                                                        : options.snaplen;
  c.version = static_cast<int>(options.tpacket_version);
  const std::string& dev = c.device;
  if (dev.empty() || dev.size() >= IFNAMSIZ) {
    return fail(Errc::invalid_argument, fmt::format("'{}': not a valid device name", dev));
  }
  if (c.version < 1 || c.version > 3) {
    return fail(Errc::invalid_argument, fmt::format("{}: TPACKET version {} does not exist", dev, c.version));
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
    c.drops_at_open.rx_dropped = link->rx_dropped;
    c.drops_at_open.rx_missed = link->rx_missed_errors + link->rx_fifo_errors + link->rx_over_errors;
  }
  if (c.cooked) {
    if (options.cooked_link_type != dlt::kLinuxSll && options.cooked_link_type != dlt::kLinuxSll2) {
      return fail(Errc::invalid_argument,
                  fmt::format("{}: a cooked capture delivers LINUX_SLL ({}) or LINUX_SLL2 ({}) frames, not link type {}",
                              dev, dlt::kLinuxSll.dlt, dlt::kLinuxSll2.dlt, options.cooked_link_type.dlt));
    }
    c.link_type = options.cooked_link_type;
    c.link_types = {dlt::kLinuxSll, dlt::kLinuxSll2};
  } else {
    c.link_type = link_type;
    c.link_types = {link_type};
  }
  c.lo_ifindex = ::if_nametoindex("lo");
  c.softnet_at_open = linux_capture::read_softnet();

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
  if (options.monitor) {
    // A wireless device answers the wireless-extensions name query (cfg80211's compat layer);
    // asked through the socket, so it is this namespace's device (sysfs shows the mount's).
    iwreq wrq{};
    std::memcpy(wrq.ifr_ifrn.ifrn_name, dev.data(), dev.size());
    if (c.ifindex == 0 || ::ioctl(s, SIOCGIWNAME, &wrq) < 0) {
      return fail(Errc::unsupported,
                  fmt::format("{}: activate: that device doesn't support monitor mode (it is not a wireless device)", dev));
    }
    return fail(Errc::unsupported,
                fmt::format("{}: activate: monitor mode on a wireless device is not implemented in pcapxx", dev));
  }

  c.wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!c.wake.valid()) return fail_errno(errno, fmt::format("{}: activate: eventfd", dev));

  const int version = c.version == 1 ? TPACKET_V1 : c.version == 2 ? TPACKET_V2 : TPACKET_V3;
  if (::setsockopt(s, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) {
    return fail_errno(errno, fmt::format("{}: activate: setsockopt(PACKET_VERSION, {})", dev, version_name(c.version)));
  }
  unsigned reserve = linux_capture::kFrameReserve;
  if (::setsockopt(s, SOL_PACKET, PACKET_RESERVE, &reserve, sizeof reserve) < 0) {
    return fail_errno(errno, fmt::format("{}: activate: setsockopt(PACKET_RESERVE, {})", dev, reserve));
  }
  if (options.filter) {
    if (auto ok = check_program(dev, *options.filter); !ok) return std::unexpected(ok.error());
    auto prepared = c.prepare_filter(*options.filter, c.link_type);
    if (!prepared) return std::unexpected(prepared.error());
    if (auto ok = c.install_filter(std::move(*prepared), *options.filter, "activate"); !ok) {
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
  if (c.version == 1 && options.nanosecond) {
    c.warnings.push_back(fmt::format("{}: TPACKET_V1 has microsecond timestamps only", dev));
  }

  // Immediate on V3: read the open block (peek) and wake per packet through the doorbell; the
  // 1 ms block timeout stays as the backstop.
  c.peek = options.immediate && c.version == 3 && kStoresKeepOrder;
  // A ring is pinned kernel memory: one larger than the machine's memory can never be
  // mapped, and trying would push the machine into reclaim before ENOMEM; use the default.
  std::size_t buffer_size = options.buffer_size;
  const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
  const std::size_t physical =
      pages > 0 && page_size > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_size) : 0;
  if (physical != 0 && buffer_size > physical) {
    buffer_size = CaptureOptions{}.buffer_size;
    c.warnings.push_back(fmt::format("{}: buffer of {} bytes is larger than this machine's memory ({} bytes); "
                                     "using the default {} bytes", dev, options.buffer_size, physical, buffer_size));
  }
  std::uint32_t tov = options.immediate ? 1u
                      : options.timeout_ms > 0 ? static_cast<std::uint32_t>(options.timeout_ms)
                                               : 0u;
  auto geometry = c.version == 3
                      ? linux_capture::plan_ring(buffer_size, c.snaplen, tov)
                      : linux_capture::plan_frame_ring(c.version, buffer_size,
                                                       largest_packet(c.ifindex, c.snaplen, c.netlink.get()));
  auto ring = Ring::create(s, dev, geometry, c.warnings);
  if (!ring) return std::unexpected(ring.error());
  c.ring = std::move(*ring);
  const auto& g = c.ring.geometry();
  std::size_t capacity = 0;
  if (c.version == 3) {
    capacity = g.block_size / kMinPacketFootprint + 1;
    c.ring_description = fmt::format(
        "TPACKET_V3, {} blocks of {} bytes, block timeout {} ms, reserve {}, {}{}", g.block_count,
        g.block_size, g.retire_tov_ms, reserve, c.cooked ? "SOCK_DGRAM (cooked)" : "SOCK_RAW",
        c.peek ? ", immediate: reads the open block, wakes per packet"
               : options.immediate ? ", immediate: 1 ms block timeout" : "");
  } else {
    c.batch_limit = std::max<std::uint32_t>(1, std::min<std::uint32_t>(g.frame_count() / 2, 1024));
    capacity = c.batch_limit;
    c.ring_description = fmt::format("{}, {} frames of {} bytes in {} blocks of {} bytes, reserve {}, {}",
                                     version_name(c.version), g.frame_count(), g.frame_size,
                                     g.block_count, g.block_size, reserve,
                                     c.cooked ? "SOCK_DGRAM (cooked)" : "SOCK_RAW");
  }
  c.views.reserve(capacity);
  c.ifindexes.reserve(capacity);

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

  if (c.peek && !after_bind) {
    auto bell = open_doorbell(dev, c.ifindex, options, c.kernel_program);
    if (bell) {
      c.doorbell = std::move(*bell);
    } else {
      c.warnings.push_back(fmt::format("{}; polling every {} ms instead", bell.error().what(),
                                       Impl::kImmediateFallbackPollMs));
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
  if (after_bind) {
    if (auto ok = after_bind(c); !ok) return std::unexpected(ok.error());
  }

  InterfaceDescription iface;
  iface.link_type = c.link_type;
  iface.snaplen = c.snaplen;
  iface.name = dev;
  if (c.cooked && dev == "any") iface.description = "Pseudo-device that captures on all interfaces";
  iface.ts_units_per_second = options.nanosecond && c.version != 1 ? 1'000'000'000 : 1'000'000;
  c.interfaces.push_back(std::move(iface));

  return std::unique_ptr<LiveCapture>(new LiveCapture(std::move(impl)));
}

LiveCapture::LiveCapture(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LiveCapture::~LiveCapture() = default;

Result<BatchResult> LiveCapture::next_batch() {
  Impl& c = *impl_;
  c.interrupted = false;
  const bool forever = c.options.timeout_ms <= 0;
  const std::int64_t deadline = forever ? 0 : monotonic_ms() + c.options.timeout_ms;
  for (;;) {
    if (c.break_requested.exchange(false, std::memory_order_acq_rel)) {
      c.release_held();
      c.interrupted = true;
      return BatchResult{BatchStatus::end, {}};
    }
    if (c.take_ready()) {
      c.since_wait += c.views.size();
      return BatchResult{BatchStatus::packets, Batch(c.views.data(), c.views.size())};
    }
    if (c.peek) {
      c.coalescing = c.since_wait >= Impl::kCoalescePackets;
      c.since_wait = 0;
    }
    const bool bell = c.doorbell.valid() && !c.coalescing;
    if (bell) {
      // Empty the doorbell, then look once more: a packet that rang before the drain is in
      // the ring by now, one that rings after it wakes the poll below.
      c.drain_doorbell();
      if (c.take_ready()) {
        c.since_wait += c.views.size();
        return BatchResult{BatchStatus::packets, Batch(c.views.data(), c.views.size())};
      }
    }
    int wait_ms = -1;
    if (c.nonblocking) {
      wait_ms = 0;
    } else if (!forever) {
      wait_ms = static_cast<int>(std::max<std::int64_t>(0, deadline - monotonic_ms()));
    }
    if (wait_ms == 0) {
      if (c.break_requested.exchange(false, std::memory_order_acq_rel)) {
        c.interrupted = true;
        return BatchResult{BatchStatus::end, {}};
      }
      return BatchResult{BatchStatus::timeout, {}};
    }
    long most_ns = -1;
    if (c.peek && !bell) most_ns = c.coalescing ? Impl::kCoalesceWaitNs : Impl::kImmediateFallbackPollMs * 1'000'000L;
    timespec limit{};
    const timespec* bound = Impl::wait_limit(wait_ms, most_ns, limit);
    pollfd fds[3] = {{c.sock.get(), POLLIN, 0}, {c.wake.get(), POLLIN, 0}, {c.doorbell.get(), POLLIN, 0}};
    int n = ::ppoll(fds, bell ? 3 : 2, bound, nullptr);
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

void LiveCapture::Impl::update_stats() const {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  // PACKET_STATISTICS resets the kernel's counters on every read, so they are accumulated.
  // V1/V2 fill the first two fields (struct tpacket_stats).
  if (::getsockopt(sock.get(), SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
    totals.received += st.tp_packets;  // includes tp_drops (af_packet.c packet_getsockopt)
    totals.dropped += st.tp_drops;
    if (version == 3 && len >= sizeof st) totals.ring_freezes += st.tp_freeze_q_cnt;
  }
  if (ifindex != 0) {
    if (auto link = linux_capture::get_link(netlink.get(), ifindex)) {
      totals.if_dropped = link->rx_dropped - std::min(link->rx_dropped, drops_at_open.rx_dropped);
    }
  }
}

CaptureStats LiveCapture::stats() const {
  impl_->update_stats();
  return impl_->totals;
}

Result<LiveCapture::Impl::PreparedFilter> LiveCapture::Impl::prepare_filter(const BpfProgram& program,
                                                                            LinkType program_link) const {
  // Checked here with the userspace rules, so that a refusal by the kernel can always fall
  // back to userspace (a protochain program passes these and not the kernel's).
  if (auto valid = validate_program(program, BpfRules::libpcap); !valid) {
    return fail(Errc::invalid_argument, fmt::format("{}: set filter: {}", device, valid.error().message));
  }
  PreparedFilter p{plan_kernel_filter(program, program_link, snaplen), std::nullopt};
  if (p.plan.placement == FilterPlacement::userspace || p.plan.placement == FilterPlacement::kernel_and_userspace) {
    auto runner = BpfRunner::create(program, BpfRules::libpcap);
    if (!runner) return fail(runner.error().code, fmt::format("{}: set filter: {}", device, runner.error().message));
    p.runner = std::move(*runner);
  }
  return p;
}

void LiveCapture::Impl::note_filter(FilterPlacement placement, std::string note, int refusal_errno) {
  filter_placement = placement;
  filter_note = std::move(note);
  filter_refusal_errno = refusal_errno;
  if (!filter_note.empty()) warnings.push_back(fmt::format("{}: filtering in userspace: {}", device, filter_note));
}

Result<void> LiveCapture::Impl::install_filter(PreparedFilter prepared, const BpfProgram& program,
                                               std::string_view step) {
  KernelFilterPlan& plan = prepared.plan;
  auto attached = attach_filter(sock.get(), device, plan.kernel, step);
  int refusal = 0;
  if (!attached) {
    // Refused (an instruction this kernel lacks, a backward jump, net.core.optmem_max): the
    // kernel passes everything and the whole program runs in userspace.
    refusal = attached.error().sys_errno != 0 ? attached.error().sys_errno : EINVAL;
    if (!prepared.runner) {
      auto runner = BpfRunner::create(program, BpfRules::libpcap);
      if (!runner) return fail(runner.error().code, fmt::format("{}: {}: {}", device, step, runner.error().message));
      prepared.runner = std::move(*runner);
    }
    const BpfInsn accept_all[] = {bpf::stmt(bpf::kRet | bpf::kK, snaplen)};
    if (auto ok = attach_filter(sock.get(), device, accept_all, step); !ok) {
      return amended(ok.error(), fmt::format("{}; and then {}", attached.error().message, ok.error().message));
    }
    plan.kernel.assign(std::begin(accept_all), std::end(accept_all));
    plan.placement = FilterPlacement::userspace;
    plan.reason = fmt::format("the kernel refused the program (setsockopt(SO_ATTACH_FILTER, {} instructions): {}){}",
                              program.size(), std::strerror(refusal),
                              refusal == ENOMEM ? "; a larger net.core.optmem_max lets it in" : "");
  }
  kernel_program = plan.kernel;
  kernel_accepts_all = plan.placement == FilterPlacement::userspace;
  if (doorbell.valid()) {
    // The doorbell only wakes the reader: if it keeps its old program it wakes too often or
    // too rarely, never wrongly delivers; so without its program it passes everything.
    if (!attach_filter(doorbell.get(), device, plan.kernel, step)) {
      ::setsockopt(doorbell.get(), SOL_SOCKET, SO_DETACH_FILTER, nullptr, 0);
    }
  }
  user_filter = std::move(prepared.runner);
  note_filter(plan.placement, std::move(plan.reason), refusal);
  return {};
}

Result<void> LiveCapture::set_filter(const BpfProgram& program) {
  Impl& c = *impl_;
  if (auto ok = check_program(c.device, program); !ok) return ok;
  auto prepared = c.prepare_filter(program, c.link_type);
  if (!prepared) return std::unexpected(prepared.error());
  // Reject everything first, then empty the ring: packets accepted under the old filter must
  // not follow the new one. Resetting the ring frees the block the kernel is filling as well.
  static constexpr BpfInsn kRejectAll[] = {{0x06, 0, 0, 0}};  // BPF_RET | BPF_K, 0
  if (auto ok = attach_filter(c.sock.get(), c.device, kRejectAll, "set filter"); !ok) {
    if (!c.kernel_accepts_all) {
      return amended(ok.error(), fmt::format("{}; the previous filter stays", ok.error().message));
    }
    // The socket filter cannot change (SO_LOCK_FILTER) but passes everything: the program
    // runs in userspace on every frame delivered from now on, those already in the ring too.
    if (!prepared->runner) {
      auto runner = BpfRunner::create(program, BpfRules::libpcap);
      if (!runner) return fail(runner.error().code, fmt::format("{}: set filter: {}", c.device, runner.error().message));
      prepared->runner = std::move(*runner);
    }
    const int refusal = ok.error().sys_errno != 0 ? ok.error().sys_errno : EINVAL;
    c.user_filter = std::move(prepared->runner);
    c.note_filter(FilterPlacement::userspace,
                  fmt::format("the kernel refused to change the socket filter ({})", std::strerror(refusal)), refusal);
    c.interfaces.front().filter.clear();
    return {};
  }
  c.holding = false;
  c.held = 0;
  c.peeked = 0;
  c.peek_offset = 0;
  c.views.clear();
  c.ifindexes.clear();
  c.user_filter.reset();
  if (auto ok = c.ring.reset(c.sock.get(), c.device); !ok) {
    return amended(ok.error(), fmt::format("{}; the capture delivers nothing until a filter is set", ok.error().message));
  }
  c.current = 0;
  if (auto ok = c.install_filter(std::move(*prepared), program, "set filter"); !ok) {
    return amended(ok.error(), fmt::format("{}; the capture delivers nothing until a filter is set", ok.error().message));
  }
  c.interfaces.front().filter.clear();
  return {};
}

std::span<const LinkType> LiveCapture::link_types() const noexcept { return impl_->link_types; }

Result<void> LiveCapture::set_link_type(LinkType link) {
  Impl& c = *impl_;
  if (std::find(c.link_types.begin(), c.link_types.end(), link) == c.link_types.end()) {
    std::string offered;
    for (LinkType t : c.link_types) offered += fmt::format("{}{}", offered.empty() ? "" : ", ", t.dlt);
    return fail(Errc::unsupported, fmt::format("{}: set link type {}: this capture delivers only link type(s) {}",
                                               c.device, link.dlt, offered));
  }
  // emit() reads these per packet; the header of each frame is written when it is delivered.
  c.link_type = link;
  c.interfaces.front().link_type = link;
  return {};
}

FilterPlacement LiveCapture::filter_placement() const noexcept { return impl_->filter_placement; }
const std::string& LiveCapture::filter_note() const noexcept { return impl_->filter_note; }
int LiveCapture::filter_refusal_errno() const noexcept { return impl_->filter_refusal_errno; }

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

bool LiveCapture::interrupted() const noexcept { return impl_->interrupted; }
TpacketVersion LiveCapture::tpacket_version() const noexcept {
  return static_cast<TpacketVersion>(impl_->version);
}
std::optional<std::uint16_t> LiveCapture::fanout_group() const noexcept { return impl_->fanout_group; }
const std::string& LiveCapture::device() const noexcept { return impl_->device; }
const std::string& LiveCapture::ring_description() const noexcept { return impl_->ring_description; }
std::span<const std::string> LiveCapture::warnings() const noexcept { return impl_->warnings; }

}  // namespace pcapxx
