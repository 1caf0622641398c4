/*
 * Unit tests for mm/memslot.c: sorted insertion, overlap rejection, lookups at
 * slot edges and in gaps, a full table, and gpa->hpa translation (checked and fast).
 * Frame numbers here are plain integers; slot() makes the gfn_t.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "mm/memslot.h"

static struct mem_slot slot(uint64_t base, uint64_t npages, uint64_t hpa_v, enum region_kind kind)
{
	return (struct mem_slot){.base_gfn = gfn(base),
				 .npages = npages,
				 .hpa = hpa(hpa_v),
				 .kind = kind,
				 .rights = REGION_RWX,
				 .region = (uint16_t)base};
}

static int add(struct memslots *ms, uint64_t base, uint64_t npages)
{
	struct mem_slot s = slot(base, npages, base << PAGE_SHIFT, REGION_RAM);

	return memslot_add(ms, &s);
}

static void assert_sorted(const struct memslots *ms)
{
	for (unsigned i = 1; i < ms->nr; i++)
		assert_true(ms->slot[i - 1].base_gfn.v + ms->slot[i - 1].npages <=
			    ms->slot[i].base_gfn.v);
}

static void test_sorted_insert(void **state)
{
	static const uint64_t bases[] = {500, 100, 300, 0, 1000, 200};
	struct memslots ms;

	memslots_init(&ms);
	for (unsigned i = 0; i < ARRAY_SIZE(bases); i++)
		assert_int_equal(add(&ms, bases[i], 100), 0);
	assert_int_equal(ms.nr, ARRAY_SIZE(bases));
	assert_sorted(&ms);
	assert_int_equal(ms.slot[0].base_gfn.v, 0);
	assert_int_equal(ms.slot[1].base_gfn.v, 100);
	assert_int_equal(ms.slot[5].base_gfn.v, 1000);
	/* the payload moved with its slot */
	for (unsigned i = 0; i < ms.nr; i++)
		assert_int_equal(ms.slot[i].hpa.v, ms.slot[i].base_gfn.v << PAGE_SHIFT);
}

static void test_overlap(void **state)
{
	struct memslots ms;

	memslots_init(&ms);
	assert_int_equal(add(&ms, 100, 50), 0);	      /* [100, 150) */
	assert_int_equal(add(&ms, 100, 50), -EEXIST); /* same */
	assert_int_equal(add(&ms, 90, 11), -EEXIST);  /* tail overlaps first page */
	assert_int_equal(add(&ms, 149, 10), -EEXIST); /* head overlaps last page */
	assert_int_equal(add(&ms, 120, 1), -EEXIST);  /* inside */
	assert_int_equal(add(&ms, 0, 1000), -EEXIST); /* around */
	assert_int_equal(add(&ms, 90, 10), 0);	      /* adjacent below */
	assert_int_equal(add(&ms, 150, 10), 0);	      /* adjacent above */
	assert_int_equal(add(&ms, 95, 60), -EEXIST);  /* spans two */
	assert_int_equal(ms.nr, 3);
	assert_sorted(&ms);
}

static void test_invalid(void **state)
{
	struct memslots ms;
	struct mem_slot s = slot(0, 0, 0, REGION_RAM);

	memslots_init(&ms);
	assert_int_equal(memslot_add(&ms, &s), -EINVAL); /* no pages */
	s = slot(~0ULL - 5, 10, 0, REGION_RAM);
	assert_int_equal(memslot_add(&ms, &s), -EINVAL); /* wraps */
	s = slot((1ULL << 36) - 1, 2, 0, REGION_RAM);
	assert_int_equal(memslot_add(&ms, &s), -EINVAL); /* beyond 48-bit GPA */
	s = slot((1ULL << 36) - 1, 1, 0, REGION_RAM);
	assert_int_equal(memslot_add(&ms, &s), 0); /* last frame is fine */
	s = slot(5, 1, 0, REGION_KIND_COUNT);
	assert_int_equal(memslot_add(&ms, &s), -EINVAL);
	s = slot(5, 1, 0, REGION_RAM);
	s.rights = BIT(3);
	assert_int_equal(memslot_add(&ms, &s), -EINVAL);
	assert_int_equal(ms.nr, 1);
}

static void test_find_edges(void **state)
{
	struct memslots ms;

	memslots_init(&ms);
	assert_null(memslot_find(&ms, gpa(0)));
	assert_int_equal(add(&ms, 0x100, 0x10), 0);
	assert_int_equal(add(&ms, 0x110, 0x1), 0);
	assert_int_equal(add(&ms, 0x200, 0x100), 0);
	assert_null(memslot_find(&ms, gpa(0)));
	assert_null(memslot_find(&ms, gpa(0x100000 - 1)));
	assert_int_equal(memslot_find(&ms, gpa(0x100000))->base_gfn.v, 0x100);
	assert_int_equal(memslot_find(&ms, gpa(0x10ffff))->base_gfn.v, 0x100);
	assert_int_equal(memslot_find(&ms, gpa(0x110000))->base_gfn.v, 0x110);
	assert_int_equal(memslot_find(&ms, gpa(0x110fff))->base_gfn.v, 0x110);
	assert_null(memslot_find(&ms, gpa(0x111000)));
	assert_null(memslot_find(&ms, gpa(0x1fffff)));
	assert_int_equal(memslot_find(&ms, gpa(0x200000))->base_gfn.v, 0x200);
	assert_int_equal(memslot_find(&ms, gpa(0x2fffff))->base_gfn.v, 0x200);
	assert_null(memslot_find(&ms, gpa(0x300000)));
	assert_null(memslot_find(&ms, gpa(~0ULL)));
}

static void test_translate(void **state)
{
	struct mem_slot ram = slot(0x100, 0x10, 0x7000000, REGION_RAM);
	struct mem_slot emul = slot(0xfee00, 1, 0, REGION_MMIO_EMUL);
	hpa_t h = hpa(0);

	assert_int_equal(memslot_gpa_to_hpa(&ram, gpa(0x100123), &h), 0);
	assert_int_equal(h.v, 0x7000123);
	assert_int_equal(memslot_gpa_to_hpa(&ram, gpa(0x10ffff), &h), 0);
	assert_int_equal(h.v, 0x700ffff);
	assert_int_equal(memslot_gpa_to_hpa(&ram, gpa(0x110000), &h), -ENOENT);
	assert_int_equal(memslot_gpa_to_hpa(&ram, gpa(0xfffff), &h), -ENOENT);
	assert_int_equal(memslot_gpa_to_hpa(&emul, gpa(0xfee00000), &h), -ENOENT);
	assert_false(memslot_has_hpa(&emul));
	assert_int_equal(memslot_size(&ram), 0x10000);
	assert_int_equal(memslot_gpa(&ram).v, 0x100000);
}

/* memslot_hpa(): the unchecked form gives memslot_gpa_to_hpa()'s answer inside a slot. */
static void test_fast_hpa(void **state)
{
	struct mem_slot ram = slot(0x100, 0x10, 0x7000000, REGION_RAM);
	struct mem_slot high = slot(0x100000, 0x200, 0x200000, REGION_RAM); /* hpa below gpa */
	struct mem_slot pass = slot(0xfec00, 1, 0xfec00000, REGION_MMIO_PASS);
	const struct mem_slot *all[] = {&ram, &high, &pass};
	hpa_t h;

	assert_int_equal(memslot_hpa(&ram, gpa(0x100000)).v, 0x7000000); /* first byte */
	assert_int_equal(memslot_hpa(&ram, gpa(0x100123)).v, 0x7000123);
	assert_int_equal(memslot_hpa(&ram, gpa(0x10ffff)).v, 0x700ffff); /* last byte */
	assert_int_equal(memslot_hpa(&high, gpa(4 * GiB + 0x1234)).v, 0x201234);
	assert_int_equal(memslot_hpa(&high, gpa(4 * GiB + 0x1fffff)).v, 0x3fffff);
	assert_int_equal(memslot_hpa(&pass, gpa(0xfec00020)).v, 0xfec00020);
	for (unsigned i = 0; i < ARRAY_SIZE(all); i++) {
		const struct mem_slot *s = all[i];

		assert_true(memslot_has_hpa(s));
		for (uint64_t off = 0; off < memslot_size(s); off += 0x3ff) {
			gpa_t a = gpa(memslot_gpa(s).v + off);

			assert_true(memslot_contains(s, a));
			assert_int_equal(memslot_gpa_to_hpa(s, a, &h), 0);
			assert_int_equal(memslot_hpa(s, a).v, h.v);
		}
	}
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_many(void **state)
{
	struct memslots ms;
	unsigned order[MEMSLOT_MAX];

	memslots_init(&ms);
	for (unsigned i = 0; i < MEMSLOT_MAX; i++)
		order[i] = i;
	for (unsigned i = MEMSLOT_MAX - 1; i > 0; i--) { /* shuffle */
		unsigned j = (unsigned)(rnd() % (i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* slot k covers [k*1000, k*1000 + 1 + k), leaving gaps */
	for (unsigned i = 0; i < MEMSLOT_MAX; i++)
		assert_int_equal(add(&ms, order[i] * 1000ULL, 1 + order[i]), 0);
	assert_int_equal(add(&ms, 999999, 1), -ENOSPC);
	assert_int_equal(add(&ms, 0, 1), -EEXIST); /* overlap wins over full */
	assert_sorted(&ms);
	for (unsigned n = 0; n < 20000; n++) {
		uint64_t f = rnd() % (MEMSLOT_MAX * 1000ULL + 10);
		const struct mem_slot *s =
		    memslot_find(&ms, gpa((f << PAGE_SHIFT) | (rnd() & 0xfff)));
		unsigned k = (unsigned)(f / 1000);
		bool inside = k < MEMSLOT_MAX && f - k * 1000ULL < 1 + k;

		if (inside) {
			assert_non_null(s);
			assert_int_equal(s->base_gfn.v, k * 1000ULL);
		} else {
			assert_null(s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sorted_insert), cmocka_unit_test(test_overlap),
	    cmocka_unit_test(test_invalid),	  cmocka_unit_test(test_find_edges),
	    cmocka_unit_test(test_translate),	  cmocka_unit_test(test_fast_hpa),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
