// The state of one LiveCapture, shared by the files of src/capture/linux: opening
// (live_capture.cpp), taking packets out of the ring (ring_reader.cpp), several devices
// (multi_capture.cpp), fanout (fanout.cpp) and the loss account (loss_account.cpp).
#pragma once

#include <ctime>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <string>
#include <vector>

#include "capture/linux/fd.hpp"
#include "capture/linux/ring.hpp"
#include "pcapxx/bpf_jit.hpp"
#include "pcapxx/capture.hpp"

namespace pcapxx::linux_capture {

/// Sums over all CPUs of /proc/net/softnet_stat (net/core/net-procfs.c softnet_seq_show).
struct SoftnetTotals {
  std::uint64_t dropped = 0;        ///< column 2: input backlog full
  std::uint64_t time_squeezed = 0;  ///< column 3
};

/// Reads /proc/net/softnet_stat; zeros when it cannot be read.
SoftnetTotals read_softnet() noexcept;

/// Device drop counters as they were when a capture opened, to report differences.
struct DeviceDrops {
  std::uint64_t rx_dropped = 0;
  std::uint64_t rx_missed = 0;  ///< rx_missed_errors + rx_fifo_errors + rx_over_errors
};

}  // namespace pcapxx::linux_capture

namespace pcapxx {

/// SO_ATTACH_FILTER; errors name the device and the step.
Result<void> attach_filter(int sock, const std::string& device, std::span<const BpfInsn> program,
                           std::string_view step);

struct LiveCapture::Impl {
  /// Runs right after bind, before the capture is returned (fanout joins its group here).
  using AfterBind = std::function<Result<void>(Impl&)>;
  /// LiveCapture::open with a step after bind.
  static Result<std::unique_ptr<LiveCapture>> open(std::string_view device, const CaptureOptions& options,
                                                   const AfterBind& after_bind);

  std::string device;
  CaptureOptions options;
  std::uint32_t snaplen = 0;
  std::uint32_t ifindex = 0;      // 0 for "any"
  std::uint32_t lo_ifindex = 0;   // outgoing copies on lo are skipped (lo sees each packet twice)
  bool cooked = false;
  bool ethernet = false;
  LinkType link_type{};           // of the frames delivered (LINUX_SLL or LINUX_SLL2 when cooked)
  std::vector<LinkType> link_types;  // what set_link_type may choose
  int version = 3;                // TPACKET_V1..V3 as 1..3
  bool peek = false;              // V3 immediate: take finished packets out of the open block
  bool coalescing = false;        // peek under load: wait for a retired block or 200 us, not the doorbell
  std::size_t since_wait = 0;     // peek: packets delivered since the last wait
  linux_capture::UniqueFd sock;
  linux_capture::UniqueFd wake;       // eventfd for break_loop
  linux_capture::UniqueFd netlink;    // for the device's counters
  linux_capture::UniqueFd doorbell;   // peek mode: a ring-less socket that wakes per packet
  BpfProgram kernel_program;          // the socket filter attached (empty: none)
  linux_capture::Ring ring;

  // Ring position. V3: `current` is the block the next batch comes from; `holding` says it was
  // delivered retired and is not yet released; `peeked` packets of it (starting at offset
  // `peek_offset` for the next) were delivered, while the kernel still filled it or in the
  // earlier chunks of the retired block.
  // V1/V2: `current` is the next frame, `held` frames from it are delivered, not yet released.
  std::uint32_t current = 0;
  bool holding = false;
  std::uint32_t held = 0;
  std::uint32_t peeked = 0;
  std::uint32_t peek_offset = 0;
  std::uint32_t batch_limit = 1;  // V1/V2: at most this many frames per batch (half the ring)
  // V3: at most this many packets of a retired block per batch (ring_reader.cpp, take_v3).
  static constexpr std::uint32_t kRetiredChunk = 256;
  // Immediate V3: this many packets between two waits means they come faster than a wake-up
  // each; the next wait is then for a retired block or kCoalesceWaitNs, not the doorbell, so
  // floods keep batching (capture_bench --only immediate: 440 -> 50 ns a packet) for at most
  // 200 us more latency. MultiCapture does the same over all its captures.
  static constexpr std::size_t kCoalescePackets = 2;
  static constexpr long kCoalesceWaitNs = 200'000;
  // Without a wake-up per packet (doorbell), an immediate V3 capture polls at least this often.
  static constexpr int kImmediateFallbackPollMs = 1;
  /// The ppoll timeout for a wait of `wait_ms` (< 0: no limit) that `most_ns` (< 0: none)
  /// shortens; nullptr when neither bounds it. Shared by LiveCapture and MultiCapture.
  static const timespec* wait_limit(int wait_ms, long most_ns, timespec& out) noexcept {
    if (wait_ms > 0) out = {wait_ms / 1000, (wait_ms % 1000) * 1'000'000L};
    if (most_ns > 0 && (wait_ms < 0 || out.tv_sec > 0 || out.tv_nsec > most_ns)) out = {0, most_ns};
    return wait_ms > 0 || most_ns > 0 ? &out : nullptr;
  }

  bool nonblocking = false;
  bool interrupted = false;
  std::atomic<bool> break_requested{false};
  std::uint32_t interface_index = 0;  // PacketHeader::interface (MultiCapture sets it)
  std::vector<PacketView> views;
  std::vector<std::uint32_t> ifindexes;  // parallel to views
  std::vector<InterfaceDescription> interfaces;
  std::string ring_description;
  std::vector<std::string> warnings;
  std::optional<std::uint16_t> fanout_group;
  // The filter: where it runs, and the userspace part (run on each frame in emit()).
  FilterPlacement filter_placement = FilterPlacement::none;
  std::string filter_note;
  int filter_refusal_errno = 0;
  bool kernel_accepts_all = true;  // no socket filter, or one that passes every packet
  std::optional<BpfRunner> user_filter;
  std::uint64_t user_filter_rejected = 0;
  mutable CaptureStats totals;
  std::uint64_t delivered = 0;
  std::uint64_t delivered_from_open_blocks = 0;  // peek mode: taken before their block retired
  linux_capture::DeviceDrops drops_at_open;
  linux_capture::SoftnetTotals softnet_at_open;

  /// Hands back to the kernel what the last batch delivered.
  void release_held() noexcept;
  /// Releases what is held, then fills `views` from the ring without waiting; true when the
  /// batch holds packets.
  bool take_ready() noexcept;
  /// Empties the doorbell socket's queue (no-op without one).
  void drain_doorbell() noexcept;
  /// The error of a socket that polled POLLERR/POLLHUP.
  Result<void> socket_error() const;
  /// Reads PACKET_STATISTICS into `totals` (the kernel resets its counters on every read).
  void update_stats() const;
  /// A filter ready to install: the kernel's part and, where needed, the userspace part.
  struct PreparedFilter {
    KernelFilterPlan plan;
    std::optional<BpfRunner> runner;
  };
  /// Plans `program` for this socket and builds its userspace part; no socket call, so a
  /// failure leaves the capture as it was.
  Result<PreparedFilter> prepare_filter(const BpfProgram& program, LinkType program_link) const;
  /// Attaches a prepared filter to the capture socket and the doorbell; when the kernel
  /// refuses it, attaches an accept-all program and runs `program` in userspace instead.
  Result<void> install_filter(PreparedFilter prepared, const BpfProgram& program, std::string_view step);
  /// Records where the filter runs and says so in warnings when userspace is involved.
  void note_filter(FilterPlacement placement, std::string note, int refusal_errno);

 private:
  bool take_v3() noexcept;
  bool take_frames() noexcept;
  /// Appends the packet of one ring frame to `views` unless it is skipped (lo's outgoing
  /// copy, direction); `header_end` is where the frame's sockaddr_ll ends.
  struct FrameFields;
  void emit(std::byte* frame, std::byte* header_end, const FrameFields& f) noexcept;
  /// V3: parses packets [first, last) of a block starting at `offset`; with `check` stops at
  /// the first packet the kernel has not finished. Returns how many were consumed.
  std::uint32_t parse_v3(std::byte* block, std::uint32_t first, std::uint32_t last,
                         std::uint32_t& offset, bool check) noexcept;
};

}  // namespace pcapxx
