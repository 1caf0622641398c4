/*
 * Unit tests for ept/audit.c on a realistic VM (see audit_fixture.h): the clean EPT
 * audits clean; each planted violation (owner tags changed behind the EPT's back,
 * entries edited, ranges mapped on purpose) is reported with exactly its GPA, size
 * and kind. Also the kind names and the time of a clean audit.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "test/unit/audit_fixture.h"

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
	/*
	 * One owner look-up per allocator block per leaf: the 1 GiB and 2 MiB RAM
	 * leaves and shm0 each lie in one block; the 4 KiB leaves of the tail, log and
	 * ROM one each; the passthrough leaf covers 512 frames the fake knows one at a time.
	 */
	assert_int_equal(st.lookups, 1 + 1 + 1 + 4 + 16 + 16 + 512);
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
	/* The 1 GiB leaf now takes five look-ups: three overrides, two stretches between. */
	assert_int_equal(st.lookups, 5 + 1 + 1 + 4 + 16 + 16 + 512);
}

/*
 * ept_build checks ownership one block at a time: a single frame of another owner
 * in the middle of the 1 GiB block, or in the shared block, is still refused, and
 * the build leaves nothing mapped.
 */
static void test_build_refuses_frame_inside_block(void **state)
{
	static const uint64_t where[] = {0, 0x12345000, GiB - PAGE_SIZE};
	struct ept e;

	for (unsigned i = 0; i < ARRAY_SIZE(where); i++) {
		nr_overrides = 0;
		override(h_ram1g.v + where[i], PAGE_SIZE, i ? OWNER_VM(0) : OWNER_HYP);
		assert_int_equal(ept_init(&e, OWNER_VM(VM), true, true), 0);
		assert_int_equal(ept_build(&e, &ms), -EPERM);
		assert_int_equal(e.table_pages, 1);
		ept_destroy(&e);
	}
	nr_overrides = 0;
	override(h_shm0.v + MiB, PAGE_SIZE, OWNER_FREE);
	assert_int_equal(ept_init(&e, OWNER_VM(VM), true, true), 0);
	assert_int_equal(ept_build(&e, &ms), -EPERM);
	assert_int_equal(e.table_pages, 1);
	nr_overrides = 0;
	assert_int_equal(ept_build(&e, &ms), 0);
	ept_destroy(&e);
}

/* A frame inside a block whose own descriptor disagrees (corrupted tag): caught too. */
static void test_frame_inside_block_by_entry(void **state)
{
	/* The 2 MiB RAM leaf re-pointed 4 KiB into vm 0's block: 2 MiB of foreign frames. */
	set_addr(entry_at(G_RAM2M, 2), h_vm0.v);
	assert_int_equal(audit(), 1);
	expect(0, G_RAM2M, h_vm0.v, 2 * MiB, AUDIT_OTHER_VM, OWNER_VM(0));
}

/* The guest given a view of its own EPT: the PML4 page, a hypervisor frame. */
static void test_hypervisor_frame(void **state)
{
	set_addr(entry_at(G_ROM, 1), ept.pml4.v);
	assert_int_equal(audit(), 1);
	expect(0, G_ROM, ept.pml4.v, PAGE_SIZE, AUDIT_HYP, OWNER_HYP);
	assert_int_equal(got[0].rights, EPTE_R | EPTE_X);
}

/* ---- the APIC-access page ---- */

#define G_APIC 0xfee00000ULL

/* A hypervisor frame mapped as the APIC-access page: accepted, counted, nothing else. */
static void test_apic_access_page(void **state)
{
	hpa_t h = alloc(0, OWNER_HYP), other = alloc(0, OWNER_HYP);

	assert_int_equal(ept_map(&ept, gpa(G_APIC), h, PAGE_SIZE,
				 EPTE_R | EPTE_W | EPTE_MT_WB | EPT_MAP_APIC_ACCESS),
			 0);
	assert_int_equal(ept.apic_access.v, h.v);
	assert_int_equal(ept.apic_access_gpa, G_APIC);
	assert_int_equal(audit(), 0);
	assert_int_equal(st.apic_access_pages, 1);
	/* a second one, X, more than 4 KiB, or a frame not the hypervisor's: refused */
	assert_int_equal(ept_map(&ept, gpa(G_APIC + PAGE_SIZE), other, PAGE_SIZE,
				 EPTE_R | EPTE_W | EPTE_MT_WB | EPT_MAP_APIC_ACCESS),
			 -EEXIST);
	assert_int_equal(ept_unmap(&ept, gpa(G_APIC), PAGE_SIZE), 0);
	assert_int_equal(ept.apic_access.v, 0);
	assert_int_equal(
	    ept_map(&ept, gpa(G_APIC), h, PAGE_SIZE, EPTE_RWX | EPTE_MT_WB | EPT_MAP_APIC_ACCESS),
	    -EINVAL);
	assert_int_equal(ept_map(&ept, gpa(G_APIC), h, 2 * PAGE_SIZE,
				 EPTE_R | EPTE_W | EPTE_MT_WB | EPT_MAP_APIC_ACCESS),
			 -EINVAL);
	assert_int_equal(ept_map(&ept, gpa(G_APIC), h_vm0, PAGE_SIZE,
				 EPTE_R | EPTE_W | EPTE_MT_WB | EPT_MAP_APIC_ACCESS),
			 -EPERM);
	/* unmapped, the page is no longer accepted when planted again by hand */
	assert_int_equal(ept_map(&ept, gpa(G_APIC), h, PAGE_SIZE,
				 EPTE_R | EPTE_W | EPTE_MT_WB | EPT_MAP_APIC_ACCESS),
			 0);
	ept.apic_access = hpa(0);
	assert_int_equal(audit(), 1);
	expect(0, G_APIC, h.v, PAGE_SIZE, AUDIT_HYP, OWNER_HYP);
	assert_int_equal(st.apic_access_pages, 0);
}

/* The recorded page elsewhere than recorded, or another frame there: the hypervisor's. */
static void test_apic_access_page_moved(void **state)
{
	hpa_t h = alloc(0, OWNER_HYP), other = alloc(0, OWNER_HYP);

	assert_int_equal(ept_map(&ept, gpa(G_APIC), h, PAGE_SIZE,
				 EPTE_R | EPTE_W | EPTE_MT_WB | EPT_MAP_APIC_ACCESS),
			 0);
	set_addr(entry_at(G_APIC, 1), other.v);
	assert_int_equal(audit(), 1);
	expect(0, G_APIC, other.v, PAGE_SIZE, AUDIT_HYP, OWNER_HYP);
	set_addr(entry_at(G_APIC, 1), h.v);
	set_addr(entry_at(G_ROM, 1), h.v); /* the same frame at a second GPA */
	assert_int_equal(audit(), 1);
	expect(0, G_ROM, h.v, PAGE_SIZE, AUDIT_HYP, OWNER_HYP);
	assert_int_equal(st.apic_access_pages, 1);
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

/* ---- timing: the 1 GiB leaf is one page_owner_run() call ---- */

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
	    T(test_frame_inside_block_by_entry),
	    T(test_build_refuses_frame_inside_block),
	    T(test_hypervisor_frame),
	    T(test_free_frames),
	    T(test_apic_access_page),
	    T(test_apic_access_page_moved),
	    T(test_shared_without_grant),
	    T(test_shared_unregistered_tag),
	    T(test_shared_excess_rights),
	    T(test_ram_mapped_uc),
	    T(test_reserved_mapped_wb),
	    T(test_table_not_hypervisor),
	    T(test_bad_tag),
	    T(test_reclaim_before_ept_destroy),
	    T(test_time),
	    cmocka_unit_test(test_kind_names),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
