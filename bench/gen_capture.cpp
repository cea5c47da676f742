// pxgen: writes a synthetic capture of a requested size for benchmarks. The traffic is a
// deterministic mix (for a given --seed) of Ethernet frames carrying IPv4 and IPv6 with TCP, UDP,
// ICMP and ICMPv6, some of them 802.1Q-tagged, 64 to 1514 bytes long (many small, many
// full-size), with valid IPv4 header checksums and valid TCP/UDP/ICMP/ICMPv6 checksums, and
// increasing timestamps. Two narrower mixes feed the layer benchmarks (bench/layers_oracles.sh):
// --mix tcp (Ethernet/IPv4/TCP only, most segments with the timestamps option, SYNs with MSS,
// SACK permitted and window scale) and --mix dns (Ethernet/IPv4/UDP DNS queries and answers with
// name compression).
//
// It writes the pcap (or pcapng) bytes itself rather than through SavefileWriter, so the
// benchmark input does not depend on the code being measured. Speed comes from building each
// frame as a short header written field by field plus a memcpy of a fixed payload pattern
// whose checksum prefix sums are computed once.
//
// Formats: draft-ietf-opsawg-pcap (file and record headers), draft-ietf-opsawg-pcapng (SHB,
// IDB, EPB); RFC 791 (IPv4), RFC 8200 (IPv6), RFC 9293 (TCP), RFC 768 (UDP), RFC 792 (ICMP),
// RFC 4443 (ICMPv6), IEEE 802.1Q (VLAN tag), RFC 1071 (Internet checksum), RFC 7323 (TCP
// timestamps), RFC 1035 (DNS messages, 4.1.4 compression).
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/byte_order.hpp"

namespace {

using pcapxx::detail::store_be16;
using pcapxx::detail::store_be32;
using pcapxx::detail::store_raw;

constexpr std::size_t kMaxFrame = 1514;
constexpr std::size_t kMinFrame = 64;
constexpr std::uint32_t kSnaplen = 65535;
constexpr std::uint16_t kLinkTypeEthernet = 1;
constexpr std::size_t kFlows = 4096;

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint8_t kProtoIcmp = 1;
constexpr std::uint8_t kProtoTcp = 6;
constexpr std::uint8_t kProtoUdp = 17;
constexpr std::uint8_t kProtoIcmpv6 = 58;

constexpr std::string_view kUsage =
    "usage: pxgen --out FILE [--size SIZE] [--seed N] [--mix MIX] [--pcapng]\n"
    "\n"
    "Writes a synthetic Ethernet capture of about SIZE bytes (never more) for benchmarks:\n"
    "IPv4/IPv6 with TCP, UDP, ICMP, ICMPv6, some frames 802.1Q-tagged, 64..1514 bytes each.\n"
    "The same seed gives the same file.\n"
    "\n"
    "  --out FILE   where to write; '-' is standard output\n"
    "  --size SIZE  bytes, with an optional K, M or G suffix (powers of 1024); default 1G\n"
    "  --seed N     seed of the traffic mix; default 1\n"
    "  --mix MIX    all (the mix above; default), tcp (Ethernet/IPv4/TCP only, with TCP options)\n"
    "               or dns (Ethernet/IPv4/UDP DNS queries and answers)\n"
    "  --pcapng     write pcapng (SHB, IDB, EPBs) instead of pcap\n"
    "  --help       this text\n";

// splitmix64: small, fast and good enough to pick kinds, sizes and flows deterministically.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n).
  std::uint32_t below(std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
  }

 private:
  std::uint64_t state_;
};

enum class Kind : std::uint8_t {
  ipv4_tcp, ipv4_udp, ipv4_icmp, ipv6_tcp, ipv6_udp, ipv6_icmpv6,
  vlan_ipv4_tcp, vlan_ipv4_udp, vlan_ipv6_udp,
};

/// Which traffic a capture holds.
enum class Mix : std::uint8_t { all, tcp, dns };

struct KindWeight {
  Kind kind;
  std::uint32_t percent;
};

// Roughly what a campus uplink looks like: mostly TCP over IPv4, a fair share of IPv6.
constexpr KindWeight kMix[] = {
    {Kind::ipv4_tcp, 40},      {Kind::ipv4_udp, 15},      {Kind::ipv4_icmp, 3},
    {Kind::ipv6_tcp, 15},      {Kind::ipv6_udp, 8},       {Kind::ipv6_icmpv6, 2},
    {Kind::vlan_ipv4_tcp, 10}, {Kind::vlan_ipv4_udp, 3},  {Kind::vlan_ipv6_udp, 4},
};

constexpr bool has_vlan(Kind k) {
  return k == Kind::vlan_ipv4_tcp || k == Kind::vlan_ipv4_udp || k == Kind::vlan_ipv6_udp;
}
constexpr bool is_ipv6(Kind k) {
  return k == Kind::ipv6_tcp || k == Kind::ipv6_udp || k == Kind::ipv6_icmpv6 || k == Kind::vlan_ipv6_udp;
}
constexpr std::uint8_t l4_proto(Kind k) {
  switch (k) {
    case Kind::ipv4_tcp: case Kind::ipv6_tcp: case Kind::vlan_ipv4_tcp: return kProtoTcp;
    case Kind::ipv4_udp: case Kind::ipv6_udp: case Kind::vlan_ipv4_udp: case Kind::vlan_ipv6_udp:
      return kProtoUdp;
    case Kind::ipv4_icmp: return kProtoIcmp;
    case Kind::ipv6_icmpv6: return kProtoIcmpv6;
  }
  return kProtoUdp;
}
constexpr std::size_t l4_header_len(std::uint8_t proto) { return proto == kProtoTcp ? 20 : 8; }

// Frame sizes: about a third minimal (ACKs, DNS-sized), a third full-size (bulk transfer), the
// rest spread between, with the classic 576-byte peak.
std::size_t pick_frame_size(Rng& rng) {
  std::uint32_t r = rng.below(100);
  if (r < 35) return kMinFrame + rng.below(26);          // 64..89
  if (r < 50) return 90 + rng.below(486);                // 90..575
  if (r < 55) return 576;
  if (r < 62) return 577 + rng.below(kMaxFrame - 577);   // 577..1513
  return kMaxFrame;
}

// The payload every frame carries a prefix of, and the ones'-complement sums of its prefixes,
// so a transport checksum costs a few header words whatever the frame length.
struct PayloadPattern {
  std::array<std::byte, kMaxFrame> bytes{};
  std::array<std::uint32_t, kMaxFrame / 2 + 1> word_sums{};  // sum of the first i 16-bit words

  PayloadPattern() {
    // Lower-case letters and digits: plain data no heuristic dissector takes for a protocol.
    constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = std::byte(kAlphabet[(i * 7) % kAlphabet.size()]);
    for (std::size_t i = 0; i < kMaxFrame / 2; ++i)
      word_sums[i + 1] = word_sums[i] + pcapxx::detail::load_be16(&bytes[2 * i]);
  }

  /// Sum of the 16-bit words of the first n payload bytes (the odd last byte padded with zero).
  [[nodiscard]] std::uint32_t sum(std::size_t n) const noexcept {
    std::uint32_t s = word_sums[n / 2];
    if (n % 2) s += std::to_integer<std::uint32_t>(bytes[n - 1]) << 8;
    return s;
  }
};

std::uint32_t sum_words(const std::byte* p, std::size_t len) noexcept {
  std::uint32_t s = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) s += pcapxx::detail::load_be16(p + i);
  if (len % 2) s += std::to_integer<std::uint32_t>(p[len - 1]) << 8;
  return s;
}

std::uint16_t fold(std::uint64_t s) noexcept {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s & 0xffff);
}

// Per-flow state: TCP sequence numbers move on as a real connection's would.
struct Flow {
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
};

class FrameBuilder {
 public:
  FrameBuilder(std::uint64_t seed, Mix mix) : rng_(seed), mix_(mix) {
    for (std::size_t i = 0; i < kFlows; ++i) {
      flows_[i].seq = static_cast<std::uint32_t>(rng_.next());
      flows_[i].ack = static_cast<std::uint32_t>(rng_.next());
    }
  }

  /// Builds the next frame into out (room for kMaxFrame bytes) and returns its length.
  std::size_t next(std::byte* out) {
    if (mix_ == Mix::dns) return next_dns(out);
    std::uint32_t r = rng_.below(100);
    Kind kind = kMix[0].kind;
    for (const KindWeight& w : kMix) {
      if (r < w.percent) {
        kind = w.kind;
        break;
      }
      r -= w.percent;
    }
    if (mix_ == Mix::tcp) kind = Kind::ipv4_tcp;
    std::size_t flow_index = rng_.below(kFlows);
    Flow& flow = flows_[flow_index];
    auto f = static_cast<std::uint32_t>(flow_index);
    bool reply = (rng_.next() & 1) != 0;  // which way along the flow

    const std::uint8_t proto = l4_proto(kind);
    const std::size_t l2 = has_vlan(kind) ? 18 : 14;
    const std::size_t l3 = is_ipv6(kind) ? 40 : 20;
    // --mix tcp: one segment in 16 is a SYN (MSS, SACK permitted, window scale: 20 option
    // bytes), most others carry timestamps after two NOPs (12 bytes), as Linux sends them.
    const std::uint32_t tcp_shape = mix_ == Mix::tcp ? rng_.below(16) : 16;
    const std::size_t tcp_options = tcp_shape == 0 ? 20 : tcp_shape < 13 ? 12 : 0;
    const std::size_t l4 = l4_header_len(proto) + (proto == kProtoTcp ? tcp_options : 0);
    const std::size_t headers = l2 + l3 + l4;
    const std::size_t len = std::max(pick_frame_size(rng_), headers);
    const std::size_t payload = len - headers;

    // Ethernet: locally administered unicast MACs derived from the flow.
    std::byte* p = out;
    write_mac(p, reply ? 0x20000 + f : 0x10000 + f);
    write_mac(p + 6, reply ? 0x10000 + f : 0x20000 + f);
    std::uint16_t ethertype = is_ipv6(kind) ? kEtherIpv6 : kEtherIpv4;
    if (has_vlan(kind)) {
      store_be16(p + 12, kEtherVlan);
      store_be16(p + 14, static_cast<std::uint16_t>(1 + f % 4094));  // PCP 0, DEI 0, VID 1..4094
      store_be16(p + 16, ethertype);
    } else {
      store_be16(p + 12, ethertype);
    }

    // IP: 10.<flow>.x / 2001:db8::<flow>; the pseudo-header sum feeds the transport checksum.
    std::byte* ip = out + l2;
    std::uint64_t pseudo = 0;
    const auto l4_len = static_cast<std::uint16_t>(l4 + payload);
    std::uint32_t client4 = 0x0a000000u | (f << 8) | 0x02;
    std::uint32_t server4 = 0x0a800000u | ((f * 7) % 4096) << 8 | 0x01;
    if (!is_ipv6(kind)) {
      put_ipv4(ip, static_cast<std::uint16_t>(l3 + l4_len), 0x4000 /* DF */, proto, reply ? server4 : client4,
               reply ? client4 : server4);
      if (proto != kProtoIcmp) pseudo = sum_words(ip + 12, 8) + proto + l4_len;
    } else {
      store_be32(ip, 0x60000000u | (f & 0xfffff));  // version 6, flow label from the flow
      store_be16(ip + 4, l4_len);
      ip[6] = std::byte{proto};
      ip[7] = std::byte{64};
      write_ipv6(ip + 8, reply ? 0x8000 + f : 0x1000 + f);
      write_ipv6(ip + 24, reply ? 0x1000 + f : 0x8000 + f);
      pseudo = sum_words(ip + 8, 32) + l4_len + proto;
    }

    // Transport header, checksum last.
    std::byte* t = out + l2 + l3;
    std::uint16_t client_port = static_cast<std::uint16_t>(49152 + f);
    std::uint16_t server_port = static_cast<std::uint16_t>(49152 + 8192 + f % 4096);
    std::size_t checksum_at = 0;
    switch (proto) {
      case kProtoTcp: {
        store_be16(t, reply ? server_port : client_port);
        store_be16(t + 2, reply ? client_port : server_port);
        std::uint32_t& seq = reply ? flow.ack : flow.seq;
        std::uint32_t& ack = reply ? flow.seq : flow.ack;
        store_be32(t + 4, seq);
        store_be32(t + 8, ack);
        seq += static_cast<std::uint32_t>(payload);
        const auto offset_words = static_cast<std::uint16_t>((20 + tcp_options) / 4);
        const std::uint16_t flags = tcp_options == 20 ? 0x002 : payload > 0 ? 0x018 : 0x010;  // SYN; ACK (+PSH)
        store_be16(t + 12, static_cast<std::uint16_t>(offset_words << 12 | flags));
        store_be16(t + 14, 64240);
        store_be16(t + 16, 0);
        store_be16(t + 18, 0);
        write_tcp_options(t + 20, tcp_options);
        checksum_at = 16;
        break;
      }
      case kProtoUdp:
        store_be16(t, reply ? server_port : client_port);
        store_be16(t + 2, reply ? client_port : server_port);
        store_be16(t + 4, l4_len);
        store_be16(t + 6, 0);
        checksum_at = 6;
        break;
      default: {  // ICMP / ICMPv6 echo request or reply
        bool v6 = proto == kProtoIcmpv6;
        t[0] = std::byte(v6 ? (reply ? 129 : 128) : (reply ? 0 : 8));
        t[1] = std::byte{0};
        store_be16(t + 2, 0);
        store_be16(t + 4, static_cast<std::uint16_t>(f));
        store_be16(t + 6, static_cast<std::uint16_t>(flow.seq++));
        checksum_at = 2;
        break;
      }
    }
    std::memcpy(t + l4, pattern_.bytes.data(), payload);
    std::uint16_t sum = fold(pseudo + sum_words(t, l4) + pattern_.sum(payload));
    if (proto == kProtoUdp && sum == 0) sum = 0xffff;  // RFC 768: 0 means "no checksum"
    store_be16(t + checksum_at, sum);
    return len;
  }

  /// An Ethernet/IPv4/UDP DNS query or answer (RFC 1035 4.1): a question for one of a few
  /// hundred names, answers of one CNAME and one to four A records, names compressed (4.1.4).
  std::size_t next_dns(std::byte* out) {
    const std::uint32_t f = rng_.below(kFlows);
    const bool answer = (rng_.next() & 1) != 0;
    const std::uint32_t host = rng_.below(300);
    std::byte* p = out;
    write_mac(p, answer ? 0x20000 + f : 0x10000 + f);
    write_mac(p + 6, answer ? 0x10000 + f : 0x20000 + f);
    store_be16(p + 12, kEtherIpv4);
    std::byte* ip = p + 14;
    std::byte* udp = ip + 20;
    std::byte* dns = udp + 8;
    // Header: id, flags (query RD / answer QR RD RA), counts.
    const std::uint16_t id = static_cast<std::uint16_t>(f * 31 + host);
    const std::uint32_t n_a = answer ? 1 + rng_.below(4) : 0;
    store_be16(dns, id);
    store_be16(dns + 2, answer ? 0x8180 : 0x0100);
    store_be16(dns + 4, 1);
    store_be16(dns + 6, static_cast<std::uint16_t>(answer ? 1 + n_a : 0));
    store_be16(dns + 8, 0);
    store_be16(dns + 10, 0);
    std::size_t at = 12;
    // Question: www<host>.<zone>.example.com, A, IN.
    const std::string label = fmt::format("www{}", host);
    const std::string_view zone = kZones[host % std::size(kZones)];
    const std::size_t qname_at = at;
    at = put_label(dns, at, label);
    const std::size_t zone_at = at;
    at = put_label(dns, at, zone);
    at = put_label(dns, at, "example");
    at = put_label(dns, at, "com");
    dns[at++] = std::byte{0};
    store_be16(dns + at, 1);
    store_be16(dns + at + 2, 1);
    at += 4;
    if (answer) {
      // CNAME: the question's name -> edge<n>.<zone>.example.com (the zone by pointer).
      std::size_t rr = put_rr_head(dns, at, qname_at, 5);
      const std::size_t target_at = rr;
      rr = put_label(dns, rr, fmt::format("edge{}", host % 7));
      store_be16(dns + rr, static_cast<std::uint16_t>(0xc000 | zone_at));
      rr += 2;
      store_be16(dns + target_at - 2, static_cast<std::uint16_t>(rr - target_at));  // RDLENGTH
      at = rr;
      for (std::uint32_t i = 0; i < n_a; ++i) {
        at = put_rr_head(dns, at, target_at, 1);
        store_be16(dns + at - 2, 4);
        store_be32(dns + at, 0xc6336400u | ((host * 4 + i) & 0xff));  // 198.51.100.0/24 (RFC 5737)
        at += 4;
      }
    }
    const std::size_t dns_len = at;
    const auto udp_len = static_cast<std::uint16_t>(8 + dns_len);
    const std::uint32_t client = 0x0a000000u | (f << 8) | 0x02;
    const std::uint32_t resolver = 0x0a800035u;
    put_ipv4(ip, static_cast<std::uint16_t>(20 + udp_len), 0, kProtoUdp, answer ? resolver : client,
             answer ? client : resolver);
    const auto client_port = static_cast<std::uint16_t>(32768 + f);
    store_be16(udp, answer ? 53 : client_port);
    store_be16(udp + 2, answer ? client_port : 53);
    store_be16(udp + 4, udp_len);
    store_be16(udp + 6, 0);
    const std::uint64_t pseudo = sum_words(ip + 12, 8) + kProtoUdp + udp_len;
    std::uint16_t sum = fold(pseudo + sum_words(udp, udp_len));
    if (sum == 0) sum = 0xffff;  // RFC 768: 0 means "no checksum"
    store_be16(udp + 6, sum);
    const std::size_t len = 14 + 20 + udp_len;
    if (len < 60) {  // pad to the Ethernet minimum (without FCS); the padding is a trailer
      std::memset(out + len, 0, 60 - len);
      return 60;
    }
    return len;
  }

  /// The gap to the next packet, in nanoseconds: bursts and pauses, always at least 1 µs.
  std::uint64_t next_gap_ns() { return 1000 + rng_.below(rng_.below(8) == 0 ? 2'000'000 : 60'000); }

 private:
  static void write_mac(std::byte* p, std::uint32_t id) {
    p[0] = std::byte{0x02};
    p[1] = std::byte{0x00};
    store_be32(p + 2, id);
  }
  static constexpr std::string_view kZones[] = {"cdn", "mail", "api", "static", "corp"};

  static std::size_t put_label(std::byte* msg, std::size_t at, std::string_view label) {
    msg[at] = std::byte(label.size());
    std::memcpy(msg + at + 1, label.data(), label.size());
    return at + 1 + label.size();
  }
  // A resource record's owner (a pointer to `name_at`), type, class IN, TTL 300 and a zero
  // RDLENGTH the caller fills in; returns where RDATA starts.
  static std::size_t put_rr_head(std::byte* msg, std::size_t at, std::size_t name_at, std::uint16_t type) {
    store_be16(msg + at, static_cast<std::uint16_t>(0xc000 | name_at));
    store_be16(msg + at + 2, type);
    store_be16(msg + at + 4, 1);
    store_be32(msg + at + 6, 300);
    store_be16(msg + at + 10, 0);
    return at + 12;
  }
  // SYN options (20 bytes): MSS 1460, SACK permitted, NOP, window scale 7, NOPs to a word
  // boundary; otherwise (12 bytes) NOP, NOP, timestamps (RFC 7323 3.2).
  void write_tcp_options(std::byte* p, std::size_t len) {
    if (len == 20) {
      const std::uint8_t syn[20] = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
      std::memcpy(p, syn, sizeof syn);
    } else if (len == 12) {
      p[0] = std::byte{1};
      p[1] = std::byte{1};
      p[2] = std::byte{8};
      p[3] = std::byte{10};
      store_be32(p + 4, ts_val_);
      store_be32(p + 8, ts_val_ - 40);
      ts_val_ += 3;
    }
  }

  static void write_ipv6(std::byte* p, std::uint32_t id) {
    store_be32(p, 0x20010db8);
    std::memset(p + 4, 0, 8);
    store_be32(p + 12, id);
  }

  Rng rng_;
  Mix mix_;
  std::uint32_t ts_val_ = 100000;
  std::array<Flow, kFlows> flows_{};
  PayloadPattern pattern_;
  // A 20-byte IPv4 header (no options, TTL 64, the next id), its checksum filled in.
  void put_ipv4(std::byte* ip, std::uint16_t total_len, std::uint16_t flags_fragment, std::uint8_t proto,
                std::uint32_t src, std::uint32_t dst) {
    store_be16(ip, 0x4500);  // version 4, IHL 5, DSCP 0
    store_be16(ip + 2, total_len);
    store_be16(ip + 4, static_cast<std::uint16_t>(ip_id_++));
    store_be16(ip + 6, flags_fragment);
    ip[8] = std::byte{64};
    ip[9] = std::byte{proto};
    store_be16(ip + 10, 0);
    store_be32(ip + 12, src);
    store_be32(ip + 16, dst);
    store_be16(ip + 10, fold(sum_words(ip, 20)));
  }

  std::uint32_t ip_id_ = 1;
};

// Writes to a descriptor through one large buffer.
class Output {
 public:
  Output(int fd, std::string name) : fd_(fd), name_(std::move(name)), buf_(kBufferSize) {}
  ~Output() {
    if (fd_ > STDERR_FILENO) ::close(fd_);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  /// Room for n bytes at the end of the buffer; flushes first when needed.
  std::byte* reserve(std::size_t n) {
    if (used_ + n > buf_.size() && !flush()) return nullptr;
    return buf_.data() + used_;
  }
  void commit(std::size_t n) noexcept { used_ += n; }

  bool flush() {
    std::size_t done = 0;
    while (done < used_) {
      ssize_t w = ::write(fd_, buf_.data() + done, used_ - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        fmt::print(stderr, "pxgen: {}: write failed: {}\n", name_, std::strerror(errno));
        return false;
      }
      done += static_cast<std::size_t>(w);
    }
    used_ = 0;
    return true;
  }

 private:
  static constexpr std::size_t kBufferSize = 4 << 20;
  int fd_;
  std::string name_;
  std::vector<std::byte> buf_;
  std::size_t used_ = 0;
};

std::optional<std::uint64_t> parse_size(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  std::string_view unit(end, static_cast<std::size_t>(s.data() + s.size() - end));
  if (unit.ends_with("iB")) unit.remove_suffix(2);
  else if (unit.ends_with("B") && unit.size() > 1) unit.remove_suffix(1);
  int shift = 0;
  if (unit.empty()) shift = 0;
  else if (unit == "K" || unit == "k") shift = 10;
  else if (unit == "M" || unit == "m") shift = 20;
  else if (unit == "G" || unit == "g") shift = 30;
  else return std::nullopt;
  if (v > (UINT64_MAX >> shift)) return std::nullopt;
  return v << shift;
}

struct Options {
  std::string out;
  std::uint64_t size = 1ULL << 30;
  std::uint64_t seed = 1;
  bool pcapng = false;
  Mix mix = Mix::all;
};

// Start of the capture: 2024-01-01T00:00:00Z.
constexpr std::uint64_t kStartNs = 1'704'067'200ULL * 1'000'000'000ULL;

constexpr std::size_t kPcapFileHeader = 24;
constexpr std::size_t kPcapRecordHeader = 16;
constexpr std::size_t kShbLen = 28;
constexpr std::size_t kIdbLen = 20;
constexpr std::size_t kEpbOverhead = 32;

void write_file_header(std::byte* p, bool pcapng) {
  // Host byte order throughout: the magic tells readers which it is.
  if (!pcapng) {
    store_raw<std::uint32_t>(p, 0xa1b2c3d4);  // microsecond timestamps
    store_raw<std::uint16_t>(p + 4, 2);
    store_raw<std::uint16_t>(p + 6, 4);
    store_raw<std::uint32_t>(p + 8, 0);   // thiszone (must be 0)
    store_raw<std::uint32_t>(p + 12, 0);  // sigfigs (must be 0)
    store_raw<std::uint32_t>(p + 16, kSnaplen);
    store_raw<std::uint32_t>(p + 20, kLinkTypeEthernet);
    return;
  }
  // Section Header Block without options, section length unknown (-1).
  store_raw<std::uint32_t>(p, 0x0a0d0d0a);
  store_raw<std::uint32_t>(p + 4, kShbLen);
  store_raw<std::uint32_t>(p + 8, 0x1a2b3c4d);
  store_raw<std::uint16_t>(p + 12, 1);
  store_raw<std::uint16_t>(p + 14, 0);
  store_raw<std::uint64_t>(p + 16, ~std::uint64_t{0});
  store_raw<std::uint32_t>(p + 24, kShbLen);
  // Interface Description Block without options: microsecond timestamps by default.
  std::byte* i = p + kShbLen;
  store_raw<std::uint32_t>(i, 1);
  store_raw<std::uint32_t>(i + 4, kIdbLen);
  store_raw<std::uint16_t>(i + 8, kLinkTypeEthernet);
  store_raw<std::uint16_t>(i + 10, 0);
  store_raw<std::uint32_t>(i + 12, kSnaplen);
  store_raw<std::uint32_t>(i + 16, kIdbLen);
}

int run(const Options& opt) {
  const std::size_t header_len = opt.pcapng ? kShbLen + kIdbLen : kPcapFileHeader;
  if (opt.size < header_len) {
    fmt::print(stderr, "pxgen: --size {} is smaller than the {}-byte file header\n", opt.size, header_len);
    return 2;
  }
  int fd = STDOUT_FILENO;
  if (opt.out != "-") {
    fd = ::open(opt.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      fmt::print(stderr, "pxgen: {}: {}\n", opt.out, std::strerror(errno));
      return 1;
    }
  }
  Output out(fd, opt.out);
  std::byte* h = out.reserve(header_len);
  if (h == nullptr) return 1;
  write_file_header(h, opt.pcapng);
  out.commit(header_len);

  FrameBuilder builder(opt.seed, opt.mix);
  std::uint64_t written = header_len;
  std::uint64_t packets = 0;
  std::uint64_t ts = kStartNs;
  auto start = std::chrono::steady_clock::now();
  const std::size_t record_room = (opt.pcapng ? kEpbOverhead + 3 : kPcapRecordHeader) + kMaxFrame;
  for (;;) {
    std::byte* rec = out.reserve(record_room);
    if (rec == nullptr) return 1;
    std::byte* frame = rec + (opt.pcapng ? 28 : kPcapRecordHeader);
    std::size_t len = builder.next(frame);
    std::size_t rec_len = opt.pcapng ? kEpbOverhead + ((len + 3) & ~std::size_t{3}) : kPcapRecordHeader + len;
    if (written + rec_len > opt.size) break;  // never more than asked for
    auto caplen = static_cast<std::uint32_t>(len);
    if (!opt.pcapng) {
      store_raw<std::uint32_t>(rec, static_cast<std::uint32_t>(ts / 1'000'000'000));
      store_raw<std::uint32_t>(rec + 4, static_cast<std::uint32_t>(ts % 1'000'000'000 / 1000));
      store_raw<std::uint32_t>(rec + 8, caplen);
      store_raw<std::uint32_t>(rec + 12, caplen);
    } else {
      std::uint64_t us = ts / 1000;
      store_raw<std::uint32_t>(rec, 6);  // Enhanced Packet Block
      store_raw<std::uint32_t>(rec + 4, static_cast<std::uint32_t>(rec_len));
      store_raw<std::uint32_t>(rec + 8, 0);  // interface 0
      store_raw<std::uint32_t>(rec + 12, static_cast<std::uint32_t>(us >> 32));
      store_raw<std::uint32_t>(rec + 16, static_cast<std::uint32_t>(us));
      store_raw<std::uint32_t>(rec + 20, caplen);
      store_raw<std::uint32_t>(rec + 24, caplen);
      std::memset(frame + len, 0, rec_len - kEpbOverhead - len);
      store_raw<std::uint32_t>(rec + rec_len - 4, static_cast<std::uint32_t>(rec_len));
    }
    out.commit(rec_len);
    written += rec_len;
    ++packets;
    ts += builder.next_gap_ns();
  }
  if (!out.flush()) return 1;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr, "pxgen: {}: {} packets, {} bytes ({}) in {:.2f} s\n", opt.out, packets, written,
             opt.pcapng ? "pcapng" : "pcap", secs);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::optional<std::string_view> {
      if (i + 1 >= argc) {
        fmt::print(stderr, "pxgen: {} needs a value\n{}", a, kUsage);
        return std::nullopt;
      }
      return std::string_view(argv[++i]);
    };
    if (a == "--help" || a == "-h") {
      fmt::print("{}", kUsage);
      return 0;
    } else if (a == "--out" || a == "-o") {
      auto v = value();
      if (!v) return 2;
      opt.out = *v;
    } else if (a == "--size" || a == "-s") {
      auto v = value();
      if (!v) return 2;
      auto size = parse_size(*v);
      if (!size) {
        fmt::print(stderr, "pxgen: --size '{}' is not a size (examples: 1000000, 64K, 100M, 1G)\n", *v);
        return 2;
      }
      opt.size = *size;
    } else if (a == "--seed") {
      auto v = value();
      if (!v) return 2;
      auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), opt.seed);
      if (ec != std::errc() || end != v->data() + v->size()) {
        fmt::print(stderr, "pxgen: --seed '{}' is not a number\n", *v);
        return 2;
      }
    } else if (a == "--mix") {
      auto v = value();
      if (!v) return 2;
      if (*v == "all") {
        opt.mix = Mix::all;
      } else if (*v == "tcp") {
        opt.mix = Mix::tcp;
      } else if (*v == "dns") {
        opt.mix = Mix::dns;
      } else {
        fmt::print(stderr, "pxgen: --mix '{}' is not one of all, tcp, dns\n", *v);
        return 2;
      }
    } else if (a == "--pcapng") {
      opt.pcapng = true;
    } else {
      fmt::print(stderr, "pxgen: unknown argument '{}'\n{}", a, kUsage);
      return 2;
    }
  }
  if (opt.out.empty()) {
    fmt::print(stderr, "pxgen: --out is required\n{}", kUsage);
    return 2;
  }
  return run(opt);
}
