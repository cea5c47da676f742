// Reads a savefile (pcap or pcapng) and writes its packets to another: the smallest use of the
// pcapxx C++ API.  usage: example_copy_savefile IN OUT[.pcapng]
#include <cstdio>
#include <string_view>

#include <fmt/format.h>

#include "pcapxx/savefile.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    fmt::print(stderr, "usage: {} IN OUT\n", argv[0]);
    return 2;
  }
  auto reader = pcapxx::SavefileReader::open(argv[1]);
  if (!reader) {
    fmt::print(stderr, "{}\n", reader.error().what());
    return 1;
  }
  pcapxx::WriterOptions options;
  if (std::string_view(argv[2]).ends_with(".pcapng")) options.format = pcapxx::SavefileFormat::pcapng;
  auto writer = pcapxx::SavefileWriter::open(argv[2], (*reader)->interfaces(), options);
  if (!writer) {
    fmt::print(stderr, "{}\n", writer.error().what());
    return 1;
  }
  std::size_t count = 0;
  for (const pcapxx::PacketView& packet : **reader) {
    if (auto ok = (*writer)->write(packet); !ok) {
      fmt::print(stderr, "{}\n", ok.error().what());
      return 1;
    }
    ++count;
  }
  if (const auto& err = (*reader)->error()) fmt::print(stderr, "{}\n", err->what());
  if (auto ok = (*writer)->close(); !ok) {
    fmt::print(stderr, "{}\n", ok.error().what());
    return 1;
  }
  fmt::print("copied {} packets\n", count);
  return (*reader)->error() ? 1 : 0;
}
