// Reads a savefile (pcap or pcapng) and writes its packets to another, a batch at a time: the
// smallest use of the pcapxx C++ API. (For one packet at a time, iterate the reader with a
// range-for and call writer->write(packet).)  usage: example_copy_savefile IN OUT[.pcapng]
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
  // Batch by batch: the writer sends large payloads straight from the reader's memory.
  std::size_t count = 0;
  while (true) {
    auto batch = (*reader)->next_batch();
    if (!batch) {
      fmt::print(stderr, "{}\n", batch.error().what());
      break;
    }
    if (batch->status == pcapxx::BatchStatus::end) break;
    if (auto ok = (*writer)->write_batch(batch->packets); !ok) {
      fmt::print(stderr, "{}\n", ok.error().what());
      return 1;
    }
    count += batch->packets.size();
  }
  if (auto ok = (*writer)->close(); !ok) {
    fmt::print(stderr, "{}\n", ok.error().what());
    return 1;
  }
  fmt::print("copied {} packets\n", count);
  return (*reader)->error() ? 1 : 0;
}
