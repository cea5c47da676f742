// pxsend's frame description: a short text naming layers and their fields, built into bytes
// with the layers API (lengths and checksums fixed). The grammar is in docs/pxsend.md:
//
//   frame  := layer ( "/" layer )*
//   layer  := name [ "(" [ arg ( "," arg )* ] ")" ]
//   arg    := key "=" value | value            (a bare value only for payload)
//   name   := eth | vlan | ipv4 | ipv6 | udp | tcp | payload
//
//   eth(dst=02:00:00:00:00:02,src=02:00:00:00:00:01)/ipv4(src=10.0.0.1,dst=10.0.0.2)/udp(sport=1,dport=9)/payload(len=18)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "pcapxx/error.hpp"

namespace pxsend {

/// A built frame and what it starts with.
struct BuiltFrame {
  std::vector<std::byte> bytes;
  bool starts_with_ip = false;  ///< the first layer is ipv4 or ipv6: send through a raw IP socket
};

/// Parses a description and builds the frame; errors name the column and what was expected,
/// e.g. `frame column 12: unknown field 'port' for udp (sport, dport)`.
pcapxx::Result<BuiltFrame> build_frame(std::string_view description);

}  // namespace pxsend
