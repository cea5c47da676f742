// pxdump's whole packet printer (the walk over the decoded layers, part A's link, IP, IPv6
// extension header, TCP and UDP printers with their truncation paths, and part B's printers
// behind them) on arbitrary frames: the first byte picks the link type and the flags, the
// second how many bytes the frame had on the wire beyond the captured ones (a cut capture).
// Nothing may crash, hang or read outside the input (ASan); every packet ends in a newline.
#include <cstddef>
#include <cstdint>
#include <span>

#include "printers/packet_printer.hpp"

using namespace pxdump::printers;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t control = data[0];
  const std::uint8_t missing = data[1];
  const auto frame = std::as_bytes(std::span(data + 2, size - 2));
  // Ethernet, raw IP, Linux SLL, BSD loopback.
  constexpr int kLinks[] = {1, 101, 113, 0};
  PrintOptions options;
  options.flags.numeric = 2;  // never a name lookup
  options.flags.verbose = (control >> 2) & 3;
  options.flags.link_header = (control & 0x10) != 0;
  options.flags.quiet = (control & 0x20) != 0;
  options.flags.absolute_seq = (control & 0x40) != 0;
  options.hex_ascii = (control & 0x80) != 0 ? 1 : 0;
  options.packet_number = true;
  PacketPrinter printer(options);
  pcapxx::PacketView view;
  view.header.caplen = static_cast<std::uint32_t>(frame.size());
  view.header.origlen = view.header.caplen + missing;
  view.data = frame;
  fmt::memory_buffer line;
  // Twice: the second print sees the TCP sequence state the first one left.
  for (std::uint64_t n = 1; n <= 2; ++n) {
    line.clear();
    printer.print(line, view, pcapxx::LinkType{kLinks[control & 3]}, n);
    if (line.size() == 0 || line.data()[line.size() - 1] != '\n') __builtin_trap();
  }
  return 0;
}
