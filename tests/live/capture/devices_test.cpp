// Device discovery against the kernel and against `tcpdump -D` (the oracle, run as a process).
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "live/netns.hpp"
#include "pcapxx/device.hpp"

namespace pcapxx::test {
namespace {

struct Listed {
  std::string name;
  std::string flags;
  friend bool operator==(const Listed&, const Listed&) = default;
};

std::ostream& operator<<(std::ostream& os, const Listed& l) { return os << l.name << " [" << l.flags << "]"; }

// Capture sources libpcap lists besides network devices; pcapxx does not provide them.
bool is_other_libpcap_source(const std::string& name) {
  return name == "nflog" || name == "nfqueue" || name.starts_with("dbus-") ||
         name.starts_with("bluetooth") || name.starts_with("usbmon") || name.starts_with("rdma");
}

std::vector<Listed> parse_tcpdump_d(const std::string& text) {
  std::vector<Listed> out;
  static const std::regex line(R"(^\d+\.(\S+)(?: \(.*\))? \[(.*)\]$)");
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) {
    std::smatch m;
    if (std::regex_match(l, m, line) && !is_other_libpcap_source(m[1])) out.push_back({m[1], m[2]});
  }
  return out;
}

// The bracketed flags as tcpdump 4.99 prints them.
std::string tcpdump_flags(const Device& d) {
  std::vector<std::string> f;
  if (d.up) f.push_back("Up");
  if (d.running) f.push_back("Running");
  if (d.loopback) f.push_back("Loopback");
  if (d.wireless) f.push_back("Wireless");
  if (f.empty()) f.push_back("none");
  if (!d.wireless && d.connection == ConnectionStatus::connected) f.push_back("Connected");
  if (!d.wireless && d.connection == ConnectionStatus::disconnected) f.push_back("Disconnected");
  if (!d.wireless && d.connection == ConnectionStatus::unknown) f.push_back("Connection status unknown");
  std::string s;
  for (const auto& x : f) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::vector<Listed> ours_in(const Netns* ns) {
  std::optional<InNetns> in;
  if (ns != nullptr) in.emplace(*ns);
  auto devs = list_devices();
  if (!devs) throw std::runtime_error(devs.error().what());
  std::vector<Listed> out;
  for (const Device& d : *devs) out.push_back({d.name, tcpdump_flags(d)});
  return out;
}

TEST(Devices, SameListFlagsAndOrderAsTcpdumpInANamespace) {
  Netns ns("pxd");
  std::string up = unique_name("pu"), peer_down = unique_name("pd");
  std::string a = unique_name("pa"), b = unique_name("pb"), tun = unique_name("pt");
  ns.ip(fmt::format("link add {} type veth peer name {}", up, peer_down));
  ns.ip(fmt::format("link add {} type veth peer name {}", a, b));
  ns.ip(fmt::format("tuntap add dev {} mode tun", tun));
  for (const auto& n : {up, a, b, tun}) ns.ip(fmt::format("link set {} up", n));

  for (int round = 0; round < 2; ++round) {
    if (round == 1) ns.ip("link set lo up");  // moves lo from the down group to after any
    auto oracle = parse_tcpdump_d(shell_output(ns.exec_command("tcpdump -D 2>/dev/null")));
    auto ours = ours_in(&ns);
    ASSERT_EQ(oracle.size(), 7u) << "tcpdump -D saw an unexpected device set";
    EXPECT_EQ(ours, oracle) << "round " << round;
  }
}

TEST(Devices, SameNamesInOrderAsTcpdumpInTheRootNamespace) {
  // Other test processes may add or remove devices here meanwhile: a mismatch must persist
  // over three tries to count.
  std::vector<std::string> on, wn;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto oracle = parse_tcpdump_d(shell_output("tcpdump -D 2>/dev/null"));
    auto ours = ours_in(nullptr);
    ASSERT_FALSE(oracle.empty());
    on.clear();
    wn.clear();
    for (auto& l : oracle) on.push_back(l.name);
    for (auto& l : ours) wn.push_back(l.name);
    if (wn == on) break;
  }
  EXPECT_EQ(wn, on);
}

TEST(Devices, IndexTypeAddressesAndLinkTypes) {
  Netns ns("pxd", /*quiet=*/false);
  std::string a = unique_name("pa"), b = unique_name("pb"), tun = unique_name("pt");
  ns.ip(fmt::format("link add {} address 02:99:00:00:00:0a type veth peer name {}", a, b));
  ns.ip(fmt::format("link set {} up", a));
  ns.ip(fmt::format("link set {} up", b));
  ns.ip(fmt::format("addr add 10.99.1.1/24 brd + dev {}", a));
  ns.ip(fmt::format("addr add fd00:99::1/64 nodad dev {}", a));
  ns.ip(fmt::format("tuntap add dev {} mode tun", tun));
  ns.ip(fmt::format("addr add 10.99.2.1 peer 10.99.2.2/32 dev {}", tun));

  InNetns in(ns);
  auto devs = list_devices();
  ASSERT_TRUE(devs) << devs.error().what();
  auto find = [&](const std::string& n) -> const Device& {
    for (const Device& d : *devs) if (d.name == n) return d;
    throw std::runtime_error("missing " + n);
  };
  const Device& va = find(a);
  EXPECT_EQ(va.index, ::if_nametoindex(a.c_str()));
  EXPECT_EQ(va.arphrd, 1);  // ARPHRD_ETHER
  EXPECT_EQ(va.link_type, dlt::kEn10Mb);
  EXPECT_EQ(va.hardware_address, (std::vector<std::uint8_t>{2, 0x99, 0, 0, 0, 0x0a}));
  EXPECT_TRUE(va.up);
  EXPECT_EQ(va.connection, ConnectionStatus::connected);
  // 10.99.1.1, then fd00:99::1 and the fe80:: link-local address in kernel order.
  ASSERT_EQ(va.addresses.size(), 3u);
  EXPECT_EQ(va.addresses[0].address.to_string(), "10.99.1.1");
  ASSERT_TRUE(va.addresses[0].netmask);
  EXPECT_EQ(va.addresses[0].netmask->to_string(), "255.255.255.0");
  ASSERT_TRUE(va.addresses[0].broadcast);
  EXPECT_EQ(va.addresses[0].broadcast->to_string(), "10.99.1.255");
  EXPECT_FALSE(va.addresses[0].destination);
  const DeviceAddress* v6 = nullptr;
  for (const auto& x : va.addresses) if (x.address.to_string() == "fd00:99::1") v6 = &x;
  ASSERT_NE(v6, nullptr);
  EXPECT_EQ(v6->address.version, 6);
  ASSERT_TRUE(v6->netmask);
  EXPECT_EQ(v6->netmask->to_string(), "ffff:ffff:ffff:ffff::");
  EXPECT_EQ(v6->prefix_length, 64);
  EXPECT_FALSE(v6->broadcast);
  EXPECT_TRUE(va.addresses[1].address.version == 6 && va.addresses[2].address.version == 6);

  const Device& t = find(tun);
  EXPECT_EQ(t.arphrd, 0xFFFE);  // ARPHRD_NONE
  EXPECT_EQ(t.link_type, dlt::kRaw);
  ASSERT_EQ(t.addresses.size(), 1u);
  EXPECT_EQ(t.addresses[0].address.to_string(), "10.99.2.1");
  ASSERT_TRUE(t.addresses[0].destination);
  EXPECT_EQ(t.addresses[0].destination->to_string(), "10.99.2.2");

  const Device& lo = find("lo");
  EXPECT_TRUE(lo.loopback);
  EXPECT_EQ(lo.link_type, dlt::kEn10Mb);
  EXPECT_EQ(lo.connection, ConnectionStatus::not_applicable);
  const Device& any = find("any");
  EXPECT_EQ(any.index, 0u);
  EXPECT_EQ(any.link_type, dlt::kLinuxSll);

  auto net = lookup_net(a);
  ASSERT_TRUE(net) << net.error().what();
  EXPECT_EQ(net->network, 0x0A630100u);  // 10.99.1.0
  EXPECT_EQ(net->mask, 0xFFFFFF00u);
  auto none = lookup_net(b);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().what(), b + ": no IPv4 address assigned");
  auto any_net = lookup_net("any");
  ASSERT_TRUE(any_net);
  EXPECT_EQ(any_net->mask, 0u);
}

TEST(Devices, UnknownDeviceIsNamedInTheError) {
  auto d = find_device("eth7nosuch");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::not_found);
  EXPECT_EQ(d.error().what(), "eth7nosuch: no such device");
}

}  // namespace
}  // namespace pcapxx::test
