/*
 * libFuzzer target for ept/ept.c: the input is a list of map / unmap / MMIO-mark
 * operations (some with -ENOMEM injected) over a 4 GiB GPA window, replayed on a
 * page-granular model. Every return code is predicted from the model, and the
 * tree is compared with it page by page through ept_walk; any mismatch aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ept/ept.h"
#include "lib/errno.h"
#include "test/unit/fake_page.h"

#define WIN	 (4 * GiB)
#define WPAGES	 (WIN >> PAGE_SHIFT)
#define FAKE_HPA (1ULL << 47)
#define ZONE	 (16 * GiB) /* host zones: VM, shared, reserved, other VM's */
#define VM_OWNER OWNER_VM(0)
#define MAX_OPS	 48

static const owner_t zone_owner[4] = {VM_OWNER, OWNER_SHARED(2), OWNER_RESERVED, OWNER_VM(9)};

static uint64_t model[WPAGES];	/* 0, EPTE_MMIO_MARKER, or hpa | rights | type | ipat */
static uint32_t cnt[WIN >> 21]; /* used pages per 2 MiB block */
static uint64_t base;		/* GPA of the window */

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_ept: %s:%d: %s\n", __FILE__, __LINE__, #c);          \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* The model's page loops are not worth coverage feedback and dominate the run time. */
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))

static bool owner_hook(hpa_t a, owner_t *o, uint64_t *len)
{
	uint64_t z;

	if (a.v < FAKE_HPA)
		return false;
	z = MIN((a.v - FAKE_HPA) / ZONE, 3);
	*o = zone_owner[z];
	if (z < 3)
		*len = FAKE_HPA + (z + 1) * ZONE - a.v; /* to the end of the zone */
	return true;
}

NO_COVERAGE static void model_set(uint64_t g, uint64_t v)
{
	uint64_t p = (g - base) >> PAGE_SHIFT;

	cnt[p >> 9] += (v != 0) - (model[p] != 0);
	model[p] = v;
}

NO_COVERAGE static bool model_used(uint64_t g, uint64_t size)
{
	for (uint64_t a = g; a < g + size; a += PAGE_SIZE)
		if (model[(a - base) >> PAGE_SHIFT])
			return true;
	return false;
}

NO_COVERAGE static void model_reset(void)
{
	for (uint64_t b = 0; b < ARRAY_SIZE(cnt); b++)
		if (cnt[b])
			memset(&model[b << 9], 0, 512 * sizeof(model[0]));
	memset(cnt, 0, sizeof(cnt));
}

/* The model entry a successful walk of page @g implies. */
static uint64_t walk_value(const struct ept_walk_result *w)
{
	return (w->hpa.v & ~(PAGE_SIZE - 1)) | w->rights | (uint64_t)w->mt << EPTE_MT_SHIFT |
	       (w->ipat ? EPTE_IPAT : 0);
}

static void check_page(const struct ept *e, uint64_t g)
{
	struct ept_walk_result w;
	int err;

	if (g < base || g >= base + WIN)
		return;
	err = ept_walk(e, gpa(g), &w);
	if (model[(g - base) >> PAGE_SHIFT] == 0)
		CHECK(err == -ENOENT);
	else if (model[(g - base) >> PAGE_SHIFT] == EPTE_MMIO_MARKER)
		CHECK(err == -EINVAL && w.mmio);
	else
		CHECK(err == 0 && walk_value(&w) == model[(g - base) >> PAGE_SHIFT]);
}

struct census {
	unsigned long leaves[EPT_LEAF_COUNT], markers;
	bool pdpt[2], pd[WIN / GiB + 1], pt[(WIN >> 21) + 1];
};

/* Check pages [a, a+size) against one walk's result; note which tables they need. */
NO_COVERAGE static void check_span(const struct ept_walk_result *w, int err, uint64_t a,
				   uint64_t size, struct census *c)
{
	for (uint64_t p = (a - base) >> PAGE_SHIFT; p < (a - base + size) >> PAGE_SHIFT; p++) {
		if (err == -ENOENT)
			CHECK(model[p] == 0);
		else if (err == -EINVAL)
			CHECK(w->mmio && model[p] == EPTE_MMIO_MARKER);
		else
			CHECK(model[p] == walk_value(w) + ((p << PAGE_SHIFT) - (a - base)));
	}
	if (err == -ENOENT)
		return;
	c->pdpt[(a >> 39) - (base >> 39)] = true;
	if (err == -EINVAL)
		c->markers++;
	else
		c->leaves[w->level - 1]++;
	if (size < GiB)
		c->pd[(a - ALIGN_DOWN(base, GiB)) / GiB] = true;
	if (size < 2 * MiB)
		c->pt[(a - ALIGN_DOWN(base, 2 * MiB)) >> 21] = true;
}

/* Walk the whole window leaf by leaf; then the counters and the table count. */
static void check_all(const struct ept *e)
{
	static struct census c;
	unsigned tables = 1;

	memset(&c, 0, sizeof(c));
	for (uint64_t a = base; a < base + WIN;) {
		struct ept_walk_result w;
		int err = ept_walk(e, gpa(a), &w);
		uint64_t size = err == -ENOENT ? 1ULL << (12 + 9 * (w.level - 1))
				: err == 0     ? w.size
					       : PAGE_SIZE;
		uint64_t end = MIN(ALIGN_DOWN(a, size) + size, base + WIN);

		CHECK(err == 0 || err == -ENOENT || err == -EINVAL);
		CHECK(w.level == 4 || IS_ALIGNED(a, size));
		CHECK(end <= base + WIN);
		if (err == -ENOENT && size >= 2 * MiB) { /* a missing table: no page used below */
			for (uint64_t b = (a - base) >> 21; b < (end - base) >> 21; b++)
				CHECK(cnt[b] == 0);
		} else {
			check_span(&w, err, a, size, &c);
		}
		a = end;
	}
	for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
		CHECK(e->leaves[l] == c.leaves[l]);
	CHECK(e->mmio_markers == c.markers);
	/* minimum tables for the leaves present: every empty table was freed */
	for (unsigned i = 0; i < ARRAY_SIZE(c.pdpt); i++)
		tables += c.pdpt[i];
	for (unsigned i = 0; i < ARRAY_SIZE(c.pd); i++)
		tables += c.pd[i];
	for (unsigned i = 0; i < ARRAY_SIZE(c.pt); i++)
		tables += c.pt[i];
	CHECK(e->table_pages == tables);
	CHECK(fake_page_allocs == e->table_pages);
}

/* Counters of @e, to show that a failed operation changed nothing. */
struct snap {
	unsigned long leaves[EPT_LEAF_COUNT], markers, tables;
};

static struct snap snap(const struct ept *e)
{
	return (struct snap){
	    {e->leaves[0], e->leaves[1], e->leaves[2]}, e->mmio_markers, e->table_pages};
}

struct op {
	unsigned kind; /* 0-3 map, 4-5 unmap, 6 mark, 7 map or unmap under -ENOMEM */
	uint64_t g, size, h, flags;
	bool misaligned, inject;
	bool failed; /* set by the do_ functions */
	unsigned long limit;
};

static const uint64_t gran[4] = {PAGE_SIZE, 2 * MiB, GiB, 64 * PAGE_SIZE};
static const uint64_t rights[8] = {EPTE_R,	    EPTE_R | EPTE_W, EPTE_R | EPTE_X, EPTE_RWX,
				   EPTE_R | EPTE_W, EPTE_RWX,	     EPTE_X,	      EPTE_W};
static const uint64_t mts[4] = {EPT_MT_WB, EPT_MT_UC, EPT_MT_WT, 3 /* reserved */};

static uint64_t op_hpa(const uint8_t *b, uint64_t g)
{
	uint64_t zone = FAKE_HPA + ((b[5] & 0x30) == 0x30 ? (b[5] >> 6) : 0) * ZONE;
	uint64_t h = zone + (b[7] & 3) * GiB, k = 1 + b[6] % 511;

	switch (b[5] % 3) {
	case 0:
		return h + g % GiB; /* 1G-congruent */
	case 1:
		return h + (g % GiB + k * 2 * MiB) % GiB; /* 2M-congruent */
	default:
		return h + (g % (2 * MiB) + k * PAGE_SIZE) % (2 * MiB); /* 4K */
	}
}

static void decode(const struct ept *e, const uint8_t *b, struct op *o)
{
	uint64_t gg = gran[b[1] & 3], sg = gran[(b[1] >> 2) & 3];
	uint64_t g = (((uint64_t)b[2] << 8 | b[3]) * gg) % WIN;

	g += ((b[1] >> 4) & 3) * PAGE_SIZE;
	o->kind = b[0] & 7;
	o->inject = o->kind == 7;
	if (o->inject)
		o->kind = b[0] & 8 ? 4 : 0;
	o->limit = b[7] >> 4;
	o->g = base + MIN(g, WIN - PAGE_SIZE);
	o->size = (1 + b[4] % (sg == GiB ? 3 : 40)) * sg + (b[4] >> 6) * PAGE_SIZE;
	if (b[5] % 3 == 2 || !e->allow_2m) /* all 4 KiB leaves: keep it quick */
		o->size = MIN(o->size, 16 * MiB + (b[4] >> 6) * PAGE_SIZE);
	o->size = MIN(o->size, base + WIN - o->g);
	o->misaligned = (b[1] >> 6) == 3 && (b[0] & 0x10);
	if (o->misaligned)
		o->g += 0x800;
	o->h = op_hpa(b, o->g);
	o->flags = rights[b[6] >> 5] | mts[(b[6] >> 3) & 3] << EPTE_MT_SHIFT;
	o->flags |= (b[6] & 4 ? EPTE_IPAT : 0) | (b[5] & 8 ? EPT_MAP_PASSTHRU : 0);
}

static int predict_map(const struct ept *e, const struct op *o)
{
	uint64_t rwx = o->flags & EPTE_RWX, mt = (o->flags & EPTE_MT) >> EPTE_MT_SHIFT;
	owner_t zone = zone_owner[MIN((o->h - FAKE_HPA) / ZONE, 3)];
	bool pass = o->flags & EPT_MAP_PASSTHRU;

	if (o->misaligned || ((rwx & EPTE_W) && !(rwx & EPTE_R)) || mt == 3)
		return -EINVAL;
	if (rwx == EPTE_X && !e->exec_only)
		return -EINVAL;
	if (model_used(o->g, o->size))
		return -EEXIST;
	if (pass ? zone != OWNER_RESERVED : zone == OWNER_RESERVED || zone == OWNER_VM(9))
		return -EPERM;
	return 0;
}

static void do_map(struct ept *e, struct op *o)
{
	int want = predict_map(e, o), err;
	uint64_t keep = o->flags & (EPTE_RWX | EPTE_MT | EPTE_IPAT);

	if (o->inject)
		fake_page_limit = fake_page_allocs + o->limit;
	err = ept_map(e, gpa(o->g), hpa(o->h), o->size, o->flags);
	fake_page_limit = ~0UL;
	CHECK(err == want || (o->inject && want == 0 && err == -ENOMEM));
	o->failed = err != 0;
	if (err == 0)
		for (uint64_t off = 0; off < o->size; off += PAGE_SIZE)
			model_set(o->g + off, (o->h + off) | keep);
}

static void do_unmap(struct ept *e, struct op *o)
{
	int err;

	if (o->inject)
		fake_page_limit = fake_page_allocs + (o->limit & 3);
	err = ept_unmap(e, gpa(o->g), o->size);
	fake_page_limit = ~0UL;
	if (o->misaligned)
		CHECK(err == -EINVAL);
	else
		CHECK(err == 0 || (o->inject && err == -ENOMEM));
	o->failed = err != 0;
	if (err == 0)
		for (uint64_t off = 0; off < o->size; off += PAGE_SIZE)
			model_set(o->g + off, 0);
}

static void do_mark(struct ept *e, struct op *o)
{
	int err = ept_mark_mmio(e, gpa(o->g));

	if (o->misaligned)
		CHECK(err == -EINVAL);
	else
		CHECK(err == (model_used(o->g, PAGE_SIZE) ? -EEXIST : 0));
	o->failed = err != 0;
	if (err == 0)
		model_set(o->g, EPTE_MMIO_MARKER);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ept e;
	struct snap before, after;

	if (len < 1)
		return 0;
	fake_page_reset();
	fake_page_owner_hook = owner_hook;
	base = data[0] & 1 ? 510 * GiB : 0; /* straddle a PML4 slot, or not */
	CHECK(ept_init(&e, VM_OWNER, !(data[0] & 2), !(data[0] & 4)) == 0);
	e.exec_only = data[0] & 8;
	data++;
	len--;
	for (size_t n = 0; n < MAX_OPS && len >= 8; n++, data += 8, len -= 8) {
		struct op o = {0};

		decode(&e, data, &o);
		before = snap(&e);
		if (o.kind < 4)
			do_map(&e, &o);
		else if (o.kind < 6)
			do_unmap(&e, &o);
		else
			do_mark(&e, &o);
		CHECK(fake_page_allocs == e.table_pages);
		after = snap(&e);
		if (o.failed)
			CHECK(memcmp(&before, &after, sizeof(before)) == 0);
		for (int d = -1; d <= 1; d++) {
			check_page(&e, o.g + (uint64_t)(d * (int)PAGE_SIZE));
			check_page(&e, o.g + o.size + (uint64_t)(d * (int)PAGE_SIZE));
		}
	}
	check_all(&e);
	ept_destroy(&e);
	CHECK(fake_page_allocs == 0);
	model_reset();
	return 0;
}
