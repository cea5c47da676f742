// pcapxx: live capture from a network device (Linux AF_PACKET with a memory-mapped
// TPACKET_V3 ring). A LiveCapture is a Source: each batch is one ring block, views point into
// the ring and stay valid until the next call to next_batch.
//
//   auto cap = pcapxx::LiveCapture::open("eth0", {.snaplen = 262144, .promiscuous = true});
//   if (!cap) { fmt::print(stderr, "{}\n", cap.error().what()); return 1; }
//   while (true) {
//     auto batch = (*cap)->next_batch();
//     if (!batch || batch->status == pcapxx::BatchStatus::end) break;
//     for (const pcapxx::PacketView& pkt : batch->packets) { ... }
//   }
//
// The device is looked up and the socket created in the calling thread's network namespace.
//
// TPACKET_V3 (the default) delivers one ring block per batch; TPACKET_V2 and V1 can be chosen in
// CaptureOptions and deliver the run of ready frames (one frame per packet). Immediate mode stays
// on V3: the reader takes finished packets out of the block the kernel is still filling (see
// src/capture/linux/ring_reader.cpp) and a second, ring-less "doorbell" socket wakes it per
// packet at low rates; while packets come faster than a wake-up each, it waits for a retired
// block or 1 ms instead, so floods still arrive in batches (bench/capture_bench.cpp measures both).
//
// Several devices in one Source: MultiCapture. PACKET_FANOUT over N rings: open_fanout().
// Where packets were lost: LiveCapture::loss_account().
//
// Limitations (also in the closing notes of src/capture/linux/live_capture.cpp):
//   - set_filter() on an active capture resets the ring (views of the current batch become
//     invalid) so that no packet that arrived before the filter reaches the caller;
//   - break_loop() is reported as BatchStatus::end (the seam has no "interrupted" status);
//     interrupted() tells the two apart;
//   - TPACKET_V1 has no VLAN tag fields (tags the kernel stripped are not reinserted) and only
//     microsecond timestamps; V1/V2 frames are sized for the device MTU, so a larger packet
//     (GRO/TSO) is cut to the frame, with origlen kept;
//   - immediate mode's in-block reading relies on x86's store order (TSO); elsewhere it
//     falls back to a 1 ms block timeout;
//   - monitor mode is refused (Errc::unsupported): on a device that is not wireless, as libpcap
//     refuses it; on a wireless one because pcapxx does not implement it. Hardware timestamps
//     are not implemented;
//   - a buffer_size larger than the machine's physical memory can never be mapped: the ring
//     falls back to the default size and warnings() says so (a smaller size the kernel refuses
//     is halved until it fits); a capture bound to one protocol sees no outgoing packets (the
//     kernel hands those only to ETH_P_ALL taps, net/core/dev.c dev_queue_xmit_nit);
//   - a filter running in userspace (FilterPlacement) sees SKF_AD_MARK, QUEUE, RXHASH and CPU
//     as 0, and stats().received still counts what the kernel's filter passed;
//   - LINUX_SLL2 frames keep no VLAN tag the kernel stripped (as libpcap 1.10, which puts tags
//     back only into EN10MB and LINUX_SLL frames); MultiCapture takes its members' link types
//     when it opens (choose LINUX_SLL2 through CaptureOptions::cooked_link_type there).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/bpf.hpp"
#include "pcapxx/error.hpp"
#include "pcapxx/source.hpp"

namespace pcapxx {

/// Which packets a capture sees relative to the host (pcap_setdirection).
enum class CaptureDirection : std::uint8_t { in_out, in, out };

/// The layout of the memory-mapped receive ring (include/uapi/linux/if_packet.h).
enum class TpacketVersion : std::uint8_t { v1 = 1, v2 = 2, v3 = 3 };

/// Everything that can be set before a capture starts (pcap_create + pcap_set_*).
struct CaptureOptions {
  std::uint32_t snaplen = 262144;      ///< bytes kept per packet; origlen stays the true length
  bool promiscuous = false;            ///< PACKET_MR_PROMISC membership while open
  int timeout_ms = 1000;               ///< how long next_batch waits; 0 waits forever
  bool immediate = false;              ///< deliver packets as soon as they arrive
  std::size_t buffer_size = 2 << 20;   ///< ring size in bytes; shrunk if the kernel refuses
  bool monitor = false;                ///< rfmon (pcap_set_rfmon); refused, see the header comment
  bool nanosecond = false;             ///< report ns timestamps; otherwise truncated to µs
  CaptureDirection direction = CaptureDirection::in_out;
  std::uint16_t protocol = 0x0003;     ///< ethertype to capture; 0x0003 (ETH_P_ALL) = all
  std::optional<BpfProgram> filter;    ///< attached before the socket is bound: no leakage
  TpacketVersion tpacket_version = TpacketVersion::v3;  ///< ring layout; V3 batches by block
  /// The header a cooked capture ("any", devices whose link header pcapxx does not know) puts
  /// before each packet: LINUX_SLL (16 bytes) or LINUX_SLL2 (20 bytes, with the interface
  /// index). Written in the ring's headroom, nothing is copied. Ignored by other captures.
  LinkType cooked_link_type = dlt::kLinuxSll;
};

/// Where the packets that reached a device went, and where some were lost; counters since the
/// capture opened. A packet lost before the capture saw it shows up in one of the device or
/// CPU counters, not in the capture's own.
struct LossAccount {
  std::uint64_t received = 0;        ///< passed the kernel filter (libpcap ps_recv)
  std::uint64_t delivered = 0;       ///< handed to the caller in batches
  std::uint64_t ring_dropped = 0;    ///< no room in the ring (ps_drop)
  std::uint64_t ring_freezes = 0;    ///< times the V3 ring was full and froze (tp_freeze_q_cnt)
  std::uint64_t if_rx_dropped = 0;   ///< device rx_dropped (ps_ifdrop)
  std::uint64_t if_rx_missed = 0;    ///< device rx_missed_errors + rx_fifo_errors + rx_over_errors
  std::uint64_t backlog_dropped = 0; ///< per-CPU input backlog full, all CPUs (/proc/net/softnet_stat)
  std::uint64_t time_squeezed = 0;   ///< softirq ran out of budget with work left, all CPUs
  bool device_counters = false;      ///< if_* are known (false for "any")

  /// A short human account, e.g. "received 2000, delivered 1618; lost 382 in the ring (full
  /// 17 times); none in the device; none in CPU backlogs".
  [[nodiscard]] std::string summary() const;
};

/// Where a live capture's filter runs. The kernel's socket filter does not always see the
/// frame the user gets: a cooked ("any") socket's filter sees the packet from the network
/// header on, and the kernel strips the outer VLAN tag before the filter runs (the ring
/// reader puts it back for the user). Programs that depend on what the kernel cannot see run
/// in userspace on the delivered frames.
enum class FilterPlacement : std::uint8_t {
  none,                  ///< no filter: every packet is delivered
  kernel,                ///< the kernel runs the program as given
  kernel_translated,     ///< the kernel runs it translated for a cooked socket (offsets, ancillary loads)
  kernel_and_userspace,  ///< the kernel decides untagged packets; those with a stripped VLAN tag go to userspace
  userspace,             ///< the kernel accepts everything; the program runs on each delivered frame
};

/// The socket filter to attach for a program compiled for a link type, and what is left to
/// userspace (see FilterPlacement).
struct KernelFilterPlan {
  BpfProgram kernel;  ///< what to attach with SO_ATTACH_FILTER
  FilterPlacement placement = FilterPlacement::kernel;
  std::string reason;  ///< why packets are filtered in userspace; "" when the kernel decides all
};

/// Plans the socket filter for `program` compiled for `link` (the link type of the frames the
/// user gets: EN10MB on a SOCK_RAW Ethernet socket, LINUX_SLL or LINUX_SLL2 on a cooked one).
/// Cooked programs are translated (offsets past the cooked header move back by its length;
/// its packet type, ARPHRD type, protocol and interface index fields become SKF_AD_* loads);
/// what cannot be translated runs in userspace. A program that tests VLAN tags in the frame
/// gets a kernel prologue that passes packets with a stripped tag up to userspace. Accepting
/// kernel programs return `snaplen`.
KernelFilterPlan plan_kernel_filter(std::span<const BpfInsn> program, LinkType link, std::uint32_t snaplen);

/// A live capture on one device (or "any"). Thread safety: one thread reads; break_loop() may
/// be called from any thread.
class LiveCapture final : public Source {
 public:
  /// Opens and activates a capture. Errors name the device and the step, e.g.
  /// `veth0: activate: socket(AF_PACKET): Operation not permitted (needs CAP_NET_RAW)`.
  static Result<std::unique_ptr<LiveCapture>> open(std::string_view device,
                                                   const CaptureOptions& options = {});
  ~LiveCapture() override;

  /// Waits (up to the timeout, not at all in non-blocking mode) for the next ring block and
  /// delivers its packets; releases the previous block first. After break_loop() it returns
  /// BatchStatus::end once.
  Result<BatchResult> next_batch() override;
  [[nodiscard]] std::span<const InterfaceDescription> interfaces() const override;
  /// received = packets that passed the kernel filter (including dropped ones, as libpcap's
  /// ps_recv on Linux); dropped = no room in the ring; if_dropped = the device's rx_dropped
  /// since open. Counters accumulate over the capture's life.
  [[nodiscard]] CaptureStats stats() const override;

  /// The kernel ifindex each packet of the last batch arrived on, parallel to its packets
  /// (useful with "any"; PacketHeader::interface indexes interfaces() instead).
  [[nodiscard]] std::span<const std::uint32_t> batch_ifindexes() const noexcept;
  /// Replaces the filter (a program for link_type()); plan_kernel_filter decides what the
  /// kernel runs, the rest runs in userspace on the delivered frames. When the kernel refuses
  /// the program, it runs in userspace and warnings() says so. Packets that arrived before it
  /// are never delivered. On error the capture keeps its previous filter, except where the
  /// message says otherwise.
  Result<void> set_filter(const BpfProgram& program);
  /// The link types this capture can deliver (set_link_type): LINUX_SLL and LINUX_SLL2 on a
  /// cooked capture, its own link type on any other.
  [[nodiscard]] std::span<const LinkType> link_types() const noexcept;
  /// Switches a cooked capture between LINUX_SLL and LINUX_SLL2 headers (pcap_set_datalink);
  /// batches from the next next_batch() on have the new header. The filter stays as it is
  /// (as libpcap's): set one compiled for the new link type. Errc::unsupported for a link
  /// type not in link_types().
  Result<void> set_link_type(LinkType link);
  /// Where the filter runs now (set by open and set_filter).
  [[nodiscard]] FilterPlacement filter_placement() const noexcept;
  /// Why the filter runs (partly) in userspace; "" when the kernel decides every packet.
  [[nodiscard]] const std::string& filter_note() const noexcept;
  /// The errno with which the kernel refused the current program, 0 when it took it.
  [[nodiscard]] int filter_refusal_errno() const noexcept;
  /// Makes next_batch return at once when no block is ready.
  void set_nonblocking(bool nonblocking) noexcept;
  [[nodiscard]] bool nonblocking() const noexcept;
  /// A descriptor that polls readable when a block may be ready (pcap_get_selectable_fd).
  [[nodiscard]] int selectable_fd() const noexcept;
  /// Makes a waiting or the next next_batch return BatchStatus::end; safe from any thread and
  /// from a signal handler (an atomic store and an eventfd write).
  void break_loop() noexcept;
  /// Counters and a loss account: ring, device and per-CPU backlog (see LossAccount).
  [[nodiscard]] LossAccount loss_account() const;
  /// Whether the last BatchStatus::end came from break_loop() rather than the source ending.
  [[nodiscard]] bool interrupted() const noexcept;
  /// The ring layout in use.
  [[nodiscard]] TpacketVersion tpacket_version() const noexcept;
  /// The PACKET_FANOUT group this capture belongs to, if any (see open_fanout).
  [[nodiscard]] std::optional<std::uint16_t> fanout_group() const noexcept;
  /// The device name as opened.
  [[nodiscard]] const std::string& device() const noexcept;
  /// Which path ran: TPACKET version, block size and count, reserve, fallbacks taken.
  [[nodiscard]] const std::string& ring_description() const noexcept;
  /// Non-fatal things that happened while opening or setting a filter (buffer shrunk, option
  /// unsupported, filter running in userspace).
  [[nodiscard]] std::span<const std::string> warnings() const noexcept;

  struct Impl;
  /// Internal: the implementation, for MultiCapture and fanout in src/capture.
  [[nodiscard]] Impl& impl() noexcept { return *impl_; }

 private:
  explicit LiveCapture(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Several live captures read as one Source: one poll over all rings, batches taken in turn,
/// each packet's PacketHeader::interface is the index of its device in interfaces().
/// Thread safety as LiveCapture.
class MultiCapture final : public Source {
 public:
  /// Opens each device with the same options (in the calling thread's namespace).
  static Result<std::unique_ptr<MultiCapture>> open(std::span<const std::string> devices,
                                                    const CaptureOptions& options = {});
  /// Reads captures opened separately (different options or namespaces); takes ownership.
  /// timeout_ms is how long next_batch waits in all (0 waits forever).
  static Result<std::unique_ptr<MultiCapture>> adopt(std::vector<std::unique_ptr<LiveCapture>> captures,
                                                     int timeout_ms = 1000);
  ~MultiCapture() override;

  /// The next batch of any capture that has one, taking them in turn; views stay valid until
  /// the next call. BatchStatus::end after break_loop().
  Result<BatchResult> next_batch() override;
  /// One entry per capture, in the order given.
  [[nodiscard]] std::span<const InterfaceDescription> interfaces() const override;
  /// The sums of every capture's counters.
  [[nodiscard]] CaptureStats stats() const override;
  /// The capture at an index of interfaces().
  [[nodiscard]] LiveCapture& capture(std::size_t index) const;
  [[nodiscard]] std::size_t size() const noexcept;
  void set_nonblocking(bool nonblocking) noexcept;
  /// Makes a waiting or the next next_batch return BatchStatus::end; safe from any thread.
  void break_loop() noexcept;

  struct Impl;

 private:
  explicit MultiCapture(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// How PACKET_FANOUT spreads a device's packets over the rings of a group
/// (include/uapi/linux/if_packet.h, PACKET_FANOUT_*).
enum class FanoutMode : std::uint8_t {
  hash,            ///< by the kernel's flow hash (skb rxhash); directions may differ
  load_balance,    ///< round robin
  cpu,             ///< by the receiving CPU
  rollover,        ///< fill one ring, then the next
  random,          ///< at random
  queue_mapping,   ///< by the device's receive queue
  symmetric_flow,  ///< our classic BPF program: both directions of a flow to one ring
};

/// A fanout group's settings.
struct FanoutOptions {
  FanoutMode mode = FanoutMode::hash;
  bool defrag = false;           ///< reassemble IP fragments before choosing (FLAG_DEFRAG)
  bool rollover = false;         ///< move on to another ring when the chosen one is full
  bool ignore_outgoing = false;  ///< leave out outgoing packets (FLAG_IGNORE_OUTGOING)
  std::optional<std::uint16_t> group_id;  ///< join this id; none: the kernel picks a unique one
};

/// Opens `count` captures of one device joined in one fanout group, one ring each, to be read
/// by one thread each; every packet goes to exactly one of them. Errors name the device, the
/// ring index and the step.
Result<std::vector<std::unique_ptr<LiveCapture>>> open_fanout(std::string_view device,
                                                              unsigned count,
                                                              const FanoutOptions& fanout,
                                                              const CaptureOptions& options = {});

/// The classic BPF program of FanoutMode::symmetric_flow: a hash of IPv4/IPv6 addresses and
/// TCP/UDP/SCTP ports that is the same for both directions, modulo `count`. `network_offset`
/// is where the IP header starts (14 on Ethernet, 0 on cooked "any" sockets).
BpfProgram symmetric_flow_program(unsigned count, std::uint32_t network_offset = 14);

}  // namespace pcapxx
