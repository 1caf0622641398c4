/*
 * Run-time RAM slots of a VM (vm/slotctl.h): the checks, the frames, the slot and
 * EPT edits. Nothing here waits for vCPUs: vmx/slots.c holds them (or finds them
 * parked) around the edits and flushes their translations before frames are freed.
 * Host-buildable.
 */
#include "vm/slotctl.h"
#include "config/validate.h"
#include "ept/ept.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/page.h"
#include "vm/vm.h"

static uint64_t gpa_limit(const struct vm *t)
{
	if (t->maxphyaddr && t->maxphyaddr < 48)
		return 1ULL << t->maxphyaddr;
	return EPT_GPA_LIMIT;
}

static bool overlaps_slot(const struct memslots *ms, uint64_t base, uint64_t end)
{
	for (unsigned i = 0; i < ms->nr; i++) {
		uint64_t lo = memslot_gpa(&ms->slot[i]).v, hi = lo + memslot_size(&ms->slot[i]);

		if (lo < end && base < hi)
			return true;
	}
	return false;
}

static int free_entry(const struct slotctl *sc)
{
	for (unsigned i = 0; i < SLOTCTL_MAX; i++)
		if (!sc->slot[i].size)
			return (int)i;
	return -ENOSPC;
}

int slotctl_check_add(const struct vm *t, uint64_t base, uint64_t size, uint64_t rights)
{
	if (!size || !IS_ALIGNED(base, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		return -EINVAL;
	if ((rights & ~(uint64_t)REGION_RWX) || !(rights & REGION_R))
		return -ENOTSUP;
	if (base + size < base || base + size > gpa_limit(t))
		return -ERANGE;
	if (overlaps_slot(&t->slots, base, base + size))
		return -EEXIST;
	if (free_entry(&t->slotctl) < 0 || t->slots.nr >= MEMSLOT_MAX)
		return -ENOSPC;
	if (size > SLOTCTL_MAX_BYTES - t->slotctl.bytes)
		return -E2BIG;
	return 0;
}

int slotctl_check_remove(const struct vm *t, uint64_t base, unsigned *idx)
{
	const struct mem_slot *s;

	if (!IS_ALIGNED(base, PAGE_SIZE))
		return -EINVAL;
	s = memslot_find(&t->slots, gpa(base));
	if (s && s->region != MEMSLOT_RUNTIME)
		return -EFAULT;
	for (unsigned i = 0; i < SLOTCTL_MAX; i++)
		if (t->slotctl.slot[i].size && t->slotctl.slot[i].base == base) {
			*idx = i;
			return 0;
		}
	return -ENOENT;
}

int slotctl_alloc(const struct vm *t, uint64_t base, uint64_t size, struct slotctl_blocks *b)
{
	uint64_t g = base >> PAGE_SHIFT, left = size >> PAGE_SHIFT;
	unsigned room = MEMSLOT_MAX - t->slots.nr;

	b->n = 0;
	while (left) {
		unsigned k = validate_block_order(g, left);
		hpa_t h;

		if (b->n == room) {
			slotctl_free(t, b);
			return -ENOSPC;
		}
		while (!page_alloc(k, t->owner, &h)) {
			if (k == 0) {
				slotctl_free(t, b);
				return -ENOMEM;
			}
			k--;
		}
		b->hpa[b->n] = h;
		b->order[b->n++] = (uint8_t)k;
		g += 1ULL << k;
		left -= 1ULL << k;
	}
	return 0;
}

void slotctl_free(const struct vm *t, struct slotctl_blocks *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		void *va = hpa_to_va(b->hpa[i]);

		memset(va, 0,
		       PAGE_SIZE << b->order[i]); /* nothing of the VM's reaches the next owner */
		page_free(va, b->order[i], t->owner);
	}
	b->n = 0;
}

/* Undo the first @n blocks of an insert: EPT leaves, then slots. */
static void unwind(struct vm *t, uint64_t base, const struct slotctl_blocks *b, unsigned n,
		   bool mapped_last)
{
	uint64_t at = base;

	for (unsigned i = 0; i < n; i++) {
		uint64_t len = PAGE_SIZE << b->order[i];

		if (i + 1 < n || mapped_last)
			ept_unmap(&t->ept, gpa(at), len);
		memslot_remove(&t->slots, gpa_to_gfn(gpa(at)));
		at += len;
	}
}

int slotctl_insert(struct vm *t, uint64_t base, uint64_t size, uint32_t rights,
		   const struct slotctl_blocks *b)
{
	int e = free_entry(&t->slotctl);
	uint64_t at = base;

	if (e < 0)
		return e;
	for (unsigned i = 0; i < b->n; i++) {
		uint64_t len = PAGE_SIZE << b->order[i];
		struct mem_slot s = {
		    gpa_to_gfn(gpa(at)), len >> PAGE_SHIFT, b->hpa[i], REGION_RAM, rights,
		    MEMSLOT_RUNTIME};
		int ret = memslot_add(&t->slots, &s);

		if (ret) {
			unwind(t, base, b, i, true);
			return ret;
		}
		ret = ept_map(&t->ept, gpa(at), b->hpa[i], len, rights | EPTE_MT_WB);
		if (ret) {
			unwind(t, base, b, i + 1, false);
			return ret;
		}
		at += len;
	}
	t->slotctl.slot[e] = (struct slotctl_slot){base, size, rights};
	t->slotctl.bytes += size;
	t->slotctl.added++;
	t->slotctl.bytes_added += size;
	return 0;
}

void slotctl_detach(struct vm *t, unsigned idx, struct slotctl_blocks *out)
{
	struct slotctl_slot *rs = &t->slotctl.slot[idx];
	uint64_t at = rs->base, end = rs->base + rs->size;

	out->n = 0;
	t->last_slot = NULL; /* may point into the array we are about to move */
	while (at < end) {
		const struct mem_slot *s = memslot_find(&t->slots, gpa(at));
		uint64_t len;

		if (!s || s->region != MEMSLOT_RUNTIME || memslot_gpa(s).v != at)
			break; /* cannot happen: slotctl_insert put exactly these */
		len = memslot_size(s);
		out->hpa[out->n] = s->hpa;
		out->order[out->n++] = (uint8_t)__builtin_ctzll(s->npages);
		/* whole blocks, mapped by themselves: no leaf to split, so this cannot fail */
		ept_unmap(&t->ept, gpa(at), len);
		memslot_remove(&t->slots, gpa_to_gfn(gpa(at)));
		at += len;
	}
	t->slotctl.bytes -= rs->size;
	t->slotctl.removed++;
	t->slotctl.bytes_removed += rs->size;
	*rs = (struct slotctl_slot){0};
}

void slotctl_drop_all(struct vm *t)
{
	for (unsigned i = 0; i < SLOTCTL_MAX; i++) {
		struct slotctl_blocks b;

		if (!t->slotctl.slot[i].size)
			continue;
		slotctl_detach(t, i, &b);
		slotctl_free(t, &b);
		t->slotctl.dropped++;
	}
}
