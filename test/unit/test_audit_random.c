/*
 * Randomised unit test for ept/audit.c: violations planted at random into the VM of
 * audit_fixture.h (retagged frames, flipped memory types, widened rights), and the
 * audit compared with a verdict computed page by page with ept_walk.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test/unit/audit_fixture.h"

/* ---- randomised: the audit against a page-by-page model built with ept_walk ---- */

static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

/* The verdict for one page, from the rules as the design note states them; -1: fine. */
static int model_kind(owner_t o, unsigned mt, uint32_t rights)
{
	const struct shared_region *r;
	uint32_t granted;

	if (mt == EPT_MT_UC)
		return o == OWNER_RESERVED ? -1 : AUDIT_UC_RAM;
	if (o == OWNER_VM(VM))
		return -1;
	if (OWNER_IS_VM(o))
		return AUDIT_OTHER_VM;
	if (OWNER_IS_SHARED(o)) {
		r = owner_share_by_tag(&reg, o);
		if (!r || !owner_share_granted(r, VM, &granted))
			return AUDIT_NO_GRANT;
		return (rights & ~granted) ? AUDIT_RIGHTS : -1;
	}
	switch (o) {
	case OWNER_HYP:
		return AUDIT_HYP;
	case OWNER_FREE:
		return AUDIT_FREE;
	case OWNER_RESERVED:
		return AUDIT_RESERVED;
	default:
		return AUDIT_BAD_TAG;
	}
}

/* Kind reported for the page at @g (-1: none), from the collected violations. */
static int reported_kind(uint64_t g, hpa_t h)
{
	for (unsigned i = 0; i < nr_got; i++)
		if (g >= got[i].gpa.v && g - got[i].gpa.v < got[i].size) {
			assert_int_equal(got[i].hpa.v + (g - got[i].gpa.v), h.v);
			return (int)got[i].kind;
		}
	return -1;
}

/* A random page of a mapped slot. */
static uint64_t random_page(void)
{
	for (;;) {
		const struct mem_slot *s = &ms.slot[rnd() % ms.nr];

		if (memslot_has_hpa(s))
			return memslot_gpa(s).v + (rnd() % s->npages) * PAGE_SIZE;
	}
}

static void plant_random(void)
{
	static const owner_t owners[] = {
	    OWNER_VM(0),     OWNER_VM(2),     OWNER_HYP,       OWNER_FREE,	OWNER_RESERVED,
	    OWNER_SHARED(0), OWNER_SHARED(1), OWNER_SHARED(2), OWNER_SHARED(7), 0x50,
	    OWNER_VM(VM)};
	uint64_t g = random_page();
	struct ept_walk_result w;
	uint64_t *e;

	assert_int_equal(ept_walk(&ept, gpa(g), &w), 0);
	e = entry_at(g, w.level);
	switch (rnd() % 4) {
	case 0:
	case 1: /* retag a run of frames */
		override(w.hpa.v, (1 + rnd() % 8) * PAGE_SIZE, owners[rnd() % ARRAY_SIZE(owners)]);
		break;
	case 2: /* flip the memory type of the leaf */
		*e ^= (*e & EPTE_MT) == EPTE_MT_UC ? EPTE_MT_WB : (*e & EPTE_MT);
		break;
	default: /* widen the rights of the leaf */
		*e |= rnd() % 2 ? EPTE_W : EPTE_X;
		break;
	}
}

static void check_against_model(void)
{
	uint64_t checked = 0, bad = 0, reported = 0;

	audit();
	assert_true(nr_got <= MAXV);
	for (unsigned i = 0; i < ms.nr; i++) {
		const struct mem_slot *s = &ms.slot[i];

		for (uint64_t g = memslot_gpa(s).v; g < memslot_gpa(s).v + memslot_size(s);
		     g += PAGE_SIZE) {
			struct ept_walk_result w;

			if (ept_walk(&ept, gpa(g), &w))
				continue; /* emulated MMIO: unmapped or marked */
			int kind = model_kind(page_owner(w.hpa), w.mt, (uint32_t)w.rights);

			assert_int_equal(reported_kind(g, w.hpa), kind);
			checked++;
			bad += kind >= 0;
		}
	}
	assert_int_equal(checked, st.frames);
	for (unsigned i = 0; i < nr_got; i++)
		reported += got[i].size / PAGE_SIZE;
	assert_int_equal(reported, bad); /* nothing reported outside the model's bad pages */
	for (unsigned i = 0; i + 1 < nr_got; i++) /* GPA order, no overlap */
		assert_true(got[i].gpa.v + got[i].size <= got[i + 1].gpa.v);
}

static void test_random_against_model(void **state)
{
	for (unsigned iter = 0; iter < 12; iter++) {
		rng = 0x9e3779b97f4a7c15ULL * (iter + 1);
		teardown(state);
		setup(state);
		for (unsigned n = 1 + rnd() % 12; n--;)
			plant_random();
		check_against_model();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
