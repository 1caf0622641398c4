/*
 * Scenarios mmio and mmio_extra: the test device through every mapping of it (identity
 * 2 MiB, high 4 KiB, swapped 4 KiB, low 4 KiB, 1 GiB alias; normal and slow page), its
 * registers, the case tables of mmio_mov.c/mmio_ops.c/mmio_extra.c compared with RAM,
 * RIP-relative forms, moffs forms, and the same cases run from code at an aliased RIP.
 */
#include "guests/testguest/mmio.h"
#include "lib/printf.h"
#include "lib/string.h"

#define RIP_S 0x300 /* scratch offset used by the RIP-relative forms */

/*
 * lo_dev0 and lo_dev1, the low 4 KiB mappings of page 0 and 1, come from linker.ld: an
 * absolute symbol the assembler already knows would be taken as the displacement itself.
 */
extern char lo_dev0[], lo_dev1[];

static uint64_t ram_page[512] __aligned(4096); /* the RAM twin of a device page */
static uint8_t *selftest_page; /* mmio_selftest: the RAM page standing in for the device */

static bool mx(const char *map, const char *what, uint64_t got, uint64_t want)
{
	char buf[64];

	ksnprintf(buf, sizeof(buf), "%s %s", map, what);
	return t_expect(buf, got, want);
}

void mmio_run_cases(const char *map, uintptr_t p, const struct mmio_case *cases, unsigned n,
		    uintptr_t code_off)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t want[MM_OUTS] = {0}, got[MM_OUTS] = {0};
		mmio_case_fn fn = (mmio_case_fn)((uintptr_t)cases[i].fn + code_off);

		/* Stale scratch must not matter: each case sets what it reads. */
		memset(ram_page, 0xA5, sizeof(ram_page));
		if (selftest_page)
			memset(selftest_page, 0x3C, PAGE_SIZE);
		cases[i].fn((uintptr_t)ram_page, want);
		fn(p, got);
		for (unsigned k = 0; k < MM_OUTS; k++) {
			if (got[k] != want[k]) {
				t_fail("%s %s out[%u] got=0x%llx want=0x%llx", map, cases[i].name,
				       k, (unsigned long long)got[k], (unsigned long long)want[k]);
				break;
			}
		}
	}
}

/* The device registers, checked against docs/abi.md rather than RAM. */
static void mmio_regs(const char *map, uintptr_t p)
{
	uint32_t c0, c1, c2;

	mx(map, "ID", mr32(p + TD_ID), TD_ID_VALUE);
	mw64(p + TD_R64, 0x0123456789ABCDEF);
	mw32(p + TD_R32, 0x89ABCDEF);
	mw16(p + TD_R16, 0xBEEF);
	mw8(p + TD_R8, 0x5A);
	mx(map, "R64", mr64(p + TD_R64), 0x0123456789ABCDEF);
	mx(map, "R32", mr32(p + TD_R32), 0x89ABCDEF);
	mx(map, "R16", mr16(p + TD_R16), 0xBEEF);
	mx(map, "R8", mr8(p + TD_R8), 0x5A);
	c0 = mr32(p + TD_COUNT);
	mw64(p + TD_SCRATCH, 1);
	c1 = mr32(p + TD_COUNT);
	mx(map, "COUNT after one 64-bit write", c1 - c0, 1);
	__asm__ volatile("cmpl $0, (%0)\n\ttestl $1, 4(%0)\n\tmovl (%0), %%eax"
			 :
			 : "r"(p + TD_SCRATCH)
			 : "rax", "cc", "memory");
	c2 = mr32(p + TD_COUNT);
	mx(map, "COUNT after CMP, TEST, load", c2 - c1, 0);
}

/* RIP-relative operands (the imm32 store puts the immediate after disp32). */
#define RIP_CASES(sym)                                                                             \
	static void rip_##sym(void)                                                                \
	{                                                                                          \
		uintptr_t s = (uintptr_t)sym + RIP_S;                                              \
		uint64_t v;                                                                        \
		uint8_t z;                                                                         \
		mw64(s, 0x5249505F4C4F4144);                                                       \
		mw64(s + 8, ~0ULL);                                                                \
		__asm__ volatile("movl " #sym "+0x300(%%rip), %k0" : "=r"(v) : : "memory");        \
		mx(#sym, "rip load", v, 0x4C4F4144);                                               \
		__asm__ volatile("movq " #sym "+0x300(%%rip), %%r10\n\tmov %%r10, %0"              \
				 : "=r"(v)                                                         \
				 :                                                                 \
				 : "r10", "memory");                                               \
		mx(#sym, "rip load r10", v, 0x5249505F4C4F4144);                                   \
		__asm__ volatile("movzbl " #sym "+0x303(%%rip), %k0" : "=r"(v) : : "memory");      \
		mx(#sym, "rip movzx", v, 0x4C);                                                    \
		__asm__ volatile("movl %k0, " #sym "+0x304(%%rip)" : : "r"(0x31u) : "memory");     \
		__asm__ volatile("movl $0x52495032, " #sym "+0x308(%%rip)" : : : "memory");        \
		__asm__ volatile("movb $0x33, " #sym "+0x30c(%%rip)" : : : "memory");              \
		__asm__ volatile("movw $0x3434, " #sym "+0x30e(%%rip)" : : : "memory");            \
		__asm__ volatile("movq $-2, " #sym "+0x310(%%rip)" : : : "memory");                \
		mx(#sym, "rip stores", mr64(s), 0x000000314C4F4144);                               \
		mx(#sym, "rip imm stores", mr64(s + 8), 0x3434FF3352495032);                       \
		mx(#sym, "rip movq imm", mr64(s + 16), 0xFFFFFFFFFFFFFFFE);                        \
		__asm__ volatile("addl $0x10, " #sym "+0x308(%%rip)" : : : "memory", "cc");        \
		__asm__ volatile("cmpl $0x52495042, " #sym "+0x308(%%rip)\n\tsete %0"              \
				 : "=q"(z)                                                         \
				 :                                                                 \
				 : "memory", "cc");                                                \
		mx(#sym, "rip add, cmp imm32", z, 1);                                              \
	}
RIP_CASES(lo_dev0)
RIP_CASES(lo_dev1)

/* moffs forms (A0-A3) with the 64-bit absolute address of the high mapping. */
#define HI_S XSTR(VA_HI_DEV_NUM) "+0x340"
static void mmio_moffs(void)
{
	uintptr_t s = VA_HI_DEV + 0x340;
	uint64_t v;

	mw64(s, 0x4D4F4646535F4F4B);
	__asm__ volatile("movabsl " HI_S ", %%eax" : "=a"(v) : : "memory");
	mx("hi0", "moffs load32", (uint32_t)v, 0x535F4F4B);
	__asm__ volatile("movabsb " HI_S "+1, %%al" : "=a"(v) : "a"(0) : "memory");
	mx("hi0", "moffs load8", v, 0x4F);
	__asm__ volatile("movabsq %%rax, " HI_S "+8" : : "a"(0x1122334455667788ULL) : "memory");
	mx("hi0", "moffs store64", mr64(s + 8), 0x1122334455667788);
	__asm__ volatile("movabsw %%ax, " HI_S "+16" : : "a"(0x6666) : "memory");
	mx("hi0", "moffs store16", mr16(s + 16), 0x6666);
}

/* Page 0 and page 1: separate storage? Then the swapped mapping must hit page 1. */
static void mmio_pages_apart(void)
{
	uintptr_t off = TD_SCRATCH + 0x80;

	mw64(GPA_TESTDEV + off, 0xAAAA0000AAAA0000);
	mw64(GPA_TESTDEV_SLOW + off, 0xBBBB0000BBBB0000);
	if (mr64(GPA_TESTDEV + off) == 0xBBBB0000BBBB0000) {
		gprintf("INFO mmio: the two device pages share their scratch\n");
		return;
	}
	mw64(VA_HI_SWAP + off, 0xCCCC0000CCCC0000);
	mx("swap", "page 1 through swapped VA", mr64(GPA_TESTDEV_SLOW + off), 0xCCCC0000CCCC0000);
	mx("swap", "page 0 untouched", mr64(GPA_TESTDEV + off), 0xAAAA0000AAAA0000);
}

static void mmio_all_cases(const char *map, uintptr_t p, uintptr_t code_off)
{
	mmio_run_cases(map, p, mmio_mov_cases, nr_mmio_mov_cases, code_off);
	mmio_run_cases(map, p, mmio_op_cases, nr_mmio_op_cases, code_off);
}

void t_mmio(void)
{
	static const struct mmio_map full[] = {
	    {"id0", GPA_TESTDEV},	 {"id1", GPA_TESTDEV_SLOW}, {"hi0", VA_HI_DEV},
	    {"hi1", VA_HI_DEV + 0x1000}, {"alias0", VA_DEV_ALIAS},
	};
	static const struct mmio_map quick[] = {
	    {"swap0", VA_HI_SWAP + 0x1000},
	    {"swap1", VA_HI_SWAP},
	    {"lo0", VA_LO_DEV},
	    {"lo1", VA_LO_DEV + 0x1000},
	    {"alias1", VA_DEV_ALIAS + 0x1000},
	};

	gprintf("mmio: alias through %s pages\n", pt_have_1g ? "1 GiB" : "2 MiB");
	if (!mx("lo_dev0", "linker.ld symbol", (uintptr_t)lo_dev0, VA_LO_DEV) ||
	    !mx("lo_dev1", "linker.ld symbol", (uintptr_t)lo_dev1, VA_LO_DEV + 0x1000))
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(full); i++) {
		mmio_regs(full[i].name, full[i].page);
		mmio_all_cases(full[i].name, full[i].page, 0);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(quick); i++) {
		mmio_regs(quick[i].name, quick[i].page);
		mmio_run_cases(quick[i].name, quick[i].page, mmio_mov_cases, 1, 0);
	}
	/* The same cases with RIP in the RAM alias: instruction bytes through the alias. */
	mmio_all_cases("hi1+code_alias", VA_HI_DEV + 0x1000, VA_RAM_ALIAS);
	rip_lo_dev0();
	rip_lo_dev1();
	mmio_pages_apart();
}

void t_mmio_extra(void)
{
	mmio_moffs();
	mmio_run_cases("id0", GPA_TESTDEV, mmio_extra_cases, nr_mmio_extra_cases, 0);
	mmio_run_cases("hi1", VA_HI_DEV + 0x1000, mmio_extra_cases, nr_mmio_extra_cases, 0);
	mmio_run_cases("id0", GPA_TESTDEV, mmio_seg_cases, nr_mmio_seg_cases, 0);
	mmio_run_cases("id1", GPA_TESTDEV_SLOW, mmio_seg_cases, nr_mmio_seg_cases, 0);
}

/*
 * mmio_selftest: the case tables against a second RAM page instead of the device (through
 * its identity and its 1 GiB alias address, code at both RIPs). Checks the cases themselves
 * where no test device exists, e.g. under plain QEMU: RAM must agree with RAM.
 */
void t_mmio_selftest(void)
{
	static uint8_t page[PAGE_SIZE] __aligned(PAGE_SIZE);
	const uintptr_t ident = (uintptr_t)page, alias = VA_RAM_ALIAS + (uintptr_t)page;

	selftest_page = page;
	mmio_all_cases("ram", ident, 0);
	mmio_run_cases("ram", ident, mmio_extra_cases, nr_mmio_extra_cases, 0);
	mmio_all_cases("ram_alias+code_alias", alias, VA_RAM_ALIAS);
	mmio_run_cases("ram_alias", alias, mmio_extra_cases, nr_mmio_extra_cases, 0);
	selftest_page = NULL;
}
