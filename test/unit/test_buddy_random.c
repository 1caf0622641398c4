/*
 * Randomised unit test for mm/buddy.c: a long sequence of alloc, free, set_owner and
 * owner queries over a fake range with holes, each step checked against an
 * independent per-frame model (owner, end of its allocated block, known zero), the
 * free lists against the model's merged view.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "test/unit/buddy_fixture.h"

/* ---- long random sequence against an independent model ---- */

#define RND_BASE 0x100ULL
#define RND_END	 0xC0100ULL
#define RND_NR	 (RND_END - RND_BASE)
#define RND_OPS	 200000

struct model {
	owner_t *own;	   /* per frame, indexed pfn - RND_BASE */
	uint64_t *blk_end; /* per allocated frame: the pfn after its block */
	uint8_t *zero; /* per frame: zero, as freed by buddy_free_zeroed, never allocated since */
	uint64_t free;
	struct live {
		uint64_t pfn;
		unsigned order;
		owner_t owner;
	} * live;
	size_t nlive;
	unsigned long zeroed_allocs; /* allocations that came back known zero */
};

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

static owner_t rnd_owner(void)
{
	static const owner_t owners[] = {OWNER_HYP,   OWNER_VM(0),     OWNER_VM(1),
					 OWNER_VM(7), OWNER_SHARED(0), OWNER_SHARED(2)};
	return owners[rnd() % ARRAY_SIZE(owners)];
}

static unsigned rnd_order(void)
{
	if (rnd() % 100 < 3)
		return (unsigned)(rnd() % (BUDDY_MAX_ORDER + 1));
	return (unsigned)MIN(__builtin_ctzll(rnd() | BIT(BUDDY_MAX_ORDER)), BUDDY_MAX_ORDER);
}

static bool model_block_free(const struct model *m, uint64_t p, unsigned k)
{
	if (p < RND_BASE || p + BIT(k) > RND_END)
		return false;
	for (uint64_t i = p; i < p + BIT(k); i++)
		if (m->own[i - RND_BASE] != OWNER_FREE)
			return false;
	return true;
}

static bool model_has_free_block(const struct model *m, unsigned k)
{
	for (uint64_t p = ALIGN_UP(RND_BASE, BIT(k)); p + BIT(k) <= RND_END; p += BIT(k))
		if (model_block_free(m, p, k))
			return true;
	return false;
}

static void model_set(struct model *m, uint64_t p, unsigned k, owner_t o)
{
	for (uint64_t i = p; i < p + BIT(k); i++) {
		m->own[i - RND_BASE] = o;
		m->blk_end[i - RND_BASE] = p + BIT(k);
	}
}

static bool model_all_zero(const struct model *m, uint64_t p, unsigned k)
{
	for (uint64_t i = p; i < p + BIT(k); i++)
		if (!m->zero[i - RND_BASE])
			return false;
	return true;
}

static void model_zero(struct model *m, uint64_t p, unsigned k, bool z)
{
	memset(&m->zero[p - RND_BASE], z, BIT(k));
}

static void rnd_alloc(struct buddy *b, struct model *m)
{
	unsigned k = rnd_order();
	owner_t o = rnd_owner();
	hpa_t a;
	bool z = false;
	int ret = rnd() % 2 ? buddy_alloc(b, k, o, &a) : buddy_alloc_zero(b, k, o, &a, &z);

	if (ret == -ENOMEM) {
		assert_false(model_has_free_block(m, k));
		return;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(hpa_to_pfn(a).v & (BIT(k) - 1), 0);
	assert_true(model_block_free(m, hpa_to_pfn(a).v, k));
	/* Known zero is conservative (a split half inherits its parent's state), never wrong. */
	if (z)
		assert_true(model_all_zero(m, hpa_to_pfn(a).v, k));
	m->zeroed_allocs += z;
	model_zero(m, hpa_to_pfn(a).v, k, false); /* the owner may write it */
	model_set(m, hpa_to_pfn(a).v, k, o);
	m->free -= BIT(k);
	m->live[m->nlive++] = (struct live){hpa_to_pfn(a).v, k, o};
}

static void rnd_free(struct buddy *b, struct model *m)
{
	size_t i = rnd() % m->nlive;
	struct live l = m->live[i];
	owner_t wrong = l.owner == OWNER_HYP ? OWNER_VM(0) : OWNER_HYP;

	if (rnd() % 8 == 0)
		assert_int_equal(buddy_free(b, P(l.pfn), l.order, wrong), -EPERM);
	if (rnd() % 16 == 0)
		assert_int_equal(buddy_free(b, P(l.pfn), l.order ^ 1, l.owner), -EINVAL);
	if (rnd() % 2) {
		assert_int_equal(buddy_free_zeroed(b, P(l.pfn), l.order, l.owner), 0);
		model_zero(m, l.pfn, l.order, true);
	} else {
		assert_int_equal(buddy_free(b, P(l.pfn), l.order, l.owner), 0);
	}
	if (rnd() % 16 == 0)
		assert_int_equal(buddy_free(b, P(l.pfn), l.order, l.owner), -EINVAL);
	model_set(m, l.pfn, l.order, OWNER_FREE);
	m->free += BIT(l.order);
	m->live[i] = m->live[--m->nlive];
}

static void rnd_set_owner(struct buddy *b, struct model *m)
{
	struct live *l = &m->live[rnd() % m->nlive];
	owner_t to = rnd_owner(), from = rnd() % 4 ? l->owner : rnd_owner();
	int ret = buddy_set_owner(b, P(l->pfn), l->order, from, to);

	if (from != l->owner) {
		assert_int_equal(ret, -EPERM);
		return;
	}
	assert_int_equal(ret, 0);
	l->owner = to;
	model_set(m, l->pfn, l->order, to);
}

static void rnd_query(const struct buddy *b, const struct model *m)
{
	uint64_t p = RND_BASE - 16 + rnd() % (RND_NR + 32);
	owner_t want = p >= RND_BASE && p < RND_END ? m->own[p - RND_BASE] : OWNER_RESERVED;
	uint64_t run;

	assert_int_equal(buddy_owner(b, P(p)), want);
	assert_int_equal(buddy_owner_run(b, P(p), &run), want);
	if (p < RND_BASE) { /* reserved up to the range, or to the 52-bit limit above it */
		assert_int_equal(run, RND_BASE - p);
	} else if (p >= RND_END) {
		assert_int_equal(run, (1ULL << 40) - p);
	} else if (want == OWNER_RESERVED) {
		assert_int_equal(run, 1);
	} else if (want != OWNER_FREE) {
		assert_int_equal(p + run, m->blk_end[p - RND_BASE]);
	} else { /* to the end of the merged free block: free throughout, then not free */
		assert_true(run >= 1 && p + run <= RND_END);
		assert_int_equal(m->own[p + run - 1 - RND_BASE], OWNER_FREE);
		assert_int_equal(buddy_owner_run(b, P(p + run - 1), &run), OWNER_FREE);
		assert_int_equal(run, 1); /* the same block's last frame */
	}
}

/*
 * Independent view of what fully merged free lists must hold: an aligned region
 * of order k is a free block iff it is wholly free and (k is the top order or its
 * parent region is not wholly free).
 */
static bool region_inside(uint64_t r, unsigned k)
{
	return (r << k) >= RND_BASE && ((r + 1) << k) <= RND_END;
}

static void model_compare_full(const struct buddy *b, const struct model *m)
{
	uint8_t *full = malloc(RND_NR), *up = malloc(RND_NR), *t;

	assert_non_null(full);
	assert_non_null(up);
	for (uint64_t p = RND_BASE; p < RND_END; p++) {
		assert_int_equal(buddy_owner(b, P(p)), m->own[p - RND_BASE]);
		full[p - RND_BASE] = m->own[p - RND_BASE] == OWNER_FREE;
	}
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		/* full[r - first]: region r of order k lies in the range and is all free */
		uint64_t first = RND_BASE >> k, last = (RND_END - 1) >> k;
		uint64_t blocks = 0;

		for (uint64_t pr = first >> 1; k < BUDDY_MAX_ORDER && pr <= last >> 1; pr++)
			up[pr - (first >> 1)] = region_inside(pr, k + 1) && full[2 * pr - first] &&
						full[2 * pr + 1 - first];
		for (uint64_t r = first; r <= last; r++)
			blocks += full[r - first] &&
				  !(k < BUDDY_MAX_ORDER && up[(r >> 1) - (first >> 1)]);
		if (buddy_free_blocks(b, k) != blocks)
			fail_msg("order %u: buddy has %llu free blocks, model %llu", k,
				 (unsigned long long)buddy_free_blocks(b, k),
				 (unsigned long long)blocks);
		t = full;
		full = up;
		up = t;
	}
	free(full);
	free(up);
}

static void test_random_vs_model(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	struct model m = {0};
	unsigned long enomem = 0;

	m.own = malloc(RND_NR * sizeof(*m.own));
	m.blk_end = malloc(RND_NR * sizeof(*m.blk_end));
	m.zero = calloc(RND_NR, 1);
	assert_non_null(m.blk_end);
	assert_non_null(m.zero);
	m.live = malloc(RND_NR * sizeof(*m.live));
	assert_non_null(m.own);
	assert_non_null(m.live);
	fx_init(&fx, RND_BASE, RND_NR);
	/* Holes at [0x30000, 0x30005) and [0x9fff0, 0xa0000): one 1 GiB block left. */
	add(&fx, 0x100, 0x30000);
	add(&fx, 0x30005, 0x9fff0);
	add(&fx, 0xa0000, RND_END);
	for (uint64_t p = RND_BASE; p < RND_END; p++) {
		bool hole = (p >= 0x30000 && p < 0x30005) || (p >= 0x9fff0 && p < 0xa0000);

		m.own[p - RND_BASE] = hole ? OWNER_RESERVED : OWNER_FREE;
		m.free += !hole;
	}
	assert_int_equal(buddy_free_blocks(b, BUDDY_MAX_ORDER), 1);
	model_compare_full(b, &m);

	for (unsigned long op = 1; op <= RND_OPS; op++) {
		unsigned r = (unsigned)(rnd() % 100);
		unsigned alloc_pct = m.free > RND_NR / 16 ? 50 : 30;
		uint64_t before = buddy_free_frames(b);

		if (r < alloc_pct || m.nlive == 0) {
			rnd_alloc(b, &m);
			enomem += buddy_free_frames(b) == before;
		} else if (r < 85) {
			rnd_free(b, &m);
		} else if (r < 93) {
			rnd_set_owner(b, &m);
		} else {
			rnd_query(b, &m);
		}
		assert_int_equal(buddy_free_frames(b), m.free);
		if (op % 2000 == 0)
			check_ok(b);
		if (op % 50000 == 0)
			model_compare_full(b, &m);
	}
	assert_true(enomem > 0);	  /* the sequence really hit exhaustion */
	assert_true(m.zeroed_allocs > 0); /* and reused known-zero blocks */
	while (m.nlive)
		rnd_free(b, &m);
	model_compare_full(b, &m);
	assert_int_equal(buddy_free_blocks(b, BUDDY_MAX_ORDER), 1);
	check_ok(b);
	fx_fini(&fx);
	free(m.own);
	free(m.blk_end);
	free(m.zero);
	free(m.live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_vs_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
