/*
 * MMIO cases for scenario mmio_extra: forms a decoder must also get right but the core
 * mmio scenario leaves out: unaligned accesses, XCHG, the BT family, SUB/ADC/SBB, LOCK,
 * MOVNTI, ignored prefixes (66 with REX.W, CS/DS/ES/SS), device-to-device MOVS, DF = 1.
 */
#include "guests/testguest/mmio.h"

static void c_unaligned(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	mw64(s, 0x0706050403020100);
	mw64(s + 8, 0x0F0E0D0C0B0A0908);
	for (unsigned i = 2; i < 5; i++)
		mw64(s + 8 * i, 0);
	o[0] = mr16(s + 1);
	o[1] = mr32(s + 3);
	o[2] = mr64(s + 5);
	mw16(s + 17, 0xAAAA);
	mw32(s + 19, 0xBBBBBBBB);
	mw64(s + 23, 0xCCCCCCCCCCCCCCCC);
	o[3] = mr64(s + 16);
	o[4] = mr64(s + 24);
	o[5] = mr64(s + 32);
}

MMIO_ALU(xchg, 32, "xchgl %k[r], (%[a])")
MMIO_ALU(xchgb, 8, "xchgb %b[r], (%[a])")
MMIO_ALU(bt_imm, 32, "btl $5, (%[a])")
MMIO_ALU(bts_imm, 32, "btsl $3, (%[a])")
MMIO_ALU(btr_imm, 64, "btrq $63, (%[a])")
MMIO_ALU(btc_imm, 16, "btcw $1, (%[a])")
MMIO_ALU(bt_reg, 32, "btl %k[r], (%[a])")
MMIO_ALU(bts_reg, 64, "btsq %q[r], (%[a])")
MMIO_ALU(sub_store, 32, "subl %k[r], (%[a])")
MMIO_ALU(sub_load, 64, "subq (%[a]), %q[r]")
MMIO_ALU(adc_imm, 32, "stc\n\tadcl $1, (%[a])")
MMIO_ALU(sbb_load, 32, "stc\n\tsbbl (%[a]), %k[r]")
MMIO_ALU(lock_or, 32, "lock orl %k[r], (%[a])")
MMIO_ALU(movnti, 32, "movnti %k[r], (%[a])")

struct extra_alu {
	void (*fn)(uintptr_t a, uint64_t init, uint64_t reg, uint64_t *o);
	uint64_t init, reg;
};
static const struct extra_alu extra_alu[] = {
    {a_xchg, 0x11112222, 0x33334444},
    {a_xchgb, 0x55, 0xAA},
    {a_bt_imm, 0x20, 0},
    {a_bts_imm, 0, 0},
    {a_btr_imm, 0x8000000000000001, 0},
    {a_btc_imm, 0xFFFF, 0},
    {a_bt_reg, 0x80, 7},
    {a_bts_reg, 0, 40},
    {a_sub_store, 5, 6},
    {a_sub_load, 1, 1},
    {a_adc_imm, 0xFFFFFFFE, 0},
    {a_sbb_load, 1, 2},
    {a_lock_or, 0xF000000F, 0x0FF0},
    {a_movnti, 0, 0x4E544921},
};
#define NR_EXTRA_ALU ARRAY_SIZE(extra_alu)

static void extra_alu_range(uintptr_t p, uint64_t *o, unsigned first)
{
	for (unsigned i = first; i < first + 5 && i < NR_EXTRA_ALU; i++)
		extra_alu[i].fn(p + MM_S + 8 * (i - first), extra_alu[i].init, extra_alu[i].reg,
				o + 3 * (i - first));
}

static void c_xalu0(uintptr_t p, uint64_t *o)
{
	extra_alu_range(p, o, 0);
}
static void c_xalu1(uintptr_t p, uint64_t *o)
{
	extra_alu_range(p, o, 5);
}
static void c_xalu2(uintptr_t p, uint64_t *o)
{
	extra_alu_range(p, o, 10);
}
static_assert(NR_EXTRA_ALU <= 15, "c_xalu0..c_xalu2 cover the forms");

/* 66 + REX.W: REX.W wins, a 64-bit store. RAX is both address and value. */
static void c_rexw_66(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;

	mw64(s, 0);
	__asm__ volatile(".byte 0x66, 0x48, 0x89, 0x00 /* mov %%rax, (%%rax) */"
			 :
			 : "a"(s)
			 : "memory");
	o[0] = mr64(s) - s;
}

/* Segment prefixes that 64-bit mode ignores. */
static void c_null_prefixes(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	uint32_t v;

	mw64(s, 0x5E65E65E15E15E1);
	__asm__ volatile(".byte 0x3e\n\tmovl (%1), %0" : "=r"(v) : "r"(s) : "memory");
	o[0] = v;
	__asm__ volatile(".byte 0x26\n\tmovl 4(%1), %0" : "=r"(v) : "r"(s) : "memory");
	o[1] = v;
	__asm__ volatile(".byte 0x36\n\tmovl %0, 8(%1)" : : "r"(0x36363636u), "r"(s) : "memory");
	__asm__ volatile(".byte 0x2e\n\tmovl %0, 12(%1)" : : "r"(0x2E2E2E2Eu), "r"(s) : "memory");
	o[2] = mr64(s + 8);
}

static void c_movs_dev(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	uint64_t di = s + 64, si = s, cx = 4;

	for (unsigned i = 0; i < 4; i++) {
		mw64(s + 8 * i, 0xD0D0D0D000000000 + i);
		mw64(s + 64 + 8 * i, 0);
	}
	__asm__ volatile("rep movsq" : "+D"(di), "+S"(si), "+c"(cx) : : "memory");
	o[0] = di - s;
	o[1] = si - s;
	o[2] = cx;
	for (unsigned i = 0; i < 4; i++)
		o[3 + i] = mr64(s + 64 + 8 * i);
}

/* DF = 1: STOS walks down. */
static void c_stos_down(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	uint64_t di = s + 24, cx = 3;

	for (unsigned i = 0; i < 4; i++)
		mw64(s + 8 * i, 0);
	__asm__ volatile("std\n\trep stosq\n\tcld"
			 : "+D"(di), "+c"(cx)
			 : "a"(0xD0D0)
			 : "memory", "cc");
	o[0] = di - s;
	o[1] = cx;
	for (unsigned i = 0; i < 4; i++)
		o[2 + i] = mr64(s + 8 * i);
}

/*
 * Code segments of our own (entry.S leaves GDT slots 0x20 and 0x28 free): the hypervisor
 * must decode 16-bit code as 16-bit, and add the CS base outside 64-bit mode only.
 */
extern uint64_t gdt[];
#define SEL_CODE16   0x20
#define SEL_CODE64_B 0x28
#define SEL_CODE64   0x10 /* entry.S */

struct __attribute__((packed)) farptr {
	uint32_t off;
	uint16_t sel;
};

/* An accessed, readable code segment, limit 64 KiB - 1; flags: bits 55:52 (G D L AVL). */
static uint64_t code_desc(uint32_t base, uint64_t flags)
{
	return 0xFFFF | ((uint64_t)(base & 0xFFFFFF) << 16) | (0x9BULL << 40) | (flags << 52) |
	       ((uint64_t)(base >> 24) << 56);
}

/*
 * 16-bit code run in compatibility mode at CS.base = code16_block, IP from 0; EBX is the
 * scratch address, ECX a value, EAX the far pointer back to 64-bit mode.
 */
__asm__(".pushsection .text\n"
	"code16_block:\n"
	".byte 0x67, 0x89, 0x0b\n"		     /* mov %cx, (%ebx) */
	".byte 0x67, 0x66, 0x89, 0x4b, 0x04\n"	     /* mov %ecx, 4(%ebx) */
	".byte 0x67, 0xc7, 0x43, 0x08, 0x34, 0x12\n" /* movw $0x1234, 8(%ebx) */
	".byte 0x67, 0x8b, 0x53, 0x0c\n"	     /* mov 12(%ebx), %dx */
	".byte 0x66, 0x67, 0xff, 0x28\n"	     /* ljmpl *(%eax) */
	".popsection");

static void c_code16(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S, base;
	struct farptr to = {0, SEL_CODE16}, back = {0, SEL_CODE64};
	uint64_t dx = 0xAAAA5555;

	__asm__ volatile("lea code16_block(%%rip), %0" : "=r"(base));
	gdt[SEL_CODE16 / 8] = code_desc((uint32_t)base, 0);
	mw64(s, ~0ULL);
	mw64(s + 8, ~0ULL);
	mw32(s + 12, 0x1234BEEF);
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "movl %%eax, (%[back])\n\t"
			 "mov %[back], %%rax\n\t"
			 "ljmpl *(%[to])\n"
			 "1:"
			 : "+d"(dx)
			 : [to] "r"(&to), [back] "r"(&back), "b"(s), "c"(0x87654321)
			 : "rax", "memory");
	o[0] = mr64(s);
	o[1] = mr64(s + 8);
	o[2] = (uint32_t)dx; /* compatibility mode leaves bits 63:32 undefined */
}

/* A 64-bit code segment whose descriptor has a base: 64-bit mode ignores it. */
static void c_cs64_base(uintptr_t p, uint64_t *o)
{
	uintptr_t s = p + MM_S;
	struct farptr to = {0, SEL_CODE64_B}, back = {0, SEL_CODE64};

	gdt[SEL_CODE64_B / 8] = code_desc(0x00400000, 0x2 /* L */);
	mw64(s, 0);
	__asm__ volatile("lea 2f(%%rip), %%rax\n\t"
			 "movl %%eax, (%[to])\n\t"
			 "lea 1f(%%rip), %%rax\n\t"
			 "movl %%eax, (%[back])\n\t"
			 "ljmpl *(%[to])\n"
			 "2:\tmovl %%ecx, (%%rbx)\n\t"
			 "movw %%cx, 4(%%rbx)\n\t"
			 "ljmpl *(%[back])\n"
			 "1:"
			 :
			 : [to] "r"(&to), [back] "r"(&back), "b"(s), "c"(0x0BA5E064)
			 : "rax", "memory");
	o[0] = mr64(s);
}

/* Code and scratch below 4 GiB: run on the identity mappings only, with code_off 0. */
const struct mmio_case mmio_seg_cases[] = {
    {"code16", c_code16},
    {"cs64_base", c_cs64_base},
};
const unsigned nr_mmio_seg_cases = ARRAY_SIZE(mmio_seg_cases);

/* movs_dev last: the most exotic form (both sides MMIO). */
const struct mmio_case mmio_extra_cases[] = {
    {"unaligned", c_unaligned}, {"xalu0", c_xalu0},	  {"xalu1", c_xalu1},
    {"xalu2", c_xalu2},		{"rexw_66", c_rexw_66},	  {"null_prefixes", c_null_prefixes},
    {"stos_down", c_stos_down}, {"movs_dev", c_movs_dev},
};
const unsigned nr_mmio_extra_cases = ARRAY_SIZE(mmio_extra_cases);
