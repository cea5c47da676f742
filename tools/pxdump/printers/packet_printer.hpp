// pxdump printers: one packet to tcpdump 4.99's text. Decodes the packet once into a reused
// layers::Packet (no allocation per packet), prints the packet number (-#) and time stamp, walks
// the layers through the protocol printers (core.hpp, protocols.hpp) and appends the hex/ASCII
// dump (-x -xx -X -XX -A -AA).
#pragma once

#include <cstdint>
#include <memory>

#include <fmt/format.h>

#include "pcapxx/decode.hpp"
#include "pcapxx/source.hpp"
#include "printers/printer.hpp"

namespace pxdump::printers {

/// How packets are printed (the printing flags of the command line).
struct PrintOptions {
  PrintFlags flags;
  int timestamp_mode = 0;    ///< -t count
  bool nanosecond = false;   ///< --nano: 9 fraction digits
  int hex = 0;               ///< -x (1), -xx (2)
  int hex_ascii = 0;         ///< -X (1), -XX (2)
  int ascii = 0;             ///< -A (1), -AA (2)
  bool packet_number = false;  ///< -#
};

class PacketPrinter {
 public:
  explicit PacketPrinter(const PrintOptions& options);
  ~PacketPrinter();
  PacketPrinter(const PacketPrinter&) = delete;
  PacketPrinter& operator=(const PacketPrinter&) = delete;

  /// Appends the packet's text, newline included, to line (which is not cleared).
  void print(fmt::memory_buffer& line, const pcapxx::PacketView& packet, pcapxx::LinkType link,
             std::uint64_t number);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pxdump::printers
