#include "live.hpp"

#include <cstdio>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "device_lists.hpp"
#include "expression.hpp"
#include "packet_loop.hpp"
#include "pcapxx/capture.hpp"
#include "pcapxx/device.hpp"
#include "signals.hpp"

namespace pxdump {
namespace {

std::string plural(std::uint64_t n, std::string_view what) {
  return fmt::format("{} packet{} {}", n, n == 1 ? "" : "s", what);
}

pcapxx::CaptureDirection capture_direction(Direction d) {
  switch (d) {
    case Direction::in: return pcapxx::CaptureDirection::in;
    case Direction::out: return pcapxx::CaptureDirection::out;
    case Direction::inout: break;
  }
  return pcapxx::CaptureDirection::in_out;
}

std::uint32_t netmask_of(const std::string& device) {
  // As tcpdump: a device without an IPv4 address compiles with netmask 0.
  auto net = pcapxx::lookup_net(device);
  return net ? net->mask : 0;
}

// Whether a capture on a device can deliver `link`: its own link type, or LINUX_SLL2 where it
// is captured cooked (LINUX_SLL); see CaptureOptions::cooked_link_type.
bool device_offers(const pcapxx::Device& d, pcapxx::LinkType link) {
  return d.link_type == link || (d.link_type == pcapxx::dlt::kLinuxSll && link == pcapxx::dlt::kLinuxSll2);
}

// The devices of -i (or the default one), with the link type -y asks for checked; a device
// that offers it gets it as its link_type.
pcapxx::Result<std::vector<pcapxx::Device>> chosen_devices(const Options& opt) {
  std::vector<pcapxx::Device> devices;
  if (opt.devices.empty()) {
    auto d = default_device();
    if (!d) return std::unexpected(d.error());
    devices.push_back(std::move(*d));
  }
  for (const auto& name : opt.devices) {
    auto d = resolve_device(name);
    if (!d) return std::unexpected(d.error());
    devices.push_back(std::move(*d));
  }
  if (!opt.link_type_name.empty()) {
    auto wanted = link_type_by_name(opt.link_type_name);
    if (!wanted) return std::unexpected(wanted.error());
    for (auto& d : devices) {
      if (!device_offers(d, *wanted))
        return pcapxx::fail(pcapxx::Errc::unsupported,
                            fmt::format("{} is not one of the DLTs supported by this device ({} delivers {})",
                                        opt.link_type_name, d.name, link_type_text(d.link_type)));
      d.link_type = *wanted;
    }
  }
  return devices;
}

void wake_live(void* capture) { static_cast<pcapxx::LiveCapture*>(capture)->break_loop(); }
void wake_multi(void* capture) { static_cast<pcapxx::MultiCapture*>(capture)->break_loop(); }

}  // namespace

int dump_program_for_device(const Options& opt, const std::string& expression) {
  pcapxx::LinkType link;
  std::uint32_t netmask = 0;
  pcapxx::FilterTarget target = pcapxx::FilterTarget::dead;
  if (!opt.link_type_name.empty() && opt.devices.empty()) {
    // As tcpdump 4.99: -d with -y compiles for that link type without opening a device.
    auto lt = link_type_by_name(opt.link_type_name);
    if (!lt) {
      fmt::print(stderr, "pxdump: {}\n", lt.error().what());
      return 1;
    }
    link = *lt;
  } else {
    auto devices = chosen_devices(opt);
    if (!devices) {
      fmt::print(stderr, "pxdump: {}\n", devices.error().what());
      return 1;
    }
    link = devices->front().link_type;
    netmask = netmask_of(devices->front().name);
    target = pcapxx::FilterTarget::linux_live;
  }
  auto filter = compile_expression(expression, link, opt.snaplen, netmask, opt.optimize, target);
  if (!filter) {
    fmt::print(stderr, "pxdump: {}\n", filter.error().what());
    return 1;
  }
  print_program(filter->program(), opt.dump_program);
  return 0;
}

int run_live(const Options& opt, const std::string& expression) {
  if (!opt.time_stamp_type.empty() && !time_stamp_type_known(opt.time_stamp_type)) {
    fmt::print(stderr, "pxdump: invalid time stamp type {}\n", opt.time_stamp_type);
    return 1;
  }
  auto devices = chosen_devices(opt);
  if (!devices) {
    fmt::print(stderr, "pxdump: {}\n", devices.error().what());
    return 1;
  }

  std::vector<std::unique_ptr<pcapxx::LiveCapture>> captures;
  for (const auto& dev : *devices) {
    if (!opt.time_stamp_type.empty() && opt.time_stamp_type != "host")
      fmt::print(stderr,
                 "pxdump: WARNING: When trying to set timestamp type '{}' on {}: That type of time stamp is not "
                 "supported by that device\n", opt.time_stamp_type, dev.name);
    pcapxx::CaptureOptions co;
    co.snaplen = opt.snaplen;
    co.promiscuous = opt.promiscuous;
    co.monitor = opt.monitor;
    co.immediate = opt.immediate;
    co.nanosecond = opt.nanosecond;
    co.direction = capture_direction(opt.direction);
    // -y LINUX_SLL2 on a cooked device (chosen_devices checked it).
    if (dev.link_type == pcapxx::dlt::kLinuxSll2) co.cooked_link_type = pcapxx::dlt::kLinuxSll2;
    if (opt.buffer_kib) co.buffer_size = static_cast<std::size_t>(*opt.buffer_kib) * 1024;
    std::uint32_t netmask = netmask_of(dev.name);
    if (!expression.empty()) {
      // Compiled before the socket exists, so it is attached before the socket is bound and
      // no packet the filter rejects is ever delivered.
      auto filter = compile_expression(expression, dev.link_type, opt.snaplen, netmask, opt.optimize,
                                       pcapxx::FilterTarget::linux_live);
      if (!filter) {
        fmt::print(stderr, "pxdump: {}\n", filter.error().what());
        return 1;
      }
      co.filter = filter->program();
    }
    auto cap = pcapxx::LiveCapture::open(dev.name, co);
    if (!cap) {
      fmt::print(stderr, "pxdump: {}\n", cap.error().what());
      return 1;
    }
    if (!expression.empty() && (*cap)->link_type() != dev.link_type) {
      auto filter = compile_expression(expression, (*cap)->link_type(), opt.snaplen, netmask, opt.optimize,
                                       pcapxx::FilterTarget::linux_live);
      if (!filter) {
        fmt::print(stderr, "pxdump: {}\n", filter.error().what());
        return 1;
      }
      if (auto ok = (*cap)->set_filter(filter->program()); !ok) {
        fmt::print(stderr, "pxdump: {}\n", ok.error().what());
        return 1;
      }
    }
    // The capture's warnings name their device themselves.
    for (const auto& w : (*cap)->warnings()) fmt::print(stderr, "pxdump: WARNING: {}\n", w);
    captures.push_back(std::move(*cap));
  }

  // tcpdump 4.99's startup line; with -w it carries the program name.
  bool printing = opt.write_file.empty() || opt.print_with_write;
  for (const auto& cap : captures)
    fmt::print(stderr, "{}listening on {}, link-type {}, snapshot length {} bytes\n", printing ? "" : "pxdump: ",
               cap->device(), link_type_text(cap->link_type()), cap->snaplen());
  std::fflush(stderr);

  std::vector<pcapxx::LossAccount> losses;
  LoopResult result;
  pcapxx::CaptureStats stats;
  if (captures.size() == 1) {
    pcapxx::LiveCapture& cap = *captures.front();
    set_wake(wake_live, &cap);
    result = run_packet_loop(opt, cap, nullptr, true);
    set_wake(nullptr, nullptr);
    stats = cap.stats();
    losses.push_back(cap.loss_account());
  } else {
    auto multi = pcapxx::MultiCapture::adopt(std::move(captures));
    if (!multi) {
      fmt::print(stderr, "pxdump: {}\n", multi.error().what());
      return 1;
    }
    set_wake(wake_multi, multi->get());
    result = run_packet_loop(opt, **multi, nullptr, true);
    set_wake(nullptr, nullptr);
    stats = (*multi)->stats();
    for (std::size_t i = 0; i < (*multi)->size(); ++i) losses.push_back((*multi)->capture(i).loss_account());
  }

  // tcpdump's closing counts (captured = handed to the output), then where losses happened.
  std::string closing = plural(result.captured, "captured\n") + plural(stats.received, "received by filter\n") +
                        plural(stats.dropped, "dropped by kernel\n");
  if (stats.if_dropped != 0) closing += plural(stats.if_dropped, "dropped by interface\n");
  fmt::print(stderr, "{}", closing);
  for (std::size_t i = 0; i < losses.size(); ++i) {
    const auto& l = losses[i];
    if (l.ring_dropped + l.if_rx_dropped + l.if_rx_missed + l.backlog_dropped == 0) continue;
    fmt::print(stderr, "pxdump: where packets were lost on {}: {}\n", (*devices)[i].name, l.summary());
  }
  return result.status;
}

}  // namespace pxdump
