#include "capture/linux/ring.hpp"

#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>

#include <fmt/format.h>

namespace pcapxx::linux_capture {
namespace {

constexpr std::uint32_t kLargestFrame = 65536 + 64;  // lo MTU 65536 plus link header, tag
// V3 blocks grow to this size while the buffer holds at least kFloodBlocks of them.
constexpr std::uint32_t kFloodBlock = 256u << 10;
constexpr std::size_t kFloodBlocks = 8;

std::uint32_t align_tpacket(std::uint32_t n) {
  return (n + TPACKET_ALIGNMENT - 1) & ~static_cast<std::uint32_t>(TPACKET_ALIGNMENT - 1);
}

tpacket_req3 request_for(const RingGeometry& g) {
  tpacket_req3 req{};
  req.tp_block_size = g.block_size;
  req.tp_block_nr = g.block_count;
  req.tp_frame_size = g.frame_size;
  req.tp_frame_nr = g.block_count * (g.block_size / g.frame_size);
  if (g.version == 3) req.tp_retire_blk_tov = g.retire_tov_ms;
  return req;
}

// V1/V2 take the shorter struct tpacket_req, which is the start of tpacket_req3.
socklen_t request_length(const RingGeometry& g) {
  return g.version == 3 ? sizeof(tpacket_req3) : sizeof(tpacket_req);
}

std::uint32_t grow_block(std::uint32_t block, std::size_t buffer_size) {
  const std::size_t quarter = buffer_size / 4;
  while (block < (64u << 10) && std::size_t{block} * 2 <= quarter) block *= 2;
  return block;
}

}  // namespace

std::uint32_t frame_overhead(int version) {
  const std::uint32_t hdrlen = version == 1   ? TPACKET_HDRLEN
                               : version == 2 ? TPACKET2_HDRLEN
                                              : TPACKET3_HDRLEN;
  // af_packet.c tpacket_rcv: netoff = TPACKET_ALIGN(hdrlen + max(16, maclen)) + reserve.
  return align_tpacket(hdrlen + kKernelHeadroom) + kFrameReserve;
}

RingGeometry plan_frame_ring(int version, std::size_t buffer_size, std::uint32_t max_packet) {
  const auto page = static_cast<std::uint32_t>(::sysconf(_SC_PAGESIZE));
  const std::uint32_t frame = align_tpacket(frame_overhead(version) + std::min(max_packet, kLargestFrame));
  RingGeometry g;
  g.version = version;
  g.frame_size = frame;
  g.block_size = grow_block(std::bit_ceil(std::max(page, frame)), buffer_size);
  g.block_count = static_cast<std::uint32_t>(std::max<std::size_t>(1, buffer_size / g.block_size));
  return g;
}

RingGeometry plan_ring(std::size_t buffer_size, std::uint32_t snaplen,
                       std::uint32_t retire_tov_ms) {
  const auto page = static_cast<std::uint32_t>(::sysconf(_SC_PAGESIZE));
  // A frame: tpacket3_hdr + sockaddr_ll, at least 16 bytes of link header room (af_packet.c
  // tpacket_rcv), our reserve, then the packet.
  const std::uint32_t header = align_tpacket(TPACKET3_HDRLEN) + kKernelHeadroom + kFrameReserve;
  const std::uint32_t frame = align_tpacket(header + std::min(snaplen, kLargestFrame));
  const std::uint32_t block_header = align_tpacket(sizeof(tpacket_block_desc));
  std::uint32_t block = grow_block(std::bit_ceil(std::max(page, frame + block_header)), buffer_size);
  // A flood costs the reader one wake-up per block: 256 KiB blocks (libpcap's V3 size) while
  // the buffer keeps 8 of them halve that against 128 KiB (capture_bench --only flood: about
  // 8.4 -> 7.6 ns a packet, libpcap 7.4); smaller blocks cost more (16 KiB: 22 ns) and read
  // no faster when full (drain: 14-16 ns at 16 KiB to 256 KiB).
  while (block < kFloodBlock && std::size_t{block} * 2 * kFloodBlocks <= buffer_size) block *= 2;
  RingGeometry g;
  g.block_size = block;
  g.block_count = static_cast<std::uint32_t>(std::max<std::size_t>(1, buffer_size / block));
  g.frame_size = frame;
  g.retire_tov_ms = retire_tov_ms;
  return g;
}

Result<RingGeometry> fit_ring(RingGeometry wanted, const std::string& device,
                              const RingAttempt& attempt, std::vector<std::string>& warnings) {
  RingGeometry g = wanted;
  // tp_frame_nr is 32 bits: af_packet.c packet_set_ring refuses (EINVAL) a count past it.
  while (g.block_count > 1 && std::uint64_t{g.frames_per_block()} * g.block_count > UINT32_MAX) g.block_count /= 2;
  for (;;) {
    int err = attempt(g);
    if (err == 0) {
      if (g.bytes() != wanted.bytes()) {
        warnings.push_back(fmt::format(
            "{}: ring of {} bytes refused by the kernel; using {} blocks of {} bytes ({} bytes)",
            device, wanted.bytes(), g.block_count, g.block_size, g.bytes()));
      }
      return g;
    }
    if (err != ENOMEM || g.block_count <= 1) {
      return fail_errno(err, fmt::format("{}: activate: setsockopt(PACKET_RX_RING, {} blocks of {} bytes)",
                                         device, g.block_count, g.block_size));
    }
    g.block_count /= 2;
  }
}

Result<Ring> Ring::create(int sock, const std::string& device, RingGeometry geometry,
                              std::vector<std::string>& warnings) {
  Ring ring;
  auto attempt = [&](const RingGeometry& g) -> int {
    tpacket_req3 req = request_for(g);
    if (::setsockopt(sock, SOL_PACKET, PACKET_RX_RING, &req, request_length(g)) < 0) return errno;
    void* addr = ::mmap(nullptr, g.bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, sock, 0);
    if (addr == MAP_FAILED) {
      int err = errno;
      tpacket_req3 none{};
      ::setsockopt(sock, SOL_PACKET, PACKET_RX_RING, &none, request_length(g));
      return err;
    }
    ring.map_ = Mapping(addr, g.bytes());
    return 0;
  };
  auto fitted = fit_ring(geometry, device, attempt, warnings);
  if (!fitted) return std::unexpected(fitted.error());
  ring.geometry_ = *fitted;
  return ring;
}

Result<void> Ring::reset(int sock, const std::string& device) {
  map_.reset();
  tpacket_req3 none{};
  if (::setsockopt(sock, SOL_PACKET, PACKET_RX_RING, &none, request_length(geometry_)) < 0) {
    return fail_errno(errno, fmt::format("{}: free ring: setsockopt(PACKET_RX_RING)", device));
  }
  tpacket_req3 req = request_for(geometry_);
  if (::setsockopt(sock, SOL_PACKET, PACKET_RX_RING, &req, request_length(geometry_)) < 0) {
    return fail_errno(errno, fmt::format("{}: set up ring again: setsockopt(PACKET_RX_RING)", device));
  }
  void* addr = ::mmap(nullptr, geometry_.bytes(), PROT_READ | PROT_WRITE, MAP_SHARED, sock, 0);
  if (addr == MAP_FAILED) return fail_errno(errno, fmt::format("{}: mmap ring", device));
  map_ = Mapping(addr, geometry_.bytes());
  return {};
}

}  // namespace pcapxx::linux_capture
