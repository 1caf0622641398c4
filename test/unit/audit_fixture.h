/*
 * Shared fixture for the ept/audit.c tests (test_audit.c, test_audit_random.c): a
 * realistic VM built by ept_build from slots over a buddy allocator of fake frames,
 * page_owner() overrides, and collection of the reported violations.
 */
#ifndef TEST_AUDIT_FIXTURE_H
#define TEST_AUDIT_FIXTURE_H

#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ept/audit.h"
#include "lib/errno.h"
#include "test/unit/fake_page.h"

#define FAKE_BASE (1ULL << 47) /* above every real pointer: frames we only pretend exist */
#define FAKE_SIZE (2 * GiB)
#define MMIO_HPA  0xfe000000ULL /* outside the fake range and every allocation: reserved */
#define VM	  1
#define MAXV	  64

/* GPAs of the test VM (vm 1) */
#define G_RAM2M	 (GiB)
#define G_TAIL	 (GiB + 2 * MiB)
#define G_SHM0	 0xc0000000ULL
#define G_LOG	 0xc0200000ULL
#define G_PRIV	 0xc0400000ULL /* free GPA where a test maps vm 0's private shared region */
#define G_PASS	 0xd0000000ULL
#define G_UART	 0xfed00000ULL
#define G_ROM	 0xfff00000ULL
#define RAM_SIZE (GiB + 2 * MiB + 16 * KiB)

static struct buddy B;
static void *meta;
static struct owner_registry reg;
static struct memslots ms;
static struct ept ept;
static hpa_t h_ram1g, h_ram2m, h_tail, h_rom, h_shm0, h_log, h_priv, h_vm0;

/* ---- page_owner(): overrides first, then the buddy allocator over the fake range ---- */

static struct {
	uint64_t hpa, size;
	owner_t owner;
} overrides[64];
static unsigned nr_overrides;

/*
 * The run reported with it ends at the buddy block's end, at the end of the
 * override holding @a, or where a later override starts, whichever comes first.
 */
static inline bool owner_hook(hpa_t a, owner_t *o, uint64_t *len)
{
	uint64_t end = ~0ULL, frames;
	bool found = false;

	for (unsigned i = nr_overrides; i--;) {
		uint64_t s = overrides[i].hpa, e = s + overrides[i].size;

		if (s > a.v)
			end = MIN(end, s);
		if (!found && a.v >= s && a.v < e) {
			found = true;
			*o = overrides[i].owner;
			end = MIN(end, e);
		}
	}
	if (!found) {
		if (a.v < FAKE_BASE || a.v - FAKE_BASE >= FAKE_SIZE)
			return false;
		*o = buddy_owner_run(&B, a, &frames);
		end = MIN(end, ALIGN_DOWN(a.v, PAGE_SIZE) + (frames << PAGE_SHIFT));
	}
	*len = end - a.v;
	return true;
}

static inline void override(uint64_t h, uint64_t size, owner_t o)
{
	assert_true(nr_overrides < ARRAY_SIZE(overrides));
	overrides[nr_overrides].hpa = h;
	overrides[nr_overrides].size = size;
	overrides[nr_overrides++].owner = o;
}

/* ---- the configuration and the VM ---- */

static const struct vm_region vm0_regions[] = {
    {.gpa = 0, .size = 64 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = G_SHM0,
     .size = 2 * MiB,
     .kind = REGION_SHARED,
     .rights = REGION_R | REGION_W,
     .name = "shm0"},
    {.gpa = G_PRIV,
     .size = 64 * KiB,
     .kind = REGION_SHARED,
     .rights = REGION_R | REGION_W,
     .name = "private0"},
};
static const struct vm_region vm1_regions[] = {
    {.gpa = 0, .size = RAM_SIZE, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = G_SHM0, .size = 2 * MiB, .kind = REGION_SHARED, .rights = REGION_R, .name = "shm0"},
    {.gpa = G_LOG,
     .size = 64 * KiB,
     .kind = REGION_SHARED,
     .rights = REGION_R | REGION_W,
     .name = "log"},
    {.gpa = G_PASS,
     .size = 2 * MiB,
     .kind = REGION_MMIO_PASS,
     .rights = REGION_R | REGION_W,
     .hpa = MMIO_HPA},
    {.gpa = G_UART,
     .size = PAGE_SIZE,
     .kind = REGION_MMIO_EMUL,
     .rights = REGION_R | REGION_W,
     .name = "uart"},
    {.gpa = G_ROM,
     .size = 64 * KiB,
     .kind = REGION_ROM,
     .rights = REGION_R | REGION_X,
     .name = "rom"},
};
static const struct vm_config vms[] = {
    {.name = "linux", .regions = vm0_regions, .nr_regions = ARRAY_SIZE(vm0_regions)},
    {.name = "rtos", .regions = vm1_regions, .nr_regions = ARRAY_SIZE(vm1_regions)},
};
static const struct hv_config cfg = {.name = "test", .vms = vms, .nr_vms = 2};

static inline void add_slot(uint64_t g, uint64_t size, hpa_t h, enum region_kind kind,
			    uint32_t rights)
{
	struct mem_slot s = {gpa_to_gfn(gpa(g)), size >> PAGE_SHIFT, h, kind, rights, 0};

	assert_int_equal(memslot_add(&ms, &s), 0);
}

static inline hpa_t alloc(unsigned order, owner_t o)
{
	hpa_t h;

	assert_int_equal(buddy_alloc(&B, order, o, &h), 0);
	return h;
}

static inline void build_vm(void)
{
	h_ram1g = alloc(18, OWNER_VM(VM));
	h_ram2m = alloc(9, OWNER_VM(VM));
	h_tail = alloc(2, OWNER_VM(VM));
	h_rom = alloc(4, OWNER_VM(VM));
	h_vm0 = alloc(9, OWNER_VM(0));
	assert_int_equal(owner_share_create(&reg, &B, "shm0", 9, &h_shm0), 0);
	assert_int_equal(owner_share_create(&reg, &B, "log", 4, &h_log), 0);
	assert_int_equal(owner_share_create(&reg, &B, "private0", 4, &h_priv), 0);
	assert_int_equal(owner_share_grant(&reg, "shm0", 0, REGION_R | REGION_W), 0);
	assert_int_equal(owner_share_grant(&reg, "private0", 0, REGION_R | REGION_W), 0);
	assert_int_equal(owner_share_grant(&reg, "shm0", VM, REGION_R), 0);
	assert_int_equal(owner_share_grant(&reg, "log", VM, REGION_R | REGION_W), 0);

	memslots_init(&ms);
	add_slot(0, GiB, h_ram1g, REGION_RAM, REGION_RWX);
	add_slot(G_RAM2M, 2 * MiB, h_ram2m, REGION_RAM, REGION_RWX);
	add_slot(G_TAIL, 16 * KiB, h_tail, REGION_RAM, REGION_RWX);
	add_slot(G_SHM0, 2 * MiB, h_shm0, REGION_SHARED, REGION_R);
	add_slot(G_LOG, 64 * KiB, h_log, REGION_SHARED, REGION_R | REGION_W);
	add_slot(G_PASS, 2 * MiB, hpa(MMIO_HPA), REGION_MMIO_PASS, REGION_R | REGION_W);
	add_slot(G_UART, PAGE_SIZE, hpa(0), REGION_MMIO_EMUL, REGION_R | REGION_W);
	add_slot(G_ROM, 64 * KiB, h_rom, REGION_ROM, REGION_R | REGION_X);
	assert_int_equal(ept_init(&ept, OWNER_VM(VM), true, true), 0);
	assert_int_equal(ept_build(&ept, &ms), 0);
	assert_int_equal(ept_mark_mmio(&ept, gpa(G_UART)), 0);
}

static inline int setup(void **state)
{
	size_t n = buddy_meta_size(FAKE_SIZE >> PAGE_SHIFT);

	fake_page_reset();
	nr_overrides = 0;
	meta = malloc(n);
	assert_non_null(meta);
	assert_int_equal(
	    buddy_init(&B, meta, n, hpa_to_pfn(hpa(FAKE_BASE)), FAKE_SIZE >> PAGE_SHIFT), 0);
	assert_int_equal(buddy_add_free(&B, hpa(FAKE_BASE), hpa(FAKE_BASE + FAKE_SIZE)), 0);
	owner_registry_init(&reg, &cfg);
	fake_page_owner_hook = owner_hook;
	build_vm();
	return 0;
}

static inline int teardown(void **state)
{
	nr_overrides = 0;
	ept_destroy(&ept);
	fake_page_owner_hook = NULL;
	fake_page_reset();
	free(meta);
	return 0;
}

/* ---- collecting reports ---- */

static struct audit_violation got[MAXV];
static unsigned nr_got;
static struct audit_stats st;

static inline void collect(void *ctx, const struct audit_violation *v)
{
	assert_ptr_equal(ctx, &nr_got);
	if (nr_got < MAXV)
		got[nr_got] = *v;
	nr_got++;
}

static inline int audit(void)
{
	int n;

	nr_got = 0;
	n = ept_audit(&ept, VM, &reg, collect, &nr_got, &st);
	assert_int_equal(n, (int)nr_got);
	assert_int_equal(st.violations, nr_got);
	return n;
}

static inline void expect(unsigned i, uint64_t g, uint64_t h, uint64_t size, enum audit_kind kind,
			  owner_t owner)
{
	assert_true(i < nr_got);
	assert_int_equal(got[i].kind, kind);
	assert_int_equal(got[i].gpa.v, g);
	assert_int_equal(got[i].hpa.v, h);
	assert_int_equal(got[i].size, size);
	assert_int_equal(got[i].owner, owner);
	assert_int_equal(got[i].vm, VM);
}

static inline void expect_line(unsigned i, const char *line)
{
	char buf[256];

	assert_true(i < nr_got);
	assert_int_equal(audit_format(&got[i], buf, sizeof(buf)), (int)strlen(line));
	assert_string_equal(buf, line);
}

/* The entry at @level for @g, which the walk must reach through tables. */
static inline uint64_t *entry_at(uint64_t g, unsigned level)
{
	uint64_t *t = ept.pml4_va;

	for (unsigned l = EPT_LEVELS; l > level; l--) {
		uint64_t e = t[(g >> (PAGE_SHIFT + 9 * (l - 1))) & 511];

		assert_true(e & EPTE_RWX);
		assert_true(l == EPT_LEVELS || !(e & EPTE_LEAF));
		t = hpa_to_va(hpa(e & EPTE_ADDR));
	}
	return &t[(g >> (PAGE_SHIFT + 9 * (level - 1))) & 511];
}

static inline void set_addr(uint64_t *e, uint64_t h)
{
	*e = (*e & ~EPTE_ADDR) | h;
}

#endif
