/*
 * The e820 memory map a Linux guest finds in its zero page, derived from the VM's regions.
 * Invariant: entries come out sorted, non-overlapping, adjacent equal types merged; the map is
 * a pure function of the configuration and the caller's reserved ranges. Called by linux.c
 * and the tests; needs no memory of its own (no table of boundaries is built).
 */
#include "loader/linux.h"

/* [LINUX_LOW_END, 1 MiB): EBDA, VGA window and BIOS ROM on a PC; reserved whatever is there. */
#define LOW_HOLE_END 0x100000ULL

static uint64_t end_of(uint64_t at, uint64_t size)
{
	return size > UINT64_MAX - at ? UINT64_MAX : at + size;
}

static bool holds(uint64_t at, uint64_t size, uint64_t p)
{
	return size && p >= at && p < end_of(at, size);
}

struct e820_src {
	const struct vm_config *cfg;
	const struct linux_range *res;
	unsigned nr_res;
};

/* The type of the byte at @p: 0 in a hole. Constant between two boundaries. */
static uint32_t type_at(const struct e820_src *s, uint64_t p)
{
	for (unsigned i = 0; i < s->nr_res; i++)
		if (holds(s->res[i].gpa, s->res[i].size, p))
			return s->res[i].type;
	for (unsigned i = 0; i < s->cfg->nr_regions; i++) {
		const struct vm_region *r = &s->cfg->regions[i];

		if (!holds(r->gpa, r->size, p))
			continue;
		if (r->kind != REGION_RAM || (p >= LINUX_LOW_END && p < LOW_HOLE_END))
			return E820_RESERVED;
		return E820_RAM;
	}
	return 0;
}

struct next {
	uint64_t p, best; /* the smallest boundary above p seen so far */
	bool found;
};

static void boundary(struct next *n, uint64_t b)
{
	if (b > n->p && (!n->found || b < n->best)) {
		n->best = b;
		n->found = true;
	}
}

/* The first address above @p where some range starts or ends; false when none is left. */
static bool next_boundary(const struct e820_src *s, uint64_t p, uint64_t *q)
{
	struct next n = {.p = p};

	for (unsigned i = 0; i < s->nr_res; i++) {
		boundary(&n, s->res[i].gpa);
		boundary(&n, end_of(s->res[i].gpa, s->res[i].size));
	}
	for (unsigned i = 0; i < s->cfg->nr_regions; i++) {
		const struct vm_region *r = &s->cfg->regions[i];

		boundary(&n, r->gpa);
		boundary(&n, end_of(r->gpa, r->size));
	}
	boundary(&n, LINUX_LOW_END);
	boundary(&n, LOW_HOLE_END);
	*q = n.best;
	return n.found;
}

struct e820_out {
	struct linux_e820_entry cur;
	linux_e820_sink sink;
	void *arg;
	unsigned n;
	bool open;
};

static void flush(struct e820_out *o)
{
	if (!o->open)
		return;
	if (o->sink)
		o->sink(o->arg, o->n, &o->cur);
	o->n++;
	o->open = false;
}

static void emit(struct e820_out *o, uint64_t from, uint64_t to, uint32_t type)
{
	if (o->open && o->cur.type == type && o->cur.addr + o->cur.size == from) {
		o->cur.size = to - o->cur.addr;
		return;
	}
	flush(o);
	o->cur = (struct linux_e820_entry){from, to - from, type};
	o->open = true;
}

unsigned linux_e820_walk(const struct vm_config *cfg, const struct linux_range *res,
			 unsigned nr_res, linux_e820_sink sink, void *arg)
{
	struct e820_src s = {cfg, res, nr_res};
	struct e820_out o = {.sink = sink, .arg = arg};
	uint64_t p = 0, q;

	/* Walk the elementary intervals between consecutive boundaries, lowest first. */
	while (next_boundary(&s, p, &q)) {
		uint32_t t = type_at(&s, p);

		if (t)
			emit(&o, p, q, t);
		p = q;
	}
	flush(&o);
	return o.n;
}

struct e820_array {
	struct linux_e820_entry *out;
	unsigned max;
};

static void to_array(void *arg, unsigned i, const struct linux_e820_entry *e)
{
	struct e820_array *a = arg;

	if (i < a->max)
		a->out[i] = *e;
}

unsigned linux_e820(const struct vm_config *cfg, const struct linux_range *res, unsigned nr_res,
		    struct linux_e820_entry *out, unsigned max)
{
	struct e820_array a = {out, out ? max : 0};

	return linux_e820_walk(cfg, res, nr_res, to_array, &a);
}
