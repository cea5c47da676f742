// The connect tracer's reading of the kernel's tracepoint layout (tracefs "format" file of
// sock:inet_sock_set_state) and of a sample's raw bytes. The fixture is the format file of the
// CI VM's kernel (6.18), copied from /sys/kernel/tracing.
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "process/linux/connect_trace.hpp"

namespace pcapxx::detail::process {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixture() { return slurp(std::string(PCAPXX_SOURCE_DIR) + "/tests/unit/process/inet_sock_set_state.format"); }

/// The text with every line containing `needle` replaced by `with` (empty: removed).
std::string edit(std::string text, std::string_view needle, std::string_view with) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) {
      if (!with.empty()) out += std::string(with) + "\n";
    } else {
      out += line + "\n";
    }
  }
  return out;
}

TEST(TracepointFormat, ReadsTheKernelsLayout) {
  auto l = parse_tracepoint_format(fixture());
  ASSERT_TRUE(l) << l.error().what();
  EXPECT_EQ(l->id, 2287u);
  EXPECT_EQ(l->skaddr.offset, 8u);
  EXPECT_EQ(l->skaddr.size, 8u);
  EXPECT_EQ(l->oldstate.offset, 16u);
  EXPECT_EQ(l->newstate.offset, 20u);
  EXPECT_EQ(l->sport.offset, 24u);
  EXPECT_EQ(l->dport.offset, 26u);
  EXPECT_EQ(l->family.offset, 28u);
  EXPECT_EQ(l->protocol.offset, 30u);
  EXPECT_EQ(l->saddr.offset, 32u);
  EXPECT_EQ(l->daddr.offset, 36u);
  EXPECT_EQ(l->saddr_v6.offset, 40u);
  EXPECT_EQ(l->daddr_v6.offset, 56u);
  EXPECT_EQ(l->daddr_v6.size, 16u);
}

TEST(TracepointFormat, NamesWhatIsMissingOrMalformed) {
  auto no_sport = parse_tracepoint_format(edit(fixture(), "__u16 sport;", ""));
  ASSERT_FALSE(no_sport);
  EXPECT_NE(no_sport.error().what().find("no field sport"), std::string::npos) << no_sport.error().what();

  auto bad_size = parse_tracepoint_format(
      edit(fixture(), "saddr_v6[16]", "\tfield:__u8 saddr_v6[16];\toffset:40;\tsize:8;\tsigned:0;"));
  ASSERT_FALSE(bad_size);
  EXPECT_NE(bad_size.error().what().find("field saddr_v6 has offset 40 size 8"), std::string::npos)
      << bad_size.error().what();

  auto far = parse_tracepoint_format(
      edit(fixture(), "int newstate;", "\tfield:int newstate;\toffset:4294967295;\tsize:4;\tsigned:1;"));
  ASSERT_FALSE(far);

  auto no_id = parse_tracepoint_format(edit(fixture(), "ID:", ""));
  ASSERT_FALSE(no_id);
  EXPECT_NE(no_id.error().what().find("no ID line"), std::string::npos);
}

TEST(TracepointFormat, DecodesARawSample) {
  auto l = parse_tracepoint_format(fixture());
  ASSERT_TRUE(l);
  // A sample as the kernel lays it out: common fields, then the tracepoint's (host order).
  std::vector<std::byte> raw(72);
  auto put = [&](std::size_t off, const void* v, std::size_t n) { std::memcpy(raw.data() + off, v, n); };
  std::uint64_t sk = 0xffff888012345678ull;
  std::int32_t oldstate = 2, newstate = 1;
  std::uint16_t sport = 40001, dport = 7000, family = AF_INET, protocol = IPPROTO_TCP;
  std::uint8_t saddr[4] = {10, 66, 0, 1}, daddr[4] = {10, 66, 0, 2};
  put(8, &sk, 8);
  put(16, &oldstate, 4);
  put(20, &newstate, 4);
  put(24, &sport, 2);
  put(26, &dport, 2);
  put(28, &family, 2);
  put(30, &protocol, 2);
  put(32, saddr, 4);
  put(36, daddr, 4);
  auto c = decode_state_change(raw, *l);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->sk, sk);
  EXPECT_EQ(c->oldstate, 2);
  EXPECT_EQ(c->newstate, 1);
  EXPECT_EQ(c->sport, 40001);
  EXPECT_EQ(c->dport, 7000);
  EXPECT_EQ(c->family, AF_INET);
  EXPECT_EQ(c->saddr[0], 10);
  EXPECT_EQ(c->saddr[3], 1);
  EXPECT_EQ(c->daddr[3], 2);
  EXPECT_EQ(c->saddr[4], 0);  // IPv4 fills the first 4 bytes only

  // IPv6: the 16-byte fields are read instead.
  family = AF_INET6;
  put(28, &family, 2);
  std::uint8_t v6[16] = {0xfd, 0x66, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  put(40, v6, 16);
  c = decode_state_change(raw, *l);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->saddr[0], 0xfd);
  EXPECT_EQ(c->saddr[15], 1);

  // One byte short of the last field: refused, not read past the end.
  raw.resize(71);
  EXPECT_FALSE(decode_state_change(raw, *l));
}

TEST(TracepointFormat, ThisKernelsFormatParsesWhenTracefsIsMounted) {
  for (const char* root : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    std::string path = std::string(root) + "/events/sock/inet_sock_set_state/format";
    if (::access(path.c_str(), R_OK) != 0) continue;
    auto l = parse_tracepoint_format(slurp(path));
    EXPECT_TRUE(l) << path << ": " << l.error().what();
    return;
  }
  GTEST_LOG_(INFO) << "tracefs not mounted here; the fixture above stands for it";
}

}  // namespace
}  // namespace pcapxx::detail::process
