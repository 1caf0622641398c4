/*
 * Unit tests for mm/buddy.c, hand-checked cases over fake frame ranges: init and
 * add_free errors, split and merge, alignment at every order, exhaustion, owner
 * tags, bad frees, set_owner, and buddy_check() catching corruption.
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

static void test_init_errors(void **state)
{
	static uint64_t meta[4096]; /* 32 KiB */
	struct buddy b;
	hpa_t a;

	/* Frames of the whole chunks touched, 12 bytes each, plus 4 per chunk; worst base. */
	assert_int_equal(buddy_meta_size(1), 1024 * 12 + 2 * 4);
	assert_int_equal(buddy_meta_size(512), 1024 * 12 + 2 * 4);
	assert_int_equal(buddy_meta_size(513), 1536 * 12 + 3 * 4);
	assert_int_equal(buddy_init(&b, meta, sizeof(meta), pfn(0x100), 0), -EINVAL);
	assert_int_equal(buddy_init(&b, NULL, sizeof(meta), pfn(0x100), 8), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, buddy_meta_size(8) - 1, pfn(0x1ff), 2), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, buddy_meta_size(8), pfn(0x1ff), 2), 0);
	/* A range inside one chunk needs that chunk only: 512 * 12 + 4 bytes. */
	assert_int_equal(buddy_init(&b, meta, 512 * 12 + 4 - 1, pfn(0x200), 512), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, 512 * 12 + 4, pfn(0x200), 512), 0);
	assert_int_equal(buddy_init(&b, (char *)meta + 1, sizeof(meta) - 1, pfn(0x100), 8),
			 -EINVAL);
	assert_int_equal(buddy_init(&b, meta, SIZE_MAX, pfn(0x100), 1ULL << 32), -EINVAL);
	/* The whole chunks touched must have 32-bit indices (and one left for "none"). */
	assert_int_equal(buddy_init(&b, meta, SIZE_MAX, pfn(0x1ff), (1ULL << 32) - 512), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, sizeof(meta), pfn(1ULL << 40), 8), -EINVAL);
	assert_int_equal(buddy_init(&b, meta, sizeof(meta), pfn((1ULL << 40) - 4), 8), -EINVAL);

	assert_int_equal(buddy_init(&b, meta, buddy_meta_size(8), pfn(0x100), 8), 0);
	assert_int_equal(buddy_free_frames(&b), 0);
	assert_int_equal(buddy_largest_free_order(&b), -1);
	for (uint64_t p = 0xf0; p < 0x118; p++)
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
	for (uint64_t p = 0x101; p < 0x208; p++)
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
	uint64_t *got = malloc(BIG_NR * sizeof(*got));
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
			uint64_t p = hpa_to_pfn(a).v;

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
	uint64_t got[1024];
	unsigned n = 0;
	hpa_t a;

	fx_init(&fx, 0x100, 0x1000);
	add(&fx, 0x100, 0x800);
	add(&fx, 0x900, 0x1100); /* hole [0x800, 0x900) */
	for (unsigned k = 0; k <= BUDDY_MAX_ORDER; k++)
		initial[k] = buddy_free_blocks(b, k);
	while (buddy_alloc(b, 2, OWNER_HYP, &a) == 0) {
		assert_true(n < 1024);
		got[n++] = hpa_to_pfn(a).v;
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
	uint64_t g, m, s;

	fx_init(&fx, BIG_BASE, BIG_NR);
	add(&fx, BIG_BASE, BIG_BASE + BIG_NR);
	g = alloc_pfn(b, 18, OWNER_VM(1));
	m = alloc_pfn(b, 9, OWNER_HYP);
	s = alloc_pfn(b, 0, OWNER_SHARED(3));
	assert_int_equal(g & ((1 << 18) - 1), 0);
	assert_int_equal(m & ((1 << 9) - 1), 0);
	for (uint64_t p = g; p < g + (1 << 18); p += 4093)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_VM(1));
	assert_int_equal(buddy_owner(b, P(g + (1 << 18) - 1)), OWNER_VM(1));
	assert_int_equal(buddy_owner(b, hpa(P(g + 77).v + 0x123)), OWNER_VM(1));
	assert_int_not_equal(buddy_owner(b, P(g + (1 << 18))), OWNER_VM(1));
	for (uint64_t p = m; p < m + 512; p++)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_HYP);
	assert_int_equal(buddy_owner(b, P(s)), OWNER_SHARED(3));
	assert_int_equal(buddy_owner(b, P(BIG_BASE - 1)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(BIG_BASE + BIG_NR)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, hpa(~0ULL)), OWNER_RESERVED);

	assert_int_equal(buddy_set_owner(b, P(g), 18, OWNER_VM(1), OWNER_VM(2)), 0);
	for (uint64_t p = g; p < g + (1 << 18); p += 1021)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_VM(2));
	assert_int_equal(buddy_free(b, P(g), 18, OWNER_VM(2)), 0);
	for (uint64_t p = g; p < g + (1 << 18); p += 1021)
		assert_int_equal(buddy_owner(b, P(p)), OWNER_FREE);
	check_ok(b);
	fx_fini(&fx);
}

static void test_bad_frees(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	uint64_t a, c;
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
	assert_int_equal(buddy_free(b, hpa(P(a).v + 0x10), 3, OWNER_HYP), -EINVAL);
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
	uint64_t a;

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
/* Known zero: kept through merges only when both halves have it, inherited on splits. */
static void test_known_zero(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	bool z = true;
	hpa_t h, h2;

	fx_init(&fx, 0x100, 0x100);
	add(&fx, 0x100, 0x200); /* one order-8 block */
	assert_int_equal(buddy_alloc_zero(b, 0, OWNER_HYP, &h, &z), 0);
	assert_false(z); /* buddy_add_free's memory is the firmware's: not known zero */
	assert_int_equal(buddy_free(b, h, 0, OWNER_HYP), 0);
	assert_int_equal(buddy_alloc_zero(b, 8, OWNER_VM(1), &h, &z), 0);
	assert_false(z);
	assert_int_equal(buddy_free_zeroed(b, h, 8, OWNER_VM(1)), 0);
	/* Split halves inherit it. */
	assert_int_equal(buddy_alloc_zero(b, 0, OWNER_HYP, &h, &z), 0);
	assert_true(z);
	z = false;
	assert_int_equal(buddy_alloc_zero(b, 0, OWNER_HYP, &h2, &z), 0);
	assert_int_equal(hpa_to_pfn(h2).v, hpa_to_pfn(h).v + 1);
	assert_true(z);
	check_ok(b);
	/* Both halves zeroed: the whole block is known zero again. */
	assert_int_equal(buddy_free_zeroed(b, h, 0, OWNER_HYP), 0);
	assert_int_equal(buddy_free_zeroed(b, h2, 0, OWNER_HYP), 0);
	assert_int_equal(buddy_free_blocks(b, 8), 1);
	assert_int_equal(buddy_alloc_zero(b, 8, OWNER_HYP, &h, &z), 0);
	assert_true(z);
	assert_int_equal(buddy_free_zeroed(b, h, 8, OWNER_HYP), 0);
	/* One half dirty: the merged block is not. */
	assert_int_equal(buddy_alloc_zero(b, 0, OWNER_HYP, &h, &z), 0);
	assert_int_equal(buddy_alloc_zero(b, 0, OWNER_HYP, &h2, &z), 0);
	assert_int_equal(buddy_free_zeroed(b, h, 0, OWNER_HYP), 0);
	assert_int_equal(buddy_free(b, h2, 0, OWNER_HYP), 0);
	assert_int_equal(buddy_alloc_zero(b, 8, OWNER_HYP, &h, &z), 0);
	assert_false(z);
	assert_int_equal(buddy_free(b, h, 8, OWNER_HYP), 0);
	check_ok(b);
	fx_fini(&fx);
}

/* The owner of every frame and the end of its block, in one look-up. */
static void test_owner_run(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	uint64_t a, n;

	fx_init(&fx, 0x100, 0x200);
	add(&fx, 0x100, 0x200);		  /* one order-8 block; 0x200..0x300 stays reserved */
	a = alloc_pfn(b, 6, OWNER_VM(2)); /* lower quarter; free: 0x140 order 6, 0x180 order 7 */
	assert_int_equal(a, 0x100);
	for (uint64_t p = a; p < a + 64; p++) {
		assert_int_equal(buddy_owner_run(b, P(p), &n), OWNER_VM(2));
		assert_int_equal(n, a + 64 - p);
	}
	assert_int_equal(buddy_owner_run(b, P(0x200), &n), OWNER_RESERVED);
	assert_int_equal(n, 1);
	assert_int_equal(buddy_owner_run(b, P(0x400), &n), OWNER_RESERVED); /* above */
	assert_int_equal(n, (1ULL << 40) - 0x400);
	assert_int_equal(buddy_owner_run(b, P(0x10), &n), OWNER_RESERVED); /* below */
	assert_int_equal(n, 0x100 - 0x10);
	assert_int_equal(buddy_owner_run(b, P(0x150), &n), OWNER_FREE);
	assert_int_equal(n, 0x30);
	assert_int_equal(buddy_owner_run(b, P(0x190), &n), OWNER_FREE);
	assert_int_equal(n, 0x70);
	assert_int_equal(buddy_set_owner(b, P(a), 6, OWNER_VM(2), OWNER_SHARED(1)), 0);
	assert_int_equal(buddy_owner_run(b, P(a + 63), &n), OWNER_SHARED(1));
	assert_int_equal(n, 1);
	assert_int_equal(buddy_free(b, P(a), 6, OWNER_SHARED(1)), 0);
	assert_int_equal(buddy_owner(b, P(a + 5)), OWNER_FREE);
	check_ok(b);
	fx_fini(&fx);
}

static void test_check_detects_corruption(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b, saved;
	char err[160] = "";
	union buddy_tag keep;
	uint64_t a, first;

	fx_init(&fx, 0x100, 0x100);
	first = b->first_pfn;
	assert_int_equal(first, 0);
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
	keep = b->tags[a + 1 - first];
	b->tags[a + 1 - first] = b->tags[a - first];
	err[0] = 0;
	assert_int_equal(buddy_check(b, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) > 0);
	b->tags[a + 1 - first] = keep;
	check_ok(b);

	/* An interior frame of an allocated block tagged with another owner. */
	a = alloc_pfn(b, 2, OWNER_VM(1));
	check_ok(b);
	assert_int_equal(buddy_set_owner(b, P(a), 2, OWNER_VM(1), OWNER_VM(3)), 0);
	check_ok(b);
	b->tags[a + 2 - first] = b->tags[a + 1 - first];
	check_ok(b);
	b->tags[a + 2 - first].owner = OWNER_VM(1);
	err[0] = 0;
	assert_int_equal(buddy_check(b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "inside a block"));
	b->tags[a + 2 - first].owner = OWNER_VM(3);
	check_ok(b);

	/* The chunk of small blocks must say "ask the frames". */
	b->chunks[0].owner = OWNER_FREE;
	err[0] = 0;
	assert_int_equal(buddy_check(b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "chunk tag"));
	fx_fini(&fx);
}

/*
 * The two-level owner table: blocks of 2 MiB and more are tagged per chunk (their
 * frames stay FREE), smaller ones per frame; a chunk split below 2 MiB is mixed,
 * merged back it is one free chunk again. Checked against the invariants.
 */
static void test_chunk_tags(void **state)
{
	struct fixture fx;
	struct buddy *b = &fx.b;
	uint64_t big, small, n;
	char err[160] = "";

	/* [0x3ff, 0x1201): chunks 1..7 whole, 0 and 8 partial (one frame each in range). */
	fx_init(&fx, 0x3ff, 0xe02);
	assert_int_equal(b->first_pfn, 0x200);
	assert_int_equal(b->nr_chunks, 9);
	add(&fx, 0x3ff, 0x1201);
	check_ok(b);
	for (uint64_t c = 0; c < 9; c++) /* free: 0x400/10 0x800/11 0x1000/9; 0x3ff, 0x1200 */
		assert_int_equal(b->chunks[c].owner, c == 0 || c == 8 ? BUDDY_MIXED : OWNER_FREE);

	big = alloc_pfn(b, 10, OWNER_VM(4)); /* 0x400..0x800: chunks 1 and 2 */
	assert_int_equal(big, 0x400);
	assert_int_equal(b->chunks[1].owner, OWNER_VM(4));
	assert_int_equal(b->chunks[2].owner, OWNER_VM(4));
	for (uint64_t p = big; p < big + 0x400; p++) {
		assert_int_equal(b->tags[p - 0x200].owner, OWNER_FREE); /* not written */
		assert_int_equal(buddy_owner(b, P(p)), OWNER_VM(4));
		assert_int_equal(buddy_owner_run(b, P(p), &n), OWNER_VM(4));
		assert_int_equal(n, big + 0x400 - p);
	}
	/* The lone frames go first, then 0x1000/9 is split to order 0: chunk 7 turns mixed. */
	assert_int_equal(alloc_pfn(b, 0, OWNER_HYP), 0x3ff);
	assert_int_equal(alloc_pfn(b, 0, OWNER_HYP), 0x1200);
	assert_int_equal(b->chunks[7].owner, OWNER_FREE);
	small = alloc_pfn(b, 0, OWNER_VM(5));
	assert_int_equal(small, 0x1000);
	assert_int_equal(b->chunks[7].owner, BUDDY_MIXED);
	assert_int_equal(buddy_owner(b, P(small)), OWNER_VM(5));
	assert_int_equal(buddy_owner(b, P(small + 1)), OWNER_FREE);
	assert_int_equal(buddy_owner(b, P(small + 0x1ff)), OWNER_FREE);
	assert_int_equal(buddy_owner(b, P(0x1200)), OWNER_HYP); /* the partial chunks */
	assert_int_equal(buddy_owner(b, P(0x1201)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x13ff)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x1400)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x3fe)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x200)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x1ff)), OWNER_RESERVED);
	assert_int_equal(buddy_owner(b, P(0x3ff)), OWNER_HYP);
	check_ok(b);
	assert_int_equal(buddy_set_owner(b, P(big), 10, OWNER_VM(4), OWNER_SHARED(3)), 0);
	assert_int_equal(buddy_owner(b, P(big + 0x3ff)), OWNER_SHARED(3));
	assert_int_equal(buddy_free(b, P(big), 10, OWNER_VM(4)), -EPERM);
	assert_int_equal(buddy_free(b, P(big + 0x200), 9, OWNER_SHARED(3)), -EINVAL);
	assert_int_equal(buddy_free(b, P(big), 9, OWNER_SHARED(3)), -EINVAL);
	check_ok(b);
	/* A frame of the large block tagged behind the allocator's back. */
	b->tags[big + 5 - 0x200].owner = OWNER_VM(4);
	assert_int_equal(buddy_check(b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "inside a block"));
	b->tags[big + 5 - 0x200].owner = OWNER_FREE;
	b->chunks[2].owner = OWNER_VM(4);
	err[0] = 0;
	assert_int_equal(buddy_check(b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "chunk tag"));
	b->chunks[2].owner = OWNER_SHARED(3);
	check_ok(b);

	assert_int_equal(buddy_free(b, P(small), 0, OWNER_VM(5)), 0);
	assert_int_equal(b->chunks[7].owner, OWNER_FREE); /* merged back to 2 MiB */
	assert_int_equal(buddy_free(b, P(big), 10, OWNER_SHARED(3)), 0);
	for (uint64_t c = 1; c < 8; c++)
		assert_int_equal(b->chunks[c].owner, OWNER_FREE);
	assert_int_equal(buddy_free_blocks(b, 11), 1);
	assert_int_equal(buddy_free_blocks(b, 10), 1);
	check_ok(b);
	fx_fini(&fx);
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
	    cmocka_unit_test(test_known_zero),
	    cmocka_unit_test(test_owner_run),
	    cmocka_unit_test(test_check_detects_corruption),
	    cmocka_unit_test(test_chunk_tags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
