/*
 * Unit tests for emul/emulate.c against a fake device (a 256-byte register file) and fake
 * guest RAM. ALU results and flags are checked against the host CPU executing the same
 * operation, so the expectations do not come from the emulator's own formulas.
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
#include "emul/emulate.h"

#define DEV_GPA	 0xfed00000ULL /* the device's 256 bytes */
#define DEV_GVA	 0x50000000ULL
#define RAM_GPA	 0x00100000ULL /* 64 KiB of fake RAM */
#define RAM_GVA	 0x40000000ULL
#define RAM_SIZE 0x10000

struct fake {
	uint8_t dev[256];
	uint8_t ram[RAM_SIZE];
	unsigned reads, writes, last_width;
	uint64_t last_gpa;
	int fail; /* error every device access returns, 0 for none */
};

static struct fake F;

static int dev_read(void *opaque, uint64_t gpa, unsigned width, uint64_t *val)
{
	struct fake *f = opaque;
	uint64_t off = gpa - DEV_GPA, v = 0;
	assert_true(off + width <= sizeof(f->dev));
	if (f->fail)
		return f->fail;
	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)f->dev[off + i] << (8 * i);
	f->reads++;
	f->last_width = width;
	f->last_gpa = gpa;
	*val = v;
	return 0;
}

static int dev_write(void *opaque, uint64_t gpa, unsigned width, uint64_t val)
{
	struct fake *f = opaque;
	uint64_t off = gpa - DEV_GPA;
	assert_true(off + width <= sizeof(f->dev));
	if (width < 8)
		assert_int_equal(val >> (8 * width), 0); /* callers get a clean value */
	if (f->fail)
		return f->fail;
	for (unsigned i = 0; i < width; i++)
		f->dev[off + i] = (uint8_t)(val >> (8 * i));
	f->writes++;
	f->last_width = width;
	f->last_gpa = gpa;
	return 0;
}

static int translate(void *opaque, uint64_t gva, bool write, uint64_t *gpa)
{
	if (gva >= RAM_GVA && gva < RAM_GVA + RAM_SIZE)
		*gpa = RAM_GPA + (gva - RAM_GVA);
	else if (gva >= DEV_GVA && gva < DEV_GVA + 256)
		*gpa = DEV_GPA + (gva - DEV_GVA);
	else
		return -EFAULT;
	return 0;
}

static int ram_read(void *opaque, uint64_t gpa, void *buf, unsigned len)
{
	struct fake *f = opaque;
	assert_true(gpa >= RAM_GPA && gpa + len <= RAM_GPA + RAM_SIZE);
	memcpy(buf, f->ram + (gpa - RAM_GPA), len);
	return 0;
}

static int ram_write(void *opaque, uint64_t gpa, const void *buf, unsigned len)
{
	struct fake *f = opaque;
	assert_true(gpa >= RAM_GPA && gpa + len <= RAM_GPA + RAM_SIZE);
	memcpy(f->ram + (gpa - RAM_GPA), buf, len);
	return 0;
}

static uint64_t R[16]; /* the register file every context of these tests works on */

static struct emul_ctx new_ctx(void)
{
	struct emul_ctx c = {
	    .regs = R,
	    .rip = 0x1000,
	    .rflags = 0x202,
	    .opaque = &F,
	    .mmio_read = dev_read,
	    .mmio_write = dev_write,
	    .translate = translate,
	    .mem_read = ram_read,
	    .mem_write = ram_write,
	};
	memset(&F, 0, sizeof(F));
	for (unsigned i = 0; i < 16; i++)
		c.regs[i] = 0x1111111111111111ULL * (i + 1) ^ 0x8000000000000000ULL;
	for (unsigned i = 0; i < sizeof(F.dev); i++)
		F.dev[i] = (uint8_t)(0xa0 + i);
	return c;
}

static void dev_put(unsigned off, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		F.dev[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t dev_get(unsigned off, unsigned width)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)F.dev[off + i] << (8 * i);
	return v;
}

/* Decode @b (mode 64 unless given) and apply it at DEV_GPA + off. */
static int run_mode(struct emul_ctx *c, unsigned mode, const uint8_t *b, size_t n, unsigned off)
{
	struct insn in;
	assert_int_equal(decode_insn(b, n, mode, &in), 0);
	return emul_mmio(c, &in, DEV_GPA + off);
}
#define RUN(c, off, ...)                                                                           \
	run_mode(c, 64, (const uint8_t[]){__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), off)

/* ---- loads ---- */

static void test_mov_load(void **state)
{
	struct emul_ctx c = new_ctx();
	uint64_t rcx = c.regs[1];

	dev_put(0x10, 0x8877665544332211ULL, 8);
	assert_int_equal(RUN(&c, 0x10, 0x8a, 0x08), 0); /* mov cl,[rax] */
	assert_int_equal(c.regs[1], (rcx & ~0xffULL) | 0x11);
	assert_int_equal(F.last_width, 1);
	assert_int_equal(c.rip, 0x1002);
	assert_int_equal(RUN(&c, 0x10, 0x8a, 0x28), 0); /* mov ch,[rax] */
	assert_int_equal(c.regs[1], (rcx & ~0xffffULL) | 0x1111);
	assert_int_equal(RUN(&c, 0x10, 0x40, 0x8a, 0x28), 0); /* mov bpl,[rax] */
	assert_int_equal(c.regs[5] & 0xff, 0x11);
	assert_int_equal(RUN(&c, 0x11, 0x66, 0x8b, 0x08), 0); /* mov cx,[rax] */
	assert_int_equal(c.regs[1], (rcx & ~0xffffULL) | 0x3322);
	assert_int_equal(F.last_width, 2);
	assert_int_equal(RUN(&c, 0x10, 0x8b, 0x08), 0); /* mov ecx,[rax]: upper half cleared */
	assert_int_equal(c.regs[1], 0x44332211ULL);
	assert_int_equal(RUN(&c, 0x10, 0x4c, 0x8b, 0x38), 0); /* mov r15,[rax] */
	assert_int_equal(c.regs[15], 0x8877665544332211ULL);
	assert_int_equal(F.last_width, 8);
	assert_int_equal(RUN(&c, 0x14, 0xa1, 1, 2, 3, 4, 5, 6, 7, 8), 0); /* mov eax,[moffs] */
	assert_int_equal(c.regs[0], 0x88776655ULL);
	assert_int_equal(c.rip, 0x1000 + 2 + 2 + 3 + 3 + 2 + 3 + 9);
}

static void test_movzx_movsx(void **state)
{
	struct emul_ctx c = new_ctx();
	uint64_t rdx = c.regs[2];

	dev_put(0, 0x80f1, 2);
	dev_put(4, 0x80000001, 4);
	assert_int_equal(RUN(&c, 0, 0x0f, 0xb6, 0x10), 0); /* movzx edx,byte */
	assert_int_equal(c.regs[2], 0xf1);
	assert_int_equal(RUN(&c, 0, 0x48, 0x0f, 0xbe, 0x10), 0); /* movsx rdx,byte */
	assert_int_equal(c.regs[2], 0xfffffffffffffff1ULL);
	assert_int_equal(RUN(&c, 0, 0x0f, 0xbf, 0x10), 0); /* movsx edx,word */
	assert_int_equal(c.regs[2], 0xffff80f1ULL);
	c.regs[2] = rdx;
	assert_int_equal(RUN(&c, 0, 0x66, 0x0f, 0xbe, 0x10), 0); /* movsx dx,byte: merge */
	assert_int_equal(c.regs[2], (rdx & ~0xffffULL) | 0xfff1);
	assert_int_equal(RUN(&c, 0, 0x48, 0x0f, 0xb7, 0x10), 0); /* movzx rdx,word */
	assert_int_equal(c.regs[2], 0x80f1);
	assert_int_equal(RUN(&c, 4, 0x48, 0x63, 0x10), 0); /* movsxd rdx,dword */
	assert_int_equal(c.regs[2], 0xffffffff80000001ULL);
	assert_int_equal(F.last_width, 4);
	assert_int_equal(RUN(&c, 4, 0x63, 0x10), 0); /* movsxd edx,dword: a plain 32-bit load */
	assert_int_equal(c.regs[2], 0x80000001ULL);
}

/* ---- stores ---- */

static void test_mov_store(void **state)
{
	struct emul_ctx c = new_ctx();

	c.regs[3] = 0x0123456789abcdefULL;	     /* rbx */
	assert_int_equal(RUN(&c, 0, 0x88, 0x18), 0); /* mov [rax],bl */
	assert_int_equal(dev_get(0, 2), 0xa1ef);
	assert_int_equal(RUN(&c, 0, 0x88, 0x38), 0); /* mov [rax],bh */
	assert_int_equal(dev_get(0, 2), 0xa1cd);
	assert_int_equal(RUN(&c, 8, 0x66, 0x89, 0x18), 0); /* mov [rax],bx */
	assert_int_equal(dev_get(8, 4), 0xabaacdef);
	assert_int_equal(RUN(&c, 16, 0x89, 0x18), 0); /* mov [rax],ebx */
	assert_int_equal(dev_get(16, 8), 0xb7b6b5b489abcdefULL);
	assert_int_equal(RUN(&c, 24, 0x48, 0x89, 0x18), 0); /* mov [rax],rbx */
	assert_int_equal(dev_get(24, 8), 0x0123456789abcdefULL);
	c.regs[9] = 0xfeedfacecafebeefULL;
	assert_int_equal(RUN(&c, 32, 0x4c, 0x0f, 0xc3, 0x08), 0); /* movnti [rax],r9 */
	assert_int_equal(dev_get(32, 8), 0xfeedfacecafebeefULL);
	c.regs[0] = 0x55;
	assert_int_equal(RUN(&c, 40, 0xa2, 0, 0, 0, 0, 0, 0, 0, 0), 0); /* mov [moffs],al */
	assert_int_equal(dev_get(40, 2), 0xc955);
	assert_int_equal(F.writes, 7);
}

static void test_store_imm(void **state)
{
	struct emul_ctx c = new_ctx();

	assert_int_equal(RUN(&c, 0, 0xc6, 0x00, 0x80), 0); /* mov byte [rax],0x80 */
	assert_int_equal(dev_get(0, 2), 0xa180);
	assert_int_equal(RUN(&c, 4, 0x66, 0xc7, 0x00, 0xfe, 0xff), 0);
	assert_int_equal(dev_get(4, 4), 0xa7a6fffe);
	assert_int_equal(RUN(&c, 8, 0xc7, 0x00, 0x78, 0x56, 0x34, 0x12), 0);
	assert_int_equal(dev_get(8, 8), 0xafaeadac12345678ULL);
	assert_int_equal(RUN(&c, 16, 0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80), 0); /* sign-ext */
	assert_int_equal(dev_get(16, 8), 0xffffffff80000000ULL);
	assert_int_equal(F.last_width, 8);
}

static void test_xchg(void **state)
{
	struct emul_ctx c = new_ctx();
	uint64_t rdx = c.regs[2];

	dev_put(0, 0x11223344, 4);
	assert_int_equal(RUN(&c, 0, 0x87, 0x10), 0); /* xchg [rax],edx */
	assert_int_equal(c.regs[2], 0x11223344);
	assert_int_equal(dev_get(0, 4), rdx & 0xffffffff);
	assert_int_equal(RUN(&c, 0, 0x86, 0x30), 0); /* xchg [rax],dh */
	assert_int_equal(c.regs[2], 0x11224444 - 0x4444 + ((rdx & 0xff) << 8) + 0x44);
	assert_int_equal(dev_get(0, 1), 0x33);
	assert_int_equal(F.reads, 2);
	assert_int_equal(F.writes, 2);
}

/* ---- ALU against the host CPU ---- */

/* Run "mn a, b" on this CPU with flags @fin; returns a, *fout the flags after. */
#define ALU_ASM(mn, sfx, mod)                                                                      \
	asm volatile("sub $128, %%rsp\n\tpush %[fin]\n\tpopfq\n\t" mn sfx " %" mod "[b], %" mod    \
		     "[a]\n\tpushfq\n\tpop %[fout]\n\tadd $128, %%rsp"                             \
		     : [a] "+r"(a), [fout] "=&r"(fout)                                             \
		     : [b] "r"(b), [fin] "r"(fin)                                                  \
		     : "cc", "memory")
#define HOST_FN(name, mn)                                                                          \
	static uint64_t host_##name(unsigned w, uint64_t a, uint64_t b, uint64_t fin,              \
				    uint64_t *fo)                                                  \
	{                                                                                          \
		uint64_t fout;                                                                     \
		switch (w) {                                                                       \
		case 1:                                                                            \
			ALU_ASM(mn, "b", "b");                                                     \
			break;                                                                     \
		case 2:                                                                            \
			ALU_ASM(mn, "w", "w");                                                     \
			break;                                                                     \
		case 4:                                                                            \
			ALU_ASM(mn, "l", "k");                                                     \
			break;                                                                     \
		default:                                                                           \
			ALU_ASM(mn, "q", "q");                                                     \
			break;                                                                     \
		}                                                                                  \
		*fo = fout;                                                                        \
		return a;                                                                          \
	}
HOST_FN(add, "add")
HOST_FN(or, "or")
HOST_FN(adc, "adc")
HOST_FN(sbb, "sbb")
HOST_FN(and, "and")
HOST_FN(sub, "sub")
HOST_FN(xor, "xor")
HOST_FN(cmp, "cmp")
HOST_FN(test, "test")

typedef uint64_t (*host_fn)(unsigned, uint64_t, uint64_t, uint64_t, uint64_t *);
static const host_fn host_ops[9] = {host_add, host_or,	host_adc, host_sbb, host_and,
				    host_sub, host_xor, host_cmp, host_test};

static uint64_t rng = 0x243f6a8885a308d3ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Operands that hit the carry/overflow/zero edges more often than uniform ones. */
static uint64_t operand(void)
{
	static const uint64_t edge[] = {0,	    1,	    0x7f,      0x80,	   0xff,
					0x7fff,	    0x8000, 0xffff,    0x7fffffff, 0x80000000,
					0xffffffff, ~0ULL,  1ULL << 63};
	return rnd() % 3 ? rnd() : edge[rnd() % (sizeof(edge) / sizeof(edge[0]))];
}

static uint64_t mask(unsigned w)
{
	return w == 8 ? ~0ULL : (1ULL << (8 * w)) - 1;
}

/* Encode op/width/form: form 0 = [rax] OP= rcx, 1 = rcx OP= [rax], 2 = [rax] OP= imm. */
static size_t encode_alu(uint8_t *b, unsigned op, unsigned w, unsigned form, uint64_t imm,
			 bool imm8)
{
	size_t n = 0;
	bool test = op == 8;
	if (w == 2)
		b[n++] = 0x66;
	if (w == 8)
		b[n++] = 0x48;
	if (form == 2) {
		b[n++] = test ? (w == 1 ? 0xf6 : 0xf7) : (w == 1 ? 0x80 : imm8 ? 0x83 : 0x81);
		b[n++] = (uint8_t)((test ? 0 : op) << 3);
		unsigned ni = (w == 1 || imm8) ? 1 : w == 2 ? 2 : 4;
		for (unsigned i = 0; i < ni; i++)
			b[n++] = (uint8_t)(imm >> (8 * i));
		return n;
	}
	b[n++] = test ? (w == 1 ? 0x84 : 0x85) : (uint8_t)((op << 3) | (form ? 2 : 0) | (w != 1));
	b[n++] = 0x08; /* reg = rcx, r/m = [rax] */
	return n;
}

static void alu_case(unsigned op, unsigned w, unsigned form, bool imm8)
{
	struct emul_ctx c = new_ctx();
	uint64_t a = operand(), bsrc = operand(), fin = 0x202 | (rnd() & RFLAGS_ARITH), fhost;
	uint8_t bytes[16];
	struct insn in;

	if (form == 2) /* the immediate as the CPU sees it, sign-extended */
		bsrc = (w == 1 || imm8) ? (uint64_t)(int8_t)bsrc
		       : (w == 2)	? (uint64_t)(int16_t)bsrc
					: (uint64_t)(int32_t)bsrc;
	if (op == 8 && form == 1)
		form = 0; /* TEST has no reg,r/m form */
	if (op == 8)
		imm8 = false; /* nor an imm8 form */
	size_t n = encode_alu(bytes, op, w, form, bsrc, imm8);
	assert_int_equal(decode_insn(bytes, n, 64, &in), 0);

	uint64_t mem = form == 1 ? bsrc : a, reg = form == 1 ? a : bsrc;
	uint64_t expect = host_ops[op](w, a, bsrc, fin, &fhost) & mask(w);
	dev_put(0, mem, w);
	c.regs[1] = reg | (form == 1 ? 0 : 0x5a00000000000000ULL & ~mask(w));
	uint64_t rcx_before = c.regs[1];
	c.rflags = fin;
	assert_int_equal(emul_mmio(&c, &in, DEV_GPA), 0);

	uint64_t fmask =
	    RFLAGS_ARITH & ~((op == 1 || op == 4 || op == 6 || op == 8) ? RFLAGS_AF : 0);
	if ((c.rflags & fmask) != (fhost & fmask) ||
	    (c.rflags & ~RFLAGS_ARITH) != (fin & ~RFLAGS_ARITH))
		fail_msg("op %u w %u form %u: %#llx,%#llx flags %#llx vs cpu %#llx", op, w, form,
			 (unsigned long long)a, (unsigned long long)bsrc,
			 (unsigned long long)c.rflags, (unsigned long long)fhost);
	bool writes = op != 7 && op != 8;
	if (form == 1) {
		uint64_t want = !writes	 ? rcx_before
				: w >= 4 ? expect
					 : (rcx_before & ~mask(w)) | expect;
		assert_int_equal(c.regs[1], want);
		assert_int_equal(F.writes, 0);
	} else {
		assert_int_equal(dev_get(0, w), writes ? expect : (a & mask(w)));
		assert_int_equal(F.writes, writes ? 1 : 0);
		assert_int_equal(c.regs[1], rcx_before);
	}
	assert_int_equal(c.rip, 0x1000 + n);
}

static void test_alu_vs_cpu(void **state)
{
	static const unsigned widths[] = {1, 2, 4, 8};
	unsigned long cases = 0;
	for (unsigned op = 0; op < 9; op++)
		for (unsigned wi = 0; wi < 4; wi++)
			for (unsigned form = 0; form < 3; form++)
				for (unsigned i = 0; i < 400; i++, cases++)
					alu_case(op, widths[wi], form,
						 form == 2 && widths[wi] > 1 && (i & 1));
	print_message("ALU: %lu random cases matched the host CPU\n", cases);
}

static void test_alu_flags_fixed(void **state)
{
	struct emul_ctx c = new_ctx();
	/* cmp dword [rax], 1 with [rax] == 0: borrow, sign, AF; no overflow. */
	dev_put(0, 0, 4);
	c.rflags = 0x202 | RFLAGS_ZF | RFLAGS_OF;
	assert_int_equal(RUN(&c, 0, 0x83, 0x38, 0x01), 0);
	assert_int_equal(c.rflags, 0x202 | RFLAGS_CF | RFLAGS_SF | RFLAGS_AF | RFLAGS_PF);
	assert_int_equal(dev_get(0, 4), 0); /* CMP does not write */
	assert_int_equal(F.writes, 0);
	/* add byte [rax], 0x80 with 0x80: wraps to 0, carry and overflow. */
	dev_put(0, 0x80, 1);
	assert_int_equal(RUN(&c, 0, 0x80, 0x00, 0x80), 0);
	assert_int_equal(c.rflags, 0x202 | RFLAGS_CF | RFLAGS_OF | RFLAGS_ZF | RFLAGS_PF);
	assert_int_equal(dev_get(0, 1), 0);
	/* lock or dword [rax], 4 */
	assert_int_equal(RUN(&c, 0, 0xf0, 0x83, 0x08, 0x04), 0);
	assert_int_equal(dev_get(0, 4), 4);
	assert_int_equal(c.rflags, 0x202);
}

/* ---- bit tests ---- */

static void test_bt(void **state)
{
	struct emul_ctx c = new_ctx();

	dev_put(0, 0x00000008, 4);
	assert_int_equal(RUN(&c, 0, 0x0f, 0xba, 0x20, 0x03), 0); /* bt dword [rax],3 */
	assert_true(c.rflags & RFLAGS_CF);
	assert_int_equal(F.writes, 0);
	assert_int_equal(RUN(&c, 0, 0x0f, 0xba, 0x30, 0x23), 0); /* btr dword [rax],35 -> bit 3 */
	assert_true(c.rflags & RFLAGS_CF);
	assert_int_equal(dev_get(0, 4), 0);
	c.regs[1] = 31;
	assert_int_equal(RUN(&c, 0, 0x0f, 0xab, 0x08), 0); /* bts [rax],ecx */
	assert_false(c.rflags & RFLAGS_CF);
	assert_int_equal(dev_get(0, 4), 0x80000000);
	c.regs[1] = 63;
	dev_put(0, 0, 8);
	assert_int_equal(RUN(&c, 0, 0x48, 0x0f, 0xbb, 0x08), 0); /* btc [rax],rcx */
	assert_int_equal(dev_get(0, 8), 1ULL << 63);
	assert_int_equal(RUN(&c, 0, 0x48, 0x0f, 0xbb, 0x08), 0);
	assert_true(c.rflags & RFLAGS_CF);
	assert_int_equal(dev_get(0, 8), 0);
}

/* ---- string instructions ---- */

static void test_stos(void **state)
{
	struct emul_ctx c = new_ctx();

	c.regs[0] = 0xdeadbeefcafef00dULL;
	c.regs[7] = DEV_GVA;
	assert_int_equal(RUN(&c, 0, 0xab), 0); /* stosd */
	assert_int_equal(dev_get(0, 4), 0xcafef00d);
	assert_int_equal(c.regs[7], DEV_GVA + 4);
	assert_int_equal(c.rip, 0x1001);

	c.regs[1] = 3; /* rep stosw, three calls: rip stays until rcx hits 0 */
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(RUN(&c, 4 + 2 * i, 0xf3, 0x66, 0xab), 0);
		assert_int_equal(c.regs[1], 2 - i);
		assert_int_equal(c.rip, i < 2 ? 0x1001 : 0x1004);
	}
	assert_int_equal(dev_get(4, 6), 0xf00df00df00dULL);
	assert_int_equal(c.regs[7], DEV_GVA + 10);

	c.rflags |= RFLAGS_DF; /* std; rep stosb with rcx = 0: nothing happens but rip */
	c.regs[1] = 0;
	assert_int_equal(RUN(&c, 0, 0xf3, 0xaa), 0);
	assert_int_equal(F.writes, 4);
	assert_int_equal(c.rip, 0x1006);
	assert_int_equal(RUN(&c, 20, 0x48, 0xab), 0); /* stosq backwards */
	assert_int_equal(c.regs[7], DEV_GVA + 2);
	assert_int_equal(dev_get(20, 8), 0xdeadbeefcafef00dULL);

	/* 67: ECX/EDI at 32 bits, zero-extended on write. */
	c.rflags &= ~RFLAGS_DF;
	c.regs[1] = 0xffffffff00000002ULL;
	c.regs[7] = 0xabcd0000fffffffeULL;
	assert_int_equal(RUN(&c, 0, 0xf3, 0x67, 0xaa), 0);
	assert_int_equal(c.regs[1], 1);
	assert_int_equal(c.regs[7], 0xffffffffULL);
}

static void test_movs(void **state)
{
	struct emul_ctx c = new_ctx();

	/* RAM -> device: rep movsd, the destination faulted. */
	memcpy(F.ram + 0x100, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	c.regs[6] = RAM_GVA + 0x100;
	c.regs[7] = DEV_GVA + 0x40;
	c.regs[1] = 2;
	assert_int_equal(RUN(&c, 0x40, 0xf3, 0xa5), 0);
	assert_int_equal(dev_get(0x40, 4), 0x04030201);
	assert_int_equal(c.rip, 0x1000);
	assert_int_equal(RUN(&c, 0x44, 0xf3, 0xa5), 0);
	assert_int_equal(dev_get(0x44, 4), 0x08070605);
	assert_int_equal(c.rip, 0x1002);
	assert_int_equal(c.regs[6], RAM_GVA + 0x108);
	assert_int_equal(c.regs[7], DEV_GVA + 0x48);

	/* device -> RAM: movsw backwards, the source faulted. */
	c.rflags |= RFLAGS_DF;
	c.regs[6] = DEV_GVA + 0x40;
	c.regs[7] = RAM_GVA + 0x200;
	assert_int_equal(RUN(&c, 0x40, 0x66, 0xa5), 0);
	assert_int_equal(F.ram[0x200] | F.ram[0x201] << 8, 0x0201);
	assert_int_equal(c.regs[6], DEV_GVA + 0x3e);
	assert_int_equal(c.regs[7], RAM_GVA + 0x1fe);

	/* fs: source override adds the FS base in 64-bit mode; DS base is ignored there. */
	c.rflags &= ~RFLAGS_DF;
	c.seg_base[INSN_SEG_FS] = 0x1000;
	c.seg_base[INSN_SEG_DS] = 0x7777;
	c.regs[6] = RAM_GVA + 0x100 - 0x1000;
	c.regs[7] = DEV_GVA + 0x80;
	assert_int_equal(RUN(&c, 0x80, 0x64, 0xa4), 0);
	assert_int_equal(dev_get(0x80, 1), 0x01);

	/* neither side is the faulting gpa: refuse, change nothing. */
	c.regs[6] = RAM_GVA;
	c.regs[7] = DEV_GVA + 0x80;
	struct emul_ctx before = c;
	uint64_t regs_before[16];
	memcpy(regs_before, R, sizeof(R));
	assert_int_equal(RUN(&c, 0x90, 0xa4), -EINVAL);
	assert_memory_equal(&before, &c, sizeof(c));
	assert_memory_equal(regs_before, R, sizeof(R));
	/* untranslatable source: the translate error comes back. */
	c.regs[6] = 0x1234;
	assert_int_equal(RUN(&c, 0x80, 0xa4), -EFAULT);
	c.translate = NULL;
	assert_int_equal(RUN(&c, 0x80, 0xa4), -EINVAL);
}

/* ---- errors and modes ---- */

static void test_errors_leave_state(void **state)
{
	static const uint8_t insns[][4] = {
	    {0x8b, 0x08}, {0x89, 0x08},	      {0x01, 0x08}, {0x03, 0x08},
	    {0x87, 0x08}, {0x0f, 0xab, 0x08}, {0xab},
	};
	static const uint8_t lens[] = {2, 2, 2, 2, 2, 3, 1};
	for (size_t i = 0; i < sizeof(lens); i++) {
		struct emul_ctx c = new_ctx();
		c.regs[7] = DEV_GVA;
		struct emul_ctx before = c;
		uint64_t regs_before[16];
		memcpy(regs_before, R, sizeof(R));
		F.fail = -EIO;
		assert_int_equal(run_mode(&c, 64, insns[i], lens[i], 0), -EIO);
		assert_memory_equal(&before, &c, sizeof(c));
		assert_memory_equal(regs_before, R, sizeof(R));
	}
}

static void test_mode32(void **state)
{
	struct emul_ctx c = new_ctx();
	dev_put(0, 0x12345678, 4);
	c.rip = 0xfffffffe;
	/* 32-bit mode: 66 8b 08 = mov cx,[eax]; eip wraps. */
	assert_int_equal(run_mode(&c, 32, (uint8_t[]){0x66, 0x8b, 0x08}, 3, 0), 0);
	assert_int_equal(c.regs[1] & 0xffff, 0x5678);
	assert_int_equal(c.rip, 1);
}

/* 16-bit code: 16-bit operands by default, IP wraps at 64 KiB, STOS steps DI and CX only. */
static void test_mode16(void **state)
{
	struct emul_ctx c = new_ctx();
	uint64_t rcx = c.regs[1];

	dev_put(0, 0x12345678, 4);
	c.rip = 0xfffe;
	/* 8b 0f = mov cx,[bx] in 16-bit code: two bytes read, bits 63:16 of RCX kept */
	assert_int_equal(run_mode(&c, 16, (uint8_t[]){0x8b, 0x0f}, 2, 0), 0);
	assert_int_equal(c.regs[1], (rcx & ~0xffffULL) | 0x5678);
	assert_int_equal(c.rip, 0);
	/* 66 89 07 = mov [bx],eax: four bytes written */
	c.regs[0] = 0xdeadbeefcafef00dULL;
	assert_int_equal(run_mode(&c, 16, (uint8_t[]){0x66, 0x89, 0x07}, 3, 0), 0);
	assert_int_equal(dev_get(0, 4), 0xcafef00d);
	assert_int_equal(dev_get(4, 1), 0xa4); /* the byte after is untouched */
	assert_int_equal(c.rip, 3);
	/* f3 ab = rep stosw with CX 0x10000 | 1: one iteration, DI steps by 2 within 16 bits */
	c.regs[1] = 0x10001;
	c.regs[7] = 0xabcd0000ffffULL;
	c.regs[0] = 0x4242;
	assert_int_equal(run_mode(&c, 16, (uint8_t[]){0xf3, 0xab}, 2, 0), 0);
	assert_int_equal(dev_get(0, 2), 0x4242);
	assert_int_equal(c.regs[1], 0x10000);
	assert_int_equal(c.regs[7], 0xabcd00000001ULL);
	assert_int_equal(c.rip, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mov_load),
	    cmocka_unit_test(test_movzx_movsx),
	    cmocka_unit_test(test_mov_store),
	    cmocka_unit_test(test_store_imm),
	    cmocka_unit_test(test_xchg),
	    cmocka_unit_test(test_alu_vs_cpu),
	    cmocka_unit_test(test_alu_flags_fixed),
	    cmocka_unit_test(test_bt),
	    cmocka_unit_test(test_stos),
	    cmocka_unit_test(test_movs),
	    cmocka_unit_test(test_errors_leave_state),
	    cmocka_unit_test(test_mode32),
	    cmocka_unit_test(test_mode16),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
