// Every *.pcap of the shared sample captures that our reader opens, read and written again as
// pcap: byte for byte the same file where the original is what we write (host byte order, µs,
// version 2.4, thiszone 0), the same packets (our reader and tshark) otherwise.
#include <algorithm>
#include <bit>

#include "core/byte_order.hpp"
#include "unit/writer/writer_test_util.hpp"

namespace {

using namespace writer_test;
using pcapxx::SavefileReader;
using pcapxx::SavefileWriter;

struct Copied {
  std::size_t packets = 0;
  bool read_error = false;
  std::optional<pcapxx::Error> write_error;
};

// Copies a savefile to a pcap file with the source's timestamp precision. A pcapng source
// describes its interfaces as it goes, so the writer opens at the first packet and learns of
// later interfaces through add_interface.
Copied copy_to_pcap(const std::string& in, const std::string& out) {
  Copied c;
  auto reader = SavefileReader::open(in);
  if (!reader) return c;
  SavefileReader& r = **reader;
  std::unique_ptr<SavefileWriter> w;
  std::size_t known = 0;
  auto ensure_writer = [&]() -> pcapxx::Result<void> {
    auto ifs = r.interfaces();
    if (!w) {
      pcapxx::WriterOptions o;
      o.nanosecond = r.info().nanosecond;
      for (const auto& ifc : ifs)
        if (ifc.ts_units_per_second > 1'000'000) o.nanosecond = true;
      auto opened = SavefileWriter::open(out, ifs, o);
      if (!opened) return std::unexpected(opened.error());
      w = std::move(*opened);
      known = ifs.size();
    }
    for (; known < ifs.size(); ++known)
      if (auto added = w->add_interface(ifs[known]); !added) return std::unexpected(added.error());
    return {};
  };
  for (const pcapxx::PacketView& p : r) {
    auto ok = ensure_writer();
    if (ok) ok = w->write(p);
    if (!ok) {
      c.write_error = ok.error();
      return c;
    }
    ++c.packets;
  }
  c.read_error = r.error().has_value();
  auto ok = ensure_writer();
  if (ok) ok = w->close();
  if (!ok) c.write_error = ok.error();
  return c;
}

// The original is what our writer produces for the same packets: host order, µs magic,
// version 2.4, thiszone 0.
bool writes_identically(const std::string& bytes) {
  if (bytes.size() < 24) return false;
  auto at = [&](std::size_t off) { return reinterpret_cast<const std::byte*>(bytes.data() + off); };
  using pcapxx::detail::load_raw;
  return load_raw<std::uint32_t>(at(0)) == 0xa1b2c3d4 && load_raw<std::uint16_t>(at(4)) == 2 &&
         load_raw<std::uint16_t>(at(6)) == 4 && load_raw<std::uint32_t>(at(8)) == 0;
}

void expect_same_packets(const std::string& a, const std::string& b) {
  auto ra = SavefileReader::open(a);
  auto rb = SavefileReader::open(b);
  ASSERT_TRUE(ra && rb);
  std::size_t n = 0;
  while (true) {
    auto pa = (*ra)->next();
    auto pb = (*rb)->next();
    if (!pa || !*pa) break;  // the original ended (or broke): the copy must end too
    ASSERT_TRUE(pb && *pb) << b << ": copy ends after " << n << " packets";
    ++n;
    EXPECT_EQ((*pa)->header.ts.ns, (*pb)->header.ts.ns) << a << " packet " << n;
    EXPECT_EQ((*pa)->header.caplen, (*pb)->header.caplen) << a << " packet " << n;
    EXPECT_EQ((*pa)->header.origlen, (*pb)->header.origlen) << a << " packet " << n;
    EXPECT_TRUE(std::ranges::equal((*pa)->data, (*pb)->data)) << a << " packet " << n;
  }
  auto rest = (*rb)->next();
  EXPECT_TRUE(rest && *rest == nullptr) << b << ": copy has more packets than " << a;
}

TEST(PcapRoundTrip, SharedCapturesSurviveReadAndWrite) {
  fs::path root = PCAPXX_SHARED_CAPTURES;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".pcap") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_GT(files.size(), 100u) << "the shared captures are missing under " << root;

  TempDir dir;
  std::size_t identical = 0, by_packets = 0, not_opened = 0, broken = 0;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    if (!SavefileReader::open(f.string())) {
      ++not_opened;
      continue;
    }
    std::string out = dir.file("copy.pcap");
    Copied c = copy_to_pcap(f.string(), out);
    if (c.write_error) {
      // Only a pcapng source with several link types cannot become a pcap file.
      EXPECT_EQ(c.write_error->code, pcapxx::Errc::mismatch) << c.write_error->what();
      continue;
    }
    std::string original = slurp(f.string());
    if (writes_identically(original) && !c.read_error) {
      std::string copy = slurp(out);
      // Files that store a DLT value where a LINKTYPE belongs (12 for raw IP) come back with
      // the LINKTYPE value: the only change we allow.
      std::uint32_t field = pcapxx::detail::load_raw<std::uint32_t>(
          reinterpret_cast<const std::byte*>(original.data() + 20));
      std::uint32_t canonical =
          (field & 0xffff0000u) | pcapxx::link_type_to_file(pcapxx::link_type_from_file(field));
      pcapxx::detail::store_raw(reinterpret_cast<std::byte*>(original.data() + 20), canonical);
      EXPECT_TRUE(copy == original) << "copy differs from " << f << " (" << copy.size() << " vs "
                                    << original.size() << " bytes)";
      ++identical;
      continue;
    }
    if (c.read_error) ++broken;
    expect_same_packets(f.string(), out);
    if (!c.read_error && run({"tshark", "-r", f.string(), "-c", "1"}).status == 0) {
      // tshark sees the same packets in both (time, lengths, bytes), where it reads the original.
      std::vector<std::string> fields{"frame.time_epoch", "frame.cap_len", "frame.len", "frame.md5_hash"};
      auto theirs = tshark_fields(f.string(), fields);
      auto ours = tshark_fields(out, fields);
      EXPECT_EQ(theirs, ours);
      EXPECT_EQ(ours.size(), c.packets);
    }
    ++by_packets;
  }
  fmt::print("{} files: {} identical, {} compared packet by packet ({} of them broken part-way), "
             "{} not opened by our reader\n",
             files.size(), identical, by_packets, broken, not_opened);
  EXPECT_GT(identical, 100u);
  EXPECT_GE(by_packets, 3u);  // the big-endian and nanosecond samples at least
}

}  // namespace
