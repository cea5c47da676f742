#include "capture/linux/netlink.hpp"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <span>

#include <fmt/format.h>

#include "capture/linux/fd.hpp"

namespace pcapxx::linux_capture {
namespace {

constexpr std::size_t kReceiveBuffer = 64 * 1024;

template <class T>
T read_struct(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

IpAddress ip_from(std::uint8_t family, std::span<const std::byte> payload) {
  IpAddress ip;
  ip.version = family == AF_INET6 ? 6 : 4;
  std::size_t n = std::min<std::size_t>(payload.size(), ip.version == 6 ? 16 : 4);
  std::memcpy(ip.bytes.data(), payload.data(), n);
  return ip;
}

/// Walks the rtattr list of one message and calls `each(type, payload)`.
void for_each_attr(std::span<const std::byte> attrs,
                   const std::function<void(unsigned, std::span<const std::byte>)>& each) {
  while (attrs.size() >= sizeof(rtattr)) {
    auto rta = read_struct<rtattr>(attrs.data());
    if (rta.rta_len < sizeof(rtattr) || rta.rta_len > attrs.size()) break;
    each(rta.rta_type & NLA_TYPE_MASK,
         attrs.subspan(RTA_LENGTH(0), rta.rta_len - RTA_LENGTH(0)));
    std::size_t step = RTA_ALIGN(rta.rta_len);
    if (step >= attrs.size()) break;
    attrs = attrs.subspan(step);
  }
}

/// Sends one request and calls `each(message type, payload)` for every answer until
/// NLMSG_DONE (dump) or the single answer (non-dump).
Result<void> request(int sock, std::uint16_t type, std::uint16_t flags,
                     std::span<const std::byte> body, std::string_view what,
                     const std::function<void(std::uint16_t, std::span<const std::byte>)>& each) {
  static std::atomic<std::uint32_t> sequence{1};
  const std::uint32_t seq = sequence.fetch_add(1, std::memory_order_relaxed);
  std::array<std::byte, 128> out{};
  nlmsghdr hdr{};
  hdr.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(body.size()));
  hdr.nlmsg_type = type;
  hdr.nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  hdr.nlmsg_seq = seq;
  std::memcpy(out.data(), &hdr, sizeof hdr);
  std::memcpy(out.data() + NLMSG_HDRLEN, body.data(), body.size());
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(sock, out.data(), hdr.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    return fail_errno(errno, fmt::format("{}: send", what));
  }

  std::vector<std::byte> buf(kReceiveBuffer);
  const bool dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
  for (;;) {
    ssize_t n = ::recv(sock, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, fmt::format("{}: recv", what));
    }
    std::span<const std::byte> rest(buf.data(), static_cast<std::size_t>(n));
    while (rest.size() >= sizeof(nlmsghdr)) {
      auto msg = read_struct<nlmsghdr>(rest.data());
      if (msg.nlmsg_len < sizeof(nlmsghdr) || msg.nlmsg_len > rest.size()) {
        return fail(Errc::format, fmt::format("{}: malformed netlink message", what));
      }
      auto payload = rest.subspan(NLMSG_HDRLEN, msg.nlmsg_len - NLMSG_HDRLEN);
      if (msg.nlmsg_seq != seq) {  // a late answer to an earlier request on a shared socket
        std::size_t skip = NLMSG_ALIGN(msg.nlmsg_len);
        if (skip >= rest.size()) break;
        rest = rest.subspan(skip);
        continue;
      }
      if (msg.nlmsg_type == NLMSG_DONE) return {};
      if (msg.nlmsg_type == NLMSG_ERROR) {
        auto err = read_struct<nlmsgerr>(payload.data());
        if (err.error == 0) return {};
        return fail_errno(-err.error, std::string(what));
      }
      each(msg.nlmsg_type, payload);
      if (!dump) return {};
      std::size_t step = NLMSG_ALIGN(msg.nlmsg_len);
      if (step >= rest.size()) break;
      rest = rest.subspan(step);
    }
  }
}

Result<void> request(std::uint16_t type, std::uint16_t flags, std::span<const std::byte> body,
                     std::string_view what,
                     const std::function<void(std::uint16_t, std::span<const std::byte>)>& each) {
  auto fd = open_rtnetlink();
  if (!fd) return std::unexpected(fd.error());
  return request(fd->get(), type, flags, body, what, each);
}

LinkInfo parse_link(std::span<const std::byte> payload) {
  LinkInfo link;
  if (payload.size() < sizeof(ifinfomsg)) return link;
  auto ifi = read_struct<ifinfomsg>(payload.data());
  link.index = static_cast<std::uint32_t>(ifi.ifi_index);
  link.flags = ifi.ifi_flags;
  link.arphrd = ifi.ifi_type;
  for_each_attr(payload.subspan(NLMSG_ALIGN(sizeof(ifinfomsg))),
                [&](unsigned type, std::span<const std::byte> value) {
                  switch (type) {
                    case IFLA_IFNAME:
                      link.name.assign(reinterpret_cast<const char*>(value.data()),
                                       strnlen(reinterpret_cast<const char*>(value.data()),
                                               value.size()));
                      break;
                    case IFLA_ADDRESS:
                      link.address.resize(value.size());
                      std::memcpy(link.address.data(), value.data(), value.size());
                      break;
                    case IFLA_MTU:
                      if (value.size() >= 4) link.mtu = read_struct<std::uint32_t>(value.data());
                      break;
                    case IFLA_PROMISCUITY:
                      if (value.size() >= 4) link.promiscuity = read_struct<std::uint32_t>(value.data());
                      break;
                    case IFLA_STATS64:
                      if (value.size() >= sizeof(rtnl_link_stats64)) {
                        auto st = read_struct<rtnl_link_stats64>(value.data());
                        link.rx_packets = st.rx_packets;
                        link.rx_dropped = st.rx_dropped;
                        link.rx_missed_errors = st.rx_missed_errors;
                        link.rx_fifo_errors = st.rx_fifo_errors;
                        link.rx_over_errors = st.rx_over_errors;
                        link.rx_nohandler = st.rx_nohandler;
                      }
                      break;
                    default:
                      break;
                  }
                });
  return link;
}

}  // namespace

Result<UniqueFd> open_rtnetlink() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return fail_errno(errno, "rtnetlink: socket(AF_NETLINK)");
  return fd;
}

Result<std::vector<LinkInfo>> dump_links() {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  std::vector<LinkInfo> links;
  auto ok = request(RTM_GETLINK, NLM_F_DUMP, std::as_bytes(std::span(&ifi, 1)),
                    "rtnetlink: RTM_GETLINK dump",
                    [&](std::uint16_t type, std::span<const std::byte> payload) {
                      if (type == RTM_NEWLINK) links.push_back(parse_link(payload));
                    });
  if (!ok) return std::unexpected(ok.error());
  return links;
}

Result<LinkInfo> get_link(std::uint32_t index) {
  auto fd = open_rtnetlink();
  if (!fd) return std::unexpected(fd.error());
  return get_link(fd->get(), index);
}

Result<LinkInfo> get_link(int netlink_fd, std::uint32_t index) {
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = static_cast<int>(index);
  std::optional<LinkInfo> link;
  auto ok = request(netlink_fd, RTM_GETLINK, 0, std::as_bytes(std::span(&ifi, 1)),
                    fmt::format("rtnetlink: RTM_GETLINK ifindex {}", index),
                    [&](std::uint16_t type, std::span<const std::byte> payload) {
                      if (type == RTM_NEWLINK) link = parse_link(payload);
                    });
  if (!ok) return std::unexpected(ok.error());
  if (!link) return fail(Errc::not_found, fmt::format("ifindex {}: no such device", index));
  return *link;
}

Result<std::vector<AddrInfo>> dump_addresses() {
  ifaddrmsg ifa{};
  ifa.ifa_family = AF_UNSPEC;
  std::vector<AddrInfo> addrs;
  auto ok = request(
      RTM_GETADDR, NLM_F_DUMP, std::as_bytes(std::span(&ifa, 1)), "rtnetlink: RTM_GETADDR dump",
      [&](std::uint16_t type, std::span<const std::byte> payload) {
        if (type != RTM_NEWADDR || payload.size() < sizeof(ifaddrmsg)) return;
        auto msg = read_struct<ifaddrmsg>(payload.data());
        if (msg.ifa_family != AF_INET && msg.ifa_family != AF_INET6) return;
        AddrInfo a;
        a.index = msg.ifa_index;
        a.family = msg.ifa_family;
        a.prefix_length = msg.ifa_prefixlen;
        for_each_attr(payload.subspan(NLMSG_ALIGN(sizeof(ifaddrmsg))),
                      [&](unsigned t, std::span<const std::byte> value) {
                        if (t == IFA_ADDRESS) a.address = ip_from(a.family, value);
                        if (t == IFA_LOCAL) a.local = ip_from(a.family, value);
                        if (t == IFA_BROADCAST) a.broadcast = ip_from(a.family, value);
                      });
        addrs.push_back(a);
      });
  if (!ok) return std::unexpected(ok.error());
  return addrs;
}

}  // namespace pcapxx::linux_capture
