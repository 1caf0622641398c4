/*
 * Unit tests for fw/acpi_build.c's refusals: every bad configuration field and address
 * is -EINVAL with one line naming it, a short buffer is -ENOSPC, and a refused build
 * leaves the buffer untouched.
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
#include "fw/acpi_build.h"
#include "lib/errno.h"
#include "test/unit/acpi_build_fixture.h"

static char err[160];

/* @c at @gpa is refused with @ret and a one-line message containing @want. */
static void refused(const struct acpi_build_cfg *c, uint64_t gpa, size_t max, int ret,
		    const char *want)
{
	uint64_t rsdp = 0x1234;

	memset(out, POISON, sizeof(out));
	memset(err, 'x', sizeof(err));
	assert_int_equal(acpi_build_check(c, gpa, max, err, sizeof(err)), ret);
	fprintf(stderr, "    refused: %s\n", err);
	assert_non_null(strstr(err, want));
	assert_int_equal(strncmp(err, "ACPI tables: ", 13), 0);
	assert_null(strchr(err, '\n'));
	assert_int_equal(acpi_build(c, gpa, out, max, &rsdp), ret);
	assert_int_equal(acpi_build_check(c, gpa, max, NULL, 0), ret);
	assert_int_equal(rsdp, 0x1234);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], POISON);
}

static uint32_t dup_ids[] = {3, 7, 9, 7};
static uint32_t bcast_ids[] = {0, 1, 0xffffffff};

static void test_bad_cpus(void **state)
{
	struct acpi_build_cfg c = pc_cfg();

	refused(NULL, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "no configuration");
	c.nr_cpus = 0;
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "0 CPUs; want 1 to 64");
	c.nr_cpus = ACPI_BUILD_MAX_CPUS + 1;
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "65 CPUs; want 1 to 64");
	c = pc_cfg();
	c.apic_ids = NULL;
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "no APIC IDs for the 4 CPUs");
	c.apic_ids = dup_ids;
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "CPUs 1 and 3 share APIC ID 7");
	c.apic_ids = bcast_ids;
	c.nr_cpus = 3;
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL,
		"CPU 2: APIC ID 0xffffffff is the x2APIC broadcast");
}

static void test_bad_addresses(void **state)
{
	static const struct {
		uint64_t lapic, ioapic;
		const char *want;
	} cases[] = {
	    {0, 0xfec00000, "local APIC address 0x0: want a page-aligned address below 4 GiB"},
	    {0x100000000ULL, 0xfec00000, "local APIC address 0x100000000"},
	    {0xfee00800, 0xfec00000, "local APIC address 0xfee00800"},
	    {0xfee00000, 0, "I/O APIC address 0x0"},
	    {0xfee00000, 0x1fec00000ULL, "I/O APIC address 0x1fec00000"},
	    {0xfee00000, 0xfec00010, "I/O APIC address 0xfec00010"},
	};
	struct acpi_build_cfg c = pc_cfg();

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		c.lapic_addr = cases[i].lapic;
		c.ioapic_addr = cases[i].ioapic;
		refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, cases[i].want);
	}
}

static void test_bad_ports(void **state)
{
	static const struct {
		uint16_t evt, cnt, tmr, reset;
		const char *want;
	} cases[] = {
	    {0, 0x604, 0x608, 0xcf9, "PM1a_EVT_BLK at port 0"},
	    {0x600, 0, 0x608, 0xcf9, "PM1a_CNT_BLK at port 0"},
	    {0x600, 0x604, 0, 0xcf9, "PM_TMR_BLK at port 0"},
	    {0x600, 0x604, 0x608, 0, "RESET_REG at port 0"},
	    {0xfffd, 0x604, 0x608, 0xcf9,
	     "PM1a_EVT_BLK at port 0xfffd: its 4 bytes pass port 0xffff"},
	    {0x600, 0xffff, 0x608, 0xcf9, "PM1a_CNT_BLK at port 0xffff: its 2 bytes pass"},
	    {0x600, 0x604, 0xfffc, 0xcf9, NULL}, /* ends at 0xffff: fine */
	    {0x600, 0x604, 0x608, 0xffff, NULL},
	    {0x600, 0x602, 0x608, 0xcf9,
	     "PM1a_EVT_BLK [0x600, 0x604) overlaps PM1a_CNT_BLK [0x602, 0x604)"},
	    {0x600, 0x604, 0x5fd, 0xcf9,
	     "PM1a_EVT_BLK [0x600, 0x604) overlaps PM_TMR_BLK [0x5fd, 0x601)"},
	    {0x600, 0x604, 0x608, 0x605,
	     "PM1a_CNT_BLK [0x604, 0x606) overlaps RESET_REG [0x605, 0x606)"},
	    {0x600, 0x604, 0x608, 0x60b, "PM_TMR_BLK [0x608, 0x60c) overlaps RESET_REG"},
	};
	struct acpi_build_cfg c = pc_cfg();

	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		c.pm1a_evt = cases[i].evt;
		c.pm1a_cnt = cases[i].cnt;
		c.pm_tmr = cases[i].tmr;
		c.reset_port = cases[i].reset;
		if (cases[i].want)
			refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, cases[i].want);
		else
			assert_int_equal(
			    acpi_build_check(&c, 0xe0000, ACPI_BUILD_MAX, err, sizeof(err)), 0);
	}
}

static void test_bad_sci_century_oem(void **state)
{
	static const uint8_t bad_sci[] = {0, 2, 16, 255};
	struct acpi_build_cfg c = pc_cfg();
	char want[64];

	for (unsigned i = 0; i < ARRAY_SIZE(bad_sci); i++) {
		c.sci_irq = bad_sci[i];
		snprintf(want, sizeof(want), "SCI on ISA IRQ %u; want 1 to 15 but 2", bad_sci[i]);
		refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, want);
	}
	c = pc_cfg();
	c.rtc_century = 0x0d;
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL,
		"RTC century at CMOS index 0xd; want 0x0e to 0x7f, or 0");
	c.rtc_century = 0x80;
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "RTC century at CMOS index 0x80");
	c = pc_cfg();
	c.oem_id = NULL;
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "no OEM ID");
	c.oem_id = "";
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "OEM ID \"\": want 1 to 6 characters");
	c.oem_id = "KESTREL";
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "OEM ID \"KESTREL\": want 1 to 6");
	c.oem_id = "AB\tC";
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL,
		"OEM ID: character 2 (0x09) is not printable");
	c.oem_id = "AB\x80";
	refused(&c, 0xe0000, ACPI_BUILD_MAX, -EINVAL, "character 2 (0x80) is not printable");
}

/* The RSDT and the FADT's 32-bit fields point at the tables: they stay below 4 GiB. */
static void test_above_4g(void **state)
{
	struct acpi_build_cfg c = pc_cfg();
	long n = acpi_build(&c, 0xe0000, out, ACPI_BUILD_MAX, &out_rsdp);
	uint64_t last;

	assert_true(n > 0);
	refused(
	    &c, 0x100000000ULL, ACPI_BUILD_MAX, -EINVAL,
	    "placed at 0x100000000; they must lie below 4 GiB (the RSDT and the FADT point at them "
	    "with 32-bit fields)");
	refused(&c, 0xfffffe00, ACPI_BUILD_MAX, -EINVAL, "[0xfffffe00, 0x");
	refused(&c, 0xfffffe00, ACPI_BUILD_MAX, -EINVAL,
		") crosses 4 GiB; they must lie below (the RSDT");
	refused(&c, UINT64_MAX - 8, ACPI_BUILD_MAX, -EINVAL, "must lie below 4 GiB");
	/* the last 64-byte boundary they fit at (laid out as at the page-aligned 0xe0000) */
	last = 0x100000000ULL - ALIGN_UP((uint64_t)n, 64);
	assert_int_equal(acpi_build_check(&c, last, ACPI_BUILD_MAX, err, sizeof(err)), 0);
	assert_int_equal(acpi_build(&c, last, out, ACPI_BUILD_MAX, &out_rsdp), n);
	refused(&c, last + 64, ACPI_BUILD_MAX, -EINVAL, "crosses 4 GiB");
}

static void test_enospc(void **state)
{
	struct acpi_build_cfg c = pc_cfg();
	long n = acpi_build(&c, 0xe0000, out, ACPI_BUILD_MAX, &out_rsdp);
	char want[80];

	assert_true(n > 0);
	snprintf(want, sizeof(want), "ACPI tables: %ld bytes needed at 0xe0000, %ld available", n,
		 n - 1);
	refused(&c, 0xe0000, (size_t)n - 1, -ENOSPC, want);
	refused(&c, 0xe0000, 0, -ENOSPC, "bytes needed at 0xe0000, 0 available");
	assert_int_equal(acpi_build(&c, 0xe0000, NULL, 0, &out_rsdp), -ENOSPC);
	assert_int_equal(build(&c, 0xe0000, (size_t)n), n); /* exactly enough */
	/* a bad field is named before the size */
	c.sci_irq = 0;
	refused(&c, 0xe0000, 0, -EINVAL, "SCI on ISA IRQ 0");
}

/* NULL outputs, and messages cut to the caller's buffer (always NUL-ended). */
static void test_null_outputs_and_short_err(void **state)
{
	struct acpi_build_cfg c = pc_cfg();
	char small[20];

	memset(out, POISON, sizeof(out));
	assert_int_equal(acpi_build(&c, 0xe0000, NULL, ACPI_BUILD_MAX, &out_rsdp), -EINVAL);
	assert_int_equal(acpi_build(&c, 0xe0000, out, ACPI_BUILD_MAX, NULL), -EINVAL);
	assert_int_equal(out[0], POISON);
	c.nr_cpus = 0;
	memset(small, 'x', sizeof(small));
	assert_int_equal(acpi_build_check(&c, 0xe0000, ACPI_BUILD_MAX, small, sizeof(small)),
			 -EINVAL);
	assert_string_equal(small, "ACPI tables: 0 CPUs");
	memset(small, 'x', sizeof(small));
	assert_int_equal(acpi_build_check(&c, 0xe0000, ACPI_BUILD_MAX, small, 5), -EINVAL);
	assert_string_equal(small, "ACPI");
	assert_int_equal(small[5], 'x');
	assert_int_equal(acpi_build_check(&c, 0xe0000, ACPI_BUILD_MAX, small, 0), -EINVAL);
	assert_int_equal(small[0], 'A');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_cpus),
	    cmocka_unit_test(test_bad_addresses),
	    cmocka_unit_test(test_bad_ports),
	    cmocka_unit_test(test_bad_sci_century_oem),
	    cmocka_unit_test(test_above_4g),
	    cmocka_unit_test(test_enospc),
	    cmocka_unit_test(test_null_outputs_and_short_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
