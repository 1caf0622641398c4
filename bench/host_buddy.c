/*
 * Host microbenchmark of mm/buddy.c over a fake 4 GiB range (no memory behind it):
 * ns per alloc+free pair at orders 0, 9 and 18, median of RUNS runs, CLOCK_MONOTONIC.
 * From a fully merged heap, so order 0 pays the full split and merge of 18 levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mm/buddy.h"

#define RUNS	   7
#define PAIRS	   200000
#define BASE_PFN   (4 * GiB / PAGE_SIZE)
#define NR_FRAMES  (4 * GiB / PAGE_SIZE)
#define OWNER_LOOK 1000000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static void die(const char *what)
{
	fprintf(stderr, "host_buddy: %s failed\n", what);
	exit(1);
}

/* One run: ns per alloc+free pair at @order. */
static uint64_t run_pairs(struct buddy *b, unsigned order)
{
	uint64_t t0 = now_ns();
	hpa_t a;

	for (unsigned i = 0; i < PAIRS; i++) {
		if (buddy_alloc(b, order, OWNER_HYP, &a) || buddy_free(b, a, order, OWNER_HYP))
			die("alloc/free pair");
	}
	return (now_ns() - t0) / PAIRS;
}

static void bench_pairs(struct buddy *b, unsigned order, const char *label)
{
	uint64_t ns[RUNS];

	for (unsigned r = 0; r < RUNS; r++)
		ns[r] = run_pairs(b, order);
	printf("host buddy order %u%s: %llu ns per alloc+free pair (median of %u)\n", order, label,
	       (unsigned long long)median(ns, RUNS), RUNS);
}

/* buddy_owner() on random frames inside an allocated 1 GiB block (probes all orders). */
static void bench_owner(struct buddy *b)
{
	uint64_t ns[RUNS], x = 88172645463325252ULL, sink = 0;
	hpa_t g;

	if (buddy_alloc(b, BUDDY_MAX_ORDER, OWNER_VM(1), &g))
		die("1 GiB alloc");
	for (unsigned r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns();

		for (unsigned i = 0; i < OWNER_LOOK; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			sink += buddy_owner(b, hpa(g.v + (x & (GiB - 1))));
		}
		ns[r] = (now_ns() - t0) * 1000 / OWNER_LOOK;
	}
	if (sink != (uint64_t)OWNER_VM(1) * OWNER_LOOK * RUNS)
		die("owner lookup");
	printf("host buddy owner lookup in a 1 GiB block: %llu.%03llu ns (median of %u)\n",
	       (unsigned long long)median(ns, RUNS) / 1000,
	       (unsigned long long)median(ns, RUNS) % 1000, RUNS);
	if (buddy_free(b, g, BUDDY_MAX_ORDER, OWNER_VM(1)))
		die("1 GiB free");
}

int main(void)
{
	static const unsigned orders[] = {0, 9, 18};
	size_t sz = buddy_meta_size(NR_FRAMES);
	void *meta = malloc(sz);
	struct buddy b;
	hpa_t pin;

	if (!meta || buddy_init(&b, meta, sz, pfn(BASE_PFN), NR_FRAMES) ||
	    buddy_add_free(&b, pfn_to_hpa(pfn(BASE_PFN)), pfn_to_hpa(pfn(BASE_PFN + NR_FRAMES))))
		die("setup");
	for (unsigned i = 0; i < ARRAY_SIZE(orders); i++)
		bench_pairs(&b, orders[i], "");
	/* Pin one frame: its buddy is then a free order-0 block and pairs neither split nor merge. */
	if (buddy_alloc(&b, 0, OWNER_HYP, &pin))
		die("pin");
	bench_pairs(&b, 0, " (no split/merge)");
	if (buddy_free(&b, pin, 0, OWNER_HYP))
		die("unpin");
	bench_owner(&b);
	if (buddy_check(&b, NULL, 0))
		die("buddy_check");
	free(meta);
	return 0;
}
