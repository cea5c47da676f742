// pcapxx: sending packets on a live device (Linux). Three ways to send link-layer frames and one
// for bare IP datagrams:
//
//   Injector    PF_PACKET SOCK_RAW bound to the device: inject() sends one frame (pcap_inject),
//               send_batch() sends a span of frames with one sendmmsg per 1024 frames;
//   TxRing      a memory-mapped PACKET_TX_RING (TPACKET_V3 when the kernel takes it for TX,
//               else TPACKET_V2): frames are copied into ring slots and one send() kicks the
//               kernel; completions are counted from the slot status words; the fastest path;
//   RawIpSender AF_INET / AF_INET6 SOCK_RAW IPPROTO_RAW (header included) bound to the device,
//               for IP-only devices (tun, ipip, wireguard) or when the kernel should route and
//               resolve neighbours. The destination is read from each datagram's header.
//
//   auto tx = pcapxx::Injector::open("veth0");
//   if (!tx) { fmt::print(stderr, "{}\n", tx.error().what()); return 1; }
//   auto n = tx->inject(frame);               // bytes sent
//   auto k = tx->send_batch(frames);          // frames sent; on error, which ones went out
//
// Sockets are created in the calling thread's network namespace. Errors name the device, the
// step and the reason: `veth0: inject: frame of 1600 bytes is larger than MTU 1500 + 14-byte
// link header (1514 bytes)`, `eth7: no such device`, `veth0: open: socket(AF_PACKET, SOCK_RAW):
// Operation not permitted (needs CAP_NET_RAW)`, `veth0: send batch: device is down (...)`,
// `veth0: send batch: send buffer full (non-blocking): 37 of 64 frames sent (frames 0-36)`.
//
// Nothing on the batch and ring paths allocates or makes a system call per frame: the batch
// arrays are allocated at open, a batch is one sendmmsg, a ring batch is one send().
//
// Limitations (see also the closing notes of src/inject/linux/tx_ring.cpp):
//   - the MTU is read at open; when it changes later the kernel's EMSGSIZE is reported with the
//     MTU read again at that moment;
//   - the TX ring does not use PACKET_TX_HAS_OFF; it uses PACKET_VNET_HDR only to make the
//     kernel copy small frames into the linear area (TxRingOptions::linear_bytes), never GSO;
//   - RawIpSender does not fragment: datagrams larger than the MTU fail with the kernel's EMSGSIZE;
//   - speed: every path makes the kernel build, send and free one skb per frame, and on veth the
//     peer's receive runs inside our send call. For 64-byte frames on veth the TX ring costs
//     ~0.74x the CPU per frame of a pcap_inject loop (~1.35x its efficiency), sendmmsg ~0.92x;
//     the 3x once hoped for is not reachable through packet sockets (profile and numbers in
//     bench/inject_bench.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "pcapxx/error.hpp"
#include "pcapxx/packet.hpp"

namespace pcapxx {

/// One frame to send: the bytes, starting with the link-layer header.
using FrameBytes = std::span<const std::byte>;

/// How a sender is opened.
struct InjectOptions {
  bool nonblocking = false;       ///< fail with "send buffer full" instead of waiting
  std::size_t send_buffer = 0;    ///< SO_SNDBUF in bytes; 0 keeps the system default
  bool qdisc_bypass = false;      ///< PACKET_QDISC_BYPASS: hand frames straight to the driver
};

/// What a device looks like to a sender; read at open.
struct LinkLimits {
  std::uint32_t ifindex = 0;
  std::uint32_t mtu = 0;
  std::uint16_t arphrd = 0;          ///< ARPHRD_* hardware type
  std::uint32_t link_header = 0;     ///< 14 for Ethernet and loopback, 0 for IP-only devices
  bool ethernet = false;             ///< ARPHRD_ETHER: an 802.1Q tag may add 4 bytes
  bool checked = false;              ///< whether we know the header length and check sizes
                                     ///< ourselves (otherwise the kernel's EMSGSIZE is reported)
  /// The longest frame the kernel takes: mtu + link_header (+4 for an 802.1Q-tagged Ethernet
  /// frame, as the kernel's packet_extra_vlan_len_allowed in net/packet/af_packet.c).
  [[nodiscard]] std::size_t max_frame(bool vlan_tagged) const noexcept {
    return std::size_t{mtu} + link_header + (vlan_tagged && ethernet ? 4U : 0U);
  }
};

/// A PF_PACKET raw socket bound to one device, for single frames and sendmmsg batches.
class Injector {
 public:
  /// Opens a sender on `device`. Fails with `DEV: no such device`, or with the step and
  /// errno (`socket(AF_PACKET, SOCK_RAW): Operation not permitted (needs CAP_NET_RAW)`).
  static Result<Injector> open(std::string_view device, const InjectOptions& options = {});

  Injector(Injector&&) noexcept;
  Injector& operator=(Injector&&) noexcept;
  Injector(const Injector&) = delete;
  Injector& operator=(const Injector&) = delete;
  ~Injector();

  /// Sends one frame exactly as given; returns the bytes sent (pcap_inject).
  Result<std::size_t> inject(FrameBytes frame);
  /// Sends every frame in order with one sendmmsg per 1024 frames; returns frames.size().
  /// When not all go out the error says which did (frames 0..k-1) and why frame k did not;
  /// last_batch_sent() is k.
  Result<std::size_t> send_batch(std::span<const FrameBytes> frames);
  /// Sends the packets of a batch (e.g. from a SavefileReader); as the span overload.
  Result<std::size_t> send_batch(Batch packets);
  /// How many frames the last send_batch call handed to the kernel.
  [[nodiscard]] std::size_t last_batch_sent() const noexcept;

  /// The device name as opened.
  [[nodiscard]] const std::string& device() const noexcept;
  /// MTU, link header length and ifindex read at open.
  [[nodiscard]] const LinkLimits& limits() const noexcept;
  /// The socket, for poll(POLLOUT) in non-blocking mode.
  [[nodiscard]] int fd() const noexcept;

  struct Impl;

 private:
  explicit Injector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Which TPACKET version a TX ring uses.
enum class TxRingVersion : std::uint8_t { automatic, v2, v3 };

/// How a TX ring is set up.
struct TxRingOptions {
  std::size_t frame_size = 2048;   ///< bytes per slot, header included; rounded to 16
  std::size_t frame_count = 1024;  ///< slots; rounded up to whole blocks
  bool nonblocking = false;        ///< fail with "TX ring full" instead of waiting for a slot
  bool qdisc_bypass = false;       ///< PACKET_QDISC_BYPASS
  std::size_t send_buffer = 0;     ///< SO_SNDBUF in bytes; 0 keeps the system default
  TxRingVersion version = TxRingVersion::automatic;  ///< automatic: V3, then V2
  /// Frames up to this many bytes go to the kernel whole in the skb's linear area
  /// (PACKET_VNET_HDR, a virtio_net_hdr in each slot whose hdr_len is the frame length); longer
  /// frames have this many bytes linear and the rest as page fragments of the ring. Without it
  /// every frame is ring page fragments, which the kernel copies into a freshly allocated page
  /// per frame whenever the skb crosses a namespace (veth) or is looped back (skb_copy_ubufs):
  /// for 64-byte frames on veth that page alloc, copy and free is ~30% of the send cost.
  /// 0: fragments only, no virtio_net_hdr (the zero-copy layout; best for large frames on a NIC).
  std::size_t linear_bytes = 2048;
};

/// Counters of a TX ring.
struct TxRingStats {
  std::uint64_t queued = 0;     ///< frames copied into the ring
  std::uint64_t completed = 0;  ///< frames the kernel has sent and released
  std::uint64_t rejected = 0;   ///< frames the kernel marked TP_STATUS_WRONG_FORMAT
};

/// A PF_PACKET socket with a memory-mapped PACKET_TX_RING on one device.
class TxRing {
 public:
  /// Opens the socket, sets up the ring and binds it to `device`. ring_description() says which
  /// TPACKET version, slot size and count were taken, and whether qdisc bypass is on.
  static Result<TxRing> open(std::string_view device, const TxRingOptions& options = {});

  TxRing(TxRing&&) noexcept;
  TxRing& operator=(TxRing&&) noexcept;
  TxRing(const TxRing&) = delete;
  TxRing& operator=(const TxRing&) = delete;
  ~TxRing();

  /// Copies the frames into free slots and kicks the kernel with one send() (more only when
  /// the ring fills and has to drain). Returns frames.size(); on error, says which frames were
  /// queued. In non-blocking mode a full ring is an error naming how many went in.
  Result<std::size_t> send_batch(std::span<const FrameBytes> frames);
  /// As the span overload, for the packets of a batch.
  Result<std::size_t> send_batch(Batch packets);
  /// How many frames the last send_batch queued.
  [[nodiscard]] std::size_t last_batch_sent() const noexcept;
  /// Waits until the kernel has released every queued frame, up to timeout_ms (-1: forever).
  /// Returns the number of frames completed so far; fails on timeout naming how many are left.
  Result<std::uint64_t> wait_completion(int timeout_ms = -1);
  /// Counters, after looking at the slot status words once.
  [[nodiscard]] TxRingStats stats();

  [[nodiscard]] const std::string& device() const noexcept;
  [[nodiscard]] const LinkLimits& limits() const noexcept;
  /// Which path ran, e.g. "TPACKET_V3 TX ring: 1024 slots of 2048 bytes, qdisc bypass off".
  [[nodiscard]] const std::string& ring_description() const noexcept;
  /// The largest frame a slot holds.
  [[nodiscard]] std::size_t slot_capacity() const noexcept;
  [[nodiscard]] int fd() const noexcept;

  struct Impl;

 private:
  explicit TxRing(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A raw IP socket (IPPROTO_RAW, header included) bound to a device: sends IPv4 or IPv6
/// datagrams without a link-layer header. The kernel adds the link header, routes by the
/// destination in the datagram and fills the IPv4 checksum, total length and (when 0) the id.
class RawIpSender {
 public:
  /// Opens one IPv4 and one IPv6 raw socket bound to `device` (SO_BINDTODEVICE).
  static Result<RawIpSender> open(std::string_view device, const InjectOptions& options = {});

  RawIpSender(RawIpSender&&) noexcept;
  RawIpSender& operator=(RawIpSender&&) noexcept;
  RawIpSender(const RawIpSender&) = delete;
  RawIpSender& operator=(const RawIpSender&) = delete;
  ~RawIpSender();

  /// Sends one datagram; the version nibble picks IPv4 or IPv6. Returns the bytes sent.
  Result<std::size_t> send(std::span<const std::byte> datagram);
  /// Sends datagrams in order, one sendmmsg per run of the same IP version; as Injector.
  Result<std::size_t> send_batch(std::span<const std::span<const std::byte>> datagrams);
  [[nodiscard]] std::size_t last_batch_sent() const noexcept;

  [[nodiscard]] const std::string& device() const noexcept;
  [[nodiscard]] const LinkLimits& limits() const noexcept;

  struct Impl;

 private:
  explicit RawIpSender(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pcapxx
