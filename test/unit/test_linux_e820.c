/*
 * Unit tests for loader/linux_e820.c: the e820 map of several VM layouts (RAM only, RAM with a
 * hole and RAM above 4 GiB, shared, ROM and MMIO regions, reserved ranges over RAM, holes
 * and the low megabyte), merging, sorting, truncation to the caller's array. Expected maps
 * are written out by hand from the rules in docs/linux.md.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/types.h"
#include "loader/linux.h"

#define REG(g, s, k)                                                                               \
	{                                                                                          \
		.gpa = (g), .size = (s), .kind = (k), .rights = REGION_RWX                         \
	}
#define G4 0x100000000ULL

struct want {
	uint64_t addr, size;
	uint32_t type;
};

static void check_map(const struct vm_region *regs, unsigned nr, const struct linux_range *res,
		      unsigned nr_res, const struct want *want, unsigned nr_want)
{
	struct vm_config cfg = {.name = "m", .regions = regs, .nr_regions = nr};
	struct linux_e820_entry got[LINUX_E820_MAX];
	unsigned n = linux_e820(&cfg, res, nr_res, got, LINUX_E820_MAX);

	for (unsigned i = 0; i < n && i < nr_want; i++)
		if (got[i].addr != want[i].addr || got[i].size != want[i].size ||
		    got[i].type != want[i].type)
			fail_msg("entry %u: [0x%llx+0x%llx) type %u, want [0x%llx+0x%llx) type %u",
				 i, (unsigned long long)got[i].addr,
				 (unsigned long long)got[i].size, got[i].type,
				 (unsigned long long)want[i].addr, (unsigned long long)want[i].size,
				 want[i].type);
	assert_int_equal(n, nr_want);
	assert_int_equal(linux_e820_walk(&cfg, res, nr_res, NULL, NULL), nr_want);
}

static void test_ram_only(void **state)
{
	static const struct vm_region regs[] = {REG(0, 256 * MiB, REGION_RAM)};
	static const struct want want[] = {
	    {0, 0x9F000, E820_RAM},
	    {0x9F000, 0x61000, E820_RESERVED},
	    {0x100000, 255 * MiB, E820_RAM},
	};

	check_map(regs, 1, NULL, 0, want, 3);
}

/* RAM ending inside the low megabyte: only what there is, the top of it reserved. */
static void test_low_ram_only(void **state)
{
	static const struct vm_region a[] = {REG(0, 0xA0000, REGION_RAM)};
	static const struct want wa[] = {{0, 0x9F000, E820_RAM}, {0x9F000, 0x1000, E820_RESERVED}};
	static const struct vm_region b[] = {REG(0, 0x80000, REGION_RAM)};
	static const struct want wb[] = {{0, 0x80000, E820_RAM}};
	static const struct vm_region c[] = {REG(MiB, MiB, REGION_RAM)};
	static const struct want wc[] = {{MiB, MiB, E820_RAM}};

	check_map(a, 1, NULL, 0, wa, 2);
	check_map(b, 1, NULL, 0, wb, 1);
	check_map(c, 1, NULL, 0, wc, 1);
}

/* RAM, a hole up to the MMIO of a PC, RAM above 4 GiB; listed out of order. */
static void test_hole_and_high_ram(void **state)
{
	static const struct vm_region regs[] = {
	    REG(G4, 2 * GiB, REGION_RAM),
	    REG(0xFFF00000ULL, 64 * KiB, REGION_ROM),
	    REG(0xFEC00000ULL, 4 * KiB, REGION_MMIO_PASS),
	    REG(0xD0000000ULL, 4 * KiB, REGION_MMIO_EMUL),
	    REG(0, 2 * GiB, REGION_RAM),
	};
	static const struct want want[] = {
	    {0, 0x9F000, E820_RAM},
	    {0x9F000, 0x61000, E820_RESERVED},
	    {0x100000, 2 * GiB - MiB, E820_RAM},
	    {0xD0000000ULL, 4 * KiB, E820_RESERVED},
	    {0xFEC00000ULL, 4 * KiB, E820_RESERVED},
	    {0xFFF00000ULL, 64 * KiB, E820_RESERVED},
	    {G4, 2 * GiB, E820_RAM},
	};

	check_map(regs, ARRAY_SIZE(regs), NULL, 0, want, ARRAY_SIZE(want));
}

/* A shared region next to RAM is reserved; adjacent RAM regions and reserved kinds merge. */
static void test_shared_and_merging(void **state)
{
	static const struct vm_region regs[] = {
	    REG(8 * MiB, 8 * MiB, REGION_RAM),	      REG(0, 8 * MiB, REGION_RAM),
	    REG(16 * MiB, MiB, REGION_SHARED),	      REG(17 * MiB, MiB, REGION_MMIO_EMUL),
	    REG(18 * MiB, 4 * KiB, REGION_MMIO_PASS), REG(20 * MiB, MiB, REGION_SHARED),
	};
	static const struct want want[] = {
	    {0, 0x9F000, E820_RAM},	    {0x9F000, 0x61000, E820_RESERVED},
	    {MiB, 15 * MiB, E820_RAM},	    {16 * MiB, 2 * MiB + 4 * KiB, E820_RESERVED},
	    {20 * MiB, MiB, E820_RESERVED},
	};

	check_map(regs, ARRAY_SIZE(regs), NULL, 0, want, ARRAY_SIZE(want));
}

/* A BIOS ROM in the low megabyte merges with the reserved top of low RAM. */
static void test_low_rom(void **state)
{
	static const struct vm_region regs[] = {
	    REG(0, 0xE0000, REGION_RAM),
	    REG(0xE0000, 0x20000, REGION_ROM),
	    REG(MiB, 7 * MiB, REGION_RAM),
	};
	static const struct want want[] = {
	    {0, 0x9F000, E820_RAM},
	    {0x9F000, 0x61000, E820_RESERVED},
	    {MiB, 7 * MiB, E820_RAM},
	};

	check_map(regs, ARRAY_SIZE(regs), NULL, 0, want, ARRAY_SIZE(want));
}

/* The caller's ranges: ACPI tables in RAM, a reserved page in a hole, one in the low hole. */
static void test_reserved_ranges(void **state)
{
	static const struct vm_region regs[] = {
	    REG(0, 64 * MiB, REGION_RAM),
	    REG(0xFEC00000ULL, 4 * KiB, REGION_MMIO_EMUL),
	};
	static const struct linux_range res[] = {
	    {0x3FF0000, 0x10000, E820_ACPI},	    /* the top of RAM */
	    {0x1000000, 0x3000, E820_NVS},	    /* in the middle: splits RAM */
	    {0xFEC01000ULL, 0x1000, E820_RESERVED}, /* a hole, next to MMIO: merges */
	    {0xE0000, 0x10000, E820_ACPI},	    /* inside the low hole: its own type */
	};
	static const struct want want[] = {
	    {0, 0x9F000, E820_RAM},
	    {0x9F000, 0x41000, E820_RESERVED},
	    {0xE0000, 0x10000, E820_ACPI},
	    {0xF0000, 0x10000, E820_RESERVED},
	    {MiB, 15 * MiB, E820_RAM},
	    {0x1000000, 0x3000, E820_NVS},
	    {0x1003000, 0x3FF0000 - 0x1003000, E820_RAM},
	    {0x3FF0000, 0x10000, E820_ACPI},
	    {0xFEC00000ULL, 0x2000, E820_RESERVED},
	};

	check_map(regs, ARRAY_SIZE(regs), res, ARRAY_SIZE(res), want, ARRAY_SIZE(want));
}

/* Reserved ranges with the same type as their neighbour merge with it; unaligned ones too. */
static void test_reserved_merge(void **state)
{
	static const struct vm_region regs[] = {REG(MiB, MiB, REGION_RAM),
						REG(2 * MiB, MiB, REGION_ROM)};
	static const struct linux_range res[] = {
	    {2 * MiB - 0x800, 0x800, E820_RESERVED},
	    {MiB + 0x10, 0x20, E820_UNUSABLE},
	};
	static const struct want want[] = {
	    {MiB, 0x10, E820_RAM},
	    {MiB + 0x10, 0x20, E820_UNUSABLE},
	    {MiB + 0x30, MiB - 0x830, E820_RAM},
	    {2 * MiB - 0x800, MiB + 0x800, E820_RESERVED},
	};

	check_map(regs, ARRAY_SIZE(regs), res, ARRAY_SIZE(res), want, ARRAY_SIZE(want));
}

static void test_empty_and_truncated(void **state)
{
	static const struct vm_region regs[] = {REG(0, 16 * MiB, REGION_RAM)};
	struct vm_config none = {.name = "e"},
			 cfg = {.name = "t", .regions = regs, .nr_regions = 1};
	struct linux_e820_entry got[2], sentinel = {0x5a, 0x5a, 0x5a};

	assert_int_equal(linux_e820(&none, NULL, 0, NULL, 0), 0);
	got[1] = sentinel;
	assert_int_equal(linux_e820(&cfg, NULL, 0, got, 1), 3); /* the count, one written */
	assert_int_equal(got[0].addr, 0);
	assert_int_equal(got[0].size, 0x9F000);
	assert_int_equal(got[0].type, E820_RAM);
	assert_memory_equal(&got[1], &sentinel, sizeof(sentinel));
	assert_int_equal(linux_e820(&cfg, NULL, 0, NULL, 5), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ram_only),	      cmocka_unit_test(test_low_ram_only),
	    cmocka_unit_test(test_hole_and_high_ram), cmocka_unit_test(test_shared_and_merging),
	    cmocka_unit_test(test_low_rom),	      cmocka_unit_test(test_reserved_ranges),
	    cmocka_unit_test(test_reserved_merge),    cmocka_unit_test(test_empty_and_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
