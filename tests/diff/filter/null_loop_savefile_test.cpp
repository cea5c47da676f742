// DLT_NULL and DLT_LOOP savefiles: libpcap tests `ip6` against the three BSD AF_INET6 values
// (24, 28, 30) when it reads a file, and tests a NULL family word of a file in the other byte
// order in that order. Generated files (native and swapped NULL, LOOP) with one packet per
// family value and byte order; our program and `tcpdump -r FILE -ddd` must keep the same ones.
#include <array>
#include <bit>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "diff/filter/merged_captures.hpp"
#include "pcapxx/filter.hpp"

namespace pcapxx {
namespace {

struct EdgePacket {
  std::vector<std::byte> data;
  std::string what;
};

void append(std::vector<std::byte>& out, std::initializer_list<int> bytes) {
  for (int b : bytes) out.push_back(static_cast<std::byte>(b));
}

// A family word (in the given byte order) followed by an IPv4 or IPv6 header and a TCP header
// to port 80, whatever the word says.
EdgePacket make_packet(std::uint32_t family, bool big_endian, bool v6) {
  EdgePacket p;
  for (int i = 0; i < 4; ++i) {
    int shift = big_endian ? 24 - 8 * i : 8 * i;
    p.data.push_back(static_cast<std::byte>((family >> shift) & 0xff));
  }
  if (v6) {
    append(p.data, {0x60, 0, 0, 0, 0, 20, 6, 64});
    for (int i = 0; i < 2; ++i) append(p.data, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  } else {
    append(p.data, {0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
  }
  append(p.data, {0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0});
  p.what = fmt::format("family {} ({}) then IPv{}", family, big_endian ? "big-endian" : "little-endian", v6 ? 6 : 4);
  return p;
}

// A pcap file of link type `linktype` whose header is written big-endian or little-endian.
std::filesystem::path write_file(const std::string& name, std::uint32_t linktype, bool big_endian,
                                 const std::vector<EdgePacket>& packets) {
  std::string bytes;
  auto put = [&](std::uint32_t v, int size) {
    for (int i = 0; i < size; ++i) {
      int shift = big_endian ? 8 * (size - 1 - i) : 8 * i;
      bytes.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  };
  put(0xa1b2c3d4, 4);
  put(2, 2);
  put(4, 2);
  put(0, 4);
  put(0, 4);
  put(65535, 4);
  put(linktype, 4);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    auto size = static_cast<std::uint32_t>(packets[i].data.size());
    put(static_cast<std::uint32_t>(i), 4);
    put(0, 4);
    put(size, 4);
    put(size, 4);
    bytes.append(reinterpret_cast<const char*>(packets[i].data.data()), size);
  }
  auto path = test::scratch_dir() / name;
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(NullLoopSavefileVsLibpcap, Ip6MatchesTheBsdFamiliesInTheFilesByteOrder) {
  std::vector<EdgePacket> packets;
  for (std::uint32_t family : {2u, 10u, 23u, 24u, 28u, 30u, 0u})
    for (bool big : {false, true})
      for (bool v6 : {false, true}) packets.push_back(make_packet(family, big, v6));
  struct File {
    std::string name;
    std::uint32_t linktype;
    bool big_endian_header;
  };
  const bool host_big = std::endian::native == std::endian::big;
  const File kFiles[] = {{"null-native.pcap", 0, host_big}, {"null-swapped.pcap", 0, !host_big},
                         {"loop-native.pcap", 108, host_big}, {"loop-swapped.pcap", 108, !host_big}};
  constexpr std::string_view kFilters[] = {"ip6",        "ip",         "ip6 and tcp", "not ip6",
                                           "ip or ip6",  "ip6 host ::1", "tcp port 80", "ip6 and not tcp"};
  int compared = 0;
  for (const File& f : kFiles) {
    auto path = write_file(f.name, f.linktype, f.big_endian_header, packets);
    for (std::string_view expr : kFilters) {
      auto theirs = test::tcpdump_program_for_file(expr, path);
      ASSERT_TRUE(theirs) << expr << " reading " << f.name << ": " << theirs.error();
      FilterOptions options;
      options.target = FilterTarget::savefile;
      options.savefile_swapped = f.big_endian_header != host_big;
      auto ours = compile_filter(expr, LinkType{static_cast<int>(f.linktype)}, options);
      ASSERT_TRUE(ours) << expr << " reading " << f.name << ": " << ours.error().what();
      int kept = 0;
      std::string diff;
      for (const auto& p : packets) {
        bool a = run_program(*ours, p.data, static_cast<std::uint32_t>(p.data.size())) != 0;
        bool b = run_program(*theirs, p.data, static_cast<std::uint32_t>(p.data.size())) != 0;
        kept += b;
        if (a != b) diff += fmt::format("  {}: ours {}, libpcap {}\n", p.what, a, b);
      }
      EXPECT_EQ(diff, "") << "'" << expr << "' reading " << f.name << "\nours:\n"
                          << format_program(*ours, BpfListing::image) << "libpcap:\n"
                          << format_program(*theirs, BpfListing::image);
      EXPECT_LE(ours->size(), theirs->size()) << expr << " reading " << f.name;
      if (expr == "ip6") {
        EXPECT_EQ(kept, 6) << "three BSD values in one byte order, each before IPv4 and IPv6";
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, 32);
}

}  // namespace
}  // namespace pcapxx
