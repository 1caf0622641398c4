/*
 * Unit tests for fw/acpi.c: ACPI tables laid out byte by byte in a fake physical
 * memory (valid, bad checksums, truncated, XSDT vs RSDT, odd MADT entries, AML forms
 * of \_S5). Every map call returns a fresh heap copy of exactly the bytes asked for,
 * so ASan catches any read past what the parser was given.
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

/* ---- fake physical memory ---- */

#define MAX_REGIONS 32
#define MAX_COPIES  4096

struct region {
	uint64_t pa;
	uint8_t *bytes;
	size_t len;
};
static struct region regions[MAX_REGIONS];
static unsigned nr_regions;
static void *copies[MAX_COPIES];
static unsigned nr_copies;

static const void *fake_map(uint64_t pa, size_t len, void *ctx)
{
	(void)ctx;
	for (unsigned i = 0; i < nr_regions; i++) {
		const struct region *r = &regions[i];
		if (pa < r->pa || pa - r->pa > r->len || len > r->len - (pa - r->pa))
			continue;
		assert_true(nr_copies < MAX_COPIES);
		void *c = malloc(len ? len : 1);
		memcpy(c, r->bytes + (pa - r->pa), len);
		copies[nr_copies++] = c;
		return c;
	}
	return NULL;
}

static void place(uint64_t pa, const uint8_t *bytes, size_t len)
{
	assert_true(nr_regions < MAX_REGIONS);
	regions[nr_regions].pa = pa;
	regions[nr_regions].bytes = malloc(len);
	memcpy(regions[nr_regions].bytes, bytes, len);
	regions[nr_regions++].len = len;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < nr_regions; i++)
		free(regions[i].bytes);
	for (unsigned i = 0; i < nr_copies; i++)
		free(copies[i]);
	nr_regions = nr_copies = 0;
	return 0;
}

/* ---- a little-endian table builder, independent of the parser's structs ---- */

struct tbl {
	uint8_t b[8192];
	size_t n;
};

static void put8(struct tbl *t, uint8_t v)
{
	assert_true(t->n < sizeof(t->b));
	t->b[t->n++] = v;
}

static void put16(struct tbl *t, uint16_t v)
{
	put8(t, (uint8_t)v);
	put8(t, (uint8_t)(v >> 8));
}

static void put32(struct tbl *t, uint32_t v)
{
	put16(t, (uint16_t)v);
	put16(t, (uint16_t)(v >> 16));
}

static void put64(struct tbl *t, uint64_t v)
{
	put32(t, (uint32_t)v);
	put32(t, (uint32_t)(v >> 32));
}

static void putbytes(struct tbl *t, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(t, ((const uint8_t *)p)[i]);
}

static void poke32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void tbl_begin(struct tbl *t, const char *sig)
{
	memset(t, 0, sizeof(*t));
	putbytes(t, sig, 4);
	put32(t, 0); /* length, set by tbl_end */
	put8(t, 2);  /* revision */
	put8(t, 0);  /* checksum */
	putbytes(t, "KESTRL", 6);
	putbytes(t, "TESTTBL ", 8);
	put32(t, 1);
	put32(t, 0x4b53544c);
	put32(t, 1);
	assert_int_equal(t->n, 36);
}

/* Set the length (@len, or the bytes written) and a correct checksum. */
static void tbl_end_len(struct tbl *t, uint32_t len)
{
	poke32(t->b + 4, len ? len : (uint32_t)t->n);
	t->b[9] = 0;
	t->b[9] = (uint8_t)(0x100 - sum(t->b, t->n));
}

static uint64_t tbl_place(struct tbl *t, uint64_t pa)
{
	tbl_end_len(t, 0);
	place(pa, t->b, t->n);
	return pa;
}

/* ---- the tables of a small two-CPU PC ---- */

#define DSDT_PA 0x10000
#define FADT_PA 0x11000
#define MADT_PA 0x12000
#define SSDT_PA 0x13000
#define RSDT_PA 0x14000
#define XSDT_PA 0x15000
#define HPET_PA 0x16000

/* Name (\_S5, Package (0x04) { 0x05, 0x05, Zero, Zero }) in a small scope */
static const uint8_t aml_s5_bytes[] = {
    0x10, 0x03, 0x5c, 0x00,				  /* Scope (\) {} */
    0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f,			  /* Name (\_S5_ */
    0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00, /* Package */
};

static void madt_lapic(struct tbl *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	put8(t, 0);
	put8(t, 8);
	put8(t, uid);
	put8(t, id);
	put32(t, flags);
}

static void madt_x2apic(struct tbl *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	put8(t, 9);
	put8(t, 16);
	put16(t, 0);
	put32(t, id);
	put32(t, flags);
	put32(t, uid);
}

static void madt_ioapic(struct tbl *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	put8(t, 1);
	put8(t, 12);
	put8(t, id);
	put8(t, 0);
	put32(t, addr);
	put32(t, gsi);
}

static void madt_begin(struct tbl *t)
{
	tbl_begin(t, "APIC");
	put32(t, 0xfee00000);
	put32(t, 1); /* PCAT_COMPAT */
}

/* Two enabled CPUs, one disabled, an IOAPIC and an interrupt source override. */
static void madt_std(struct tbl *t)
{
	madt_begin(t);
	madt_lapic(t, 0, 0, 1);
	madt_lapic(t, 1, 1, 1);
	madt_lapic(t, 2, 2, 0);
	madt_ioapic(t, 2, 0xfec00000, 0);
	put8(t, 2); /* ISO: IRQ 0 -> GSI 2 */
	put8(t, 10);
	put8(t, 0);
	put8(t, 0);
	put32(t, 2);
	put16(t, 0);
}

struct fadt_opts {
	uint32_t len; /* 0: 244 */
	uint32_t dsdt;
	uint64_t x_dsdt;
	uint32_t pm1a_cnt, pm1b_cnt, pm_tmr, flags;
	uint8_t x_pm1a_space;
	uint64_t x_pm1a_cnt;
};

static void gas(struct tbl *t, uint8_t space, uint64_t addr)
{
	put8(t, space);
	put8(t, 16);
	put8(t, 0);
	put8(t, 2);
	put64(t, addr);
}

static void fadt_build(struct tbl *t, const struct fadt_opts *o)
{
	tbl_begin(t, "FACP");
	put32(t, 0);	   /* FIRMWARE_CTRL */
	put32(t, o->dsdt); /* 40 */
	while (t->n < 64)
		put8(t, 0);
	put32(t, o->pm1a_cnt); /* 64 */
	put32(t, o->pm1b_cnt);
	put32(t, 0);
	put32(t, o->pm_tmr); /* 76 */
	while (t->n < 89)
		put8(t, 0);
	put8(t, 2); /* PM1_CNT_LEN */
	while (t->n < 112)
		put8(t, 0);
	put32(t, o->flags); /* 112 */
	while (t->n < 140)
		put8(t, 0);
	put64(t, o->x_dsdt); /* 140 */
	while (t->n < 172)
		put8(t, 0);
	gas(t, o->x_pm1a_space, o->x_pm1a_cnt); /* 172 */
	while (t->n < 244)
		put8(t, 0);
	t->n = o->len ? o->len : 244;
}

static void place_fadt(const struct fadt_opts *o)
{
	struct tbl t;

	fadt_build(&t, o);
	tbl_place(&t, FADT_PA);
}

static void place_dsdt(uint64_t pa, const char *sig, const uint8_t *aml, size_t n)
{
	struct tbl t;

	tbl_begin(&t, sig);
	putbytes(&t, aml, n);
	tbl_place(&t, pa);
}

static void place_root(uint64_t pa, const char *sig, const uint64_t *e, unsigned n)
{
	struct tbl t;

	tbl_begin(&t, sig);
	for (unsigned i = 0; i < n; i++) {
		if (sig[0] == 'X')
			put64(&t, e[i]);
		else
			put32(&t, (uint32_t)e[i]);
	}
	tbl_place(&t, pa);
}

/* An RSDP copy of @len bytes (20 or 36), checksums right. */
static uint8_t rsdp_buf[64];
static const uint8_t *rsdp(uint8_t rev, uint32_t rsdt, uint64_t xsdt, size_t len)
{
	struct tbl t;

	memset(&t, 0, sizeof(t));
	putbytes(&t, "RSD PTR ", 8);
	put8(&t, 0);
	putbytes(&t, "BOCHS ", 6);
	put8(&t, rev);
	put32(&t, rsdt);
	put32(&t, 36);
	put64(&t, xsdt);
	put32(&t, 0);
	t.b[8] = (uint8_t)(0x100 - sum(t.b, 20));
	t.b[32] = (uint8_t)(0x100 - sum(t.b, 36));
	memcpy(rsdp_buf, t.b, len);
	return rsdp_buf;
}

/* The whole PC: DSDT, FADT, MADT in both an RSDT and an XSDT. */
static void place_pc(void)
{
	struct fadt_opts fo = {.dsdt = DSDT_PA, .pm1a_cnt = 0xb004, .pm_tmr = 0xb008};
	uint64_t e[] = {FADT_PA, MADT_PA, HPET_PA};
	struct tbl t;

	place_dsdt(DSDT_PA, "DSDT", aml_s5_bytes, sizeof(aml_s5_bytes));
	place_fadt(&fo);
	madt_std(&t);
	tbl_place(&t, MADT_PA);
	tbl_begin(&t, "HPET");
	put32(&t, 0);
	tbl_place(&t, HPET_PA);
	place_root(RSDT_PA, "RSDT", e, 3);
	place_root(XSDT_PA, "XSDT", e, 3);
}

static bool has_error(const struct acpi_info *a, const char *needle)
{
	for (unsigned i = 0; i < a->nr_errors; i++)
		if (strstr(a->errors[i], needle))
			return true;
	return false;
}

static void print_errors(const struct acpi_info *a)
{
	for (unsigned i = 0; i < a->nr_errors; i++)
		fprintf(stderr, "    acpi error: %s\n", a->errors[i]);
}

static struct acpi_info info;

static int parse(const uint8_t *r, size_t len)
{
	int ret = acpi_parse(r, len, fake_map, NULL, 0, &info);

	print_errors(&info);
	return ret;
}

static void check_pc(const struct acpi_info *a)
{
	assert_true(a->has_madt);
	assert_int_equal(a->lapic_addr, 0xfee00000);
	assert_int_equal(a->madt_flags, 1);
	assert_int_equal(a->nr_cpus, 2);
	assert_int_equal(a->cpus[0].apic_id, 0);
	assert_int_equal(a->cpus[1].apic_id, 1);
	assert_int_equal(a->cpus[1].uid, 1);
	assert_false(a->cpus[1].x2apic);
	assert_int_equal(a->nr_cpus_disabled, 1);
	assert_int_equal(a->nr_cpus_dropped, 0);
	assert_int_equal(a->nr_ioapics, 1);
	assert_int_equal(a->ioapics[0].id, 2);
	assert_int_equal(a->ioapics[0].addr, 0xfec00000);
	assert_true(a->has_fadt);
	assert_int_equal(a->pm1a_cnt, 0xb004);
	assert_int_equal(a->pm1b_cnt, 0);
	assert_int_equal(a->pm_tmr, 0xb008);
	assert_int_equal(a->pm_tmr_bits, 24);
	assert_int_equal(a->dsdt_addr, DSDT_PA);
	assert_true(a->has_s5);
	assert_int_equal(a->s5_typ_a, 5);
	assert_int_equal(a->s5_typ_b, 5);
	assert_string_equal(a->s5_table, "DSDT");
}

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

static void parse_with_madt(struct tbl *madt, uint32_t len)
{
	uint64_t e[] = {MADT_PA};

	tbl_end_len(madt, len);
	place(MADT_PA, madt->b, madt->n);
	place_root(RSDT_PA, "RSDT", e, 1);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
}

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

static void parse_with_fadt(const struct fadt_opts *o)
{
	uint64_t e[] = {FADT_PA};

	place_fadt(o);
	place_root(RSDT_PA, "RSDT", e, 1);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
}

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

/* ---- \_S5 ---- */

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
	    T(test_s5_forms),
	    T(test_s5_in_ssdt),
	    T(test_bad_dsdt),
	    T(test_huge_length_and_error_overflow),
	    T(test_unprintable_signature),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
