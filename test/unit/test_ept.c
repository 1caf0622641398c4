/*
 * Unit tests for ept/ept.c, building and walking: random memory maps (fixed seeds)
 * checked against the map alone, a hand-checked map with its summary, owner and
 * argument checks, the walker's misconfiguration rules and the EPTP.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test/unit/ept_fixture.h"

/* ---- random maps built from memslots ---- */

static void build_and_check(uint64_t seed, bool a1g, bool a2m, unsigned max_gib)
{
	struct map m = {.a1g = a1g, .a2m = a2m};
	struct memslots ms;
	struct ept e;

	nr_owned = 0;
	gen_map(&m, seed, 2 + (unsigned)(seed % (MAXR - 2)), max_gib);
	map_to_slots(&m, &ms);
	assert_int_equal(ept_init(&e, VM_OWNER, a1g, a2m), 0);
	assert_int_equal(ept_build(&e, &ms), 0);
	check_counts(&e, &m);
	check_map(&e, &m);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

static void test_random_maps(void **state)
{
	for (uint64_t seed = 1; seed <= 12; seed++)
		build_and_check(seed * 0x9E3779B97F4A7C15ULL, true, true, 2);
}

static void test_random_maps_no_1g(void **state)
{
	for (uint64_t seed = 100; seed < 106; seed++)
		build_and_check(seed * 0x9E3779B97F4A7C15ULL, false, true, 1);
}

static void test_random_maps_4k_only(void **state)
{
	for (uint64_t seed = 200; seed < 203; seed++)
		build_and_check(seed * 0x9E3779B97F4A7C15ULL, false, false, 0);
}

/* A hand-checked map: 1 GiB + 63 * 2 MiB, congruent: one 1G leaf and 63 2M leaves. */
static void test_simple_and_summary(void **state)
{
	struct memslots ms;
	struct mem_slot s = {.base_gfn = gpa_to_gfn(gpa(GiB)),
			     .npages = (GiB + 63 * 2 * MiB) >> PAGE_SHIFT,
			     .hpa = hpa(FAKE_HPA + GiB),
			     .kind = REGION_RAM,
			     .rights = REGION_RWX};
	struct mem_slot emul = {.base_gfn = gfn(0xfee00), .npages = 1, .kind = REGION_MMIO_EMUL};
	struct ept e;
	char buf[512];
	int n;

	memslots_init(&ms);
	assert_int_equal(memslot_add(&ms, &s), 0);
	assert_int_equal(memslot_add(&ms, &emul), 0);
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_build(&e, &ms), 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 1);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 63);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 0);
	assert_int_equal(e.table_pages, 3); /* PML4, PDPT, one PD for the 2M leaves */
	assert_int_equal(ept_mark_mmio(&e, gpa(0xfee00000)), 0);
	n = ept_summary(&e, &ms, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf,
			    "slot 0 [0x40000000..0x87e00000) ram: 1G:1 2M:63 4K:0 mmio:0\n"
			    "slot 1 [0xfee00000..0xfee01000) mmio-emul: 1G:0 2M:0 4K:0 mmio:1\n"
			    "tables: 5 pages\n");
	assert_int_equal(ept_summary(&e, &ms, buf, 10), n); /* truncated, same length */
	assert_int_equal(strlen(buf), 9);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/* ---- owner checks ---- */

static void test_owner(void **state)
{
	struct ept e;
	hpa_t h_hyp, h_other, h_mine, h_shared;
	void *p[4];
	uint64_t f = FAKE_HPA + 7 * GiB;

	p[0] = page_alloc(0, OWNER_HYP, &h_hyp);
	p[1] = page_alloc(0, OWNER_VM(1), &h_other);
	p[2] = page_alloc(0, VM_OWNER, &h_mine);
	p[3] = page_alloc(0, OWNER_SHARED(4), &h_shared);
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(0), h_hyp, PAGE_SIZE, EPTE_RWX), -EPERM);
	assert_int_equal(ept_map(&e, gpa(0), h_other, PAGE_SIZE, EPTE_RWX), -EPERM);
	assert_int_equal(ept_map(&e, gpa(0), va_to_hpa(e.pml4_va), PAGE_SIZE, EPTE_RWX), -EPERM);
	assert_int_equal(ept_map(&e, gpa(0), h_mine, PAGE_SIZE, EPTE_RWX | EPTE_MT_WB), 0);
	assert_int_equal(ept_map(&e, gpa(PAGE_SIZE), h_shared, PAGE_SIZE, EPTE_R | EPTE_MT_WB), 0);
	/* a 2 MiB range whose last frame is another VM's: refused whole, nothing mapped */
	own(f + 2 * MiB - PAGE_SIZE, PAGE_SIZE, OWNER_VM(3));
	assert_int_equal(ept_map(&e, gpa(2 * MiB), hpa(f), 2 * MiB, EPTE_RWX), -EPERM);
	assert_int_equal(ept_walk(&e, gpa(2 * MiB), &(struct ept_walk_result){0}), -ENOENT);
	assert_int_equal(e.table_pages, 4);
	assert_int_equal(ept_map(&e, gpa(2 * MiB), hpa(f), 2 * MiB - PAGE_SIZE, EPTE_RWX), 0);
	/* passthrough MMIO: only frames nobody owns */
	own(f + GiB, 16 * PAGE_SIZE, OWNER_RESERVED);
	assert_int_equal(ept_map(&e, gpa(GiB), hpa(f + GiB), 16 * PAGE_SIZE, EPTE_R | EPTE_W),
			 -EPERM);
	assert_int_equal(ept_map(&e, gpa(GiB), hpa(f), PAGE_SIZE, EPTE_RWX | EPT_MAP_PASSTHRU),
			 -EPERM);
	assert_int_equal(ept_map(&e, gpa(GiB), h_mine, PAGE_SIZE, EPTE_RWX | EPT_MAP_PASSTHRU),
			 -EPERM);
	assert_int_equal(ept_map(&e, gpa(GiB), hpa(f + GiB), 16 * PAGE_SIZE,
				 EPTE_R | EPTE_W | EPTE_MT_UC | EPT_MAP_PASSTHRU),
			 0);
	ept_destroy(&e);
	for (unsigned i = 0; i < 4; i++)
		page_free(p[i], 0, 0);
	assert_int_equal(fake_page_allocs, 0);
}

/* ---- argument checks, overlaps ---- */

static void test_invalid_and_overlap(void **state)
{
	struct ept e;
	uint64_t h = FAKE_HPA;

	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(0x1000), hpa(h), 0, EPTE_RWX), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0x1800), hpa(h), 0x1000, EPTE_RWX), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0x1000), hpa(h + 8), 0x1000, EPTE_RWX), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0x1000), hpa(h), 0x1001, EPTE_RWX), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(EPT_GPA_LIMIT - 0x1000), hpa(h), 0x2000, EPTE_RWX),
			 -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa((1ULL << 52) - 0x1000), 0x2000, EPTE_RWX),
			 -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_W), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_W | EPTE_X), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_X), -EINVAL); /* no exec-only */
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, 0), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_R | (2ULL << 3)), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_R | (7ULL << 3)), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_R | EPTE_LEAF), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 0x1000, EPTE_R | BIT(12)), -EINVAL);
	assert_int_equal(e.table_pages, 1);
	assert_int_equal(ept_map(&e, gpa(EPT_GPA_LIMIT - GiB), hpa(h), GiB, EPTE_RWX | EPTE_MT_WB),
			 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 1);

	assert_int_equal(ept_map(&e, gpa(4 * MiB), hpa(h + 4 * MiB), 4 * MiB, EPTE_RWX), 0);
	assert_int_equal(ept_map(&e, gpa(8 * MiB - 0x1000), hpa(h), 0x2000, EPTE_RWX), -EEXIST);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), 4 * MiB + 0x1000, EPTE_RWX), -EEXIST);
	assert_int_equal(ept_map(&e, gpa(0), hpa(h), GiB, EPTE_RWX), -EEXIST);
	assert_int_equal(ept_map(&e, gpa(5 * MiB), hpa(h), 0x1000, EPTE_RWX), -EEXIST);
	assert_int_equal(ept_map(&e, gpa(8 * MiB), hpa(h), 0x1000, EPTE_RWX), 0); /* adjacent */
	assert_int_equal(ept_map(&e, gpa(4 * MiB - 0x1000), hpa(h), 0x1000, EPTE_RWX),
			 0); /* adjacent */
	assert_int_equal(ept_unmap(&e, gpa(0x1800), 0x1000), -EINVAL);
	assert_int_equal(ept_unmap(&e, gpa(0), 0), -EINVAL);
	assert_int_equal(ept_unmap(&e, gpa(EPT_GPA_LIMIT), 0x1000), -EINVAL);
	e.exec_only = true;
	assert_int_equal(ept_map(&e, gpa(GiB), hpa(h), 0x1000, EPTE_X | EPTE_MT_WB), 0);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/* ---- the walker's view of hand-made entries ---- */

static uint64_t *entry_of(const struct ept *e, uint64_t g, unsigned level)
{
	uint64_t *t = e->pml4_va;

	for (unsigned l = 4; l > level; l--)
		t = hpa_to_va(hpa(t[(g >> (12 + 9 * (l - 1))) & 511] & EPTE_ADDR));
	return &t[(g >> (12 + 9 * (level - 1))) & 511];
}

static int walk_with(struct ept *e, uint64_t *ent, uint64_t val, uint64_t g,
		     struct ept_walk_result *w)
{
	uint64_t old = *ent;
	int err;

	*ent = val;
	err = ept_walk(e, gpa(g), w);
	*ent = old;
	return err;
}

static void test_walker_rules(void **state)
{
	struct ept e;
	struct ept_walk_result w;
	uint64_t g = 0x40201000, g2 = 0x80000000, g1 = 0xC0000000, h = FAKE_HPA + 0x40201000;
	uint64_t *pte, *pde, *pml4e, *pde2, *pdpte1;

	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(g), hpa(h), PAGE_SIZE, EPTE_RWX | EPTE_MT_WB | EPTE_IPAT),
			 0);
	assert_int_equal(ept_map(&e, gpa(g2), hpa(FAKE_HPA), 2 * MiB, EPTE_RWX | EPTE_MT_WB), 0);
	assert_int_equal(ept_map(&e, gpa(g1), hpa(FAKE_HPA), GiB, EPTE_RWX | EPTE_MT_WB), 0);
	pte = entry_of(&e, g, 1);
	pde = entry_of(&e, g, 2);
	pml4e = entry_of(&e, g, 4);
	pde2 = entry_of(&e, g2, 2);
	pdpte1 = entry_of(&e, g1, 3);
	assert_int_equal(ept_walk(&e, gpa(g + 0x123), &w), 0);
	assert_int_equal(w.hpa.v, h + 0x123);
	assert_true(w.ipat);
	assert_int_equal(w.mt, EPT_MT_WB);
	/* rights are the AND over levels */
	assert_int_equal(walk_with(&e, pde, (*pde & ~EPTE_RWX) | EPTE_R, g, &w), 0);
	assert_int_equal(w.rights, EPTE_R);
	assert_int_equal(walk_with(&e, pml4e, (*pml4e & ~EPTE_RWX) | EPTE_R | EPTE_X, g, &w), 0);
	assert_int_equal(w.rights, EPTE_R | EPTE_X);
	/* W without R anywhere, X-only without support */
	assert_int_equal(walk_with(&e, pte, (*pte & ~EPTE_RWX) | EPTE_W, g, &w), -EINVAL);
	assert_false(w.mmio); /* a plain misconfiguration is not our marker */
	assert_int_equal(walk_with(&e, pde, (*pde & ~EPTE_RWX) | EPTE_W | EPTE_X, g, &w), -EINVAL);
	assert_int_equal(w.level, 2);
	assert_int_equal(walk_with(&e, pte, (*pte & ~EPTE_RWX) | EPTE_X, g, &w), -EINVAL);
	e.exec_only = true;
	assert_int_equal(walk_with(&e, pte, (*pte & ~EPTE_RWX) | EPTE_X, g, &w), 0);
	assert_int_equal(w.rights, EPTE_X);
	e.exec_only = false;
	/* not present stops the walk where it is found */
	assert_int_equal(walk_with(&e, pde, 0, g, &w), -ENOENT);
	assert_int_equal(w.level, 2);
	assert_int_equal(walk_with(&e, pde, *pde & ~EPTE_RWX, g, &w), -ENOENT);
	/* memory types: 2, 3 and 7 are reserved in leaves */
	for (uint64_t mt = 0; mt < 8; mt++) {
		int want = (mt == 2 || mt == 3 || mt == 7) ? -EINVAL : 0;

		assert_int_equal(walk_with(&e, pte, (*pte & ~EPTE_MT) | mt << 3, g, &w), want);
		assert_int_equal(walk_with(&e, pde2, (*pde2 & ~EPTE_MT) | mt << 3, g2, &w), want);
		assert_int_equal(walk_with(&e, pdpte1, (*pdpte1 & ~EPTE_MT) | mt << 3, g1, &w),
				 want);
		if (!want)
			assert_int_equal(w.mt, mt);
	}
	/* reserved bits per entry format */
	for (unsigned b = 3; b <= 7; b++)
		assert_int_equal(walk_with(&e, pml4e, *pml4e | BIT(b), g, &w), -EINVAL);
	for (unsigned b = 3; b <= 6; b++)
		assert_int_equal(walk_with(&e, pde, *pde | BIT(b), g, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pde2, *pde2 | BIT(12), g2, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pde2, *pde2 | BIT(20), g2, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pde2, *pde2 | BIT(21), g2, &w), 0);
	assert_int_equal(w.hpa.v, FAKE_HPA + 2 * MiB);
	assert_int_equal(walk_with(&e, pdpte1, *pdpte1 | BIT(29), g1, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pdpte1, *pdpte1 | BIT(12), g1, &w), -EINVAL);
	/* ignored bits: bit 7 of a PTE, bits 8-11 and 52-62 of a leaf */
	assert_int_equal(walk_with(&e, pte, *pte | BIT(7) | BIT(10) | BIT(55), g, &w), 0);
	assert_int_equal(w.hpa.v, h);
	/* address bits above MAXPHYADDR are reserved */
	e.phys_bits = 46;
	assert_int_equal(walk_with(&e, pte, *pte | BIT(50), g, &w), -EINVAL);
	assert_int_equal(walk_with(&e, pml4e, *pml4e | BIT(48), g, &w), -EINVAL);
	e.phys_bits = 52;
	assert_int_equal(walk_with(&e, pte, *pte | BIT(50), g, &w), 0);
	assert_int_equal(ept_walk(&e, gpa(EPT_GPA_LIMIT), &w), -ERANGE);
	ept_destroy(&e);
}

static void test_eptp(void **state)
{
	struct ept e;

	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_eptp(&e, false), e.pml4.v | 6 | (3 << 3));
	assert_int_equal(ept_eptp(&e, true), e.pml4.v | 6 | (3 << 3) | (1 << 6));
	assert_int_equal(e.pml4.v & 0xfff, 0);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_simple_and_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_maps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_maps_no_1g, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_random_maps_4k_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_and_overlap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_walker_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eptp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
