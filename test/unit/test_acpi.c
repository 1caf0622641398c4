/*
 * Unit tests for fw/acpi.c table walking: RSDP, RSDT vs XSDT, MADT and FADT laid out
 * byte by byte (valid, bad checksums, truncated, odd entries) and error reporting.
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

/* ---- root tables ---- */

static void test_xsdt(void **state)
{
	place_pc();
	assert_int_equal(parse(rsdp(2, RSDT_PA, XSDT_PA, 36), 36), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_true(info.xsdt);
	assert_int_equal(info.root_addr, XSDT_PA);
	assert_int_equal(info.revision, 2);
	assert_string_equal(info.oem_id, "BOCHS ");
	assert_int_equal(info.nr_tables, 3);
	check_pc(&info);
}

static void test_rsdt_v1(void **state)
{
	place_pc();
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_false(info.xsdt);
	assert_int_equal(info.root_addr, RSDT_PA);
	check_pc(&info);
}

/* A revision-2 RSDP without an XSDT address uses the RSDT, silently. */
static void test_rsdp_v2_without_xsdt(void **state)
{
	place_pc();
	assert_int_equal(parse(rsdp(2, RSDT_PA, 0, 36), 36), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_false(info.xsdt);
	check_pc(&info);
}

static void test_bad_xsdt_falls_back(void **state)
{
	uint64_t e[] = {FADT_PA, MADT_PA};
	struct tbl t;

	place_pc();
	regions[nr_regions - 1].pa = 0x99000; /* move the good XSDT away */
	tbl_begin(&t, "XSDT");
	put64(&t, e[0]);
	put64(&t, e[1]);
	tbl_end_len(&t, 0);
	t.b[40] ^= 1; /* corrupt after the checksum */
	place(XSDT_PA, t.b, t.n);
	assert_int_equal(parse(rsdp(2, RSDT_PA, XSDT_PA, 36), 36), 0);
	assert_true(has_error(&info, "XSDT at 0x15000: bad checksum"));
	assert_true(has_error(&info, "falling back to the RSDT"));
	assert_false(info.xsdt);
	check_pc(&info);
}

static void test_rsdp_faults(void **state)
{
	uint8_t r[36];

	place_pc();
	memcpy(r, rsdp(0, RSDT_PA, 0, 20), 20);
	assert_int_equal(parse(r, 19), -EINVAL);
	assert_true(has_error(&info, "RSDP: 19 bytes"));
	r[0] = 'X';
	assert_int_equal(parse(r, 20), -EINVAL);
	assert_true(has_error(&info, "bad signature"));
	memcpy(r, rsdp(0, RSDT_PA, 0, 20), 20);
	r[16]++; /* RSDT address: breaks the checksum */
	assert_int_equal(parse(r, 20), -EINVAL);
	assert_true(has_error(&info, "RSDP: bad checksum"));
	assert_false(info.has_madt);
	assert_int_equal(acpi_parse(NULL, 0, fake_map, NULL, 0, &info), -EINVAL);
}

/* A broken ACPI 2.0 part loses the XSDT only. */
static void test_rsdp_v2_faults(void **state)
{
	uint8_t r[36];

	place_pc();
	memcpy(r, rsdp(2, RSDT_PA, XSDT_PA, 36), 36);
	r[33] = 1; /* reserved byte: breaks the extended checksum only */
	assert_int_equal(parse(r, 36), 0);
	assert_true(has_error(&info, "bad extended checksum"));
	assert_false(info.xsdt);
	check_pc(&info);
	/* revision 2 in a 20-byte copy (GRUB's old-RSDP tag) */
	assert_int_equal(parse(rsdp(2, RSDT_PA, XSDT_PA, 20), 20), 0);
	assert_true(has_error(&info, "revision 2 but length"));
	assert_false(info.xsdt);
	check_pc(&info);
}

static void test_no_root(void **state)
{
	place_pc();
	assert_int_equal(parse(rsdp(0, 0x123000, 0, 20), 20), -EINVAL);
	assert_true(has_error(&info, "RSDT at 0x123000: header cannot be read"));
	assert_true(has_error(&info, "no usable RSDT or XSDT"));
	assert_false(info.has_madt);
	assert_false(info.has_fadt);
	assert_int_equal(parse(rsdp(0, MADT_PA, 0, 20), 20), -EINVAL);
	assert_true(has_error(&info, "table at 0x12000: signature \"APIC\", want \"RSDT\""));
}

/* Root entries that cannot be read or have odd lengths are reported; the rest is used. */
static void test_root_entry_faults(void **state)
{
	uint64_t e[] = {0, 0xdead000, FADT_PA, MADT_PA};
	struct tbl t;

	place_pc();
	place_root(0x20000, "RSDT", e, 4);
	tbl_begin(&t, "RSDT");
	put32(&t, FADT_PA);
	put32(&t, MADT_PA);
	put16(&t, 0);
	tbl_place(&t, 0x21000);
	assert_int_equal(parse(rsdp(0, 0x20000, 0, 20), 20), 0);
	assert_true(has_error(&info, "RSDT entry 0: table at 0x0 cannot be read"));
	assert_true(has_error(&info, "RSDT entry 1: table at 0xdead000 cannot be read"));
	check_pc(&info);
	assert_int_equal(info.nr_tables, 4);
	assert_int_equal(parse(rsdp(0, 0x21000, 0, 20), 20), 0);
	assert_true(has_error(&info, "not a whole number of 4-byte entries"));
	assert_int_equal(info.nr_tables, 2);
	assert_int_equal(info.nr_cpus, 2);
}

/* ---- MADT ---- */

static void test_madt_bad_checksum(void **state)
{
	struct tbl t;
	uint64_t e[] = {MADT_PA, FADT_PA};
	struct fadt_opts fo = {.pm1a_cnt = 0x404};

	madt_std(&t);
	tbl_end_len(&t, 0);
	t.b[50]++;
	place(MADT_PA, t.b, t.n);
	place_fadt(&fo);
	place_root(RSDT_PA, "RSDT", e, 2);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
	assert_true(has_error(&info, "APIC at 0x12000: bad checksum"));
	assert_false(info.has_madt);
	assert_int_equal(info.nr_cpus, 0);
	assert_true(info.has_fadt);
	assert_int_equal(info.pm1a_cnt, 0x404);
	assert_false(info.has_s5); /* no DSDT address */
}

/* The header claims more bytes than memory holds: the table cannot be read whole. */
static void test_madt_truncated(void **state)
{
	struct tbl t;

	madt_std(&t);
	tbl_end_len(&t, (uint32_t)t.n + 8);
	place(MADT_PA, t.b, t.n);
	uint64_t e[] = {MADT_PA};
	place_root(RSDT_PA, "RSDT", e, 1);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
	assert_true(has_error(&info, "APIC at 0x12000: its 98 bytes cannot be read"));
	assert_false(info.has_madt);
	/* shorter than the MADT header */
	teardown(NULL);
	madt_begin(&t);
	t.n = 40;
	parse_with_madt(&t, 0);
	assert_true(has_error(&info, "APIC at 0x12000: length 40, want 44.."));
	assert_false(info.has_madt);
}

/* An entry running past the table ends the walk; what came before is kept. */
static void test_madt_entry_past_end(void **state)
{
	struct tbl t;

	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	madt_lapic(&t, 1, 1, 1);
	t.n -= 2; /* the second entry's flags are cut short */
	parse_with_madt(&t, 0);
	assert_true(info.has_madt);
	assert_true(has_error(&info, "MADT: entry at +52 (type 0): length 8 does not fit"));
	assert_int_equal(info.nr_cpus, 1);
	/* a single trailing byte */
	teardown(NULL);
	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	put8(&t, 0);
	parse_with_madt(&t, 0);
	assert_true(has_error(&info, "entry at +52 (type 0): length 0"));
	assert_int_equal(info.nr_cpus, 1);
}

/* Length 0 must not loop; a too-short known entry is skipped, the walk goes on. */
static void test_madt_entry_lengths(void **state)
{
	struct tbl t;

	madt_begin(&t);
	put8(&t, 0);
	put8(&t, 0);
	madt_lapic(&t, 1, 1, 1);
	parse_with_madt(&t, 0);
	assert_true(has_error(&info, "entry at +44 (type 0): length 0 does not fit"));
	assert_int_equal(info.nr_cpus, 0);

	teardown(NULL);
	madt_begin(&t);
	put8(&t, 1); /* an IOAPIC entry of 6 bytes */
	put8(&t, 6);
	put32(&t, 0);
	put8(&t, 0x7f); /* unknown type, skipped silently */
	put8(&t, 3);
	put8(&t, 0);
	madt_lapic(&t, 7, 7, 1);
	madt_lapic(&t, 8, 8, 3); /* enabled and online-capable */
	parse_with_madt(&t, 0);
	assert_true(has_error(&info, "entry at +44 (type 1): length 6, want 12; ignored"));
	assert_int_equal(info.nr_errors, 1);
	assert_int_equal(info.nr_ioapics, 0);
	assert_int_equal(info.nr_cpus, 2);
	assert_int_equal(info.cpus[0].apic_id, 7);
	assert_int_equal(info.cpus[1].apic_id, 8);
}

static void test_madt_disabled_cpus(void **state)
{
	struct tbl t;

	madt_begin(&t);
	madt_lapic(&t, 0, 4, 1);
	madt_lapic(&t, 1, 5, 0); /* disabled */
	madt_lapic(&t, 2, 6, 2); /* online capable, not enabled */
	madt_lapic(&t, 3, 7, 1);
	parse_with_madt(&t, 0);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.nr_cpus, 2);
	assert_int_equal(info.cpus[0].apic_id, 4);
	assert_int_equal(info.cpus[1].apic_id, 7);
	assert_int_equal(info.cpus[1].uid, 3);
	assert_int_equal(info.nr_cpus_disabled, 2);
}

static void test_madt_x2apic(void **state)
{
	struct tbl t;

	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	madt_x2apic(&t, 300, 1, 17);
	madt_x2apic(&t, 301, 0, 18); /* disabled */
	madt_x2apic(&t, 0, 1, 19);   /* the xAPIC entry's ID again */
	parse_with_madt(&t, 0);
	assert_int_equal(info.nr_cpus, 2);
	assert_int_equal(info.cpus[1].apic_id, 300);
	assert_int_equal(info.cpus[1].uid, 17);
	assert_true(info.cpus[1].x2apic);
	assert_false(info.cpus[0].x2apic);
	assert_int_equal(info.nr_cpus_disabled, 1);
	assert_int_equal(info.nr_cpus_dropped, 1);
	assert_true(has_error(&info, "APIC ID 0 listed twice"));
}

static void test_madt_override_and_overflow(void **state)
{
	struct tbl t;

	madt_begin(&t);
	put8(&t, 5);
	put8(&t, 12);
	put16(&t, 0);
	put64(&t, 0x1fee00000ULL);
	for (unsigned i = 0; i < ACPI_MAX_CPUS + 3; i++)
		madt_x2apic(&t, 1000 + i, 1, i);
	for (unsigned i = 0; i < ACPI_MAX_IOAPICS + 1; i++)
		madt_ioapic(&t, (uint8_t)i, 0xfec00000 + 0x1000 * i, 24 * i);
	parse_with_madt(&t, 0);
	assert_int_equal(info.lapic_addr, 0x1fee00000ULL);
	assert_int_equal(info.nr_cpus, ACPI_MAX_CPUS);
	assert_int_equal(info.cpus[ACPI_MAX_CPUS - 1].apic_id, 1000 + ACPI_MAX_CPUS - 1);
	assert_int_equal(info.nr_cpus_dropped, 3);
	assert_int_equal(info.nr_ioapics, ACPI_MAX_IOAPICS);
	assert_int_equal(info.ioapics[1].gsi_base, 24);
	assert_true(has_error(&info, "more than 64 enabled CPUs"));
	assert_true(has_error(&info, "more than 8 I/O APICs"));
	assert_int_equal(info.nr_errors, 2); /* one line for all dropped CPUs */
}

static void test_second_madt_ignored(void **state)
{
	struct tbl t;
	uint64_t e[] = {MADT_PA, 0x30000};

	madt_std(&t);
	tbl_place(&t, MADT_PA);
	madt_begin(&t);
	madt_lapic(&t, 0, 9, 1);
	tbl_place(&t, 0x30000);
	place_root(RSDT_PA, "RSDT", e, 2);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
	assert_true(has_error(&info, "second MADT at 0x30000 ignored"));
	assert_int_equal(info.nr_cpus, 2);
}

/* ---- FADT ---- */

static void test_fadt_x_fields(void **state)
{
	struct fadt_opts o = {.dsdt = 0x1234,
			      .x_dsdt = DSDT_PA,
			      .pm1a_cnt = 0x404,
			      .pm1b_cnt = 0x408,
			      .pm_tmr = 0x608,
			      .flags = BIT(8),
			      .x_pm1a_space = 1,
			      .x_pm1a_cnt = 0x1804};

	place_dsdt(DSDT_PA, "DSDT", aml_s5_bytes, sizeof(aml_s5_bytes));
	parse_with_fadt(&o);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.dsdt_addr, DSDT_PA);
	assert_int_equal(info.pm1a_cnt, 0x1804);
	assert_int_equal(info.pm1b_cnt, 0x408);
	assert_int_equal(info.pm_tmr, 0x608);
	assert_int_equal(info.pm_tmr_bits, 32);
	assert_true(info.has_s5);
}

static void test_fadt_x_memory_space(void **state)
{
	struct fadt_opts o = {.pm1a_cnt = 0x404, .x_pm1a_space = 0, .x_pm1a_cnt = 0xfed80000};

	parse_with_fadt(&o);
	assert_true(has_error(&info, "X_PM1a_CNT_BLK 0xfed80000 in address space 0"));
	assert_int_equal(info.pm1a_cnt, 0x404);
	teardown(NULL);
	o.pm1a_cnt = 0x12345;
	parse_with_fadt(&o);
	assert_true(has_error(&info, "PM1a_CNT_BLK 0x12345 is not an I/O port"));
	assert_int_equal(info.pm1a_cnt, 0);
}

/* An ACPI 1.0 FADT (116 bytes) has no X_ fields: whatever follows it is not read. */
static void test_fadt_v1_and_short(void **state)
{
	struct fadt_opts o = {.len = 116,
			      .dsdt = DSDT_PA,
			      .pm1a_cnt = 0xb004,
			      .x_pm1a_space = 1,
			      .x_pm1a_cnt = 0x9999,
			      .x_dsdt = 0x5555};

	place_dsdt(DSDT_PA, "DSDT", aml_s5_bytes, sizeof(aml_s5_bytes));
	parse_with_fadt(&o);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.pm1a_cnt, 0xb004);
	assert_int_equal(info.dsdt_addr, DSDT_PA);
	assert_true(info.has_s5);
	teardown(NULL);
	o.len = 115;
	parse_with_fadt(&o);
	assert_true(has_error(&info, "FACP at 0x11000: length 115, want 116.."));
	assert_false(info.has_fadt);
	assert_int_equal(info.pm1a_cnt, 0);
}

/* ---- limits and error reporting ---- */

static void test_huge_length_and_error_overflow(void **state)
{
	uint64_t e[12];
	struct tbl t;

	tbl_begin(&t, "APIC");
	tbl_end_len(&t, 0x7fffffff);
	place(MADT_PA, t.b, t.n);
	for (unsigned i = 0; i < 12; i++)
		e[i] = i ? 0x40000 + i : MADT_PA;
	place_root(RSDT_PA, "RSDT", e, 12);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
	assert_true(has_error(&info, "APIC at 0x12000: length 2147483647, want 44..16777216"));
	assert_int_equal(info.nr_errors, ACPI_MAX_ERRORS);
	assert_int_equal(info.nr_errors_dropped, 12 - ACPI_MAX_ERRORS);
	for (unsigned i = 0; i < info.nr_errors; i++)
		assert_non_null(memchr(info.errors[i], '\0', ACPI_ERROR_LEN));
}

/* Non-printable signature bytes are shown as '?', never raw. */
static void test_unprintable_signature(void **state)
{
	uint8_t junk[36] = {0x01, 'P', 0xff, 'C'};

	place(0x50000, junk, sizeof(junk));
	assert_int_equal(parse(rsdp(0, 0x50000, 0, 20), 20), -EINVAL);
	assert_true(has_error(&info, "signature \"?P?C\", want \"RSDT\""));
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_xsdt),
	    T(test_rsdt_v1),
	    T(test_rsdp_v2_without_xsdt),
	    T(test_bad_xsdt_falls_back),
	    T(test_rsdp_faults),
	    T(test_rsdp_v2_faults),
	    T(test_no_root),
	    T(test_root_entry_faults),
	    T(test_madt_bad_checksum),
	    T(test_madt_truncated),
	    T(test_madt_entry_past_end),
	    T(test_madt_entry_lengths),
	    T(test_madt_disabled_cpus),
	    T(test_madt_x2apic),
	    T(test_madt_override_and_overflow),
	    T(test_second_madt_ignored),
	    T(test_fadt_x_fields),
	    T(test_fadt_x_memory_space),
	    T(test_fadt_v1_and_short),
	    T(test_huge_length_and_error_overflow),
	    T(test_unprintable_signature),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
