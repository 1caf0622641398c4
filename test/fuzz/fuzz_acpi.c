/*
 * libFuzzer target for fw/acpi.c. Input: a flags byte (bit 0: skip checksums, so the
 * mutations reach table bodies), an RSDP length byte, the RSDP copy, then a memory
 * image at physical MEM_BASE. Every map call returns a fresh heap copy of exactly the
 * bytes asked for (ASan catches reads past them). Aborts when an output invariant breaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw/acpi.h"
#include "lib/errno.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			abort();                                                                   \
	} while (0)

#define MEM_BASE   0x1000
#define MAX_COPIES 4096

static const uint8_t *mem;
static size_t mem_len;
static void *copies[MAX_COPIES];
static unsigned nr_copies;

static const void *fuzz_map(uint64_t pa, size_t len, void *ctx)
{
	void *c;

	(void)ctx;
	if (pa < MEM_BASE || pa - MEM_BASE > mem_len || len > mem_len - (pa - MEM_BASE))
		return NULL;
	CHECK(nr_copies < MAX_COPIES);
	c = malloc(len ? len : 1);
	memcpy(c, mem + (pa - MEM_BASE), len);
	copies[nr_copies++] = c;
	return c;
}

/* HPET, MCFG, DMAR (fw/acpi_hw.c) and the register windows built from them. */
static void check_platform(const struct acpi_info *a)
{
	struct acpi_mmio m[ACPI_MAX_MMIO + 1];
	unsigned n;

	CHECK(a->nr_hpets <= ACPI_MAX_HPETS && a->nr_ecams <= ACPI_MAX_MCFGS);
	CHECK(a->nr_drhds <= ACPI_MAX_DRHDS);
	for (unsigned i = 0; i < a->nr_ecams; i++)
		CHECK(a->ecams[i].start_bus <= a->ecams[i].end_bus);
	for (unsigned i = 0; i < a->nr_drhds; i++)
		CHECK(a->drhds[i].base && a->drhds[i].size >= 4096 && a->drhds[i].size <= 1 << 27);
	n = acpi_platform_mmio(a, m, ACPI_MAX_MMIO + 1);
	CHECK(n >= 3 && n <= ACPI_MAX_MMIO);
	for (unsigned i = 0; i < n; i++)
		CHECK(m[i].start < m[i].end && !(m[i].start & 0xfff) && !(m[i].end & 0xfff) &&
		      m[i].what);
}

static void check_info(const struct acpi_info *a, int ret)
{
	CHECK(a->nr_cpus <= ACPI_MAX_CPUS && a->nr_ioapics <= ACPI_MAX_IOAPICS);
	CHECK(a->nr_isos <= ACPI_MAX_ISOS && a->nr_nmis <= ACPI_MAX_NMIS);
	CHECK(a->nr_nmis_dropped == 0 || a->nr_nmis == ACPI_MAX_NMIS);
	CHECK(a->nr_errors <= ACPI_MAX_ERRORS);
	CHECK(a->nr_errors_dropped == 0 || a->nr_errors == ACPI_MAX_ERRORS);
	for (unsigned i = 0; i < a->nr_errors; i++)
		CHECK(memchr(a->errors[i], '\0', ACPI_ERROR_LEN) != NULL);
	CHECK(memchr(a->oem_id, '\0', sizeof(a->oem_id)) != NULL);
	for (unsigned i = 0; i < a->nr_cpus; i++) {
		for (unsigned j = 0; j < i; j++)
			CHECK(a->cpus[i].apic_id != a->cpus[j].apic_id);
	}
	if (a->has_s5) {
		CHECK(a->s5_typ_a <= 7 && a->s5_typ_b <= 7);
		CHECK(!strcmp(a->s5_table, "DSDT") || !strcmp(a->s5_table, "SSDT"));
	}
	CHECK(a->nr_tables <= ACPI_MAX_ENTRIES);
	if (ret) {
		CHECK(ret == -EINVAL && a->nr_errors > 0);
		CHECK(!a->has_madt && !a->has_fadt && !a->has_s5 && a->nr_cpus == 0);
	} else {
		CHECK(a->root_addr >= MEM_BASE);
	}
	CHECK(!a->has_fadt || a->pm_tmr_bits == 24 || a->pm_tmr_bits == 32);
	CHECK(a->has_madt ||
	      (a->nr_cpus == 0 && a->nr_ioapics == 0 && a->nr_isos == 0 && a->nr_nmis == 0));
	CHECK(a->has_fadt || (a->fadt_len == 0 && a->facs_addr == 0 && a->pm1a_evt == 0));
	CHECK(!a->has_fadt || (a->fadt_len >= ACPI_FADT_V1_LEN && a->fadt_len <= ACPI_TABLE_MAX));
	check_platform(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct acpi_info info;
	unsigned flags;
	size_t rsdp_len;
	uint8_t a, b;

	if (size < 2)
		return 0;
	flags = data[0] & 1 ? ACPI_PARSE_NO_CHECKSUM : 0;
	rsdp_len = MIN((size_t)data[1] % (ACPI_RSDP_V2_LEN + 1), size - 2);
	uint8_t *rsdp = malloc(rsdp_len ? rsdp_len : 1);
	memcpy(rsdp, data + 2, rsdp_len);
	mem = data + 2 + rsdp_len;
	mem_len = size - 2 - rsdp_len;

	check_info(&info, acpi_parse(rsdp, rsdp_len, fuzz_map, NULL, flags, &info));

	/* the AML scan alone, over the memory image as an exact-size copy */
	uint8_t *aml = malloc(mem_len ? mem_len : 1);
	memcpy(aml, mem, mem_len);
	a = b = 0xee;
	if (acpi_find_s5(aml, mem_len, &a, &b) == 0)
		CHECK(a <= 7 && b <= 7);
	else
		CHECK(a == 0xee && b == 0xee);

	free(aml);
	free(rsdp);
	for (unsigned i = 0; i < nr_copies; i++)
		free(copies[i]);
	nr_copies = 0;
	return 0;
}
