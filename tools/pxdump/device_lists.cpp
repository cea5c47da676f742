#include "device_lists.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "expression.hpp"

namespace pxdump {
namespace {

// The bracketed flags of tcpdump 4.99's -D: the status bits (or "none"), then the connection
// status in wired or wireless words; no brackets when no flag is set at all.
std::string device_flags(const pcapxx::Device& d) {
  using pcapxx::ConnectionStatus;
  if (!d.up && !d.running && !d.loopback && !d.wireless && d.connection == ConnectionStatus::unknown) return "";
  std::string s;
  auto add = [&s](std::string_view word) {
    if (!s.empty()) s += ", ";
    s += word;
  };
  if (d.up) add("Up");
  if (d.running) add("Running");
  if (d.loopback) add("Loopback");
  if (d.wireless) add("Wireless");
  if (s.empty()) s = "none";
  switch (d.connection) {
    case ConnectionStatus::unknown: add(d.wireless ? "Association status unknown" : "Connection status unknown"); break;
    case ConnectionStatus::connected: add(d.wireless ? "Associated" : "Connected"); break;
    case ConnectionStatus::disconnected: add(d.wireless ? "Not associated" : "Disconnected"); break;
    case ConnectionStatus::not_applicable: break;
  }
  return " [" + s + "]";
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

int print_device_list() {
  auto devices = pcapxx::list_devices();
  if (!devices) {
    fmt::print(stderr, "pxdump: {}\n", devices.error().what());
    return 1;
  }
  std::string text;
  int n = 0;
  for (const auto& d : *devices) {
    text += fmt::format("{}.{}", ++n, d.name);
    if (!d.description.empty()) text += fmt::format(" ({})", d.description);
    text += device_flags(d);
    text += '\n';
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

pcapxx::Result<pcapxx::Device> resolve_device(const std::string& name) {
  auto found = pcapxx::find_device(name);
  if (found || !all_digits(name)) return found;
  // tcpdump takes a number as the position in the -D list when no device has that name.
  auto devices = pcapxx::list_devices();
  if (!devices) return std::unexpected(devices.error());
  unsigned long n = std::stoul(name);
  if (n == 0 || n > devices->size())
    return pcapxx::fail(pcapxx::Errc::not_found, fmt::format("Invalid adapter index {}: -D lists {} devices", name,
                                                             devices->size()));
  return (*devices)[n - 1];
}

pcapxx::Result<pcapxx::Device> default_device() {
  auto devices = pcapxx::list_devices();
  if (!devices) return std::unexpected(devices.error());
  if (devices->empty()) return pcapxx::fail(pcapxx::Errc::not_found, "no suitable device found");
  return devices->front();
}

int print_link_types(const std::string& name) {
  auto dev = name.empty() ? default_device() : resolve_device(name);
  if (!dev) {
    fmt::print(stderr, "pxdump: {}\n", dev.error().what());
    return 1;
  }
  // A cooked capture delivers LINUX_SLL or LINUX_SLL2 (-y); any other the device's link type
  // (libpcap offers DOCSIS on Ethernet besides).
  fmt::print(stderr, "Data link types for {} (use option -y to set):\n  {}\n", dev->name,
             link_type_text(dev->link_type));
  if (dev->link_type == pcapxx::dlt::kLinuxSll)
    fmt::print(stderr, "  {}\n", link_type_text(pcapxx::dlt::kLinuxSll2));
  return 0;
}

bool time_stamp_type_known(const std::string& name) {
  static constexpr std::string_view kNames[] = {"host", "host_lowprec", "host_hiprec", "host_hiprec_unsynced",
                                                "adapter", "adapter_unsynced"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

int print_time_stamp_types(const std::string& name) {
  auto dev = name.empty() ? default_device() : resolve_device(name);
  if (!dev) {
    fmt::print(stderr, "pxdump: {}\n", dev.error().what());
    return 1;
  }
  fmt::print(stderr, "Time stamp types for {} (use option -j to set):\n  host (Host)\n", dev->name);
  return 0;
}

}  // namespace pxdump
