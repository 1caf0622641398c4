/*
 * Unit tests for the \_S5 lookup in fw/acpi.c: the AML forms acpi_find_s5() accepts and
 * rejects, and finding \_S5 through the FADT's DSDT pointer or in an SSDT.
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

static void test_s5_forms(void **state)
{
	static const struct {
		const char *what;
		uint8_t aml[24];
		size_t len;
		int ret;
		uint8_t a, b;
	} cases[] = {
	    {"QEMU: ZeroOps",
	     {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0},
	     12,
	     0,
	     0,
	     0},
	    {"root prefix, BytePrefix",
	     {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x07, 0x0a, 0x03, 0, 0},
	     15,
	     0,
	     7,
	     3},
	    {"one element: b = a",
	     {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x05},
	     10,
	     0,
	     5,
	     5},
	    {"OneOp, WordPrefix",
	     {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x01, 0x0b, 0x06, 0x00},
	     12,
	     0,
	     1,
	     6},
	    {"two-byte PkgLength",
	     {0x08, '_', 'S',  '5', '_', 0x12, 0x41, 0x01, 0x02, 0x0c, 2, 0,
	      0,    0,	 0x0e, 4,   0,	 0,    0,    0,	   0,	 0,    0},
	     23,
	     0,
	     2,
	     4},
	    {"SLP_TYP over 7",
	     {0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x08, 0x00},
	     11,
	     -ENOENT,
	     0,
	     0},
	    {"a method, not a name",
	     {0x14, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0},
	     12,
	     -ENOENT,
	     0,
	     0},
	    {"no package", {0x08, '_', 'S', '5', '_', 0x0a, 0x05}, 7, -ENOENT, 0, 0},
	    {"cut in the package",
	     {0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a},
	     11,
	     -ENOENT,
	     0,
	     0},
	    {"PkgLength past the end",
	     {0x08, '_', 'S', '5', '_', 0x12, 0x10, 0x02, 0x00, 0x00},
	     10,
	     -ENOENT,
	     0,
	     0},
	    {"PkgLength lead byte last", {0x08, '_', 'S', '5', '_', 0x12, 0x40}, 7, -ENOENT, 0, 0},
	    {"zero elements", {0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00}, 8, -ENOENT, 0, 0},
	    {"element not an integer",
	     {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0d, 0x41},
	     10,
	     -ENOENT,
	     0,
	     0},
	    {"bogus first, real second",
	     {0x08, '_', 'S', '5', '_', 0x0a, 0x01, 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01,
	      0x0a, 0x02},
	     17,
	     0,
	     2,
	     2},
	    {"name at the very start",
	     {'_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0a, 0x02},
	     9,
	     -ENOENT,
	     0,
	     0},
	    {"short", {0x08, '_', 'S'}, 3, -ENOENT, 0, 0},
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *copy = malloc(cases[i].len);
		uint8_t a = 0xee, b = 0xee;

		memcpy(copy, cases[i].aml, cases[i].len);
		int ret = acpi_find_s5(copy, cases[i].len, &a, &b);
		if (ret != cases[i].ret || (ret == 0 && (a != cases[i].a || b != cases[i].b)))
			fail_msg("%s: ret %d a %u b %u", cases[i].what, ret, a, b);
		if (ret)
			assert_true(a == 0xee && b == 0xee);
		free(copy);
	}
}

/* No \_S5 in the DSDT: the first SSDT that has one gives it. */
static void test_s5_in_ssdt(void **state)
{
	static const uint8_t none[] = {0x08, 'F', 'O', 'O', '_', 0x0a, 0x01};
	struct fadt_opts fo = {.dsdt = DSDT_PA, .pm1a_cnt = 0xb004};
	uint64_t e[] = {FADT_PA, SSDT_PA, 0x31000};

	place_dsdt(DSDT_PA, "DSDT", none, sizeof(none));
	place_dsdt(SSDT_PA, "SSDT", none, sizeof(none));
	place_dsdt(0x31000, "SSDT", aml_s5_bytes, sizeof(aml_s5_bytes));
	place_fadt(&fo);
	place_root(RSDT_PA, "RSDT", e, 3);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_true(info.has_s5);
	assert_string_equal(info.s5_table, "SSDT");
	assert_int_equal(info.s5_typ_a, 5);
}

/* The DSDT address points at something else, or the DSDT's checksum is wrong. */
static void test_bad_dsdt(void **state)
{
	struct fadt_opts fo = {.dsdt = MADT_PA, .pm1a_cnt = 0xb004};
	struct tbl t;

	madt_std(&t);
	tbl_place(&t, MADT_PA);
	parse_with_fadt(&fo);
	assert_true(has_error(&info, "table at 0x12000: signature \"APIC\", want \"DSDT\""));
	assert_false(info.has_s5);
	assert_true(info.has_fadt);
	teardown(NULL);
	tbl_begin(&t, "DSDT");
	putbytes(&t, aml_s5_bytes, sizeof(aml_s5_bytes));
	tbl_end_len(&t, 0);
	t.b[t.n - 3] = 0x06; /* SLP_TYPb 5 -> 6: checksum now wrong */
	place(DSDT_PA, t.b, t.n);
	fo.dsdt = DSDT_PA;
	parse_with_fadt(&fo);
	assert_true(has_error(&info, "DSDT at 0x10000: bad checksum (bytes sum to 0x01)"));
	assert_false(info.has_s5);
	/* the fuzzer's flag accepts it */
	assert_int_equal(
	    acpi_parse(rsdp(0, RSDT_PA, 0, 20), 20, fake_map, NULL, ACPI_PARSE_NO_CHECKSUM, &info),
	    0);
	assert_true(info.has_s5);
	assert_int_equal(info.s5_typ_b, 6);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_s5_forms),
	    T(test_s5_in_ssdt),
	    T(test_bad_dsdt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
