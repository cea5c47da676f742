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
// Limitations (also in the closing notes of src/capture/linux/live_capture.cpp):
//   - TPACKET_V3 only; immediate mode uses V3 with a 1 ms block timeout instead of TPACKET_V2;
//   - set_filter() on an active capture resets the ring (views of the current batch become
//     invalid) so that no packet that arrived before the filter reaches the caller;
//   - break_loop() is reported as BatchStatus::end (the seam has no "interrupted" status);
//   - tp_freeze_q_cnt is read but not reported (CaptureStats has no field for it);
//   - monitor mode, hardware timestamps, PACKET_FANOUT and capturing several devices through
//     one LiveCapture are not implemented.
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

/// Everything that can be set before a capture starts (pcap_create + pcap_set_*).
struct CaptureOptions {
  std::uint32_t snaplen = 262144;      ///< bytes kept per packet; origlen stays the true length
  bool promiscuous = false;            ///< PACKET_MR_PROMISC membership while open
  int timeout_ms = 1000;               ///< how long next_batch waits; 0 waits forever
  bool immediate = false;              ///< deliver packets as soon as they arrive
  std::size_t buffer_size = 2 << 20;   ///< ring size in bytes; shrunk if the kernel refuses
  bool nanosecond = false;             ///< report ns timestamps; otherwise truncated to µs
  CaptureDirection direction = CaptureDirection::in_out;
  std::uint16_t protocol = 0x0003;     ///< ethertype to capture; 0x0003 (ETH_P_ALL) = all
  std::optional<BpfProgram> filter;    ///< attached before the socket is bound: no leakage
};

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
  /// Replaces the kernel filter. Packets that arrived before it are never delivered.
  Result<void> set_filter(const BpfProgram& program);
  /// Makes next_batch return at once when no block is ready.
  void set_nonblocking(bool nonblocking) noexcept;
  [[nodiscard]] bool nonblocking() const noexcept;
  /// A descriptor that polls readable when a block may be ready (pcap_get_selectable_fd).
  [[nodiscard]] int selectable_fd() const noexcept;
  /// Makes a waiting or the next next_batch return BatchStatus::end; safe from any thread.
  void break_loop() noexcept;
  /// The device name as opened.
  [[nodiscard]] const std::string& device() const noexcept;
  /// Which path ran: TPACKET version, block size and count, reserve, fallbacks taken.
  [[nodiscard]] const std::string& ring_description() const noexcept;
  /// Non-fatal things that happened while opening (buffer shrunk, option unsupported).
  [[nodiscard]] std::span<const std::string> warnings() const noexcept;

  struct Impl;

 private:
  explicit LiveCapture(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pcapxx
