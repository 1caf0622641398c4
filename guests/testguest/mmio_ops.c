/*
 * MMIO cases beyond plain MOV: MOVZX/MOVSX/MOVSXD into 16/32/64-bit registers, STOS and
 * MOVS with and without REP (RAM to device and back; the pointer and count registers after
 * are compared too), and the ALU group with memory operands (results and arithmetic flags).
 */
#include "guests/testguest/mmio.h"

/* ---- zero and sign extension ---- */
#define EXT(name, insn, mod)                                                                       \
	static uint64_t x_##name(uintptr_t a)                                                      \
	{                                                                                          \
		uint64_t v = 0x1111111111111111ULL;                                                \
		__asm__ volatile(#insn " (%1), %" #mod "0" : "+r"(v) : "r"(a) : "memory");         \
		return v;                                                                          \
	}
EXT(zbw, movzbw, w)
EXT(zbl, movzbl, k)
EXT(zbq, movzbq, q)
EXT(zwl, movzwl, k)
EXT(zwq, movzwq, q)
EXT(sbw, movsbw, w)
EXT(sbl, movsbl, k)
EXT(sbq, movsbq, q)
EXT(swl, movswl, k)
EXT(swq, movswq, q)
EXT(slq, movslq, q)

static uint64_t (*const exts[11])(uintptr_t) = {
    x_zbw, x_zbl, x_zbq, x_zwl, x_zwq, x_sbw, x_sbl, x_sbq, x_swl, x_swq, x_slq,
};

/* Offsets into the two patterns, each aligned to the source width. */
static const uint8_t ext_off[11] = {0, 9, 3, 10, 4, 1, 13, 7, 14, 2, 4};

static void c_ext(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	mw64(s, 0x8081828384858687);	 /* negative bytes, words, dwords */
	mw64(s + 8, 0x7071727374757677); /* positive ones */
	for (unsigned i = 0; i < 11; i++)
		o[i] = exts[i](s + ext_off[i]);
	o[11] = x_slq(s + 8);
	o[12] = x_sbq(s + 9);
}

/* ---- string instructions (DF = 0) ---- */
struct str_regs {
	uint64_t rdi, rsi, rcx;
};

static void str_out(uint64_t *o, const struct str_regs *r, uintptr_t base_d, uintptr_t base_s)
{
	o[0] = r->rdi - base_d;
	o[1] = r->rsi - base_s;
	o[2] = r->rcx;
}

static void c_stos(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	struct str_regs r;

	for (unsigned i = 0; i < 8; i++)
		mw64(s + 8 * i, 0);
	r = (struct str_regs){s, 0, 5};
	__asm__ volatile("rep stosb" : "+D"(r.rdi), "+c"(r.rcx) : "a"(0xAB) : "memory");
	o[0] = r.rdi - s;
	o[1] = r.rcx;
	r = (struct str_regs){s + 8, 0, 3};
	__asm__ volatile("rep stosw" : "+D"(r.rdi), "+c"(r.rcx) : "a"(0xCDEF) : "memory");
	o[2] = r.rdi - s;
	r = (struct str_regs){s + 16, 0, 4};
	__asm__ volatile("rep stosl" : "+D"(r.rdi), "+c"(r.rcx) : "a"(0x1234567) : "memory");
	o[3] = r.rdi - s;
	r = (struct str_regs){s + 32, 0, 3};
	__asm__ volatile("rep stosq"
			 : "+D"(r.rdi), "+c"(r.rcx)
			 : "a"(0xFEDCBA9876543210ULL)
			 : "memory");
	o[4] = r.rdi - s;
	r = (struct str_regs){s + 56, 0, 0};
	__asm__ volatile("stosl" : "+D"(r.rdi) : "a"(0x5705) : "memory");
	o[5] = r.rdi - s;
	r = (struct str_regs){s + 60, 0, 0};
	__asm__ volatile("rep stosl" : "+D"(r.rdi), "+c"(r.rcx) : "a"(0xBAD) : "memory");
	o[6] = r.rdi - s; /* RCX = 0: nothing stored, RDI unchanged */
	for (unsigned i = 0; i < 8; i++)
		o[7 + i] = mr64(s + 8 * i);
}

static uint64_t ram_buf[8] = {
    0x0101010101010101, 0x2323232323232323, 0x4545454545454545, 0x6767676767676767,
    0x89ABCDEF01234567, 0xFEDCBA9876543210, 0x1357913579135791, 0x0246802468024680,
};

static void c_movs(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S, src = (uintptr_t)ram_buf;
	uint64_t back[4] = {0};
	struct str_regs r;

	for (unsigned i = 0; i < 8; i++)
		mw64(s + 8 * i, 0);
	r = (struct str_regs){s, src, 4}; /* RAM -> device */
	__asm__ volatile("rep movsq" : "+D"(r.rdi), "+S"(r.rsi), "+c"(r.rcx) : : "memory");
	str_out(o, &r, s, src);
	r = (struct str_regs){s + 32, src + 32, 7};
	__asm__ volatile("rep movsb" : "+D"(r.rdi), "+S"(r.rsi), "+c"(r.rcx) : : "memory");
	o[3] = r.rdi - s;
	o[4] = r.rsi - src;
	r = (struct str_regs){s + 40, src + 40, 0};
	__asm__ volatile("movsw" : "+D"(r.rdi), "+S"(r.rsi) : : "memory");
	o[5] = r.rdi - s;
	r = (struct str_regs){(uintptr_t)back, s, 8}; /* device -> RAM */
	__asm__ volatile("rep movsl" : "+D"(r.rdi), "+S"(r.rsi), "+c"(r.rcx) : : "memory");
	o[6] = r.rdi - (uintptr_t)back;
	o[7] = r.rsi - s;
	o[8] = r.rcx;
	for (unsigned i = 0; i < 4; i++)
		o[9 + i] = back[i];
	o[13] = mr64(s + 32);
	o[14] = mr64(s + 40);
}

/* ---- ALU with a memory operand: the result in memory or the register, and the flags ---- */
MMIO_ALU(add_store, 32, "addl %k[r], (%[a])")
MMIO_ALU(add_imm8, 32, "addl $1, (%[a])")
MMIO_ALU(add_load, 32, "addl (%[a]), %k[r]")
MMIO_ALU(addq_imm, 64, "addq $-1, (%[a])")
MMIO_ALU(or_imm8b, 8, "orb $0x0F, (%[a])")
MMIO_ALU(or_store, 32, "orl %k[r], (%[a])")
MMIO_ALU(orw_simm8, 16, "orw $-2, (%[a])")
MMIO_ALU(and_imm16, 16, "andw $0x0F0F, (%[a])")
MMIO_ALU(and_storeq, 64, "andq %q[r], (%[a])")
MMIO_ALU(and_load, 32, "andl (%[a]), %k[r]")
MMIO_ALU(xor_store, 32, "xorl %k[r], (%[a])")
MMIO_ALU(xor_imm8b, 8, "xorb $0xFF, (%[a])")
MMIO_ALU(xor_loadq, 64, "xorq (%[a]), %q[r]")
MMIO_ALU(cmp_imm8, 32, "cmpl $100, (%[a])")
MMIO_ALU(cmp_store, 32, "cmpl %k[r], (%[a])")
MMIO_ALU(cmp_loadq, 64, "cmpq (%[a]), %q[r]")
MMIO_ALU(cmp_imm8b, 8, "cmpb $0x80, (%[a])")
MMIO_ALU(cmp_imm32, 32, "cmpl $0x12345678, (%[a])")
MMIO_ALU(test_store, 32, "testl %k[r], (%[a])")
MMIO_ALU(test_imm8b, 8, "testb $0x80, (%[a])")
MMIO_ALU(test_imm32q, 64, "testq $0x7FFF0000, (%[a])")
MMIO_ALU(add_storeb, 8, "addb %b[r], (%[a])")
MMIO_ALU(add_storew, 16, "addw %w[r], (%[a])")

struct alu_case {
	void (*fn)(uintptr_t a, uint64_t init, uint64_t reg, uint64_t *o);
	uint64_t init, reg;
};

static const struct alu_case alu_cases[] = {
    {a_add_store, 0x0F0F0F0F, 0x01010101},
    {a_add_imm8, 0xFFFFFFFF, 0},
    {a_add_load, 0x12345678, 0x11111111},
    {a_addq_imm, 0, 0},
    {a_or_imm8b, 0xF0, 0},
    {a_or_store, 0x00FF00FF, 0xFF000000},
    {a_orw_simm8, 0x0001, 0},
    {a_and_imm16, 0xFFFF, 0},
    {a_and_storeq, 0x123456789ABCDEF0, 0xFFFF0000FFFF0000},
    {a_and_load, 0xF0F0F0F0, 0x0FF00FF0},
    {a_xor_store, 0xA5A5A5A5, 0xA5A5A5A5},
    {a_xor_imm8b, 0x0F, 0},
    {a_xor_loadq, 0x8000000000000001, 1},
    {a_cmp_imm8, 100, 0},
    {a_cmp_store, 100, 101},
    {a_cmp_loadq, 100, 100},
    {a_cmp_imm8b, 0x7F, 0},
    {a_cmp_imm32, 0x12345677, 0},
    {a_test_store, 0xFF, 0x100},
    {a_test_imm8b, 0x80, 0},
    {a_test_imm32q, 0x8000000000010000, 0},
    {a_add_storeb, 0x80, 0x80},
    {a_add_storew, 0x7FFF, 1},
};
#define NR_ALU ARRAY_SIZE(alu_cases)

/* Cases hold MM_OUTS outputs: three per ALU form, five forms per case. */
static void alu_range(uintptr_t p, uint64_t *o, unsigned first)
{
	for (unsigned i = first; i < first + 5 && i < NR_ALU; i++)
		alu_cases[i].fn(p + MM_S + 8 * (i - first), alu_cases[i].init, alu_cases[i].reg,
				o + 3 * (i - first));
}

static void c_alu0(uintptr_t p, uint64_t *o)
{
	alu_range(p, o, 0);
}
static void c_alu1(uintptr_t p, uint64_t *o)
{
	alu_range(p, o, 5);
}
static void c_alu2(uintptr_t p, uint64_t *o)
{
	alu_range(p, o, 10);
}
static void c_alu3(uintptr_t p, uint64_t *o)
{
	alu_range(p, o, 15);
}
static void c_alu4(uintptr_t p, uint64_t *o)
{
	alu_range(p, o, 20);
}
static_assert(NR_ALU <= 25, "c_alu0..c_alu4 cover the ALU forms");

const struct mmio_case mmio_op_cases[] = {
    {"movzx_movsx", c_ext}, {"stos", c_stos}, {"movs", c_movs}, {"alu0", c_alu0},
    {"alu1", c_alu1},	    {"alu2", c_alu2}, {"alu3", c_alu3}, {"alu4", c_alu4},
};
const unsigned nr_mmio_op_cases = ARRAY_SIZE(mmio_op_cases);
