/*
 * Coalesced MMIO (KVM's KVM_REGISTER_COALESCED_MMIO): a VM's emulated-MMIO ranges marked
 * REGION_F_COALESCED are write-only coalesced. Each guest write to one is appended to the
 * VM's ring (address, width, value) instead of running the device model; the ring is
 * drained into the device models, in order, before any read of a coalesced range, when a
 * write finds it full, and when the VM stops. A restart discards it (devices are reset).
 * Called with the VM's vm_dev_lock held (the MMIO emulation holds it around every device
 * access; hv/lifecycle.c takes it to drain at the stop); claimed while the VM is built.
 * Builds on the host.
 */
#ifndef VM_COALESCED_H
#define VM_COALESCED_H

#include "vm/iobus.h"

#define COALESCED_RING_ENTRIES 64		/* a power of two: indices run free and wrap */
#define COALESCED_MAX_RANGES   IOBUS_MAX_RANGES /* below 256: an entry's range is a byte */

static_assert((COALESCED_RING_ENTRIES & (COALESCED_RING_ENTRIES - 1)) == 0,
	      "ring indices are taken modulo the size");

/* One coalesced write: what the device model's write handler will get, at @addr's range. */
struct coalesced_entry {
	uint64_t addr; /* guest-physical */
	uint64_t val;  /* as the emulator gave it */
	uint8_t width; /* 1, 2, 4 or 8 */
	uint8_t range; /* index in struct coalesced's ranges[] */
};

/* A claimed bus range: the device's own handlers, which the bus entry no longer names. */
struct coalesced_range {
	const struct iobus_ops *ops;
	void *dev;
	uint64_t base;
	struct coalesced *ring;
	uint8_t index; /* in ranges[] */
};

/* Why a drain ran (statistics). */
enum coalesced_cause { COALESCED_ON_READ, COALESCED_ON_FULL, COALESCED_ON_STOP, COALESCED_CAUSES };

/* Since the VM was built, restarts included. */
struct coalesced_stats {
	uint64_t writes;		   /* appended to the ring */
	uint64_t drained;		   /* entries given to their device */
	uint64_t drains[COALESCED_CAUSES]; /* drains that found entries, by cause */
	uint64_t discarded;		   /* entries dropped by a restart or a failed drain */
	uint64_t errors;		   /* drains a device's write handler failed */
};

/*
 * Invariants: entries [head, tail) wait, in the guest's order, at index % RING_ENTRIES;
 * tail - head <= COALESCED_RING_ENTRIES (unsigned, so the indices may wrap); every
 * entry's range < nr_ranges. All zero is a valid empty ring with no ranges.
 */
struct coalesced {
	uint32_t head, tail;
	struct coalesced_entry ring[COALESCED_RING_ENTRIES];
	struct coalesced_range ranges[COALESCED_MAX_RANGES];
	unsigned nr_ranges;
	struct coalesced_stats stats;
};

void coalesced_init(struct coalesced *c);

/*
 * Make every MMIO range of @bus inside [base, base+size) coalesced: its bus entry now
 * names the ring's handlers, which keep the device's. Called after the device model
 * registered them, before the VM runs. 0; -ENOENT when no range lies there; -EINVAL when
 * a range only partly lies there or is already coalesced; -ENOSPC past COALESCED_MAX_RANGES.
 */
int coalesced_claim(struct coalesced *c, struct iobus *bus, uint64_t base, uint64_t size);

/*
 * Give every waiting entry to its device's write handler, oldest first. 0, or the first
 * handler error (that entry was taken; the ones after it are discarded, as the guest
 * would have been stopped at that write without coalescing).
 */
int coalesced_drain(struct coalesced *c, enum coalesced_cause why);

/* Drop every waiting entry (restart: the devices are reset with it). */
void coalesced_discard(struct coalesced *c);

static inline unsigned coalesced_pending(const struct coalesced *c)
{
	return c->tail - c->head;
}

/* True when @r is a coalesced range (its handlers are the ring's). */
bool coalesced_range_is(const struct io_range *r);

#endif
