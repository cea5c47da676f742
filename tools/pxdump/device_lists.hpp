// pxdump: what -D, -L and -J print, in tcpdump 4.99's formats, and the device a capture uses
// when -i is absent or a number.
#pragma once

#include <string>

#include "pcapxx/device.hpp"
#include "pcapxx/error.hpp"

namespace pxdump {

/// -D: "1.eth0 [Up, Running, Connected]" per device, on standard output. Returns the exit status.
int print_device_list();

/// -L: the link types a capture on `device` delivers, on standard error (as tcpdump). Exit status.
int print_link_types(const std::string& device);

/// -J: the time stamp types of `device`, on standard error (as tcpdump). Exit status.
int print_time_stamp_types(const std::string& device);

/// The device -i names: a name, or a number from the -D list (as tcpdump); errors name it.
pcapxx::Result<pcapxx::Device> resolve_device(const std::string& name);

/// The device tcpdump would pick without -i: the first one -D lists.
pcapxx::Result<pcapxx::Device> default_device();

/// Whether pcapxx can take time stamps of this type (pcap-tstamp(7) names); only "host".
bool time_stamp_type_known(const std::string& name);

}  // namespace pxdump
