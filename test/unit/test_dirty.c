/*
 * Unit tests for vm/dirty.c over a VM whose RAM is zeroed and mapped on first touch
 * (vm/ramzero.c), its guest's writes played as the CPU would take them (EPT
 * violation on a missing or write-protected leaf, then the store): harvests against
 * a model over random write sets (seeded), enable/disable idempotence and
 * accounting, the bitmap bounds, HC_DIRTY_LOG's refusals, the PML drain, flushes.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/console.h"
#include "lib/errno.h"
#include "mm/gmem.h"
#include "test/unit/fake_page.h"
#include "vm/vm.h"

#define R0_PAGES 1024 /* region 0: RAM [0, 4 MiB), two 2 MiB chunks */
#define R1_GPA	 (4 * MiB)
#define R1_PAGES 16 /* region 1: RAM, 64 KiB */
#define R3_GPA	 (8 * MiB)

static struct vm vm;
static struct vcpu vcpus[1];
static struct vm_config cfg;
static struct vm_region regions[4];
static uint8_t *ram0, *ram1, *rom, *ram3;
static unsigned shootdowns;
static char out[4096];
static size_t out_len;

static void t_kick(struct vcpu *v) {}
static uint64_t t_rip(struct vcpu *v)
{
	return 0;
}
static uint64_t t_now(void)
{
	return 0;
}
static void t_shootdown(struct vcpu *self)
{
	assert_ptr_equal(self, &vcpus[0]);
	shootdowns++;
}
static const struct vcpu_ops ops = {
    .kick = t_kick, .rip = t_rip, .now = t_now, .shootdown = t_shootdown};

static void t_write(const char *s, size_t n)
{
	if (out_len + n < sizeof(out)) {
		memcpy(out + out_len, s, n);
		out_len += n;
		out[out_len] = '\0';
	}
}
static unsigned t_cpu(void)
{
	return 0;
}
static const struct console_backend t_console = {.write = t_write, .cpu = t_cpu};

static void add_slot(unsigned region, void *va)
{
	const struct vm_region *r = &regions[region];
	struct mem_slot s = {
	    gpa_to_gfn(gpa(r->gpa)), r->size >> PAGE_SHIFT, va_to_hpa(va), r->kind, r->rights,
	    (uint16_t)region};

	assert_int_equal(memslot_add(&vm.slots, &s), 0);
}

static int setup(void **state)
{
	fake_page_reset();
	memset(&vm, 0, sizeof(vm));
	memset(vcpus, 0, sizeof(vcpus));
	regions[0] = (struct vm_region)RAM(0, R0_PAGES * PAGE_SIZE);
	regions[1] = (struct vm_region)RAM(R1_GPA, R1_PAGES * PAGE_SIZE);
	regions[2] = (struct vm_region)ROM(6 * MiB, PAGE_SIZE, "rom");
	regions[3] = (struct vm_region){
	    .gpa = R3_GPA, .size = 4 * PAGE_SIZE, .kind = REGION_RAM, .rights = REGION_R};
	cfg = (struct vm_config){.name = "dl", .regions = regions, .nr_regions = 4};
	vm.cfg = &cfg;
	vm.vcpu_ops = &ops;
	vm.vcpus = vcpus;
	vm.nr_vcpus = 1;
	vcpus[0].vm = &vm;
	ram0 = page_alloc(10, OWNER_VM(0), NULL);
	ram1 = page_alloc(4, OWNER_VM(0), NULL);
	rom = page_alloc(0, OWNER_VM(0), NULL);
	ram3 = page_alloc(2, OWNER_VM(0), NULL);
	memslots_init(&vm.slots);
	for (unsigned i = 0; i < 4; i++)
		add_slot(i, i == 0 ? ram0 : i == 1 ? ram1 : i == 2 ? rom : ram3);
	assert_int_equal(ept_init(&vm.ept, OWNER_VM(0), true, true), 0);
	assert_int_equal(ept_build(&vm.ept, &vm.slots), 0);
	assert_int_equal(ramzero_init(&vm), 0);
	ramzero_reset(&vm);
	assert_int_equal(vm_dirty_init(&vm, EPT_DIRTY_WP), 0);
	shootdowns = 0;
	out_len = 0;
	console_init(&t_console);
	return 0;
}

static int teardown(void **state)
{
	for (unsigned i = 0; i < 4; i++)
		if (vm.dirty.log[i].bitmap)
			assert_int_equal(vm_dirty_enable(&vm, NULL, i, false), 0);
	assert_int_equal(vm.dirty.bitmap_bytes, 0);
	ept_destroy(&vm.ept);
	fake_page_reset();
	return 0;
}

/* The guest stores a byte at @g, taking the exits a CPU would (first touch, protection). */
static void guest_write(uint64_t g)
{
	for (unsigned tries = 0; tries < 3; tries++) {
		struct ept_walk_result r;
		int err = ept_walk(&vm.ept, gpa(g), &r);

		if (err == -ENOENT) {
			assert_true(ramzero_fault(&vcpus[0], gpa(g)));
			continue;
		}
		assert_int_equal(err, 0);
		if (!(r.rights & EPTE_W)) {
			assert_true(
			    vm_dirty_fault(&vcpus[0], memslot_find(&vm.slots, gpa(g)), gpa(g)));
			continue;
		}
		*(uint8_t *)hpa_to_va(r.hpa) = 0x5a;
		return;
	}
	fail_msg("write at 0x%lx never completed", g);
}

/* Is the page at @g writable by the guest without an exit now? */
static bool writable(uint64_t g)
{
	struct ept_walk_result r;

	return ept_walk(&vm.ept, gpa(g), &r) == 0 && (r.rights & EPTE_W);
}

static uint64_t rng = 0x5eed;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * Random write sets over region 0 (seeded): each harvest is exactly the pages written
 * since the last, every page left out of it takes a fault on its next write, and the
 * pages it names are write-protected again. Now and then logging goes off and on.
 */
static void test_harvest_model(void **state)
{
	uint64_t model[R0_PAGES / 64], got[R0_PAGES / 64];

	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 0, true), 0);
	memset(model, 0, sizeof(model));
	for (unsigned round = 0; round < 60; round++) {
		unsigned n = (unsigned)(rnd() % 200);
		long set = 0;

		for (unsigned k = 0; k < n; k++) {
			/* Clustered in one chunk on odd rounds: a 2 MiB chunk's first touch. */
			uint64_t p = round % 2 ? rnd() % 512 : rnd() % R0_PAGES;

			guest_write(p * PAGE_SIZE + rnd() % PAGE_SIZE);
			model[p / 64] |= BIT(p % 64);
		}
		for (unsigned w = 0; w < R0_PAGES / 64; w++)
			set += __builtin_popcountll(model[w]);
		memset(got, 0xff, sizeof(got));
		assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 0, got, R0_PAGES), set);
		assert_memory_equal(got, model, sizeof(got));
		for (unsigned p = 0; p < R0_PAGES; p++)
			assert_false(writable(p * PAGE_SIZE));
		memset(model, 0, sizeof(model));
		assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 0, got, R0_PAGES), 0);
		if (round % 10 == 9) { /* off: all writable, 2 MiB leaves again; on: clean */
			assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 0, false), 0);
			assert_int_equal(vm.ept.leaves[EPT_LEAF_4K], 1); /* the ROM page */
			assert_int_equal(vm.ept.leaves[EPT_LEAF_2M], 2);
			guest_write(3 * PAGE_SIZE);
			assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 0, true), 0);
			assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 0, got, R0_PAGES), 0);
		}
	}
	assert_true(vm.dirty.wp_faults > 1000);
	assert_int_equal(vm.dirty.harvests, 60 * 2 + 6);
}

/* A write to a clean page faults once; after the harvest it faults again. */
static void test_write_fault_cycle(void **state)
{
	uint64_t bm[R0_PAGES / 64];
	const struct mem_slot *s = memslot_find(&vm.slots, gpa(0));
	struct ept_walk_result r;

	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 0, true), 0);
	assert_int_equal(shootdowns, 1);
	/* First touch maps the chunk as 4 KiB leaves without W; zeroing is no write. */
	assert_true(ramzero_fault(&vcpus[0], gpa(2 * MiB + 5 * PAGE_SIZE)));
	assert_int_equal(ept_walk(&vm.ept, gpa(2 * MiB + 5 * PAGE_SIZE), &r), 0);
	assert_int_equal(r.size, PAGE_SIZE);
	assert_int_equal(r.rights, EPTE_R | EPTE_X);
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 0, bm, R0_PAGES), 0);
	assert_int_equal(shootdowns, 1); /* nothing re-protected: no flush */
	assert_true(vm_dirty_fault(&vcpus[0], s, gpa(2 * MiB + 5 * PAGE_SIZE + 9)));
	assert_true(writable(2 * MiB + 5 * PAGE_SIZE));
	/* A second fault there (another vCPU's stale translation) is ours too, counted. */
	assert_true(vm_dirty_fault(&vcpus[0], s, gpa(2 * MiB + 5 * PAGE_SIZE)));
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 0, bm, R0_PAGES), 1);
	assert_int_equal(bm[(512 + 5) / 64], BIT((512 + 5) % 64));
	assert_int_equal(shootdowns, 2);
	assert_false(writable(2 * MiB + 5 * PAGE_SIZE));
	/* Not logged, not mapped, or a region without W: a real violation. */
	assert_false(vm_dirty_fault(&vcpus[0], s, gpa(7 * PAGE_SIZE)));
	assert_false(vm_dirty_fault(&vcpus[0], memslot_find(&vm.slots, gpa(R1_GPA)), gpa(R1_GPA)));
	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 3, true), 0);
	assert_false(vm_dirty_fault(&vcpus[0], memslot_find(&vm.slots, gpa(R3_GPA)), gpa(R3_GPA)));
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 3, bm, 4), 0);
	assert_int_equal(vm.dirty.wp_faults, 2);
}

/* On twice, off twice: the second call of each changes nothing, flushes nothing. */
static void test_idempotent(void **state)
{
	uint64_t bm[1], allocs = fake_page_allocs, tables = vm.ept.table_pages;

	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 1, true), 0);
	assert_int_equal(vm.dirty.bitmap_bytes, PAGE_SIZE);
	assert_int_equal(fake_page_allocs, allocs + 1);
	guest_write(R1_GPA + 3 * PAGE_SIZE);
	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 1, true), 0);
	assert_int_equal(shootdowns, 1);
	assert_int_equal(vm.dirty.bitmap_bytes, PAGE_SIZE);
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 1, bm, R1_PAGES), 1); /* kept */
	assert_int_equal(bm[0], BIT(3));
	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 1, false), 0);
	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 1, false), 0);
	assert_int_equal(shootdowns, 3); /* harvest, first off */
	assert_int_equal(vm.dirty.bitmap_bytes, 0);
	assert_int_equal(fake_page_allocs - allocs, vm.ept.table_pages - tables); /* bitmap freed */
	assert_true(writable(R1_GPA + 5 * PAGE_SIZE));
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 1, bm, R1_PAGES), -EINVAL);
}

/* Bounds: the region's words written and no more; short or missing buffers refused. */
static void test_bitmap_bounds(void **state)
{
	uint64_t bm[3] = {0, 0xdead, 0xbeef};

	assert_int_equal(vm_dirty_enable(&vm, NULL, 1, true), 0);
	guest_write(R1_GPA + 15 * PAGE_SIZE);
	assert_int_equal(vm_dirty_harvest(&vm, NULL, 1, bm, R1_PAGES - 1), -ENOSPC);
	assert_int_equal(vm_dirty_harvest(&vm, NULL, 1, NULL, R1_PAGES), -EINVAL);
	assert_int_equal(vm_dirty_harvest(&vm, NULL, 1, bm, R1_PAGES), 1);
	assert_int_equal(bm[0], BIT(15));
	assert_int_equal(bm[1], 0xdead);
	/* Bits past the region never set: 16 pages in a 64-bit word. */
	assert_int_equal(vm_dirty_harvest(&vm, NULL, 1, bm, 64), 0);
	assert_int_equal(bm[0], 0);
	for (unsigned r = 2; r < 6; r++) { /* ROM, and no region at all */
		if (r == 3)
			continue;
		assert_int_equal(vm_dirty_enable(&vm, NULL, r, true), -EINVAL);
		assert_int_equal(vm_dirty_harvest(&vm, NULL, r, bm, 64), -EINVAL);
	}
	assert_int_equal(vm_dirty_enable(&vm, NULL, ~0u, true), -EINVAL);
	assert_int_equal(vm_dirty_harvest(&vm, NULL, 0, bm, 1u << 20), -EINVAL); /* off */
}

/* With no vCPU running (@self NULL), every vCPU finds a flush waiting at its entry. */
static void test_flush_without_self(void **state)
{
	uint64_t gen = vm.ept_gen, bm[1];

	assert_int_equal(vm_dirty_enable(&vm, NULL, 1, true), 0);
	assert_int_equal(shootdowns, 0);
	assert_true(vcpus[0].work & VCPU_WORK_FLUSH);
	assert_int_equal(vm.ept_gen, gen + 1);
	vcpus[0].work = 0;
	guest_write(R1_GPA);
	assert_int_equal(vm_dirty_harvest(&vm, NULL, 1, bm, R1_PAGES), 1);
	assert_true(vcpus[0].work & VCPU_WORK_FLUSH);
	assert_int_equal(vm.ept_gen, gen + 2);
}

/* -ENOMEM for the bitmap or a split: logging stays off, the map as it was. */
static void test_enable_enomem(void **state)
{
	guest_write(0); /* chunk 0 mapped by one 2 MiB leaf */
	fake_page_limit = fake_page_allocs;
	assert_int_equal(vm_dirty_enable(&vm, NULL, 0, true), -ENOMEM); /* the bitmap */
	fake_page_limit = fake_page_allocs + 1;
	assert_int_equal(vm_dirty_enable(&vm, NULL, 0, true), -ENOMEM); /* the split */
	fake_page_limit = ~0UL;
	assert_null(vm.dirty.log[0].bitmap);
	assert_int_equal(vm.dirty.bitmap_bytes, 0);
	assert_true(writable(0));
	assert_int_equal(vm.ept.leaves[EPT_LEAF_2M], 1);
	assert_int_equal(vm_dirty_enable(&vm, NULL, 0, true), 0);
	assert_false(writable(0));
}

/* REGION_F_LOG_DIRTY: logging from the build, RAM mapped later comes protected. */
static void test_log_dirty_flag(void **state)
{
	uint64_t bm[1];

	teardown(state);
	setup(state);
	regions[1].flags = REGION_F_LOG_DIRTY;
	assert_int_equal(vm_dirty_init(&vm, EPT_DIRTY_WP), 0);
	regions[1].flags = 0;
	assert_non_null(vm.dirty.log[1].bitmap);
	assert_null(vm.dirty.log[0].bitmap);
	guest_write(R1_GPA + PAGE_SIZE);
	guest_write(R1_GPA + PAGE_SIZE + 1);
	assert_int_equal(vm_dirty_harvest(&vm, NULL, 1, bm, R1_PAGES), 1);
	assert_int_equal(bm[0], BIT(1));
	assert_int_equal(vm.dirty.wp_faults, 1);
}

/* HC_DIRTY_LOG: every argument checked; the bitmap lands in guest RAM; a failed copy loses nothing. */
static void test_hypercall(void **state)
{
	uint64_t buf = 3 * MiB, words[2];

	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 0, 1, 0, 0), 0);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 3, 1, 0, 0), -EINVAL);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 1ULL << 32, 1, 0, 0), -EINVAL);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 0, 1ULL << 32 | 1, 0, 0), -EINVAL);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 0, 2, 0, 0), -EINVAL);	/* ROM */
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 0, buf, 4096), -EINVAL); /* off */
	guest_write(R1_GPA + 2 * PAGE_SIZE);
	guest_write(R1_GPA + 9 * PAGE_SIZE);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, buf, 7), -ENOSPC);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, 6 * MiB, 8), -EFAULT); /* ROM */
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, 64 * MiB, 8), -EFAULT);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, ~0ULL - 3, 8), -EFAULT);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, R3_GPA, 8), -EFAULT); /* r/o */
	memset(words, 0xee, sizeof(words));
	assert_int_equal(gmem_write(&vm.slots, gpa(buf), words, sizeof(words)), 0);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, buf, 16), 2);
	assert_int_equal(gmem_read(&vm.slots, gpa(buf), words, sizeof(words)), 0);
	assert_int_equal(words[0], BIT(2) | BIT(9));
	assert_int_equal(words[1], 0xeeeeeeeeeeeeeeeeULL); /* one word: 16 pages */
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, buf, 8), 0);
	/* A bitmap buffer inside a logged region: the hypervisor's write is logged. */
	guest_write(R1_GPA + 4 * PAGE_SIZE);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, R1_GPA + 8, 8), 1);
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 2, 1, buf, 8), 1);
	assert_int_equal(gmem_read(&vm.slots, gpa(buf), words, 8), 0);
	assert_int_equal(words[0], BIT(0));
	assert_int_equal(vm_dirty_hypercall(&vm, &vcpus[0], 1, 1, 0, 0), 0);
}

/* PML: the log's entries go to their regions' bitmaps; others dropped; slots emptied. */
static void test_pml_drain(void **state)
{
	uint64_t *pml = calloc(VM_DIRTY_PML_SLOTS, 8), bm[R0_PAGES / 64];

	teardown(state);
	setup(state);
	assert_non_null(pml);
	assert_int_equal(vm_dirty_init(&vm, EPT_DIRTY_PML), 0);
	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 0, true), 0);
	assert_true(ramzero_fault(&vcpus[0], gpa(0)));
	assert_true(writable(0)); /* PML: W kept, D clear */
	for (unsigned i = 0; i < VM_DIRTY_PML_SLOTS; i++)
		pml[i] = VM_DIRTY_PML_EMPTY;
	pml[511] = 5 * PAGE_SIZE;
	pml[510] = 7 * PAGE_SIZE;
	pml[509] = 5 * PAGE_SIZE;
	pml[508] = R1_GPA; /* not logged: dropped */
	vcpus[0].hw.pml = pml;
	/* Logged before region 1 was on: no write since enable, dropped by the enable. */
	pml[507] = R1_GPA + PAGE_SIZE;
	assert_int_equal(vm_dirty_enable(&vm, &vcpus[0], 1, true), 0);
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 1, bm, R1_PAGES), 0);
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 0, bm, R0_PAGES), 2);
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 1, bm + 1, R1_PAGES), 0);
	assert_int_equal(bm[0], BIT(5) | BIT(7));
	assert_int_equal(vm.dirty.pml_logged, 5);
	for (unsigned i = 0; i < VM_DIRTY_PML_SLOTS; i++)
		assert_int_equal(pml[i], VM_DIRTY_PML_EMPTY);
	assert_false(vm_dirty_fault(&vcpus[0], memslot_find(&vm.slots, gpa(0)), gpa(0)));
	assert_int_equal(vm_dirty_harvest(&vm, &vcpus[0], 0, bm, R0_PAGES), 0);
	vcpus[0].hw.pml = NULL;
	free(pml);
}

/* The statistics line. */
static void test_print(void **state)
{
	uint64_t bm[1];

	vm_dirty_print(&vm);
	assert_int_equal(out_len, 0); /* never logged: no line */
	assert_int_equal(vm_dirty_enable(&vm, NULL, 1, true), 0);
	guest_write(R1_GPA);
	assert_int_equal(vm_dirty_harvest(&vm, NULL, 1, bm, R1_PAGES), 1);
	vm_dirty_print(&vm);
	assert_non_null(strstr(out, "vm \"dl\": dirty log (write-protect): 1 write-protect faults, "
				    "0 PML-full exits, 0 PML entries, 1 harvests of 1 pages, "
				    "bitmaps 4096 bytes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_harvest_model, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_fault_cycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bitmap_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flush_without_self, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_enable_enomem, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_log_dirty_flag, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hypercall, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pml_drain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_print, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
