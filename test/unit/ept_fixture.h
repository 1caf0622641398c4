/*
 * Shared fixture for the ept/ept.c tests (test_ept.c, test_ept_edit.c): fake frame
 * ownership, random memory maps from a fixed seed, and expectations computed from
 * the map alone (translation, rights, memory type, leaf sizes, leaf and table counts).
 */
#ifndef TEST_EPT_FIXTURE_H
#define TEST_EPT_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ept/ept.h"
#include "lib/errno.h"
#include "test/unit/fake_page.h"

#define VM_OWNER OWNER_VM(0)
#define FAKE_HPA (1ULL << 47) /* above every real pointer: frames we only pretend exist */
#define MAXR	 24

/* ---- fake frame ownership: everything >= FAKE_HPA is the VM's unless listed ---- */

static struct {
	uint64_t hpa, size;
	owner_t owner;
} owned[2 * MAXR];
static unsigned nr_owned;

/* The run ends where the next listed range starts or the one holding @a ends. */
static inline bool owner_hook(hpa_t a, owner_t *o, uint64_t *len)
{
	uint64_t end = ~0ULL;

	if (a.v < FAKE_HPA)
		return false;
	*o = VM_OWNER;
	for (unsigned i = 0; i < nr_owned; i++) {
		uint64_t s = owned[i].hpa, e = s + owned[i].size;

		if (a.v >= s && a.v < e)
			*o = owned[i].owner;
		if (s > a.v)
			end = MIN(end, s);
		if (e > a.v)
			end = MIN(end, e);
	}
	*len = MAX(*len, MIN(end, FAKE_HPA + (1ULL << 46)) - a.v);
	return true;
}

static inline void own(uint64_t h, uint64_t size, owner_t o)
{
	assert_true(nr_owned < ARRAY_SIZE(owned));
	owned[nr_owned].hpa = h;
	owned[nr_owned].size = size;
	owned[nr_owned++].owner = o;
}

static inline int setup(void **state)
{
	fake_page_reset();
	nr_owned = 0;
	fake_page_owner_hook = owner_hook;
	return 0;
}

static inline int teardown(void **state)
{
	fake_page_owner_hook = NULL;
	fake_page_reset();
	return 0;
}

static uint64_t rng;
static inline uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}
static inline uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

/* ---- random memory maps ---- */

struct region {
	uint64_t gpa, hpa, size;
	enum region_kind kind;
	uint32_t rights;
};

struct map {
	struct region r[MAXR];
	unsigned n;
	bool a1g, a2m;
};

/* Host address for a region at @g whose gpa-hpa congruence is 4K (0), 2M (1) or 1G (2). */
static inline uint64_t gen_hpa(uint64_t *hcur, uint64_t g, unsigned cls)
{
	uint64_t h = ALIGN_UP(*hcur, GiB) + GiB;

	if (cls == 2)
		return h + g % GiB;
	if (cls == 1)
		return h + (g % GiB + (1 + rnd_below(511)) * 2 * MiB) % GiB;
	return h + (g % (2 * MiB) + (1 + rnd_below(511)) * PAGE_SIZE) % (2 * MiB);
}

static inline uint64_t gen_size(unsigned cls, unsigned max_gib)
{
	if (cls == 0)
		return (1 + rnd_below(4096)) * PAGE_SIZE;
	return rnd_below(max_gib + 1) * GiB + rnd_below(520) * 2 * MiB +
	       rnd_below(3) * rnd_below(700) * PAGE_SIZE + PAGE_SIZE;
}

static inline uint64_t gen_gap(uint64_t cur)
{
	switch (rnd_below(6)) {
	case 0:
		return cur;
	case 1:
		return cur + rnd_below(16) * PAGE_SIZE;
	case 2:
		return ALIGN_UP(cur, 2 * MiB) + rnd_below(8) * 2 * MiB;
	case 3:
		return ALIGN_UP(cur, GiB) + rnd_below(3) * GiB;
	case 4:
		return ALIGN_UP(cur + 1, 512 * GiB) + rnd_below(2) * GiB; /* new PDPT */
	default:
		return ALIGN_UP(cur, GiB) + rnd_below(512) * 2 * MiB + rnd_below(2) * PAGE_SIZE;
	}
}

static const uint32_t rights_choice[] = {REGION_R, REGION_R | REGION_W, REGION_R | REGION_X,
					 REGION_RWX};

static inline enum region_kind gen_kind(void)
{
	static const enum region_kind k[] = {REGION_RAM,       REGION_RAM,	REGION_RAM,
					     REGION_RAM,       REGION_ROM,	REGION_SHARED,
					     REGION_MMIO_PASS, REGION_MMIO_EMUL};
	return k[rnd_below(ARRAY_SIZE(k))];
}

static inline void gen_map(struct map *m, uint64_t seed, unsigned n, unsigned max_gib)
{
	uint64_t gcur = rnd_below(4) * 512 * GiB, hcur = FAKE_HPA;

	rng = seed;
	m->n = n;
	for (unsigned i = 0; i < n; i++) {
		struct region *r = &m->r[i];
		unsigned cls = (unsigned)rnd_below(3);

		r->gpa = gen_gap(gcur);
		r->size = gen_size(cls, max_gib);
		r->hpa = gen_hpa(&hcur, r->gpa, cls);
		r->kind = gen_kind();
		r->rights = rights_choice[rnd_below(ARRAY_SIZE(rights_choice))];
		if (r->kind == REGION_SHARED)
			own(r->hpa, r->size, OWNER_SHARED(1));
		if (r->kind == REGION_MMIO_PASS)
			own(r->hpa, r->size, OWNER_RESERVED);
		hcur = r->hpa + r->size;
		gcur = r->gpa + r->size;
	}
	assert_true(gcur < EPT_GPA_LIMIT);
}

static inline void map_to_slots(const struct map *m, struct memslots *ms)
{
	memslots_init(ms);
	for (unsigned i = 0; i < m->n; i++) {
		const struct region *r = &m->r[i];
		struct mem_slot s = {.base_gfn = gpa_to_gfn(gpa(r->gpa)),
				     .npages = r->size >> PAGE_SHIFT,
				     .hpa = hpa(r->kind == REGION_MMIO_EMUL ? 0 : r->hpa),
				     .kind = r->kind,
				     .rights = r->rights,
				     .region = (uint16_t)i};

		assert_int_equal(memslot_add(ms, &s), 0);
	}
}

/* ---- expectations, derived from the map only ---- */

static inline const struct region *map_find(const struct map *m, uint64_t a)
{
	for (unsigned i = 0; i < m->n; i++)
		if (a >= m->r[i].gpa && a - m->r[i].gpa < m->r[i].size)
			return &m->r[i];
	return NULL;
}

static inline bool mapped_kind(const struct region *r)
{
	return r && r->kind != REGION_MMIO_EMUL;
}

static inline uint64_t expect_rights(const struct region *r)
{
	return r->kind == REGION_ROM ? (EPTE_R | EPTE_X) : r->rights;
}

/* A block is one leaf when it lies wholly in the region and gpa, hpa agree modulo its size. */
static inline bool whole_block(const struct region *r, uint64_t a, uint64_t bs)
{
	uint64_t b = ALIGN_DOWN(a, bs);

	return (r->gpa - r->hpa) % bs == 0 && b >= r->gpa && b + bs <= r->gpa + r->size;
}

static inline unsigned expect_level(const struct map *m, const struct region *r, uint64_t a)
{
	if (m->a1g && whole_block(r, a, GiB))
		return 3;
	if (m->a2m && whole_block(r, a, 2 * MiB))
		return 2;
	return 1;
}

struct set {
	uint64_t *v;
	size_t n, cap;
};

static inline void set_add(struct set *s, uint64_t x)
{
	if (s->n && s->v[s->n - 1] == x)
		return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		assert_non_null(s->v);
	}
	s->v[s->n++] = x;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline size_t set_count_free(struct set *s)
{
	size_t u = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	for (size_t i = 0; i < s->n; i++)
		u += i == 0 || s->v[i] != s->v[i - 1];
	free(s->v);
	return u;
}

struct expect {
	unsigned long leaves[EPT_LEAF_COUNT];
	unsigned tables;
};

/* Leaves by the whole-block rule; tables: PML4 + distinct 512G/1G/2M parents needing one. */
static inline void expect_map(const struct map *m, struct expect *x)
{
	struct set pdpt = {0}, pd = {0}, pt = {0};
	static const unsigned shift[] = {12, 21, 30};

	memset(x, 0, sizeof(*x));
	for (unsigned i = 0; i < m->n; i++) {
		const struct region *r = &m->r[i];
		uint64_t a = r->gpa;

		while (mapped_kind(r) && a < r->gpa + r->size) {
			unsigned l = expect_level(m, r, a);

			x->leaves[l - 1]++;
			set_add(&pdpt, a >> 39);
			if (l < 3)
				set_add(&pd, a >> 30);
			if (l < 2)
				set_add(&pt, a >> 21);
			a = ALIGN_DOWN(a, 1ULL << shift[l - 1]) + (1ULL << shift[l - 1]);
		}
	}
	x->tables =
	    (unsigned)(1 + set_count_free(&pdpt) + set_count_free(&pd) + set_count_free(&pt));
}

static inline void check_addr(const struct ept *e, const struct map *m, uint64_t a)
{
	const struct region *r = map_find(m, a);
	struct ept_walk_result w;
	int err = ept_walk(e, gpa(a), &w);

	if (a >= EPT_GPA_LIMIT) {
		assert_int_equal(err, -ERANGE);
		return;
	}
	if (!mapped_kind(r)) {
		assert_int_equal(err, -ENOENT);
		return;
	}
	assert_int_equal(err, 0);
	assert_int_equal(w.hpa.v, r->hpa + (a - r->gpa));
	assert_int_equal(w.rights, expect_rights(r));
	assert_int_equal(w.mt, r->kind == REGION_MMIO_PASS ? EPT_MT_UC : EPT_MT_WB);
	assert_int_equal(w.level, expect_level(m, r, a));
	assert_int_equal(w.size, 1ULL << (12 + 9 * (w.level - 1)));
}

static inline void check_map(const struct ept *e, const struct map *m)
{
	uint64_t top = 0;

	for (unsigned i = 0; i < m->n; i++) {
		const struct region *r = &m->r[i];
		uint64_t end = r->gpa + r->size;

		check_addr(e, m, r->gpa);
		check_addr(e, m, end - 1);
		check_addr(e, m, end);
		if (r->gpa)
			check_addr(e, m, r->gpa - 1);
		check_addr(e, m, ALIGN_UP(r->gpa, 2 * MiB));
		check_addr(e, m, ALIGN_DOWN(end, GiB) - PAGE_SIZE);
		for (unsigned k = 0; k < 16; k++)
			check_addr(e, m, r->gpa + rnd_below(r->size));
		top = MAX(top, end);
	}
	for (unsigned k = 0; k < 300; k++)
		check_addr(e, m, rnd_below(top + GiB));
}

static inline void check_counts(const struct ept *e, const struct map *m)
{
	struct expect x;

	expect_map(m, &x);
	for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
		assert_int_equal(e->leaves[l], x.leaves[l]);
	assert_int_equal(e->table_pages, x.tables);
	assert_int_equal(fake_page_allocs, x.tables);
}

#endif
