/*
 * The coalesced-MMIO ring: a claimed range's bus entry names these handlers, so the
 * emulator's dispatch (vmx/mmio.c, through the bus) reaches them with nothing changed
 * on the plain path. A write is appended; a read drains everything first, so a device
 * never answers a read before it saw every write the guest made earlier.
 * Locking: vm_dev_lock of the ring's VM, held by every caller (see coalesced.h).
 */
#include "vm/coalesced.h"
#include "lib/errno.h"
#include "lib/string.h"

static int coal_read(void *dev, uint64_t off, unsigned width, uint64_t *val);
static int coal_write(void *dev, uint64_t off, unsigned width, uint64_t val);

static const struct iobus_ops coal_ops = {.read = coal_read, .write = coal_write};

void coalesced_init(struct coalesced *c)
{
	memset(c, 0, sizeof(*c));
}

bool coalesced_range_is(const struct io_range *r)
{
	return r->ops == &coal_ops;
}

static bool width_ok(unsigned width)
{
	return width == 1 || width == 2 || width == 4 || width == 8;
}

int coalesced_drain(struct coalesced *c, enum coalesced_cause why)
{
	if (c->head == c->tail)
		return 0;
	c->stats.drains[why]++;
	while (c->head != c->tail) {
		const struct coalesced_entry *e = &c->ring[c->head % COALESCED_RING_ENTRIES];
		const struct coalesced_range *r = &c->ranges[e->range];
		int ret;

		c->head++; /* taken before the handler runs: a nested access sees it gone */
		c->stats.drained++;
		ret = r->ops->write(r->dev, e->addr - r->base, e->width, e->val);
		if (ret) {
			c->stats.errors++;
			coalesced_discard(c);
			return ret;
		}
	}
	return 0;
}

void coalesced_discard(struct coalesced *c)
{
	c->stats.discarded += coalesced_pending(c);
	c->head = c->tail;
}

static int coal_read(void *dev, uint64_t off, unsigned width, uint64_t *val)
{
	struct coalesced_range *r = dev;
	int ret = coalesced_drain(r->ring, COALESCED_ON_READ);

	return ret ? ret : r->ops->read(r->dev, off, width, val);
}

/* @off is below the range's size (the bus found it), so base + off does not wrap. */
static inline void append(struct coalesced *c, const struct coalesced_range *r, uint64_t off,
			  unsigned width, uint64_t val)
{
	struct coalesced_entry *e = &c->ring[c->tail % COALESCED_RING_ENTRIES];

	e->addr = r->base + off;
	e->val = val;
	e->width = (uint8_t)width;
	e->range = r->index;
	c->tail++;
	c->stats.writes++;
}

/* Out of line, so that the common write saves no registers for the drain's call. */
static __attribute__((noinline)) int write_full(struct coalesced_range *r, uint64_t off,
						unsigned width, uint64_t val)
{
	int ret = coalesced_drain(r->ring, COALESCED_ON_FULL);

	if (ret)
		return ret;
	append(r->ring, r, off, width, val);
	return 0;
}

static int coal_write(void *dev, uint64_t off, unsigned width, uint64_t val)
{
	struct coalesced_range *r = dev;
	struct coalesced *c = r->ring;

	if (unlikely(!width_ok(width)))
		return -EINVAL;
	if (unlikely(coalesced_pending(c) == COALESCED_RING_ENTRIES))
		return write_full(r, off, width, val);
	append(c, r, off, width, val);
	return 0;
}

static bool inside(const struct io_range *r, uint64_t base, uint64_t size)
{
	return r->base >= base && r->base - base <= size && r->size <= size - (r->base - base);
}

static bool touches(const struct io_range *r, uint64_t base, uint64_t size)
{
	return r->base < base + size && base < r->base + r->size;
}

int coalesced_claim(struct coalesced *c, struct iobus *bus, uint64_t base, uint64_t size)
{
	struct io_range *t = bus->ranges[IOBUS_MMIO];
	unsigned n = bus->nr[IOBUS_MMIO], found = 0;

	if (!size || base + size < base)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (!touches(&t[i], base, size))
			continue;
		if (!inside(&t[i], base, size) || coalesced_range_is(&t[i]))
			return -EINVAL;
		found++;
	}
	if (!found)
		return -ENOENT;
	if (c->nr_ranges + found > COALESCED_MAX_RANGES)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		struct coalesced_range *cr;

		if (!touches(&t[i], base, size))
			continue;
		cr = &c->ranges[c->nr_ranges];
		*cr = (struct coalesced_range){t[i].ops, t[i].dev, t[i].base, c,
					       (uint8_t)c->nr_ranges++};
		t[i].ops = &coal_ops;
		t[i].dev = cr;
	}
	return 0;
}
