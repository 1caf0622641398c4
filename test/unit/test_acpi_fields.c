/*
 * Unit tests for the fw/acpi.c fields a VM's own tables are checked against: MADT
 * interrupt source overrides and NMI entries, and the FADT's SCI, PM1 event block,
 * block lengths, boot architecture flags, century, reset register and FACS address.
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

static void madt_iso(struct tbl *t, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	put8(t, 2);
	put8(t, 10);
	put8(t, 0);
	put8(t, irq);
	put32(t, gsi);
	put16(t, flags);
}

static void madt_lapic_nmi(struct tbl *t, uint8_t uid, uint16_t flags, uint8_t lint)
{
	put8(t, 4);
	put8(t, 6);
	put8(t, uid);
	put16(t, flags);
	put8(t, lint);
}

static void madt_x2apic_nmi(struct tbl *t, uint32_t uid, uint16_t flags, uint8_t lint)
{
	put8(t, 10);
	put8(t, 12);
	put16(t, flags);
	put32(t, uid);
	put8(t, lint);
	put8(t, 0);
	put16(t, 0);
}

/* ---- MADT ---- */

static void test_madt_iso_and_nmi(void **state)
{
	struct tbl t;

	madt_begin(&t);
	madt_lapic(&t, 0, 0, 1);
	madt_iso(&t, 0, 2, 0);
	madt_iso(&t, 9, 9, 0x000d);
	madt_lapic_nmi(&t, 0xff, 0x0005, 1);
	madt_x2apic_nmi(&t, 0xffffffff, 0x000f, 0);
	parse_with_madt(&t, 0);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.nr_isos, 2);
	assert_int_equal(info.isos[0].source, 0);
	assert_int_equal(info.isos[0].gsi, 2);
	assert_int_equal(info.isos[0].flags, 0);
	assert_int_equal(info.isos[1].bus, 0);
	assert_int_equal(info.isos[1].source, 9);
	assert_int_equal(info.isos[1].gsi, 9);
	assert_int_equal(info.isos[1].flags, 0x000d);
	assert_int_equal(info.nr_nmis, 2);
	assert_int_equal(info.nmis[0].uid, 0xff);
	assert_int_equal(info.nmis[0].flags, 0x0005);
	assert_int_equal(info.nmis[0].lint, 1);
	assert_false(info.nmis[0].x2apic);
	assert_int_equal(info.nmis[1].uid, 0xffffffff);
	assert_int_equal(info.nmis[1].flags, 0x000f);
	assert_int_equal(info.nmis[1].lint, 0);
	assert_true(info.nmis[1].x2apic);
	assert_int_equal(info.nr_nmis_dropped, 0);
}

/* Overrides past the array are an error line each; NMI entries past it are only counted. */
static void test_madt_iso_nmi_overflow(void **state)
{
	struct tbl t;

	madt_begin(&t);
	for (unsigned i = 0; i < ACPI_MAX_ISOS + 2; i++)
		madt_iso(&t, (uint8_t)i, 100 + i, 0);
	for (unsigned i = 0; i < ACPI_MAX_NMIS + 3; i++)
		madt_lapic_nmi(&t, (uint8_t)i, 0, 1);
	parse_with_madt(&t, 0);
	assert_int_equal(info.nr_isos, ACPI_MAX_ISOS);
	assert_int_equal(info.isos[ACPI_MAX_ISOS - 1].gsi, 100 + ACPI_MAX_ISOS - 1);
	assert_true(has_error(&info, "more than 16 interrupt source overrides; IRQ 16 ignored"));
	assert_true(has_error(&info, "more than 16 interrupt source overrides; IRQ 17 ignored"));
	assert_int_equal(info.nr_errors, 2);
	assert_int_equal(info.nr_nmis, ACPI_MAX_NMIS);
	assert_int_equal(info.nmis[ACPI_MAX_NMIS - 1].uid, ACPI_MAX_NMIS - 1);
	assert_int_equal(info.nr_nmis_dropped, 3);
}

static void test_madt_short_iso_nmi(void **state)
{
	struct tbl t;

	madt_begin(&t);
	put8(&t, 2); /* an override of 8 bytes */
	put8(&t, 8);
	put16(&t, 0x0900);
	put32(&t, 9);
	put8(&t, 4); /* a local APIC NMI of 5 bytes */
	put8(&t, 5);
	put8(&t, 0xff);
	put16(&t, 0);
	put8(&t, 10); /* an x2APIC NMI of 11 bytes */
	put8(&t, 11);
	for (int i = 0; i < 9; i++)
		put8(&t, 0);
	madt_iso(&t, 0, 2, 0);
	parse_with_madt(&t, 0);
	assert_true(has_error(&info, "entry at +44 (type 2): length 8, want 10; ignored"));
	assert_true(has_error(&info, "entry at +52 (type 4): length 5, want 6; ignored"));
	assert_true(has_error(&info, "entry at +57 (type 10): length 11, want 12; ignored"));
	assert_int_equal(info.nr_errors, 3);
	assert_int_equal(info.nr_isos, 1);
	assert_int_equal(info.isos[0].gsi, 2);
	assert_int_equal(info.nr_nmis, 0);
}

/* ---- FADT ---- */

static void test_fadt_fields(void **state)
{
	struct fadt_opts o = {.firmware_ctrl = 0x10040,
			      .dsdt = DSDT_PA,
			      .sci_int = 9,
			      .smi_cmd = 0xb2,
			      .acpi_enable = 0xf1,
			      .acpi_disable = 0xf0,
			      .pm1a_evt = 0x600,
			      .pm1a_cnt = 0x604,
			      .pm_tmr = 0x608,
			      .pm1_evt_len = 4,
			      .pm_tmr_len = 4,
			      .century = 0x32,
			      .boot_arch = 0x000d,
			      .flags = 0x425,
			      .reset_space = 1,
			      .reset_addr = 0xcf9,
			      .reset_value = 6};

	place_dsdt(DSDT_PA, "DSDT", aml_s5_bytes, sizeof(aml_s5_bytes));
	parse_with_fadt(&o);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.fadt_revision, 2);
	assert_int_equal(info.fadt_len, 244);
	assert_int_equal(info.fadt_flags, 0x425);
	assert_int_equal(info.sci_int, 9);
	assert_int_equal(info.smi_cmd, 0xb2);
	assert_int_equal(info.acpi_enable, 0xf1);
	assert_int_equal(info.pm1a_evt, 0x600);
	assert_int_equal(info.pm1b_evt, 0);
	assert_int_equal(info.pm1a_cnt, 0x604);
	assert_int_equal(info.pm_tmr, 0x608);
	assert_int_equal(info.pm1_evt_len, 4);
	assert_int_equal(info.pm1_cnt_len, 2);
	assert_int_equal(info.pm_tmr_len, 4);
	assert_int_equal(info.century, 0x32);
	assert_int_equal(info.iapc_boot_arch, 0x000d);
	assert_int_equal(info.reset_reg.space_id, ACPI_GAS_IO);
	assert_int_equal(info.reset_reg.bit_width, 16);
	assert_int_equal(info.reset_reg.address, 0xcf9);
	assert_int_equal(info.reset_value, 6);
	assert_int_equal(info.facs_addr, 0x10040);
	assert_int_equal(info.dsdt_addr, DSDT_PA);
	assert_true(info.has_s5);
}

/* X_FIRMWARE_CTRL and X_PM1a_EVT_BLK win over the 32-bit fields when set. */
static void test_fadt_x_facs_and_evt(void **state)
{
	struct fadt_opts o = {.firmware_ctrl = 0x10040,
			      .x_firmware_ctrl = 0x123456780ULL,
			      .pm1a_evt = 0x600,
			      .x_pm1a_evt = 0x1800};

	parse_with_fadt(&o);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.facs_addr, 0x123456780ULL);
	assert_int_equal(info.pm1a_evt, 0x1800);
	teardown(NULL);
	o.pm1a_evt = 0x10000;
	o.x_pm1a_evt = 0;
	parse_with_fadt(&o);
	assert_true(has_error(&info, "FADT: PM1a_EVT_BLK 0x10000 is not an I/O port"));
	assert_int_equal(info.pm1a_evt, 0);
}

/*
 * SMI_CMD and ACPI_ENABLE (entering ACPI mode) and PM1b_CNT_BLK: a second control block
 * power-off writes too. ACPI_ENABLE means nothing without SMI_CMD; an SMI_CMD above the
 * I/O space is refused with its name.
 */
static void test_fadt_acpi_mode_and_pm1b(void **state)
{
	struct fadt_opts o = {.smi_cmd = 0xb2,
			      .acpi_enable = 0xa0,
			      .acpi_disable = 0xa1,
			      .pm1a_cnt = 0x404,
			      .pm1b_cnt = 0x504};

	parse_with_fadt(&o);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.smi_cmd, 0xb2);
	assert_int_equal(info.acpi_enable, 0xa0);
	assert_int_equal(info.pm1a_cnt, 0x404);
	assert_int_equal(info.pm1b_cnt, 0x504);
	teardown(NULL);
	o.smi_cmd = 0; /* ACPI-only hardware: SCI_EN is set and stays set */
	parse_with_fadt(&o);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.smi_cmd, 0);
	assert_int_equal(info.acpi_enable, 0);
	teardown(NULL);
	o.smi_cmd = 0x1b2;
	o.pm1b_cnt = 0;
	parse_with_fadt(&o);
	assert_int_equal(info.smi_cmd, 0x1b2);
	assert_int_equal(info.pm1b_cnt, 0);
	teardown(NULL);
	o.smi_cmd = 0x100b2;
	parse_with_fadt(&o);
	assert_true(has_error(&info, "FADT: SMI_CMD 0x100b2 is not an I/O port"));
	assert_int_equal(info.smi_cmd, 0);
	assert_int_equal(info.acpi_enable, 0);
}

/* An ACPI 1.0 FADT ends at the flags: no reset register, no X_ FACS, whatever follows. */
static void test_fadt_v1_fields(void **state)
{
	struct fadt_opts o = {.len = ACPI_FADT_V1_LEN,
			      .firmware_ctrl = 0x10040,
			      .x_firmware_ctrl = 0x20040,
			      .sci_int = 9,
			      .century = 0x32,
			      .reset_space = 1,
			      .reset_addr = 0xcf9,
			      .reset_value = 6};

	parse_with_fadt(&o);
	assert_int_equal(info.nr_errors, 0);
	assert_int_equal(info.fadt_len, ACPI_FADT_V1_LEN);
	assert_int_equal(info.sci_int, 9);
	assert_int_equal(info.century, 0x32);
	assert_int_equal(info.facs_addr, 0x10040);
	assert_int_equal(info.reset_reg.space_id, 0);
	assert_int_equal(info.reset_reg.address, 0);
	assert_int_equal(info.reset_value, 0);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_madt_iso_and_nmi),	     T(test_madt_iso_nmi_overflow),
	    T(test_madt_short_iso_nmi),	     T(test_fadt_fields),
	    T(test_fadt_x_facs_and_evt),     T(test_fadt_v1_fields),
	    T(test_fadt_acpi_mode_and_pm1b),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
