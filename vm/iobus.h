/*
 * A VM's I/O bus: the MMIO and port ranges device models registered, looked
 * up by address on every emulated access. Ranges never overlap within a space.
 * Registered while the VM is built; looked up only by the CPU running the VM.
 */
#ifndef VM_IOBUS_H
#define VM_IOBUS_H

#include "lib/errno.h"
#include "lib/types.h"

#define IOBUS_MAX_RANGES 16

/* MMIO by guest-physical address, ports, and MSRs by number (val in EDX:EAX). */
enum iobus_space { IOBUS_MMIO, IOBUS_PIO, IOBUS_MSR, IOBUS_NR_SPACES };

/* A device's handlers, both required; @off is relative to the range's base, @width 1, 2, 4 or 8. */
struct iobus_ops {
	int (*read)(void *dev, uint64_t off, unsigned width, uint64_t *val);
	int (*write)(void *dev, uint64_t off, unsigned width, uint64_t val);
};

#define IORANGE_SLOW BIT(0) /* MMIO: never give the page the EPT-misconfiguration marker */

struct io_range {
	uint64_t base, size;
	const struct iobus_ops *ops;
	void *dev;
	const char *name;
	uint32_t flags;
};

struct iobus {
	struct io_range ranges[IOBUS_NR_SPACES][IOBUS_MAX_RANGES]; /* sorted by base */
	unsigned nr[IOBUS_NR_SPACES];
};

void iobus_init(struct iobus *bus);
/*
 * Claim [base, base+size) in @space for @dev. 0; -EINVAL for an empty or
 * wrapping range or missing handlers; -EEXIST when it overlaps a registered
 * range; -ENOSPC when full.
 */
int iobus_register(struct iobus *bus, enum iobus_space space, const struct io_range *r);
/*
 * The range holding @addr, or NULL. Inline and linear over the sorted ranges:
 * a VM has a handful, and this is on every emulated access (exit paths).
 */
static inline const struct io_range *iobus_find(const struct iobus *bus, enum iobus_space space,
						uint64_t addr)
{
	const struct io_range *r = bus->ranges[space], *end = r + bus->nr[space];

	for (; r < end && addr >= r->base; r++)
		if (addr - r->base < r->size)
			return r;
	return NULL;
}

/* No device claims the address: the caller decides what the guest sees. */
#define IOBUS_NONE (-ENODEV)

/* Dispatch one access: IOBUS_NONE when no device claims @addr, else the handler's result. */
static inline int iobus_read(const struct iobus *bus, enum iobus_space space, uint64_t addr,
			     unsigned width, uint64_t *val)
{
	const struct io_range *r = iobus_find(bus, space, addr);

	if (!r)
		return IOBUS_NONE;
	return r->ops->read(r->dev, addr - r->base, width, val);
}

static inline int iobus_write(const struct iobus *bus, enum iobus_space space, uint64_t addr,
			      unsigned width, uint64_t val)
{
	const struct io_range *r = iobus_find(bus, space, addr);

	if (!r)
		return IOBUS_NONE;
	return r->ops->write(r->dev, addr - r->base, width, val);
}

#endif
