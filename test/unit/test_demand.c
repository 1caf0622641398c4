/*
 * Unit tests for vm/demand.c: the mapping-size decision (region bounds, alignment,
 * the 4 KiB-only flag, a buddy without 2 MiB blocks), blocks zeroed and mapped on first
 * touch, a second touch taking nothing, the bound (a region never holds more than its
 * size), out of memory stopping the VM, gmem over demand RAM (reads of untouched pages
 * are zeros and take nothing, writes take blocks the guest then finds), restart giving
 * every block back, and the ownership audit over demand blocks. Blocks come from a real
 * buddy allocator (mm/buddy.c) over host memory, so its free count is exact.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "emul/gwalk.h"
#include "ept/audit.h"
#include "lib/errno.h"
#include "mm/buddy.h"
#include "mm/gmem.h"
#include "test/unit/fake_page.h"
#include "vm/vm.h"

#define POOL	 (16 * MiB) /* the test buddy's memory */
#define DIRT	 0xa5	    /* what an earlier owner left in every frame */
#define FRAMES2M (DEMAND_CHUNK / PAGE_SIZE)

static struct buddy tb;
static void *tb_meta;
static uint8_t *pool;
static struct vm vm;
static struct vcpu vc = {.vm = &vm}; /* one vCPU: the device lock is a no-op */
static struct vm_config cfg = {.name = "d"};

static int tb_alloc(unsigned order, owner_t owner, hpa_t *out)
{
	return buddy_alloc(&tb, order, owner, out);
}

static void tb_free(hpa_t a, unsigned order, owner_t owner)
{
	assert_int_equal(buddy_free(&tb, a, order, owner), 0);
}

static const struct demand_ops ops = {tb_alloc, tb_free};

/* The EPT and the audit read owner tags through the page interface: ours come from tb. */
static bool tb_owner(hpa_t a, owner_t *owner, uint64_t *len)
{
	if (a.v < (uintptr_t)pool || a.v - (uintptr_t)pool >= POOL)
		return false;
	*owner = buddy_owner(&tb, a);
	return true;
}

/* The buddy over [pool + lo, pool + hi) pieces; every frame dirty first. */
static void pool_init(const uint64_t (*pieces)[2], unsigned n)
{
	size_t sz = buddy_meta_size(POOL / PAGE_SIZE);

	pool = aligned_alloc(2 * MiB, POOL);
	tb_meta = malloc(sz);
	assert_non_null(pool);
	assert_non_null(tb_meta);
	memset(pool, DIRT, POOL);
	assert_int_equal(
	    buddy_init(&tb, tb_meta, sz, pfn((uintptr_t)pool >> PAGE_SHIFT), POOL / PAGE_SIZE), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(buddy_add_free(&tb, hpa((uintptr_t)pool + pieces[i][0]),
						hpa((uintptr_t)pool + pieces[i][1])),
				 0);
	fake_page_owner_hook = tb_owner;
}

/* A VM with one demand region [g, g + size). */
static void vm_setup(uint64_t g, uint64_t size, uint32_t flags)
{
	struct mem_slot s = {gpa_to_gfn(gpa(g)), size >> PAGE_SHIFT, hpa(MEMSLOT_HPA_DEMAND),
			     REGION_RAM,	 REGION_RWX,	     1};

	memset(&vm, 0, sizeof(vm));
	vm.cfg = &cfg;
	vm.owner = OWNER_VM(0);
	vm.state = VM_RUNNING;
	memslots_init(&vm.slots);
	assert_int_equal(ept_init(&vm.ept, OWNER_VM(0), true, true), 0);
	demand_vm_init(&vm, &ops);
	assert_int_equal(demand_add(&vm.demand, g, size, REGION_F_DEMAND | flags, REGION_RWX, 1),
			 0);
	assert_int_equal(memslot_add(&vm.slots, &s), 0);
}

static const uint64_t whole[][2] = {{0, POOL}};

static int setup(void **state)
{
	fake_page_reset();
	pool_init(whole, 1);
	return 0;
}

static int teardown(void **state)
{
	demand_destroy(&vm.demand);
	ept_destroy(&vm.ept);
	fake_page_owner_hook = NULL;
	fake_page_reset();
	free(tb_meta);
	free(pool);
	return 0;
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static struct ept_walk_result walk(uint64_t g)
{
	struct ept_walk_result r = {0};

	assert_int_equal(ept_walk(&vm.ept, gpa(g), &r), 0);
	return r;
}

/* ---- the decision, pure ---- */

static void test_order(void **state)
{
	struct demand_region r = {
	    .gpa = 2 * MiB + 4 * KiB, .size = 6 * MiB, .flags = REGION_F_DEMAND};

	assert_int_equal(demand_order(&r, 2 * MiB + 4 * KiB, 0), 0); /* chunk starts below */
	assert_int_equal(demand_order(&r, 4 * MiB - 1, 0), 0);
	assert_int_equal(demand_order(&r, 4 * MiB, 0), DEMAND_ORDER_2M);
	assert_int_equal(demand_order(&r, 6 * MiB - 1, 0), DEMAND_ORDER_2M);
	assert_int_equal(demand_order(&r, 6 * MiB, 0), DEMAND_ORDER_2M);
	assert_int_equal(demand_order(&r, 8 * MiB, 0), 0); /* [8M, 8M+4K): the region ends */
	assert_int_equal(demand_order(&r, 4 * MiB, 0x1000 | DEMAND_E_TABLE), 0); /* has 4K */
	r.flags |= REGION_F_DEMAND_4K;
	assert_int_equal(demand_order(&r, 4 * MiB, 0), 0);
	r = (struct demand_region){.gpa = 0, .size = 2 * MiB, .flags = REGION_F_DEMAND};
	assert_int_equal(demand_order(&r, 0, 0), DEMAND_ORDER_2M); /* exactly one chunk */
	r.size = 2 * MiB - 4 * KiB;
	assert_int_equal(demand_order(&r, 0, 0), 0);
}

static void test_add_refused(void **state)
{
	struct demand d;

	demand_init(&d, OWNER_VM(0), &ops);
	assert_int_equal(demand_add(&d, 0, 0, REGION_F_DEMAND, REGION_RWX, 0), -EINVAL);
	assert_int_equal(demand_add(&d, 0x800, PAGE_SIZE, REGION_F_DEMAND, REGION_RWX, 0), -EINVAL);
	assert_int_equal(demand_add(&d, 0, 0x1800, REGION_F_DEMAND, REGION_RWX, 0), -EINVAL);
	assert_int_equal(
	    demand_add(&d, 0, VALIDATE_DEMAND_MAX_SIZE + PAGE_SIZE, REGION_F_DEMAND, REGION_RWX, 0),
	    -EINVAL);
	for (unsigned i = 0; i < DEMAND_MAX_REGIONS; i++)
		assert_int_equal(demand_add(&d, i * GiB, MiB, REGION_F_DEMAND, REGION_RWX, 0), 0);
	assert_int_equal(demand_add(&d, 8 * GiB, MiB, REGION_F_DEMAND, REGION_RWX, 0), -ENOSPC);
	/* the largest region's map: 32768 chunks of 8 bytes, one 256 KiB block */
	demand_destroy(&d);
	assert_int_equal(
	    demand_add(&d, 0, VALIDATE_DEMAND_MAX_SIZE, REGION_F_DEMAND, REGION_RWX, 0), 0);
	assert_int_equal(d.r[0].nr_chunks, 32768);
	assert_int_equal(PAGE_SIZE << d.r[0].chunk_order, 256 * KiB);
	demand_destroy(&d);
	memset(&vm, 0, sizeof(vm)); /* teardown's */
}

/* ---- faults ---- */

static void test_fault_2m(void **state)
{
	uint64_t before = buddy_free_frames(&tb);
	struct ept_walk_result r;

	vm_setup(0, 8 * MiB, 0);
	assert_int_equal(ept_walk(&vm.ept, gpa(4 * MiB), &r), -ENOENT); /* absent until touched */
	assert_true(demand_fault(&vc, gpa(4 * MiB + 0x123)));
	r = walk(4 * MiB);
	assert_int_equal(r.size, 2 * MiB);
	assert_int_equal(r.rights, EPTE_RWX);
	assert_int_equal(buddy_owner(&tb, r.hpa), OWNER_VM(0));
	assert_true(all(hpa_to_va(r.hpa), 2 * MiB, 0)); /* zeroed, not the earlier owner's */
	assert_int_equal(buddy_free_frames(&tb), before - FRAMES2M);
	assert_int_equal(vm.demand.st.allocs[1], 1);
	assert_int_equal(vm.demand.st.allocs[0], 0);
	assert_int_equal(vm.demand.st.held[1], 1);
	assert_int_equal(vm.demand.r[0].held, 2 * MiB);
	/* A second vCPU faulting on it finds it mapped: nothing more is taken. */
	assert_true(demand_fault(&vc, gpa(4 * MiB + 0x1000)));
	assert_int_equal(buddy_free_frames(&tb), before - FRAMES2M);
	assert_int_equal(vm.demand.st.faults, 2);
	assert_int_equal(vm.demand.st.allocs[1], 1);
	assert_int_equal(vm.state, VM_RUNNING);
}

static void test_fault_4k_edges(void **state)
{
	uint64_t before = buddy_free_frames(&tb);
	struct ept_walk_result r;

	vm_setup(2 * MiB + 4 * KiB, 6 * MiB, 0); /* [2M+4K, 8M+4K) */
	assert_true(demand_fault(&vc, gpa(3 * MiB)));
	r = walk(3 * MiB);
	assert_int_equal(r.size, 4 * KiB); /* the aligned 2 MiB starts below the region */
	assert_int_equal(buddy_free_frames(&tb), before - 2); /* the frame and its map page */
	assert_int_equal(vm.demand.st.tables, 1);
	assert_true(demand_fault(&vc, gpa(8 * MiB)));
	assert_int_equal(walk(8 * MiB).size, 4 * KiB); /* the region ends 4 KiB in */
	assert_true(demand_fault(&vc, gpa(6 * MiB)));
	assert_int_equal(walk(6 * MiB).size, 2 * MiB);
	assert_int_equal(vm.demand.st.allocs[0], 2);
	assert_int_equal(vm.demand.st.allocs[1], 1);
	/* a chunk that holds 4 KiB pages keeps taking 4 KiB pages */
	assert_true(demand_fault(&vc, gpa(3 * MiB + 8 * KiB)));
	assert_int_equal(walk(3 * MiB + 8 * KiB).size, 4 * KiB);
	assert_int_equal(vm.demand.st.tables, 2);
	assert_int_equal(buddy_free_frames(&tb), before - 3 - 2 - FRAMES2M);
}

static void test_fault_4k_only(void **state)
{
	uint64_t before = buddy_free_frames(&tb);

	vm_setup(0, 512 * MiB, REGION_F_DEMAND_4K); /* bigger than the pool: a bound only */
	for (unsigned i = 0; i < 3; i++)
		assert_true(demand_fault(&vc, gpa(i * 100 * MiB + 0x40)));
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(walk(i * 100 * MiB).size, 4 * KiB);
	assert_int_equal(vm.demand.st.allocs[0], 3);
	assert_int_equal(vm.demand.st.allocs[1], 0);
	assert_int_equal(vm.demand.st.held[0], 3);
	assert_int_equal(vm.demand.st.peak_bytes, 3 * PAGE_SIZE);
	assert_int_equal(buddy_free_frames(&tb), before - 3 - 3); /* 3 frames, 3 map pages */
}

/* A buddy whose free memory is all in pieces below 2 MiB: the fault falls back to 4 KiB. */
static int setup_fragmented(void **state)
{
	static const uint64_t pieces[][2] = {
	    {0, MiB}, {MiB + 4 * KiB, 2 * MiB}, {2 * MiB + 4 * KiB, 4 * MiB - 4 * KiB}};

	fake_page_reset();
	pool_init(pieces, 3);
	assert_true(buddy_largest_free_order(&tb) < DEMAND_ORDER_2M);
	return 0;
}

static void test_no_2m_block(void **state)
{
	uint64_t before = buddy_free_frames(&tb);

	vm_setup(0, 8 * MiB, 0);
	assert_true(demand_fault(&vc, gpa(2 * MiB)));
	assert_int_equal(walk(2 * MiB).size, 4 * KiB);
	assert_int_equal(vm.demand.st.fallbacks, 1);
	assert_int_equal(vm.demand.st.allocs[0], 1);
	assert_int_equal(vm.demand.st.allocs[1], 0);
	assert_int_equal(buddy_free_frames(&tb), before - 2);
}

/* Every page of an odd-sized region touched, twice: it holds exactly its size. */
static void test_bound(void **state)
{
	const uint64_t g = 2 * MiB - 8 * KiB, size = 2 * MiB + 16 * KiB; /* three chunks */
	uint64_t before = buddy_free_frames(&tb), after;
	struct demand_block b;

	vm_setup(g, size, 0);
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t a = g; a < g + size; a += PAGE_SIZE)
			assert_true(demand_fault(&vc, gpa(a)));
	assert_int_equal(vm.demand.r[0].held, size);
	assert_int_equal(vm.demand.st.allocs[1], 1); /* [2M, 4M) */
	assert_int_equal(vm.demand.st.allocs[0], 4); /* two pages each side */
	after = buddy_free_frames(&tb);
	assert_int_equal(before - after, size / PAGE_SIZE + 2); /* plus two map pages */
	spin_lock(&vm.demand.lock);
	assert_int_equal(demand_get(&vm.demand, g - PAGE_SIZE, true, &b), -EFAULT);
	assert_int_equal(demand_get(&vm.demand, g + size, true, &b), -EFAULT);
	spin_unlock(&vm.demand.lock);
	assert_int_equal(buddy_free_frames(&tb), after);
}

/* A pool of 16 frames: the 4 KiB-only region's guest runs out, and the VM is stopped. */
static int setup_small(void **state)
{
	static const uint64_t pieces[][2] = {{0, 64 * KiB}};

	fake_page_reset();
	pool_init(pieces, 1);
	return 0;
}

static void test_out_of_memory(void **state)
{
	unsigned ok = 0;

	vm_setup(0, 64 * MiB, REGION_F_DEMAND_4K);
	while (ok < 100 && demand_fault(&vc, gpa(ok * 2 * MiB)))
		ok++;
	/* each touch in its own chunk takes a frame and a map page: 8 fit in 16 frames */
	assert_int_equal(ok, 8);
	assert_int_equal(vm.state, VM_STOPPED);
	assert_int_equal(vm.exit_status, -ENOMEM);
	assert_string_equal(vm.stop_reason, "demand RAM out of memory");
	assert_int_equal(vm.demand.st.oom, 1);
	assert_int_equal(buddy_free_frames(&tb), 0);
	assert_int_equal(vm.demand.r[0].held, 8 * PAGE_SIZE);
	demand_unmap_all(&vm.demand, &vm.ept);
	demand_release(&vm.demand);
	assert_int_equal(buddy_free_frames(&tb), 16); /* everything back, the map page too */
}

/* ---- the host's view: gmem ---- */

static void test_gmem(void **state)
{
	uint64_t before = buddy_free_frames(&tb);
	uint8_t buf[64], pat[64];
	struct ept_walk_result r;

	vm_setup(0, 8 * MiB, 0);
	memset(buf, 0x11, sizeof(buf));
	assert_int_equal(gmem_read(&vm.slots, gpa(2 * MiB - 32), buf, sizeof(buf)), 0);
	assert_true(all(buf, sizeof(buf), 0)); /* untouched: zeros, nothing taken */
	assert_int_equal(gmem_zero(&vm.slots, gpa(0), 8 * MiB), 0);
	assert_int_equal(buddy_free_frames(&tb), before);
	for (unsigned i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 7 + 1);
	/* across the chunk boundary: two 2 MiB blocks taken by the host */
	assert_int_equal(gmem_write(&vm.slots, gpa(2 * MiB - 32), pat, sizeof(pat)), 0);
	assert_int_equal(vm.demand.st.host_allocs, 2);
	assert_int_equal(buddy_free_frames(&tb), before - 2 * FRAMES2M);
	assert_int_equal(gmem_read(&vm.slots, gpa(2 * MiB - 32), buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pat, sizeof(pat));
	/* not mapped until the guest touches it; then it finds the host's bytes */
	assert_int_equal(ept_walk(&vm.ept, gpa(0), &r), -ENOENT);
	assert_true(demand_fault(&vc, gpa(2 * MiB)));
	r = walk(2 * MiB);
	assert_memory_equal(hpa_to_va(r.hpa), pat + 32, 32);
	assert_int_equal(buddy_free_frames(&tb), before - 2 * FRAMES2M);
}

static void test_gmem_oom(void **state)
{
	uint8_t page[PAGE_SIZE];

	vm_setup(0, 2 * MiB, REGION_F_DEMAND_4K);
	memset(page, 0x5a, sizeof(page));
	/* 16 frames: one map page and 15 data pages; the 16th write has none */
	for (unsigned i = 0; i < 15; i++)
		assert_int_equal(gmem_write(&vm.slots, gpa(i * PAGE_SIZE), page, PAGE_SIZE), 0);
	assert_int_equal(gmem_write(&vm.slots, gpa(15 * PAGE_SIZE), page, PAGE_SIZE), -ENOMEM);
	assert_int_equal(vm.demand.r[0].held, 15 * PAGE_SIZE);
	assert_int_equal(vm.state, VM_RUNNING); /* the host's write fails; the caller decides */
}

/* ---- guest page walks read demand RAM through gmem (as vmx/mmio.c's read_gpa) ---- */

static int walk_read(void *opaque, uint64_t a, void *buf, size_t len)
{
	return gmem_read(&vm.slots, gpa(a), buf, len);
}

static void put(uint64_t a, uint64_t v)
{
	assert_int_equal(gmem_write(&vm.slots, gpa(a), &v, sizeof(v)), 0);
}

static void test_gwalk(void **state)
{
	struct gwalk_ctx g = {.cr0 = BIT(31) | BIT(0), /* PG, PE */
			      .cr3 = 0x1000,
			      .cr4 = BIT(5),		/* PAE */
			      .efer = BIT(8) | BIT(10), /* LME, LMA: 4-level paging */
			      .read_gpa = walk_read};
	uint64_t out = 0;
	uint32_t pfec = 0;

	vm_setup(0, 8 * MiB, REGION_F_DEMAND_4K);
	put(0x1000, 0x2000 | 3);	 /* PML4[0] -> PDPT */
	put(0x2000, 0x3000 | 3);	 /* PDPT[0] -> PD */
	put(0x3000 + 2 * 8, 0x4000 | 3); /* PD[2] (VA 4 MiB) -> PT */
	put(0x4000, 0x5000 | 3);	 /* PT[0] -> the page at GPA 0x5000 */
	assert_int_equal(gwalk_translate(&g, 0x400123, GWALK_WRITE, &out, &pfec), 0);
	assert_int_equal(out, 0x5123);
	/* PD[3] is in a page the host wrote, but never set: zero, not present */
	assert_int_not_equal(gwalk_translate(&g, 0x600000, 0, &out, &pfec), 0);
	assert_int_equal(pfec & 1, 0); /* #PF for a non-present entry */
	/* tables in a page nothing was taken for: all zeros, the walk faults, nothing taken */
	g.cr3 = 0x7000;
	assert_int_not_equal(gwalk_translate(&g, 0x400123, 0, &out, &pfec), 0);
	assert_int_equal(vm.demand.st.allocs[0], 4); /* the four table pages the host wrote */
}

/* ---- restart ---- */

static void test_restart(void **state)
{
	uint64_t before = buddy_free_frames(&tb);
	struct ept_walk_result r;
	uint8_t buf[32];

	vm_setup(2 * MiB - 4 * KiB, 4 * MiB, 0);
	assert_true(demand_fault(&vc, gpa(2 * MiB - 4 * KiB)));
	assert_true(demand_fault(&vc, gpa(3 * MiB)));
	memset(hpa_to_va(walk(2 * MiB).hpa), 0x77, 2 * MiB); /* the guest's secret */
	memset(hpa_to_va(walk(2 * MiB - 4 * KiB).hpa), 0x77, 4 * KiB);
	demand_unmap_all(&vm.demand, &vm.ept);
	demand_release(&vm.demand);
	assert_int_equal(buddy_free_frames(&tb), before);
	assert_int_equal(ept_walk(&vm.ept, gpa(3 * MiB), &r), -ENOENT);
	assert_int_equal(ept_walk(&vm.ept, gpa(2 * MiB - 4 * KiB), &r), -ENOENT);
	assert_int_equal(vm.demand.st.held[0] + vm.demand.st.held[1] + vm.demand.st.tables, 0);
	assert_int_equal(vm.demand.st.released, 2);
	assert_int_equal(vm.ept.leaves[EPT_LEAF_4K] + vm.ept.leaves[EPT_LEAF_2M], 0);
	/* the next boot faults in again and reads zeros, not the secret */
	assert_int_equal(gmem_read(&vm.slots, gpa(3 * MiB), buf, sizeof(buf)), 0);
	assert_true(all(buf, sizeof(buf), 0));
	assert_true(demand_fault(&vc, gpa(3 * MiB)));
	assert_true(all(hpa_to_va(walk(2 * MiB).hpa), 2 * MiB, 0));
	assert_true(demand_fault(&vc, gpa(2 * MiB - 4 * KiB)));
	assert_true(all(hpa_to_va(walk(2 * MiB - 4 * KiB).hpa), 4 * KiB, 0));
}

/* ---- the ownership audit ---- */

static struct audit_violation last;
static void note(void *ctx, const struct audit_violation *v)
{
	last = *v;
}

static void test_audit(void **state)
{
	struct audit_stats st;
	hpa_t h;

	vm_setup(0, 8 * MiB, 0);
	assert_true(demand_fault(&vc, gpa(2 * MiB)));		/* 2 MiB */
	assert_true(demand_fault(&vc, gpa(6 * MiB + 4 * KiB))); /* 2 MiB */
	assert_int_equal(ept_audit(&vm.ept, 0, NULL, note, NULL, &st), 0);
	assert_int_equal(st.leaves[EPT_LEAF_2M], 2);
	assert_int_equal(st.frames, 2 * FRAMES2M);
	/* planted: a demand block handed to another VM behind the EPT's back */
	h = walk(6 * MiB).hpa;
	assert_int_equal(buddy_set_owner(&tb, h, DEMAND_ORDER_2M, OWNER_VM(0), OWNER_VM(1)), 0);
	assert_int_equal(ept_audit(&vm.ept, 0, NULL, note, NULL, &st), 1);
	assert_int_equal(last.kind, AUDIT_OTHER_VM);
	assert_int_equal(last.gpa.v, 6 * MiB);
	assert_int_equal(last.size, 2 * MiB);
	assert_int_equal(buddy_set_owner(&tb, h, DEMAND_ORDER_2M, OWNER_VM(1), OWNER_VM(0)), 0);
	/* ... and one handed to the hypervisor */
	h = walk(2 * MiB).hpa;
	assert_int_equal(buddy_set_owner(&tb, h, DEMAND_ORDER_2M, OWNER_VM(0), OWNER_HYP), 0);
	assert_int_equal(ept_audit(&vm.ept, 0, NULL, note, NULL, &st), 1);
	assert_int_equal(last.kind, AUDIT_HYP);
	assert_int_equal(last.gpa.v, 2 * MiB);
	assert_int_equal(buddy_set_owner(&tb, h, DEMAND_ORDER_2M, OWNER_HYP, OWNER_VM(0)), 0);
	assert_int_equal(ept_audit(&vm.ept, 0, NULL, note, NULL, &st), 0);
}

static void test_format(void **state)
{
	char line[400];

	vm_setup(0, 512 * MiB, REGION_F_DEMAND_4K);
	for (unsigned i = 0; i < 3; i++)
		assert_true(demand_fault(&vc, gpa(i * 64 * MiB)));
	vm.demand.st.fault_tsc = 0;
	demand_format(&vm.demand, line, sizeof(line));
	assert_string_equal(line, "demand RAM: 3 faults (0 TSC each), 0 blocks taken by the host; "
				  "took 3 x 4K + 0 x 2M (0 2M fallbacks, 0 out of memory); holds "
				  "3 x 4K + 0 x 2M = 12 KiB (peak 12 KiB), 3 map pages; 0 blocks "
				  "returned");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order),
	    cmocka_unit_test_setup_teardown(test_add_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fault_2m, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fault_4k_edges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fault_4k_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_2m_block, setup_fragmented, teardown),
	    cmocka_unit_test_setup_teardown(test_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_memory, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_gmem, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gmem_oom, setup_small, teardown),
	    cmocka_unit_test_setup_teardown(test_gwalk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_format, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
