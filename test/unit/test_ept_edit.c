/*
 * Unit tests for ept/ept.c, editing a built EPT: -ENOMEM at every allocation with
 * rollback, ept_build undoing earlier slots, the MMIO marker, unmap with leaf splits
 * and random unmaps leaving no empty table behind.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test/unit/ept_fixture.h"

/* ---- -ENOMEM at every allocation ---- */

static void test_enomem_build(void **state)
{
	struct map m = {.a1g = true, .a2m = true};
	struct memslots ms;
	struct expect x;
	struct ept e;

	gen_map(&m, 0xC0FFEE, 10, 1);
	map_to_slots(&m, &ms);
	expect_map(&m, &x);
	assert_true(x.tables > 8);
	for (unsigned long lim = 0; lim <= x.tables; lim++) {
		fake_page_reset();
		fake_page_limit = lim;
		if (lim == 0) {
			assert_int_equal(ept_init(&e, VM_OWNER, true, true), -ENOMEM);
			assert_int_equal(fake_page_allocs, 0);
			continue;
		}
		assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
		assert_int_equal(ept_build(&e, &ms), lim < x.tables ? -ENOMEM : 0);
		if (lim < x.tables) {
			assert_int_equal(e.table_pages, 1);
			assert_int_equal(fake_page_allocs, 1);
			for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
				assert_int_equal(e.leaves[l], 0);
			for (unsigned i = 0; i < m.n; i++)
				assert_int_equal(
				    ept_walk(&e, gpa(m.r[i].gpa), &(struct ept_walk_result){0}),
				    -ENOENT);
		} else {
			check_counts(&e, &m);
		}
		ept_destroy(&e);
		assert_int_equal(fake_page_allocs, 0);
	}
}

/* A failing map leaves earlier maps and the table count exactly as they were. */
static void test_enomem_map_keeps_tree(void **state)
{
	struct map m = {.n = 1, .a1g = true, .a2m = true};
	struct ept e;
	uint64_t g = GiB - 4 * MiB - 5 * PAGE_SIZE, size = 2 * GiB + 9 * MiB;

	m.r[0] = (struct region){5 * GiB, FAKE_HPA + 5 * GiB, 3 * MiB, REGION_RAM, REGION_RWX};
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(
	    ept_map(&e, gpa(m.r[0].gpa), hpa(m.r[0].hpa), m.r[0].size, EPTE_RWX | EPTE_MT_WB), 0);
	for (unsigned long k = 0;; k++) {
		unsigned tables = e.table_pages;
		int err;

		fake_page_limit = fake_page_allocs + k;
		err = ept_map(&e, gpa(g), hpa(FAKE_HPA + g), size, EPTE_R | EPTE_MT_WB);
		fake_page_limit = ~0UL;
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_int_equal(e.table_pages, tables);
		assert_int_equal(fake_page_allocs, tables);
		check_counts(&e, &m);
		check_map(&e, &m);
	}
	m.r[1] = (struct region){g, FAKE_HPA + g, size, REGION_RAM, REGION_R};
	m.n = 2;
	check_counts(&e, &m);
	check_map(&e, &m);
	ept_destroy(&e);
}

/* ept_build refuses a slot of someone else's frames and undoes the slots before it. */
static void test_owner_build_rollback(void **state)
{
	struct map m = {.a1g = true, .a2m = true};
	struct memslots ms;
	struct ept e;

	gen_map(&m, 0xBADBAD, 12, 1);
	m.r[9].kind = REGION_RAM;
	own(m.r[9].hpa + m.r[9].size / 2 / PAGE_SIZE * PAGE_SIZE, PAGE_SIZE, OWNER_HYP);
	map_to_slots(&m, &ms);
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_build(&e, &ms), -EPERM);
	assert_int_equal(e.table_pages, 1);
	assert_int_equal(fake_page_allocs, 1);
	for (unsigned i = 0; i < m.n; i++) /* nothing must be mapped */
		m.r[i].kind = REGION_MMIO_EMUL;
	check_map(&e, &m);
	ept_destroy(&e);
}

/* ---- MMIO marker ---- */

static void test_mmio_marker(void **state)
{
	struct ept e;
	struct ept_walk_result w;

	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_map(&e, gpa(0), hpa(FAKE_HPA), 2 * MiB, EPTE_RWX | EPTE_MT_WB), 0);
	assert_int_equal(ept_mark_mmio(&e, gpa(0xfee00000)), 0);
	assert_int_equal(e.mmio_markers, 1);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 0);
	assert_int_equal(ept_walk(&e, gpa(0xfee00abc), &w), -EINVAL);
	assert_true(w.mmio);
	assert_int_equal(w.level, 1);
	assert_true(ept_is_mmio_marker(w.entry));
	assert_int_equal(w.entry & EPTE_RWX, EPTE_W); /* write without read */
	assert_int_equal(ept_walk(&e, gpa(0xfee01000), &w), -ENOENT);
	assert_false(w.mmio);
	assert_int_equal(ept_mark_mmio(&e, gpa(0xfee00000)), -EEXIST);
	assert_int_equal(ept_mark_mmio(&e, gpa(0x1000)), -EEXIST); /* inside a 2M leaf */
	assert_int_equal(ept_mark_mmio(&e, gpa(0x1001)), -EINVAL);
	assert_int_equal(ept_map(&e, gpa(0xfee00000), hpa(FAKE_HPA), 0x1000, EPTE_R), -EEXIST);
	/* -ENOMEM leaves no half-built path behind */
	fake_page_limit = fake_page_allocs + 1;
	assert_int_equal(ept_mark_mmio(&e, gpa(0x80000000000)), -ENOMEM);
	fake_page_limit = ~0UL;
	assert_int_equal(e.table_pages, 5);
	assert_int_equal(fake_page_allocs, 5);
	assert_int_equal(ept_unmap(&e, gpa(0xfee00000), 0x1000), 0);
	assert_int_equal(e.mmio_markers, 0);
	assert_int_equal(ept_walk(&e, gpa(0xfee00000), &w), -ENOENT);
	assert_int_equal(e.table_pages, 3);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/* ---- unmap and splits ---- */

static void test_unmap_split(void **state)
{
	struct map m = {.n = 1, .a1g = true, .a2m = true};
	struct ept e;
	struct ept_walk_result w;
	uint64_t g = 4 * GiB, hole = g + 5 * 2 * MiB + 3 * PAGE_SIZE;

	m.r[0] = (struct region){g, FAKE_HPA + g, 2 * GiB, REGION_RAM, REGION_R | REGION_X};
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(
	    ept_map(&e, gpa(g), hpa(m.r[0].hpa), m.r[0].size, EPTE_R | EPTE_X | EPTE_MT_WB), 0);
	check_counts(&e, &m);
	/* no memory for the splits: -ENOMEM, nothing changed, no leak */
	for (unsigned long k = 0; k < 2; k++) {
		fake_page_limit = fake_page_allocs + k;
		assert_int_equal(ept_unmap(&e, gpa(hole), PAGE_SIZE), -ENOMEM);
		fake_page_limit = ~0UL;
		check_counts(&e, &m);
		check_map(&e, &m);
	}
	assert_int_equal(ept_unmap(&e, gpa(hole), PAGE_SIZE), 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 1);
	assert_int_equal(e.leaves[EPT_LEAF_2M], 511);
	assert_int_equal(e.leaves[EPT_LEAF_4K], 511);
	assert_int_equal(e.table_pages, 4);
	assert_int_equal(ept_walk(&e, gpa(hole), &w), -ENOENT);
	assert_int_equal(w.level, 1);
	for (int d = -2; d <= 2; d++) {
		uint64_t a = hole + (uint64_t)(d * (int)PAGE_SIZE) + 0x10;

		if (d == 0)
			continue;
		assert_int_equal(ept_walk(&e, gpa(a), &w), 0);
		assert_int_equal(w.hpa.v, FAKE_HPA + a);
		assert_int_equal(w.rights, EPTE_R | EPTE_X);
		assert_int_equal(w.mt, EPT_MT_WB);
		assert_int_equal(w.level, 1);
	}
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 5), &w), 0); /* other 1G untouched */
	assert_int_equal(w.level, 3);
	/* both ends inside the other 1G leaf: one PD, two PTs */
	assert_int_equal(ept_unmap(&e, gpa(g + GiB + 3 * MiB), 4 * MiB + 8 * PAGE_SIZE), 0);
	assert_int_equal(e.leaves[EPT_LEAF_1G], 0);
	assert_int_equal(e.table_pages, 7);
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 3 * MiB - 1), &w), 0);
	assert_int_equal(w.hpa.v, FAKE_HPA + g + GiB + 3 * MiB - 1);
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 3 * MiB), &w), -ENOENT);
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 4 * MiB), &w), -ENOENT);
	assert_int_equal(w.level, 2); /* a whole 2M leaf went */
	assert_int_equal(ept_walk(&e, gpa(g + GiB + 7 * MiB + 8 * PAGE_SIZE), &w), 0);
	assert_int_equal(w.hpa.v, FAKE_HPA + g + GiB + 7 * MiB + 8 * PAGE_SIZE);
	/* unmapping everything frees every table but the PML4 */
	assert_int_equal(ept_unmap(&e, gpa(0), EPT_GPA_LIMIT), 0);
	assert_int_equal(e.table_pages, 1);
	assert_int_equal(fake_page_allocs, 1);
	for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
		assert_int_equal(e.leaves[l], 0);
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

/*
 * Count tables the leaves present need (walking every leaf of the map) and
 * compare with what the EPT holds: no empty table survives an unmap.
 */
static void check_tables_minimal(const struct ept *e, const struct map *m)
{
	struct set pdpt = {0}, pd = {0}, pt = {0};
	unsigned long leaves[EPT_LEAF_COUNT] = {0};

	for (unsigned i = 0; i < m->n; i++) {
		uint64_t a = m->r[i].gpa, end = a + m->r[i].size;

		while (a < end) {
			struct ept_walk_result w;
			int err = ept_walk(e, gpa(a), &w);
			uint64_t step = 1ULL << (12 + 9 * (w.level - 1));

			if (err == 0) {
				leaves[w.level - 1]++;
				set_add(&pdpt, a >> 39);
				if (w.level < 3)
					set_add(&pd, a >> 30);
				if (w.level < 2)
					set_add(&pt, a >> 21);
			}
			a = ALIGN_DOWN(a, step) + step;
		}
	}
	for (unsigned l = 0; l < EPT_LEAF_COUNT; l++)
		assert_int_equal(e->leaves[l], leaves[l]);
	assert_int_equal(e->table_pages,
			 1 + set_count_free(&pdpt) + set_count_free(&pd) + set_count_free(&pt));
}

/* Random unmaps over a random map, checked against the map minus the holes. */
static void test_unmap_random(void **state)
{
	struct map m = {.a1g = true, .a2m = true};
	struct memslots ms;
	struct ept e;
	uint64_t holes[40][2];

	gen_map(&m, 0x5EED, 10, 2);
	for (unsigned i = 0; i < m.n; i++)
		if (m.r[i].kind == REGION_MMIO_EMUL)
			m.r[i].kind = REGION_RAM;
	map_to_slots(&m, &ms);
	assert_int_equal(ept_init(&e, VM_OWNER, true, true), 0);
	assert_int_equal(ept_build(&e, &ms), 0);
	for (unsigned h = 0; h < ARRAY_SIZE(holes); h++) {
		const struct region *r = &m.r[rnd_below(m.n)];
		static const uint64_t gran[] = {PAGE_SIZE, 2 * MiB, GiB};
		uint64_t start = r->gpa + ALIGN_DOWN(rnd_below(r->size), gran[rnd_below(3)]);
		uint64_t len = PAGE_SIZE * (1 + rnd_below(1024)) + rnd_below(2) * 2 * MiB;

		holes[h][0] = start;
		holes[h][1] = start + len;
		assert_int_equal(ept_unmap(&e, gpa(start), len), 0);
		for (unsigned k = 0; k < 200; k++) {
			uint64_t a =
			    k < 4 ? holes[h][k / 2] - (k % 2) : r->gpa + rnd_below(r->size);
			const struct region *q = map_find(&m, a);
			bool in_hole = false;
			struct ept_walk_result w;
			int err = ept_walk(&e, gpa(a), &w);

			for (unsigned j = 0; j <= h; j++)
				in_hole |= a >= holes[j][0] && a < holes[j][1];
			if (!q || in_hole) {
				assert_int_equal(err, -ENOENT);
				continue;
			}
			assert_int_equal(err, 0);
			assert_int_equal(w.hpa.v, q->hpa + (a - q->gpa));
			assert_int_equal(w.rights, expect_rights(q));
		}
		check_tables_minimal(&e, &m);
	}
	ept_destroy(&e);
	assert_int_equal(fake_page_allocs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_enomem_build, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enomem_map_keeps_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner_build_rollback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmio_marker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unmap_random, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
