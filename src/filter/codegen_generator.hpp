// The code generator's private class, shared by codegen*.cpp: each file defines the members
// of one part of the generator (the comment above each group of declarations names it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/codegen.hpp"
#include "filter/graph.hpp"

namespace pcapxx::filter::codegen_detail {

using namespace bpf;

constexpr std::uint16_t kEtherIp = 0x0800;
constexpr std::uint16_t kEtherIp6 = 0x86dd;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kEtherRarp = 0x8035;
constexpr std::uint32_t kEtherVlan = 0x8100, kEtherQinQ = 0x88a8, kEtherMpls = 0x8847;
constexpr std::uint32_t kEtherPppoeDiscovery = 0x8863, kEtherPppoeSession = 0x8864;
constexpr std::uint32_t kEtherIpx = 0x8137, kEtherAtalk = 0x809b, kEtherAarp = 0x80f3;
// 802.2 LLC SAPs (IEEE registry): ISO network layer, IP, NetBEUI, IPX, spanning tree.
constexpr std::uint32_t kLlcSapIsoNs = 0xfe, kLlcSapIp = 0x06, kLlcSapNetbeui = 0xf0, kLlcSapIpx = 0xe0,
                        kLlcSapStp = 0x42;
constexpr std::uint32_t kIpProtoTcp = 6, kIpProtoUdp = 17, kIpProtoSctp = 132;
constexpr std::uint32_t kIpProtoIcmp6 = 58, kIp6Fragment = 44;
constexpr std::uint32_t kProtoUndef = 0xffffffff;

class Gen {
 public:
  explicit Gen(const CodegenOptions& o) : opt_(o), graph_() {}
  Result<BpfProgram> run(const Expr* e);

 private:
  // ---- 802.11: the header's length depends on the frame (QoS data frames are 2 bytes longer)
  // and, with radiotap, on the radiotap header's length and padding. As libpcap does, a
  // prologue computes these offsets into scratch cells once; tests read the link-layer header
  // at X = M[kCellRadiotap] (radiotap) and the payload (802.2 LLC header) at X = M[kCellPayload].
  // Offsets at or above kVarBase in the code below are relative to the payload; test() turns
  // their loads into indexed ones.
  static constexpr std::uint32_t kVarBase = 0x40000000;
  static constexpr std::uint32_t kCellPayload = 15, kCellRadiotap = 14;
  // Geneve (and any later variable offset) uses offsets relative to other cells: the byte
  // above the low 24 bits names the cell (0: 802.11's payload cell, 1 + c: cell c), the low
  // 24 bits hold the offset biased by kVarBias so that "4 bytes before" stays in range.
  static constexpr std::uint32_t kVarBias = 0x800000;
  static constexpr std::uint32_t var_at(std::uint32_t cell, std::uint32_t off) {
    return kVarBase + ((cell + 1) << 24) + kVarBias + off;
  }
  static constexpr bool is_var(std::uint32_t k) { return k >= kVarBase && k < kAdOff; }
  static constexpr bool is_payload_var(std::uint32_t k) { return is_var(k) && ((k - kVarBase) >> 24) == 0; }
  static constexpr std::uint32_t var_cell(std::uint32_t k) {
    const std::uint32_t slot = (k - kVarBase) >> 24;
    return slot == 0 ? kCellPayload : slot - 1;
  }
  static constexpr std::uint32_t var_off(std::uint32_t k) {
    return is_payload_var(k) ? k - kVarBase : (k & 0xffffff) - kVarBias;
  }
  // A user's constant index k added to `base` (32 bits, as libpcap adds them) may land in the
  // variable range or leave base's cell: then index_load computes the offset in X instead, so
  // that test() does not read the sum as a variable offset.
  bool offset_fits(std::uint32_t base, std::uint32_t k) const;
  std::vector<BpfInsn> index_load(std::uint16_t size, std::uint32_t base, std::uint32_t k);

  Cond by_dir(Dir dir, const auto& make) {  // make(bool src)
    switch (dir) {
      case Dir::src: return make(true);
      case Dir::dst: return make(false);
      case Dir::src_and_dst: { Cond s = make(true); return graph_.both(s, make(false)); }
      default: { Cond s = make(true); return graph_.either(s, make(false)); }
    }
  }

  // ---- runs of host, net and port terms in one disjunction ("host a or host b or ..."): the
  // terms share everything but the compared value, so the run becomes one test per header
  // field against a balanced search tree of the values (ports: merged ranges). On whole
  // packets the verdicts are those of the term-by-term program; libpcap's optimizer reorders
  // such runs the same way (all source fields, then all destination fields).
  // Only the first test of a tree loads the value; the others test A as it left it (blocks
  // without statements), so equal subtrees of different fields merge (graph.cpp).
  static constexpr std::size_t kChainMax = 8;  ///< a (sub)set this small is a chain of jeq

  using Range = std::pair<std::uint32_t, std::uint32_t>;

  // What a host/net/port term would compare, when it can join a run: the key says which terms
  // share everything else. nullopt for terms that stay on their own (names, IPv6, errors).
  struct RunKey {
    int family = 0;  // 1 host/net, 2 port/portrange
    Proto proto = Proto::none;
    Dir dir = Dir::none;
    std::uint32_t mask = 0;
    friend bool operator==(const RunKey&, const RunKey&) = default;
  };
  struct RunItem {
    RunKey key;
    Range value;
  };

  // ---- arithmetic: a value is guards (tests that must pass first) plus code leaving it in A
  struct Value {
    std::vector<Cond> guards;
    std::vector<BpfInsn> code;
    bool is_const = false;
    std::uint32_t k = 0;
    // The constant libpcap's code for this expression would load first (`ld #lead`), before
    // its optimizer runs: the left operand's, a load's index's; libpcap's parser checks the
    // divisor and the shift count by it (`len / ether[0]` is a division by zero there).
    std::optional<std::uint32_t> lead;
    // 0 for libpcap's optimizer though the code stays (`len & 0` on 802.11): a divisor it refuses.
    bool zero = false;
  };

  // codegen.cpp: the core emitter: test blocks, the prologue, primitives, the expression walk
  Cond error(Errc code, std::uint32_t column, std::string message);
  Cond test(std::vector<BpfInsn> stmts, std::uint16_t jcode, std::uint32_t k);
  std::uint32_t cell_floor() const;
  Cond always(std::vector<BpfInsn> stmts);
  static std::string_view proto_name(Proto p);
  static std::string_view dir_name(Dir d);
  Cond primitive(const Expr& e);
  Cond broadcast(const Expr& e);
  Cond multicast(const Expr& e);
  Cond expr(const Expr& e);

  // codegen_link.cpp: the link layer: link types, LLC, direction, Ethernet addresses
  bool setup_link();
  bool is_ethernet() const;
  bool has_mac_addresses() const;
  Cond load_test(std::uint16_t size, std::uint32_t off, std::uint16_t jop, std::uint32_t k);
  Cond linktype(std::uint32_t ethertype, std::uint32_t column);
  Cond masked_test(std::uint16_t size, std::uint32_t off, std::uint32_t mask, std::uint32_t v);
  Cond any_of(std::uint16_t size, std::uint32_t off, std::initializer_list<std::uint32_t> values);
  Cond snap(std::uint32_t oui, std::uint32_t type);
  Cond ether_linktype(std::uint32_t proto);
  Cond sll_linktype(std::uint32_t proto);
  static std::uint32_t ppp_type(std::uint32_t ethertype);
  std::string link_description() const;
  Cond llc(const Expr& e);
  Cond direction(const Expr& e);
  Cond ancillary_test(std::uint16_t size, std::uint32_t ad, std::uint16_t jop, std::uint32_t k);
  Cond ifindex(const Expr& e);
  Cond ether_addr(const std::array<std::uint8_t, 16>& mac, Dir dir, std::uint32_t col);

  // codegen_encap.cpp: encapsulations: 802.11 and radiotap, vlan, mpls, pppoes, geneve
  std::vector<BpfInsn> hdr(std::uint16_t size, std::uint32_t off);
  Cond hdr_test(std::uint16_t size, std::uint32_t off, std::uint16_t jop, std::uint32_t k, std::uint32_t mask = 0);
  void set_wlan_prologue();
  Cond wlan_linktype(std::uint32_t proto);
  Cond wlan_addr(const std::array<std::uint8_t, 16>& mac, Dir dir, std::uint32_t col);
  Cond vlan(const Expr& e);
  Cond mpls(const Expr& e);
  Cond pppoes(const Expr& e);
  Cond geneve(const Expr& e);
  Cond geneve_has_ethernet();
  Cond wlan_multicast();
  Cond wlan_field(const Expr& e);

  // codegen_proto.cpp: protocols: IP and IPv6 protocols, ISO, DECnet, proto[], protochain
  Cond ipfrag();
  Cond ip_proto(std::uint32_t v, std::uint32_t col);
  Cond ip6_proto(std::uint32_t v, std::uint32_t col);
  Cond any_proto(std::uint32_t v, std::uint32_t col);
  Cond proto_abbrev(Proto p, std::uint32_t col);
  Cond iso_proto(std::uint32_t nlpid, std::uint32_t col);
  Cond isis_pdu(std::initializer_list<std::uint32_t> types, std::uint32_t col);
  Cond decnet_host(const Expr& e);
  Cond decnet_addr(std::uint32_t addr, Dir dir, std::uint32_t col);
  Cond proto_primitive(const Expr& e);
  Cond protochain_primitive(const Expr& e);
  Cond protochain(std::uint32_t v, bool v6, std::uint32_t col);
  Cond ip6_proto_direct(std::uint32_t v, std::uint32_t col);

  // codegen_host_port.cpp: hosts, networks and ports, and runs of them in one disjunction
  Cond mcmp(std::uint32_t off, std::uint32_t v, std::uint32_t mask);
  Cond hostop(std::uint32_t addr, std::uint32_t mask, Dir dir, std::uint16_t ethertype, std::uint32_t src_off,
              std::uint32_t dst_off, std::uint32_t col);
  Cond host4(std::uint32_t addr, std::uint32_t mask, Proto proto, Dir dir, std::uint32_t col);
  Cond host6(const std::array<std::uint8_t, 16>& addr, const std::array<std::uint8_t, 16>& mask, Proto proto, Dir dir,
             std::uint32_t col);
  Cond value_tree(const std::vector<BpfInsn>& load, std::span<const std::uint32_t> v);
  Cond range_tree(const std::vector<BpfInsn>& load, std::span<const Range> r);
  static std::optional<std::uint32_t> plain_port(std::string_view text);
  static std::optional<RunItem> run_item(const Expr& e);
  static std::vector<const Expr*> leaves(const Expr& e, Expr::Type op);
  Cond conjunction(const Expr& e);
  Cond disjunction(const Expr& e);
  Cond any_term(const std::vector<const Expr*>& terms);
  Cond port_atom4(std::uint32_t off, std::uint32_t lo, std::uint32_t hi);
  Cond port_atom6(std::uint32_t off, std::uint32_t lo, std::uint32_t hi);
  Cond portop4(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir);
  Cond portop6(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir);
  Cond ports(std::uint32_t lo, std::uint32_t hi, std::uint32_t proto, Dir dir, std::uint32_t col);
  Cond port_primitive(const Expr& e);

  // codegen_names.cpp: name resolution: host, port, protocol and ethertype names
  std::optional<std::uint32_t> port_number(const Id& id, std::uint32_t& proto);
  std::optional<std::uint32_t> ip_protocol_number(const Id& id);
  std::optional<std::uint32_t> ether_protocol_number(const Id& id);
  Cond host_name(const Expr& e);

  // codegen_arith.cpp: arithmetic and relations (len, proto[expr], comparisons)
  bool alloc_scratch(std::uint32_t& slot, std::uint32_t col);
  static void to_a(Value& v);
  static bool uses_x(const std::vector<BpfInsn>& code);
  bool folds_add(std::span<const BpfInsn> code, std::uint32_t base) const;
  static std::optional<std::uint32_t> fold(ArithOp op, std::uint32_t a, std::uint32_t b);
  static std::uint16_t alu_of(ArithOp op);
  std::optional<Value> arith(const Arith& a);
  std::optional<Value> load(const Arith& a);
  Cond relation(const Expr& e);

  CodegenOptions opt_;
  Graph graph_;
  std::optional<Error> err_;
  // Where the current encapsulation's headers are; vlan, mpls and pppoes move them.
  int link_ = 0;                  ///< the DLT whose header the tests read (PPP after pppoes)
  std::uint32_t off_linktype_ = 0;  ///< the type field
  std::uint32_t off_linkpl_ = 0;    ///< the link-layer payload (802.2 LLC header, if any)
  std::uint32_t nl_ = 0;            ///< the network-layer header (after MPLS labels)
  std::uint32_t nosnap_ = 0;        ///< the network layer after a 3-byte LLC header (ISO protocols)
  int mpls_depth_ = 0;
  bool wlan_ = false;            ///< IEEE802_11 or IEEE802_11_RADIO: variable header offsets
  bool radiotap_ = false;
  bool need_radiotap_ = false;   ///< a test reads M[kCellRadiotap]
  bool need_payload_ = false;    ///< a test reads M[kCellPayload]
  bool loops_ = false;  ///< the expression has protochain (libpcap leaves such programs unoptimized)
  // Geneve: each occurrence takes three scratch cells from the top (below 802.11's cells).
  bool geneve_inner_ = false;       ///< tests read the frame inside a Geneve header
  std::uint32_t geneve_cells_ = 0;  ///< cells taken so far
  std::uint32_t off_linkhdr_ = 0;   ///< the (inner) link-layer header: Ethernet addresses, link[]
  std::uint32_t scratch_ = 0;
  std::vector<std::uint32_t> value_set_;  ///< non-empty while a run of host/net terms is generated
  std::vector<Range> range_set_;          ///< non-empty while a run of port terms is generated
};

}  // namespace pcapxx::filter::codegen_detail
