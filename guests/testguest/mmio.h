/*
 * MMIO test cases: each case runs one group of instruction forms against a 4 KiB page
 * laid out like the test device and records what it observed in out[]. The runner runs
 * every case on a RAM page (the CPU's own answer) and on the device through each mapping,
 * and the two must agree. Cases touch only the scratch area at page + MM_S.
 */
#ifndef GUEST_MMIO_H
#define GUEST_MMIO_H

#include "guests/testguest/guest.h"

#define MM_S	 0x200 /* scratch used by the cases */
#define MM_OUTS	 16
#define FL_CF	 BIT(0)
#define FL_PF	 BIT(2)
#define FL_ZF	 BIT(6)
#define FL_SF	 BIT(7)
#define FL_DF	 BIT(10)
#define FL_OF	 BIT(11)
#define FL_ARITH (FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF) /* AF left out: undefined for logic ops */

typedef void (*mmio_case_fn)(uintptr_t page, uint64_t *out);
struct mmio_case {
	const char *name;
	mmio_case_fn fn;
};

extern const struct mmio_case mmio_mov_cases[];
extern const unsigned nr_mmio_mov_cases;
extern const struct mmio_case mmio_op_cases[];
extern const unsigned nr_mmio_op_cases;
extern const struct mmio_case mmio_extra_cases[];
extern const unsigned nr_mmio_extra_cases;
extern const struct mmio_case mmio_seg_cases[];
extern const unsigned nr_mmio_seg_cases;

/* Run cases on RAM and on page p (code at its address + code_off); failures via t_fail. */
void mmio_run_cases(const char *map, uintptr_t p, const struct mmio_case *cases, unsigned n,
		    uintptr_t code_off);
/* The mappings of the test device the runner goes through. */
struct mmio_map {
	const char *name;
	uintptr_t page;
};
unsigned mmio_maps(struct mmio_map *maps, unsigned max);

/* Plain accesses in one fixed form each: MOV through a base register, no displacement. */
static inline void mw8(uintptr_t a, uint8_t v)
{
	__asm__ volatile("movb %b1, (%0)" : : "r"(a), "q"(v) : "memory");
}
static inline void mw16(uintptr_t a, uint16_t v)
{
	__asm__ volatile("movw %w1, (%0)" : : "r"(a), "r"(v) : "memory");
}
static inline void mw32(uintptr_t a, uint32_t v)
{
	__asm__ volatile("movl %k1, (%0)" : : "r"(a), "r"(v) : "memory");
}
static inline void mw64(uintptr_t a, uint64_t v)
{
	__asm__ volatile("movq %q1, (%0)" : : "r"(a), "r"(v) : "memory");
}
static inline uint8_t mr8(uintptr_t a)
{
	uint8_t v;
	__asm__ volatile("movb (%1), %b0" : "=q"(v) : "r"(a) : "memory");
	return v;
}
static inline uint16_t mr16(uintptr_t a)
{
	uint16_t v;
	__asm__ volatile("movw (%1), %w0" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline uint32_t mr32(uintptr_t a)
{
	uint32_t v;
	__asm__ volatile("movl (%1), %k0" : "=r"(v) : "r"(a) : "memory");
	return v;
}
static inline uint64_t mr64(uintptr_t a)
{
	uint64_t v;
	__asm__ volatile("movq (%1), %q0" : "=r"(v) : "r"(a) : "memory");
	return v;
}

/*
 * One ALU form on the memory operand at a (set to init first) with register operand reg;
 * records the memory after, the register after and the arithmetic flags.
 */
#define MMIO_ALU(name, w, insn)                                                                    \
	static void a_##name(uintptr_t a, uint64_t init, uint64_t reg, uint64_t *o)                \
	{                                                                                          \
		uint64_t fl;                                                                       \
		mw##w(a, (uint##w##_t)init);                                                       \
		__asm__ volatile(insn "\n\tpushfq\n\tpopq %[fl]"                                   \
				 : [r] "+r"(reg), [fl] "=r"(fl)                                    \
				 : [a] "r"(a)                                                      \
				 : "memory", "cc");                                                \
		o[0] = mr##w(a);                                                                   \
		o[1] = reg;                                                                        \
		o[2] = fl & FL_ARITH;                                                              \
	}
#endif
