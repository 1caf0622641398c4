/*
 * Unit tests for mm/buddy.c over fake frame ranges (no memory behind the addresses).
 * The random test checks every step against an independent per-frame owner model.
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
#include "mm/buddy.h"

struct fixture {
	struct buddy b;
	void *meta;
};

static hpa_t P(pfn_t pfn)
{
	return pfn_to_hpa(pfn);
}

static void fx_init(struct fixture *fx, pfn_t base, pfn_t nr)
{
	size_t sz = buddy_meta_size(nr);

	fx->meta = malloc(sz);
	assert_non_null(fx->meta);
	assert_int_equal(buddy_init(&fx->b, fx->meta, sz, base, nr), 0);
}

static void fx_fini(struct fixture *fx)
{
	free(fx->meta);
}

static void add(struct fixture *fx, pfn_t s, pfn_t e)
{
	assert_int_equal(buddy_add_free(&fx->b, P(s), P(e)), 0);
}

static void check_ok(const struct buddy *b)
{
	char err[160] = "";
	int ret = buddy_check(b, err, sizeof(err));

	if (ret)
		fail_msg("buddy_check: %s", err);
}

/* Allocate and return the pfn; the call must succeed. */
static pfn_t alloc_pfn(struct buddy *b, unsigned order, owner_t owner)
{
	hpa_t a;

	assert_int_equal(buddy_alloc(b, order, owner, &a), 0);
	assert_int_equal(a.v & (PAGE_SIZE - 1), 0);
	return hpa_to_pfn(a);
}

static void expect_counts(const struct buddy *b, const uint64_t want[BUDDY_NR_ORDERS])
{
	uint64_t frames = 0;

	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		if (buddy_free_blocks(b, k) != want[k])
			fail_msg("order %u: %llu free blocks, want %llu", k,
				 (unsigned long long)buddy_free_blocks(b, k),
				 (unsigned long long)want[k]);
		frames += want[k] << k;
	}
	assert_int_equal(buddy_free_frames(b), frames);
}

static void test_init_errors(void **state)
{
	static uint64_t meta[64];
	struct buddy b;
	hpa_t a;

	assert_true(buddy_meta_size(1) > 0 && buddy_meta_size(1) <= 16);
	assert_int_equal(buddy_meta_size(1000), 1000 * buddy_meta_size(1));
	assert_int_equal(buddy_init(&b, meta, sizeof(meta), 0x100, 0), -EINVAL);
	assert_int_equal(buddy_init(&b, NULL, sizeof(meta), 0x100, 8), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, buddy_meta_size(8) - 1, 0x100, 8), -EINVAL);
	assert_int_equal(buddy_init(&b, (char *)meta + 1, sizeof(meta) - 1, 0x100, 8), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, SIZE_MAX, 0x100, 1ULL << 32), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, sizeof(meta), 1ULL << 40, 8), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, sizeof(meta), (1ULL << 40) - 4, 8), -EINVAL);

	assert_int_equal(buddy_init(&b, meta, buddy_meta_size(8), 0x100, 8), 0);
	assert_int_equal(buddy_free_frames(&b), 0);
	assert_int_equal(buddy_largest_free_order(&b), -1);
	for (pfn_t p = 0xf0; p < 0x118; p++)
		assert_int_equal(buddy_owner(&b, P(p)), OWNER_RESERVED);
	assert_int_equal(buddy_alloc(&b, 0, OWNER_HYP, &a), -ENOMEM);
	check_ok(&b);
}

static void test_add_free_unaligned_holes(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	/* [0x101, 0x208) by hand: 0x101/0 0x102/1 0x104/2 0x108/3 0x110/4 0x120/5 0x140/6
	 * 0x180/7 0x200/3 */
	const uint64_t first[BUDDY_NR_ORDERS] = {1, 1, 1, 2, 1, 1, 1, 1};
	const uint64_t second[BUDDY_NR_ORDERS] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	const uint64_t third[BUDDY_NR_ORDERS] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

	fx_init(&fx, 0x100, 0x400);
	add(&fx, 0x101, 0x208);
	expect_counts(b, first);
	assert_int_equal(buddy_largest_free_order(b), 7);
	check_ok(b);

	assert_int_equal(buddy_add_free(b, hpa(0x300000 + 8), P(0x400)), -EINVAL);
	assert_int_equal(buddy_add_free(b, P(0x300), hpa(0x400000 - 1)), -EINVAL);
	assert_int_equal(buddy_add_free(b, P(0x400), P(0x300)), -EINVAL);
	assert_int_equal(buddy_add_free(b, P(0xff), P(0x100)), -EINVAL);
	assert_int_equal(buddy_add_free(b, P(0x400), P(0x501)), -EINVAL);
	assert_int_equal(buddy_add_free(b, P(0x200), P(0x210)), -EINVAL); /* starts on a block */
	assert_int_equal(buddy_add_free(b, P(0x185), P(0x186)), -EINVAL); /* inside a block */
	assert_int_equal(buddy_add_free(b, P(0x100), P(0x102)), -EINVAL); /* ends in one */
	assert_int_equal(buddy_add_free(b, P(0x300), P(0x300)), 0);	  /* empty */
	expect_counts(b, first);
	check_ok(b);

	assert_int_equal(buddy_owner(b, P(0x100)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x208)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x4ff)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x50)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x500)), OWNER_RESERVED);
	for (pfn_t p = 0x101; p < 0x208; p++)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_FREE);

	add(&fx, 0x208, 0x300); /* 0x200..0x300 becomes one order-8 block */
	expect_counts(b, second);
	check_ok(b);
	add(&fx, 0x300, 0x500); /* 0x200..0x400 order 9, 0x400..0x500 order 8 */
	expect_counts(b, third);
	assert_int_equal(buddy_largest_free_order(b), 9);
	assert_int_equal(buddy_owner(b, P(0x100)), OWNER_RESERVED);
	check_ok(b);
	fx_fini(&fx);
}

static void test_split_merge(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	const uint64_t whole[BUDDY_NR_ORDERS] = {[10] = 1};
	const uint64_t split[BUDDY_NR_ORDERS] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	hpa_t a;

	fx_init(&fx, 0x1000, 0x400);
	add(&fx, 0x1000, 0x1400);
	expect_counts(b, whole);

	assert_int_equal(alloc_pfn(b, 0, OWNER_HYP), 0x1000); /* lower half kept each split */
	expect_counts(b, split);
	check_ok(b);
	assert_int_equal(alloc_pfn(b, 0, OWNER_HYP), 0x1001);
	assert_int_equal(buddy_free_blocks(b, 0), 0);
	assert_int_equal(buddy_free(b, P(0x1000), 0, OWNER_HYP), 0);
	assert_int_equal(buddy_free_blocks(b, 0), 1); /* buddy still allocated: no merge */
	check_ok(b);
	assert_int_equal(buddy_free(b, P(0x1001), 0, OWNER_HYP), 0);
	expect_counts(b, whole);
	check_ok(b);

	assert_int_equal(alloc_pfn(b, 9, OWNER_VM(1)), 0x1000);
	assert_int_equal(alloc_pfn(b, 9, OWNER_VM(2)), 0x1200);
	assert_int_equal(buddy_alloc(b, 0, OWNER_HYP, &a), -ENOMEM);
	assert_int_equal(buddy_largest_free_order(b), -1);
	assert_int_equal(buddy_free(b, P(0x1200), 9, OWNER_VM(2)), 0);
	assert_int_equal(buddy_free_blocks(b, 9), 1);
	assert_int_equal(buddy_free(b, P(0x1000), 9, OWNER_VM(1)), 0);
	expect_counts(b, whole);
	check_ok(b);
	fx_fini(&fx);
}

/* 4 GiB of fake frames starting at an unaligned pfn. */
#define BIG_BASE 0x100ULL
#define BIG_NR	 (4 * GiB / PAGE_SIZE)

static void test_alignment_every_order(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	pfn_t *got = malloc(BIG_NR * sizeof(*got));
	uint8_t *seen = malloc(BIG_NR);
	uint64_t initial[BUDDY_NR_ORDERS];

	assert_non_null(got);
	assert_non_null(seen);
	fx_init(&fx, BIG_BASE, BIG_NR);
	add(&fx, BIG_BASE, BIG_BASE + BIG_NR);
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		initial[k] = buddy_free_blocks(b, k);
	assert_int_equal(initial[BUDDY_MAX_ORDER], 3);
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		uint64_t n = 0, size = 1ULL << k;
		uint64_t want = (BIG_BASE + BIG_NR) / size - (BIG_BASE + size - 1) / size;
		owner_t o = OWNER_VM(k);
		hpa_t a;

		memset(seen, 0, BIG_NR);
		while (buddy_alloc(b, k, o, &a) == 0) {
			pfn_t p = hpa_to_pfn(a);

			assert_int_equal(p & (size - 1), 0);
			assert_true(p >= BIG_BASE && p + size <= BIG_BASE + BIG_NR);
			assert_int_equal(seen[p - BIG_BASE]++, 0);
			assert_int_equal(buddy_owner(b, P(p)), o);
			assert_int_equal(buddy_owner(b, P(p + size - 1)), o);
			got[n++] = p;
		}
		assert_int_equal(n, want);
		assert_int_equal(buddy_alloc(b, k, o, &a), -ENOMEM);
		check_ok(b);
		for (uint64_t i = 0; i < n; i++)
			assert_int_equal(buddy_free(b, P(got[i]), k, o), 0);
		expect_counts(b, initial);
	}
	check_ok(b);
	fx_fini(&fx);
	free(got);
	free(seen);
}

static void test_exhaustion_recovery(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	uint64_t initial[BUDDY_NR_ORDERS];
	pfn_t got[1024];
	unsigned n = 0;
	hpa_t a;

	fx_init(&fx, 0x100, 0x1000);
	add(&fx, 0x100, 0x800);
	add(&fx, 0x900, 0x1100); /* hole [0x800, 0x900) */
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		initial[k] = buddy_free_blocks(b, k);
	while (buddy_alloc(b, 2, OWNER_HYP, &a) == 0) {
		assert_true(n < 1024);
		got[n++] = hpa_to_pfn(a);
	}
	assert_int_equal(n, 0x700 / 4 + 0x800 / 4);
	assert_int_equal(buddy_free_frames(b), 0);
	assert_int_equal(buddy_alloc(b, 0, OWNER_HYP, &a), -ENOMEM);
	check_ok(b);

	assert_int_equal(buddy_free(b, P(got[7]), 2, OWNER_HYP), 0);
	assert_int_equal(buddy_largest_free_order(b), 2);
	assert_int_equal(alloc_pfn(b, 0, OWNER_VM(0)), got[7]);
	assert_int_equal(buddy_alloc(b, 2, OWNER_HYP, &a), -ENOMEM);
	assert_int_equal(buddy_largest_free_order(b), 1);
	assert_int_equal(buddy_free(b, P(got[7]), 0, OWNER_VM(0)), 0);
	for (unsigned i = 0; i < n; i++)
		if (i != 7)
			assert_int_equal(buddy_free(b, P(got[i]), 2, OWNER_HYP), 0);
	expect_counts(b, initial);
	check_ok(b);
	fx_fini(&fx);
}

static void test_owner_tags_large_blocks(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	pfn_t g, m, s;

	fx_init(&fx, BIG_BASE, BIG_NR);
	add(&fx, BIG_BASE, BIG_BASE + BIG_NR);
	g = alloc_pfn(b, 18, OWNER_VM(1));
	m = alloc_pfn(b, 9, OWNER_HYP);
	s = alloc_pfn(b, 0, OWNER_SHARED(3));
	assert_int_equal(g & ((1 << 18) - 1), 0);
	assert_int_equal(m & ((1 << 9) - 1), 0);
	for (pfn_t p = g; p < g + (1 << 18); p += 4093)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_VM(1));
	assert_int_equal(buddy_owner(b, P(g + (1 << 18) - 1)), OWNER_VM(1));
	assert_int_equal(buddy_owner(b, hpa(pfn_to_hpa(g + 77).v + 0x123)), OWNER_VM(1));
	assert_int_not_equal(buddy_owner(b, P(g + (1 << 18))), OWNER_VM(1));
	for (pfn_t p = m; p < m + 512; p++)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_HYP);
	assert_int_equal(buddy_owner(b, P(s)), OWNER_SHARED(3));
	assert_int_equal(buddy_owner(b, P(BIG_BASE - 1)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(BIG_BASE + BIG_NR)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, hpa(~0ULL)), OWNER_RESERVED);

	assert_int_equal(buddy_set_owner(b, P(g), 18, OWNER_VM(1), OWNER_VM(2)), 0);
	for (pfn_t p = g; p < g + (1 << 18); p += 1021)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_VM(2));
	assert_int_equal(buddy_free(b, P(g), 18, OWNER_VM(2)), 0);
	for (pfn_t p = g; p < g + (1 << 18); p += 1021)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_FREE);
	check_ok(b);
	fx_fini(&fx);
}

static void test_bad_frees(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	pfn_t a, c;
	uint64_t before;
	hpa_t out;

	fx_init(&fx, 0x100, 0x300);
	add(&fx, 0x100, 0x200);
	add(&fx, 0x280, 0x400); /* hole [0x200, 0x280) */
	a = alloc_pfn(b, 3, OWNER_HYP);
	c = alloc_pfn(b, 3, OWNER_HYP);
	assert_int_equal(a ^ c, 8); /* buddies */
	before = buddy_free_frames(b);

	assert_int_equal(buddy_free(b, P(a), 3, OWNER_VM(1)), -EPERM);
	assert_int_equal(buddy_free(b, P(a), 2, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(a), 4, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(a + 1), 3, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(a + 1), 0, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, hpa(pfn_to_hpa(a).v + 0x10), 3, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(0x50), 0, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(0x400), 0, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(0x200), 0, OWNER_RESERVED), -EINVAL); /* hole */
	assert_int_equal(buddy_free(b, P(0x200), 0, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(a), 19, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(a), 3, OWNER_FREE), -EPERM);
	assert_int_equal(buddy_free_frames(b), before);
	assert_int_equal(buddy_owner(b, P(a)), OWNER_HYP);
	check_ok(b);

	assert_int_equal(buddy_alloc(b, 0, OWNER_FREE, &out), -EINVAL);
	assert_int_equal(buddy_alloc(b, 0, OWNER_RESERVED, &out), -EINVAL);
	assert_int_equal(buddy_alloc(b, 19, OWNER_HYP, &out), -EINVAL);
	assert_int_equal(buddy_alloc(b, 0, OWNER_HYP, NULL), -EINVAL);
	assert_int_equal(buddy_free_frames(b), before);

	/* Double free while the buddy is held: the head is still there, but free. */
	assert_int_equal(buddy_free(b, P(a), 3, OWNER_HYP), 0);
	assert_int_equal(buddy_free(b, P(a), 3, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free_frames(b), before + 8);
	/* Double free after merging: the address is now inside a bigger free block. */
	assert_int_equal(buddy_free(b, P(c), 3, OWNER_HYP), 0);
	assert_int_equal(buddy_free(b, P(c), 3, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free(b, P(a), 3, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free_frames(b), before + 16);
	check_ok(b);
	fx_fini(&fx);
}

static void test_set_owner(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	pfn_t a;

	fx_init(&fx, 0x100, 0x100);
	add(&fx, 0x100, 0x200);
	a = alloc_pfn(b, 4, OWNER_HYP);
	assert_int_equal(buddy_set_owner(b, P(a), 4, OWNER_HYP, OWNER_VM(1)), 0);
	assert_int_equal(buddy_owner(b, P(a + 15)), OWNER_VM(1));
	assert_int_equal(buddy_set_owner(b, P(a), 4, OWNER_HYP, OWNER_VM(2)), -EPERM);
	assert_int_equal(buddy_set_owner(b, P(a), 3, OWNER_VM(1), OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_set_owner(b, P(a + 1), 0, OWNER_VM(1), OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_set_owner(b, P(a), 4, OWNER_VM(1), OWNER_FREE), -EINVAL);
	assert_int_equal(buddy_set_owner(b, P(a), 4, OWNER_VM(1), OWNER_RESERVED), -EINVAL);
	assert_int_equal(buddy_owner(b, P(a)), OWNER_VM(1));
	assert_int_equal(buddy_set_owner(b, P(a), 4, OWNER_VM(1), OWNER_SHARED(1)), 0);
	assert_int_equal(buddy_free(b, P(a), 4, OWNER_VM(1)), -EPERM);
	assert_int_equal(buddy_free(b, P(a), 4, OWNER_SHARED(1)), 0);
	assert_int_equal(buddy_set_owner(b, P(a), 4, OWNER_SHARED(1), OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_set_owner(b, P(a), 4, OWNER_FREE, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_set_owner(b, P(0x50), 0, OWNER_RESERVED, OWNER_HYP), -EINVAL);
	assert_int_equal(buddy_free_frames(b), 0x100);
	check_ok(b);
	fx_fini(&fx);
}

/* buddy_check() must be able to fail: corrupt counters and descriptors. */
static void test_check_detects_corruption(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b, saved;
	size_t d = buddy_meta_size(1);
	char err[160] = "";
	char *meta;
	pfn_t a;

	fx_init(&fx, 0x100, 0x100);
	add(&fx, 0x100, 0x200);
	a = alloc_pfn(b, 0, OWNER_HYP);
	assert_int_equal(alloc_pfn(b, 0, OWNER_HYP), a + 1);
	assert_int_equal(buddy_free(b, P(a), 0, OWNER_HYP), 0);
	check_ok(b);
	saved = *b;

	b->nr_free[3]++;
	assert_int_equal(buddy_check(b, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	*b = saved;
	b->free_frames--;
	assert_int_equal(buddy_check(b, NULL, 0), -EINVAL);
	*b = saved;
	b->nonempty |= 1u << 17;
	assert_int_equal(buddy_check(b, NULL, 0), -EINVAL);
	*b = saved;
	b->free_head[2] = b->free_head[1];
	assert_int_equal(buddy_check(b, NULL, 0), -EINVAL);
	*b = saved;
	check_ok(b);

	/* Clone the free order-0 head at a over its allocated buddy a + 1. */
	meta = fx.meta;
	memcpy(meta + (a + 1 - 0x100) * d, meta + (a - 0x100) * d, d);
	err[0] = 0;
	assert_int_equal(buddy_check(b, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	fx_fini(&fx);
}

/* ---- long random sequence against an independent model ---- */

#define RND_BASE 0x100ULL
#define RND_END	 0xC0100ULL
#define RND_NR	 (RND_END - RND_BASE)
#define RND_OPS	 200000

struct model {
	owner_t *own; /* per frame, indexed pfn - RND_BASE */
	uint64_t free;
	struct live {
		pfn_t pfn;
		unsigned order;
		owner_t owner;
	} * live;
	size_t nlive;
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

static bool model_block_free(const struct model *m, pfn_t p, unsigned k)
{
	if (p < RND_BASE || p + BIT(k) > RND_END)
		return false;
	for (pfn_t i = p; i < p + BIT(k); i++)
		if (m->own[i - RND_BASE] != OWNER_FREE)
			return false;
	return true;
}

static bool model_has_free_block(const struct model *m, unsigned k)
{
	for (pfn_t p = ALIGN_UP(RND_BASE, BIT(k)); p + BIT(k) <= RND_END; p += BIT(k))
		if (model_block_free(m, p, k))
			return true;
	return false;
}

static void model_set(struct model *m, pfn_t p, unsigned k, owner_t o)
{
	for (pfn_t i = p; i < p + BIT(k); i++)
		m->own[i - RND_BASE] = o;
}

static void rnd_alloc(struct buddy *b, struct model *m)
{
	unsigned k = rnd_order();
	owner_t o = rnd_owner();
	hpa_t a;
	int ret = buddy_alloc(b, k, o, &a);

	if (ret == -ENOMEM) {
		assert_false(model_has_free_block(m, k));
		return;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(hpa_to_pfn(a) & (BIT(k) - 1), 0);
	assert_true(model_block_free(m, hpa_to_pfn(a), k));
	model_set(m, hpa_to_pfn(a), k, o);
	m->free -= BIT(k);
	m->live[m->nlive++] = (struct live){hpa_to_pfn(a), k, o};
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
	assert_int_equal(buddy_free(b, P(l.pfn), l.order, l.owner), 0);
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
	pfn_t p = RND_BASE - 16 + rnd() % (RND_NR + 32);
	owner_t want = p >= RND_BASE && p < RND_END ? m->own[p - RND_BASE] : OWNER_RESERVED;

	assert_int_equal(buddy_owner(b, P(p)), want);
}

/*
 * Independent view of what fully merged free lists must hold: an aligned region
 * of order k is a free block iff it is wholly free and (k is the top order or its
 * parent region is not wholly free).
 */
static bool region_inside(pfn_t r, unsigned k)
{
	return (r << k) >= RND_BASE && ((r + 1) << k) <= RND_END;
}

static void model_compare_full(const struct buddy *b, const struct model *m)
{
	uint8_t *full = malloc(RND_NR), *up = malloc(RND_NR), *t;

	assert_non_null(full);
	assert_non_null(up);
	for (pfn_t p = RND_BASE; p < RND_END; p++) {
		assert_int_equal(buddy_owner(b, P(p)), m->own[p - RND_BASE]);
		full[p - RND_BASE] = m->own[p - RND_BASE] == OWNER_FREE;
	}
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++) {
		/* full[r - first]: region r of order k lies in the range and is all free */
		pfn_t first = RND_BASE >> k, last = (RND_END - 1) >> k;
		uint64_t blocks = 0;

		for (pfn_t pr = first >> 1; k < BUDDY_MAX_ORDER && pr <= last >> 1; pr++)
			up[pr - (first >> 1)] = region_inside(pr, k + 1) && full[2 * pr - first] &&
						full[2 * pr + 1 - first];
		for (pfn_t r = first; r <= last; r++)
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
	m.live = malloc(RND_NR * sizeof(*m.live));
	assert_non_null(m.own);
	assert_non_null(m.live);
	fx_init(&fx, RND_BASE, RND_NR);
	/* Holes at [0x30000, 0x30005) and [0x9fff0, 0xa0000): one 1 GiB block left. */
	add(&fx, 0x100, 0x30000);
	add(&fx, 0x30005, 0x9fff0);
	add(&fx, 0xa0000, RND_END);
	for (pfn_t p = RND_BASE; p < RND_END; p++) {
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
	assert_true(enomem > 0); /* the sequence really hit exhaustion */
	while (m.nlive)
		rnd_free(b, &m);
	model_compare_full(b, &m);
	assert_int_equal(buddy_free_blocks(b, BUDDY_MAX_ORDER), 1);
	check_ok(b);
	fx_fini(&fx);
	free(m.own);
	free(m.live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_errors),
	    cmocka_unit_test(test_add_free_unaligned_holes),
	    cmocka_unit_test(test_split_merge),
	    cmocka_unit_test(test_alignment_every_order),
	    cmocka_unit_test(test_exhaustion_recovery),
	    cmocka_unit_test(test_owner_tags_large_blocks),
	    cmocka_unit_test(test_bad_frees),
	    cmocka_unit_test(test_set_owner),
	    cmocka_unit_test(test_check_detects_corruption),
	    cmocka_unit_test(test_random_vs_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
