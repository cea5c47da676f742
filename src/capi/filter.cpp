// The libpcap ABI's filter functions on top of pcapxx's filter module: pcap_compile runs
// compile_filter (include/pcapxx/filter.hpp) for the handle's link type and snapshot length;
// pcap_setfilter hands a live handle's program to LiveCapture::set_filter (which translates it
// for cooked sockets and runs in userspace what the kernel cannot decide or refuses; a refusal
// prints libpcap's warning on stderr), and runs the pcapxx interpreter in user space on
// savefiles; bpf_validate is the pcapxx validator, bpf_image / bpf_dump its listings.
//
// Differences from libpcap: filters the pcapxx compiler does not support yet fail with its
// message and "(not supported yet by pcapxx)" (the list is in include/pcapxx/filter.hpp);
// syntax errors name the word and column where libpcap says only "syntax error"; programs are
// often longer than libpcap's (pcapxx's optimizer is simpler) but give the same verdicts.
// bpf_validate applies the Linux kernel's rules (pcapxx's validator), which also reject a
// program that reads scratch memory before writing it and programs over 4096 instructions;
// libpcap's own check accepts those. The interpreter has the kernel's semantics: a load at a
// negative (SKF_*) offset reads the ancillary or link-layer data a socket filter would see,
// where libpcap's interpreter rejects the packet.
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "capi/handle.hpp"
#include "pcapxx/filter.hpp"

namespace {

std::span<const pcapxx::BpfInsn> as_program(const struct bpf_insn* insns, std::size_t len) {
  static_assert(sizeof(bpf_insn) == sizeof(pcapxx::BpfInsn));
  static_assert(offsetof(bpf_insn, k) == offsetof(pcapxx::BpfInsn, k));
  return {reinterpret_cast<const pcapxx::BpfInsn*>(insns), len};
}

// bpf_filter gets no length: the program ends after its last reachable instruction, which a
// valid program's forward-only jumps let us find in one pass without reading past its end.
std::size_t reachable_length(const struct bpf_insn* insns) {
  std::size_t limit = 0;  // highest index known to be reachable
  for (std::size_t i = 0; i <= limit; ++i) {
    unsigned code = insns[i].code;
    unsigned cls = BPF_CLASS(code);
    if (cls == BPF_RET) continue;
    if (cls == BPF_JMP) {
      if (BPF_OP(code) == BPF_JA) {
        limit = std::max<std::size_t>(limit, i + 1 + insns[i].k);
      } else {
        limit = std::max<std::size_t>(limit, i + 1 + std::max(insns[i].jt, insns[i].jf));
      }
    } else {
      limit = std::max(limit, i + 1);
    }
  }
  return limit + 1;
}

bool blank(const char* s) {
  if (s == nullptr) return true;
  for (; *s != '\0'; ++s)
    if (!std::isspace(static_cast<unsigned char>(*s))) return false;
  return true;
}

}  // namespace

// The message of a compile error without pcapxx's "filter column N: " prefix, so that texts
// libpcap shares ("unknown host 'x'", "illegal qualifier of 'port'") read as libpcap's.
std::string compile_error_text(const pcapxx::Error& e) {
  std::string text = e.message;
  if (text.starts_with("filter column ")) {
    auto colon = text.find(": ");
    if (colon != std::string::npos) text.erase(0, colon + 2);
  }
  if (text.starts_with("filter: ")) text.erase(0, 8);
  if (e.code == pcapxx::Errc::unsupported) text += " (not supported yet by pcapxx)";
  else if (e.column && text.starts_with("syntax error")) text += fmt::format(" (column {})", *e.column);
  return text;
}

PCAPXX_CAPI int pcap_compile(pcap_t* p, struct bpf_program* fp, const char* str, int optimize,
                             bpf_u_int32 netmask) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) {
    p->set_error("not-yet-activated pcap_t passed to pcap_compile");
    return PCAP_ERROR;
  }
  if (fp == nullptr) {
    p->set_error("A null pointer was supplied for the filter program");
    return PCAP_ERROR;
  }
  if (p->snapshot == 0) {
    p->set_error("snaplen of 0 rejects all packets");
    return PCAP_ERROR;
  }
  try {
    if (blank(str)) {
      // libpcap's program for an empty expression, whatever the link type: accept the packet
      // up to the snapshot length (pcapxx's compiler knows only some link types).
      auto* insns = static_cast<struct bpf_insn*>(std::malloc(sizeof(struct bpf_insn)));
      if (insns == nullptr) {
        p->set_error("malloc: out of memory");
        return PCAP_ERROR;
      }
      insns[0] = bpf_insn{BPF_RET | BPF_K, 0, 0, static_cast<bpf_u_int32>(p->snapshot)};
      fp->bf_len = 1;
      fp->bf_insns = insns;
      return 0;
    }
    std::string_view expr(str);
    pcapxx::FilterOptions options;
    options.snaplen = static_cast<std::uint32_t>(p->snapshot);
    options.netmask = netmask;
    options.optimize = optimize != 0;
    // libpcap compiles a few primitives (inbound, outbound, ifindex) for what it will filter.
    options.target = p->is_live() ? pcapxx::FilterTarget::linux_live
                     : p->reader  ? pcapxx::FilterTarget::savefile
                                  : pcapxx::FilterTarget::dead;
    options.savefile_swapped = p->reader && p->swapped;  // DLT_NULL's family word keeps the file's order
    auto program = pcapxx::compile_filter(expr, pcapxx::LinkType{p->linktype}, options);
    if (!program) {
      p->set_error(compile_error_text(program.error()));
      return PCAP_ERROR;
    }
    auto* insns = static_cast<struct bpf_insn*>(std::malloc(program->size() * sizeof(struct bpf_insn)));
    if (insns == nullptr) {
      p->set_error("malloc: out of memory");
      return PCAP_ERROR;
    }
    std::memcpy(insns, program->data(), program->size() * sizeof(struct bpf_insn));
    fp->bf_len = static_cast<u_int>(program->size());
    fp->bf_insns = insns;
    return 0;
  } catch (...) {
    p->set_error("out of memory compiling the filter");
    return PCAP_ERROR;
  }
}

PCAPXX_CAPI int pcap_compile_nopcap(int snaplen, int linktype, struct bpf_program* fp,
                                    const char* str, int optimize, bpf_u_int32 netmask) {
  pcap_t* p = pcap_open_dead(linktype, snaplen);
  if (p == nullptr) return PCAP_ERROR;
  int rc = pcap_compile(p, fp, str, optimize, netmask);
  pcap_close(p);
  return rc;
}

PCAPXX_CAPI void pcap_freecode(struct bpf_program* fp) {
  if (fp == nullptr) return;
  std::free(fp->bf_insns);
  fp->bf_insns = nullptr;
  fp->bf_len = 0;
}

PCAPXX_CAPI int pcap_setfilter(pcap_t* p, struct bpf_program* fp) {
  if (p == nullptr) return PCAP_ERROR;
  if (p->is_unactivated()) return pcapxx::capi::not_activated(p);
  if (fp == nullptr || fp->bf_insns == nullptr) {
    p->set_error("A null pointer was supplied for the filter program");
    return PCAP_ERROR;
  }
  try {
    auto program = as_program(fp->bf_insns, fp->bf_len);
    if (auto valid = pcapxx::validate_program(program, pcapxx::BpfRules::libpcap); !valid) {
      p->set_error("BPF program is not valid");
      return PCAP_ERROR;
    }
    pcapxx::BpfProgram copy(program.begin(), program.end());
    if (p->is_live()) {
      // LiveCapture::set_filter empties the ring: the views of the batch being handed out go.
      p->batch = {};
      p->batch_index = 0;
      // The capture decides what the kernel runs (translated for cooked sockets, userspace
      // for what the kernel cannot see or refuses) and runs the rest on its frames.
      if (auto ok = p->live->set_filter(copy); !ok) {
        p->set_error(ok.error().message);
        return PCAP_ERROR;
      }
      if (int refused = p->live->filter_refusal_errno(); refused != 0 && refused != ENOPROTOOPT &&
                                                          refused != EOPNOTSUPP) {
        // libpcap 1.10's words on stderr when the kernel refuses a filter.
        if (refused == ENOMEM)
          std::fputs("Warning: Couldn't allocate kernel memory for filter: try increasing net.core.optmem_max "
                     "with sysctl\n", stderr);
        else
          std::fprintf(stderr, "Warning: Kernel filter failed: %s\n", std::strerror(refused));
      }
      p->has_filter = false;
      p->filter.reset();
      return 0;
    }
    auto runner = pcapxx::BpfRunner::create(std::move(copy), pcapxx::BpfRules::libpcap);
    if (!runner) {
      p->set_error(runner.error().message);
      return PCAP_ERROR;
    }
    p->filter.emplace(std::move(*runner));
    p->has_filter = true;
    return 0;
  } catch (...) {
    p->set_error("out of memory installing the filter");
    return PCAP_ERROR;
  }
}

PCAPXX_CAPI int pcap_offline_filter(const struct bpf_program* fp, const struct pcap_pkthdr* h,
                                    const unsigned char* pkt) {
  if (fp == nullptr || fp->bf_insns == nullptr || h == nullptr) return 0;
  return static_cast<int>(pcapxx::run_program(as_program(fp->bf_insns, fp->bf_len),
                                              {reinterpret_cast<const std::byte*>(pkt), h->caplen},
                                              h->len));
}

PCAPXX_CAPI unsigned int bpf_filter(const struct bpf_insn* pc, const unsigned char* pkt,
                                    unsigned int wirelen, unsigned int buflen) {
  if (pc == nullptr) return ~0u;  // no program: accept everything
  return pcapxx::run_program(as_program(pc, reachable_length(pc)),
                             {reinterpret_cast<const std::byte*>(pkt), buflen}, wirelen);
}

PCAPXX_CAPI int bpf_validate(const struct bpf_insn* f, int len) {
  if (f == nullptr || len < 1) return 0;
  try {
    return pcapxx::validate_program(as_program(f, static_cast<std::size_t>(len))) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

PCAPXX_CAPI char* bpf_image(const struct bpf_insn* insn, int n) {
  thread_local char buf[256];
  buf[0] = '\0';
  if (insn == nullptr) return buf;
  try {
    std::string text = pcapxx::format_insn(as_program(insn, 1)[0], static_cast<std::size_t>(n));
    pcapxx::capi::set_errbuf(buf, text);
  } catch (...) {
  }
  return buf;
}

PCAPXX_CAPI void bpf_dump(const struct bpf_program* p, int option) {
  if (p == nullptr) return;
  try {
    pcapxx::BpfListing style = option > 2   ? pcapxx::BpfListing::decimal
                               : option > 1 ? pcapxx::BpfListing::c_array
                                            : pcapxx::BpfListing::image;
    std::string text = pcapxx::format_program(as_program(p->bf_insns, p->bf_len), style);
    std::fputs(text.c_str(), stdout);
  } catch (...) {
  }
}
