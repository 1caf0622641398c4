/*
 * Unit tests for ept/ept.c. Random memory maps (fixed seeds) are built from
 * memslots and checked by walking against expectations computed from the map
 * alone: translation, rights, memory type, leaf sizes, leaf and table counts.
 * Also: owner checks, -ENOMEM at every allocation, MMIO markers, unmap with
 * splits, the walker's misconfiguration rules, EPTP and the summary text.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
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

static bool owner_hook(hpa_t a, owner_t *o)
{
	if (a.v < FAKE_HPA)
		return false;
	*o = VM_OWNER;
	for (unsigned i = 0; i < nr_owned; i++)
		if (a.v >= owned[i].hpa && a.v - owned[i].hpa < owned[i].size)
			*o = owned[i].owner;
	return true;
}

static void own(uint64_t h, uint64_t size, owner_t o)
{
	assert_true(nr_owned < ARRAY_SIZE(owned));
	owned[nr_owned].hpa = h;
	owned[nr_owned].size = size;
	owned[nr_owned++].owner = o;
}

static int setup(void **state)
{
	fake_page_reset();
	nr_owned = 0;
	fake_page_owner_hook = owner_hook;
	return 0;
}

static int teardown(void **state)
{
	fake_page_owner_hook = NULL;
	fake_page_reset();
	return 0;
}

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}
static uint64_t rnd_below(uint64_t n)
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
static uint64_t gen_hpa(uint64_t *hcur, uint64_t g, unsigned cls)
{
	uint64_t h = ALIGN_UP(*hcur, GiB) + GiB;

	if (cls == 2)
		return h + g % GiB;
	if (cls == 1)
		return h + (g % GiB + (1 + rnd_below(511)) * 2 * MiB) % GiB;
	return h + (g % (2 * MiB) + (1 + rnd_below(511)) * PAGE_SIZE) % (2 * MiB);
}

static uint64_t gen_size(unsigned cls, unsigned max_gib)
{
	if (cls == 0)
		return (1 + rnd_below(4096)) * PAGE_SIZE;
	return rnd_below(max_gib + 1) * GiB + rnd_below(520) * 2 * MiB +
	       rnd_below(3) * rnd_below(700) * PAGE_SIZE + PAGE_SIZE;
}

static uint64_t gen_gap(uint64_t cur)
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

static enum region_kind gen_kind(void)
{
	static const enum region_kind k[] = {REGION_RAM,       REGION_RAM,	REGION_RAM,
					     REGION_RAM,       REGION_ROM,	REGION_SHARED,
					     REGION_MMIO_PASS, REGION_MMIO_EMUL};
	return k[rnd_below(ARRAY_SIZE(k))];
}

static void gen_map(struct map *m, uint64_t seed, unsigned n, unsigned max_gib)
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

static void map_to_slots(const struct map *m, struct memslots *ms)
{
	memslots_init(ms);
	for (unsigned i = 0; i < m->n; i++) {
		const struct region *r = &m->r[i];
		struct mem_slot s = {.base_gfn = r->gpa >> PAGE_SHIFT,
				     .npages = r->size >> PAGE_SHIFT,
				     .hpa = hpa(r->kind == REGION_MMIO_EMUL ? 0 : r->hpa),
				     .kind = r->kind,
				     .rights = r->rights,
				     .region = (uint16_t)i};

		assert_int_equal(memslot_add(ms, &s), 0);
	}
}

/* ---- expectations, derived from the map only ---- */

static const struct region *map_find(const struct map *m, uint64_t a)
{
	for (unsigned i = 0; i < m->n; i++)
		if (a >= m->r[i].gpa && a - m->r[i].gpa < m->r[i].size)
			return &m->r[i];
	return NULL;
}

static bool mapped_kind(const struct region *r)
{
	return r && r->kind != REGION_MMIO_EMUL;
}

static uint64_t expect_rights(const struct region *r)
{
	return r->kind == REGION_ROM ? (EPTE_R | EPTE_X) : r->rights;
}

/* A block is one leaf when it lies wholly in the region and gpa, hpa agree modulo its size. */
static bool whole_block(const struct region *r, uint64_t a, uint64_t bs)
{
	uint64_t b = ALIGN_DOWN(a, bs);

	return (r->gpa - r->hpa) % bs == 0 && b >= r->gpa && b + bs <= r->gpa + r->size;
}

static unsigned expect_level(const struct map *m, const struct region *r, uint64_t a)
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

static void set_add(struct set *s, uint64_t x)
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static size_t set_count_free(struct set *s)
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
static void expect_map(const struct map *m, struct expect *x)
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

static void check_addr(const struct ept *e, const struct map *m, uint64_t a)
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

static void check_map(const struct ept *e, const struct map *m)
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

static void check_counts(const struct ept *e, const struct map *m)
{
	struct expect x;

	expect_map(m, &x);
	for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
		assert_int_equal(e->leaves[l], x.leaves[l]);
	assert_int_equal(e->table_pages, x.tables);
	assert_int_equal(fake_page_allocs, x.tables);
}

/* ---- random maps built from memslots ---- */

static void build_and_check(uint64_t seed, bool a1g, bool a2m, unsigned max_gib)
{
	struct map m = {.a1g = a1g, .a2m = a2m};
	struct memslots ms;
	struct ept e;

	nr_owned = 0;
	gen_map(&m, seed, 2 + (unsigned)(seed % (MAXR - 2)), max_gib);
	map_to_slots(&m, &ms);
	assert_int_equal(ept_init(&e, VM_OWNER, a1g, a2m), 0);
	assert_int_equal(ept_build(&e, &ms), 0);
	check_counts(&e, &m);
	check_map(&e, &m);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

static void test_random_maps(void **state)
{
	for (uint64_t seed = 1; seed <= 12; seed++)
		build_and_check(seed * 0x9E3779B97F4A7C15ULL, true, true, 2);
}

static void test_random_maps_no_1g(void **state)
{
	for (uint64_t seed = 100; seed < 106; seed++)
		build_and_check(seed * 0x9E3779B97F4A7C15ULL, false, true, 1);
}

static void test_random_maps_4k_only(void **state)
{
	for (uint64_t seed = 200; seed < 203; seed++)
		build_and_check(seed * 0x9E3779B97F4A7C15ULL, false, false, 0);
}

/* A hand-checked map: 1 GiB + 63 * 2 MiB, congruent: one 1G leaf and 63 2M leaves. */
static void test_simple_and_summary(void **state)
{
	struct memslots ms;
	struct mem_slot s = {.base_gfn = GiB >> PAGE_SHIFT,
			     .npages = (GiB + 63 * 2 * MiB) >> PAGE_SHIFT,
			     .hpa = hpa(FAKE_HPA + GiB),
			     .kind = REGION_RAM,
			     .rights = REGION_RWX};
	struct mem_slot emul = {.base_gfn = 0xfee00, .npages = 1, .kind = REGION_MMIO_EMUL};
	struct ept e;
	char buf[512];
	int n;

	memslots_init(&ms);
	assert_int_equal(memslot_add(&ms, &s), 0);
	assert_int_equal(memslot_add(&ms, &emul), 0);
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_build(&e, &ms), 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 1);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 63);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 0);
	assert_int_equal(e.table_pages, 3); /* PML4, PDPT, one PD for the 2M leaves */
	assert_int_equal(ept_mark_mmio(&e, gpa(0xfee00000)), 0);
	n = ept_summary(&e, &ms, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf,
			    "slot 0 [0x40000000..0x87e00000) ram: 1G:1 2M:63 4K:0 mmio:0\n"
			    "slot 1 [0xfee00000..0xfee01000) mmio-emul: 1G:0 2M:0 4K:0 mmio:1\n"
			    "tables: 5 pages\n");
	assert_int_equal(ept_summary(&e, &ms, buf, 10), n); /* truncated, same length */
	assert_int_equal(strlen(buf), 9);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/* ---- -ENOMEM at every allocation ---- */

static void test_enomem_build(void **state)
{
	struct map m = {.a1g = true, .a2m = true};
	struct memslots ms;
	struct expect x;
	struct ept e;

	gen_map(&m, 0xC0FFEE, 10, 1);
	map_to_slots(&m, &ms);
	expect_map(&m, &x);
	assert_true(x.tables > 8);
	for (unsigned long lim = 0; lim <= x.tables; lim++) {
		fake_page_reset();
		fake_page_limit = lim;
		if (lim == 0) {
			assert_int_equal(ept_init(&e, VM_OWNER, true, true), -ENOMEM);
			assert_int_equal(fake_page_allocs, 0);
			continue;
		}
		assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
		assert_int_equal(ept_build(&e, &ms), lim < x.tables ? -ENOMEM : 0);
		if (lim < x.tables) {
			assert_int_equal(e.table_pages, 1);
			assert_int_equal(fake_page_allocs, 1);
			for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
				assert_int_equal(e.leaves[l], 0);
			for (unsigned i = 0; i < m.n; i++)
				assert_int_equal(
				    ept_walk(&e, gpa(m.r[i].gpa), &(struct ept_walk_result){0}),
				    -ENOENT);
		} else {
			check_counts(&e, &m);
		}
		ept_destroy(&e);
		assert_int_equal(fake_page_allocs, 0);
	}
}

/* A failing map leaves earlier maps and the table count exactly as they were. */
static void test_enomem_map_keeps_tree(void **state)
{
	struct map m = {.n = 1, .a1g = true, .a2m = true};
	struct ept e;
	uint64_t g = GiB - 4 * MiB - 5 * PAGE_SIZE, size = 2 * GiB + 9 * MiB;

	m.r[0] = (struct region){5 * GiB, FAKE_HPA + 5 * GiB, 3 * MiB, REGION_RAM, REGION_RWX};
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(
	    ept_map(&e, gpa(m.r[0].gpa), hpa(m.r[0].hpa), m.r[0].size, EPTE_RWX | EPTE_MT_WB), 0);
	for (unsigned long k = 0;; k++) {
		unsigned tables = e.table_pages;
		int err;

		fake_page_limit = fake_page_allocs + k;
		err = ept_map(&e, gpa(g), hpa(FAKE_HPA + g), size, EPTE_R | EPTE_MT_WB);
		fake_page_limit = ~0UL;
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(e.table_pages, tables);
		assert_int_equal(fake_page_allocs, tables);
		check_counts(&e, &m);
		check_map(&e, &m);
	}
	m.r[1] = (struct region){g, FAKE_HPA + g, size, REGION_RAM, REGION_R};
	m.n = 2;
	check_counts(&e, &m);
	check_map(&e, &m);
	ept_destroy(&e);
}

/* ---- owner checks ---- */

static void test_owner(void **state)
{
	struct ept e;
	hpa_t h_hyp, h_other, h_mine, h_shared;
	void *p[4];
	uint64_t f = FAKE_HPA + 7 * GiB;

	p[0] = page_alloc(0, OWNER_HYP, &h_hyp);
	p[1] = page_alloc(0, OWNER_VM(1), &h_other);
	p[2] = page_alloc(0, VM_OWNER, &h_mine);
	p[3] = page_alloc(0, OWNER_SHARED(4), &h_shared);
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(0), h_hyp, PAGE_SIZE, EPTE_RWX), -EPERM);
	assert_int_equal(ept_map(&e, gpa(0), h_other, PAGE_SIZE, EPTE_RWX), -EPERM);
	assert_int_equal(ept_map(&e, gpa(0), va_to_hpa(e.pml4_va), PAGE_SIZE, EPTE_RWX), -EPERM);
	assert_int_equal(ept_map(&e, gpa(0), h_mine, PAGE_SIZE, EPTE_RWX | EPTE_MT_WB), 0);
	assert_int_equal(ept_map(&e, gpa(PAGE_SIZE), h_shared, PAGE_SIZE, EPTE_R | EPTE_MT_WB), 0);
	/* a 2 MiB range whose last frame is another VM's: refused whole, nothing mapped */
	own(f + 2 * MiB - PAGE_SIZE, PAGE_SIZE, OWNER_VM(3));
	assert_int_equal(ept_map(&e, gpa(2 * MiB), hpa(f), 2 * MiB, EPTE_RWX), -EPERM);
	assert_int_equal(ept_walk(&e, gpa(2 * MiB), &(struct ept_walk_result){0}), -ENOENT);
	assert_int_equal(e.table_pages, 4);
	assert_int_equal(ept_map(&e, gpa(2 * MiB), hpa(f), 2 * MiB - PAGE_SIZE, EPTE_RWX), 0);
	/* passthrough MMIO: only frames nobody owns */
	own(f + GiB, 16 * PAGE_SIZE, OWNER_RESERVED);
	assert_int_equal(ept_map(&e, gpa(GiB), hpa(f + GiB), 16 * PAGE_SIZE, EPTE_R | EPTE_W),
			 -EPERM);
	assert_int_equal(ept_map(&e, gpa(GiB), hpa(f), PAGE_SIZE, EPTE_RWX | EPT_MAP_PASSTHRU),
			 -EPERM);
	assert_int_equal(ept_map(&e, gpa(GiB), h_mine, PAGE_SIZE, EPTE_RWX | EPT_MAP_PASSTHRU),
			 -EPERM);
	assert_int_equal(ept_map(&e, gpa(GiB), hpa(f + GiB), 16 * PAGE_SIZE,
				 EPTE_R | EPTE_W | EPTE_MT_UC | EPT_MAP_PASSTHRU),
			 0);
	ept_destroy(&e);
	for (unsigned i = 0; i < 4; i++)
		page_free(p[i], 0, 0);
	assert_int_equal(fake_page_allocs, 0);
}

/* ept_build refuses a slot of someone else's frames and undoes the slots before it. */
static void test_owner_build_rollback(void **state)
{
	struct map m = {.a1g = true, .a2m = true};
	struct memslots ms;
	struct ept e;

	gen_map(&m, 0xBADBAD, 12, 1);
	m.r[9].kind = REGION_RAM;
	own(m.r[9].hpa + m.r[9].size / 2 / PAGE_SIZE * PAGE_SIZE, PAGE_SIZE, OWNER_HYP);
	map_to_slots(&m, &ms);
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_build(&e, &ms), -EPERM);
	assert_int_equal(e.table_pages, 1);
	assert_int_equal(fake_page_allocs, 1);
	for (unsigned i = 0; i < m.n; i++) /* nothing must be mapped */
		m.r[i].kind = REGION_MMIO_EMUL;
	check_map(&e, &m);
	ept_destroy(&e);
}

/* ---- argument checks, overlaps ---- */

static void test_invalid_and_overlap(void **state)
{
	struct ept e;
	uint64_t h = FAKE_HPA;

	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(0x1000), hpa(h), 0, EPTE_RWX), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0x1800), hpa(h), 0x1000, EPTE_RWX), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0x1000), hpa(h + 8), 0x1000, EPTE_RWX), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0x1000), hpa(h), 0x1001, EPTE_RWX), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(EPT_GPA_LIMIT - 0x1000), hpa(h), 0x2000, EPTE_RWX),
			 -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa((1ULL << 52) - 0x1000), 0x2000, EPTE_RWX),
			 -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_W), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_W | EPTE_X), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_X), -EINVAL); /* no exec-only */
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, 0), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_R | (2ULL << 3)), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_R | (7ULL << 3)), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_R | EPTE_LEAF), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_R | BIT(12)), -EINVAL);
	assert_int_equal(e.table_pages, 1);
	assert_int_equal(ept_map(&e, gpa(EPT_GPA_LIMIT - GiB), hpa(h), GiB, EPTE_RWX | EPTE_MT_WB),
			 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 1);

	assert_int_equal(ept_map(&e, gpa(4 * MiB), hpa(h + 4 * MiB), 4 * MiB, EPTE_RWX), 0);
	assert_int_equal(ept_map(&e, gpa(8 * MiB - 0x1000), hpa(h), 0x2000, EPTE_RWX), -EEXIST);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 4 * MiB + 0x1000, EPTE_RWX), -EEXIST);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), GiB, EPTE_RWX), -EEXIST);
	assert_int_equal(ept_map(&e, gpa(5 * MiB), hpa(h), 0x1000, EPTE_RWX), -EEXIST);
	assert_int_equal(ept_map(&e, gpa(8 * MiB), hpa(h), 0x1000, EPTE_RWX), 0); /* adjacent */
	assert_int_equal(ept_map(&e, gpa(4 * MiB - 0x1000), hpa(h), 0x1000, EPTE_RWX),
			 0); /* adjacent */
	assert_int_equal(ept_unmap(&e, gpa(0x1800), 0x1000), -EINVAL);
	assert_int_equal(ept_unmap(&e, gpa(0), 0), -EINVAL);
	assert_int_equal(ept_unmap(&e, gpa(EPT_GPA_LIMIT), 0x1000), -EINVAL);
	e.exec_only = true;
	assert_int_equal(ept_map(&e, gpa(GiB), hpa(h), 0x1000, EPTE_X | EPTE_MT_WB), 0);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/* ---- MMIO marker ---- */

static void test_mmio_marker(void **state)
{
	struct ept e;
	struct ept_walk_result w;

	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(0), hpa(FAKE_HPA), 2 * MiB, EPTE_RWX | EPTE_MT_WB), 0);
	assert_int_equal(ept_mark_mmio(&e, gpa(0xfee00000)), 0);
	assert_int_equal(e.mmio_markers, 1);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 0);
	assert_int_equal(ept_walk(&e, gpa(0xfee00abc), &w), -EINVAL);
	assert_true(w.mmio);
	assert_int_equal(w.level, 1);
	assert_true(ept_is_mmio_marker(w.entry));
	assert_int_equal(w.entry & EPTE_RWX, EPTE_W); /* write without read */
	assert_int_equal(ept_walk(&e, gpa(0xfee01000), &w), -ENOENT);
	assert_false(w.mmio);
	assert_int_equal(ept_mark_mmio(&e, gpa(0xfee00000)), -EEXIST);
	assert_int_equal(ept_mark_mmio(&e, gpa(0x1000)), -EEXIST); /* inside a 2M leaf */
	assert_int_equal(ept_mark_mmio(&e, gpa(0x1001)), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0xfee00000), hpa(FAKE_HPA), 0x1000, EPTE_R), -EEXIST);
	/* -ENOMEM leaves no half-built path behind */
	fake_page_limit = fake_page_allocs + 1;
	assert_int_equal(ept_mark_mmio(&e, gpa(0x80000000000)), -ENOMEM);
	fake_page_limit = ~0UL;
	assert_int_equal(e.table_pages, 5);
	assert_int_equal(fake_page_allocs, 5);
	assert_int_equal(ept_unmap(&e, gpa(0xfee00000), 0x1000), 0);
	assert_int_equal(e.mmio_markers, 0);
	assert_int_equal(ept_walk(&e, gpa(0xfee00000), &w), -ENOENT);
	assert_int_equal(e.table_pages, 3);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/* ---- unmap and splits ---- */

static void test_unmap_split(void **state)
{
	struct map m = {.n = 1, .a1g = true, .a2m = true};
	struct ept e;
	struct ept_walk_result w;
	uint64_t g = 4 * GiB, hole = g + 5 * 2 * MiB + 3 * PAGE_SIZE;

	m.r[0] = (struct region){g, FAKE_HPA + g, 2 * GiB, REGION_RAM, REGION_R | REGION_X};
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(
	    ept_map(&e, gpa(g), hpa(m.r[0].hpa), m.r[0].size, EPTE_R | EPTE_X | EPTE_MT_WB), 0);
	check_counts(&e, &m);
	/* no memory for the splits: -ENOMEM, nothing changed, no leak */
	for (unsigned long k = 0; k < 2; k++) {
		fake_page_limit = fake_page_allocs + k;
		assert_int_equal(ept_unmap(&e, gpa(hole), PAGE_SIZE), -ENOMEM);
		fake_page_limit = ~0UL;
		check_counts(&e, &m);
		check_map(&e, &m);
	}
	assert_int_equal(ept_unmap(&e, gpa(hole), PAGE_SIZE), 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 1);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 511);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 511);
	assert_int_equal(e.table_pages, 4);
	assert_int_equal(ept_walk(&e, gpa(hole), &w), -ENOENT);
	assert_int_equal(w.level, 1);
	for (int d = -2; d <= 2; d++) {
		uint64_t a = hole + (uint64_t)(d * (int)PAGE_SIZE) + 0x10;

		if (d == 0)
			continue;
		assert_int_equal(ept_walk(&e, gpa(a), &w), 0);
		assert_int_equal(w.hpa.v, FAKE_HPA + a);
		assert_int_equal(w.rights, EPTE_R | EPTE_X);
		assert_int_equal(w.mt, EPT_MT_WB);
		assert_int_equal(w.level, 1);
	}
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 5), &w), 0); /* other 1G untouched */
	assert_int_equal(w.level, 3);
	/* both ends inside the other 1G leaf: one PD, two PTs */
	assert_int_equal(ept_unmap(&e, gpa(g + GiB + 3 * MiB), 4 * MiB + 8 * PAGE_SIZE), 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 0);
	assert_int_equal(e.table_pages, 7);
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 3 * MiB - 1), &w), 0);
	assert_int_equal(w.hpa.v, FAKE_HPA + g + GiB + 3 * MiB - 1);
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 3 * MiB), &w), -ENOENT);
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 4 * MiB), &w), -ENOENT);
	assert_int_equal(w.level, 2); /* a whole 2M leaf went */
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 7 * MiB + 8 * PAGE_SIZE), &w), 0);
	assert_int_equal(w.hpa.v, FAKE_HPA + g + GiB + 7 * MiB + 8 * PAGE_SIZE);
	/* unmapping everything frees every table but the PML4 */
	assert_int_equal(ept_unmap(&e, gpa(0), EPT_GPA_LIMIT), 0);
	assert_int_equal(e.table_pages, 1);
	assert_int_equal(fake_page_allocs, 1);
	for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
		assert_int_equal(e.leaves[l], 0);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/*
 * Count tables the leaves present need (walking every leaf of the map) and
 * compare with what the EPT holds: no empty table survives an unmap.
 */
static void check_tables_minimal(const struct ept *e, const struct map *m)
{
	struct set pdpt = {0}, pd = {0}, pt = {0};
	unsigned long leaves[EPT_LEAF_COUNT] = {0};

	for (unsigned i = 0; i < m->n; i++) {
		uint64_t a = m->r[i].gpa, end = a + m->r[i].size;

		while (a < end) {
			struct ept_walk_result w;
			int err = ept_walk(e, gpa(a), &w);
			uint64_t step = 1ULL << (12 + 9 * (w.level - 1));

			if (err == 0) {
				leaves[w.level - 1]++;
				set_add(&pdpt, a >> 39);
				if (w.level < 3)
					set_add(&pd, a >> 30);
				if (w.level < 2)
					set_add(&pt, a >> 21);
			}
			a = ALIGN_DOWN(a, step) + step;
		}
	}
	for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
		assert_int_equal(e->leaves[l], leaves[l]);
	assert_int_equal(e->table_pages,
			 1 + set_count_free(&pdpt) + set_count_free(&pd) + set_count_free(&pt));
}

/* Random unmaps over a random map, checked against the map minus the holes. */
static void test_unmap_random(void **state)
{
	struct map m = {.a1g = true, .a2m = true};
	struct memslots ms;
	struct ept e;
	uint64_t holes[40][2];

	gen_map(&m, 0x5EED, 10, 2);
	for (unsigned i = 0; i < m.n; i++)
		if (m.r[i].kind == REGION_MMIO_EMUL)
			m.r[i].kind = REGION_RAM;
	map_to_slots(&m, &ms);
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_build(&e, &ms), 0);
	for (unsigned h = 0; h < ARRAY_SIZE(holes); h++) {
		const struct region *r = &m.r[rnd_below(m.n)];
		static const uint64_t gran[] = {PAGE_SIZE, 2 * MiB, GiB};
		uint64_t start = r->gpa + ALIGN_DOWN(rnd_below(r->size), gran[rnd_below(3)]);
		uint64_t len = PAGE_SIZE * (1 + rnd_below(1024)) + rnd_below(2) * 2 * MiB;

		holes[h][0] = start;
		holes[h][1] = start + len;
		assert_int_equal(ept_unmap(&e, gpa(start), len), 0);
		for (unsigned k = 0; k < 200; k++) {
			uint64_t a =
			    k < 4 ? holes[h][k / 2] - (k % 2) : r->gpa + rnd_below(r->size);
			const struct region *q = map_find(&m, a);
			bool in_hole = false;
			struct ept_walk_result w;
			int err = ept_walk(&e, gpa(a), &w);

			for (unsigned j = 0; j <= h; j++)
				in_hole |= a >= holes[j][0] && a < holes[j][1];
			if (!q || in_hole) {
				assert_int_equal(err, -ENOENT);
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(w.hpa.v, q->hpa + (a - q->gpa));
			assert_int_equal(w.rights, expect_rights(q));
		}
		check_tables_minimal(&e, &m);
	}
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/* ---- the walker's view of hand-made entries ---- */

static uint64_t *entry_of(const struct ept *e, uint64_t g, unsigned level)
{
	uint64_t *t = e->pml4_va;

	for (unsigned l = 4; l > level; l--)
		t = hpa_to_va(hpa(t[(g >> (12 + 9 * (l - 1))) & 511] & EPTE_ADDR));
	return &t[(g >> (12 + 9 * (level - 1))) & 511];
}

static int walk_with(struct ept *e, uint64_t *ent, uint64_t val, uint64_t g,
		     struct ept_walk_result *w)
{
	uint64_t old = *ent;
	int err;

	*ent = val;
	err = ept_walk(e, gpa(g), w);
	*ent = old;
	return err;
}

static void test_walker_rules(void **state)
{
	struct ept e;
	struct ept_walk_result w;
	uint64_t g = 0x40201000, g2 = 0x80000000, g1 = 0xC0000000, h = FAKE_HPA + 0x40201000;
	uint64_t *pte, *pde, *pml4e, *pde2, *pdpte1;

	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(g), hpa(h), PAGE_SIZE, EPTE_RWX | EPTE_MT_WB | EPTE_IPAT),
			 0);
	assert_int_equal(ept_map(&e, gpa(g2), hpa(FAKE_HPA), 2 * MiB, EPTE_RWX | EPTE_MT_WB), 0);
	assert_int_equal(ept_map(&e, gpa(g1), hpa(FAKE_HPA), GiB, EPTE_RWX | EPTE_MT_WB), 0);
	pte = entry_of(&e, g, 1);
	pde = entry_of(&e, g, 2);
	pml4e = entry_of(&e, g, 4);
	pde2 = entry_of(&e, g2, 2);
	pdpte1 = entry_of(&e, g1, 3);
	assert_int_equal(ept_walk(&e, gpa(g + 0x123), &w), 0);
	assert_int_equal(w.hpa.v, h + 0x123);
	assert_true(w.ipat);
	assert_int_equal(w.mt, EPT_MT_WB);
	/* rights are the AND over levels */
	assert_int_equal(walk_with(&e, pde, (*pde & ~EPTE_RWX) | EPTE_R, g, &w), 0);
	assert_int_equal(w.rights, EPTE_R);
	assert_int_equal(walk_with(&e, pml4e, (*pml4e & ~EPTE_RWX) | EPTE_R | EPTE_X, g, &w), 0);
	assert_int_equal(w.rights, EPTE_R | EPTE_X);
	/* W without R anywhere, X-only without support */
	assert_int_equal(walk_with(&e, pte, (*pte & ~EPTE_RWX) | EPTE_W, g, &w), -EINVAL);
	assert_false(w.mmio); /* a plain misconfiguration is not our marker */
	assert_int_equal(walk_with(&e, pde, (*pde & ~EPTE_RWX) | EPTE_W | EPTE_X, g, &w), -EINVAL);
	assert_int_equal(w.level, 2);
	assert_int_equal(walk_with(&e, pte, (*pte & ~EPTE_RWX) | EPTE_X, g, &w), -EINVAL);
	e.exec_only = true;
	assert_int_equal(walk_with(&e, pte, (*pte & ~EPTE_RWX) | EPTE_X, g, &w), 0);
	assert_int_equal(w.rights, EPTE_X);
	e.exec_only = false;
	/* not present stops the walk where it is found */
	assert_int_equal(walk_with(&e, pde, 0, g, &w), -ENOENT);
	assert_int_equal(w.level, 2);
	assert_int_equal(walk_with(&e, pde, *pde & ~EPTE_RWX, g, &w), -ENOENT);
	/* memory types: 2, 3 and 7 are reserved in leaves */
	for (uint64_t mt = 0; mt < 8; mt++) {
		int want = (mt == 2 || mt == 3 || mt == 7) ? -EINVAL : 0;

		assert_int_equal(walk_with(&e, pte, (*pte & ~EPTE_MT) | mt << 3, g, &w), want);
		assert_int_equal(walk_with(&e, pde2, (*pde2 & ~EPTE_MT) | mt << 3, g2, &w), want);
		assert_int_equal(walk_with(&e, pdpte1, (*pdpte1 & ~EPTE_MT) | mt << 3, g1, &w),
				 want);
		if (!want)
			assert_int_equal(w.mt, mt);
	}
	/* reserved bits per entry format */
	for (unsigned b = 3; b <= 7; b++)
		assert_int_equal(walk_with(&e, pml4e, *pml4e | BIT(b), g, &w), -EINVAL);
	for (unsigned b = 3; b <= 6; b++)
		assert_int_equal(walk_with(&e, pde, *pde | BIT(b), g, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pde2, *pde2 | BIT(12), g2, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pde2, *pde2 | BIT(20), g2, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pde2, *pde2 | BIT(21), g2, &w), 0);
	assert_int_equal(w.hpa.v, FAKE_HPA + 2 * MiB);
	assert_int_equal(walk_with(&e, pdpte1, *pdpte1 | BIT(29), g1, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pdpte1, *pdpte1 | BIT(12), g1, &w), -EINVAL);
	/* ignored bits: bit 7 of a PTE, bits 8-11 and 52-62 of a leaf */
	assert_int_equal(walk_with(&e, pte, *pte | BIT(7) | BIT(10) | BIT(55), g, &w), 0);
	assert_int_equal(w.hpa.v, h);
	/* address bits above MAXPHYADDR are reserved */
	e.phys_bits = 46;
	assert_int_equal(walk_with(&e, pte, *pte | BIT(50), g, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pml4e, *pml4e | BIT(48), g, &w), -EINVAL);
	e.phys_bits = 52;
	assert_int_equal(walk_with(&e, pte, *pte | BIT(50), g, &w), 0);
	assert_int_equal(ept_walk(&e, gpa(EPT_GPA_LIMIT), &w), -ERANGE);
	ept_destroy(&e);
}

static void test_eptp(void **state)
{
	struct ept e;

	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_eptp(&e, false), e.pml4.v | 6 | (3 << 3));
	assert_int_equal(ept_eptp(&e, true), e.pml4.v | 6 | (3 << 3) | (1 << 6));
	assert_int_equal(e.pml4.v & 0xfff, 0);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_simple_and_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_maps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_maps_no_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_maps_4k_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enomem_build, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enomem_map_keeps_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner_build_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_and_overlap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmio_marker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_walker_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eptp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
