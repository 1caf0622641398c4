/*
 * Host microbenchmark of mm/buddy.c over a fake 4 GiB range (no memory behind it):
 * ns per alloc+free pair at orders 0, 9 and 18, and per owner look-up, each the
 * median of RUNS runs of at least RUN_NS (CLOCK_MONOTONIC), so a slow operation
 * costs time, not a hang. From a fully merged heap, order 0 pays the full split
 * and merge of 18 levels. The look-ups are compared with a flat table of one
 * 16-bit owner per frame (the floor an O(1) look-up can reach).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mm/buddy.h"

#define RUNS	  7
#define RUN_NS	  20000000ULL /* 20 ms */
#define BATCH	  64
#define BASE_PFN  (4 * GiB / PAGE_SIZE)
#define NR_FRAMES (4 * GiB / PAGE_SIZE)

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

/* One run: picoseconds per alloc+free pair at @order. */
static uint64_t run_pairs(struct buddy *b, unsigned order)
{
	uint64_t t0 = now_ns(), t, n = 0;
	hpa_t a;

	do {
		for (unsigned i = 0; i < BATCH; i++)
			if (buddy_alloc(b, order, OWNER_HYP, &a) ||
			    buddy_free(b, a, order, OWNER_HYP))
				die("alloc/free pair");
		n += BATCH;
		t = now_ns() - t0;
	} while (t < RUN_NS);
	return t * 1000 / n;
}

static void print_ps(const char *what, uint64_t ps, const char *extra)
{
	printf("host buddy %s: %llu.%03llu ns (median of %u)%s\n", what,
	       (unsigned long long)ps / 1000, (unsigned long long)ps % 1000, RUNS, extra);
}

static void bench_pairs(struct buddy *b, unsigned order, const char *label)
{
	uint64_t ps[RUNS];
	char what[64];

	for (unsigned r = 0; r < RUNS; r++)
		ps[r] = run_pairs(b, order);
	snprintf(what, sizeof(what), "order %u%s alloc+free pair", order, label);
	print_ps(what, median(ps, RUNS), "");
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return *x;
}

/* Picoseconds per buddy_owner() (flat == NULL) or flat-table load at random frames of @span. */
static uint64_t run_owner(const struct buddy *b, const owner_t *flat, hpa_t base, uint64_t span,
			  owner_t want)
{
	uint64_t x = 88172645463325252ULL, sink = 0, n = 0, t0 = now_ns(), t;

	do {
		for (unsigned i = 0; i < 1024; i++) {
			uint64_t off = xorshift(&x) & (span - 1) & ~(PAGE_SIZE - 1);

			sink += flat ? flat[off >> PAGE_SHIFT] : buddy_owner(b, hpa(base.v + off));
		}
		n += 1024;
		t = now_ns() - t0;
	} while (t < RUN_NS);
	if (sink != (uint64_t)want * n)
		die("owner lookup");
	return t * 1000 / n;
}

/* buddy_owner() at random frames of @span bytes at @base, all owned by @want, and the flat floor. */
static void bench_owner(const struct buddy *b, hpa_t base, uint64_t span, owner_t want,
			const char *what)
{
	uint64_t ps[RUNS], flat_ps[RUNS], m, f;
	owner_t *flat = malloc((span >> PAGE_SHIFT) * sizeof(*flat));
	char extra[64];

	if (!flat)
		die("flat table");
	for (uint64_t i = 0; i < span >> PAGE_SHIFT; i++)
		flat[i] = want;
	for (unsigned r = 0; r < RUNS; r++) {
		ps[r] = run_owner(b, NULL, base, span, want);
		flat_ps[r] = run_owner(b, flat, base, span, want);
	}
	m = median(ps, RUNS);
	f = median(flat_ps, RUNS);
	snprintf(extra, sizeof(extra), "; flat table %llu.%03llu ns, %.1fx",
		 (unsigned long long)f / 1000, (unsigned long long)f % 1000,
		 f ? (double)m / (double)f : 0.0);
	print_ps(what, m, extra);
	free(flat);
}

int main(void)
{
	static const unsigned orders[] = {0, 9, 18};
	size_t sz = buddy_meta_size(NR_FRAMES);
	void *meta = malloc(sz);
	struct buddy b;
	hpa_t pin, g, s;

	if (!meta || buddy_init(&b, meta, sz, pfn(BASE_PFN), NR_FRAMES) ||
	    buddy_add_free(&b, pfn_to_hpa(pfn(BASE_PFN)), pfn_to_hpa(pfn(BASE_PFN + NR_FRAMES))))
		die("setup");
	for (unsigned i = 0; i < ARRAY_SIZE(orders); i++)
		bench_pairs(&b, orders[i], "");
	/* Pin one frame: its buddy is then a free order-0 block and pairs neither split nor merge. */
	if (buddy_alloc(&b, 0, OWNER_HYP, &pin))
		die("pin");
	bench_pairs(&b, 0, " (no split/merge)");
	bench_pairs(&b, 9, " (no split/merge)");
	if (buddy_free(&b, pin, 0, OWNER_HYP))
		die("unpin");
	/* A 1 GiB block, and 2 MiB of order-0 blocks of one owner next to it. */
	if (buddy_alloc(&b, BUDDY_MAX_ORDER, OWNER_VM(1), &g))
		die("1 GiB alloc");
	bench_owner(&b, g, GiB, OWNER_VM(1), "owner lookup in a 1 GiB block");
	if (buddy_alloc(&b, 0, OWNER_VM(2), &s))
		die("order-0 alloc");
	for (unsigned i = 1; i < 512; i++) {
		hpa_t h;

		if (buddy_alloc(&b, 0, OWNER_VM(2), &h) || h.v != s.v + i * PAGE_SIZE)
			die("order-0 run");
	}
	bench_owner(&b, s, 2 * MiB, OWNER_VM(2), "owner lookup in 4 KiB blocks");
	for (unsigned i = 0; i < 512; i++)
		if (buddy_free(&b, hpa(s.v + i * PAGE_SIZE), 0, OWNER_VM(2)))
			die("order-0 free");
	if (buddy_free(&b, g, BUDDY_MAX_ORDER, OWNER_VM(1)))
		die("1 GiB free");
	if (buddy_check(&b, NULL, 0))
		die("buddy_check");
	free(meta);
	return 0;
}
