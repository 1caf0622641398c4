/*
 * Unit tests for run-time RAM slots: memslot_remove keeping the array sorted (against
 * a model over random add/remove sequences), every refusal of vm/slotctl.c's add and
 * remove checks with its errno, and add/remove end to end on a VM's slots and EPT:
 * zeroed frames of the VM's, the leaves alignment allows, the rights asked for, exact
 * teardown (no slot, no leaf, no page left), failures that change nothing.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "test/unit/fake_page.h"
#include "vm/slotctl.h"
#include "vm/vm.h"

#define CFG_RAM	 (4 * MiB)     /* configured RAM [0, 4 MiB) */
#define CFG_MMIO 0xd0000000ULL /* an emulated page */
#define RT_GPA	 (64 * MiB)    /* where the tests add slots */

static struct vm vm;
static unsigned long base_pages; /* pages allocated once the fixture is built */

static int setup(void **state)
{
	struct mem_slot mmio = {gpa_to_gfn(gpa(CFG_MMIO)), 1, hpa(0), REGION_MMIO_EMUL,
				REGION_R | REGION_W,	   1};
	struct mem_slot ram = {gfn(0), CFG_RAM >> PAGE_SHIFT, hpa(0), REGION_RAM, REGION_RWX, 0};
	void *va;

	fake_page_reset();
	memset(&vm, 0, sizeof(vm));
	vm.owner = OWNER_VM(1);
	memslots_init(&vm.slots);
	va = page_alloc(10, vm.owner, &ram.hpa);
	assert_non_null(va);
	assert_int_equal(memslot_add(&vm.slots, &ram), 0);
	assert_int_equal(memslot_add(&vm.slots, &mmio), 0);
	assert_int_equal(ept_init(&vm.ept, vm.owner, true, true), 0);
	assert_int_equal(ept_build(&vm.ept, &vm.slots), 0);
	base_pages = fake_page_allocs;
	return 0;
}

static int teardown(void **state)
{
	ept_destroy(&vm.ept);
	fake_page_reset();
	return 0;
}

/* The whole hypercall minus the vCPU hold: checks, frames, insert. */
static int add(uint64_t base, uint64_t size, uint64_t rights)
{
	struct slotctl_blocks b;
	int ret = slotctl_check_add(&vm, base, size, rights);

	if (!ret)
		ret = slotctl_alloc(&vm, base, size, &b);
	if (ret)
		return ret;
	ret = slotctl_insert(&vm, base, size, (uint32_t)rights, &b);
	if (ret)
		slotctl_free(&vm, &b);
	return ret;
}

static int del(uint64_t base)
{
	struct slotctl_blocks b;
	unsigned idx;
	int ret = slotctl_check_remove(&vm, base, &idx);

	if (ret)
		return ret;
	slotctl_detach(&vm, idx, &b);
	slotctl_free(&vm, &b);
	return 0;
}

static void assert_sorted(const struct memslots *ms)
{
	for (unsigned i = 1; i < ms->nr; i++)
		assert_true(ms->slot[i - 1].base_gfn.v + ms->slot[i - 1].npages <=
			    ms->slot[i].base_gfn.v);
}

/* ---- memslot_remove ---- */

static void test_memslot_remove(void **state)
{
	struct memslots ms;
	struct mem_slot s = {gfn(10), 5, hpa(0x10000), REGION_RAM, REGION_RWX, 0};

	memslots_init(&ms);
	assert_int_equal(memslot_add(&ms, &s), 0);
	s.base_gfn = gfn(30);
	assert_int_equal(memslot_add(&ms, &s), 0);
	s.base_gfn = gfn(20);
	assert_int_equal(memslot_add(&ms, &s), 0);
	assert_int_equal(memslot_remove(&ms, gfn(11)), -ENOENT); /* inside, not the base */
	assert_int_equal(memslot_remove(&ms, gfn(25)), -ENOENT); /* a gap */
	assert_int_equal(memslot_remove(&ms, gfn(0)), -ENOENT);
	assert_int_equal(memslot_remove(&ms, gfn(20)), 0);
	assert_int_equal(ms.nr, 2);
	assert_int_equal(ms.slot[0].base_gfn.v, 10);
	assert_int_equal(ms.slot[1].base_gfn.v, 30);
	assert_null(memslot_find(&ms, gfn_to_gpa(gfn(20))));
	assert_non_null(memslot_find(&ms, gfn_to_gpa(gfn(34))));
	assert_int_equal(memslot_remove(&ms, gfn(20)), -ENOENT); /* twice */
	assert_int_equal(memslot_remove(&ms, gfn(30)), 0);
	assert_int_equal(memslot_remove(&ms, gfn(10)), 0);
	assert_int_equal(ms.nr, 0);
	assert_int_equal(memslot_remove(&ms, gfn(10)), -ENOENT); /* empty */
}

/* Random adds and removes of 1-page slots in 0..127 against a bitmap model. */
static void test_memslot_remove_random(void **state)
{
	struct memslots ms;
	bool model[128] = {false};
	unsigned nr = 0, seed = 12345;

	memslots_init(&ms);
	for (unsigned step = 0; step < 20000; step++) {
		unsigned f;
		struct mem_slot s;

		seed = seed * 1103515245 + 12345;
		f = (seed >> 16) % 128;
		s = (struct mem_slot){gfn(f), 1, hpa((uint64_t)f << 12), REGION_RAM, REGION_R, 0};
		if ((seed >> 8) & 1) {
			int want = model[f] ? -EEXIST : nr == MEMSLOT_MAX ? -ENOSPC : 0;
			assert_int_equal(memslot_add(&ms, &s), want);
			if (!want) {
				model[f] = true;
				nr++;
			}
		} else {
			assert_int_equal(memslot_remove(&ms, gfn(f)), model[f] ? 0 : -ENOENT);
			nr -= model[f];
			model[f] = false;
		}
		assert_int_equal(ms.nr, nr);
		assert_sorted(&ms);
		for (unsigned g = 0; g < 128; g += 7)
			assert_true((memslot_find(&ms, gfn_to_gpa(gfn(g))) != NULL) == model[g]);
	}
}

/* ---- the add checks, one errno each ---- */

static void test_check_add_shape(void **state)
{
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, 2 * MiB, REGION_R | REGION_W), 0);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA + 1, 2 * MiB, REGION_R), -EINVAL);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA + 0x800, 2 * MiB, REGION_R), -EINVAL);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, 2 * MiB + 1, REGION_R), -EINVAL);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, 0, REGION_R), -EINVAL);
	/* rights: all 64 bits */
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, PAGE_SIZE, 0), -ENOTSUP);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, PAGE_SIZE, REGION_W), -ENOTSUP);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, PAGE_SIZE, REGION_X), -ENOTSUP);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, PAGE_SIZE, REGION_R | BIT(3)), -ENOTSUP);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, PAGE_SIZE, REGION_R | BIT(32)), -ENOTSUP);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, PAGE_SIZE, REGION_R | BIT(63)), -ENOTSUP);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, PAGE_SIZE, REGION_RWX), 0);
	/* wrap, and the guest-physical limit: 2^48, or the guest's MAXPHYADDR */
	assert_int_equal(slotctl_check_add(&vm, 0xfffffffffffff000ULL, 0x2000, REGION_R), -ERANGE);
	assert_int_equal(slotctl_check_add(&vm, 0x1000, 0xfffffffffffff000ULL, REGION_R), -ERANGE);
	assert_int_equal(slotctl_check_add(&vm, (1ULL << 48) - PAGE_SIZE, PAGE_SIZE, REGION_R), 0);
	assert_int_equal(slotctl_check_add(&vm, (1ULL << 48) - PAGE_SIZE, 2 * PAGE_SIZE, REGION_R),
			 -ERANGE);
	assert_int_equal(slotctl_check_add(&vm, 1ULL << 48, PAGE_SIZE, REGION_R), -ERANGE);
	vm.maxphyaddr = 36;
	assert_int_equal(slotctl_check_add(&vm, (1ULL << 36) - PAGE_SIZE, PAGE_SIZE, REGION_R), 0);
	assert_int_equal(slotctl_check_add(&vm, 1ULL << 36, PAGE_SIZE, REGION_R), -ERANGE);
	vm.maxphyaddr = 52; /* wider than the EPT's reach: 2^48 still bounds */
	assert_int_equal(slotctl_check_add(&vm, 1ULL << 48, PAGE_SIZE, REGION_R), -ERANGE);
}

static void test_check_add_overlap(void **state)
{
	/* configured RAM [0, 4 MiB): its start, inside, its last page, straddling its end */
	assert_int_equal(slotctl_check_add(&vm, 0, PAGE_SIZE, REGION_R), -EEXIST);
	assert_int_equal(slotctl_check_add(&vm, MiB, PAGE_SIZE, REGION_R), -EEXIST);
	assert_int_equal(slotctl_check_add(&vm, CFG_RAM - PAGE_SIZE, PAGE_SIZE, REGION_R), -EEXIST);
	assert_int_equal(slotctl_check_add(&vm, CFG_RAM - PAGE_SIZE, 2 * PAGE_SIZE, REGION_R),
			 -EEXIST);
	assert_int_equal(slotctl_check_add(&vm, CFG_RAM, PAGE_SIZE, REGION_R), 0); /* just past */
	/* an emulated MMIO page, covered by a range around it */
	assert_int_equal(slotctl_check_add(&vm, CFG_MMIO - MiB, 2 * MiB, REGION_R), -EEXIST);
	assert_int_equal(slotctl_check_add(&vm, CFG_MMIO + PAGE_SIZE, PAGE_SIZE, REGION_R), 0);
	/* a run-time slot */
	assert_int_equal(add(RT_GPA, 2 * MiB, REGION_R | REGION_W), 0);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, 2 * MiB, REGION_R), -EEXIST);
	assert_int_equal(
	    slotctl_check_add(&vm, RT_GPA + 2 * MiB - PAGE_SIZE, 2 * PAGE_SIZE, REGION_R), -EEXIST);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA - MiB, 4 * MiB, REGION_R), -EEXIST);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA + 2 * MiB, PAGE_SIZE, REGION_R), 0);
	assert_int_equal(del(RT_GPA), 0);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA, 2 * MiB, REGION_R), 0);
}

static void test_check_add_limits(void **state)
{
	/* SLOTCTL_MAX run-time slots, then -ENOSPC */
	for (unsigned i = 0; i < SLOTCTL_MAX; i++)
		assert_int_equal(add(RT_GPA + i * 2 * MiB, PAGE_SIZE, REGION_R), 0);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA + 64 * MiB, PAGE_SIZE, REGION_R), -ENOSPC);
	assert_int_equal(del(RT_GPA), 0);
	assert_int_equal(slotctl_check_add(&vm, RT_GPA + 64 * MiB, PAGE_SIZE, REGION_R), 0);
	slotctl_drop_all(&vm);
	assert_int_equal(vm.slotctl.dropped, SLOTCTL_MAX - 1);
	assert_int_equal(vm.slotctl.bytes, 0);
	/* the VM's run-time RAM bound, checked without allocating it */
	assert_int_equal(slotctl_check_add(&vm, 1ULL << 40, SLOTCTL_MAX_BYTES, REGION_R), 0);
	assert_int_equal(
	    slotctl_check_add(&vm, 1ULL << 40, SLOTCTL_MAX_BYTES + PAGE_SIZE, REGION_R), -E2BIG);
	assert_int_equal(add(RT_GPA, 2 * MiB, REGION_R), 0);
	assert_int_equal(slotctl_check_add(&vm, 1ULL << 40, SLOTCTL_MAX_BYTES - 2 * MiB, REGION_R),
			 0);
	assert_int_equal(
	    slotctl_check_add(&vm, 1ULL << 40, SLOTCTL_MAX_BYTES - 2 * MiB + PAGE_SIZE, REGION_R),
	    -E2BIG);
	/* MEMSLOT_MAX slots in the VM: -ENOSPC whatever the run-time table says */
	while (vm.slots.nr < MEMSLOT_MAX) {
		struct mem_slot s = {gpa_to_gfn(gpa(0x100000000ULL + vm.slots.nr * PAGE_SIZE)),
				     1,
				     hpa(0),
				     REGION_MMIO_EMUL,
				     REGION_R,
				     2};
		assert_int_equal(memslot_add(&vm.slots, &s), 0);
	}
	assert_int_equal(slotctl_check_add(&vm, RT_GPA + 64 * MiB, PAGE_SIZE, REGION_R), -ENOSPC);
}

/* ---- the remove checks ---- */

static void test_check_remove(void **state)
{
	unsigned idx = 99;

	assert_int_equal(add(RT_GPA, 2 * MiB, REGION_R | REGION_W), 0);
	assert_int_equal(slotctl_check_remove(&vm, RT_GPA + 4, &idx), -EINVAL);
	assert_int_equal(slotctl_check_remove(&vm, 0, &idx), -EFAULT); /* configured RAM */
	assert_int_equal(slotctl_check_remove(&vm, MiB, &idx), -EFAULT);
	assert_int_equal(slotctl_check_remove(&vm, CFG_MMIO, &idx), -EFAULT);
	assert_int_equal(slotctl_check_remove(&vm, RT_GPA + PAGE_SIZE, &idx), -ENOENT);
	assert_int_equal(slotctl_check_remove(&vm, RT_GPA - PAGE_SIZE, &idx), -ENOENT);
	assert_int_equal(slotctl_check_remove(&vm, 1ULL << 47, &idx), -ENOENT);
	assert_int_equal(idx, 99); /* untouched by a refusal */
	assert_int_equal(slotctl_check_remove(&vm, RT_GPA, &idx), 0);
	assert_int_equal(vm.slotctl.slot[idx].base, RT_GPA);
	assert_int_equal(del(RT_GPA), 0);
	assert_int_equal(slotctl_check_remove(&vm, RT_GPA, &idx), -ENOENT); /* twice */
}

/* ---- add and remove on the slots and the EPT ---- */

static void test_add_remove_2m(void **state)
{
	struct ept_walk_result r;
	const struct mem_slot *s;
	unsigned nr = vm.slots.nr;
	uint8_t *va;

	assert_int_equal(add(RT_GPA, 2 * MiB, REGION_R | REGION_W), 0);
	assert_int_equal(vm.slots.nr, nr + 1);
	assert_sorted(&vm.slots);
	s = memslot_find(&vm.slots, gpa(RT_GPA + 5 * PAGE_SIZE));
	assert_non_null(s);
	assert_int_equal(s->region, MEMSLOT_RUNTIME);
	assert_int_equal(s->kind, REGION_RAM);
	assert_int_equal(page_owner(s->hpa), vm.owner);
	va = hpa_to_va(s->hpa);
	for (uint64_t i = 0; i < 2 * MiB; i++)
		assert_int_equal(va[i], 0);
	assert_int_equal(ept_walk(&vm.ept, gpa(RT_GPA + 0x1234), &r), 0);
	assert_int_equal(r.size, 2 * MiB); /* one 2 MiB leaf */
	assert_int_equal(r.rights, EPTE_R | EPTE_W);
	assert_int_equal(r.mt, EPT_MT_WB);
	assert_int_equal(r.hpa.v, s->hpa.v + 0x1234);
	assert_int_equal(vm.slotctl.bytes, 2 * MiB);
	assert_int_equal(vm.slotctl.added, 1);

	vm.last_slot = s;
	assert_int_equal(del(RT_GPA), 0);
	assert_null(vm.last_slot);
	assert_int_equal(vm.slots.nr, nr);
	assert_null(memslot_find(&vm.slots, gpa(RT_GPA)));
	assert_int_equal(ept_walk(&vm.ept, gpa(RT_GPA + 0x1234), &r), -ENOENT);
	assert_int_equal(ept_walk(&vm.ept, gpa(0x1000), &r), 0); /* configured RAM stays */
	assert_int_equal(fake_page_allocs, base_pages);		 /* frames and tables back */
	assert_int_equal(vm.slotctl.removed, 1);
	assert_int_equal(vm.slotctl.bytes_added, 2 * MiB);
	assert_int_equal(vm.slotctl.bytes_removed, 2 * MiB);
	assert_int_equal(vm.slotctl.bytes, 0);
}

/* 2 MiB + 12 KiB: a 2 MiB block, then 8 KiB and 4 KiB, each its own slot, one removal. */
static void test_add_remove_odd(void **state)
{
	struct ept_walk_result r;
	unsigned nr = vm.slots.nr;

	assert_int_equal(add(RT_GPA, 2 * MiB + 12 * KiB, REGION_R), 0);
	assert_int_equal(vm.slots.nr, nr + 3);
	assert_sorted(&vm.slots);
	assert_int_equal(ept_walk(&vm.ept, gpa(RT_GPA), &r), 0);
	assert_int_equal(r.size, 2 * MiB);
	assert_int_equal(r.rights, EPTE_R);
	assert_int_equal(ept_walk(&vm.ept, gpa(RT_GPA + 2 * MiB + 8 * KiB), &r), 0);
	assert_int_equal(r.size, 4 * KiB);
	assert_int_equal(ept_walk(&vm.ept, gpa(RT_GPA + 2 * MiB + 12 * KiB), &r), -ENOENT);
	assert_int_equal(del(RT_GPA + 2 * MiB), -ENOENT); /* a block's base is not the slot's */
	assert_int_equal(del(RT_GPA), 0);
	assert_int_equal(vm.slots.nr, nr);
	for (uint64_t a = RT_GPA; a < RT_GPA + 2 * MiB + 12 * KiB; a += 4 * KiB)
		assert_int_equal(ept_walk(&vm.ept, gpa(a), &r), -ENOENT);
	assert_int_equal(fake_page_allocs, base_pages);
}

/* Out of frames, out of slots, out of EPT tables: refused, nothing kept. */
static void test_add_failures(void **state)
{
	struct slotctl_blocks b;
	unsigned nr = vm.slots.nr;

	fake_page_limit = fake_page_allocs + 1; /* the 2 MiB block, no second */
	assert_int_equal(add(RT_GPA, 2 * MiB + 4 * KiB, REGION_R), -ENOMEM);
	assert_int_equal(fake_page_allocs, base_pages);
	/* frames fine, but the EPT cannot get the tables it needs (a new PDPT and PD) */
	fake_page_limit = fake_page_allocs + 2;
	assert_int_equal(add(1ULL << 40, 2 * MiB, REGION_R), -ENOMEM);
	assert_int_equal(vm.slots.nr, nr);
	assert_int_equal(fake_page_allocs, base_pages);
	assert_int_equal(vm.slotctl.bytes, 0);
	fake_page_limit = ~0UL;
	/* two blocks needed, one slot left */
	while (vm.slots.nr < MEMSLOT_MAX - 1) {
		struct mem_slot s = {gpa_to_gfn(gpa(0x100000000ULL + vm.slots.nr * PAGE_SIZE)),
				     1,
				     hpa(0),
				     REGION_MMIO_EMUL,
				     REGION_R,
				     2};
		assert_int_equal(memslot_add(&vm.slots, &s), 0);
	}
	assert_int_equal(slotctl_alloc(&vm, RT_GPA, 3 * PAGE_SIZE, &b), -ENOSPC);
	assert_int_equal(fake_page_allocs, base_pages);
	assert_int_equal(add(RT_GPA, 4 * PAGE_SIZE, REGION_R), 0); /* one 16 KiB block fits */
}

/* Restart and stop: every run-time slot goes, counted as dropped. */
static void test_drop_all(void **state)
{
	struct ept_walk_result r;

	assert_int_equal(add(RT_GPA, 2 * MiB, REGION_RWX), 0);
	assert_int_equal(add(RT_GPA + 8 * MiB, 16 * KiB, REGION_R | REGION_W), 0);
	assert_int_equal(del(RT_GPA + 8 * MiB), 0);
	assert_int_equal(add(RT_GPA + 16 * MiB, 4 * MiB, REGION_R), 0);
	slotctl_drop_all(&vm);
	assert_int_equal(vm.slotctl.added, 3);
	assert_int_equal(vm.slotctl.removed, 3);
	assert_int_equal(vm.slotctl.dropped, 2);
	assert_int_equal(vm.slotctl.bytes, 0);
	assert_int_equal(ept_walk(&vm.ept, gpa(RT_GPA), &r), -ENOENT);
	assert_int_equal(ept_walk(&vm.ept, gpa(RT_GPA + 16 * MiB), &r), -ENOENT);
	assert_int_equal(fake_page_allocs, base_pages);
	slotctl_drop_all(&vm); /* nothing left: nothing done */
	assert_int_equal(vm.slotctl.dropped, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memslot_remove),
	    cmocka_unit_test(test_memslot_remove_random),
	    cmocka_unit_test_setup_teardown(test_check_add_shape, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_add_overlap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_add_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_remove_2m, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_remove_odd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drop_all, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
