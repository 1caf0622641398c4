/*
 * The I/O bus: sorted, non-overlapping ranges per address space, found by
 * binary search. A VM has a handful of ranges, so registration is a plain
 * insertion; lookups are what every emulated access pays.
 */
#include "vm/iobus.h"
#include "lib/errno.h"
#include "lib/string.h"

void iobus_init(struct iobus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

static bool overlaps(const struct io_range *a, const struct io_range *b)
{
	return a->base < b->base + b->size && b->base < a->base + a->size;
}

int iobus_register(struct iobus *bus, enum iobus_space space, const struct io_range *r)
{
	struct io_range *t;
	unsigned n, i;

	if (space >= IOBUS_NR_SPACES || !r->size || r->base + r->size < r->base || !r->ops)
		return -EINVAL;
	t = bus->ranges[space];
	n = bus->nr[space];
	for (i = 0; i < n; i++)
		if (overlaps(&t[i], r))
			return -EEXIST;
	if (n == IOBUS_MAX_RANGES)
		return -ENOSPC;
	for (i = n; i > 0 && t[i - 1].base > r->base; i--)
		t[i] = t[i - 1];
	t[i] = *r;
	bus->nr[space] = n + 1;
	return 0;
}

const struct io_range *iobus_find(const struct iobus *bus, enum iobus_space space, uint64_t addr)
{
	const struct io_range *t = bus->ranges[space];
	unsigned lo = 0, hi = bus->nr[space];

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (addr < t[mid].base)
			hi = mid;
		else if (addr - t[mid].base >= t[mid].size)
			lo = mid + 1;
		else
			return &t[mid];
	}
	return NULL;
}

int iobus_read(const struct iobus *bus, enum iobus_space space, uint64_t addr, unsigned width,
	       uint64_t *val)
{
	const struct io_range *r = iobus_find(bus, space, addr);

	if (!r || !r->ops->read)
		return -ENODEV;
	return r->ops->read(r->dev, addr - r->base, width, val);
}

int iobus_write(const struct iobus *bus, enum iobus_space space, uint64_t addr, unsigned width,
		uint64_t val)
{
	const struct io_range *r = iobus_find(bus, space, addr);

	if (!r || !r->ops->write)
		return -ENODEV;
	return r->ops->write(r->dev, addr - r->base, width, val);
}
