/*
 * Shared fixture for the fw/acpi_build.c tests: a PC configuration, a build into a
 * poisoned buffer, little-endian readers independent of fw/acpi.h's structs, and the
 * parse back through fw/acpi.c over the fake memory of acpi_fixture.h.
 */
#ifndef TEST_UNIT_ACPI_BUILD_FIXTURE_H
#define TEST_UNIT_ACPI_BUILD_FIXTURE_H

#include "fw/acpi_build.h"
#include "test/unit/acpi_fixture.h"

#define POISON 0xa5

static uint32_t ids4[] = {0, 1, 2, 3};

/* A 4-CPU VM as the PC platform wires it (ports as the PM device suggests). */
static inline struct acpi_build_cfg pc_cfg(void)
{
	return (struct acpi_build_cfg){.nr_cpus = 4,
				       .apic_ids = ids4,
				       .ioapic_id = 4,
				       .ioapic_addr = 0xfec00000,
				       .lapic_addr = 0xfee00000,
				       .pm1a_evt = 0x600,
				       .pm1a_cnt = 0x604,
				       .pm_tmr = 0x608,
				       .sci_irq = 9,
				       .reset_port = 0xcf9,
				       .reset_value = 0x06,
				       .rtc_century = 0x32,
				       .oem_id = "KESTRL"};
}

static uint8_t out[ACPI_BUILD_MAX + 256];
static uint64_t out_rsdp;

static inline uint64_t rd(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}
#define rd8(p)	((uint8_t)rd((p), 1))
#define rd16(p) ((uint16_t)rd((p), 2))
#define rd32(p) ((uint32_t)rd((p), 4))
#define rd64(p) rd((p), 8)

/* Build @c at @gpa into out[] (poisoned first); the bytes used, asserted positive. */
static inline size_t build(const struct acpi_build_cfg *c, uint64_t gpa, size_t max)
{
	long n;

	memset(out, POISON, sizeof(out));
	n = acpi_build(c, gpa, out, max, &out_rsdp);
	assert_true(n > 0);
	assert_true((size_t)n <= max);
	for (size_t i = (size_t)n; i < sizeof(out); i++)
		assert_int_equal(out[i], POISON);
	return (size_t)n;
}

/* The table at guest-physical @pa inside out[] (built at @gpa). */
static inline const uint8_t *at(uint64_t gpa, uint64_t pa)
{
	assert_true(pa >= gpa && pa < gpa + ACPI_BUILD_MAX);
	return out + (pa - gpa);
}

/* Put out[] at @gpa in the fake memory and parse it from its RSDP: no errors. */
static inline void parse_built(uint64_t gpa, size_t n)
{
	place(gpa, out, n);
	assert_int_equal(parse(at(gpa, out_rsdp), ACPI_RSDP_V2_LEN), 0);
	assert_int_equal(info.nr_errors, 0);
}

#endif /* TEST_UNIT_ACPI_BUILD_FIXTURE_H */
