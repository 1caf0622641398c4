/*
 * Dirty logging in the EPT (ept/dirty.h): split large leaves of a logged range to
 * 4 KiB, clear W (write-protect path) or D (PML path) on them, give W back on a
 * write fault, re-protect what a harvest cleared, and on logging off restore W and
 * merge full 2 MiB spans back into one leaf. Tables come from page_alloc(OWNER_HYP)
 * and are counted in struct ept as ept.c counts its own. Host-buildable.
 * Invariants: a logged range holds only 4 KiB leaves below it; translations, memory
 * types and R/X never change here, only W and D, and the leaf sizes.
 */
#include "ept/dirty.h"
#include "lib/errno.h"

static inline uint64_t *dl_table(uint64_t e)
{
	return hpa_to_va(hpa(e & EPTE_ADDR));
}

/* A guest page that logging may touch: present, not our MMIO marker, not the APIC page. */
static bool dl_loggable(const struct ept *ept, uint64_t e, uint64_t g)
{
	if (!epte_present(e) || ept_is_mmio_marker(e))
		return false;
	return !ept->apic_access.v || g != ept->apic_access_gpa;
}

/* Replace the large leaf *@e at @level by a table of 512 equivalent leaves (as ept.c). */
static int dl_split(struct ept *ept, uint64_t *e, unsigned level)
{
	uint64_t attrs = *e & ~EPTE_ADDR, base = *e & EPTE_ADDR, child = ept_span(level - 1);
	hpa_t pa;
	uint64_t *t = page_alloc(0, OWNER_HYP, &pa);

	if (!t)
		return -ENOMEM;
	ept->table_pages++;
	if (level == 2)
		attrs &= ~EPTE_LEAF; /* bit 7 of a PTE is ignored: keep it clear */
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		t[i] = (base + i * child) | attrs;
	ept->leaves[level - 1]--;
	ept->leaves[level - 2] += EPT_ENTRIES;
	*e = pa.v | EPTE_TABLE;
	return 0;
}

static void dl_wait_write(uint64_t *e, enum ept_dirty_mode mode)
{
	*e &= mode == EPT_DIRTY_WP ? ~EPTE_W : ~EPTE_D;
}

static int dl_protect(struct ept *ept, uint64_t *t, unsigned level, uint64_t base, uint64_t start,
		      uint64_t end, enum ept_dirty_mode mode)
{
	uint64_t span = ept_span(level);
	unsigned last = (unsigned)((end - 1 - base) >> ept_shift(level));

	for (unsigned i = (unsigned)((start - base) >> ept_shift(level)); i <= last; i++) {
		uint64_t eb = base + i * span, *e = &t[i];
		int err;

		if (!dl_loggable(ept, *e, eb))
			continue;
		if (level == 1) {
			dl_wait_write(e, mode);
			continue;
		}
		if (level <= 3 && (*e & EPTE_LEAF) && (err = dl_split(ept, e, level)))
			return err;
		err = dl_protect(ept, dl_table(*e), level - 1, eb, MAX(start, eb),
				 MIN(end, eb + span), mode);
		if (err)
			return err;
	}
	return 0;
}

static bool dl_range_ok(uint64_t g, uint64_t size)
{
	return size && IS_ALIGNED(g | size, PAGE_SIZE) && g < EPT_GPA_LIMIT &&
	       size <= EPT_GPA_LIMIT - g;
}

int ept_dirty_protect(struct ept *ept, gpa_t gpa, uint64_t size, enum ept_dirty_mode mode)
{
	if (!dl_range_ok(gpa.v, size))
		return -EINVAL;
	return dl_protect(ept, ept->pml4_va, EPT_LEVELS, 0, gpa.v, gpa.v + size, mode);
}

/* The 4 KiB leaf of @g, or NULL when the walk ends above level 1 or finds nothing. */
static uint64_t *dl_pte(const struct ept *ept, uint64_t g)
{
	uint64_t *t = ept->pml4_va, *e;

	if (g >= EPT_GPA_LIMIT)
		return NULL;
	for (unsigned l = EPT_LEVELS; l > 1; l--) {
		uint64_t x = t[ept_index(g, l)];

		if (!epte_present(x) || (l <= 3 && (x & EPTE_LEAF)))
			return NULL;
		t = dl_table(x);
	}
	e = &t[ept_index(g, 1)];
	return dl_loggable(ept, *e, ALIGN_DOWN(g, PAGE_SIZE)) ? e : NULL;
}

int ept_dirty_unprotect(struct ept *ept, gpa_t gpa)
{
	uint64_t *e = dl_pte(ept, gpa.v);

	if (!e)
		return -ENOENT;
	if (*e & EPTE_W)
		return 0;
	*e |= EPTE_W;
	return 1;
}

/* The page table (4 KiB leaves) under the PDE of @g, or NULL. */
static uint64_t *dl_pt(const struct ept *ept, uint64_t g)
{
	uint64_t *t = ept->pml4_va;

	for (unsigned l = EPT_LEVELS; l > 1; l--) {
		uint64_t x = t[ept_index(g, l)];

		if (!epte_present(x) || (l <= 3 && (x & EPTE_LEAF)))
			return NULL;
		t = dl_table(x);
	}
	return t;
}

/* One walk per 2 MiB span with bits set, not per bit: dirty pages come in clusters. */
uint64_t ept_dirty_reprotect(struct ept *ept, gpa_t base, const uint64_t *bitmap, uint64_t npages,
			     enum ept_dirty_mode mode)
{
	uint64_t bit = mode == EPT_DIRTY_WP ? EPTE_W : EPTE_D, n = 0, span = ~0ULL, *pt = NULL;

	if (base.v >= EPT_GPA_LIMIT || npages > (EPT_GPA_LIMIT - base.v) / PAGE_SIZE)
		return 0;
	for (uint64_t w = 0; w < (npages + 63) / 64; w++)
		for (uint64_t bits = bitmap[w]; bits; bits &= bits - 1) {
			uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(bits), g, *e;

			if (i >= npages)
				break;
			g = base.v + i * PAGE_SIZE;
			if (ALIGN_DOWN(g, 2 * MiB) != span) {
				span = ALIGN_DOWN(g, 2 * MiB);
				pt = dl_pt(ept, g);
			}
			e = pt ? &pt[ept_index(g, 1)] : NULL;
			if (e && dl_loggable(ept, *e, g) && (*e & bit)) {
				*e &= ~bit;
				n++;
			}
		}
	return n;
}

static void dl_unprotect_range(struct ept *ept, uint64_t *t, unsigned level, uint64_t base,
			       uint64_t start, uint64_t end)
{
	uint64_t span = ept_span(level);
	unsigned last = (unsigned)((end - 1 - base) >> ept_shift(level));

	for (unsigned i = (unsigned)((start - base) >> ept_shift(level)); i <= last; i++) {
		uint64_t eb = base + i * span, *e = &t[i];

		if (!dl_loggable(ept, *e, eb) || (level <= 3 && level > 1 && (*e & EPTE_LEAF)))
			continue;
		if (level == 1)
			*e |= EPTE_W;
		else
			dl_unprotect_range(ept, dl_table(*e), level - 1, eb, MAX(start, eb),
					   MIN(end, eb + span));
	}
}

/* The PDE covering @g when the walk reaches level 2, else NULL. */
static uint64_t *dl_pde(const struct ept *ept, uint64_t g)
{
	uint64_t *t = ept->pml4_va;

	for (unsigned l = EPT_LEVELS; l > 2; l--) {
		uint64_t x = t[ept_index(g, l)];

		if (!epte_present(x) || (l == 3 && (x & EPTE_LEAF)))
			return NULL;
		t = dl_table(x);
	}
	return &t[ept_index(g, 2)];
}

/* Merge the table under *@pde when its 512 leaves are one aligned block, alike. */
static bool dl_merge(struct ept *ept, uint64_t *pde, uint64_t g)
{
	const uint64_t same = ~(EPTE_ADDR | EPTE_A | EPTE_D);
	uint64_t *t, base;

	if (!epte_present(*pde) || (*pde & EPTE_LEAF))
		return false;
	t = dl_table(*pde);
	base = t[0] & EPTE_ADDR;
	if (!IS_ALIGNED(base, 2 * MiB))
		return false;
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		if (!dl_loggable(ept, t[i], g + i * PAGE_SIZE) ||
		    (t[i] & EPTE_ADDR) != base + i * PAGE_SIZE || ((t[i] ^ t[0]) & same))
			return false;
	*pde = base | (t[0] & same) | EPTE_LEAF;
	page_free(t, 0, OWNER_HYP);
	ept->table_pages--;
	ept->leaves[EPT_LEAF_4K] -= EPT_ENTRIES;
	ept->leaves[EPT_LEAF_2M]++;
	return true;
}

unsigned ept_dirty_restore(struct ept *ept, gpa_t gpa, uint64_t size, enum ept_dirty_mode mode)
{
	unsigned merged = 0;

	if (!dl_range_ok(gpa.v, size))
		return 0;
	if (mode == EPT_DIRTY_WP)
		dl_unprotect_range(ept, ept->pml4_va, EPT_LEVELS, 0, gpa.v, gpa.v + size);
	if (!ept->allow_2m)
		return 0;
	for (uint64_t g = ALIGN_UP(gpa.v, 2 * MiB); g + 2 * MiB <= gpa.v + size; g += 2 * MiB) {
		uint64_t *pde = dl_pde(ept, g);

		merged += pde && dl_merge(ept, pde, g);
	}
	return merged;
}

int ept_dirty_map(struct ept *ept, gpa_t gpa, hpa_t hpa, uint64_t size, uint64_t flags,
		  enum ept_dirty_mode mode)
{
	bool a1g = ept->allow_1g, a2m = ept->allow_2m;
	int err;

	ept->allow_1g = ept->allow_2m = false; /* the walk picks 4 KiB leaves only */
	err = ept_map(ept, gpa, hpa, size, mode == EPT_DIRTY_WP ? flags & ~EPTE_W : flags);
	ept->allow_1g = a1g;
	ept->allow_2m = a2m;
	return err;
}
