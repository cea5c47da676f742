// Test support for the part-B printer tests: runs the built pxdump and tcpdump 4.99 on the same
// file with the same flags (`-# -n -t FLAGS -r FILE`), splits both outputs into packets by the
// -# number and compares chosen packets' full text, every line of it. Which packets hold a
// part-B protocol is decided from our decoded layers, never from either side's text.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/run.hpp"
#include "diff/pxdump_print/scope.hpp"
#include "pcapxx/decode.hpp"

namespace pxdump::printers::testing {

inline const std::string kPxdump = PCAPXX_BIN_DIR "/pxdump";

/// The text of each packet (index 0 is packet 1), its lines joined with "\n". A packet starts
/// at the line beginning with the next number as -# prints it ("%5u  ").
inline std::vector<std::string> numbered_packets(const std::string& output) {
  std::vector<std::string> packets;
  for (const std::string& line : pcapxx::test::lines(output)) {
    if (line.starts_with(fmt::format("{:5}  ", packets.size() + 1))) packets.push_back(line);
    else if (!packets.empty()) packets.back() += "\n" + line;
  }
  return packets;
}

/// Both programs' packets for one file and flag set.
struct SideBySide {
  std::vector<std::string> tcpdump, pxdump;
  std::string command;  ///< the flags and file, for messages
};

inline SideBySide run_both(const std::string& file, const std::vector<std::string>& flags) {
  std::vector<std::string> theirs = {"tcpdump", "-#", "-n", "-t"};
  std::vector<std::string> ours = {kPxdump, "-#", "-n", "-t"};
  SideBySide r;
  r.command = "-# -n -t";
  for (const auto& f : flags) {
    theirs.push_back(f);
    ours.push_back(f);
    r.command += " " + f;
  }
  for (auto* v : {&theirs, &ours}) {
    v->push_back("-r");
    v->push_back(file);
  }
  r.command += " -r " + file;
  r.tcpdump = numbered_packets(pcapxx::test::run(theirs).out);
  const auto ours_run = pcapxx::test::run(ours);
  // A crash or sanitizer report is a failure even where tcpdump printed nothing to compare.
  EXPECT_LT(ours_run.status, 2) << "pxdump " << r.command << " exited with " << ours_run.status << ":\n"
                                << ours_run.err;
  r.pxdump = numbered_packets(ours_run.out);
  return r;
}

/// The part-B protocol a decoded packet holds ("dns", "mdns", "icmp", ...), or "" for none. A
/// part-B layer that failed to decode counts too: pxdump prints tcpdump's marker for it.
inline std::string_view part_b_protocol(const pcapxx::layers::Packet& packet) {
  using pcapxx::layers::LayerType;
  auto name = [&](LayerType t) -> std::string_view {
    switch (t) {
      case LayerType::icmpv4: return "icmp";
      case LayerType::icmpv6: return "icmp6";
      case LayerType::igmp: return "igmp";
      case LayerType::sctp: return "sctp";
      case LayerType::gre: return "gre";
      case LayerType::vxlan: return "vxlan";
      case LayerType::geneve: return "geneve";
      case LayerType::pppoe: return "pppoe";
      case LayerType::dhcp: return "bootp";
      case LayerType::ntp: return "ntp";
      case LayerType::dns: {
        // mDNS (RFC 6762) shares the DNS layer; tcpdump prints it on UDP port 5353.
        const auto* udp = packet.layer<pcapxx::layers::Udp>();
        return udp != nullptr && (udp->src_port == 5353 || udp->dst_port == 5353) ? "mdns" : "dns";
      }
      default: return "";
    }
  };
  const auto layers = packet.layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (auto n = name(layers[i].type()); !n.empty()) return n;
    // DNS over TCP (port 53) is printed from the TCP payload: our decode leaves it undecoded.
    if (const auto* tcp = layers[i].as<pcapxx::layers::Tcp>();
        tcp != nullptr && (tcp->src_port == 53 || tcp->dst_port == 53) && i + 1 < layers.size() &&
        layers[i + 1].type() == LayerType::payload)
      return "dns-tcp";
  }
  if (const auto* failure = packet.error()) return name(failure->layer);
  return "";
}

/// Whether a layer type is one of the part-B protocols.
inline bool is_part_b_layer(pcapxx::layers::LayerType t) {
  using pcapxx::layers::LayerType;
  switch (t) {
    case LayerType::icmpv4: case LayerType::icmpv6: case LayerType::igmp: case LayerType::sctp: case LayerType::gre:
    case LayerType::vxlan: case LayerType::geneve: case LayerType::pppoe: case LayerType::dhcp: case LayerType::ntp:
    case LayerType::dns:
      return true;
    default: return false;
  }
}

/// Whether tcpdump prints a protocol in the packet that pxdump has no printer for (PPP inside
/// PPPoE or GRE, IPsec AH, an application on a TCP/UDP port tcpdump dissects: HTTP, SSH, SIP,
/// DHCPv6...; the port list of tests/diff/pxdump_print/scope.hpp), so the texts differ outside
/// part B. Decided from our decoded layers.
inline bool has_unprinted_layer(const pcapxx::layers::Packet& packet) {
  using pcapxx::layers::LayerType;
  const auto layers = packet.layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const auto t = layers[i].type();
    if (t == LayerType::ppp || t == LayerType::ipsec_ah || t == LayerType::ipsec_esp) return true;
    if (t != LayerType::payload || i == 0) continue;
    if (const auto* tcp = layers[i - 1].as<pcapxx::layers::Tcp>())
      if (pcapxx::test::tcpdump_dissects_port(tcp->src_port, false) || pcapxx::test::tcpdump_dissects_port(tcp->dst_port, false))
        return true;
    if (const auto* udp = layers[i - 1].as<pcapxx::layers::Udp>())
      if (pcapxx::test::tcpdump_dissects_port(udp->src_port, true) || pcapxx::test::tcpdump_dissects_port(udp->dst_port, true))
        return true;
  }
  const auto* failure = packet.error();
  return failure != nullptr && (failure->layer == LayerType::ppp || failure->layer == LayerType::ipsec_ah);
}

/// Expects packet `number` (1-based) to print identically; both sides are printed if not.
/// Returns whether they agreed.
inline bool expect_same_packet(const SideBySide& s, std::size_t number, std::string_view what) {
  const std::string none = "<no packet>";
  const std::string& want = number <= s.tcpdump.size() ? s.tcpdump[number - 1] : none;
  const std::string& got = number <= s.pxdump.size() ? s.pxdump[number - 1] : none;
  if (want == got) return true;
  ADD_FAILURE() << s.command << "\n  packet " << number << " (" << what << ")\n  tcpdump:\n" << want
                << "\n  pxdump:\n" << got;
  return false;
}

}  // namespace pxdump::printers::testing
