/*
 * Randomised test of mm/buddy.c's two-level owner table: alloc, free and set_owner
 * of blocks around the 2 MiB chunk order (4 KiB .. 8 MiB, and a few of every order)
 * over a range whose ends are not chunk-aligned, checked against a per-frame model
 * of owners and block ends: buddy_owner and buddy_owner_run of every frame (and of
 * the padding frames outside the range) every few operations, buddy_check often.
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

#define CH_BASE 0x1f5ULL	      /* 11 frames before a chunk boundary */
#define CH_NR	(0x6000ULL + 0x7bULL) /* ends mid-chunk too */
#define CH_END	(CH_BASE + CH_NR)
#define CH_OPS	20000

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

struct live {
	uint64_t pfn;
	unsigned order;
	owner_t owner;
};

static owner_t own[CH_NR];
static uint64_t blk_end[CH_NR];
static struct live live[CH_NR];
static size_t nlive;

static void model_set(uint64_t p, unsigned k, owner_t o)
{
	for (uint64_t i = p; i < p + BIT(k); i++) {
		own[i - CH_BASE] = o;
		blk_end[i - CH_BASE] = p + BIT(k);
	}
}

/* Every frame from 2 MiB below the range to 2 MiB above: owner and run as the model says. */
static void check_every_frame(const struct buddy *b)
{
	for (uint64_t p = CH_BASE - 512; p < CH_END + 512; p++) {
		bool in = p >= CH_BASE && p < CH_END;
		owner_t want = in ? own[p - CH_BASE] : OWNER_RESERVED;
		uint64_t run;

		if (buddy_owner(b, P(p)) != want)
			fail_msg("pfn 0x%llx: owner 0x%x, model 0x%x", (unsigned long long)p,
				 buddy_owner(b, P(p)), want);
		assert_int_equal(buddy_owner_run(b, P(p), &run), want);
		if (p < CH_BASE)
			assert_int_equal(run, CH_BASE - p);
		else if (!in)
			assert_int_equal(run, (1ULL << 40) - p);
		else if (want != OWNER_FREE)
			assert_int_equal(p + run, blk_end[p - CH_BASE]);
		else
			assert_true(run >= 1 && p + run <= CH_END &&
				    own[p + run - 1 - CH_BASE] == OWNER_FREE);
	}
}

static unsigned rnd_order(void)
{
	if (rnd() % 16 == 0)
		return (unsigned)(rnd() % (BUDDY_MAX_ORDER + 1));
	return 6 + (unsigned)(rnd() % 8); /* 256 KiB .. 32 MiB around the chunk order */
}

static void op_alloc(struct buddy *b)
{
	static const owner_t owners[] = {OWNER_HYP, OWNER_VM(0), OWNER_VM(3), OWNER_SHARED(1)};
	unsigned k = rnd() % 4 ? rnd_order() : 0;
	owner_t o = owners[rnd() % ARRAY_SIZE(owners)];
	hpa_t a;
	int ret = buddy_alloc(b, k, o, &a);

	if (ret == -ENOMEM)
		return;
	assert_int_equal(ret, 0);
	for (uint64_t p = hpa_to_pfn(a).v; p < hpa_to_pfn(a).v + BIT(k); p++)
		assert_int_equal(own[p - CH_BASE], OWNER_FREE);
	model_set(hpa_to_pfn(a).v, k, o);
	live[nlive++] = (struct live){hpa_to_pfn(a).v, k, o};
}

static void op_free(struct buddy *b)
{
	size_t i = rnd() % nlive;
	struct live l = live[i];

	if (l.order > BUDDY_CHUNK_ORDER && rnd() % 4 == 0) /* its second chunk: interior */
		assert_int_equal(buddy_free(b, P(l.pfn + 512), l.order, l.owner), -EINVAL);
	assert_int_equal(
	    buddy_free(b, P(l.pfn), l.order, l.owner == OWNER_HYP ? OWNER_VM(0) : OWNER_HYP),
	    -EPERM);
	assert_int_equal(buddy_free(b, P(l.pfn), l.order, l.owner), 0);
	assert_int_equal(buddy_free(b, P(l.pfn), l.order, l.owner), -EINVAL);
	model_set(l.pfn, l.order, OWNER_FREE);
	live[i] = live[--nlive];
}

static void op_set_owner(struct buddy *b)
{
	struct live *l = &live[rnd() % nlive];
	owner_t to = l->owner == OWNER_VM(3) ? OWNER_VM(0) : OWNER_VM(3);

	assert_int_equal(buddy_set_owner(b, P(l->pfn), l->order, l->owner, to), 0);
	l->owner = to;
	model_set(l->pfn, l->order, to);
}

static void test_chunks_random(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	unsigned long big = 0;

	fx_init(&fx, CH_BASE, CH_NR);
	add(&fx, CH_BASE, CH_END);
	for (uint64_t p = CH_BASE; p < CH_END; p++)
		model_set(p, 0, OWNER_FREE);
	check_every_frame(b);
	for (unsigned op = 1; op <= CH_OPS; op++) {
		unsigned r = (unsigned)(rnd() % 100);

		if (r < 45 || nlive == 0)
			op_alloc(b);
		else if (r < 90)
			op_free(b);
		else
			op_set_owner(b);
		for (size_t i = 0; i < nlive; i++)
			big += live[i].order >= BUDDY_CHUNK_ORDER;
		if (op % 97 == 0)
			check_every_frame(b);
		if (op % 499 == 0)
			check_ok(b);
	}
	assert_true(big > 1000); /* blocks of 2 MiB and more were live most of the time */
	while (nlive)
		op_free(b);
	check_every_frame(b);
	check_ok(b);
	for (uint64_t c = 1; c + 1 < b->nr_chunks; c++) /* all free and merged: whole chunks free */
		assert_int_equal(b->chunks[c].owner, OWNER_FREE);
	assert_int_equal(b->chunks[0].owner, BUDDY_MIXED); /* the partial ones */
	assert_int_equal(b->chunks[b->nr_chunks - 1].owner, BUDDY_MIXED);
	fx_fini(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chunks_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
