/*
 * Shared fixture for the fw/acpi.c unit tests: a fake physical memory whose map returns
 * exact-length heap copies (ASan catches over-reads), a table builder, and a small PC.
 */
#ifndef TEST_UNIT_ACPI_FIXTURE_H
#define TEST_UNIT_ACPI_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fw/acpi.h"

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

static inline const void *fake_map(uint64_t pa, size_t len, void *ctx)
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

static inline void place(uint64_t pa, const uint8_t *bytes, size_t len)
{
	assert_true(nr_regions < MAX_REGIONS);
	regions[nr_regions].pa = pa;
	regions[nr_regions].bytes = malloc(len);
	memcpy(regions[nr_regions].bytes, bytes, len);
	regions[nr_regions++].len = len;
}

static inline int teardown(void **state)
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

static inline void put8(struct tbl *t, uint8_t v)
{
	assert_true(t->n < sizeof(t->b));
	t->b[t->n++] = v;
}

static inline void put16(struct tbl *t, uint16_t v)
{
	put8(t, (uint8_t)v);
	put8(t, (uint8_t)(v >> 8));
}

static inline void put32(struct tbl *t, uint32_t v)
{
	put16(t, (uint16_t)v);
	put16(t, (uint16_t)(v >> 16));
}

static inline void put64(struct tbl *t, uint64_t v)
{
	put32(t, (uint32_t)v);
	put32(t, (uint32_t)(v >> 32));
}

static inline void putbytes(struct tbl *t, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(t, ((const uint8_t *)p)[i]);
}

static inline void poke32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static inline void tbl_begin(struct tbl *t, const char *sig)
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
static inline void tbl_end_len(struct tbl *t, uint32_t len)
{
	poke32(t->b + 4, len ? len : (uint32_t)t->n);
	t->b[9] = 0;
	t->b[9] = (uint8_t)(0x100 - sum(t->b, t->n));
}

static inline uint64_t tbl_place(struct tbl *t, uint64_t pa)
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

static inline void madt_lapic(struct tbl *t, uint8_t uid, uint8_t id, uint32_t flags)
{
	put8(t, 0);
	put8(t, 8);
	put8(t, uid);
	put8(t, id);
	put32(t, flags);
}

static inline void madt_x2apic(struct tbl *t, uint32_t id, uint32_t flags, uint32_t uid)
{
	put8(t, 9);
	put8(t, 16);
	put16(t, 0);
	put32(t, id);
	put32(t, flags);
	put32(t, uid);
}

static inline void madt_ioapic(struct tbl *t, uint8_t id, uint32_t addr, uint32_t gsi)
{
	put8(t, 1);
	put8(t, 12);
	put8(t, id);
	put8(t, 0);
	put32(t, addr);
	put32(t, gsi);
}

static inline void madt_begin(struct tbl *t)
{
	tbl_begin(t, "APIC");
	put32(t, 0xfee00000);
	put32(t, 1); /* PCAT_COMPAT */
}

/* Two enabled CPUs, one disabled, an IOAPIC and an interrupt source override. */
static inline void madt_std(struct tbl *t)
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
	uint32_t firmware_ctrl, dsdt;
	uint64_t x_firmware_ctrl, x_dsdt;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable;
	uint32_t pm1a_evt, pm1a_cnt, pm1b_cnt, pm_tmr, flags;
	uint8_t pm1_evt_len, pm_tmr_len; /* PM1_CNT_LEN is always 2 */
	uint8_t century;
	uint16_t boot_arch;
	uint8_t reset_space, reset_value;
	uint64_t reset_addr;
	uint8_t x_pm1a_space;
	uint64_t x_pm1a_cnt;
	uint64_t x_pm1a_evt; /* in system I/O */
};

static inline void gas(struct tbl *t, uint8_t space, uint64_t addr)
{
	put8(t, space);
	put8(t, 16);
	put8(t, 0);
	put8(t, 2);
	put64(t, addr);
}

static inline void pad_to(struct tbl *t, size_t off)
{
	assert_true(t->n <= off);
	while (t->n < off)
		put8(t, 0);
}

/* Each field at its offset in the ACPI specification's FADT table. */
static inline void fadt_build(struct tbl *t, const struct fadt_opts *o)
{
	tbl_begin(t, "FACP");
	put32(t, o->firmware_ctrl); /* 36 */
	put32(t, o->dsdt);	    /* 40 */
	pad_to(t, 46);
	put16(t, o->sci_int);	  /* 46 */
	put32(t, o->smi_cmd);	  /* 48 */
	put8(t, o->acpi_enable);  /* 52 */
	put8(t, o->acpi_disable); /* 53 */
	pad_to(t, 56);
	put32(t, o->pm1a_evt); /* 56 */
	pad_to(t, 64);
	put32(t, o->pm1a_cnt); /* 64 */
	put32(t, o->pm1b_cnt);
	put32(t, 0);
	put32(t, o->pm_tmr); /* 76 */
	pad_to(t, 88);
	put8(t, o->pm1_evt_len); /* 88 */
	put8(t, 2);		 /* PM1_CNT_LEN */
	put8(t, 0);
	put8(t, o->pm_tmr_len); /* 91 */
	pad_to(t, 108);
	put8(t, o->century);	/* 108 */
	put16(t, o->boot_arch); /* 109 */
	pad_to(t, 112);
	put32(t, o->flags);		       /* 112 */
	gas(t, o->reset_space, o->reset_addr); /* 116 */
	put8(t, o->reset_value);	       /* 128 */
	pad_to(t, 132);
	put64(t, o->x_firmware_ctrl); /* 132 */
	put64(t, o->x_dsdt);	      /* 140 */
	gas(t, 1, o->x_pm1a_evt);     /* 148 */
	pad_to(t, 172);
	gas(t, o->x_pm1a_space, o->x_pm1a_cnt); /* 172 */
	pad_to(t, 244);
	t->n = o->len ? o->len : 244;
}

static inline void place_fadt(const struct fadt_opts *o)
{
	struct tbl t;

	fadt_build(&t, o);
	tbl_place(&t, FADT_PA);
}

static inline void place_dsdt(uint64_t pa, const char *sig, const uint8_t *aml, size_t n)
{
	struct tbl t;

	tbl_begin(&t, sig);
	putbytes(&t, aml, n);
	tbl_place(&t, pa);
}

static inline void place_root(uint64_t pa, const char *sig, const uint64_t *e, unsigned n)
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
static inline const uint8_t *rsdp(uint8_t rev, uint32_t rsdt, uint64_t xsdt, size_t len)
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

/* An HPET description table (IA-PC HPET specification), base in @space at @base. */
static inline void place_hpet(uint64_t pa, uint8_t space, uint64_t base)
{
	struct tbl t;

	tbl_begin(&t, "HPET");
	put32(&t, 0x8086a201); /* event timer block ID */
	gas(&t, space, base);  /* 40 */
	put8(&t, 0);	       /* 52: HPET number */
	put16(&t, 0x80);       /* 53: minimum tick */
	put8(&t, 0);	       /* 55: page protection */
	tbl_place(&t, pa);
}

/* The whole PC: DSDT, FADT, MADT in both an RSDT and an XSDT. */
static inline void place_pc(void)
{
	struct fadt_opts fo = {.dsdt = DSDT_PA, .pm1a_cnt = 0xb004, .pm_tmr = 0xb008};
	uint64_t e[] = {FADT_PA, MADT_PA, HPET_PA};
	struct tbl t;

	place_dsdt(DSDT_PA, "DSDT", aml_s5_bytes, sizeof(aml_s5_bytes));
	place_fadt(&fo);
	madt_std(&t);
	tbl_place(&t, MADT_PA);
	place_hpet(HPET_PA, ACPI_GAS_MEMORY, 0xfed00000);
	place_root(RSDT_PA, "RSDT", e, 3);
	place_root(XSDT_PA, "XSDT", e, 3);
}

static inline bool has_error(const struct acpi_info *a, const char *needle)
{
	for (unsigned i = 0; i < a->nr_errors; i++)
		if (strstr(a->errors[i], needle))
			return true;
	return false;
}

static inline void print_errors(const struct acpi_info *a)
{
	for (unsigned i = 0; i < a->nr_errors; i++)
		fprintf(stderr, "    acpi error: %s\n", a->errors[i]);
}

static struct acpi_info info;

static inline int parse(const uint8_t *r, size_t len)
{
	int ret = acpi_parse(r, len, fake_map, NULL, 0, &info);

	print_errors(&info);
	return ret;
}

static inline void check_pc(const struct acpi_info *a)
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
	assert_int_equal(a->nr_isos, 1);
	assert_int_equal(a->isos[0].bus, 0);
	assert_int_equal(a->isos[0].source, 0);
	assert_int_equal(a->isos[0].gsi, 2);
	assert_int_equal(a->isos[0].flags, 0);
	assert_int_equal(a->nr_nmis, 0);
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

static inline void parse_with_madt(struct tbl *madt, uint32_t len)
{
	uint64_t e[] = {MADT_PA};

	tbl_end_len(madt, len);
	place(MADT_PA, madt->b, madt->n);
	place_root(RSDT_PA, "RSDT", e, 1);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
}

static inline void parse_with_fadt(const struct fadt_opts *o)
{
	uint64_t e[] = {FADT_PA};

	place_fadt(o);
	place_root(RSDT_PA, "RSDT", e, 1);
	assert_int_equal(parse(rsdp(0, RSDT_PA, 0, 20), 20), 0);
}

#endif /* TEST_UNIT_ACPI_FIXTURE_H */
