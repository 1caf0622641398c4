/*
 * Unit tests for fw/acpi_hw.c: HPET, MCFG and DMAR laid out byte by byte at the offsets
 * of their specifications (valid, short, odd entries, too many), and the list of host
 * register windows acpi_platform_mmio builds from them, with its defaults.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fw/acpi.h"
#include "lib/errno.h"
#include "test/unit/acpi_fixture.h"

#define MCFG_PA 0x17000
#define DMAR_PA 0x18000

/* Only the tables at @pas, from an RSDT. */
static void parse_only(const uint64_t *pas, unsigned n)
{
	place_root(RSDT_PA, "RSDT", pas, n);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
}

static void mcfg_entry(struct tbl *t, uint64_t base, uint16_t seg, uint8_t start, uint8_t end)
{
	put64(t, base);
	put16(t, seg);
	put8(t, start);
	put8(t, end);
	put32(t, 0);
}

static void mcfg_begin(struct tbl *t)
{
	tbl_begin(t, "MCFG");
	put64(t, 0); /* 36: reserved */
	assert_int_equal(t->n, 44);
}

static void dmar_begin(struct tbl *t)
{
	tbl_begin(t, "DMAR");
	put8(t, 38); /* 36: host address width, 39 bits */
	put8(t, 1);  /* 37: INTR_REMAP */
	for (int i = 0; i < 10; i++)
		put8(t, 0);
	assert_int_equal(t->n, 48);
}

/* A DRHD with one PCI endpoint device scope (6 + 2 bytes). */
static void dmar_drhd(struct tbl *t, uint8_t flags, uint8_t size, uint16_t seg, uint64_t base)
{
	put16(t, 0);  /* type */
	put16(t, 24); /* length */
	put8(t, flags);
	put8(t, size);
	put16(t, seg);
	put64(t, base);
	put8(t, 1); /* device scope: PCI endpoint */
	put8(t, 8);
	put16(t, 0);
	put8(t, 0); /* enumeration ID */
	put8(t, 0); /* start bus */
	put8(t, 2); /* device 2 */
	put8(t, 0); /* function 0 */
}

static void expect_mmio(const struct acpi_mmio *m, uint64_t start, uint64_t end, const char *what)
{
	assert_int_equal(m->start, start);
	assert_int_equal(m->end, end);
	assert_string_equal(m->what, what);
}

/* ---- HPET ---- */

static void test_pc_platform(void **state)
{
	struct acpi_mmio m[ACPI_MAX_MMIO];

	place_pc();
	assert_int_equal(parse(rsdp(2, RSDT_PA, XSDT_PA, 36), 36), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.nr_hpets, 1);
	assert_int_equal(info.hpets[0], 0xfed00000);
	assert_int_equal(acpi_platform_mmio(&info, m, ACPI_MAX_MMIO), 3);
	expect_mmio(&m[0], 0xfee00000, 0xfee01000, "local APIC");
	expect_mmio(&m[1], 0xfec00000, 0xfec01000, "IOAPIC");
	expect_mmio(&m[2], 0xfed00000, 0xfed01000, "HPET");
}

static void test_hpet_faults(void **state)
{
	uint64_t e[] = {HPET_PA, 0x20000, 0x21000};
	struct tbl t;

	place_hpet(HPET_PA, ACPI_GAS_IO, 0x400);
	place_hpet(0x20000, ACPI_GAS_MEMORY, 0);
	tbl_begin(&t, "HPET");
	put32(&t, 0);
	tbl_place(&t, 0x21000);
	parse_only(e, 3);
	assert_int_equal(info.nr_errors, 3);
	assert_string_equal(info.errors[0], "HPET at 0x16000: base 0x400 in address space 1, "
					    "want system memory");
	assert_string_equal(info.errors[1],
			    "HPET at 0x20000: base 0x0 in address space 0, want system memory");
	assert_string_equal(info.errors[2], "HPET at 0x21000: length 40, want 56..16777216");
	assert_int_equal(info.nr_hpets, 0);
}

static void test_hpet_many_unaligned(void **state)
{
	uint64_t e[5];
	struct acpi_mmio m[ACPI_MAX_MMIO];

	for (unsigned i = 0; i < 5; i++) {
		e[i] = 0x20000 + i * 0x1000;
		place_hpet(e[i], ACPI_GAS_MEMORY, 0xfed00400 + i * 0x1000);
	}
	parse_only(e, 5);
	assert_int_equal(info.nr_errors, 1);
	assert_string_equal(info.errors[0],
			    "more than 4 HPET tables; the one at 0x24000 is ignored");
	assert_int_equal(info.nr_hpets, ACPI_MAX_HPETS);
	assert_int_equal(info.hpets[3], 0xfed03400);
	/* no MADT: the default local APIC and IOAPIC, then the four HPET pages */
	assert_int_equal(acpi_platform_mmio(&info, m, ACPI_MAX_MMIO), 6);
	expect_mmio(&m[0], 0xfee00000, 0xfee01000, "local APIC");
	expect_mmio(&m[1], 0xfec00000, 0xfec01000, "IOAPIC");
	expect_mmio(&m[2], 0xfed00000, 0xfed01000, "HPET");
	expect_mmio(&m[5], 0xfed03000, 0xfed04000, "HPET");
}

/* ---- MCFG ---- */

static void test_mcfg(void **state)
{
	uint64_t e[] = {MCFG_PA};
	struct acpi_mmio m[ACPI_MAX_MMIO];
	struct tbl t;

	mcfg_begin(&t);
	mcfg_entry(&t, 0xe0000000, 0, 0, 255);
	mcfg_entry(&t, 0xf0000000, 1, 8, 15);
	mcfg_entry(&t, 0xf8000000, 2, 9, 8); /* end before start */
	put8(&t, 0);			     /* a stray byte */
	tbl_place(&t, MCFG_PA);
	parse_only(e, 1);
	assert_int_equal(info.nr_errors, 2);
	assert_string_equal(info.errors[0],
			    "MCFG: length 93 is not a whole number of 16-byte entries");
	assert_string_equal(info.errors[1],
			    "MCFG entry 2: base 0xf8000000 buses 9..8 is no window; ignored");
	assert_int_equal(info.nr_ecams, 2);
	assert_int_equal(info.ecams[1].base, 0xf0000000);
	assert_int_equal(info.ecams[1].segment, 1);
	assert_int_equal(info.ecams[1].start_bus, 8);
	assert_int_equal(info.ecams[1].end_bus, 15);
	assert_int_equal(acpi_platform_mmio(&info, m, ACPI_MAX_MMIO), 5);
	expect_mmio(&m[3], 0xe0000000, 0xf0000000, "PCI ECAM");
	expect_mmio(&m[4], 0xf0800000, 0xf1000000, "PCI ECAM");
}

static void test_mcfg_limits(void **state)
{
	uint64_t e[] = {MCFG_PA, 0x20000};
	struct tbl t;

	mcfg_begin(&t);
	for (unsigned i = 0; i < 9; i++)
		mcfg_entry(&t, 0x100000000ULL * (i + 1), (uint16_t)i, 0, 0);
	tbl_place(&t, MCFG_PA);
	mcfg_begin(&t);
	mcfg_entry(&t, 0xfffffffffff00000ULL, 0, 0, 0); /* one bus wraps past 2^64 */
	tbl_place(&t, 0x20000);
	parse_only(e, 2);
	assert_int_equal(info.nr_errors, 2);
	assert_string_equal(info.errors[0], "MCFG: more than 8 entries; entry 8 ignored");
	assert_string_equal(info.errors[1], "MCFG entry 0: base 0xfffffffffff00000 "
					    "buses 0..0 is no window; ignored");
	assert_int_equal(info.nr_ecams, ACPI_MAX_MCFGS);
}

/* ---- DMAR ---- */

static void test_dmar(void **state)
{
	uint64_t e[] = {DMAR_PA};
	struct acpi_mmio m[ACPI_MAX_MMIO];
	struct tbl t;

	dmar_begin(&t);
	dmar_drhd(&t, 0, 0, 0, 0xfed90000);
	put16(&t, 1); /* an RMRR, skipped */
	put16(&t, 24);
	for (int i = 0; i < 20; i++)
		put8(&t, 0xee);
	dmar_drhd(&t, ACPI_DRHD_INCLUDE_PCI_ALL, 2, 1, 0xfed91000);
	tbl_place(&t, DMAR_PA);
	parse_only(e, 1);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.nr_drhds, 2);
	assert_int_equal(info.drhds[0].base, 0xfed90000);
	assert_int_equal(info.drhds[0].size, 0x1000);
	assert_int_equal(info.drhds[1].size, 0x4000);
	assert_int_equal(info.drhds[1].segment, 1);
	assert_int_equal(info.drhds[1].flags, ACPI_DRHD_INCLUDE_PCI_ALL);
	assert_int_equal(acpi_platform_mmio(&info, m, ACPI_MAX_MMIO), 5);
	expect_mmio(&m[3], 0xfed90000, 0xfed91000, "IOMMU");
	expect_mmio(&m[4], 0xfed91000, 0xfed95000, "IOMMU");
}

static void test_dmar_faults(void **state)
{
	uint64_t e[] = {DMAR_PA, 0x20000};
	struct tbl t;

	dmar_begin(&t);
	put16(&t, 0); /* a DRHD of 8 bytes */
	put16(&t, 8);
	put32(&t, 0);
	dmar_drhd(&t, 0, 0, 0, 0); /* register base 0 */
	put16(&t, 3);		   /* length 2: the walk ends */
	put16(&t, 2);
	dmar_drhd(&t, 0, 0, 0, 0xfed90000); /* never reached */
	tbl_place(&t, DMAR_PA);
	dmar_begin(&t);
	for (unsigned i = 0; i < 9; i++)
		dmar_drhd(&t, 0, 0, 0, 0xfed80000 + i * 0x1000);
	put8(&t, 0); /* three bytes left: no room for a structure header */
	put8(&t, 0);
	put8(&t, 0);
	tbl_place(&t, 0x20000);
	parse_only(e, 2);
	assert_int_equal(info.nr_errors, 5);
	assert_string_equal(info.errors[0], "DMAR: DRHD at +48: length 8, want 16; ignored");
	assert_string_equal(info.errors[1], "DMAR: DRHD at +56: register base 0x0; ignored");
	assert_string_equal(info.errors[2],
			    "DMAR: structure at +80 (type 3): length 2 does not fit");
	assert_string_equal(info.errors[3],
			    "DMAR: more than 8 DRHDs; the one at 0xfed88000 is ignored");
	assert_string_equal(info.errors[4],
			    "DMAR: structure at +264 (type 0): length 0 does not fit");
	assert_int_equal(info.nr_drhds, ACPI_MAX_DRHDS);
	assert_int_equal(info.drhds[0].base, 0xfed80000);
}

/* ---- the list's defaults and bound ---- */

static void test_platform_defaults(void **state)
{
	struct acpi_mmio m[ACPI_MAX_MMIO];

	assert_int_equal(acpi_platform_mmio(NULL, m, ACPI_MAX_MMIO), 3);
	expect_mmio(&m[0], 0xfee00000, 0xfee01000, "local APIC");
	expect_mmio(&m[1], 0xfec00000, 0xfec01000, "IOAPIC");
	expect_mmio(&m[2], 0xfed00000, 0xfed01000, "HPET");
	memset(m, 0, sizeof(m));
	assert_int_equal(acpi_platform_mmio(NULL, m, 2), 2);
	assert_null(m[2].what);
	assert_int_equal(acpi_platform_mmio(NULL, m, 0), 0);
}

/* The MADT's local APIC override and every IOAPIC it lists, page-aligned. */
static void test_platform_madt(void **state)
{
	uint64_t e[] = {MADT_PA};
	struct acpi_mmio m[ACPI_MAX_MMIO];
	struct tbl t;

	madt_begin(&t);
	madt_ioapic(&t, 1, 0xfec00000, 0);
	madt_ioapic(&t, 2, 0xfec10020, 24);
	put8(&t, 5); /* local APIC address override */
	put8(&t, 12);
	put16(&t, 0);
	put64(&t, 0x1fee00000ULL);
	tbl_place(&t, MADT_PA);
	parse_only(e, 1);
	assert_int_equal(acpi_platform_mmio(&info, m, ACPI_MAX_MMIO), 4);
	expect_mmio(&m[0], 0x1fee00000ULL, 0x1fee01000ULL, "local APIC");
	expect_mmio(&m[1], 0xfec00000, 0xfec01000, "IOAPIC");
	expect_mmio(&m[2], 0xfec10000, 0xfec11000, "IOAPIC");
	expect_mmio(&m[3], 0xfed00000, 0xfed01000, "HPET");
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_pc_platform), T(test_hpet_faults),	    T(test_hpet_many_unaligned),
	    T(test_mcfg),	 T(test_mcfg_limits),	    T(test_dmar),
	    T(test_dmar_faults), T(test_platform_defaults), T(test_platform_madt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
