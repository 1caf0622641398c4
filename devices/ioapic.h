/*
 * An 82093AA-style I/O APIC with 24 pins: the register file behind IOREGSEL/IOWIN
 * and the pin logic that turns input levels into APIC messages. Pure state, no time;
 * the VM's interrupt router drives the pins and forwards LAPIC EOI broadcasts.
 */
#ifndef DEVICES_IOAPIC_H
#define DEVICES_IOAPIC_H

#include "lib/types.h"
#include "vm/irq.h"

#define IOAPIC_PINS	    24
#define IOAPIC_DEFAULT_BASE 0xFEC00000ULL
#define IOAPIC_MMIO_SIZE    0x1000ULL /* one page; everything but the two windows is unbacked */

/*
 * Version 0x11 is the 82093AA's, and what KVM's in-kernel IOAPIC reports. Version
 * 0x11 parts have no EOI register at 0x40 (that came with version 0x20), so it reads
 * all ones here; Linux then ends level interrupts through the LAPIC's EOI broadcast
 * (ioapic_eoi below) and clears a stuck Remote IRR by rewriting the entry as edge.
 */
#define IOAPIC_VERSION 0x11

/* Direct registers (MMIO offsets). */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10

/* Indirect registers (IOREGSEL values). */
#define IOAPIC_REG_ID	 0x00
#define IOAPIC_REG_VER	 0x01
#define IOAPIC_REG_ARB	 0x02
#define IOAPIC_REG_REDIR 0x10 /* pin n: low dword 0x10 + 2n, high dword 0x11 + 2n */

#define IOAPIC_ID_MASK	 GENMASK(27, 24)
#define IOAPIC_VER_MRE	 GENMASK(23, 16) /* maximum redirection entry (pins - 1) */
#define IOAPIC_VER_VALUE (((uint32_t)(IOAPIC_PINS - 1) << 16) | IOAPIC_VERSION)

/* Redirection table entry, 64 bits. */
#define IOAPIC_RTE_VECTOR   GENMASK(7, 0)
#define IOAPIC_RTE_DELIVERY GENMASK(10, 8)
#define IOAPIC_RTE_LOGICAL  BIT(11)
#define IOAPIC_RTE_PENDING  BIT(12) /* delivery status, read-only */
#define IOAPIC_RTE_LOW_ACT  BIT(13) /* polarity: input is active low */
#define IOAPIC_RTE_RIRR	    BIT(14) /* remote IRR, read-only */
#define IOAPIC_RTE_LEVEL    BIT(15) /* trigger mode */
#define IOAPIC_RTE_MASKED   BIT(16)
#define IOAPIC_RTE_DEST	    GENMASK(63, 56)
#define IOAPIC_RTE_RO	    (IOAPIC_RTE_PENDING | IOAPIC_RTE_RIRR)
#define IOAPIC_RTE_RW                                                                              \
	(IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELIVERY | IOAPIC_RTE_LOGICAL | IOAPIC_RTE_LOW_ACT |       \
	 IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | IOAPIC_RTE_DEST)
static_assert((IOAPIC_RTE_RO & IOAPIC_RTE_RW) == 0, "read-only and writable RTE bits overlap");

/*
 * Invariants: redir[] holds only IOAPIC_RTE_RW | IOAPIC_RTE_RIRR bits; Remote IRR is
 * set only on level-triggered entries; delivery is synchronous, so Delivery Status
 * always reads 0. level is the electrical input per pin (bit n = pin n).
 */
struct ioapic {
	void (*deliver)(void *ctx, const struct apic_msg *m);
	void *ctx;
	uint8_t init_id; /* ID given at init, restored by reset */
	uint8_t id;	 /* 4-bit IOAPIC ID */
	uint8_t arb;	 /* 4-bit arbitration ID */
	uint8_t regsel;	 /* IOREGSEL */
	uint32_t level;	 /* input pin levels as driven, before polarity */
	uint64_t redir[IOAPIC_PINS];
};

/* @pre id < 16; deliver is called for every message the IOAPIC sends. */
void ioapic_init(struct ioapic *io, uint8_t id,
		 void (*deliver)(void *ctx, const struct apic_msg *m), void *ctx);
/* RESET: every entry masked with all other fields 0, ID and arbitration ID back to the
 * init ID, IOREGSEL 0. The pin input levels are wires, not registers: they are kept. */
void ioapic_reset(struct ioapic *io);

/*
 * MMIO at off from the base. Only 32-bit accesses to IOREGSEL (0x00) and IOWIN (0x10)
 * do anything: other widths and offsets read all ones (of width) and drop writes, as
 * do IOWIN accesses while IOREGSEL names no register. Always returns 0.
 * @pre width is 1, 2, 4 or 8.
 */
int ioapic_read(struct ioapic *io, uint64_t off, unsigned width, uint64_t *val);
int ioapic_write(struct ioapic *io, uint64_t off, unsigned width, uint64_t val);

/*
 * Drive input pin to an electrical level; the entry's polarity decides whether that is
 * asserted (asserted = level XOR active-low). Edge entries send one message per
 * deasserted->asserted transition while unmasked; an edge that arrives masked is lost,
 * as on the 82093AA. Level entries send while asserted, unmasked and Remote IRR clear.
 * Out-of-range pins are ignored.
 */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);

/* A LAPIC EOI broadcast for vector: clear Remote IRR on every level entry with that
 * vector, and send again at once where the input is still asserted and unmasked. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

#endif
