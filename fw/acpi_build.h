/*
 * ACPI tables describing a VM's virtual PC (RSDP, XSDT and RSDT, FADT with its FACS and
 * DSDT, MADT), built into a buffer the caller copies to guest-physical @gpa. Pure: writes
 * only the caller's buffer; the ports and addresses of the device models (which live above
 * fw/) come in as parameters. Called by the VM build; host-built for tests.
 */
#ifndef FW_ACPI_BUILD_H
#define FW_ACPI_BUILD_H

#include "lib/types.h"

#define ACPI_BUILD_MAX_CPUS 64
#define ACPI_BUILD_MAX	    (4 * KiB) /* ACPI_BUILD_MAX_CPUS x2APIC CPUs fit, at any @gpa */
#define ACPI_BUILD_S5_TYP   5	      /* the DSDT's \_S5 SLP_TYP: the PM1 device must agree */

/*
 * A VM's platform as its tables describe it. Ports are I/O ports; addresses are
 * guest-physical. The SCI is level-triggered, active high, on ISA IRQ @sci_irq (and GSI
 * @sci_irq of the one IOAPIC, whose GSI base is 0); ISA IRQ 0 arrives on GSI 2.
 */
struct acpi_build_cfg {
	unsigned nr_cpus;	  /* 1..ACPI_BUILD_MAX_CPUS */
	const uint32_t *apic_ids; /* nr_cpus distinct IDs: [i] is ACPI processor UID i, [0] boots */
	uint8_t ioapic_id;
	uint64_t ioapic_addr, lapic_addr; /* page-aligned, below 4 GiB */
	uint16_t pm1a_evt;		  /* PM1a_EVT_BLK: PM1_STS, PM1_EN (2 + 2 bytes) */
	uint16_t pm1a_cnt;		  /* PM1a_CNT_BLK: PM1_CNT (2 bytes) */
	uint16_t pm_tmr;		  /* PM_TMR_BLK: the 24-bit PM timer (4 bytes) */
	uint8_t sci_irq;		  /* 1..15 but 2 (the cascade, and IRQ 0's GSI) */
	uint16_t reset_port;		  /* RESET_REG: a byte written with @reset_value */
	uint8_t reset_value;
	uint8_t rtc_century; /* CMOS index of the RTC's century byte (0x0E..0x7F); 0: none */
	const char *oem_id;  /* 1..6 printable characters, space-padded in the tables */
};

/*
 * 0 when acpi_build(@c, @gpa, buf, @max, ...) would succeed. Otherwise -EINVAL (a bad
 * field of @c, or tables that would not lie below 4 GiB) or -ENOSPC (@max too small) and,
 * when @err is not NULL, one line naming the culprit in @err (@errlen bytes, NUL-ended).
 */
int acpi_build_check(const struct acpi_build_cfg *c, uint64_t gpa, size_t max, char *err,
		     size_t errlen);

/*
 * Build every table into @buf: the bytes that will sit at guest-physical @gpa, at most
 * @max of them. Returns the bytes used (padding included; the rest of @buf is untouched),
 * or -EINVAL / -ENOSPC as acpi_build_check() says, with @buf untouched. *@rsdp_gpa gets
 * the RSDP's address (16-byte aligned, within the first 16 bytes).
 * @pre buf != NULL && rsdp_gpa != NULL (else -EINVAL).
 */
long acpi_build(const struct acpi_build_cfg *c, uint64_t gpa, void *buf, size_t max,
		uint64_t *rsdp_gpa);

#endif
