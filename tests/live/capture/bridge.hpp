// A veth pair whose capture end is the only port of a Linux bridge, for promiscuous-mode
// tests: a bridge passes a frame for a MAC it does not know up to its own device only when
// that device is promiscuous (net/bridge/br_input.c br_handle_frame_finish), so a capture on
// the bridge shows what promiscuous mode changes, which a capture on veth cannot (veth
// delivers frames for any MAC).
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "live/netns.hpp"

namespace pcapxx::test {

/// link.capture_if() enslaved to bridge() (MAC 02:99:00:00:00:0b, STP off) in
/// link.capture_ns(); the constructor returns once the port forwards.
struct BridgedLink {
  VethPair link;
  std::string bridge_name = unique_name("pxbr");

  [[nodiscard]] const std::string& bridge() const noexcept { return bridge_name; }
  [[nodiscard]] static MacAddress bridge_mac() { return test_mac(0x0b); }

  BridgedLink() {
    const Netns& ns = link.capture_ns();
    ns.ip(fmt::format("link add {} address {} type bridge stp_state 0", bridge_name, mac_text(bridge_mac())));
    ns.ip(fmt::format("link set {} master {}", link.capture_if(), bridge_name));
    ns.ip(fmt::format("link set {} up", bridge_name));
    for (int i = 0; i < 500; ++i) {
      if (shell_output(ns.exec_command(fmt::format("bridge link show dev {}", link.capture_if())))
              .find("state forwarding") != std::string::npos) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    throw std::runtime_error(fmt::format("bridge port {} never reached the forwarding state", link.capture_if()));
  }
};

}  // namespace pcapxx::test
