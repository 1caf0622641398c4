/*
 * Memory slots: a small array sorted by base_gfn, searched by bisection.
 * Invariant: slot[i].base_gfn + slot[i].npages <= slot[i + 1].base_gfn.
 * Called by VM creation (memslot_add), run-time slot edits (memslot_add, memslot_remove)
 * and exit handlers (memslot_find).
 */
#include "mm/memslot.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Guest frame numbers above this cannot be reached by a 4-level EPT. */
#define MEMSLOT_GFN_LIMIT (1ULL << (48 - PAGE_SHIFT))

void memslots_init(struct memslots *ms)
{
	memset(ms, 0, sizeof(*ms));
}

/* Index of the first slot whose base_gfn is greater than @f. */
static unsigned memslot_upper(const struct memslots *ms, gfn_t f)
{
	unsigned lo = 0, hi = ms->nr;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (ms->slot[mid].base_gfn.v <= f.v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool memslot_valid(const struct mem_slot *s)
{
	if (s->npages == 0 || s->kind >= REGION_KIND_COUNT)
		return false;
	if (s->base_gfn.v >= MEMSLOT_GFN_LIMIT || s->npages > MEMSLOT_GFN_LIMIT - s->base_gfn.v)
		return false;
	return (s->rights & ~(uint32_t)REGION_RWX) == 0;
}

int memslot_add(struct memslots *ms, const struct mem_slot *s)
{
	unsigned i;

	if (!memslot_valid(s))
		return -EINVAL;
	i = memslot_upper(ms, s->base_gfn);
	if (i > 0 && ms->slot[i - 1].base_gfn.v + ms->slot[i - 1].npages > s->base_gfn.v)
		return -EEXIST;
	if (i < ms->nr && s->base_gfn.v + s->npages > ms->slot[i].base_gfn.v)
		return -EEXIST;
	if (ms->nr == MEMSLOT_MAX)
		return -ENOSPC;
	memmove(&ms->slot[i + 1], &ms->slot[i], (ms->nr - i) * sizeof(ms->slot[0]));
	ms->slot[i] = *s;
	ms->nr++;
	return 0;
}

int memslot_remove(struct memslots *ms, gfn_t base)
{
	unsigned i = memslot_upper(ms, base);

	if (i == 0 || ms->slot[i - 1].base_gfn.v != base.v)
		return -ENOENT;
	memmove(&ms->slot[i - 1], &ms->slot[i], (ms->nr - i) * sizeof(ms->slot[0]));
	ms->nr--;
	memset(&ms->slot[ms->nr], 0, sizeof(ms->slot[0]));
	return 0;
}

const struct mem_slot *memslot_find(const struct memslots *ms, gpa_t a)
{
	unsigned i = memslot_upper(ms, gpa_to_gfn(a));

	if (i == 0 || !memslot_contains(&ms->slot[i - 1], a))
		return NULL;
	return &ms->slot[i - 1];
}

int memslot_gpa_to_hpa(const struct mem_slot *s, gpa_t a, hpa_t *out)
{
	if (!memslot_contains(s, a) || !memslot_has_hpa(s))
		return -ENOENT;
	*out = memslot_hpa(s, a);
	return 0;
}
