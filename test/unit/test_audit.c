/*
 * Unit tests for ept/audit.c. A realistic VM (1 GiB + 2 MiB + 16 KiB of RAM, ROM,
 * passthrough MMIO, an emulated device with an MMIO marker, two shared regions)
 * is built by ept_build from slots over a buddy allocator of fake frames. The
 * clean EPT must audit clean; each planted violation (owner tags changed behind
 * the EPT's back, entries edited, ranges mapped on purpose) must be reported with
 * exactly its GPA, size and kind. A randomised test compares against a model
 * computed page by page with ept_walk.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

static bool owner_hook(hpa_t a, owner_t *o)
{
	for (unsigned i = nr_overrides; i--;)
		if (a.v >= overrides[i].hpa && a.v - overrides[i].hpa < overrides[i].size) {
			*o = overrides[i].owner;
			return true;
		}
	if (a.v < FAKE_BASE || a.v - FAKE_BASE >= FAKE_SIZE)
		return false;
	*o = buddy_owner(&B, a);
	return true;
}

static void override(uint64_t h, uint64_t size, owner_t o)
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

static void add_slot(uint64_t g, uint64_t size, hpa_t h, enum region_kind kind, uint32_t rights)
{
	struct mem_slot s = {g >> PAGE_SHIFT, size >> PAGE_SHIFT, h, kind, rights, 0};

	assert_int_equal(memslot_add(&ms, &s), 0);
}

static hpa_t alloc(unsigned order, owner_t o)
{
	hpa_t h;

	assert_int_equal(buddy_alloc(&B, order, o, &h), 0);
	return h;
}

static void build_vm(void)
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

static int setup(void **state)
{
	size_t n = buddy_meta_size(FAKE_SIZE >> PAGE_SHIFT);

	fake_page_reset();
	nr_overrides = 0;
	meta = malloc(n);
	assert_non_null(meta);
	assert_int_equal(buddy_init(&B, meta, n, FAKE_BASE >> PAGE_SHIFT, FAKE_SIZE >> PAGE_SHIFT),
			 0);
	assert_int_equal(buddy_add_free(&B, hpa(FAKE_BASE), hpa(FAKE_BASE + FAKE_SIZE)), 0);
	owner_registry_init(&reg, &cfg);
	fake_page_owner_hook = owner_hook;
	build_vm();
	return 0;
}

static int teardown(void **state)
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

static void collect(void *ctx, const struct audit_violation *v)
{
	assert_ptr_equal(ctx, &nr_got);
	if (nr_got < MAXV)
		got[nr_got] = *v;
	nr_got++;
}

static int audit(void)
{
	int n;

	nr_got = 0;
	n = ept_audit(&ept, VM, &reg, collect, &nr_got, &st);
	assert_int_equal(n, (int)nr_got);
	assert_int_equal(st.violations, nr_got);
	return n;
}

static void expect(unsigned i, uint64_t g, uint64_t h, uint64_t size, enum audit_kind kind,
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

static void expect_line(unsigned i, const char *line)
{
	char buf[256];

	assert_true(i < nr_got);
	assert_int_equal(audit_format(&got[i], buf, sizeof(buf)), (int)strlen(line));
	assert_string_equal(buf, line);
}

/* The entry at @level for @g, which the walk must reach through tables. */
static uint64_t *entry_at(uint64_t g, unsigned level)
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

static void set_addr(uint64_t *e, uint64_t h)
{
	*e = (*e & ~EPTE_ADDR) | h;
}

/* ---- clean ---- */

static void test_clean(void **state)
{
	uint64_t frames = (RAM_SIZE + 2 * MiB + 64 * KiB + 2 * MiB + 64 * KiB) / PAGE_SIZE;

	assert_int_equal(audit(), 0);
	assert_int_equal(st.leaves[EPT_LEAF_1G], 1);
	assert_int_equal(st.leaves[EPT_LEAF_2M], 3);	       /* RAM, shm0, passthrough */
	assert_int_equal(st.leaves[EPT_LEAF_4K], 4 + 16 + 16); /* RAM tail, log, ROM */
	for (unsigned k = 0; k < EPT_LEAF_COUNT; k++)
		assert_int_equal(st.leaves[k], ept.leaves[k]);
	assert_int_equal(st.mmio_markers, 1);
	assert_int_equal(st.passthru_leaves, 1);
	assert_int_equal(st.frames, frames);
	assert_int_equal(st.tables, ept.table_pages);
	for (unsigned k = 0; k < AUDIT_KIND_COUNT; k++)
		assert_int_equal(st.by_kind[k], 0);
	/* Without stats or a reporter the result is the same. */
	assert_int_equal(ept_audit(&ept, VM, &reg, NULL, NULL, NULL), 0);
}

static void test_wrong_vm_or_empty(void **state)
{
	struct ept empty;

	assert_int_equal(ept_audit(&ept, 0, &reg, collect, &nr_got, &st), -EINVAL);
	assert_int_equal(ept_init(&empty, OWNER_VM(0), true, true), 0);
	nr_got = 0;
	assert_int_equal(ept_audit(&empty, 0, &reg, collect, &nr_got, &st), 0);
	assert_int_equal(st.tables, 1);
	assert_int_equal(st.frames, 0);
	ept_destroy(&empty);
}

/* ---- planted violations ---- */

static void test_other_vm_by_tag(void **state)
{
	assert_int_equal(buddy_set_owner(&B, h_ram2m, 9, OWNER_VM(VM), OWNER_VM(0)), 0);
	assert_int_equal(audit(), 1);
	expect(0, G_RAM2M, h_ram2m.v, 2 * MiB, AUDIT_OTHER_VM, OWNER_VM(0));
	assert_int_equal(got[0].rights, EPTE_RWX);
	assert_int_equal(got[0].level, 2);
	assert_int_equal(st.by_kind[AUDIT_OTHER_VM], 1);
	expect_line(0,
		    "audit: vm 1: GPA 0x40000000 -> HPA 0x800040000000 (2M, rwx) belongs to vm 0");
}

static void test_other_vm_by_entry(void **state)
{
	set_addr(entry_at(G_TAIL + PAGE_SIZE, 1), h_vm0.v + 5 * PAGE_SIZE);
	assert_int_equal(audit(), 1);
	expect(0, G_TAIL + PAGE_SIZE, h_vm0.v + 5 * PAGE_SIZE, PAGE_SIZE, AUDIT_OTHER_VM,
	       OWNER_VM(0));
}

/* Single frames inside the 1 GiB leaf: first, middle, last. */
static void test_frames_inside_1g_leaf(void **state)
{
	override(h_ram1g.v, PAGE_SIZE, OWNER_HYP);
	override(h_ram1g.v + 0x12345000, 3 * PAGE_SIZE, OWNER_VM(0));
	override(h_ram1g.v + GiB - PAGE_SIZE, PAGE_SIZE, OWNER_FREE);
	assert_int_equal(audit(), 3);
	expect(0, 0, h_ram1g.v, PAGE_SIZE, AUDIT_HYP, OWNER_HYP);
	expect(1, 0x12345000, h_ram1g.v + 0x12345000, 3 * PAGE_SIZE, AUDIT_OTHER_VM, OWNER_VM(0));
	expect(2, GiB - PAGE_SIZE, h_ram1g.v + GiB - PAGE_SIZE, PAGE_SIZE, AUDIT_FREE, OWNER_FREE);
	assert_int_equal(got[1].level, 3);
	expect_line(1,
		    "audit: vm 1: GPA 0x12345000 -> HPA 0x800012345000 (12K, rwx) belongs to vm 0");
	expect_line(2, "audit: vm 1: GPA 0x3ffff000 -> HPA 0x80003ffff000 (4K, rwx) is free");
}

/* The guest given a view of its own EPT: the PML4 page, a hypervisor frame. */
static void test_hypervisor_frame(void **state)
{
	set_addr(entry_at(G_ROM, 1), ept.pml4.v);
	assert_int_equal(audit(), 1);
	expect(0, G_ROM, ept.pml4.v, PAGE_SIZE, AUDIT_HYP, OWNER_HYP);
	assert_int_equal(got[0].rights, EPTE_R | EPTE_X);
}

/* The VM's block freed behind the EPT's back: one run across four 4 KiB leaves. */
static void test_free_frames(void **state)
{
	assert_int_equal(buddy_free(&B, h_tail, 2, OWNER_VM(VM)), 0);
	assert_int_equal(audit(), 1);
	expect(0, G_TAIL, h_tail.v, 16 * KiB, AUDIT_FREE, OWNER_FREE);
	assert_int_equal(got[0].level, 1);
	expect_line(0, "audit: vm 1: GPA 0x40200000 -> HPA 0x800040200000 (16K, rwx) is free");
}

/* Another VM's shared region, mapped on purpose: ept_map allows any shared owner. */
static void test_shared_without_grant(void **state)
{
	assert_int_equal(ept_map(&ept, gpa(G_PRIV), h_priv, 64 * KiB, EPTE_R | EPTE_MT_WB), 0);
	assert_int_equal(audit(), 1);
	expect(0, G_PRIV, h_priv.v, 64 * KiB, AUDIT_NO_GRANT, OWNER_SHARED(2));
	assert_string_equal(got[0].name, "private0");
	expect_line(0, "audit: vm 1: GPA 0xc0400000 -> HPA 0x800040230000 (64K, r--) is shared "
		       "\"private0\" without a grant");
}

static void test_shared_unregistered_tag(void **state)
{
	override(h_log.v + 4 * PAGE_SIZE, PAGE_SIZE, OWNER_SHARED(9));
	assert_int_equal(audit(), 1);
	expect(0, G_LOG + 4 * PAGE_SIZE, h_log.v + 4 * PAGE_SIZE, PAGE_SIZE, AUDIT_NO_GRANT,
	       OWNER_SHARED(9));
	assert_null(got[0].name);
	/* Without a registry every shared leaf lacks a grant: shm0, then log in three runs. */
	nr_got = 0;
	assert_int_equal(ept_audit(&ept, VM, NULL, collect, &nr_got, &st), 4);
	expect(0, G_SHM0, h_shm0.v, 2 * MiB, AUDIT_NO_GRANT, OWNER_SHARED(0));
	expect(1, G_LOG, h_log.v, 4 * PAGE_SIZE, AUDIT_NO_GRANT, OWNER_SHARED(1));
	expect(2, G_LOG + 4 * PAGE_SIZE, h_log.v + 4 * PAGE_SIZE, PAGE_SIZE, AUDIT_NO_GRANT,
	       OWNER_SHARED(9));
	expect(3, G_LOG + 5 * PAGE_SIZE, h_log.v + 5 * PAGE_SIZE, 11 * PAGE_SIZE, AUDIT_NO_GRANT,
	       OWNER_SHARED(1));
	expect_line(3, "audit: vm 1: GPA 0xc0205000 -> HPA 0x800040225000 (44K, rw-) is shared 1, "
		       "no registered region");
}

static void test_shared_excess_rights(void **state)
{
	uint64_t *e = entry_at(G_SHM0, 2);

	*e |= EPTE_W;
	assert_int_equal(audit(), 1);
	expect(0, G_SHM0, h_shm0.v, 2 * MiB, AUDIT_RIGHTS, OWNER_SHARED(0));
	assert_int_equal(got[0].rights, EPTE_R | EPTE_W);
	assert_int_equal(got[0].granted, EPTE_R);
	expect_line(0, "audit: vm 1: GPA 0xc0000000 -> HPA 0x800040600000 (2M, rw-) is shared "
		       "\"shm0\", granted only r--");
	/* Execute on one log page: rwx beyond its rw- grant. */
	*e &= ~EPTE_W;
	*entry_at(G_LOG + 15 * PAGE_SIZE, 1) |= EPTE_X;
	assert_int_equal(audit(), 1);
	expect(0, G_LOG + 15 * PAGE_SIZE, h_log.v + 15 * PAGE_SIZE, PAGE_SIZE, AUDIT_RIGHTS,
	       OWNER_SHARED(1));
	assert_int_equal(got[0].granted, EPTE_R | EPTE_W);
}

/* RAM as passthrough: the UC leaf moved onto RAM, and a RAM leaf made UC. */
static void test_ram_mapped_uc(void **state)
{
	set_addr(entry_at(G_PASS, 2), h_vm0.v);
	*entry_at(G_TAIL + 3 * PAGE_SIZE, 1) &= ~EPTE_MT; /* WB -> UC */
	assert_int_equal(audit(), 2);
	expect(0, G_RAM2M + 2 * MiB + 3 * PAGE_SIZE, h_tail.v + 3 * PAGE_SIZE, PAGE_SIZE,
	       AUDIT_UC_RAM, OWNER_VM(VM));
	expect(1, G_PASS, h_vm0.v, 2 * MiB, AUDIT_UC_RAM, OWNER_VM(0));
	assert_int_equal(st.passthru_leaves, 2);
	expect_line(1, "audit: vm 1: GPA 0xd0000000 -> HPA 0x800040400000 (2M, rw-) mapped UC as "
		       "passthrough but is RAM (vm 0)");
}

/* Device memory mapped as ordinary WB memory. */
static void test_reserved_mapped_wb(void **state)
{
	set_addr(entry_at(G_RAM2M, 2), MMIO_HPA);
	assert_int_equal(audit(), 1);
	expect(0, G_RAM2M, MMIO_HPA, 2 * MiB, AUDIT_RESERVED, OWNER_RESERVED);
}

/* A page-table page handed to a VM: reported, and not walked. */
static void test_table_not_hypervisor(void **state)
{
	uint64_t pt = *entry_at(G_ROM, 2) & EPTE_ADDR;

	override(pt, PAGE_SIZE, OWNER_VM(VM));
	assert_int_equal(audit(), 1);
	expect(0, G_ROM & ~(2 * MiB - 1), pt, 2 * MiB, AUDIT_TABLE, OWNER_VM(VM));
	assert_int_equal(got[0].level, 2);
	assert_int_equal(st.leaves[EPT_LEAF_4K], 4 + 16);
	assert_int_equal(st.tables, ept.table_pages - 1);
	/* The PML4 itself: nothing is walked. */
	override(ept.pml4.v, PAGE_SIZE, OWNER_FREE);
	assert_int_equal(audit(), 1);
	expect(0, 0, ept.pml4.v, EPT_GPA_LIMIT, AUDIT_TABLE, OWNER_FREE);
	assert_int_equal(st.tables, 0);
}

static void test_bad_tag(void **state)
{
	override(h_rom.v + 2 * PAGE_SIZE, PAGE_SIZE, 0x50);
	assert_int_equal(audit(), 1);
	expect(0, G_ROM + 2 * PAGE_SIZE, h_rom.v + 2 * PAGE_SIZE, PAGE_SIZE, AUDIT_BAD_TAG, 0x50);
	expect_line(0, "audit: vm 1: GPA 0xfff02000 -> HPA 0x800040212000 (4K, r-x) has unknown "
		       "owner tag 0x50");
}

/* Reclaim with the EPT still in place: everything it maps is now wrong, in GPA order. */
static void test_reclaim_before_ept_destroy(void **state)
{
	struct owner_block blocks[] = {{h_ram1g, 18}, {h_ram2m, 9}, {h_tail, 2}, {h_rom, 4}};

	assert_int_equal(owner_reclaim(&reg, &B, VM, blocks, ARRAY_SIZE(blocks)), 0);
	assert_int_equal(audit(), 6);
	expect(0, 0, h_ram1g.v, GiB, AUDIT_FREE, OWNER_FREE);
	expect(1, G_RAM2M, h_ram2m.v, 2 * MiB, AUDIT_FREE, OWNER_FREE);
	expect(2, G_TAIL, h_tail.v, 16 * KiB, AUDIT_FREE, OWNER_FREE);
	expect(3, G_SHM0, h_shm0.v, 2 * MiB, AUDIT_NO_GRANT, OWNER_SHARED(0));
	expect(4, G_LOG, h_log.v, 64 * KiB, AUDIT_NO_GRANT, OWNER_SHARED(1));
	expect(5, G_ROM, h_rom.v, 64 * KiB, AUDIT_FREE, OWNER_FREE);
	assert_int_equal(st.by_kind[AUDIT_FREE], 4);
	assert_int_equal(st.by_kind[AUDIT_NO_GRANT], 2);
	expect_line(0, "audit: vm 1: GPA 0x0 -> HPA 0x800000000000 (1G, rwx) is free");
}

static void test_kind_names(void **state)
{
	assert_string_equal(audit_kind_name(AUDIT_OTHER_VM), "other-vm");
	assert_string_equal(audit_kind_name(AUDIT_UC_RAM), "uc-ram");
	assert_string_equal(audit_kind_name(AUDIT_BAD_TAG), "bad-tag");
	assert_string_equal(audit_kind_name(AUDIT_KIND_COUNT), "?");
	for (unsigned k = 0; k < AUDIT_KIND_COUNT; k++)
		assert_string_not_equal(audit_kind_name((enum audit_kind)k), "?");
}

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

/* ---- timing: the 1 GiB leaf is 262144 page_owner() calls ---- */

static void test_time(void **state)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(audit(), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	print_message(
	    "audit of %llu frames: %.1f ms (sanitizers, buddy-backed page_owner)\n",
	    (unsigned long long)st.frames,
	    ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6) / 4);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_clean),
	    T(test_wrong_vm_or_empty),
	    T(test_other_vm_by_tag),
	    T(test_other_vm_by_entry),
	    T(test_frames_inside_1g_leaf),
	    T(test_hypervisor_frame),
	    T(test_free_frames),
	    T(test_shared_without_grant),
	    T(test_shared_unregistered_tag),
	    T(test_shared_excess_rights),
	    T(test_ram_mapped_uc),
	    T(test_reserved_mapped_wb),
	    T(test_table_not_hypervisor),
	    T(test_bad_tag),
	    T(test_reclaim_before_ept_destroy),
	    T(test_random_against_model),
	    T(test_time),
	    cmocka_unit_test(test_kind_names),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
