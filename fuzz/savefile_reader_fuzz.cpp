// libFuzzer target: any bytes as a savefile through SavefileReader::open_fd, every batch to the
// end, every byte of every packet touched and every packet's options parsed. It must never
// crash, read out of bounds, leak, or hang; errors are fine.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "pcapxx/savefile.hpp"

namespace {

// Folds bytes into a value the optimizer cannot drop, so ASan sees every read.
volatile std::uint8_t g_sink;

void touch(std::span<const std::byte> bytes) {
  std::uint8_t acc = 0;
  for (std::byte b : bytes) acc = static_cast<std::uint8_t>(acc ^ std::to_integer<std::uint8_t>(b));
  g_sink = acc;
}

void touch(std::string_view s) { touch(std::as_bytes(std::span(s.data(), s.size()))); }

bool write_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void touch_interfaces(const pcapxx::SavefileReader& reader) {
  for (const pcapxx::InterfaceDescription& ifc : reader.interfaces()) {
    touch(ifc.name);
    touch(ifc.description);
    touch(ifc.filter);
    touch(ifc.os);
    touch(ifc.hardware);
    for (const std::string& c : ifc.comments) touch(c);
    g_sink = static_cast<std::uint8_t>(ifc.link_type.dlt ^ ifc.snaplen ^ ifc.ts_units_per_second);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  int fd = ::memfd_create("pcapxx-fuzz", MFD_CLOEXEC);
  if (fd < 0) __builtin_trap();  // the harness itself is broken, not the reader
  if (!write_all(fd, data, size) || ::lseek(fd, 0, SEEK_SET) != 0) __builtin_trap();

  auto opened = pcapxx::SavefileReader::open_fd(fd, "fuzz", true);
  if (!opened) {
    touch(opened.error().message);
    return 0;
  }
  pcapxx::SavefileReader& reader = **opened;
  const pcapxx::SavefileInfo& info = reader.info();
  touch(info.hardware);
  touch(info.os);
  touch(info.user_application);
  for (const std::string& c : info.comments) touch(c);

  for (;;) {
    auto batch = reader.next_batch();
    touch_interfaces(reader);  // pcapng may add interfaces as it goes
    if (!batch) {
      touch(batch.error().message);
      break;
    }
    if (batch->status != pcapxx::BatchStatus::packets) break;
    if (batch->packets.empty()) __builtin_trap();  // a packets batch must hold packets
    for (const pcapxx::PacketView& pkt : batch->packets) {
      if (pkt.data.size() != pkt.header.caplen) __builtin_trap();
      if (pkt.header.interface >= reader.interfaces().size()) __builtin_trap();
      touch(pkt.data);
      touch(pkt.options.bytes);
      auto opts = pcapxx::parse_packet_options(pkt.options);
      if (!opts) {
        touch(opts.error().message);
        continue;
      }
      for (std::string_view c : opts->comments) touch(c);
      for (std::span<const std::byte> h : opts->hashes) touch(h);
      for (std::span<const std::byte> v : opts->verdicts) touch(v);
      g_sink = static_cast<std::uint8_t>(opts->flags.value_or(0) ^ opts->dropcount.value_or(0) ^
                                         opts->packet_id.value_or(0) ^ opts->queue.value_or(0));
    }
  }
  (void)reader.stats();
  (void)reader.offset();
  return 0;
}
