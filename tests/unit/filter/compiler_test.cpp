// The compiler's errors name the column and the problem; a compiled Filter keeps the right
// packets of a real capture.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pcapxx/filter.hpp"
#include "pcapxx/savefile.hpp"

namespace pcapxx {
namespace {

std::string error_of(std::string_view expr, LinkType link = dlt::kEn10Mb, FilterTarget target = FilterTarget::dead) {
  FilterOptions options;
  options.target = target;
  auto r = compile_filter(expr, link, options);
  if (r) return "compiled:\n" + format_program(*r, BpfListing::image);
  return r.error().what();
}

TEST(Compiler, ErrorsNameTheColumn) {
  EXPECT_EQ(error_of("tcp and tcpp[0] = 1"), "filter column 9: unknown protocol 'tcpp'");
  EXPECT_EQ(error_of("ip[0] / 0 = 1"), "filter column 7: division by zero");
  EXPECT_EQ(error_of("ip[0] << 32 = 1"), "filter column 7: shift by more than 31 bits");
  EXPECT_EQ(error_of("port 70000"), "filter column 6: illegal port number 70000 > 65535");
  EXPECT_EQ(error_of("net 10.0.0.1/8"), "filter column 5: non-network bits set in \"10.0.0.1/8\"");
  EXPECT_EQ(error_of("tcp port 80 and"), "filter column 16: syntax error: unexpected end of expression");
  EXPECT_EQ(error_of("(tcp"), "filter column 5: syntax error: unexpected end of expression");
  EXPECT_EQ(error_of("tcp)"), "filter column 4: unbalanced ')'");
  EXPECT_EQ(error_of("ip and ip6"), "filter: expression rejects all packets");
  EXPECT_EQ(error_of("vlan 5000"), "filter column 6: VLAN tag 5000 greater than maximum 4095");
  EXPECT_EQ(error_of("vlan", dlt::kLinuxSll), "filter column 1: no VLAN support for Linux cooked v1");
  EXPECT_EQ(error_of("llc foo"), "filter column 5: unknown LLC type name \"foo\"");
  EXPECT_EQ(error_of("mpls and arp"), "filter column 10: unsupported protocol over mpls");
  EXPECT_EQ(error_of("arp protochain 6"), "filter column 1: bad protocol applied for 'protochain'");
  EXPECT_EQ(error_of("pppoes 70000"), "filter column 8: PPPoE session number 70000 greater than maximum 65535");
  EXPECT_EQ(error_of("pppoes", dlt::kIeee802_11Radio),
            "filter column 1: 'pppoes' on 802.11 with radiotap is not supported: libpcap's program for it reads a "
            "scratch cell it never wrote, so there is no meaning to match");
  EXPECT_EQ(error_of("ip and geneve", dlt::kIeee802_11),
            "filter column 8: 'geneve' on 802.11 is not supported: libpcap's program for it reads scratch cells it "
            "never wrote, so there is no meaning to match");
  EXPECT_EQ(error_of("inbound", dlt::kEn10Mb, FilterTarget::savefile),
            "filter column 1: inbound/outbound not supported on Ethernet when reading savefiles");
  auto r = compile_filter("tcp and tcpp[0] = 1", dlt::kEn10Mb, 262144, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().column, 9u);
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

// Nesting deep enough to overrun the stack is refused with an error, not a crash: parentheses,
// `not`, unary minus and `%` (which libpcap's grammar groups to the right).
TEST(Compiler, DeepNestingIsAnErrorNotACrash) {
  auto repeat = [](std::string_view s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
  };
  const std::string too_deep = "expression nested too deeply (more than 1000 levels)";
  for (const std::string& expr : {"len = " + repeat("(", 50000) + "1" + repeat(")", 50000),
                                  repeat("(", 50000) + "ip" + repeat(")", 50000), repeat("not ", 100000) + "ip",
                                  "len = " + repeat("-", 100000) + "1", "len = 1" + repeat(" % 1", 100000),
                                  "len = 1" + repeat(" ^ 1", 100000)}) {
    EXPECT_NE(error_of(expr).find(too_deep), std::string::npos) << expr.substr(0, 40) << "...: " << error_of(expr);
  }
  // Well below the limit: compiled, and the wide disjunctions that do not nest are unlimited.
  EXPECT_EQ(error_of(repeat("not ", 900) + "ip").rfind("compiled:", 0), 0u);
  EXPECT_EQ(error_of(repeat("(", 400) + "ip" + repeat(")", 400)).rfind("compiled:", 0), 0u);
  std::string wide = "ip";
  for (int i = 0; i < 2000; ++i) wide += " or ip";
  EXPECT_EQ(error_of(wide).rfind("compiled:", 0), 0u);
}

TEST(Compiler, ConstantsFoldAndUnoptimizedProgramsStillReject) {
  auto always = compile_filter("1 = 1", dlt::kEn10Mb, 96, 0);
  ASSERT_TRUE(always) << always.error().what();
  EXPECT_EQ(format_program(*always, BpfListing::image), "(000) ret      #96\n");
  auto never = compile_filter("ip and ip6", dlt::kEn10Mb, 96, 0, false);
  ASSERT_TRUE(never) << never.error().what();
  EXPECT_EQ(never->back(), bpf::stmt(bpf::kRet | bpf::kK, 0));
  EXPECT_FALSE(compile_filter("ip", dlt::kIpv6, 96, 0));
  EXPECT_EQ(format_program(*compile_filter("ip6", dlt::kIpv6, 96, 0), BpfListing::image), "(000) ret      #96\n");
}

TEST(Compiler, FilterKeepsTheRightPacketsOfARealCapture) {
  auto f = Filter::compile("tcp dst port 80", dlt::kEn10Mb);
  ASSERT_TRUE(f) << f.error().what();
  auto reader = SavefileReader::open(std::string(PCAPXX_SHARED_CAPTURES) + "/gopacket/pcap_test_ethernet.pcap");
  ASSERT_TRUE(reader) << reader.error().what();
  int kept = 0, total = 0;
  for (const PacketView& pkt : **reader) {
    ++total;
    bool to_80 = pkt.data.size() >= 38 && std::to_integer<int>(pkt.data[12]) == 0x08 &&
                 std::to_integer<int>(pkt.data[23]) == 6 && std::to_integer<int>(pkt.data[36]) == 0 &&
                 std::to_integer<int>(pkt.data[37]) == 80;
    EXPECT_EQ(f->matches(pkt), to_80) << "packet " << total;
    kept += f->matches(pkt);
  }
  EXPECT_EQ(total, 10);
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, total);
  // A program from elsewhere must pass the validator.
  EXPECT_FALSE(Filter::from_program({bpf::stmt(bpf::kLd | bpf::kMem, 0), bpf::stmt(bpf::kRet | bpf::kA, 0)}));
  EXPECT_TRUE(Filter::from_program(f->program()));
}

TEST(Compiler, FilterRunsTheJitByDefaultAndTheInterpreterOnRequest) {
  auto jit = Filter::compile("ip6 protochain 6 or udp port 53", dlt::kEn10Mb);
  ASSERT_TRUE(jit) << jit.error().what();
  FilterOptions interp_options;
  interp_options.engine = BpfEngineChoice::interpreter;
  auto interp = Filter::compile("ip6 protochain 6 or udp port 53", dlt::kEn10Mb, interp_options);
  ASSERT_TRUE(interp) << interp.error().what();
  EXPECT_EQ(interp->engine(), BpfEngine::interpreter);
  // Where this process may map executable memory the JIT must run; elsewhere it says why not.
  if (jit_available()) {
    EXPECT_EQ(jit->engine(), BpfEngine::jit) << jit->interpreter_reason();
    EXPECT_EQ(jit->interpreter_reason(), "");
  } else {
    EXPECT_NE(jit->interpreter_reason(), "");
  }
  EXPECT_EQ(jit->program(), interp->program());
  auto reader = SavefileReader::open(std::string(PCAPXX_SHARED_CAPTURES) + "/gopacket/pcap_test_ethernet.pcap");
  ASSERT_TRUE(reader) << reader.error().what();
  int packets = 0;
  for (const PacketView& pkt : **reader) {
    ++packets;
    EXPECT_EQ(jit->run(pkt), interp->run(pkt)) << "packet " << packets;
    EXPECT_EQ(jit->run(pkt), run_program(jit->program(), pkt.data, pkt.header.origlen)) << "packet " << packets;
  }
  EXPECT_EQ(packets, 10);
}

}  // namespace
}  // namespace pcapxx
