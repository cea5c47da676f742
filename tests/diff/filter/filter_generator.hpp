// Test support: filter expressions from a small grammar of pcap-filter(7) (primitives with
// their qualifiers, relations over packet data, and/or/not, parentheses, implicit qualifiers),
// with values taken partly from the shared captures so that some filters keep packets, and now
// and then a malformed or semantically wrong term so that rejections are compared as well.
// Deterministic: the same seed gives the same list.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace pcapxx::test {

class FilterGenerator {
 public:
  explicit FilterGenerator(std::uint32_t seed) : rng_(seed) {}

  /// A relation between two random arithmetic trees: `len`, constants (0, 1 and values past
  /// 31 among them), `proto[expr:size]` loads with nested indexes, unary minus and all ten
  /// operators written without parentheses now and then, where libpcap's grouping and its
  /// optimizer's identities and checks show.
  std::string arithmetic_relation() {
    static constexpr std::string_view kRel[] = {"=", "!=", ">", "<", ">=", "<="};
    auto rhs = arith(2);
    auto lhs = arith(0);
    return fmt::format("{} {} {}", lhs, pick(kRel), rhs);
  }

  /// `count` distinct expressions.
  std::vector<std::string> generate(std::size_t count) {
    std::vector<std::string> out;
    for (int guard = 0; out.size() < count && guard < 100000; ++guard) {
      std::string e = expr(0);
      bool fresh = true;
      for (const auto& o : out) fresh = fresh && o != e;
      if (fresh) out.push_back(std::move(e));
    }
    return out;
  }

 private:
  template <typename T, std::size_t N>
  const T& pick(const T (&table)[N]) {
    return table[rng_() % N];
  }
  bool chance(unsigned percent) { return rng_() % 100 < percent; }

  std::string arith(int depth) {
    static constexpr std::uint32_t kConst[] = {0, 1, 2, 3, 4, 14, 20, 40, 0x45, 255, 1500, 0xfffffff0};
    static constexpr std::string_view kProtos[] = {"ip", "ip6", "tcp", "udp", "icmp", "arp", "ether", "link"};
    static constexpr std::string_view kSizes[] = {"", "", ":2", ":4"};
    static constexpr std::string_view kOps[] = {"+", "-", "*", "/", "&", "|", "^", "<<", ">>", "%"};
    if (depth >= 3 || chance(35)) {
      const unsigned r = rng_() % 100;
      if (r < 25) return fmt::format("{}", pick(kConst));
      if (r < 35) return "len";
      if (r < 40) return fmt::format("-{}", arith(depth + 1));
      auto proto = pick(kProtos);
      auto index = depth < 2 && chance(30) ? arith(depth + 1) : fmt::format("{}", rng_() % 14);
      return fmt::format("{}[{}{}]", proto, index, pick(kSizes));
    }
    auto op = pick(kOps);
    auto r = arith(depth + 1);
    auto l = arith(depth + 1);
    if (op == "/" || op == "%") r = fmt::format("{}", 1 + rng_() % 7);
    if (op == "<<" || op == ">>") r = fmt::format("{}", rng_() % 5);
    return chance(70) ? fmt::format("({} {} {})", l, op, r) : fmt::format("{} {} {}", l, op, r);
  }

  std::string expr(int depth) {
    if (depth >= 2 || chance(35)) return term();
    switch (rng_() % 5) {
      // Every draw is its own statement: the order in which a call's arguments are evaluated
      // differs between compilers (GCC: right to left, clang: left to right), and the list must
      // be the same in the GCC and the clang (sanitizer) builds. The right operand is drawn
      // first, which keeps the list the GCC builds always made.
      case 0: { auto b = expr(depth + 1); auto a = expr(depth + 1); return fmt::format("{} and {}", a, b); }
      case 1: { auto b = expr(depth + 1); auto a = expr(depth + 1); return fmt::format("{} or {}", a, b); }
      case 2: return fmt::format("not {}", term());
      case 3: { auto b = expr(depth + 1); auto a = expr(depth + 1); return fmt::format("({}) and not ({})", a, b); }
      default: {
        auto c = term();
        auto b = expr(depth + 1);
        auto a = term();
        return fmt::format("{} && ({} || {})", a, b, c);
      }
    }
  }

  std::string term() {
    static constexpr std::string_view kAddrs[] = {"10.0.0.1", "10.0.0.138", "212.199.202.9", "54.192.94.30",
                                                  "192.168.1.1", "172.16.0.1", "8.8.8.8", "10.118.213.211"};
    static constexpr std::string_view kAddrs6[] = {"2620:1ec:c11::200", "::1", "fe80::1",
                                                   "2601:647:4b02:1d20:fd05:6f66:ecce:8bc7"};
    static constexpr std::string_view kNets[] = {"10.0.0.0/24", "212.199.202.0/24", "10.118", "192.168.0.0/16",
                                                 "172.16.0.0 mask 255.240.0.0", "2001:558::/32", "fe80::/10"};
    static constexpr std::string_view kDirs[] = {"", "src ", "dst ", "src or dst ", "src and dst "};
    static constexpr std::string_view kPortProtos[] = {"", "tcp ", "udp ", "sctp "};
    static constexpr std::uint32_t kPorts[] = {80, 443, 53, 22, 123, 2049, 5353, 67, 8080, 1900};
    static constexpr std::string_view kProtos[] = {"ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6",
                                                   "igmp", "pim", "vrrp", "sctp", "ah", "esp", "stp", "llc",
                                                   "ipx", "decnet", "atalk", "iso", "isis", "carp"};
    static constexpr std::string_view kNamed[] = {"ip proto \\tcp", "ip proto \\udp", "ip6 proto \\icmp6",
                                                  "ether proto \\arp", "ether proto \\ip6", "ip proto 47",
                                                  "proto 17", "ip protochain 6", "ip6 protochain 17"};
    static constexpr std::string_view kData[] = {"ip[0] & 0xf", "ip[8]", "ip[2:2]", "ip[6:2] & 0x1fff", "tcp[13]",
                                                 "tcp[0:2]", "udp[2:2]", "icmp[0]", "ether[0] & 1", "ether[12:2]",
                                                 "ip6[6]", "len", "ip[9] + ip[8]", "tcp[12] >> 4",
                                                 "(ip[2:2] - 20) / 4", "ip[1] ^ 0x10", "ip[0] % 3", "tcp[tcpflags]",
                                                 "icmp[icmptype]", "ip[16:4] & 0xffffff00", "-ip[0]",
                                                 "ip[ip[0] & 0xf]", "udp[4:2] * 2", "2 * ip[8]", "len + ip[0]",
                                                 "ip[0] + ip6[0]", "ip[4 + (len & 3)]", "60 - tcp[12] / 4",
                                                 "ip[100] * 0", "tcp[2] ^ udp[2]", "0 + ip[100]", "len >> (ip[0] & 3)"};
    static constexpr std::string_view kRel[] = {"=", "!=", ">", "<", ">=", "<="};
    static constexpr std::string_view kValues[] = {"0", "1", "5", "6", "17", "64", "0x45", "576", "1500",
                                                   "icmp-echo", "tcp-syn", "tcp-ack|tcp-push", "0xa000001"};
    static constexpr std::string_view kBad[] = {"port 99999", "ip proto \\nosuchproto", "host 10.0.0.300",
                                                "tcp port", "ip[0] = ", "net 10.0.0.1/8", "vlan 5000", "ip port 80",
                                                "ether host 00:11:22", "udp[0:3] = 1", "portrange 10-",
                                                "foo", "icmp6 port 5", "1 + = 2", "less", "mpls 1048576"};
    switch (rng_() % 14) {
      case 0: {
        auto addr = pick(kAddrs);
        auto dir = pick(kDirs);
        bool ip = chance(30);
        return fmt::format("{}{}host {}", ip ? "ip " : "", dir, addr);
      }
      case 1: { auto addr = pick(kAddrs6); auto dir = pick(kDirs); return fmt::format("{}host {}", dir, addr); }
      case 2: { auto net = pick(kNets); auto dir = pick(kDirs); return fmt::format("{}net {}", dir, net); }
      case 3: {
        auto port = pick(kPorts);
        auto dir = pick(kDirs);
        auto proto = pick(kPortProtos);
        std::string base = fmt::format("{}{}port {}", proto, dir, port);
        if (chance(30)) base += fmt::format(" or {}", pick(kPorts));  // the implicit qualifier
        return base;
      }
      case 4: {
        std::uint32_t lo = pick(kPorts);
        std::uint32_t hi = lo + rng_() % 1000;
        auto dir = pick(kDirs);
        auto proto = pick(kPortProtos);
        return fmt::format("{}{}portrange {}-{}", proto, dir, lo, hi);
      }
      case 5: case 6: return std::string(pick(kProtos));
      case 7: return std::string(pick(kNamed));
      case 8: case 9: {
        auto value = pick(kValues);
        auto rel = pick(kRel);
        auto data = pick(kData);
        return fmt::format("{} {} {}", data, rel, value);
      }
      case 10: {
        static constexpr std::string_view kSmall[] = {"less 60", "greater 1000", "broadcast", "multicast",
                                                      "ip multicast", "ip6 multicast", "ether broadcast",
                                                      "ether multicast", "vlan", "vlan 100", "mpls",
                                                      "pppoes", "pppoed", "ether src 00:0c:29:36:5a:ae",
                                                      "ether dst ff:ff:ff:ff:ff:ff", "inbound", "outbound",
                                                      "ifindex 2", "llc u", "arp host 10.0.0.1"};
        return std::string(pick(kSmall));
      }
      case 11: {
        bool port = pick(kDirs).empty();
        auto proto = pick(kProtos);
        return fmt::format("{} and {}", proto, port ? "port 53" : "host 10.0.0.1");
      }
      case 12: return chance(50) ? std::string(pick(kBad)) : fmt::format("tcp and {}", pick(kBad));
      default: {  // the implicit qualifier
        auto b = pick(kAddrs);
        auto a = pick(kAddrs);
        return fmt::format("host {} or {}", a, b);
      }
    }
  }

  std::mt19937 rng_;
};

}  // namespace pcapxx::test
