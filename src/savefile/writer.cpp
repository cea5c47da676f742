// STUB: replaced by the pcap and pcapng writers.
#include "pcapxx/savefile.hpp"
namespace pcapxx {
Result<void> SavefileWriter::write_batch(Batch batch) {
  for (const PacketView& p : batch)
    if (auto ok = write(p); !ok) return ok;
  return {};
}
Result<std::unique_ptr<SavefileWriter>> SavefileWriter::open(std::string_view, std::span<const InterfaceDescription>, const WriterOptions&) {
  return fail(Errc::unsupported, "writing not yet");
}
Result<std::unique_ptr<SavefileWriter>> SavefileWriter::open_fd(int, std::string, bool, std::span<const InterfaceDescription>, const WriterOptions&) {
  return fail(Errc::unsupported, "writing not yet");
}
}  // namespace pcapxx
