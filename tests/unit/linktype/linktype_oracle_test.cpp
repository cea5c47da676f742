// The link-type table against libpcap itself (Debian's libpcap0.8, linked into this test only):
// names, descriptions, name lookup, and the DLT<->LINKTYPE renumbering on read and on write.
#include <pcap/pcap.h>

#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/byte_order.hpp"
#include "pcapxx/linktype.hpp"

namespace {

using pcapxx::LinkType;
using pcapxx::find_link_type;

// Every DLT libpcap 1.10 names is below 290; 0..65535 also covers every LINKTYPE a file holds.
constexpr int kMaxProbe = 65535;

std::string str_or_null(const char* s) { return s ? std::string(s) : std::string("(null)"); }

// A pcap file header (little-endian, version 2.4) whose link-type field is `field`.
std::vector<unsigned char> pcap_header(std::uint32_t field) {
  std::vector<unsigned char> h(24, 0);
  auto put32 = [&](std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) h[at + i] = static_cast<unsigned char>(v >> (8 * i));
  };
  put32(0, 0xa1b2c3d4);
  h[4] = 2;
  h[6] = 4;
  put32(16, 65535);
  put32(20, field);
  return h;
}

// The DLT libpcap reports for a file with this link-type field, or nullopt if it refuses it.
std::optional<int> oracle_dlt_for_file(std::uint32_t field) {
  std::vector<unsigned char> h = pcap_header(field);
  FILE* f = ::fmemopen(h.data(), h.size(), "rb");
  if (f == nullptr) return std::nullopt;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_fopen_offline(f, err);
  if (p == nullptr) {
    std::fclose(f);
    return std::nullopt;
  }
  int dlt = pcap_datalink(p);
  pcap_close(p);
  return dlt;
}

// The link-type field libpcap writes for a DLT, or nullopt if pcap_dump_open refuses the DLT.
std::optional<std::uint32_t> oracle_file_field_for(int dlt) {
  pcap_t* dead = pcap_open_dead(dlt, 65535);
  if (dead == nullptr) return std::nullopt;
  char* buf = nullptr;
  std::size_t len = 0;
  FILE* m = ::open_memstream(&buf, &len);
  std::optional<std::uint32_t> field;
  if (pcap_dumper_t* d = pcap_dump_fopen(dead, m)) {
    pcap_dump_flush(d);
    pcap_dump_close(d);  // closes m
    if (len >= 24) field = pcapxx::detail::load_raw<std::uint32_t>(reinterpret_cast<const std::byte*>(buf + 20));
  } else {
    std::fclose(m);
  }
  std::free(buf);
  pcap_close(dead);
  return field;
}

TEST(LinkTypeOracle, LibraryIsTheOneTheTableDescribes) {
  // The table is libpcap 1.10's; a different oracle would make every other test here moot.
  EXPECT_NE(std::string(pcap_lib_version()).find("libpcap version 1.10."), std::string::npos)
      << pcap_lib_version();
}

TEST(LinkTypeOracle, NameAndDescriptionOfEveryValue) {
  std::vector<int> probes{INT_MIN, -65536, -1, 65536, 0x7fffffff};
  for (int d = 0; d <= kMaxProbe; ++d) probes.push_back(d);
  int named = 0;
  for (int d : probes) {
    const char* name = pcap_datalink_val_to_name(d);
    const char* desc = pcap_datalink_val_to_description(d);
    const pcapxx::LinkTypeInfo* row = find_link_type(LinkType{d});
    ASSERT_EQ(name != nullptr, row != nullptr)
        << "DLT " << d << ": libpcap name " << str_or_null(name) << ", pcapxx "
        << (row ? std::string(row->name) : std::string("(none)"));
    if (row == nullptr) {
      EXPECT_EQ(desc, nullptr) << "DLT " << d;
      continue;
    }
    ++named;
    EXPECT_EQ(row->dlt, d);
    EXPECT_EQ(std::string(row->name), str_or_null(name)) << "DLT " << d;
    EXPECT_EQ(std::string(row->description), str_or_null(desc)) << "DLT " << d;
  }
  EXPECT_EQ(static_cast<std::size_t>(named), pcapxx::link_type_table().size());
}

TEST(LinkTypeOracle, NameLookupAsNameToVal) {
  for (const pcapxx::LinkTypeInfo& row : pcapxx::link_type_table()) {
    std::string name(row.name);
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string mixed = name;
    for (std::size_t i = 0; i < mixed.size(); i += 2)
      mixed[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(mixed[i])));
    std::vector<std::string> forms{name, lower, mixed, "DLT_" + name, "dlt_" + lower,
                                   name + " ", " " + name, name.substr(0, name.size() - 1),
                                   name + "X"};
    for (const std::string& form : forms) {
      int want = pcap_datalink_name_to_val(form.c_str());
      const pcapxx::LinkTypeInfo* got = find_link_type(std::string_view(form));
      EXPECT_EQ(got ? got->dlt : -1, want) << "name '" << form << "'";
    }
  }
  // Names no row has, and the empty name.
  for (const char* odd : {"", "DLT_", "ETHERNET", "EN10", "RAW\n", "LINKTYPE_RAW", "EN3MB", "USER0"}) {
    const pcapxx::LinkTypeInfo* got = find_link_type(std::string_view(odd));
    EXPECT_EQ(got ? got->dlt : -1, pcap_datalink_name_to_val(odd)) << "name '" << odd << "'";
  }
}

TEST(LinkTypeOracle, FileValueToDltAsPcapOpenOffline) {
  int renumbered = 0;
  for (std::uint32_t lt = 0; lt <= kMaxProbe; ++lt) {
    std::optional<int> want = oracle_dlt_for_file(lt);
    ASSERT_TRUE(want.has_value()) << "libpcap refused link type " << lt;
    EXPECT_EQ(pcapxx::link_type_from_file(lt).dlt, *want) << "LINKTYPE " << lt;
    if (*want != static_cast<int>(lt)) ++renumbered;
  }
  EXPECT_EQ(renumbered, 5);  // 100, 101, 102, 103, 106
  // The FCS bits (26-31) do not change the link type.
  for (std::uint32_t field : {0x04000001u, 0x14000065u, 0xf4000064u, 0x08000066u, 0x60000001u}) {
    std::optional<int> want = oracle_dlt_for_file(field);
    ASSERT_TRUE(want.has_value()) << std::hex << field;
    EXPECT_EQ(pcapxx::link_type_from_file(field).dlt, *want) << std::hex << "field 0x" << field;
  }
}

TEST(LinkTypeOracle, DltToFileValueAsPcapDumpOpen) {
  int writable = 0;
  for (int d = 0; d <= kMaxProbe; ++d) {
    std::optional<std::uint32_t> want = oracle_file_field_for(d);
    std::optional<std::uint16_t> got = pcapxx::link_type_to_file_checked(LinkType{d});
    ASSERT_EQ(got.has_value(), want.has_value())
        << "DLT " << d << ": libpcap " << (want ? std::to_string(*want) : "refuses") << ", pcapxx "
        << (got ? std::to_string(*got) : "refuses");
    if (!want) continue;
    ++writable;
    EXPECT_EQ(*got, *want) << "DLT " << d;
    EXPECT_EQ(pcapxx::link_type_to_file(LinkType{d}), *want) << "DLT " << d;
    // Every writable DLT reads back as itself, except LINKTYPE 106 written for DLT 106, which a
    // reader takes for DLT_ATM_CLIP (19): libpcap does the same.
    std::optional<int> back = oracle_dlt_for_file(*want);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(pcapxx::link_type_from_file(*want).dlt, *back) << "DLT " << d;
  }
  EXPECT_GT(writable, 150);
  for (int d : {-1, -101, INT_MIN})
    EXPECT_FALSE(pcapxx::link_type_to_file_checked(LinkType{d}).has_value()) << "DLT " << d;
  // Every named DLT can be written.
  for (const pcapxx::LinkTypeInfo& row : pcapxx::link_type_table()) {
    std::optional<std::uint32_t> want = oracle_file_field_for(row.dlt);
    ASSERT_TRUE(want.has_value()) << row.name;
    EXPECT_EQ(row.linktype, *want) << row.name;
  }
}

TEST(LinkTypeOracle, RealFilesReadAsLibpcapReadsThem) {
  // Every classic pcap file among the shared captures: the link-type field through
  // link_type_from_file against pcap_open_offline's pcap_datalink.
  namespace fs = std::filesystem;
  int compared = 0;
  for (const auto& e : fs::recursive_directory_iterator(PCAPXX_SHARED_CAPTURES)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    unsigned char h[24];
    if (!in.read(reinterpret_cast<char*>(h), sizeof h)) continue;
    std::uint32_t magic = pcapxx::detail::load_raw<std::uint32_t>(reinterpret_cast<const std::byte*>(h));
    bool swapped;
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) swapped = false;
    else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) swapped = true;
    else continue;
    std::uint32_t field = pcapxx::detail::load<std::uint32_t>(reinterpret_cast<const std::byte*>(h + 20), swapped);
    if (field & 0x03ff0000) continue;  // reserved bits: see LinkTypeOracle.ReservedBits
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(e.path().c_str(), err);
    if (p == nullptr) continue;  // broken on purpose (libpcap/pcap-invalid-*)
    EXPECT_EQ(pcapxx::link_type_from_file(field).dlt, pcap_datalink(p)) << e.path();
    pcap_close(p);
    ++compared;
  }
  EXPECT_GT(compared, 100);
}

TEST(LinkTypeOracle, ReservedBitsAreNotPartOfTheLinkType) {
  // libpcap 1.10.3 reports bits 16-25 as part of pcap_datalink and then does not renumber;
  // link_type_from_file reads only the low 16 bits and leaves the decision to the reader.
  // This records the difference so a change in either side shows up here.
  EXPECT_EQ(oracle_dlt_for_file(0x00010065u), std::optional<int>(0x00010065));
  EXPECT_EQ(pcapxx::link_type_from_file(0x00010065u).dlt, 12);
}

}  // namespace
