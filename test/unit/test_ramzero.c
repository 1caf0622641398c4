/*
 * Unit tests for vm/ramzero.c: RAM unmapped by a reset, zeroed 2 MiB at a time on the
 * guest's first touch (and mapped) or the host's (gmem, zeroed only), never twice per
 * boot, never readable with an earlier boot's bytes; ROM untouched; EPT allocation
 * failures retried; eager mode beyond the bitmaps' reach.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "mm/gmem.h"
#include "test/unit/fake_page.h"
#include "vm/vm.h"

#define RAM_GPA	 0
#define RAM_SIZE (4 * MiB) /* two chunks */
#define TAIL_GPA (4 * MiB) /* a 16 KiB RAM slot: chunk 2 holds only it */
#define ROM_GPA	 (6 * MiB)
#define DIRT	 0xa5

static struct vm vm;
static struct vcpu vc = {.vm = &vm}; /* one vCPU: the device lock is a no-op */
static uint8_t *ram, *tail, *rom;

static void add(uint64_t g, uint64_t size, void *va, enum region_kind kind, uint32_t rights)
{
	struct mem_slot s = {
	    gpa_to_gfn(gpa(g)), size >> PAGE_SHIFT, va_to_hpa(va), kind, rights, 0};

	assert_int_equal(memslot_add(&vm.slots, &s), 0);
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static int walk(uint64_t g, struct ept_walk_result *r)
{
	return ept_walk(&vm.ept, gpa(g), r);
}

static int setup(void **state)
{
	fake_page_reset();
	memset(&vm, 0, sizeof(vm));
	ram = page_alloc(10, OWNER_VM(0), NULL);
	tail = page_alloc(2, OWNER_VM(0), NULL);
	rom = page_alloc(0, OWNER_VM(0), NULL);
	assert_non_null(ram);
	assert_non_null(tail);
	assert_non_null(rom);
	memset(ram, DIRT, RAM_SIZE); /* what an earlier owner left */
	memset(tail, DIRT, 16 * KiB);
	memset(rom, 0x77, PAGE_SIZE);
	memslots_init(&vm.slots);
	add(RAM_GPA, RAM_SIZE, ram, REGION_RAM, REGION_RWX);
	add(TAIL_GPA, 16 * KiB, tail, REGION_RAM, REGION_R | REGION_W);
	add(ROM_GPA, PAGE_SIZE, rom, REGION_ROM, REGION_R | REGION_X);
	assert_int_equal(ept_init(&vm.ept, OWNER_VM(0), true, true), 0);
	assert_int_equal(ept_build(&vm.ept, &vm.slots), 0);
	assert_int_equal(ramzero_init(&vm), 0);
	ramzero_reset(&vm);
	return 0;
}

static int teardown(void **state)
{
	ept_destroy(&vm.ept);
	fake_page_reset();
	return 0;
}

/* A reset maps no RAM and zeroes nothing; ROM keeps its leaf and its bytes. */
static void test_reset_unmaps_ram_only(void **state)
{
	struct ept_walk_result r;

	assert_int_equal(vm.ramzero.nr_chunks, 3);
	assert_false(ramzero_ready(&vm.ramzero, 0, 1));
	assert_int_equal(walk(RAM_GPA, &r), -ENOENT);
	assert_int_equal(walk(2 * MiB + 5, &r), -ENOENT);
	assert_int_equal(walk(TAIL_GPA, &r), -ENOENT);
	assert_int_equal(walk(ROM_GPA, &r), 0);
	assert_int_equal(r.hpa.v, va_to_hpa(rom).v);
	assert_true(all(ram, RAM_SIZE, DIRT)); /* nothing paid up front */
	assert_true(all(rom, PAGE_SIZE, 0x77));
	assert_ptr_equal(vm.slots.prepare_ctx, &vm);
}

/* The guest's first touch zeroes that chunk alone and maps it with one 2 MiB leaf. */
static void test_guest_first_touch(void **state)
{
	struct ept_walk_result r;

	assert_true(ramzero_fault(&vc, gpa(2 * MiB + 0x1234)));
	assert_true(all(ram + 2 * MiB, 2 * MiB, 0));
	assert_true(all(ram, 2 * MiB, DIRT));
	assert_int_equal(walk(2 * MiB + 0x1234, &r), 0);
	assert_int_equal(r.size, 2 * MiB);
	assert_int_equal(r.hpa.v, va_to_hpa(ram).v + 2 * MiB + 0x1234);
	assert_int_equal(r.rights, EPTE_RWX);
	assert_int_equal(r.mt, EPT_MT_WB);
	assert_int_equal(walk(RAM_GPA, &r), -ENOENT);
	assert_int_equal(vm.ramzero.guest_faults, 1);
	assert_int_equal(vm.ramzero.guest_maps, 1);
	/* Mapped already: a violation there is a real one, and nothing is zeroed again. */
	ram[2 * MiB] = 1;
	assert_false(ramzero_fault(&vc, gpa(2 * MiB)));
	assert_int_equal(ram[2 * MiB], 1);
	assert_int_equal(vm.ramzero.guest_faults, 1);
	/* Beyond the RAM's chunks: not ours. */
	assert_false(ramzero_fault(&vc, gpa(ROM_GPA)));
	assert_false(ramzero_fault(&vc, gpa(64 * GiB)));
}

/* A small slot: zeroed whole and mapped with its rights, 4 KiB leaves. */
static void test_small_slot(void **state)
{
	struct ept_walk_result r;

	assert_true(ramzero_fault(&vc, gpa(TAIL_GPA + 3 * PAGE_SIZE)));
	assert_true(all(tail, 16 * KiB, 0));
	assert_int_equal(walk(TAIL_GPA, &r), 0);
	assert_int_equal(r.size, PAGE_SIZE);
	assert_int_equal(r.rights, EPTE_R | EPTE_W);
	assert_int_equal(walk(TAIL_GPA + 16 * KiB, &r), -ENOENT);
}

/* The host reading first (a hypercall, the loader) sees zeros; the guest maps without zeroing. */
static void test_host_first_touch(void **state)
{
	uint8_t buf[64];
	struct ept_walk_result r;

	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(gmem_read(&vm.slots, gpa(2 * MiB - 32), buf, sizeof(buf)), 0);
	assert_true(all(buf, sizeof(buf), 0));
	assert_int_equal(vm.ramzero.host_zeroed, 2); /* the read spans chunks 0 and 1 */
	assert_true(all(ram, RAM_SIZE, 0));
	assert_int_equal(walk(RAM_GPA, &r), -ENOENT); /* zeroed, not mapped */
	assert_true(ramzero_ready(&vm.ramzero, 0, RAM_SIZE));
	assert_false(ramzero_ready(&vm.ramzero, RAM_SIZE - 8, 16)); /* runs into the tail's chunk */
	assert_true(ramzero_ready(&vm.ramzero, ROM_GPA, 8)); /* beyond RAM: nothing to zero */
	assert_int_equal(gmem_write(&vm.slots, gpa(0x100), "image", 5), 0);
	assert_int_equal(vm.ramzero.host_zeroed, 2);
	assert_true(ramzero_fault(&vc, gpa(0)));
	assert_memory_equal(ram + 0x100, "image", 5); /* not zeroed a second time */
	assert_int_equal(vm.ramzero.guest_faults, 0);
	assert_int_equal(vm.ramzero.guest_maps, 1);
	assert_int_equal(walk(0x100, &r), 0);
}

/* A restart: what the last boot wrote is gone before anyone can read it. */
static void test_reset_forgets_boot(void **state)
{
	struct ept_walk_result r;
	uint8_t buf[8];

	assert_true(ramzero_fault(&vc, gpa(0)));
	assert_true(ramzero_fault(&vc, gpa(2 * MiB)));
	memset(ram, 0x5e, RAM_SIZE); /* the guest's secret */
	ramzero_reset(&vm);
	assert_int_equal(walk(0, &r), -ENOENT);
	assert_int_equal(walk(2 * MiB, &r), -ENOENT);
	assert_int_equal(gmem_read(&vm.slots, gpa(2 * MiB + 8), buf, sizeof(buf)), 0);
	assert_true(all(buf, sizeof(buf), 0));
	assert_true(ramzero_fault(&vc, gpa(0)));
	assert_true(all(ram, RAM_SIZE, 0));
	assert_int_equal(vm.ramzero.guest_faults, 3);
	assert_true(all(rom, PAGE_SIZE, 0x77));
}

/* No page for an EPT table: the fault is refused, memory stays zeroed, a retry maps. */
static void test_map_fails_then_retries(void **state)
{
	struct ept_walk_result r;

	fake_page_limit = fake_page_allocs; /* the tail's page table went with the reset */
	assert_int_equal(walk(TAIL_GPA, &r), -ENOENT);
	assert_false(ramzero_fault(&vc, gpa(TAIL_GPA)));
	assert_true(all(tail, 16 * KiB, 0));
	assert_int_equal(walk(TAIL_GPA, &r), -ENOENT);
	tail[7] = 9; /* it must not be zeroed again */
	fake_page_limit = ~0UL;
	assert_true(ramzero_fault(&vc, gpa(TAIL_GPA)));
	assert_int_equal(walk(TAIL_GPA, &r), 0);
	assert_int_equal(tail[7], 9);
	assert_int_equal(vm.ramzero.guest_faults, 1);
	assert_int_equal(vm.ramzero.guest_maps, 2);
}

/* RAM beyond what the bitmaps reach: eager, as before, zeroed at reset and kept mapped. */
static void test_eager_beyond_reach(void **state)
{
	struct vm *big = calloc(1, sizeof(*big));
	uint8_t *far = page_alloc(0, OWNER_VM(1), NULL);
	struct mem_slot s = {
	    gpa_to_gfn(gpa(64 * GiB)), 1, va_to_hpa(far), REGION_RAM, REGION_RWX, 0};
	struct ept_walk_result r;
	struct vcpu bvc = {.vm = big};

	assert_non_null(big);
	assert_non_null(far);
	memset(far, DIRT, PAGE_SIZE);
	memslots_init(&big->slots);
	assert_int_equal(memslot_add(&big->slots, &s), 0);
	assert_int_equal(ept_init(&big->ept, OWNER_VM(1), true, true), 0);
	assert_int_equal(ept_build(&big->ept, &big->slots), 0);
	assert_int_equal(ramzero_init(big), 0);
	assert_int_equal(big->ramzero.nr_chunks, 0);
	assert_null(big->slots.prepare);
	ramzero_reset(big);
	assert_true(all(far, PAGE_SIZE, 0));
	assert_int_equal(ept_walk(&big->ept, gpa(64 * GiB), &r), 0);
	assert_false(ramzero_fault(&bvc, gpa(64 * GiB)));
	ept_destroy(&big->ept);
	free(big);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_reset_unmaps_ram_only),
	    T(test_guest_first_touch),
	    T(test_small_slot),
	    T(test_host_first_touch),
	    T(test_reset_forgets_boot),
	    T(test_map_fails_then_retries),
	    T(test_eager_beyond_reach),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
