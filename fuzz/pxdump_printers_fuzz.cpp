// pxdump's protocol printers (part B: ICMP, ICMPv6/ND, IGMP, SCTP, GRE, VXLAN, Geneve, PPPoE,
// DNS, BOOTP/DHCP, NTP) on arbitrary bytes: every printer at every verbosity, with the declared
// length equal to, shorter and longer than the captured bytes. Nothing may crash, hang or read
// outside the input (ASan).
#include <cstddef>
#include <cstdint>
#include <span>

#include "printers/protocols.hpp"

using namespace pxdump::printers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  auto bytes = std::as_bytes(std::span(data + 1, size - 1));
  // Control bits: 0x80 an IPv6 header (40 bytes) comes first, 0x20 an IPv4 header (20 bytes);
  // the printers that read addresses or a pseudo-header get it. 0x40: a fragment.
  IpHeader ip;
  ip.fragmented = (control & 0x40) != 0;
  if ((control & 0x80) != 0 && bytes.size() >= 40) {
    ip.ip6 = bytes.data();
    if ((control & 0x10) != 0) ip.ip6_final_dst = bytes.data() + 8;
    bytes = bytes.subspan(40);
  } else if ((control & 0x20) != 0 && bytes.size() >= 20) {
    ip.ip4 = bytes.data();
    bytes = bytes.subspan(20);
  }
  const std::uint32_t n = static_cast<std::uint32_t>(bytes.size());
  const std::uint32_t lengths[] = {n, n / 2, n + 100};
  const Names names;
  fmt::memory_buffer buf;
  for (int verbose = 0; verbose <= 3; ++verbose) {
    const PrintFlags flags{.verbose = verbose};
    for (const std::uint32_t length : lengths) {
      buf.clear();
      Out out{buf, flags};
      // The RFC 4884 extension prints after the quoted datagram, through Result::after.
      if (const Result icmp = print_icmp(out, names, bytes, length, ip); icmp.after != nullptr)
        icmp.after(out, icmp.after_bytes, icmp.after_length);
      print_icmp6(out, names, bytes, length, ip);
      print_igmp(out, names, bytes, length);
      print_sctp(out, names, bytes, length, ip);
      print_gre(out, names, bytes, length);
      print_vxlan(out, bytes, length);
      print_geneve(out, bytes, length);
      print_pppoe(out, bytes, length);
      print_dns(out, names, bytes, length, false);
      print_dns(out, names, bytes, length, true);
      print_bootp(out, names, bytes, length);
      print_ntp(out, names, bytes, length);
      // A Result's inner bytes must lie inside the input.
      const Result r = print_gre(out, names, bytes, length);
      if (!r.inner.empty() && (r.inner.data() < bytes.data() || r.inner.data() + r.inner.size() > bytes.data() + bytes.size()))
        __builtin_trap();
    }
  }
  return 0;
}
