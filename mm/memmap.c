/*
 * Carving usable RAM by a sweep over every entry's boundaries: between two consecutive
 * boundaries nothing changes, so each elementary interval is classified once (exclude,
 * firmware-reserved, RAM or hole). No memory but *out; O(n^2) for n entries.
 */
#include "mm/memmap.h"
#include "lib/errno.h"
#include "lib/string.h"

#define LABEL_UNALIGNED "unaligned"
#define LABEL_EXCLUDED	"excluded"

struct carve {
	const struct mb2_mmap_entry *fw;
	unsigned nr_fw;
	const struct mem_range *ex;
	unsigned nr_ex;
	struct memmap *out;
	bool run; /* a usable run [run_start, run_end) is pending */
	uint64_t run_start, run_end;
	int err;
};

enum interval_kind { IV_HOLE, IV_RAM, IV_RESERVED };

static uint64_t fw_end(const struct mb2_mmap_entry *e)
{
	return e->len > UINT64_MAX - e->base ? UINT64_MAX : e->base + e->len;
}

/* Consider @v as the next boundary above @cur. */
static void boundary(uint64_t v, uint64_t cur, uint64_t *next, bool *found)
{
	if (v > cur && (!*found || v < *next)) {
		*next = v;
		*found = true;
	}
}

/* The smallest start or end of a non-empty entry above @cur. */
static bool next_boundary(const struct carve *c, uint64_t cur, uint64_t *next)
{
	bool found = false;

	for (unsigned i = 0; i < c->nr_fw; i++) {
		boundary(c->fw[i].base, cur, next, &found);
		boundary(fw_end(&c->fw[i]), cur, next, &found);
	}
	for (unsigned i = 0; i < c->nr_ex; i++) {
		boundary(c->ex[i].start, cur, next, &found);
		boundary(c->ex[i].end, cur, next, &found);
	}
	return found;
}

/* The lowest start of a non-empty entry. */
static bool first_boundary(const struct carve *c, uint64_t *first)
{
	bool found = false;

	for (unsigned i = 0; i < c->nr_fw; i++)
		if (fw_end(&c->fw[i]) > c->fw[i].base && (!found || c->fw[i].base < *first)) {
			*first = c->fw[i].base;
			found = true;
		}
	for (unsigned i = 0; i < c->nr_ex; i++)
		if (c->ex[i].end > c->ex[i].start && (!found || c->ex[i].start < *first)) {
			*first = c->ex[i].start;
			found = true;
		}
	return found;
}

/* What covers [lo, next boundary): no entry starts or ends strictly inside it. */
static enum interval_kind classify(const struct carve *c, uint64_t lo, const char **label)
{
	bool ram = false;

	for (unsigned i = 0; i < c->nr_ex; i++)
		if (c->ex[i].start <= lo && lo < c->ex[i].end) {
			*label = c->ex[i].label ? c->ex[i].label : LABEL_EXCLUDED;
			return IV_RESERVED;
		}
	for (unsigned i = 0; i < c->nr_fw; i++) {
		if (!(c->fw[i].base <= lo && lo < fw_end(&c->fw[i])))
			continue;
		if (c->fw[i].type != MB2_MMAP_AVAILABLE) {
			*label = mb2_mmap_type_name(c->fw[i].type);
			return IV_RESERVED;
		}
		ram = true;
	}
	return ram ? IV_RAM : IV_HOLE;
}

static bool same_label(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Append to a sorted list, merging with the last range when they touch. */
static void range_add(struct carve *c, struct mem_range *r, unsigned *nr, uint64_t start,
		      uint64_t end, const char *label)
{
	if (*nr && r[*nr - 1].end == start && same_label(r[*nr - 1].label, label)) {
		r[*nr - 1].end = end;
		return;
	}
	if (*nr >= MEMMAP_MAX) {
		c->err = -E2BIG;
		return;
	}
	r[(*nr)++] = (struct mem_range){start, end, label};
}

static void reserve(struct carve *c, uint64_t start, uint64_t end, const char *label)
{
	range_add(c, c->out->reserved, &c->out->nr_reserved, start, end, label);
}

/* Shrink the pending run to whole pages; the partial pages go to reserved[]. */
static void close_run(struct carve *c)
{
	uint64_t s = c->run_start, e = c->run_end;
	uint64_t a = s > UINT64_MAX - (PAGE_SIZE - 1) ? UINT64_MAX : ALIGN_UP(s, PAGE_SIZE);
	uint64_t b = ALIGN_DOWN(e, PAGE_SIZE);

	if (!c->run)
		return;
	c->run = false;
	if (a >= b) {
		reserve(c, s, e, LABEL_UNALIGNED);
		return;
	}
	if (s < a)
		reserve(c, s, a, LABEL_UNALIGNED);
	range_add(c, c->out->usable, &c->out->nr_usable, a, b, "usable");
	if (b < e)
		reserve(c, b, e, LABEL_UNALIGNED);
}

static void visit(struct carve *c, uint64_t lo, uint64_t hi)
{
	const char *label = NULL;

	switch (classify(c, lo, &label)) {
	case IV_RAM:
		if (c->run && c->run_end == lo) {
			c->run_end = hi;
			return;
		}
		close_run(c);
		c->run = true;
		c->run_start = lo;
		c->run_end = hi;
		return;
	case IV_RESERVED:
		close_run(c);
		reserve(c, lo, hi, label);
		return;
	case IV_HOLE:
		close_run(c);
		return;
	}
}

static int carve_check(const struct carve *c)
{
	if (!c->out || (c->nr_fw && !c->fw) || (c->nr_ex && !c->ex))
		return -EINVAL;
	for (unsigned i = 0; i < c->nr_ex; i++)
		if (c->ex[i].start > c->ex[i].end)
			return -EINVAL;
	return 0;
}

static void carve_totals(struct memmap *out)
{
	for (unsigned i = 0; i < out->nr_usable; i++)
		out->total_usable += out->usable[i].end - out->usable[i].start;
	if (out->nr_usable)
		out->top = out->usable[out->nr_usable - 1].end;
}

int memmap_carve(const struct mb2_mmap_entry *fw, unsigned nr_fw, const struct mem_range *exclude,
		 unsigned nr_exclude, struct memmap *out)
{
	struct carve c = {fw, nr_fw, exclude, nr_exclude, out, false, 0, 0, 0};
	uint64_t lo = 0, hi = 0;
	int ret = carve_check(&c);

	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	if (!first_boundary(&c, &lo))
		return 0;
	while (!c.err && next_boundary(&c, lo, &hi)) {
		visit(&c, lo, hi);
		lo = hi;
	}
	if (!c.err)
		close_run(&c);
	carve_totals(out);
	return c.err;
}
