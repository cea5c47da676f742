/*
 * pcapxx: classic BPF program types and opcodes, as the libpcap 1.10 API defines them
 * (struct bpf_program, struct bpf_insn, the BPF_* opcode macros, bpf_filter, bpf_validate,
 * bpf_image, bpf_dump). Written for pcapxx from the documented ABI; see pcap-filter(7),
 * pcap_compile(3PCAP) and the instruction encoding of <linux/filter.h>.
 */
#ifndef PCAPXX_PCAP_BPF_H
#define PCAPXX_PCAP_BPF_H

/* libpcap's own include guard, so code that checks for it finds these definitions. */
#ifndef lib_pcap_bpf_h
#define lib_pcap_bpf_h

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PCAPXX_BPF_INT_TYPES
#define PCAPXX_BPF_INT_TYPES
typedef int bpf_int32;
typedef unsigned int bpf_u_int32;
#endif

/* Alignment of a BPF packet header in a BSD capture buffer. */
#ifndef BPF_ALIGNMENT
#define BPF_ALIGNMENT sizeof(long)
#endif
#ifndef BPF_WORDALIGN
#define BPF_WORDALIGN(x) (((x) + (BPF_ALIGNMENT - 1)) & ~(BPF_ALIGNMENT - 1))
#endif

/* A compiled filter: bf_len instructions at bf_insns. */
struct bpf_program {
  unsigned int bf_len;
  struct bpf_insn *bf_insns;
};

/* One instruction; the same layout as Linux's struct sock_filter. */
struct bpf_insn {
  unsigned short code;
  unsigned char jt;
  unsigned char jf;
  bpf_u_int32 k;
};

/*
 * Opcode fields. Guarded one by one because <linux/filter.h> defines the same names with the
 * same values.
 */
#ifndef BPF_CLASS
#define BPF_CLASS(code) ((code) & 0x07)
#endif
#ifndef BPF_LD
#define BPF_LD 0x00
#endif
#ifndef BPF_LDX
#define BPF_LDX 0x01
#endif
#ifndef BPF_ST
#define BPF_ST 0x02
#endif
#ifndef BPF_STX
#define BPF_STX 0x03
#endif
#ifndef BPF_ALU
#define BPF_ALU 0x04
#endif
#ifndef BPF_JMP
#define BPF_JMP 0x05
#endif
#ifndef BPF_RET
#define BPF_RET 0x06
#endif
#ifndef BPF_MISC
#define BPF_MISC 0x07
#endif

#ifndef BPF_SIZE
#define BPF_SIZE(code) ((code) & 0x18)
#endif
#ifndef BPF_W
#define BPF_W 0x00
#endif
#ifndef BPF_H
#define BPF_H 0x08
#endif
#ifndef BPF_B
#define BPF_B 0x10
#endif

#ifndef BPF_MODE
#define BPF_MODE(code) ((code) & 0xe0)
#endif
#ifndef BPF_IMM
#define BPF_IMM 0x00
#endif
#ifndef BPF_ABS
#define BPF_ABS 0x20
#endif
#ifndef BPF_IND
#define BPF_IND 0x40
#endif
#ifndef BPF_MEM
#define BPF_MEM 0x60
#endif
#ifndef BPF_LEN
#define BPF_LEN 0x80
#endif
#ifndef BPF_MSH
#define BPF_MSH 0xa0
#endif

#ifndef BPF_OP
#define BPF_OP(code) ((code) & 0xf0)
#endif
#ifndef BPF_ADD
#define BPF_ADD 0x00
#endif
#ifndef BPF_SUB
#define BPF_SUB 0x10
#endif
#ifndef BPF_MUL
#define BPF_MUL 0x20
#endif
#ifndef BPF_DIV
#define BPF_DIV 0x30
#endif
#ifndef BPF_OR
#define BPF_OR 0x40
#endif
#ifndef BPF_AND
#define BPF_AND 0x50
#endif
#ifndef BPF_LSH
#define BPF_LSH 0x60
#endif
#ifndef BPF_RSH
#define BPF_RSH 0x70
#endif
#ifndef BPF_NEG
#define BPF_NEG 0x80
#endif
#ifndef BPF_MOD
#define BPF_MOD 0x90
#endif
#ifndef BPF_XOR
#define BPF_XOR 0xa0
#endif

#ifndef BPF_JA
#define BPF_JA 0x00
#endif
#ifndef BPF_JEQ
#define BPF_JEQ 0x10
#endif
#ifndef BPF_JGT
#define BPF_JGT 0x20
#endif
#ifndef BPF_JGE
#define BPF_JGE 0x30
#endif
#ifndef BPF_JSET
#define BPF_JSET 0x40
#endif

#ifndef BPF_SRC
#define BPF_SRC(code) ((code) & 0x08)
#endif
#ifndef BPF_K
#define BPF_K 0x00
#endif
#ifndef BPF_X
#define BPF_X 0x08
#endif

#ifndef BPF_RVAL
#define BPF_RVAL(code) ((code) & 0x18)
#endif
#ifndef BPF_A
#define BPF_A 0x10
#endif

#ifndef BPF_MISCOP
#define BPF_MISCOP(code) ((code) & 0xf8)
#endif
#ifndef BPF_TAX
#define BPF_TAX 0x00
#endif
#ifndef BPF_TXA
#define BPF_TXA 0x80
#endif

/* Builders for instruction arrays. */
#ifndef BPF_STMT
#define BPF_STMT(code, k) { (unsigned short)(code), 0, 0, k }
#endif
#ifndef BPF_JUMP
#define BPF_JUMP(code, k, jt, jf) { (unsigned short)(code), jt, jf, k }
#endif

/* Number of scratch memory words (M[0] .. M[15]). */
#ifndef BPF_MEMWORDS
#define BPF_MEMWORDS 16
#endif

/* Runs a program over a packet of buflen captured bytes and wirelen bytes on the wire;
   returns the number of bytes to keep (0 = reject). A NULL program accepts everything. */
unsigned int bpf_filter(const struct bpf_insn *pc, const unsigned char *pkt, unsigned int wirelen,
                        unsigned int buflen);
/* Returns 1 when the len instructions at f form a valid program, 0 otherwise. */
int bpf_validate(const struct bpf_insn *f, int len);
/* One instruction as text, "(nnn) opcode operand", in a buffer owned by the library. */
char *bpf_image(const struct bpf_insn *insn, int n);
/* Prints a program on standard output: option 1 as text, 2 as a C array, 3 and more as numbers. */
void bpf_dump(const struct bpf_program *p, int option);

#ifdef __cplusplus
}
#endif

#endif /* lib_pcap_bpf_h */

/* The link-layer type values (DLT_*) live in their own header, which bpf.h has always pulled in. */
#include <pcap/dlt.h>

#endif /* PCAPXX_PCAP_BPF_H */
