/*
 * Interrupt lines between device models and interrupt controllers: a device
 * holds a struct irq_line and drives it high or low; whoever wired it (the VM's
 * interrupt router, or a host test) decides what a level change means.
 * Devices never know what is at the other end.
 */
#ifndef VM_IRQ_H
#define VM_IRQ_H

#include "lib/types.h"

/* One wire: set(ctx, line, level) is called on every change the device makes. */
struct irq_line {
	void (*set)(void *ctx, unsigned line, bool level);
	void *ctx;
	unsigned line;
};

static inline void irq_line_set(const struct irq_line *l, bool level)
{
	if (l->set)
		l->set(l->ctx, l->line, level);
}

/* An edge for edge-triggered inputs: high then low. */
static inline void irq_line_pulse(const struct irq_line *l)
{
	irq_line_set(l, true);
	irq_line_set(l, false);
}

/*
 * A message to local APICs, as the IOAPIC's redirection entries and MSIs
 * describe one (SDM "Interrupt Command Register", 82093AA redirection table).
 */
enum apic_delivery {
	APIC_DM_FIXED = 0,
	APIC_DM_LOWEST = 1,
	APIC_DM_SMI = 2,
	APIC_DM_NMI = 4,
	APIC_DM_INIT = 5,
	APIC_DM_SIPI = 6,
	APIC_DM_EXTINT = 7,
};

struct apic_msg {
	uint8_t vector;
	uint8_t delivery; /* enum apic_delivery */
	bool logical;	  /* destination mode: logical (true) or physical */
	bool level;	  /* trigger mode: level (true) or edge */
	uint32_t dest;	  /* APIC ID (physical) or logical destination */
};

#endif
