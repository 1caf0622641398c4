/*
 * Unit tests for emul/decode.c: hand-checked encodings, truncation, effective addresses,
 * and a seeded differential run of millions of template-generated instructions against Zydis.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "emul/decode.h"
#include "test/unit/decode_diff.h"

#define NONE INSN_REG_NONE

struct known {
	const char *name;
	unsigned mode;
	uint8_t bytes[15];
	uint8_t len;
	uint8_t op, width, reg_width, flags;
	int8_t reg, base, index;
	uint8_t scale, addr_size, seg;
	int64_t disp, imm;
	bool rip;
};

#define B(...) {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})

/* Expectations worked out by hand from the SDM opcode tables, not from any decoder. */
static const struct known known[] = {
    {"mov [rax],al", 64, B(0x88, 0x00), EMUL_MOV_STORE, 1, 1, INSN_MEM_DST, 0, 0, NONE, 1, 8,
     INSN_SEG_DS, 0, 0, false},
    {"mov [rsp],ah", 64, B(0x88, 0x24, 0x24), EMUL_MOV_STORE, 1, 1, INSN_MEM_DST | INSN_REG_HIGH8,
     0, 4, NONE, 1, 8, INSN_SEG_SS, 0, 0, false},
    {"mov [rsp],spl", 64, B(0x40, 0x88, 0x24, 0x24), EMUL_MOV_STORE, 1, 1, INSN_MEM_DST, 4, 4, NONE,
     1, 8, INSN_SEG_SS, 0, 0, false},
    {"mov eax,[rip+x]", 64, B(0x8b, 0x05, 0x78, 0x56, 0x34, 0x12), EMUL_MOV_LOAD, 4, 4, 0, 0, NONE,
     NONE, 1, 8, INSN_SEG_DS, 0x12345678, 0, true},
    {"mov r8,[rbp+rcx*4-16]", 64, B(0x4c, 0x8b, 0x44, 0x8d, 0xf0), EMUL_MOV_LOAD, 8, 8, 0, 8, 5, 1,
     4, 8, INSN_SEG_SS, -16, 0, false},
    {"mov eax,[r12*1+0x1000]", 64, B(0x42, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00), EMUL_MOV_LOAD,
     4, 4, 0, 0, NONE, 12, 1, 8, INSN_SEG_DS, 0x1000, 0, false},
    {"mov word [rax+0x100],0x1234", 64, B(0x66, 0xc7, 0x80, 0x00, 0x01, 0x00, 0x00, 0x34, 0x12),
     EMUL_STORE_IMM, 2, 0, INSN_MEM_DST | INSN_HAS_IMM, NONE, 0, NONE, 1, 8, INSN_SEG_DS, 0x100,
     0x1234, false},
    {"mov qword [rax],-1", 64, B(0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), EMUL_STORE_IMM, 8, 0,
     INSN_MEM_DST | INSN_HAS_IMM, NONE, 0, NONE, 1, 8, INSN_SEG_DS, 0, -1, false},
    {"movzx eax,byte [rdi+0x10]", 64, B(0x0f, 0xb6, 0x47, 0x10), EMUL_MOVZX, 1, 4, 0, 0, 7, NONE, 1,
     8, INSN_SEG_DS, 0x10, 0, false},
    {"movsx rcx,word [rsi]", 64, B(0x48, 0x0f, 0xbf, 0x0e), EMUL_MOVSX, 2, 8, 0, 1, 6, NONE, 1, 8,
     INSN_SEG_DS, 0, 0, false},
    {"movsxd rax,[rsi]", 64, B(0x48, 0x63, 0x06), EMUL_MOVSX, 4, 8, 0, 0, 6, NONE, 1, 8,
     INSN_SEG_DS, 0, 0, false},
    {"rep stosq", 64, B(0xf3, 0x48, 0xab), EMUL_STOS, 8, 8, INSN_MEM_DST, 0, 7, NONE, 1, 8,
     INSN_SEG_ES, 0, 0, false},
    {"fs movsb", 64, B(0x64, 0xa4), EMUL_MOVS, 1, 0, INSN_MEM_DST, NONE, 7, NONE, 1, 8, INSN_SEG_ES,
     0, 0, false},
    {"lock add dword [rax],1", 64, B(0xf0, 0x83, 0x00, 0x01), EMUL_ADD, 4, 0,
     INSN_MEM_DST | INSN_HAS_IMM | INSN_LOCK, NONE, 0, NONE, 1, 8, INSN_SEG_DS, 0, 1, false},
    {"cmp dword [rax],-1", 64, B(0x83, 0x38, 0xff), EMUL_CMP, 4, 0, INSN_MEM_DST | INSN_HAS_IMM,
     NONE, 0, NONE, 1, 8, INSN_SEG_DS, 0, -1, false},
    {"test byte [rax+4],0x80", 64, B(0xf6, 0x40, 0x04, 0x80), EMUL_TEST, 1, 0,
     INSN_MEM_DST | INSN_HAS_IMM, NONE, 0, NONE, 1, 8, INSN_SEG_DS, 4, -128, false},
    {"or ecx,[rbx]", 64, B(0x0b, 0x0b), EMUL_OR, 4, 4, 0, 1, 3, NONE, 1, 8, INSN_SEG_DS, 0, 0,
     false},
    {"xchg [rbx],ecx", 64, B(0x87, 0x0b), EMUL_XCHG, 4, 4, INSN_MEM_DST, 1, 3, NONE, 1, 8,
     INSN_SEG_DS, 0, 0, false},
    {"movnti [rax],ecx", 64, B(0x0f, 0xc3, 0x08), EMUL_MOV_STORE, 4, 4, INSN_MEM_DST, 1, 0, NONE, 1,
     8, INSN_SEG_DS, 0, 0, false},
    {"mov rax,[moffs64]", 64, B(0x48, 0xa1, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x81),
     EMUL_MOV_LOAD, 8, 8, 0, 0, NONE, NONE, 1, 8, INSN_SEG_DS, (int64_t)0x8102030405060708ULL, 0,
     false},
    {"mov rax,gs:[0x28]", 64, B(0x65, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00),
     EMUL_MOV_LOAD, 8, 8, 0, 0, NONE, NONE, 1, 8, INSN_SEG_GS, 0x28, 0, false},
    {"bts dword [rax],3", 64, B(0x0f, 0xba, 0x28, 0x03), EMUL_BTS, 4, 0,
     INSN_MEM_DST | INSN_HAS_IMM, NONE, 0, NONE, 1, 8, INSN_SEG_DS, 0, 3, false},
    {"mov eax,[eax]", 64, B(0x67, 0x8b, 0x00), EMUL_MOV_LOAD, 4, 4, 0, 0, 0, NONE, 1, 4,
     INSN_SEG_DS, 0, 0, false},
    {"32: mov eax,[0x1000]", 32, B(0x8b, 0x05, 0x00, 0x10, 0x00, 0x00), EMUL_MOV_LOAD, 4, 4, 0, 0,
     NONE, NONE, 1, 4, INSN_SEG_DS, 0x1000, 0, false},
    {"32: mov eax,[bx+2]", 32, B(0x67, 0x8b, 0x47, 0x02), EMUL_MOV_LOAD, 4, 4, 0, 0, 3, NONE, 1, 2,
     INSN_SEG_DS, 2, 0, false},
    {"32: mov ax,[bp+si-2]", 32, B(0x66, 0x67, 0x8b, 0x42, 0xfe), EMUL_MOV_LOAD, 2, 2, 0, 0, 5, 6,
     1, 2, INSN_SEG_SS, -2, 0, false},
    {"32: mov [esi],dh", 32, B(0x88, 0x36), EMUL_MOV_STORE, 1, 1, INSN_MEM_DST | INSN_REG_HIGH8, 2,
     6, NONE, 1, 4, INSN_SEG_DS, 0, 0, false},
};

static void test_known_encodings(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		const struct known *k = &known[i];
		struct insn in;
		int rc = decode_insn(k->bytes, k->len, k->mode, &in);
		print_message("%s\n", k->name);
		assert_int_equal(rc, 0);
		assert_int_equal(in.length, k->len);
		assert_int_equal(in.op, k->op);
		assert_int_equal(in.width, k->width);
		assert_int_equal(in.reg_width, k->reg_width);
		assert_int_equal(in.flags, k->flags);
		assert_int_equal(in.reg, k->reg);
		assert_int_equal(in.mem.base, k->base);
		assert_int_equal(in.mem.index, k->index);
		assert_int_equal(in.mem.scale, k->scale);
		assert_int_equal(in.mem.addr_size, k->addr_size);
		assert_int_equal(in.mem.seg, k->seg);
		assert_int_equal(in.mem.disp, k->disp);
		assert_int_equal(in.mem.rip_relative, k->rip);
		assert_int_equal(in.imm, k->imm);
	}
}

static void test_prefix_details(void **state)
{
	struct insn in;
	/* REX followed by a legacy prefix is ignored: 48 66 89 00 is mov [rax],ax. */
	assert_int_equal(decode_insn((uint8_t[]){0x48, 0x66, 0x89, 0x00}, 4, 64, &in), 0);
	assert_int_equal(in.width, 2);
	/* ES/CS/SS/DS overrides do nothing in 64-bit mode, and do not undo FS/GS. */
	assert_int_equal(decode_insn((uint8_t[]){0x64, 0x26, 0x88, 0x00}, 4, 64, &in), 0);
	assert_int_equal(in.mem.seg, INSN_SEG_FS);
	assert_int_equal(decode_insn((uint8_t[]){0x2e, 0x88, 0x00}, 3, 64, &in), 0);
	assert_int_equal(in.mem.seg, INSN_SEG_DS);
	/* ...but count in 32-bit mode. */
	assert_int_equal(decode_insn((uint8_t[]){0x2e, 0x88, 0x00}, 3, 32, &in), 0);
	assert_int_equal(in.mem.seg, INSN_SEG_CS);
	/* REX.W beats 66. */
	assert_int_equal(decode_insn((uint8_t[]){0x66, 0x48, 0x89, 0x00}, 4, 64, &in), 0);
	assert_int_equal(in.width, 8);
	/* Last of F2/F3 wins. */
	assert_int_equal(decode_insn((uint8_t[]){0xf3, 0xf2, 0xaa}, 3, 64, &in), 0);
	assert_int_equal(in.rep, 0xf2);
}

static void test_rejects(void **state)
{
	static const struct {
		uint8_t b[15];
		uint8_t len;
		unsigned mode;
	} bad[] = {
	    {B(0xf0, 0x89, 0x00), 64},	     /* lock mov */
	    {B(0xf0, 0x39, 0x00), 64},	     /* lock cmp */
	    {B(0xf0, 0x03, 0x00), 64},	     /* lock add reg,[mem] */
	    {B(0xf0, 0x0f, 0xa3, 0x00), 64}, /* lock bt */
	    {B(0x89, 0xc0), 64},	     /* mov eax,eax: no memory operand */
	    {B(0x66, 0x0f, 0xc3, 0x00), 64}, /* movnti is NP */
	    {B(0xf3, 0x0f, 0xc3, 0x00), 64},
	    {B(0xc6, 0x08, 0x00), 64},	     /* C6 /1 */
	    {B(0xf6, 0x10), 64},	     /* F6 /2 is NOT */
	    {B(0x0f, 0xba, 0x00, 0x01), 64}, /* 0F BA /0 */
	    {B(0x82, 0x00, 0x01), 64},	     /* 82 is invalid in 64-bit mode */
	    {B(0x63, 0x00), 32},	     /* ARPL */
	    {B(0x48, 0x89, 0x00), 32},	     /* DEC eax in 32-bit mode */
	    {B(0x0f, 0x0b), 64},	     /* UD2 */
	    {B(0x88, 0x00), 8},		     /* no such mode */
	    {B(0x63, 0x00), 16},	     /* ARPL in 16-bit code too */
	    {B(0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x88,
	       0x00),
	     64}, /* 15 bytes, fine... */
	};
	struct insn in;
	for (size_t i = 0; i + 1 < ARRAY_SIZE(bad); i++)
		assert_int_equal(decode_insn(bad[i].b, bad[i].len, bad[i].mode, &in), -EINVAL);
	/* ...exactly 15 bytes is legal, 16 is not. */
	assert_int_equal(decode_insn(bad[ARRAY_SIZE(bad) - 1].b, 15, 64, &in), 0);
	uint8_t longer[16];
	memset(longer, 0x66, sizeof(longer));
	longer[14] = 0x88;
	longer[15] = 0x00;
	assert_int_equal(decode_insn(longer, 16, 64, &in), -EINVAL);
}

/* Every prefix of an accepted instruction asks for more bytes. */
static void test_truncation(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		struct insn in;
		for (size_t n = 0; n < known[i].len; n++)
			assert_int_equal(decode_insn(known[i].bytes, n, known[i].mode, &in),
					 -EFAULT);
	}
}

static uint64_t ea_of(const uint8_t *b, size_t len, unsigned mode, const uint64_t regs[16],
		      uint64_t rip)
{
	struct insn in;
	assert_int_equal(decode_insn(b, len, mode, &in), 0);
	return decode_effective_address(&in, regs, rip + in.length);
}

static void test_effective_address(void **state)
{
	uint64_t r[16] = {0};
	r[5] = 0x1000; /* rbp */
	r[1] = 3;      /* rcx */
	assert_int_equal(ea_of((uint8_t[]){0x4c, 0x8b, 0x44, 0x8d, 0xf0}, 5, 64, r, 0), 0xffc);
	assert_int_equal(ea_of((uint8_t[]){0x8b, 0x05, 0x00, 0x01, 0x00, 0x00}, 6, 64, r, 0x4000),
			 0x4106);
	r[0] = 0x100000000ULL; /* 67 8b 40 ff: [eax-1] wraps within 32 bits */
	assert_int_equal(ea_of((uint8_t[]){0x67, 0x8b, 0x40, 0xff}, 4, 64, r, 0), 0xffffffffULL);
	r[3] = 0xffff; /* 32-bit mode, 67: [bx+2] wraps within 16 bits */
	assert_int_equal(ea_of((uint8_t[]){0x67, 0x8b, 0x47, 0x02}, 4, 32, r, 0), 1);
	r[12] = 0x10; /* [r12*1+0x1000] */
	assert_int_equal(
	    ea_of((uint8_t[]){0x42, 0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00}, 8, 64, r, 0),
	    0x1010);
}

/* ---- differential run against Zydis ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}
static unsigned rndn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static const uint8_t ops1[] = {
    0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x18, 0x19, 0x1a,
    0x1b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39,
    0x3a, 0x3b, 0x63, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0xc6, 0xc7, 0xf6, 0xf7,
};
static const uint8_t ops0f[] = {0xa3, 0xab, 0xb3, 0xbb, 0xba, 0xb6, 0xb7, 0xbe, 0xbf, 0xc3};
static const uint8_t legacy[] = {0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26, 0x64, 0x65};

/* One candidate: prefixes, optional REX, an opcode near our set, a ModRM biased to memory,
 * then random bytes for SIB/displacement/immediate; sometimes cut short. */
static size_t gen(uint8_t *b, unsigned mode)
{
	size_t n = 0;
	unsigned npfx = rndn(4) == 0 ? rndn(15) : rndn(3);
	if (rndn(8) == 0) { /* pure noise */
		for (n = 0; n < 15; n++)
			b[n] = (uint8_t)rnd();
		return 1 + rndn(15);
	}
	for (unsigned i = 0; i < npfx && n < 15; i++)
		b[n++] = legacy[rndn(sizeof(legacy))];
	if (mode == 64 && rndn(2) && n < 15) {
		b[n++] = (uint8_t)(0x40 | rndn(16));
		if (rndn(16) == 0 && n < 15)
			b[n++] = legacy[rndn(sizeof(legacy))];
	}
	unsigned pick = rndn(100);
	if (pick < 70 && n < 15) {
		b[n++] = ops1[rndn(sizeof(ops1))];
	} else if (pick < 92 && n + 1 < 15) {
		b[n++] = 0x0f;
		b[n++] = rndn(8) ? ops0f[rndn(sizeof(ops0f))] : (uint8_t)rnd();
	} else if (n < 15) {
		b[n++] = (uint8_t)rnd();
	}
	if (n < 15)
		b[n++] = rndn(6) ? (uint8_t)(rndn(0xc0)) : (uint8_t)rnd();
	for (size_t i = n; i < 15; i++)
		b[i] = rndn(4) ? (uint8_t)rnd() : (uint8_t)(rndn(3) ? 0 : 0xff);
	return rndn(10) ? 15 : 1 + rndn(15);
}

struct diff_counts {
	unsigned long total, matched, rejected, skipped, mismatched;
	unsigned long per_opcode[2][256]; /* matches per opcode: [0] one-byte, [1] 0F map */
};

static void run_diff(unsigned mode, unsigned long iterations, struct diff_counts *c)
{
	ZydisDecoder zd;
	ZydisDecoderInit(&zd,
			 mode == 64   ? ZYDIS_MACHINE_MODE_LONG_64
			 : mode == 32 ? ZYDIS_MACHINE_MODE_LEGACY_32
				      : ZYDIS_MACHINE_MODE_LEGACY_16,
			 mode == 64   ? ZYDIS_STACK_WIDTH_64
			 : mode == 32 ? ZYDIS_STACK_WIDTH_32
				      : ZYDIS_STACK_WIDTH_16);
	memset(c, 0, sizeof(*c));
	for (unsigned long i = 0; i < iterations; i++) {
		uint8_t b[15];
		struct insn in;
		ZydisDecodedInstruction zi;
		char why[160];
		size_t len = gen(b, mode);
		int r = decode_diff(&zd, mode, b, len, &in, &zi, why, sizeof(why));
		c->total++;
		if (r == DIFF_MATCH) {
			c->matched++;
			c->per_opcode[zi.opcode_map == ZYDIS_OPCODE_MAP_0F][zi.opcode]++;
		} else if (r == DIFF_BOTH_REJECT) {
			c->rejected++;
		} else if (r == DIFF_SKIPPED) {
			c->skipped++;
		} else if (c->mismatched++ < 20) {
			print_error("mode %u mismatch: %s; bytes", mode, why);
			for (size_t k = 0; k < len; k++)
				print_error(" %02x", b[k]);
			print_error("\n");
		}
	}
	print_message("mode %u: %lu generated, %lu compared field by field, %lu rejected by both, "
		      "%lu skipped (66 63), %lu mismatches\n",
		      mode, c->total, c->matched, c->rejected, c->skipped, c->mismatched);
}

static void check_coverage(const struct diff_counts *c, unsigned mode)
{
	for (size_t i = 0; i < sizeof(ops1); i++) {
		uint8_t o = ops1[i];
		bool exists = !(mode == 64 && o == 0x82) && !(mode != 64 && o == 0x63);
		if (exists && c->per_opcode[0][o] < 1000)
			fail_msg("mode %u: opcode %02x compared only %lu times", mode, o,
				 c->per_opcode[0][o]);
	}
	for (size_t i = 0; i < sizeof(ops0f); i++)
		if (c->per_opcode[1][ops0f[i]] < 1000)
			fail_msg("mode %u: opcode 0f %02x compared only %lu times", mode, ops0f[i],
				 c->per_opcode[1][ops0f[i]]);
}

static void test_zydis_64(void **state)
{
	static struct diff_counts c;
	rng_state = 0x0123456789abcdefULL;
	run_diff(64, 2500000, &c);
	assert_int_equal(c.mismatched, 0);
	check_coverage(&c, 64);
}

static void test_zydis_32(void **state)
{
	static struct diff_counts c;
	rng_state = 0xfedcba9876543210ULL;
	run_diff(32, 1500000, &c);
	assert_int_equal(c.mismatched, 0);
	check_coverage(&c, 32);
}

/* 16-bit code (real mode, a CS with D clear): operand and address size 16, 66/67 give 32. */
static void test_zydis_16(void **state)
{
	static struct diff_counts c;
	rng_state = 0x5555aaaa3333ccccULL;
	run_diff(16, 1500000, &c);
	assert_int_equal(c.mismatched, 0);
	check_coverage(&c, 16);
}

/* The sizes 16-bit code gets, from the SDM's operand- and address-size table. */
static void test_mode16(void **state)
{
	struct insn in;

	/* 89 07: mov [bx], ax */
	assert_int_equal(decode_insn((uint8_t[]){0x89, 0x07}, 2, 16, &in), 0);
	assert_int_equal(in.width, 2);
	assert_int_equal(in.mem.addr_size, 2);
	assert_int_equal(in.mem.base, 3);
	assert_int_equal(in.mem.index, INSN_REG_NONE);
	assert_int_equal(in.length, 2);
	/* 66 89 07: mov [bx], eax */
	assert_int_equal(decode_insn((uint8_t[]){0x66, 0x89, 0x07}, 3, 16, &in), 0);
	assert_int_equal(in.width, 4);
	assert_int_equal(in.mem.addr_size, 2);
	/* 67 89 07: mov [edi], ax */
	assert_int_equal(decode_insn((uint8_t[]){0x67, 0x89, 0x07}, 3, 16, &in), 0);
	assert_int_equal(in.width, 2);
	assert_int_equal(in.mem.addr_size, 4);
	assert_int_equal(in.mem.base, 7);
	/* c7 06 34 12 78 56: mov word [0x1234], 0x5678 (imm16, disp16) */
	assert_int_equal(decode_insn((uint8_t[]){0xc7, 0x06, 0x34, 0x12, 0x78, 0x56}, 6, 16, &in),
			 0);
	assert_int_equal(in.length, 6);
	assert_int_equal(in.mem.disp, 0x1234);
	assert_int_equal(in.imm, 0x5678);
	assert_int_equal(in.width, 2);
	/* a3 00 10: mov [0x1000], ax (moffs16) */
	assert_int_equal(decode_insn((uint8_t[]){0xa3, 0x00, 0x10}, 3, 16, &in), 0);
	assert_int_equal(in.length, 3);
	assert_int_equal(in.mem.disp, 0x1000);
	/* the same bytes in 32-bit code: moffs32, one byte short */
	assert_int_equal(decode_insn((uint8_t[]){0xa3, 0x00, 0x10}, 3, 32, &in), -EFAULT);
	/* 8b 46 fe: mov ax, [bp-2], SS by default */
	assert_int_equal(decode_insn((uint8_t[]){0x8b, 0x46, 0xfe}, 3, 16, &in), 0);
	assert_int_equal(in.mem.seg, INSN_SEG_SS);
	assert_int_equal(in.mem.disp, -2);
	assert_int_equal(in.mode, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_encodings),
	    cmocka_unit_test(test_prefix_details),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_effective_address),
	    cmocka_unit_test(test_zydis_64),
	    cmocka_unit_test(test_zydis_32),
	    cmocka_unit_test(test_zydis_16),
	    cmocka_unit_test(test_mode16),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
