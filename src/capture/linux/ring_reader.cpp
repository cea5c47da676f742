// Taking packets out of the receive ring, for each TPACKET version, with ownership handed back
// and forth through the status words (Documentation/networking/packet_mmap.rst). Per packet:
// no system call, lock or allocation; VLAN tags and cooked headers are written into the frame's
// headroom (frame_fixups.hpp); then the userspace part of the filter, if any, runs on the
// frame as delivered (kernel_filter.cpp says when there is one).
//
// Reading a V3 block before it retires (immediate mode, `peek`). The kernel opens a block,
// then per packet: reserves room and bumps num_pkts under its queue lock, copies the data, then
// writes the tpacket3_hdr fields and last the sockaddr_ll fields after an out-of-line call
// (dev_parse_header), all with plain stores (af_packet.c tpacket_rcv, V3 case). With x86's
// store order a reader that sees every sockaddr_ll field written sees the whole packet. To
// tell "written" from stale bytes of an earlier lap, we fill a block with 0xff before handing
// it back: no sockaddr_ll field of a finished packet is all ones (sll_family is AF_PACKET,
// sll_pkttype at most 7, sll_halen at most 8), and the ring starts zeroed (sll_family 0).
// Finished packets of the open block are delivered at once; the rest follow when it retires.
#include <net/if.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "capture/linux/frame_fixups.hpp"
#include "capture/linux/live_impl.hpp"

namespace pcapxx {
namespace {

constexpr std::uint16_t kTpid8021Q = 0x8100;

static_assert(linux_capture::kKernelHeadroom + linux_capture::kFrameReserve >=
                  linux_capture::kSllHeaderLength + linux_capture::kVlanTagLength,
              "PACKET_RESERVE leaves no room for a LINUX_SLL header with a VLAN tag");
static_assert(linux_capture::kKernelHeadroom + linux_capture::kFrameReserve >= linux_capture::kSll2HeaderLength,
              "PACKET_RESERVE leaves no room for a LINUX_SLL2 header");

template <class T>
T* ring_cast(std::byte* p) noexcept {
  return static_cast<T*>(static_cast<void*>(p));
}

template <class T>
T load_acquire(T& word) noexcept {
  return std::atomic_ref<T>(word).load(std::memory_order_acquire);
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

/// Whether the kernel has written every sockaddr_ll field of a packet in a block we filled
/// with 0xff (see the file comment).
bool sll_written(sockaddr_ll& sll) noexcept {
  return load_acquire(sll.sll_family) == AF_PACKET && load_acquire(sll.sll_ifindex) != -1 &&
         load_acquire(sll.sll_hatype) != 0xffff && load_acquire(sll.sll_protocol) != 0xffff &&
         load_acquire(sll.sll_pkttype) != 0xff && load_acquire(sll.sll_halen) != 0xff;
}

}  // namespace

struct LiveCapture::Impl::FrameFields {
  std::uint32_t len = 0;
  std::uint32_t snaplen = 0;
  std::uint32_t mac = 0;
  std::uint32_t net = 0;
  std::int64_t ns = 0;
  bool has_vlan = false;
  std::uint16_t tpid = kTpid8021Q;
  std::uint16_t tci = 0;
  const sockaddr_ll* sll = nullptr;
};

// Inlined into both ring walks: the call per packet cost about 1 of 15 ns (capture_bench --only drain).
[[gnu::always_inline]] inline void LiveCapture::Impl::emit(std::byte* frame, std::byte* header_end, const FrameFields& f) noexcept {
  const sockaddr_ll* sll = f.sll;
  const bool outgoing = sll->sll_pkttype == PACKET_OUTGOING;
  if (outgoing && static_cast<std::uint32_t>(sll->sll_ifindex) == lo_ifindex) return;
  if (outgoing ? options.direction == CaptureDirection::in
               : options.direction == CaptureDirection::out) {
    return;
  }
  std::byte* data = frame + f.mac;
  std::uint32_t caplen = f.snaplen;
  std::uint32_t origlen = f.len;
  std::uint32_t inserted = 0;  // bytes written before the frame the kernel gave
  // Headroom ends where sockaddr_ll ends; PACKET_RESERVE guarantees kFrameReserve more than
  // the 16 bytes af_packet.c always leaves, which is what every rewrite needs (ring.hpp).
  if (cooked) {
    linux_capture::CookedFields c{sll->sll_pkttype, sll->sll_hatype, sll->sll_halen, sll->sll_addr,
                                  sll->sll_protocol, static_cast<std::uint32_t>(sll->sll_ifindex)};
    const bool v2 = link_type == dlt::kLinuxSll2;
    const std::uint32_t grow = v2 ? linux_capture::kSll2HeaderLength
                                         : linux_capture::kSllHeaderLength + (f.has_vlan ? linux_capture::kVlanTagLength : 0);
    if (data - grow >= header_end) {
      data = v2 ? linux_capture::write_cooked_v2_header(data, c)
                       : linux_capture::write_cooked_header(data, c, f.has_vlan, f.tpid, f.tci);
      caplen += grow;
      origlen += grow;
      inserted = grow;
    }
  } else if (f.has_vlan && ethernet && caplen >= linux_capture::kMacAddressesLength &&
             data - linux_capture::kVlanTagLength >= header_end) {
    data = linux_capture::reinsert_vlan_ethernet(data, f.tpid, f.tci);
    caplen += linux_capture::kVlanTagLength;
    origlen += linux_capture::kVlanTagLength;
    inserted = linux_capture::kVlanTagLength;
  }
  caplen = std::min(caplen, snaplen);
  if (user_filter) [[unlikely]] {
    // What the kernel's filter would have seen besides the bytes (SKF_AD_*, SKF_NET_OFF), with
    // the kernel's meaning of negative offsets and X + k.
    BpfContext ctx;
    ctx.userspace = false;
    ctx.protocol = ntohs(sll->sll_protocol);
    ctx.pkttype = sll->sll_pkttype;
    ctx.ifindex = static_cast<std::uint32_t>(sll->sll_ifindex);
    ctx.hatype = sll->sll_hatype;
    ctx.vlan_present = f.has_vlan;
    ctx.vlan_tci = f.has_vlan ? f.tci : 0;
    ctx.vlan_tpid = f.has_vlan ? f.tpid : 0;
    ctx.net_offset = f.net >= f.mac ? f.net - f.mac + inserted : BpfContext::kNoOffset;
    const std::uint32_t keep = user_filter->run(std::span<const std::byte>(data, caplen), origlen, ctx);
    if (keep == 0) {
      ++user_filter_rejected;
      return;
    }
    caplen = std::min(caplen, keep);
  }

  ifindexes.push_back(static_cast<std::uint32_t>(sll->sll_ifindex));
  PacketView& v = views.emplace_back();
  std::int64_t ns = f.ns;
  if (!options.nanosecond) ns -= ns % 1000;
  v.header.ts = Timestamp{ns};
  v.header.caplen = caplen;
  v.header.origlen = origlen;
  v.header.interface = interface_index;
  v.header.direction = outgoing ? Direction::outbound : Direction::inbound;
  v.header.has_flags = true;
  v.header.flags = (outgoing ? 2u : 1u) | reception_flags(sll->sll_pkttype);
  v.data = std::span<const std::byte>(data, caplen);
}

std::uint32_t LiveCapture::Impl::parse_v3(std::byte* block, std::uint32_t first, std::uint32_t last,
                                          std::uint32_t& offset, bool check) noexcept {
  const std::uint32_t block_size = ring.geometry().block_size;
  constexpr std::uint32_t kHeaderEnd = TPACKET3_HDRLEN;
  // A retired block is read front to back, its lines last written by another CPU: fetching
  // them a little ahead hides most of the miss on each packet's header, the flood's main
  // cost (capture_bench --only drain: 25 -> 15 ns a packet). Not in an open block,
  // whose lines the kernel is still writing.
  constexpr std::uint32_t kPrefetchBytes = 2048;
  std::uint32_t prefetched = offset;
  std::uint32_t i = first;
  for (; i < last; ++i) {
    if (offset > block_size - kHeaderEnd) break;
    std::byte* frame = block + offset;
    if (!check) {
      for (const std::uint32_t until = std::min(offset + kPrefetchBytes, block_size); prefetched < until; prefetched += 64) {
        __builtin_prefetch(block + prefetched);
      }
    }
    auto* hdr = ring_cast<tpacket3_hdr>(frame);
    auto* sll = ring_cast<sockaddr_ll>(frame + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
    if (check && !sll_written(*sll)) break;
    const std::uint32_t next = hdr->tp_next_offset;
    // The kernel writes tp_next_offset before counting the packet and zeroes the last one's
    // when the block retires; without it the next packet cannot be found yet.
    if (check && next == 0) break;
    if (hdr->tp_mac < kHeaderEnd || hdr->tp_mac > block_size - offset ||
        hdr->tp_snaplen > block_size - offset - hdr->tp_mac) {
      break;  // never read outside the block, whatever the header says
    }
    FrameFields f;
    f.len = hdr->tp_len;
    f.snaplen = hdr->tp_snaplen;
    f.mac = hdr->tp_mac;
    f.net = hdr->tp_net;
    f.ns = std::int64_t{hdr->tp_sec} * 1'000'000'000 + hdr->tp_nsec;
    f.has_vlan = (hdr->tp_status & TP_STATUS_VLAN_VALID) != 0;
    if ((hdr->tp_status & TP_STATUS_VLAN_TPID_VALID) != 0) f.tpid = hdr->hv1.tp_vlan_tpid;
    f.tci = static_cast<std::uint16_t>(hdr->hv1.tp_vlan_tci);
    f.sll = sll;
    emit(frame, frame + kHeaderEnd, f);
    offset += next;
  }
  return i - first;
}

void LiveCapture::Impl::release_held() noexcept {
  if (version == 3) {
    if (!holding) return;
    std::byte* block = ring.block(current);
    auto* desc = ring_cast<tpacket_block_desc>(block);
    if (peeked < desc->hdr.bh1.num_pkts) return;  // the rest of it goes in the next batches
    if (peek) {
      // Ours until the status store: make every byte a reader could take for a finished
      // packet in the next lap read as unwritten (file comment), and forget the count.
      const std::uint32_t first = std::min(desc->hdr.bh1.offset_to_first_pkt, ring.geometry().block_size);
      std::memset(block + first, 0xff, ring.geometry().block_size - first);
      desc->hdr.bh1.num_pkts = 0;
    }
    std::atomic_ref<std::uint32_t>(desc->hdr.bh1.block_status)
        .store(TP_STATUS_KERNEL, std::memory_order_release);
    current = (current + 1) % ring.geometry().block_count;
    holding = false;
    peeked = 0;
    peek_offset = 0;
    return;
  }
  const std::uint32_t count = ring.geometry().frame_count();
  for (std::uint32_t i = 0; i < held; ++i) {
    std::byte* frame = ring.frame((current + i) % count);
    if (version == 2) {
      std::atomic_ref<std::uint32_t>(ring_cast<tpacket2_hdr>(frame)->tp_status)
          .store(TP_STATUS_KERNEL, std::memory_order_release);
    } else {
      std::atomic_ref<unsigned long>(ring_cast<tpacket_hdr>(frame)->tp_status)
          .store(TP_STATUS_KERNEL, std::memory_order_release);
    }
  }
  current = (current + held) % count;
  held = 0;
}

bool LiveCapture::Impl::take_ready() noexcept {
  release_held();
  views.clear();
  ifindexes.clear();
  return version == 3 ? take_v3() : take_frames();
}

bool LiveCapture::Impl::take_v3() noexcept {
  for (;;) {
    std::byte* block = ring.block(current);
    auto* desc = ring_cast<tpacket_block_desc>(block);
    const std::uint32_t status = load_acquire(desc->hdr.bh1.block_status);
    if ((status & TP_STATUS_USER) != 0) {
      // A retired block goes out at most kRetiredChunk packets a batch, so that the views
      // written here are still in L1 when the caller reads them (a whole 256 KiB block of
      // small packets made thousands); the block is released after its last chunk.
      // capture_bench --only drain: 14.5 -> 12.7 ns a packet (64: the same, 128: 13.2).
      holding = true;
      const std::uint32_t total = desc->hdr.bh1.num_pkts;
      const std::uint32_t upto = std::min(total, peeked + kRetiredChunk);
      std::uint32_t offset = peeked == 0 ? desc->hdr.bh1.offset_to_first_pkt : peek_offset;
      const std::uint32_t got = parse_v3(block, peeked, upto, offset, false);
      // Fewer than asked: a header pointed outside the block, which ends it.
      peeked = peeked + got == upto ? upto : total;
      peek_offset = offset;
      if (!views.empty()) {
        delivered += views.size();
        return true;
      }
      release_held();  // every packet skipped or already peeked: look further
      continue;
    }
    if (!peek) return false;
    const std::uint32_t count = load_acquire(desc->hdr.bh1.num_pkts);
    if (count <= peeked) return false;
    std::uint32_t offset = peeked == 0 ? load_acquire(desc->hdr.bh1.offset_to_first_pkt) : peek_offset;
    if (offset == 0) return false;  // the block is not open yet
    peeked += parse_v3(block, peeked, count, offset, true);
    peek_offset = offset;
    delivered += views.size();
    delivered_from_open_blocks += views.size();
    return !views.empty();
  }
}

bool LiveCapture::Impl::take_frames() noexcept {
  const std::uint32_t count = ring.geometry().frame_count();
  const std::uint32_t frame_size = ring.geometry().frame_size;
  for (;;) {
    std::uint32_t n = 0;
    while (n < batch_limit) {
      std::byte* frame = ring.frame((current + n) % count);
      FrameFields f;
      std::uint32_t header_len = 0;
      std::uint32_t status = 0;
      if (version == 2) {
        auto* h = ring_cast<tpacket2_hdr>(frame);
        status = load_acquire(h->tp_status);
        if ((status & TP_STATUS_USER) == 0) break;
        f.len = h->tp_len;
        f.snaplen = h->tp_snaplen;
        f.mac = h->tp_mac;
        f.net = h->tp_net;
        f.ns = std::int64_t{h->tp_sec} * 1'000'000'000 + h->tp_nsec;
        f.has_vlan = (status & TP_STATUS_VLAN_VALID) != 0;
        if ((status & TP_STATUS_VLAN_TPID_VALID) != 0) f.tpid = h->tp_vlan_tpid;
        f.tci = h->tp_vlan_tci;
        header_len = TPACKET2_HDRLEN;
        f.sll = ring_cast<sockaddr_ll>(frame + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
      } else {
        auto* h = ring_cast<tpacket_hdr>(frame);
        if ((load_acquire(h->tp_status) & TP_STATUS_USER) == 0) break;
        f.len = h->tp_len;
        f.snaplen = h->tp_snaplen;
        f.mac = h->tp_mac;
        f.net = h->tp_net;
        f.ns = std::int64_t{h->tp_sec} * 1'000'000'000 + std::int64_t{h->tp_usec} * 1000;
        header_len = TPACKET_HDRLEN;
        f.sll = ring_cast<sockaddr_ll>(frame + TPACKET_ALIGN(sizeof(tpacket_hdr)));
      }
      ++n;
      if (f.mac < header_len || f.mac > frame_size || f.snaplen > frame_size - f.mac) continue;
      emit(frame, frame + header_len, f);
    }
    held = n;
    if (!views.empty()) {
      delivered += views.size();
      return true;
    }
    if (n == 0) return false;
    release_held();  // every packet skipped: look further
  }
}

void LiveCapture::Impl::drain_doorbell() noexcept {
  if (!doorbell.valid()) return;
  std::byte sink[1];
  // The queue holds a few packets at most (SO_RCVBUF at its minimum).
  for (int i = 0; i < 64; ++i) {
    if (::recv(doorbell.get(), sink, sizeof sink, MSG_DONTWAIT | MSG_TRUNC) < 0) break;
  }
}

}  // namespace pcapxx
