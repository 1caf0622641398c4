/*
 * Unit tests for mm/mtrr.c against a model of a PC's MTRRs: write-back by default, the
 * PCI hole [3 GiB, 4 GiB) uncached by one variable MTRR, the legacy fixed ranges (VGA
 * UC, ROMs WP). Every expected type is read off the SDM's rules by hand.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mm/mtrr.h"

#define MASK(size) ((~((size)-1) & GENMASK(38, 12)) | MTRR_PHYS_VALID) /* maxphyaddr 39 */

static struct mtrr_state pc(void)
{
	struct mtrr_state m = {.present = true,
			       .def_type = MTRR_DEF_E | MTRR_DEF_FE | MTRR_WB,
			       .has_fixed = true,
			       .nr_var = 8,
			       .maxphyaddr = 39};

	for (unsigned i = 0; i < MTRR_NR_FIXED; i++)
		m.fixed[i] = MTRR_WB;
	for (unsigned i = 8 + 8; i < 24; i++) /* [0xa0000, 0xc0000): VGA */
		m.fixed[i] = MTRR_UC;
	for (unsigned i = 24; i < MTRR_NR_FIXED; i++) /* [0xc0000, 0x100000): ROMs */
		m.fixed[i] = MTRR_WP;
	m.base[0] = 3 * GiB | MTRR_UC;
	m.mask[0] = MASK(1 * GiB);
	return m;
}

static void test_pc_gib(void **state)
{
	struct mtrr_state m = pc();

	assert_int_equal(mtrr_type(&m, 0, GiB), MTRR_MIXED); /* fixed ranges differ */
	assert_int_equal(mtrr_type(&m, 1 * GiB, GiB), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 2 * GiB, GiB), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 3 * GiB, GiB), MTRR_UC); /* the PCI hole */
	assert_int_equal(mtrr_type(&m, 4 * GiB, GiB), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 3 * GiB + 510 * MiB, 2 * MiB), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 3 * GiB - 2 * MiB, 2 * MiB), MTRR_WB);
}

static void test_pc_first_mib(void **state)
{
	struct mtrr_state m = pc();

	assert_int_equal(mtrr_type(&m, 0, 2 * MiB), MTRR_MIXED);
	assert_int_equal(mtrr_type(&m, 0, 4 * KiB), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 0x9f000, 4 * KiB), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 0xa0000, 4 * KiB), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0xbf000, 4 * KiB), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0xc0000, 4 * KiB), MTRR_WP);
	assert_int_equal(mtrr_type(&m, 0xff000, 4 * KiB), MTRR_WP);
	assert_int_equal(mtrr_type(&m, 0x100000, 4 * KiB), MTRR_WB); /* variable/default again */
	assert_int_equal(mtrr_type(&m, 2 * MiB, 2 * MiB), MTRR_WB);
	/* fixed ranges off (FE clear): the first MiB follows the default */
	m.def_type &= ~MTRR_DEF_FE;
	assert_int_equal(mtrr_type(&m, 0xa0000, 4 * KiB), MTRR_WB);
	assert_int_equal(mtrr_type(&m, 0, 2 * MiB), MTRR_WB);
	/* all fixed ranges WB and FE on: the first 2 MiB is one type again */
	m = pc();
	memset(m.fixed, MTRR_WB, sizeof(m.fixed));
	assert_int_equal(mtrr_type(&m, 0, 2 * MiB), MTRR_WB);
	m.fixed[MTRR_NR_FIXED - 1] = MTRR_UC; /* [0xff000, 0x100000) */
	assert_int_equal(mtrr_type(&m, 0, 2 * MiB), MTRR_MIXED);
	assert_int_equal(mtrr_type(&m, 0xff000, 4 * KiB), MTRR_UC);
}

/* A range a variable MTRR covers only part of is never one type. */
static void test_partial(void **state)
{
	struct mtrr_state m = pc();

	m.base[1] = 0x40000000 | MTRR_WC; /* 1 GiB + [0, 256 MiB): a framebuffer */
	m.mask[1] = MASK(256 * MiB);
	assert_int_equal(mtrr_type(&m, 1 * GiB, GiB), MTRR_MIXED);
	assert_int_equal(mtrr_type(&m, 1 * GiB, 2 * MiB), MTRR_WC);
	assert_int_equal(mtrr_type(&m, 1 * GiB + 254 * MiB, 2 * MiB), MTRR_WC);
	assert_int_equal(mtrr_type(&m, 1 * GiB + 256 * MiB, 2 * MiB), MTRR_WB);
	/* a 4 KiB variable range inside a 2 MiB page */
	m.base[2] = (5 * GiB + 8 * KiB) | MTRR_UC;
	m.mask[2] = MASK(4 * KiB);
	assert_int_equal(mtrr_type(&m, 5 * GiB, 2 * MiB), MTRR_MIXED);
	assert_int_equal(mtrr_type(&m, 5 * GiB + 8 * KiB, 4 * KiB), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 5 * GiB + 4 * KiB, 4 * KiB), MTRR_WB);
	/* an invalid (V clear) entry and one past VCNT count for nothing */
	m.mask[2] &= ~MTRR_PHYS_VALID;
	assert_int_equal(mtrr_type(&m, 5 * GiB, 2 * MiB), MTRR_WB);
	m.base[9] = 6 * GiB | MTRR_UC;
	m.mask[9] = MASK(GiB);
	assert_int_equal(mtrr_type(&m, 6 * GiB, GiB), MTRR_WB);
}

/* SDM "MTRR Precedences": UC wins; WT over WB; any other mix is undefined (UC here). */
static void test_overlaps(void **state)
{
	struct mtrr_state m = pc();

	m.base[1] = 8 * GiB | MTRR_WT;
	m.mask[1] = MASK(GiB);
	m.base[2] = 8 * GiB | MTRR_WB;
	m.mask[2] = MASK(2 * GiB);
	assert_int_equal(mtrr_type(&m, 8 * GiB, GiB), MTRR_WT);
	assert_int_equal(mtrr_type(&m, 9 * GiB, GiB), MTRR_WB);
	m.base[1] = 8 * GiB | MTRR_UC;
	assert_int_equal(mtrr_type(&m, 8 * GiB, GiB), MTRR_UC);
	m.base[1] = 8 * GiB | MTRR_WC;
	m.base[2] = 8 * GiB | MTRR_WT;
	assert_int_equal(mtrr_type(&m, 8 * GiB, GiB), MTRR_UC);
	m.base[2] = 8 * GiB | MTRR_WC; /* the same type twice is that type */
	assert_int_equal(mtrr_type(&m, 8 * GiB, GiB), MTRR_WC);
}

static void test_disabled(void **state)
{
	struct mtrr_state m = pc();

	m.def_type &= ~MTRR_DEF_E; /* MTRRs off: everything UC, one type */
	assert_int_equal(mtrr_type(&m, 0, GiB), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 3 * GiB, GiB), MTRR_UC);
	m = pc();
	m.present = false;
	assert_int_equal(mtrr_type(&m, 1 * GiB, GiB), MTRR_UC);
	m = pc();
	m.def_type = MTRR_DEF_E | MTRR_UC; /* UC default, only the fixed ones off */
	m.nr_var = 0;
	assert_int_equal(mtrr_type(&m, 1 * GiB, GiB), MTRR_UC);
	assert_int_equal(mtrr_type(&m, 0xc0000, 4 * KiB), MTRR_UC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pc_gib),   cmocka_unit_test(test_pc_first_mib),
	    cmocka_unit_test(test_partial),  cmocka_unit_test(test_overlaps),
	    cmocka_unit_test(test_disabled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
