/*
 * MMIO cases for the MOV family: every width, every base register (RSP, RBP, R12 and R13
 * included, which need SIB or a displacement), every destination and source register
 * (REX high registers, AH-BH, SIL/DIL), SIB with index and scale, disp8/disp32, FS/GS
 * prefixes and immediate stores. See mmio.h for how a case is run and compared.
 */
#include "guests/testguest/mmio.h"

#define ONES	0xFFFFFFFFFFFFFFFFULL
#define ELEVENS 0x1111111111111111ULL

static void c_widths(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	mw64(s, 0);
	mw64(s + 8, 0);
	mw8(s, 0xA1);
	mw16(s + 2, 0xB2C3);
	mw32(s + 4, 0xD4E5F607);
	mw64(s + 8, 0x1122334455667788);
	o[0] = mr8(s);
	o[1] = mr16(s + 2);
	o[2] = mr32(s + 4);
	o[3] = mr64(s + 8);
	/* Memory semantics across widths: bytes of one write seen by narrower reads. */
	o[4] = mr64(s);
	o[5] = mr8(s + 11);
	o[6] = mr16(s + 14);
	o[7] = mr32(s + 12);
}

/* ---- base registers ---- */
#define BASE_LOAD(reg)                                                                             \
	static uint64_t bl_##reg(uintptr_t a)                                                      \
	{                                                                                          \
		register uintptr_t b __asm__(#reg) = a;                                            \
		uint32_t v;                                                                        \
		__asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(b) : "memory");                   \
		return v;                                                                          \
	}
#define BASE_STORE(reg)                                                                            \
	static void bs_##reg(uintptr_t a, uint32_t v)                                              \
	{                                                                                          \
		register uintptr_t b __asm__(#reg) = a;                                            \
		__asm__ volatile("movl %1, (%0)" : : "r"(b), "r"(v) : "memory");                   \
	}
#define BASE_BOTH(reg) BASE_LOAD(reg) BASE_STORE(reg)
BASE_BOTH(rax)
BASE_BOTH(rbx)
BASE_BOTH(rcx)
BASE_BOTH(rdx)
BASE_BOTH(rsi)
BASE_BOTH(rdi)
BASE_BOTH(r8)
BASE_BOTH(r9)
BASE_BOTH(r10)
BASE_BOTH(r11)
BASE_BOTH(r12)
BASE_BOTH(r13)
BASE_BOTH(r14)
BASE_BOTH(r15)

/* RBP and RSP cannot be asm operands: borrow them for one instruction. */
static uint64_t bl_rbp(uintptr_t a)
{
	uint32_t v;

	__asm__ volatile("push %%rbp\n\tmov %1, %%rbp\n\tmovl (%%rbp), %0\n\tpop %%rbp"
			 : "=r"(v)
			 : "r"(a)
			 : "memory");
	return v;
}

static void bs_rbp(uintptr_t a, uint32_t v)
{
	__asm__ volatile("push %%rbp\n\tmov %0, %%rbp\n\tmovl %1, (%%rbp)\n\tpop %%rbp"
			 :
			 : "r"(a), "r"(v)
			 : "memory");
}

static uint64_t bl_rsp(uintptr_t a)
{
	uint32_t v;

	__asm__ volatile("mov %%rsp, %%r11\n\tmov %1, %%rsp\n\tmovl (%%rsp), %0\n\tmov %%r11, %%rsp"
			 : "=r"(v)
			 : "r"(a)
			 : "r11", "memory");
	return v;
}

static void bs_rsp(uintptr_t a, uint32_t v)
{
	__asm__ volatile("mov %%rsp, %%r11\n\tmov %0, %%rsp\n\tmovl %1, (%%rsp)\n\tmov %%r11, %%rsp"
			 :
			 : "r"(a), "r"(v)
			 : "r11", "memory");
}

static uint64_t (*const base_loads[16])(uintptr_t) = {
    bl_rax, bl_rcx, bl_rdx, bl_rbx, bl_rsp, bl_rbp, bl_rsi, bl_rdi,
    bl_r8,  bl_r9,  bl_r10, bl_r11, bl_r12, bl_r13, bl_r14, bl_r15,
};
static void (*const base_stores[16])(uintptr_t, uint32_t) = {
    bs_rax, bs_rcx, bs_rdx, bs_rbx, bs_rsp, bs_rbp, bs_rsi, bs_rdi,
    bs_r8,  bs_r9,  bs_r10, bs_r11, bs_r12, bs_r13, bs_r14, bs_r15,
};

static void c_base_load(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	for (unsigned i = 0; i < 16; i++)
		mw32(s + 4 * i, 0xB0000000 + i * 0x01010101);
	for (unsigned i = 0; i < 16; i++)
		o[i] = base_loads[i](s + 4 * i);
}

static void c_base_store(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	for (unsigned i = 0; i < 16; i++)
		base_stores[i](s + 4 * i, 0xC0DE0000 + i * 0x111);
	for (unsigned i = 0; i < 16; i++)
		o[i] = mr32(s + 4 * i);
}

/* ---- destination and source registers; upper bits must follow the width rules ---- */
/* sfx: the mnemonic suffix; mod: the operand modifier naming that width of the register. */
#define DST_LOAD(reg, sfx, mod, w)                                                                 \
	static uint64_t dl##w##_##reg(uintptr_t a)                                                 \
	{                                                                                          \
		register uint64_t v __asm__(#reg) = w == 32 ? ONES : ELEVENS;                      \
		__asm__ volatile("mov" #sfx " (%1), %" #mod "0" : "+r"(v) : "r"(a) : "memory");    \
		return v;                                                                          \
	}
DST_LOAD(rax, l, k, 32)
DST_LOAD(rbx, l, k, 32)
DST_LOAD(rcx, l, k, 32)
DST_LOAD(rdx, l, k, 32)
DST_LOAD(rsi, l, k, 32)
DST_LOAD(rdi, l, k, 32)
DST_LOAD(r8, l, k, 32)
DST_LOAD(r9, l, k, 32)
DST_LOAD(r10, l, k, 32)
DST_LOAD(r11, l, k, 32)
DST_LOAD(r12, l, k, 32)
DST_LOAD(r13, l, k, 32)
DST_LOAD(r14, l, k, 32)
DST_LOAD(r15, l, k, 32)
DST_LOAD(rax, b, b, 8)
DST_LOAD(rsi, b, b, 8)
DST_LOAD(r9, b, b, 8)
DST_LOAD(r15, b, b, 8)
DST_LOAD(rax, w, w, 16)
DST_LOAD(rdi, w, w, 16)
DST_LOAD(r10, w, w, 16)
DST_LOAD(rdx, q, q, 64)
DST_LOAD(r11, q, q, 64)
DST_LOAD(r14, q, q, 64)

static uint64_t (*const dst_loads32[14])(uintptr_t) = {
    dl32_rax, dl32_rbx, dl32_rcx, dl32_rdx, dl32_rsi, dl32_rdi, dl32_r8,
    dl32_r9,  dl32_r10, dl32_r11, dl32_r12, dl32_r13, dl32_r14, dl32_r15,
};
static uint64_t (*const dst_loads_narrow[10])(uintptr_t) = {
    dl8_rax, dl8_rsi, dl8_r9, dl8_r15, dl16_rax, dl16_rdi, dl16_r10, dl64_rdx, dl64_r11, dl64_r14,
};

static void c_dst_load32(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	for (unsigned i = 0; i < 14; i++)
		mw32(s + 4 * i, 0x80000001 + i * 0x02040608);
	for (unsigned i = 0; i < 14; i++)
		o[i] = dst_loads32[i](s + 4 * i);
}

/* AH, BH, CH, DH have no REX form: the address goes in RSI. */
#define HIGH8_LOAD(r, c)                                                                           \
	static uint64_t hl_##r(uintptr_t a)                                                        \
	{                                                                                          \
		uint64_t v = ELEVENS;                                                              \
		__asm__ volatile("movb (%1), %%" #r : "+" #c(v) : "S"(a) : "memory");              \
		return v;                                                                          \
	}
HIGH8_LOAD(ah, a)
HIGH8_LOAD(bh, b)
HIGH8_LOAD(ch, c)
HIGH8_LOAD(dh, d)

static void c_dst_load_narrow(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	for (unsigned i = 0; i < 16; i++)
		mw64(s + 8 * i, 0x8F8E8D8C8B8A8988ULL - i * 0x0101010101010101ULL);
	for (unsigned i = 0; i < 10; i++)
		o[i] = dst_loads_narrow[i](s + 8 * i);
	o[10] = hl_ah(s + 80);
	o[11] = hl_bh(s + 88);
	o[12] = hl_ch(s + 96);
	o[13] = hl_dh(s + 104);
}

#define SRC_STORE(reg, sfx)                                                                        \
	static void ss_##sfx##_##reg(uintptr_t a, uint64_t val)                                    \
	{                                                                                          \
		register uint64_t v __asm__(#reg) = val;                                           \
		__asm__ volatile("mov" #sfx " %" #sfx "0, (%1)" : : "r"(v), "r"(a) : "memory");    \
	}
SRC_STORE(rsi, b)
SRC_STORE(r12, b)
SRC_STORE(rdi, b)
SRC_STORE(r9, w)
SRC_STORE(r13, w)
SRC_STORE(r15, q)
SRC_STORE(rbx, q)

#define HIGH8_STORE(r, c)                                                                          \
	static void hs_##r(uintptr_t a, uint64_t v)                                                \
	{                                                                                          \
		__asm__ volatile("movb %%" #r ", (%1)" : : #c(v), "D"(a) : "memory");              \
	}
HIGH8_STORE(ah, a)
HIGH8_STORE(bh, b)
HIGH8_STORE(ch, c)
HIGH8_STORE(dh, d)

static void c_src_store_narrow(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	const uint64_t v = 0xF1E2D3C4B5A69788;

	for (unsigned i = 0; i < 12; i++)
		mw64(s + 8 * i, ONES);
	ss_b_rsi(s, v);
	ss_b_r12(s + 8, v);
	ss_b_rdi(s + 16, v);
	ss_w_r9(s + 24, v);
	ss_w_r13(s + 32, v);
	ss_q_r15(s + 40, v);
	ss_q_rbx(s + 48, v);
	hs_ah(s + 56, v);
	hs_bh(s + 64, v);
	hs_ch(s + 72, v);
	hs_dh(s + 80, v);
	for (unsigned i = 0; i < 11; i++)
		o[i] = mr64(s + 8 * i);
}

/* ---- SIB: index and scale, REX.X, the no-base form, R12 as index, R13 as base ---- */
#define SIB_LOAD(scale)                                                                            \
	static uint64_t sl##scale(uintptr_t a)                                                     \
	{                                                                                          \
		uint64_t v;                                                                        \
		__asm__ volatile("movq (%1,%2," #scale "), %0"                                     \
				 : "=r"(v)                                                         \
				 : "r"(a - 3 * scale), "r"(3UL)                                    \
				 : "memory");                                                      \
		return v;                                                                          \
	}
SIB_LOAD(1)
SIB_LOAD(2)
SIB_LOAD(4)
SIB_LOAD(8)

static void c_sib(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	register uintptr_t r13 __asm__("r13") = s + 64 - 5 * 4;
	register uintptr_t r9 __asm__("r9") = 5;
	register uintptr_t r12 __asm__("r12") = 0x10;
	uint32_t v;

	for (unsigned i = 0; i < 12; i++)
		mw64(s + 8 * i, 0x0123456789ABCDEF ^ (i * 0x1111111111111111ULL));
	o[0] = sl1(s);
	o[1] = sl2(s + 8);
	o[2] = sl4(s + 16);
	o[3] = sl8(s + 24);
	__asm__ volatile("movl (%1,%2,4), %0" : "=r"(v) : "r"(r13), "r"(r9) : "memory");
	o[4] = v;
	__asm__ volatile("movl (%1,%2,2), %0" : "=r"(v) : "r"(s + 72 - 0x20), "r"(r12) : "memory");
	o[5] = v;
	/* No base: disp32 + index * 8 (p is 4 KiB aligned). */
	__asm__ volatile("movl 0x250(,%1,8), %0" : "=r"(v) : "r"(p / 8) : "memory");
	o[6] = v;
	__asm__ volatile("movl %k0, (%1,%2,8)"
			 :
			 : "r"(0x5EB5EB00u), "r"(s + 88 - 16), "r"(2UL)
			 : "memory");
	__asm__ volatile("movl %k0, 0x25c(,%1,8)" : : "r"(0x5EB5EB01u), "r"(p / 8) : "memory");
	o[7] = mr64(s + 88);
}

/* ---- displacements: disp8 either sign, disp32 either sign (the sum wraps at 2^64) ---- */
static void c_disp(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	uint32_t v;

	for (unsigned i = 0; i < 8; i++)
		mw64(s + 8 * i, 0xD15D15D100000000 + i * 0x10203);
	__asm__ volatile("movl 0x7c(%1), %0" : "=r"(v) : "r"(s - 0x7c) : "memory");
	o[0] = v;
	__asm__ volatile("movl -0x80(%1), %0" : "=r"(v) : "r"(s + 8 + 0x80) : "memory");
	o[1] = v;
	__asm__ volatile("movl 0x12345(%1), %0" : "=r"(v) : "r"(s + 16 - 0x12345) : "memory");
	o[2] = v;
	__asm__ volatile("movl -0x12345678(%1), %0"
			 : "=r"(v)
			 : "r"(s + 24 + 0x12345678)
			 : "memory");
	o[3] = v;
	__asm__ volatile("movl %k0, 0x7c(%1)" : : "r"(0xD8D8D8D8u), "r"(s + 32 - 0x7c) : "memory");
	__asm__ volatile("movl %k0, -0x80(%1)" : : "r"(0xD9D9D9D9u), "r"(s + 36 + 0x80) : "memory");
	__asm__ volatile("movl %k0, 0x12345(%1)"
			 :
			 : "r"(0xDADADADAu), "r"(s + 40 - 0x12345)
			 : "memory");
	__asm__ volatile("movl %k0, -0x12345678(%1)"
			 :
			 : "r"(0xDBDBDBDBu), "r"(s + 44 + 0x12345678)
			 : "memory");
	o[4] = mr64(s + 32);
	o[5] = mr64(s + 40);
	/* RBP + disp8, RSP + disp32 */
	__asm__ volatile("push %%rbp\n\tmov %1, %%rbp\n\tmovl 0x10(%%rbp), %0\n\tpop %%rbp"
			 : "=r"(v)
			 : "r"(s + 48 - 0x10)
			 : "memory");
	o[6] = v;
	__asm__ volatile(
	    "mov %%rsp, %%r11\n\tmov %1, %%rsp\n\tmovl 0x1000(%%rsp), %0\n\tmov %%r11, %%rsp"
	    : "=r"(v)
	    : "r"(s + 52 - 0x1000)
	    : "r11", "memory");
	o[7] = v;
}

/* ---- FS and GS overrides (bases are 0: entry.S loaded flat selectors) ---- */
static void c_seg(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	uint64_t v;

	mw64(s, 0xF5F5F5F5A0A1A2A3);
	mw64(s + 16, 0);
	__asm__ volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"(s) : "memory");
	o[0] = v;
	__asm__ volatile("movl %%gs:4(%1), %k0" : "=r"(v) : "r"(s) : "memory");
	o[1] = v;
	__asm__ volatile("movzbl %%gs:1(%1), %k0" : "=r"(v) : "r"(s) : "memory");
	o[2] = v;
	__asm__ volatile("movq %0, %%gs:8(%1)" : : "r"(0x6767676712345678ULL), "r"(s) : "memory");
	__asm__ volatile("movw $0x6464, %%fs:16(%0)" : : "r"(s) : "memory");
	__asm__ volatile("movb %b0, %%fs:18(%1)" : : "q"((uint8_t)0x65), "r"(s) : "memory");
	o[3] = mr64(s + 8);
	o[4] = mr32(s + 16);
}

/* ---- immediate stores: every width, imm after no, 8- and 32-bit displacements ---- */
static void c_imm(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	for (unsigned i = 0; i < 8; i++)
		mw64(s + 8 * i, ONES);
	__asm__ volatile("movb $0xA5, (%0)" : : "r"(s) : "memory");
	__asm__ volatile("movw $0xBEEF, 2(%0)" : : "r"(s) : "memory");
	__asm__ volatile("movl $0xDEADBEEF, 4(%0)" : : "r"(s) : "memory");
	__asm__ volatile("movq $-0x21524111, (%0)" : : "r"(s + 8) : "memory");
	__asm__ volatile("movq $0x7EADBEEF, 0x1000(%0)" : : "r"(s + 16 - 0x1000) : "memory");
	__asm__ volatile("movl $0x13579BDF, 0x1000(%0)" : : "r"(s + 24 - 0x1000) : "memory");
	__asm__ volatile("movw $0x2468, -0x1000(%0)" : : "r"(s + 28 + 0x1000) : "memory");
	__asm__ volatile("movb $0x7F, 0x1000(%0)" : : "r"(s + 30 - 0x1000) : "memory");
	for (unsigned i = 0; i < 4; i++)
		o[i] = mr64(s + 8 * i);
}

const struct mmio_case mmio_mov_cases[] = {
    {"widths", c_widths},
    {"base_load", c_base_load},
    {"base_store", c_base_store},
    {"dst_load32", c_dst_load32},
    {"dst_load_narrow", c_dst_load_narrow},
    {"src_store_narrow", c_src_store_narrow},
    {"sib", c_sib},
    {"disp", c_disp},
    {"seg", c_seg},
    {"imm", c_imm},
};
const unsigned nr_mmio_mov_cases = ARRAY_SIZE(mmio_mov_cases);
