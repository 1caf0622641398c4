/*
 * Shared fixture for the mm/buddy.c tests (test_buddy.c, test_buddy_random.c): a
 * buddy allocator over a fake frame range (no memory behind the addresses) with
 * malloc'd metadata, and checks that fail the test with buddy_check()'s message.
 * Frame numbers in the tests are plain integers, for arithmetic; the helpers here
 * turn them into pfn_t/hpa_t at the buddy API.
 */
#ifndef TEST_BUDDY_FIXTURE_H
#define TEST_BUDDY_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "mm/buddy.h"

struct fixture {
	struct buddy b;
	void *meta;
};

static inline hpa_t P(uint64_t f)
{
	return pfn_to_hpa(pfn(f));
}

static inline void fx_init(struct fixture *fx, uint64_t base, uint64_t nr)
{
	size_t sz = buddy_meta_size(nr);

	fx->meta = malloc(sz);
	assert_non_null(fx->meta);
	assert_int_equal(buddy_init(&fx->b, fx->meta, sz, pfn(base), nr), 0);
}

static inline void fx_fini(struct fixture *fx)
{
	free(fx->meta);
}

static inline void add(struct fixture *fx, uint64_t s, uint64_t e)
{
	assert_int_equal(buddy_add_free(&fx->b, P(s), P(e)), 0);
}

static inline void check_ok(const struct buddy *b)
{
	char err[160] = "";
	int ret = buddy_check(b, err, sizeof(err));

	if (ret)
		fail_msg("buddy_check: %s", err);
}

/* Allocate and return the frame number; the call must succeed. */
static inline uint64_t alloc_pfn(struct buddy *b, unsigned order, owner_t owner)
{
	hpa_t a;

	assert_int_equal(buddy_alloc(b, order, owner, &a), 0);
	assert_int_equal(a.v & (PAGE_SIZE - 1), 0);
	return hpa_to_pfn(a).v;
}

static inline void expect_counts(const struct buddy *b, const uint64_t want[BUDDY_NR_ORDERS])
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

#endif
