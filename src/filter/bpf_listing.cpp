// Program listings in the three styles tcpdump prints (-d, -dd, -ddd), and a parser for the
// numeric ones so programs libpcap compiled can be loaded and run here.
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "pcapxx/bpf.hpp"

namespace pcapxx {
namespace {

using namespace bpf;

struct Mnemonic {
  std::string_view op;
  std::string operand;
};

// bpf_image names the Linux ancillary offsets of absolute loads.
std::string absolute(std::uint32_t k) {
  static constexpr std::string_view kNames[] = {"proto", "type",  "ifidx",  "nla",    "nlan", "mark",
                                                "queue", "hatype", "rxhash", "cpu",   "xor_x", "vlan_tci",
                                                "vlanp", "poff",  "random", "vlan_tpid"};
  if (k >= kAdOff && k - kAdOff < kAdMax && (k - kAdOff) % 4 == 0)
    return fmt::format("[{}]", kNames[(k - kAdOff) / 4]);
  return fmt::format("[{}]", static_cast<std::int32_t>(k));
}

Mnemonic describe(const BpfInsn& in, std::size_t pc) {
  const auto k = in.k;
  // bpf_image prints decimal operands with %d: k as a signed 32-bit number.
  const auto sk = static_cast<std::int32_t>(in.k);
  switch (in.code) {
    case kRet | kK: return {"ret", fmt::format("#{}", sk)};
    case kRet | kA: return {"ret", ""};
    case kLd | kW | kAbs: return {"ld", absolute(k)};
    case kLd | kH | kAbs: return {"ldh", absolute(k)};
    case kLd | kB | kAbs: return {"ldb", absolute(k)};
    case kLd | kW | kLen: return {"ld", "#pktlen"};
    case kLd | kW | kInd: return {"ld", fmt::format("[x + {}]", sk)};
    case kLd | kH | kInd: return {"ldh", fmt::format("[x + {}]", sk)};
    case kLd | kB | kInd: return {"ldb", fmt::format("[x + {}]", sk)};
    case kLd | kImm: return {"ld", fmt::format("#0x{:x}", k)};
    case kLdx | kImm: return {"ldx", fmt::format("#0x{:x}", k)};
    case kLdx | kB | kMsh: return {"ldxb", fmt::format("4*([{}]&0xf)", sk)};
    case kLd | kMem: return {"ld", fmt::format("M[{}]", sk)};
    case kLdx | kMem: return {"ldx", fmt::format("M[{}]", sk)};
    case kSt: return {"st", fmt::format("M[{}]", sk)};
    case kStx: return {"stx", fmt::format("M[{}]", sk)};
    case kJmp | kJa: return {"ja", fmt::format("{}", static_cast<std::int32_t>(static_cast<std::uint32_t>(pc) + 1 + k))};
    case kJmp | kJgt | kK: return {"jgt", fmt::format("#0x{:x}", k)};
    case kJmp | kJge | kK: return {"jge", fmt::format("#0x{:x}", k)};
    case kJmp | kJeq | kK: return {"jeq", fmt::format("#0x{:x}", k)};
    case kJmp | kJset | kK: return {"jset", fmt::format("#0x{:x}", k)};
    case kJmp | kJgt | kX: return {"jgt", "x"};
    case kJmp | kJge | kX: return {"jge", "x"};
    case kJmp | kJeq | kX: return {"jeq", "x"};
    case kJmp | kJset | kX: return {"jset", "x"};
    case kAlu | kAdd | kX: return {"add", "x"};
    case kAlu | kSub | kX: return {"sub", "x"};
    case kAlu | kMul | kX: return {"mul", "x"};
    case kAlu | kDiv | kX: return {"div", "x"};
    case kAlu | kMod | kX: return {"mod", "x"};
    case kAlu | kAnd | kX: return {"and", "x"};
    case kAlu | kOr | kX: return {"or", "x"};
    case kAlu | kXor | kX: return {"xor", "x"};
    case kAlu | kLsh | kX: return {"lsh", "x"};
    case kAlu | kRsh | kX: return {"rsh", "x"};
    case kAlu | kAdd | kK: return {"add", fmt::format("#{}", sk)};
    case kAlu | kSub | kK: return {"sub", fmt::format("#{}", sk)};
    case kAlu | kMul | kK: return {"mul", fmt::format("#{}", sk)};
    case kAlu | kDiv | kK: return {"div", fmt::format("#{}", sk)};
    case kAlu | kMod | kK: return {"mod", fmt::format("#{}", sk)};
    case kAlu | kAnd | kK: return {"and", fmt::format("#0x{:x}", k)};
    case kAlu | kOr | kK: return {"or", fmt::format("#0x{:x}", k)};
    case kAlu | kXor | kK: return {"xor", fmt::format("#0x{:x}", k)};
    case kAlu | kLsh | kK: return {"lsh", fmt::format("#{}", sk)};
    case kAlu | kRsh | kK: return {"rsh", fmt::format("#{}", sk)};
    case kAlu | kNeg: return {"neg", ""};
    case kMisc | kTax: return {"tax", ""};
    case kMisc | kTxa: return {"txa", ""};
    default: return {"unimp", fmt::format("0x{:x}", in.code)};
  }
}

bool is_jump_with_targets(std::uint16_t code) {
  return insn_class(code) == kJmp && insn_op(code) != kJa;
}

// Splits on whitespace and the punctuation of the -dd style.
std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  auto sep = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == ',' || c == '{' || c == '}'; };
  while (i < line.size()) {
    while (i < line.size() && sep(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !sep(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<std::uint64_t> number(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string format_insn(const BpfInsn& insn, std::size_t pc) {
  Mnemonic m = describe(insn, pc);
  if (is_jump_with_targets(insn.code))
    return fmt::format("({:03}) {:<8} {:<16} jt {}\tjf {}", pc, m.op, m.operand, pc + 1 + insn.jt,
                       pc + 1 + insn.jf);
  return fmt::format("({:03}) {:<8} {}", pc, m.op, m.operand);
}

std::string format_program(std::span<const BpfInsn> program, BpfListing style) {
  std::string out;
  switch (style) {
    case BpfListing::image:
      for (std::size_t i = 0; i < program.size(); ++i) {
        out += format_insn(program[i], i);
        out += '\n';
      }
      break;
    case BpfListing::c_array:
      for (const BpfInsn& in : program)
        out += fmt::format("{{ 0x{:x}, {}, {}, 0x{:08x} }},\n", in.code, in.jt, in.jf, in.k);
      break;
    case BpfListing::decimal:
      out += fmt::format("{}\n", program.size());
      for (const BpfInsn& in : program) out += fmt::format("{} {} {} {}\n", in.code, in.jt, in.jf, in.k);
      break;
  }
  return out;
}

Result<BpfProgram> parse_program_listing(std::string_view text) {
  BpfProgram program;
  std::optional<std::uint64_t> declared;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    auto t = tokens(line);
    if (t.empty()) continue;
    if (t.size() == 1 && !declared && program.empty()) {
      declared = number(t[0]);
      if (!declared) return fail(Errc::format, fmt::format("bpf listing line {}: '{}' is not an instruction count", line_no, t[0]));
      continue;
    }
    if (t.size() != 4)
      return fail(Errc::format, fmt::format("bpf listing line {}: expected 4 fields (code jt jf k), found {}", line_no, t.size()));
    std::uint64_t v[4];
    static constexpr std::uint64_t kMax[4] = {0xffff, 0xff, 0xff, 0xffffffff};
    static constexpr std::string_view kName[4] = {"code", "jt", "jf", "k"};
    for (int i = 0; i < 4; ++i) {
      auto n = number(t[static_cast<std::size_t>(i)]);
      if (!n || *n > kMax[i])
        return fail(Errc::format, fmt::format("bpf listing line {}: bad {} '{}'", line_no, kName[i], t[static_cast<std::size_t>(i)]));
      v[i] = *n;
    }
    program.push_back(BpfInsn{static_cast<std::uint16_t>(v[0]), static_cast<std::uint8_t>(v[1]),
                              static_cast<std::uint8_t>(v[2]), static_cast<std::uint32_t>(v[3])});
  }
  if (declared && *declared != program.size())
    return fail(Errc::format, fmt::format("bpf listing: the count line says {} instructions, found {}", *declared, program.size()));
  if (program.empty()) return fail(Errc::format, "bpf listing: no instructions");
  return program;
}

}  // namespace pcapxx
