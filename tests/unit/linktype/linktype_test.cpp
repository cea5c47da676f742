// The link-type table on its own: the registry facts the rest of pcapxx relies on.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "pcapxx/linktype.hpp"

namespace {

using pcapxx::LinkType;
using pcapxx::find_link_type;
using pcapxx::link_type_from_file;
using pcapxx::link_type_to_file;

TEST(LinkTypeTable, OrderedUniqueAndComplete) {
  auto table = pcapxx::link_type_table();
  ASSERT_EQ(table.size(), 152u);
  std::set<std::string> names;
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(table[i - 1].dlt, table[i].dlt) << table[i].name;
    }
    EXPECT_TRUE(names.insert(std::string(table[i].name)).second) << table[i].name;
    EXPECT_FALSE(table[i].description.empty()) << table[i].name;
    EXPECT_EQ(find_link_type(LinkType{table[i].dlt}), &table[i]);
    EXPECT_EQ(find_link_type(table[i].name), &table[i]);
  }
}

TEST(LinkTypeTable, RenumberedTypes) {
  // Registry: LINKTYPE_ATM_RFC1483 100, RAW 101, SLIP_BSDOS 102, PPP_BSDOS 103, ATM_CLIP 106.
  struct Case { int dlt; std::uint16_t file; const char* name; };
  for (Case c : {Case{11, 100, "ATM_RFC1483"}, Case{12, 101, "RAW"}, Case{15, 102, "SLIP_BSDOS"},
                 Case{16, 103, "PPP_BSDOS"}, Case{19, 106, "ATM_CLIP"}}) {
    EXPECT_EQ(link_type_to_file(LinkType{c.dlt}), c.file) << c.name;
    EXPECT_EQ(pcapxx::link_type_to_file_checked(LinkType{c.dlt}), c.file) << c.name;
    EXPECT_EQ(link_type_from_file(c.file).dlt, c.dlt) << c.name;
    const pcapxx::LinkTypeInfo* row = find_link_type(std::string_view(c.name));
    ASSERT_NE(row, nullptr) << c.name;
    EXPECT_EQ(row->dlt, c.dlt);
    EXPECT_EQ(row->linktype, c.file);
    // The file values are no DLT names of their own.
    EXPECT_EQ(find_link_type(LinkType{c.file}), nullptr) << c.file;
  }
  EXPECT_EQ(link_type_to_file(pcapxx::dlt::kRaw), pcapxx::linktype::kRaw);
}

TEST(LinkTypeTable, SameNumberInBothSpaces) {
  for (LinkType t : {pcapxx::dlt::kNull, pcapxx::dlt::kEn10Mb, pcapxx::dlt::kPppSerial,
                     pcapxx::dlt::kPppEther, pcapxx::dlt::kCHdlc, pcapxx::dlt::kPflog,
                     pcapxx::dlt::kPfsync, pcapxx::dlt::kLinuxSll, pcapxx::dlt::kLinuxSll2,
                     pcapxx::dlt::kIpv4, pcapxx::dlt::kAtscAlp}) {
    EXPECT_EQ(link_type_to_file(t), t.dlt);
    EXPECT_EQ(link_type_from_file(static_cast<std::uint32_t>(t.dlt)), t);
    EXPECT_NE(find_link_type(t), nullptr) << t.dlt;
  }
  // Outside the matching range and the historical values there is no LINKTYPE.
  EXPECT_FALSE(pcapxx::link_type_to_file_checked(LinkType{13}).has_value());
  EXPECT_FALSE(pcapxx::link_type_to_file_checked(LinkType{100}).has_value());
  EXPECT_FALSE(pcapxx::link_type_to_file_checked(LinkType{pcapxx::kLinkTypeMatchingMax + 1}).has_value());
  EXPECT_TRUE(pcapxx::link_type_to_file_checked(LinkType{pcapxx::kLinkTypeMatchingMin}).has_value());
}

TEST(LinkTypeTable, NamesAndDescriptions) {
  const pcapxx::LinkTypeInfo* eth = find_link_type(pcapxx::dlt::kEn10Mb);
  ASSERT_NE(eth, nullptr);
  EXPECT_EQ(eth->name, "EN10MB");
  EXPECT_EQ(eth->description, "Ethernet");
  const pcapxx::LinkTypeInfo* sll2 = find_link_type(std::string_view("linux_sll2"));
  ASSERT_NE(sll2, nullptr);
  EXPECT_EQ(sll2->dlt, 276);
  EXPECT_EQ(sll2->description, "Linux cooked v2");
  EXPECT_EQ(find_link_type(std::string_view("DLT_EN10MB")), nullptr);
  EXPECT_EQ(find_link_type(LinkType{-1}), nullptr);
  EXPECT_EQ(find_link_type(LinkType{290}), nullptr);
}

TEST(LinkTypeTable, HighBitsOfTheFileFieldIgnored) {
  EXPECT_EQ(link_type_from_file(0x14000065u), pcapxx::dlt::kRaw);
  EXPECT_EQ(link_type_from_file(0xffff0001u), pcapxx::dlt::kEn10Mb);
  EXPECT_EQ(link_type_from_file(0xffffu).dlt, 0xffff);
}

}  // namespace
