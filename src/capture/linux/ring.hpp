// The receive ring (Documentation/networking/packet_mmap.rst, include/uapi/linux/if_packet.h):
// geometry for TPACKET_V3 blocks or V1/V2 frames, setup with fallback, and the mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capture/linux/fd.hpp"
#include "pcapxx/error.hpp"

namespace pcapxx::linux_capture {

/// Bytes of headroom af_packet.c always leaves before a frame's data (tpacket_rcv: at least 16
/// bytes of link header room after sockaddr_ll, for SOCK_DGRAM exactly 16).
inline constexpr std::uint32_t kKernelHeadroom = 16;
/// The most a frame grows in its headroom: a LINUX_SLL header plus a reinserted VLAN tag
/// (16 + 4), or a LINUX_SLL2 header (20; libpcap puts no tag back there), or a tag in front
/// of an Ethernet frame's type (4) (frame_fixups.hpp).
inline constexpr std::uint32_t kLargestFrameGrowth = 20;
/// Bytes the ring leaves before the link-layer header of every frame (PACKET_RESERVE), on top
/// of the kernel's headroom, so that every rewrite above fits.
inline constexpr std::uint32_t kFrameReserve = kLargestFrameGrowth - kKernelHeadroom;

/// Block size and count of a ring; V1/V2 cut each block into fixed frames.
struct RingGeometry {
  std::uint32_t block_size = 0;
  std::uint32_t block_count = 0;
  std::uint32_t frame_size = 0;     ///< only checked by the kernel in V3; a block holds any mix
  std::uint32_t retire_tov_ms = 0;  ///< tp_retire_blk_tov (V3); 0 lets the kernel choose
  int version = 3;                  ///< TPACKET_V1, V2 or V3 as 1, 2, 3

  [[nodiscard]] std::size_t bytes() const noexcept {
    return std::size_t{block_size} * block_count;
  }
  [[nodiscard]] std::uint32_t frames_per_block() const noexcept {
    return frame_size == 0 ? 0 : block_size / frame_size;
  }
  [[nodiscard]] std::uint32_t frame_count() const noexcept {
    return frames_per_block() * block_count;
  }
};

/// Bytes before the packet data in a ring frame of a TPACKET version: the aligned header,
/// sockaddr_ll, the 16 bytes af_packet.c keeps for a link header and our reserve.
std::uint32_t frame_overhead(int version);

/// The geometry for a buffer size and snaplen: blocks large enough for one frame of the
/// largest packet the snaplen keeps (capped at 64 KiB + headers, the largest skb a ring frame
/// sees without BIG TCP), at least a page, and at most a quarter of the buffer when it allows;
/// then grown to 256 KiB while the buffer holds 8 of them (fewer wake-ups in a flood). A packet
/// larger than a block (BIG TCP GRO past 64 KiB) is cut by the kernel to what the block holds,
/// tp_len kept (af_packet.c tpacket_rcv, V3 max_frame_len clamp); the caplen then says so.
RingGeometry plan_ring(std::size_t buffer_size, std::uint32_t snaplen, std::uint32_t retire_tov_ms);

/// The geometry of a V1/V2 ring: frames for `max_packet` bytes (snaplen, or the device's MTU
/// plus link header when smaller), blocks of whole frames grown as plan_ring grows them.
RingGeometry plan_frame_ring(int version, std::size_t buffer_size, std::uint32_t max_packet);

/// Tries a geometry; returns 0 when the ring is in place or the errno of the refusal.
using RingAttempt = std::function<int(const RingGeometry&)>;

/// Finds the largest ring the kernel accepts: on ENOMEM halves the block count until it fits
/// (one block at least) and records a warning naming the device and both sizes. Any other
/// refusal is an error naming the step.
Result<RingGeometry> fit_ring(RingGeometry wanted, const std::string& device,
                              const RingAttempt& attempt, std::vector<std::string>& warnings);

/// A mapped receive ring of any TPACKET version.
class Ring {
 public:
  /// Sets PACKET_RX_RING and maps it; when the kernel refuses (ENOMEM, or mmap fails) halves the
  /// block count until it fits and records a warning. `device` names messages.
  static Result<Ring> create(int sock, const std::string& device, RingGeometry geometry,
                               std::vector<std::string>& warnings);
  /// Frees the kernel ring and sets it up again with the same geometry (drops every packet in it).
  Result<void> reset(int sock, const std::string& device);

  [[nodiscard]] std::byte* block(std::uint32_t i) const noexcept {
    return map_.data() + std::size_t{i} * geometry_.block_size;
  }
  /// Frame `i` of a V1/V2 ring (frames never cross a block).
  [[nodiscard]] std::byte* frame(std::uint32_t i) const noexcept {
    const std::uint32_t per_block = geometry_.frames_per_block();
    return block(i / per_block) + std::size_t{i % per_block} * geometry_.frame_size;
  }
  [[nodiscard]] const RingGeometry& geometry() const noexcept { return geometry_; }

 private:
  RingGeometry geometry_;
  Mapping map_;
};

}  // namespace pcapxx::linux_capture
