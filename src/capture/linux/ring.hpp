// The TPACKET_V3 receive ring (Documentation/networking/packet_mmap.rst,
// include/uapi/linux/if_packet.h): geometry, setup with fallback, and block ownership.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capture/linux/fd.hpp"
#include "pcapxx/error.hpp"

namespace pcapxx::linux_capture {

/// Bytes the ring leaves before the link-layer header of every frame (PACKET_RESERVE): room to
/// move the MAC addresses back and reinsert an 802.1Q tag, or to grow a cooked header by one.
inline constexpr std::uint32_t kFrameReserve = 4;

/// Block size and count of a TPACKET_V3 ring.
struct RingGeometry {
  std::uint32_t block_size = 0;
  std::uint32_t block_count = 0;
  std::uint32_t frame_size = 0;     ///< only checked by the kernel in V3; a block holds any mix
  std::uint32_t retire_tov_ms = 0;  ///< tp_retire_blk_tov; 0 lets the kernel choose

  [[nodiscard]] std::size_t bytes() const noexcept {
    return std::size_t{block_size} * block_count;
  }
};

/// The geometry for a buffer size and snaplen: blocks large enough for one frame of the
/// largest packet the snaplen keeps (capped at 64 KiB + headers, the largest skb a ring frame
/// sees without BIG TCP), at least a page, and at most a quarter of the buffer when it allows.
RingGeometry plan_ring(std::size_t buffer_size, std::uint32_t snaplen, std::uint32_t retire_tov_ms);

/// Tries a geometry; returns 0 when the ring is in place or the errno of the refusal.
using RingAttempt = std::function<int(const RingGeometry&)>;

/// Finds the largest ring the kernel accepts: on ENOMEM halves the block count until it fits
/// (one block at least) and records a warning naming the device and both sizes. Any other
/// refusal is an error naming the step.
Result<RingGeometry> fit_ring(RingGeometry wanted, const std::string& device,
                              const RingAttempt& attempt, std::vector<std::string>& warnings);

/// A mapped TPACKET_V3 ring.
class RingV3 {
 public:
  /// Sets PACKET_RX_RING and maps it; when the kernel refuses (ENOMEM, or mmap fails) halves the
  /// block count until it fits and records a warning. `device` names messages.
  static Result<RingV3> create(int sock, const std::string& device, RingGeometry geometry,
                               std::vector<std::string>& warnings);
  /// Frees the kernel ring and sets it up again with the same geometry (drops every packet in it).
  Result<void> reset(int sock, const std::string& device);

  [[nodiscard]] std::byte* block(std::uint32_t i) const noexcept {
    return map_.data() + std::size_t{i} * geometry_.block_size;
  }
  [[nodiscard]] const RingGeometry& geometry() const noexcept { return geometry_; }

 private:
  RingGeometry geometry_;
  Mapping map_;
};

}  // namespace pcapxx::linux_capture
