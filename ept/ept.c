/*
 * EPT construction and walking. Tables come from page_alloc(OWNER_HYP); an
 * empty table is freed as soon as it empties, and map/unmap are all or nothing
 * (an -ENOMEM leaves the tree as it was). Called by VM creation and exit handlers.
 */
#include "ept/ept.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define EPT_MAP_FLAGS  (EPTE_RWX | EPTE_MT | EPTE_IPAT | EPT_MAP_PASSTHRU | EPT_MAP_APIC_ACCESS)
#define EPT_PHYS_LIMIT 52

static inline bool epte_is_leaf(uint64_t e, unsigned level)
{
	return level == 1 || ((level == 2 || level == 3) && (e & EPTE_LEAF));
}

static inline uint64_t *epte_table(uint64_t e)
{
	return hpa_to_va(hpa(e & EPTE_ADDR));
}

static uint64_t *ept_table_alloc(struct ept *ept, hpa_t *pa)
{
	uint64_t *t = page_alloc(0, OWNER_HYP, pa);

	if (t)
		ept->table_pages++;
	return t;
}

static void ept_table_free(struct ept *ept, uint64_t *t)
{
	page_free(t, 0, OWNER_HYP);
	ept->table_pages--;
}

static bool ept_table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		if (epte_present(t[i]))
			return false;
	return true;
}

static void ept_count(struct ept *ept, uint64_t e, unsigned level, bool add)
{
	unsigned long *c = ept_is_mmio_marker(e) ? &ept->mmio_markers : &ept->leaves[level - 1];

	*c = add ? *c + 1 : *c - 1;
}

int ept_init(struct ept *ept, owner_t vm_owner, bool allow_1g, bool allow_2m)
{
	memset(ept, 0, sizeof(*ept));
	ept->pml4_va = ept_table_alloc(ept, &ept->pml4);
	if (!ept->pml4_va)
		return -ENOMEM;
	ept->owner = vm_owner;
	ept->allow_1g = allow_1g;
	ept->allow_2m = allow_2m;
	ept->phys_bits = EPT_PHYS_LIMIT;
	return 0;
}

/*
 * Clear the entries of @t (a table at @level starting at GPA @base) that lie
 * inside [start, end), freeing subtables that end up empty. Leaves straddling
 * start or end are kept: callers split them first.
 */
static void ept_clear(struct ept *ept, uint64_t *t, unsigned level, uint64_t base, uint64_t start,
		      uint64_t end)
{
	uint64_t span = ept_span(level);
	unsigned last = (unsigned)((end - 1 - base) >> ept_shift(level));

	for (unsigned i = (unsigned)((start - base) >> ept_shift(level)); i <= last; i++) {
		uint64_t eb = base + i * span, *e = &t[i];

		if (!epte_present(*e))
			continue;
		if (!epte_is_leaf(*e, level)) {
			uint64_t *sub = epte_table(*e);

			ept_clear(ept, sub, level - 1, eb, MAX(start, eb), MIN(end, eb + span));
			if (ept_table_empty(sub)) {
				ept_table_free(ept, sub);
				*e = 0;
			}
		} else if (start <= eb && eb + span <= end) {
			ept_count(ept, *e, level, false);
			*e = 0;
		}
	}
}

void ept_destroy(struct ept *ept)
{
	if (ept->pml4_va) {
		ept_clear(ept, ept->pml4_va, EPT_LEVELS, 0, 0, EPT_GPA_LIMIT);
		ept_table_free(ept, ept->pml4_va);
	}
	memset(ept, 0, sizeof(*ept));
}

/* Is anything (leaf or marker) present in [start, end) below table @t? */
static bool ept_range_used(const uint64_t *t, unsigned level, uint64_t base, uint64_t start,
			   uint64_t end)
{
	uint64_t span = ept_span(level);
	unsigned last = (unsigned)((end - 1 - base) >> ept_shift(level));

	for (unsigned i = (unsigned)((start - base) >> ept_shift(level)); i <= last; i++) {
		uint64_t eb = base + i * span;

		if (!epte_present(t[i]))
			continue;
		if (epte_is_leaf(t[i], level))
			return true;
		if (ept_range_used(epte_table(t[i]), level - 1, eb, MAX(start, eb),
				   MIN(end, eb + span)))
			return true;
	}
	return false;
}

/* Install @val as the @level entry covering @g, allocating tables on the way. */
static int ept_install(struct ept *ept, uint64_t g, unsigned level, uint64_t val)
{
	uint64_t *t = ept->pml4_va;

	for (unsigned l = EPT_LEVELS; l > level; l--) {
		uint64_t *e = &t[ept_index(g, l)];
		hpa_t pa;

		if (!epte_present(*e)) {
			if (!ept_table_alloc(ept, &pa))
				return -ENOMEM;
			*e = pa.v | EPTE_TABLE;
		} else if (epte_is_leaf(*e, l)) {
			return -EEXIST;
		}
		t = epte_table(*e);
	}
	if (epte_present(t[ept_index(g, level)]))
		return -EEXIST;
	t[ept_index(g, level)] = val;
	ept_count(ept, val, level, true);
	return 0;
}

/* Write without read is a misconfiguration; so is execute-only unless supported. */
static bool ept_rwx_ok(const struct ept *ept, uint64_t rwx)
{
	if ((rwx & EPTE_W) && !(rwx & EPTE_R))
		return false;
	if (rwx == EPTE_X)
		return ept->exec_only;
	return rwx != 0;
}

/* SDM "Memory Type Used for Translated Guest-Physical Addresses": 2, 3, 7 reserved. */
static bool ept_mt_ok(uint64_t mt)
{
	return mt != 2 && mt != 3 && mt != 7;
}

static bool ept_gpa_range_ok(uint64_t g, uint64_t size)
{
	return size && IS_ALIGNED(g | size, PAGE_SIZE) && g < EPT_GPA_LIMIT &&
	       size <= EPT_GPA_LIMIT - g;
}

static bool ept_hpa_range_ok(const struct ept *ept, uint64_t h, uint64_t size)
{
	uint64_t limit = 1ULL << ept->phys_bits;

	return IS_ALIGNED(h, PAGE_SIZE) && h < limit && size <= limit - h;
}

/*
 * Every frame must be the VM's or shared; passthrough MMIO must be nobody's RAM.
 * One look-up per allocator block (page_owner_run), not per frame: a 1 GiB block
 * is one check.
 */
static int ept_check_owner(const struct ept *ept, uint64_t h, uint64_t size, bool passthru)
{
	uint64_t len;

	for (uint64_t off = 0; off < size; off += len) {
		owner_t o = page_owner_run(hpa(h + off), &len);
		bool ok = passthru ? o == OWNER_RESERVED : o == ept->owner || OWNER_IS_SHARED(o);

		if (!ok)
			return -EPERM;
	}
	return 0;
}

static int ept_map_check(const struct ept *ept, uint64_t g, uint64_t h, uint64_t size,
			 uint64_t flags)
{
	if (!ept_gpa_range_ok(g, size) || !ept_hpa_range_ok(ept, h, size))
		return -EINVAL;
	if ((flags & ~EPT_MAP_FLAGS) || !ept_rwx_ok(ept, flags & EPTE_RWX) ||
	    !ept_mt_ok((flags & EPTE_MT) >> EPTE_MT_SHIFT))
		return -EINVAL;
	if (ept_range_used(ept->pml4_va, EPT_LEVELS, 0, g, g + size))
		return -EEXIST;
	if (flags & EPT_MAP_APIC_ACCESS) {
		if (size != PAGE_SIZE || (flags & (EPTE_X | EPT_MAP_PASSTHRU)))
			return -EINVAL;
		if (ept->apic_access.v)
			return -EEXIST;
		return page_owner(hpa(h)) == OWNER_HYP ? 0 : -EPERM;
	}
	return ept_check_owner(ept, h, size, flags & EPT_MAP_PASSTHRU);
}

/* Largest leaf level that gpa and hpa alignment and the remaining size allow. */
static unsigned ept_pick_level(const struct ept *ept, uint64_t g, uint64_t h, uint64_t left)
{
	if (ept->allow_1g && IS_ALIGNED(g | h, GiB) && left >= GiB)
		return 3;
	if (ept->allow_2m && IS_ALIGNED(g | h, 2 * MiB) && left >= 2 * MiB)
		return 2;
	return 1;
}

int ept_map(struct ept *ept, gpa_t gpa, hpa_t hpa, uint64_t size, uint64_t flags)
{
	uint64_t bits = flags & (EPTE_RWX | EPTE_MT | EPTE_IPAT), off = 0;
	int err = ept_map_check(ept, gpa.v, hpa.v, size, flags);

	while (!err && off < size) {
		unsigned level = ept_pick_level(ept, gpa.v + off, hpa.v + off, size - off);
		uint64_t leaf = level > 1 ? EPTE_LEAF : 0;

		err = ept_install(ept, gpa.v + off, level, (hpa.v + off) | bits | leaf);
		if (err)
			ept_clear(ept, ept->pml4_va, EPT_LEVELS, 0, gpa.v, gpa.v + size);
		off += ept_span(level);
	}
	if (!err && (flags & EPT_MAP_APIC_ACCESS)) {
		ept->apic_access_gpa = gpa.v;
		ept->apic_access = hpa;
	}
	return err;
}

/* A split done by ept_unmap, kept so that a later failure can undo it. */
struct ept_split {
	uint64_t *entry;
	uint64_t old;
	uint64_t *table;
	unsigned level;
};

/* Replace the large leaf *@e at @level by a table of 512 equivalent leaves. */
static int ept_split(struct ept *ept, uint64_t *e, unsigned level, struct ept_split *rec)
{
	uint64_t attrs = *e & ~EPTE_ADDR, base = *e & EPTE_ADDR, child = ept_span(level - 1);
	hpa_t pa;
	uint64_t *t = ept_table_alloc(ept, &pa);

	if (!t)
		return -ENOMEM;
	if (level - 1 == 1)
		attrs &= ~EPTE_LEAF; /* bit 7 of a PTE is ignored: keep it clear */
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		t[i] = (base + i * child) | attrs;
	*rec = (struct ept_split){e, *e, t, level};
	ept->leaves[level - 1]--;
	ept->leaves[level - 2] += EPT_ENTRIES;
	*e = pa.v | EPTE_TABLE;
	return 0;
}

static void ept_unsplit(struct ept *ept, const struct ept_split *s)
{
	*s->entry = s->old;
	ept_table_free(ept, s->table);
	ept->leaves[s->level - 1]++;
	ept->leaves[s->level - 2] -= EPT_ENTRIES;
}

/* The @level entry covering @g if the walk reaches that level, else NULL. */
static uint64_t *ept_entry_at(const struct ept *ept, uint64_t g, unsigned level)
{
	uint64_t *t = ept->pml4_va;

	for (unsigned l = EPT_LEVELS; l > level; l--) {
		uint64_t e = t[ept_index(g, l)];

		if (!epte_present(e) || epte_is_leaf(e, l))
			return NULL;
		t = epte_table(e);
	}
	return &t[ept_index(g, level)];
}

/* Split the 1 GiB and then 2 MiB leaves that straddle boundary @b. */
static int ept_split_at(struct ept *ept, uint64_t b, struct ept_split *rec, unsigned *n)
{
	for (unsigned level = 3; level >= 2; level--) {
		uint64_t *e;
		int err;

		if (IS_ALIGNED(b, ept_span(level)))
			continue;
		e = ept_entry_at(ept, b, level);
		if (!e || !epte_present(*e) || !epte_is_leaf(*e, level))
			continue;
		err = ept_split(ept, e, level, &rec[*n]);
		if (err)
			return err;
		(*n)++;
	}
	return 0;
}

int ept_unmap(struct ept *ept, gpa_t gpa, uint64_t size)
{
	struct ept_split rec[4];
	unsigned n = 0;
	int err;

	if (!ept_gpa_range_ok(gpa.v, size))
		return -EINVAL;
	err = ept_split_at(ept, gpa.v, rec, &n);
	if (!err)
		err = ept_split_at(ept, gpa.v + size, rec, &n);
	if (err) {
		while (n)
			ept_unsplit(ept, &rec[--n]);
		return err;
	}
	ept_clear(ept, ept->pml4_va, EPT_LEVELS, 0, gpa.v, gpa.v + size);
	if (ept->apic_access.v && ept->apic_access_gpa - gpa.v < size) {
		ept->apic_access = hpa(0);
		ept->apic_access_gpa = 0;
	}
	return 0;
}

static uint64_t ept_slot_flags(const struct mem_slot *s)
{
	uint64_t rights = s->rights & EPTE_RWX;

	switch (s->kind) {
	case REGION_RAM:
	case REGION_SHARED:
		return rights | EPTE_MT_WB;
	case REGION_ROM:
		return EPTE_R | EPTE_X | EPTE_MT_WB;
	case REGION_MMIO_PASS:
		return rights | EPTE_MT_UC | EPT_MAP_PASSTHRU;
	default:
		return 0;
	}
}

int ept_build(struct ept *ept, const struct memslots *ms)
{
	for (unsigned i = 0; i < ms->nr; i++) {
		const struct mem_slot *s = &ms->slot[i];
		int err;

		if (s->kind == REGION_MMIO_EMUL)
			continue;
		err = ept_map(ept, memslot_gpa(s), s->hpa, memslot_size(s), ept_slot_flags(s));
		if (!err)
			continue;
		while (i--) /* these ranges hold exactly our leaves: no split, no failure */
			if (ms->slot[i].kind != REGION_MMIO_EMUL)
				ept_unmap(ept, memslot_gpa(&ms->slot[i]),
					  memslot_size(&ms->slot[i]));
		return err;
	}
	return 0;
}

int ept_mark_mmio(struct ept *ept, gpa_t gpa)
{
	int err;

	if (!ept_gpa_range_ok(gpa.v, PAGE_SIZE))
		return -EINVAL;
	if (ept_range_used(ept->pml4_va, EPT_LEVELS, 0, gpa.v, gpa.v + PAGE_SIZE))
		return -EEXIST;
	err = ept_install(ept, gpa.v, 1, EPTE_MMIO_MARKER);
	if (err)
		ept_clear(ept, ept->pml4_va, EPT_LEVELS, 0, gpa.v, gpa.v + PAGE_SIZE);
	return err;
}

/* SDM "EPT Misconfigurations": reserved bits of each entry format. */
static uint64_t ept_rsvd(const struct ept *ept, uint64_t e, unsigned level)
{
	uint64_t above = ept->phys_bits < EPT_PHYS_LIMIT ? GENMASK(51, ept->phys_bits) : 0;

	if (level == 4)
		return above | EPTE_RSVD_PML4;
	if (level == 1)
		return above;
	if (!(e & EPTE_LEAF))
		return above | EPTE_RSVD_TABLE;
	return above | (level == 3 ? EPTE_RSVD_1G : EPTE_RSVD_2M);
}

static bool ept_misconfigured(const struct ept *ept, uint64_t e, unsigned level)
{
	if (!ept_rwx_ok(ept, e & EPTE_RWX) || (e & ept_rsvd(ept, e, level)))
		return true;
	return epte_is_leaf(e, level) && !ept_mt_ok((e & EPTE_MT) >> EPTE_MT_SHIFT);
}

int ept_walk(const struct ept *ept, gpa_t gpa, struct ept_walk_result *r)
{
	const uint64_t *t = ept->pml4_va;
	uint64_t rights = EPTE_RWX;

	memset(r, 0, sizeof(*r));
	if (gpa.v >= EPT_GPA_LIMIT)
		return -ERANGE;
	for (unsigned level = EPT_LEVELS;; level--) {
		uint64_t e = t[ept_index(gpa.v, level)];

		r->level = level;
		r->entry = e;
		if (!epte_present(e))
			return -ENOENT;
		if (ept_misconfigured(ept, e, level)) {
			r->mmio = level == 1 && ept_is_mmio_marker(e);
			return -EINVAL;
		}
		rights &= e;
		if (epte_is_leaf(e, level)) {
			r->size = ept_span(level);
			r->hpa = hpa((e & EPTE_ADDR & ~(r->size - 1)) | (gpa.v & (r->size - 1)));
			r->rights = rights;
			r->mt = (unsigned)((e & EPTE_MT) >> EPTE_MT_SHIFT);
			r->ipat = e & EPTE_IPAT;
			return 0;
		}
		t = epte_table(e);
	}
}

uint64_t ept_eptp(const struct ept *ept, bool ad_enabled)
{
	return (ept->pml4.v & EPTP_ADDR) | EPT_MT_WB | EPTP_WALK_LEN_4 | (ad_enabled ? EPTP_AD : 0);
}

/* Count the leaves and markers met walking @s from its first to its last page. */
static void ept_count_slot(const struct ept *ept, const struct mem_slot *s,
			   unsigned long n[EPT_LEAF_COUNT + 1])
{
	uint64_t g = memslot_gpa(s).v, end = g + memslot_size(s);

	while (g < end) {
		struct ept_walk_result r;
		int err = ept_walk(ept, gpa(g), &r);
		uint64_t step = PAGE_SIZE;

		if (!err) {
			n[r.level - 1]++;
			step = r.size;
		} else if (err == -ENOENT) {
			step = ept_span(r.level);
		} else if (r.mmio) {
			n[EPT_LEAF_COUNT]++;
		}
		g = ALIGN_DOWN(g, step) + step;
	}
}

/* ksnprintf at offset @pos of a @len-byte buffer, counting what does not fit. */
static __attribute__((format(printf, 4, 5))) size_t ept_append(char *buf, size_t len, size_t pos,
							       const char *fmt, ...)
{
	char dummy[1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (pos < len)
		n = kvsnprintf(buf + pos, len - pos, fmt, ap);
	else
		n = kvsnprintf(dummy, 0, fmt, ap);
	va_end(ap);
	return pos + (size_t)(n > 0 ? n : 0);
}

int ept_summary(const struct ept *ept, const struct memslots *ms, char *buf, size_t len)
{
	static const char *const kinds[] = REGION_KIND_NAMES;
	size_t pos = 0;

	for (unsigned i = 0; i < ms->nr; i++) {
		const struct mem_slot *s = &ms->slot[i];
		unsigned long n[EPT_LEAF_COUNT + 1] = {0};

		ept_count_slot(ept, s, n);
		pos = ept_append(buf, len, pos,
				 "slot %u [0x%llx..0x%llx) %s: 1G:%lu 2M:%lu 4K:%lu mmio:%lu\n", i,
				 (unsigned long long)memslot_gpa(s).v,
				 (unsigned long long)memslot_gpa(s).v + memslot_size(s),
				 s->kind < REGION_KIND_COUNT ? kinds[s->kind] : "?", n[EPT_LEAF_1G],
				 n[EPT_LEAF_2M], n[EPT_LEAF_4K], n[EPT_LEAF_COUNT]);
	}
	pos = ept_append(buf, len, pos, "tables: %u pages\n", ept->table_pages);
	return (int)pos;
}
