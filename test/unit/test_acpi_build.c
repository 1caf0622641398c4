/*
 * Unit tests for fw/acpi_build.c: the tables built for a VM, parsed back with fw/acpi.c
 * and read byte by byte at the ACPI specification's offsets (values computed from the
 * spec here, not from fw/acpi.h): RSDP, XSDT/RSDT, FADT, FACS, DSDT, MADT, x2APIC CPUs,
 * the largest VM at every alignment, and the same tables at two guest addresses.
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

/* FADT flags: WBINVD (0), PROC_C1 (2), SLP_BUTTON (5), FIX_RTC (6), RESET_REG_SUP (10) */
#define WANT_FADT_FLAGS 0x465
/* IAPC_BOOT_ARCH: LEGACY_DEVICES (0), VGA Not Present (2), MSI Not Supported (3) */
#define WANT_BOOT_ARCH 0x000d
#define GPA	       0xe0000 /* where a BIOS puts them */

static bool x2(uint32_t id)
{
	return id >= 255;
}

/* Every field the parser reads, against @c. */
static void check_parsed(const struct acpi_build_cfg *c, uint64_t gpa, size_t n)
{
	bool any_x2 = false;

	assert_int_equal(info.revision, 2);
	assert_true(info.xsdt);
	assert_int_equal(info.nr_tables, 2);
	assert_true(info.has_madt);
	assert_int_equal(info.lapic_addr, c->lapic_addr);
	assert_int_equal(info.madt_flags, 1); /* PCAT_COMPAT */
	assert_int_equal(info.nr_cpus, c->nr_cpus);
	for (unsigned i = 0; i < c->nr_cpus; i++) {
		assert_int_equal(info.cpus[i].apic_id, c->apic_ids[i]);
		assert_int_equal(info.cpus[i].uid, i);
		assert_int_equal(info.cpus[i].x2apic, x2(c->apic_ids[i]));
		any_x2 |= x2(c->apic_ids[i]);
	}
	assert_int_equal(info.nr_cpus_disabled, 0);
	assert_int_equal(info.nr_cpus_dropped, 0);
	assert_int_equal(info.nr_ioapics, 1);
	assert_int_equal(info.ioapics[0].id, c->ioapic_id);
	assert_int_equal(info.ioapics[0].addr, c->ioapic_addr);
	assert_int_equal(info.ioapics[0].gsi_base, 0);
	assert_int_equal(info.nr_isos, 2);
	assert_int_equal(info.isos[0].bus, 0);
	assert_int_equal(info.isos[0].source, 0);
	assert_int_equal(info.isos[0].gsi, 2);
	assert_int_equal(info.isos[0].flags, 0); /* conforms to ISA: edge, active high */
	assert_int_equal(info.isos[1].bus, 0);
	assert_int_equal(info.isos[1].source, c->sci_irq);
	assert_int_equal(info.isos[1].gsi, c->sci_irq);
	assert_int_equal(info.isos[1].flags, 0x000d); /* level (3 << 2), active high (1) */
	assert_int_equal(info.nr_nmis, 1);
	assert_int_equal(info.nmis[0].uid, any_x2 ? 0xffffffff : 0xff);
	assert_int_equal(info.nmis[0].flags, 0x0005); /* edge (1 << 2), active high (1) */
	assert_int_equal(info.nmis[0].lint, 1);
	assert_int_equal(info.nmis[0].x2apic, any_x2);

	assert_true(info.has_fadt);
	assert_int_equal(info.fadt_revision, 6);
	assert_int_equal(info.fadt_len, 276);
	assert_int_equal(info.fadt_flags, WANT_FADT_FLAGS);
	assert_int_equal(info.sci_int, c->sci_irq);
	assert_int_equal(info.smi_cmd, 0);
	assert_int_equal(info.pm1a_evt, c->pm1a_evt);
	assert_int_equal(info.pm1b_evt, 0);
	assert_int_equal(info.pm1a_cnt, c->pm1a_cnt);
	assert_int_equal(info.pm1b_cnt, 0);
	assert_int_equal(info.pm_tmr, c->pm_tmr);
	assert_int_equal(info.pm_tmr_bits, 24);
	assert_int_equal(info.pm1_evt_len, 4);
	assert_int_equal(info.pm1_cnt_len, 2);
	assert_int_equal(info.pm_tmr_len, 4);
	assert_int_equal(info.iapc_boot_arch, WANT_BOOT_ARCH);
	assert_int_equal(info.century, c->rtc_century);
	assert_int_equal(info.reset_reg.space_id, 1); /* system I/O */
	assert_int_equal(info.reset_reg.bit_width, 8);
	assert_int_equal(info.reset_reg.bit_offset, 0);
	assert_int_equal(info.reset_reg.access_size, 1); /* byte */
	assert_int_equal(info.reset_reg.address, c->reset_port);
	assert_int_equal(info.reset_value, c->reset_value);
	assert_true(info.facs_addr >= gpa && info.facs_addr + 64 <= gpa + n);
	assert_int_equal(info.facs_addr % 64, 0);
	assert_true(info.dsdt_addr >= gpa && info.dsdt_addr + 50 <= gpa + n);

	assert_true(info.has_s5);
	assert_int_equal(info.s5_typ_a, 5);
	assert_int_equal(info.s5_typ_b, 5);
	assert_string_equal(info.s5_table, "DSDT");
}

static void test_pc_parsed(void **state)
{
	struct acpi_build_cfg c = pc_cfg();
	size_t n = build(&c, GPA, ACPI_BUILD_MAX);

	parse_built(GPA, n);
	assert_string_equal(info.oem_id, "KESTRL");
	check_parsed(&c, GPA, n);
}

/* A header at @t: signature, length, revision, checksum, OEM fields. */
static void check_header(const uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	assert_memory_equal(t, sig, 4);
	assert_int_equal(rd32(t + 4), len);
	assert_int_equal(t[8], rev);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "KESTRL", 6);
	assert_memory_equal(t + 16, "KESTREL ", 8);
	assert_int_equal(rd32(t + 24), 1);	/* OEM revision */
	assert_memory_equal(t + 28, "KSTL", 4); /* creator ID */
	assert_int_equal(rd32(t + 32), 1);
}

static void test_rsdp_raw(void **state)
{
	struct acpi_build_cfg c = pc_cfg();
	const uint8_t *r;

	build(&c, GPA + 4, ACPI_BUILD_MAX);
	assert_int_equal(out_rsdp, GPA + 16); /* the first 16-byte boundary */
	for (unsigned i = 0; i < 12; i++)
		assert_int_equal(out[i], 0); /* the padding before it */
	r = at(GPA + 4, out_rsdp);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_memory_equal(r + 9, "KESTRL", 6);
	assert_int_equal(r[15], 2);
	assert_int_equal(rd32(r + 20), 36);
	assert_int_equal(sum(r, 36), 0);
	assert_memory_equal(r + 33, "\0\0\0", 3);
	check_header(at(GPA + 4, rd32(r + 16)), "RSDT", 36 + 2 * 4, 1);
	check_header(at(GPA + 4, rd64(r + 24)), "XSDT", 36 + 2 * 8, 1);

	/* a short OEM ID is space-padded */
	c.oem_id = "AB";
	build(&c, GPA, ACPI_BUILD_MAX);
	assert_memory_equal(at(GPA, out_rsdp) + 9, "AB    ", 6);
	assert_memory_equal(at(GPA, rd64(at(GPA, out_rsdp) + 24)) + 10, "AB    ", 6);
}

/* The RSDT lists what the XSDT lists; the parser reads the same tables through it. */
static void test_rsdt(void **state)
{
	struct acpi_build_cfg c = pc_cfg();
	size_t n = build(&c, GPA, ACPI_BUILD_MAX);
	const uint8_t *r = at(GPA, out_rsdp);
	const uint8_t *rsdt = at(GPA, rd32(r + 16)), *xsdt = at(GPA, rd64(r + 24));
	uint8_t v1[20];

	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(rd32(rsdt + 36 + 4 * i), rd64(xsdt + 36 + 8 * i));
	assert_memory_equal(at(GPA, rd64(xsdt + 36)), "FACP", 4);
	assert_memory_equal(at(GPA, rd64(xsdt + 44)), "APIC", 4);
	/* an ACPI 1.0 copy of the RSDP: revision 0, 20 bytes */
	memcpy(v1, r, 20);
	v1[15] = 0;
	v1[8] = 0;
	v1[8] = (uint8_t)(0x100 - sum(v1, 20));
	place(GPA, out, n);
	assert_int_equal(parse(v1, 20), 0);
	assert_int_equal(info.nr_errors, 0);
	assert_false(info.xsdt);
	assert_int_equal(info.root_addr, rd32(r + 16));
	info.revision = 2; /* the copy said 0 */
	info.xsdt = true;
	check_parsed(&c, GPA, n);
}

static void check_gas(const uint8_t *g, uint8_t width, uint8_t access, uint64_t addr)
{
	assert_int_equal(g[0], 1); /* system I/O */
	assert_int_equal(g[1], width);
	assert_int_equal(g[2], 0);
	assert_int_equal(g[3], access);
	assert_int_equal(rd64(g + 4), addr);
}

static void check_zero(const uint8_t *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		assert_int_equal(p[i], 0);
}

/* Every FADT field at its offset in the spec's table. */
static void test_fadt_raw(void **state)
{
	struct acpi_build_cfg c = pc_cfg();
	const uint8_t *f;

	build(&c, GPA, ACPI_BUILD_MAX);
	f = at(GPA, rd64(at(GPA, rd64(at(GPA, out_rsdp) + 24)) + 36));
	check_header(f, "FACP", 276, 6);
	assert_memory_equal(at(GPA, rd32(f + 36)), "FACS", 4); /* FIRMWARE_CTRL */
	assert_memory_equal(at(GPA, rd32(f + 40)), "DSDT", 4);
	check_zero(f, 44, 46); /* reserved, preferred PM profile: unspecified */
	assert_int_equal(rd16(f + 46), 9);
	check_zero(f, 48, 56); /* SMI_CMD, ACPI_ENABLE, ACPI_DISABLE, S4BIOS_REQ, PSTATE_CNT */
	assert_int_equal(rd32(f + 56), 0x600);
	assert_int_equal(rd32(f + 60), 0);
	assert_int_equal(rd32(f + 64), 0x604);
	check_zero(f, 68, 76); /* PM1b_CNT_BLK, PM2_CNT_BLK */
	assert_int_equal(rd32(f + 76), 0x608);
	check_zero(f, 80, 88); /* GPE0_BLK, GPE1_BLK */
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[90], 0);
	assert_int_equal(f[91], 4);
	check_zero(f, 92, 96);
	assert_int_equal(rd16(f + 96), 101);  /* P_LVL2_LAT > 100: no C2 */
	assert_int_equal(rd16(f + 98), 1001); /* P_LVL3_LAT > 1000: no C3 */
	check_zero(f, 100, 108);
	assert_int_equal(f[108], 0x32);
	assert_int_equal(rd16(f + 109), WANT_BOOT_ARCH);
	assert_int_equal(f[111], 0);
	assert_int_equal(rd32(f + 112), WANT_FADT_FLAGS);
	check_gas(f + 116, 8, 1, 0xcf9);
	assert_int_equal(f[128], 6);
	check_zero(f, 129, 131); /* ARM_BOOT_ARCH */
	assert_int_equal(f[131], 5);
	assert_int_equal(rd64(f + 132), 0); /* X_FIRMWARE_CTRL: FIRMWARE_CTRL is set */
	assert_int_equal(rd64(f + 140), rd32(f + 40));
	check_gas(f + 148, 32, 2, 0x600);
	check_zero(f, 160, 172);
	check_gas(f + 172, 16, 2, 0x604);
	check_zero(f, 184, 208); /* X_PM1b_CNT_BLK, X_PM2_CNT_BLK */
	check_gas(f + 208, 32, 3, 0x608);
	check_zero(f, 220, 268); /* X_GPE0/1_BLK, SLEEP_CONTROL_REG, SLEEP_STATUS_REG */
	assert_memory_equal(f + 268, "Kestrel\0", 8);
}

static void test_facs_dsdt_raw(void **state)
{
	static const uint8_t s5[] = {0x08, '_',	 'S',  '5',  '_',  0x12, 0x08,
				     0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00};
	struct acpi_build_cfg c = pc_cfg();
	const uint8_t *f, *facs, *dsdt;
	uint8_t a = 0, b = 0;

	build(&c, GPA + 0x30, ACPI_BUILD_MAX);
	f = at(GPA + 0x30, rd64(at(GPA + 0x30, rd64(at(GPA + 0x30, out_rsdp) + 24)) + 36));
	assert_int_equal(rd32(f + 36) % 64, 0);
	facs = at(GPA + 0x30, rd32(f + 36));
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(rd32(facs + 4), 64);
	check_zero(facs, 8, 32); /* signature, waking vectors, global lock, flags */
	assert_int_equal(facs[32], 2);
	check_zero(facs, 33, 64);
	dsdt = at(GPA + 0x30, rd64(f + 140));
	check_header(dsdt, "DSDT", 36 + sizeof(s5), 2);
	assert_memory_equal(dsdt + 36, s5, sizeof(s5));
	assert_int_equal(acpi_find_s5(dsdt + 36, sizeof(s5), &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 5);
}

static const uint8_t *madt_of(uint64_t gpa)
{
	return at(gpa, rd64(at(gpa, rd64(at(gpa, out_rsdp) + 24)) + 44));
}

static void test_madt_raw(void **state)
{
	static const uint8_t tail[] = {
	    1, 12, 4,	 0,    0x00, 0x00, 0xc0, 0xfe, 0,    0,
	    0, 0,						/* IOAPIC 4 at 0xfec00000, GSI 0 */
	    2, 10, 0,	 0,    2,    0,	   0,	 0,    0,    0, /* IRQ 0 -> GSI 2, conforming */
	    2, 10, 0,	 9,    9,    0,	   0,	 0,    0x0d, 0, /* IRQ 9 -> GSI 9, level, high */
	    4, 6,  0xff, 0x05, 0,    1, /* NMI: all CPUs, LINT1, edge high */
	};
	struct acpi_build_cfg c = pc_cfg();
	const uint8_t *m;

	build(&c, GPA, ACPI_BUILD_MAX);
	m = madt_of(GPA);
	check_header(m, "APIC", 44 + 4 * 8 + sizeof(tail), 6);
	assert_int_equal(rd32(m + 36), 0xfee00000);
	assert_int_equal(rd32(m + 40), 1);
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = m + 44 + 8 * i;
		uint8_t want[8] = {0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0};

		assert_memory_equal(e, want, 8);
	}
	assert_memory_equal(m + 44 + 32, tail, sizeof(tail));
}

/* Tables lie inside what was used, do not overlap, and sum to zero. */
static void test_tables_disjoint(void **state)
{
	struct acpi_build_cfg c = pc_cfg();
	size_t n = build(&c, GPA + 8, ACPI_BUILD_MAX);
	const uint8_t *r = at(GPA + 8, out_rsdp);
	const uint8_t *x = at(GPA + 8, rd64(r + 24));
	const uint8_t *f = at(GPA + 8, rd64(x + 36));
	struct {
		uint64_t pa, len;
	} t[] = {
	    {out_rsdp, 36},
	    {rd64(r + 24), rd32(x + 4)},
	    {rd32(r + 16), 44},
	    {rd64(x + 36), rd32(f + 4)},
	    {rd64(x + 44), rd32(at(GPA + 8, rd64(x + 44)) + 4)},
	    {rd32(f + 36), 64},
	    {rd64(f + 140), rd32(at(GPA + 8, rd64(f + 140)) + 4)},
	};

	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		assert_true(t[i].pa >= GPA + 8 && t[i].pa + t[i].len <= GPA + 8 + n);
		if (i && i != 5) /* the RSDP and the FACS have no header checksum */
			assert_int_equal(sum(at(GPA + 8, t[i].pa), t[i].len), 0);
		for (unsigned j = 0; j < i; j++)
			assert_true(t[i].pa >= t[j].pa + t[j].len || t[j].pa >= t[i].pa + t[i].len);
	}
}

/* APIC IDs from 255 take x2APIC entries, and the NMI entry becomes the x2APIC one. */
static void test_x2apic_cpus(void **state)
{
	static const uint32_t ids[] = {0, 254, 255, 256, 0x12345, 7};
	static const uint8_t nmi[] = {10, 12, 0x05, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0};
	struct acpi_build_cfg c = pc_cfg();
	const uint8_t *m, *e;
	size_t n;

	c.nr_cpus = ARRAY_SIZE(ids);
	c.apic_ids = ids;
	n = build(&c, GPA, ACPI_BUILD_MAX);
	parse_built(GPA, n);
	check_parsed(&c, GPA, n);
	m = madt_of(GPA);
	assert_int_equal(rd32(m + 4), 44 + 3 * 8 + 3 * 16 + 12 + 20 + 12);
	e = m + 44 + 8 + 8; /* CPU 2: ID 255 */
	assert_int_equal(e[0], 9);
	assert_int_equal(e[1], 16);
	assert_int_equal(rd16(e + 2), 0);
	assert_int_equal(rd32(e + 4), 255);
	assert_int_equal(rd32(e + 8), 1);
	assert_int_equal(rd32(e + 12), 2);
	assert_int_equal(rd32(e + 32 + 4), 0x12345);
	assert_int_equal(rd32(e + 32 + 12), 4);
	assert_memory_equal(m + rd32(m + 4) - 12, nmi, sizeof(nmi));
}

/* The largest VM (every CPU an x2APIC entry) fits ACPI_BUILD_MAX at every alignment. */
static void test_max_cpus_any_gpa(void **state)
{
	uint32_t ids[ACPI_BUILD_MAX_CPUS];
	struct acpi_build_cfg c = pc_cfg();

	for (unsigned i = 0; i < ACPI_BUILD_MAX_CPUS; i++)
		ids[i] = 0x1000 + 3 * i;
	c.nr_cpus = ACPI_BUILD_MAX_CPUS;
	c.apic_ids = ids;
	for (uint64_t gpa = 0x9f000; gpa < 0x9f000 + 64; gpa++) {
		size_t n = build(&c, gpa, ACPI_BUILD_MAX);

		assert_int_equal(out_rsdp % 16, 0);
		assert_true(out_rsdp - gpa < 16);
		parse_built(gpa, n);
		check_parsed(&c, gpa, n);
		assert_int_equal(rd32(madt_of(gpa) + 4), 44 + 64 * 16 + 12 + 20 + 12);
		teardown(NULL);
	}
}

/* At another address only the pointers (and the checksums over them) change. */
static void test_two_gpas(void **state)
{
	static uint8_t first[ACPI_BUILD_MAX];
	const uint64_t a = 0xe0000, b = 0x7fff0000, d = b - a;
	struct acpi_build_cfg c = pc_cfg();
	size_t n = build(&c, a, ACPI_BUILD_MAX);
	uint64_t rsdp_a = out_rsdp;
	struct acpi_info ia;

	memcpy(first, out, n);
	parse_built(a, n);
	ia = info;
	assert_int_equal(build(&c, b, ACPI_BUILD_MAX), n);
	assert_int_equal(out_rsdp, rsdp_a + d);
	teardown(NULL);
	parse_built(b, n);
	assert_int_equal(info.root_addr, ia.root_addr + d);
	assert_int_equal(info.facs_addr, ia.facs_addr + d);
	assert_int_equal(info.dsdt_addr, ia.dsdt_addr + d);
	check_parsed(&c, b, n);
	/* the MADT, DSDT and FACS carry no pointers: the same bytes at the same offsets */
	assert_memory_equal(madt_of(b), first + (madt_of(b) - out), rd32(madt_of(b) + 4));
	assert_memory_equal(at(b, info.dsdt_addr), first + (info.dsdt_addr - b), 50);
	assert_memory_equal(at(b, info.facs_addr), first + (info.facs_addr - b), 64);
}

/* Every parameter reaches its field: another SCI, reset value, century, IOAPIC. */
static void test_other_params(void **state)
{
	uint32_t ids[] = {5};
	struct acpi_build_cfg c = {.nr_cpus = 1,
				   .apic_ids = ids,
				   .ioapic_id = 0,
				   .ioapic_addr = 0xfec01000,
				   .lapic_addr = 0xfed00000,
				   .pm1a_evt = 0xb000,
				   .pm1a_cnt = 0xb004,
				   .pm_tmr = 0xb008,
				   .sci_irq = 11,
				   .reset_port = 0x92,
				   .reset_value = 0x0e,
				   .rtc_century = 0,
				   .oem_id = "X"};
	size_t n = build(&c, 0x1000, ACPI_BUILD_MAX);

	parse_built(0x1000, n);
	assert_string_equal(info.oem_id, "X     ");
	check_parsed(&c, 0x1000, n);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_pc_parsed),	     T(test_rsdp_raw),	    T(test_rsdt),
	    T(test_fadt_raw),	     T(test_facs_dsdt_raw), T(test_madt_raw),
	    T(test_tables_disjoint), T(test_x2apic_cpus),   T(test_max_cpus_any_gpa),
	    T(test_two_gpas),	     T(test_other_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
