// STUB: replaced by the pcapng decoder.
#include <fmt/format.h>
#include "savefile/decoder.hpp"
namespace pcapxx {
Result<PacketOptions> parse_packet_options(const RawOptions&) { return PacketOptions{}; }
namespace detail {
namespace {
class PcapngDecoder final : public RecordDecoder {
 public:
  explicit PcapngDecoder(DecoderState s) : s_(s) {}
  Result<void> read_header() override { return fail(Errc::unsupported, fmt::format("{}: pcapng not yet", s_.in.name())); }
  Result<std::size_t> decode(std::span<PacketView>) override { return 0; }
 private:
  DecoderState s_;
};
}  // namespace
std::unique_ptr<RecordDecoder> make_pcapng_decoder(DecoderState state) { return std::make_unique<PcapngDecoder>(state); }
}  // namespace detail
}  // namespace pcapxx
