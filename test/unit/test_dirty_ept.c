/*
 * Unit tests for ept/dirty.c: large leaves split to 4 KiB and write-protected (or D
 * cleared), translations and the other rights unchanged; W given back per page;
 * re-protection by bitmap; restore merging 2 MiB spans back; -ENOMEM mid-split
 * keeping every translation; 4 KiB protected mapping for RAM mapped while logged.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ept/dirty.h"
#include "lib/errno.h"
#include "test/unit/fake_page.h"

#define VM_OWNER OWNER_VM(0)
#define FAKE_HPA (1ULL << 46) /* frames we only pretend exist: never dereferenced */
#define G0	 GiB	      /* a 1 GiB leaf at [1 GiB, 2 GiB) */
#define M0	 (4 * MiB)    /* two 2 MiB leaves at [4 MiB, 8 MiB) */
#define K0	 (12 * MiB)   /* sixteen 4 KiB leaves */

static struct ept e;

static bool owner_hook(hpa_t a, owner_t *o, uint64_t *len)
{
	if (a.v < FAKE_HPA)
		return false;
	*o = VM_OWNER;
	*len = MAX(*len, FAKE_HPA * 2 - a.v);
	return true;
}

static int setup(void **state)
{
	fake_page_reset();
	fake_page_owner_hook = owner_hook;
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(G0), hpa(FAKE_HPA + GiB), GiB, EPTE_RWX | EPTE_MT_WB), 0);
	assert_int_equal(
	    ept_map(&e, gpa(M0), hpa(FAKE_HPA + 4 * MiB), 4 * MiB, EPTE_R | EPTE_W | EPTE_MT_WB),
	    0);
	assert_int_equal(
	    ept_map(&e, gpa(K0), hpa(FAKE_HPA + 64 * KiB), 64 * KiB, EPTE_RWX | EPTE_MT_WB), 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 1);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 2);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 16);
	return 0;
}

static int teardown(void **state)
{
	ept_destroy(&e);
	fake_page_owner_hook = NULL;
	fake_page_reset();
	return 0;
}

/* Walk @g: 0 with its leaf size and rights, the translation checked against @h. */
static uint64_t walk(uint64_t g, uint64_t h, uint64_t *size)
{
	struct ept_walk_result r;

	assert_int_equal(ept_walk(&e, gpa(g), &r), 0);
	assert_int_equal(r.hpa.v, h);
	assert_int_equal(r.mt, EPT_MT_WB);
	if (size)
		*size = r.size;
	return r.rights;
}

/* Every page of [g, g + len) a 4 KiB leaf with @rights, mapping h + offset. */
static void all_4k(uint64_t g, uint64_t h, uint64_t len, uint64_t rights)
{
	for (uint64_t o = 0; o < len; o += PAGE_SIZE) {
		uint64_t size;

		assert_int_equal(walk(g + o + 0x123, h + o + 0x123, &size), rights);
		assert_int_equal(size, PAGE_SIZE);
	}
}

/* A 2 MiB and a 1 GiB leaf split to 4 KiB, W off, R/X and addresses as they were. */
static void test_protect_splits(void **state)
{
	unsigned tables = e.table_pages;

	assert_int_equal(ept_dirty_protect(&e, gpa(M0), 2 * MiB, EPT_DIRTY_WP), 0);
	all_4k(M0, FAKE_HPA + 4 * MiB, 2 * MiB, EPTE_R);
	assert_int_equal(walk(M0 + 2 * MiB, FAKE_HPA + 6 * MiB, NULL), EPTE_R | EPTE_W);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 1);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 16 + 512);
	assert_int_equal(e.table_pages, tables + 1);
	/* 1 GiB: one PD and 512 PTs more, every page R|X. */
	assert_int_equal(ept_dirty_protect(&e, gpa(G0), GiB, EPT_DIRTY_WP), 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 0);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 16 + 512 + 512 * 512);
	assert_int_equal(e.table_pages, tables + 1 + 1 + 512);
	all_4k(G0, FAKE_HPA + GiB, 4 * MiB, EPTE_R | EPTE_X);
	all_4k(G0 + GiB - 2 * MiB, FAKE_HPA + 2 * GiB - 2 * MiB, 2 * MiB, EPTE_R | EPTE_X);
	/* Again: nothing more to split, nothing changes. */
	assert_int_equal(ept_dirty_protect(&e, gpa(G0), GiB, EPT_DIRTY_WP), 0);
	assert_int_equal(e.table_pages, tables + 1 + 1 + 512);
}

/* A range ending inside a large leaf: the leaf is split, only the pages inside protected. */
static void test_protect_partial(void **state)
{
	assert_int_equal(ept_dirty_protect(&e, gpa(M0 + 1 * MiB), 2 * MiB, EPT_DIRTY_WP), 0);
	all_4k(M0, FAKE_HPA + 4 * MiB, 1 * MiB, EPTE_R | EPTE_W);
	all_4k(M0 + 1 * MiB, FAKE_HPA + 5 * MiB, 2 * MiB, EPTE_R);
	all_4k(M0 + 3 * MiB, FAKE_HPA + 7 * MiB, 1 * MiB, EPTE_R | EPTE_W);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 0);
	/* Holes are left alone; bad ranges refused. */
	assert_int_equal(ept_dirty_protect(&e, gpa(100 * MiB), 2 * MiB, EPT_DIRTY_WP), 0);
	assert_int_equal(ept_walk(&e, gpa(100 * MiB), &(struct ept_walk_result){0}), -ENOENT);
	assert_int_equal(ept_dirty_protect(&e, gpa(M0 + 1), PAGE_SIZE, EPT_DIRTY_WP), -EINVAL);
	assert_int_equal(ept_dirty_protect(&e, gpa(M0), 0, EPT_DIRTY_WP), -EINVAL);
	assert_int_equal(
	    ept_dirty_protect(&e, gpa(EPT_GPA_LIMIT - PAGE_SIZE), 2 * PAGE_SIZE, EPT_DIRTY_WP),
	    -EINVAL);
}

/* The 4 KiB entry of @g itself, as the CPU sees it (to set D as it would). */
static uint64_t *pte(uint64_t g)
{
	uint64_t *t = e.pml4_va;

	for (unsigned l = 4; l > 1; l--) {
		uint64_t x = t[(g >> (12 + 9 * (l - 1))) & 511];

		assert_true(x & EPTE_R);
		assert_false(l < 4 && (x & EPTE_LEAF));
		t = hpa_to_va(hpa(x & EPTE_ADDR));
	}
	return &t[(g >> 12) & 511];
}

/* Under PML the leaves keep W and lose D; a re-protect clears D where the CPU set it. */
static void test_protect_pml(void **state)
{
	uint64_t bm = BIT(0) | BIT(3) | BIT(5);

	for (unsigned i = 0; i < 16; i++)
		*pte(K0 + i * PAGE_SIZE) |= EPTE_A | EPTE_D; /* written before logging */
	assert_int_equal(ept_dirty_protect(&e, gpa(M0), 2 * MiB, EPT_DIRTY_PML), 0);
	assert_int_equal(ept_dirty_protect(&e, gpa(K0), 64 * KiB, EPT_DIRTY_PML), 0);
	all_4k(K0, FAKE_HPA + 64 * KiB, 64 * KiB, EPTE_RWX);
	all_4k(M0, FAKE_HPA + 4 * MiB, 2 * MiB, EPTE_R | EPTE_W);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(*pte(K0 + i * PAGE_SIZE) & EPTE_D, 0);
	assert_int_equal(*pte(M0) & EPTE_D, 0);
	*pte(K0) |= EPTE_D; /* the CPU writes pages 0 and 3 */
	*pte(K0 + 3 * PAGE_SIZE) |= EPTE_D;
	assert_int_equal(ept_dirty_reprotect(&e, gpa(K0), &bm, 16, EPT_DIRTY_PML), 2);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(*pte(K0 + i * PAGE_SIZE) & (EPTE_D | EPTE_W), EPTE_W);
	/* No unprotect under PML's rules is needed, and restore merges without touching W. */
	assert_int_equal(ept_dirty_restore(&e, gpa(M0), 2 * MiB, EPT_DIRTY_PML), 1);
	assert_int_equal(walk(M0, FAKE_HPA + 4 * MiB, NULL), EPTE_R | EPTE_W);
}

/* W comes back per page: 1 the first time, 0 after, -ENOENT where no 4 KiB leaf is. */
static void test_unprotect(void **state)
{
	assert_int_equal(ept_dirty_protect(&e, gpa(M0), 4 * MiB, EPT_DIRTY_WP), 0);
	assert_int_equal(ept_dirty_unprotect(&e, gpa(M0 + 5 * PAGE_SIZE + 7)), 1);
	assert_int_equal(ept_dirty_unprotect(&e, gpa(M0 + 5 * PAGE_SIZE)), 0);
	assert_int_equal(walk(M0 + 5 * PAGE_SIZE, FAKE_HPA + 4 * MiB + 5 * PAGE_SIZE, NULL),
			 EPTE_R | EPTE_W);
	assert_int_equal(walk(M0 + 6 * PAGE_SIZE, FAKE_HPA + 4 * MiB + 6 * PAGE_SIZE, NULL),
			 EPTE_R);
	assert_int_equal(ept_dirty_unprotect(&e, gpa(G0)), -ENOENT); /* a 1 GiB leaf */
	assert_int_equal(ept_dirty_unprotect(&e, gpa(100 * MiB)), -ENOENT);
	assert_int_equal(ept_dirty_unprotect(&e, gpa(EPT_GPA_LIMIT)), -ENOENT);
	assert_int_equal(ept_mark_mmio(&e, gpa(200 * MiB)), 0);
	assert_int_equal(ept_dirty_unprotect(&e, gpa(200 * MiB)), -ENOENT); /* a marker */
}

/* Re-protect exactly the bits given; bits past npages ignored. */
static void test_reprotect(void **state)
{
	uint64_t bm[2] = {0}, writable = 0;

	assert_int_equal(ept_dirty_protect(&e, gpa(M0), 2 * MiB, EPT_DIRTY_WP), 0);
	for (unsigned i = 0; i < 512; i += 7)
		assert_int_equal(ept_dirty_unprotect(&e, gpa(M0 + i * PAGE_SIZE)), 1);
	bm[0] = BIT(0) | BIT(7) | BIT(8) | BIT(63); /* 8: writable never; 63 = 9 * 7 */
	bm[1] = BIT(6) | BIT(7);		    /* 70 = 10 * 7: writable; 71 past npages */
	assert_int_equal(ept_dirty_reprotect(&e, gpa(M0), bm, 71, EPT_DIRTY_WP), 4);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t r = walk(M0 + i * PAGE_SIZE, FAKE_HPA + 4 * MiB + i * PAGE_SIZE, NULL);

		writable += (r & EPTE_W) != 0;
		assert_int_equal(r & EPTE_W ? 1 : 0,
				 i % 7 == 0 && i != 0 && i != 7 && i != 63 && i != 70);
	}
	assert_int_equal(writable, 74 - 4);
}

/* Off: W back and the 2 MiB spans whole again; a span with a page unmapped stays 4 KiB. */
static void test_restore_merges(void **state)
{
	unsigned tables = e.table_pages;
	uint64_t size;

	assert_int_equal(ept_dirty_protect(&e, gpa(M0), 4 * MiB, EPT_DIRTY_WP), 0);
	assert_int_equal(ept_dirty_unprotect(&e, gpa(M0 + 3 * PAGE_SIZE)), 1);
	assert_int_equal(ept_unmap(&e, gpa(M0 + 2 * MiB + 9 * PAGE_SIZE), PAGE_SIZE), 0);
	assert_int_equal(ept_dirty_restore(&e, gpa(M0), 4 * MiB, EPT_DIRTY_WP), 1);
	assert_int_equal(walk(M0 + 0x1234, FAKE_HPA + 4 * MiB + 0x1234, &size), EPTE_R | EPTE_W);
	assert_int_equal(size, 2 * MiB);
	all_4k(M0 + 2 * MiB, FAKE_HPA + 6 * MiB, 9 * PAGE_SIZE, EPTE_R | EPTE_W);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 1);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 16 + 511);
	assert_int_equal(e.table_pages, tables + 1);
	/* A 1 GiB leaf comes back as 512 2 MiB leaves (no 1 GiB merge). */
	assert_int_equal(ept_dirty_protect(&e, gpa(G0), GiB, EPT_DIRTY_WP), 0);
	assert_int_equal(ept_dirty_restore(&e, gpa(G0), GiB, EPT_DIRTY_WP), 512);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 1 + 512);
	assert_int_equal(e.table_pages, tables + 1 + 1);
	assert_int_equal(walk(G0 + 0x3456789, FAKE_HPA + GiB + 0x3456789, &size), EPTE_RWX);
	assert_int_equal(size, 2 * MiB);
}

/* Pages mapping one block in the wrong order, or with other rights, are not merged. */
static void test_restore_no_false_merge(void **state)
{
	assert_int_equal(ept_dirty_protect(&e, gpa(M0), 2 * MiB, EPT_DIRTY_WP), 0);
	assert_int_equal(ept_unmap(&e, gpa(M0 + 2 * MiB), 2 * MiB), 0);
	/* [M0 + 2 MiB, + 2 MiB): 4 KiB leaves of the block, two of them swapped. */
	assert_int_equal(ept_dirty_map(&e, gpa(M0 + 2 * MiB), hpa(FAKE_HPA + 6 * MiB), 2 * MiB,
				       EPTE_R | EPTE_W | EPTE_MT_WB, EPT_DIRTY_WP),
			 0);
	assert_int_equal(ept_unmap(&e, gpa(M0 + 2 * MiB), 2 * PAGE_SIZE), 0);
	assert_int_equal(ept_map(&e, gpa(M0 + 2 * MiB), hpa(FAKE_HPA + 6 * MiB + PAGE_SIZE),
				 PAGE_SIZE, EPTE_R | EPTE_W | EPTE_MT_WB),
			 0);
	assert_int_equal(ept_map(&e, gpa(M0 + 2 * MiB + PAGE_SIZE), hpa(FAKE_HPA + 6 * MiB),
				 PAGE_SIZE, EPTE_R | EPTE_W | EPTE_MT_WB),
			 0);
	assert_int_equal(ept_dirty_restore(&e, gpa(M0), 4 * MiB, EPT_DIRTY_WP), 1);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 16 + 512);
	/* Rights differing in one page (X, which logging never touches): no merge either. */
	assert_int_equal(ept_dirty_protect(&e, gpa(M0), 2 * MiB, EPT_DIRTY_WP), 0);
	assert_int_equal(ept_unmap(&e, gpa(M0 + 4 * PAGE_SIZE), PAGE_SIZE), 0);
	assert_int_equal(ept_map(&e, gpa(M0 + 4 * PAGE_SIZE),
				 hpa(FAKE_HPA + 4 * MiB + 4 * PAGE_SIZE), PAGE_SIZE,
				 EPTE_RWX | EPTE_MT_WB),
			 0);
	assert_int_equal(ept_dirty_restore(&e, gpa(M0), 2 * MiB, EPT_DIRTY_WP), 0);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 0);
}

/*
 * -ENOMEM at each split of 4 MiB inside the 1 GiB leaf (a PD, then two PTs): every
 * translation as before; the third allocation lets it through.
 */
static void test_enomem(void **state)
{
	for (unsigned long extra = 0; extra <= 3; extra++) {
		unsigned tables = e.table_pages;

		fake_page_limit = fake_page_allocs + extra;
		assert_int_equal(ept_dirty_protect(&e, gpa(G0), 4 * MiB, EPT_DIRTY_WP),
				 extra < 3 ? -ENOMEM : 0);
		assert_int_equal(e.table_pages, tables + extra);
		fake_page_limit = ~0UL;
		for (uint64_t o = 0; o < 8 * MiB; o += 256 * KiB)
			walk(G0 + o + 8, FAKE_HPA + GiB + o + 8, NULL);
		assert_int_equal(e.leaves[EPT_LEAF_1G], extra ? 0 : 1);
		teardown(state);
		setup(state);
	}
}

/* RAM mapped on first touch while logged: 4 KiB leaves without W, any alignment. */
static void test_dirty_map(void **state)
{
	uint64_t g = 64 * MiB;

	assert_int_equal(ept_dirty_map(&e, gpa(g), hpa(FAKE_HPA + 64 * MiB), 2 * MiB,
				       EPTE_RWX | EPTE_MT_WB, EPT_DIRTY_WP),
			 0);
	all_4k(g, FAKE_HPA + 64 * MiB, 2 * MiB, EPTE_R | EPTE_X);
	assert_true(e.allow_2m && e.allow_1g); /* put back */
	assert_int_equal(ept_dirty_map(&e, gpa(g + 2 * MiB), hpa(FAKE_HPA + 66 * MiB), 2 * MiB,
				       EPTE_RWX | EPTE_MT_WB, EPT_DIRTY_PML),
			 0);
	all_4k(g + 2 * MiB, FAKE_HPA + 66 * MiB, 2 * MiB, EPTE_RWX);
	assert_int_equal(ept_dirty_map(&e, gpa(g), hpa(FAKE_HPA), PAGE_SIZE, EPTE_RWX | EPTE_MT_WB,
				       EPT_DIRTY_WP),
			 -EEXIST);
	assert_true(e.allow_2m && e.allow_1g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_protect_splits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_protect_partial, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_protect_pml, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unprotect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reprotect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_merges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore_no_false_merge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enomem, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dirty_map, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
