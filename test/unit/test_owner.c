/*
 * Unit tests for mm/owner.c over a buddy allocator of fake frames (never touched):
 * donations checked against the current owner, shared-region creation and grant
 * rules from a configuration, owner_may_map, and reclaim on teardown.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "mm/owner.h"
#include "test/unit/fake_page.h"

#define FAKE_BASE (1ULL << 47) /* above every real pointer: frames we only pretend exist */
#define FAKE_SIZE (64 * MiB)

static struct buddy B;
static void *meta;

/* page_owner() of the fake range asks the buddy allocator, as the hypervisor's does. */
static bool owner_hook(hpa_t a, owner_t *o, uint64_t *len)
{
	uint64_t frames;

	if (a.v < FAKE_BASE || a.v - FAKE_BASE >= FAKE_SIZE)
		return false;
	*o = buddy_owner_run(&B, a, &frames);
	*len = (frames << PAGE_SHIFT) - (a.v & (PAGE_SIZE - 1));
	return true;
}

/* vm 0 names shm0 rw and log rw; vm 1 names shm0 read-only, twice; vm 2 names none. */
static const struct vm_region vm0_regions[] = {
    {.gpa = 0, .size = 16 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = 0xc0000000,
     .size = 2 * MiB,
     .kind = REGION_SHARED,
     .rights = REGION_R | REGION_W,
     .name = "shm0"},
    {.gpa = 0xc0200000,
     .size = 64 * KiB,
     .kind = REGION_SHARED,
     .rights = REGION_R | REGION_W,
     .name = "log"},
};
static const struct vm_region vm1_regions[] = {
    {.gpa = 0, .size = 16 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = 0xc0000000, .size = 2 * MiB, .kind = REGION_SHARED, .rights = REGION_R, .name = "shm0"},
    {.gpa = 0xd0000000,
     .size = 2 * MiB,
     .kind = REGION_SHARED,
     .rights = REGION_R | REGION_X,
     .name = "shm0"},
};
static const struct vm_region vm2_regions[] = {
    {.gpa = 0, .size = 16 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
};
static const struct vm_config vms[] = {
    {.name = "linux", .regions = vm0_regions, .nr_regions = 3},
    {.name = "rtos", .regions = vm1_regions, .nr_regions = 3},
    {.name = "idle", .regions = vm2_regions, .nr_regions = 1},
};
static const struct hv_config cfg = {.name = "test", .vms = vms, .nr_vms = 3};

static struct owner_registry reg;

static int setup(void **state)
{
	size_t n = buddy_meta_size(FAKE_SIZE >> PAGE_SHIFT);

	meta = malloc(n);
	assert_non_null(meta);
	assert_int_equal(
	    buddy_init(&B, meta, n, hpa_to_pfn(hpa(FAKE_BASE)), FAKE_SIZE >> PAGE_SHIFT), 0);
	assert_int_equal(buddy_add_free(&B, hpa(FAKE_BASE), hpa(FAKE_BASE + FAKE_SIZE)), 0);
	owner_registry_init(&reg, &cfg);
	fake_page_owner_hook = owner_hook;
	return 0;
}

static int teardown(void **state)
{
	char err[128];

	assert_int_equal(buddy_check(&B, err, sizeof(err)), 0);
	fake_page_owner_hook = NULL;
	free(meta);
	return 0;
}

static hpa_t alloc(unsigned order, owner_t o)
{
	hpa_t h;

	assert_int_equal(buddy_alloc(&B, order, o, &h), 0);
	return h;
}

/* ---- donation ---- */

static void test_donate_moves_and_checks_owner(void **state)
{
	hpa_t h = alloc(9, OWNER_HYP);

	assert_int_equal(owner_donate(&B, h, 9, OWNER_HYP, OWNER_VM(0)), 0);
	assert_int_equal(page_owner(h), OWNER_VM(0));
	assert_int_equal(page_owner(hpa(h.v + 2 * MiB - PAGE_SIZE)), OWNER_VM(0));
	/* The same donation again finds the VM, not the hypervisor, as owner. */
	assert_int_equal(owner_donate(&B, h, 9, OWNER_HYP, OWNER_VM(0)), -EPERM);
	assert_int_equal(owner_donate(&B, h, 9, OWNER_HYP, OWNER_VM(1)), -EPERM);
	/* Teardown: the VM gives it back; then it can go to another VM. */
	assert_int_equal(owner_donate(&B, h, 9, OWNER_VM(0), OWNER_HYP), 0);
	assert_int_equal(owner_donate(&B, h, 9, OWNER_VM(0), OWNER_HYP), -EPERM);
	assert_int_equal(owner_donate(&B, h, 9, OWNER_HYP, OWNER_VM(1)), 0);
	assert_int_equal(owner_donate(&B, h, 9, OWNER_VM(1), OWNER_VM(2)), 0);
	assert_int_equal(page_owner(h), OWNER_VM(2));
}

static void test_donate_wrong_owner(void **state)
{
	hpa_t vm1 = alloc(0, OWNER_VM(1)), hyp = alloc(0, OWNER_HYP), freed = alloc(0, OWNER_HYP);

	assert_int_equal(buddy_free(&B, freed, 0, OWNER_HYP), 0);
	/* Another VM's frame, a free frame, a frame outside managed memory. */
	assert_int_equal(owner_donate(&B, vm1, 0, OWNER_HYP, OWNER_VM(0)), -EPERM);
	assert_int_equal(owner_donate(&B, vm1, 0, OWNER_VM(0), OWNER_HYP), -EPERM);
	assert_int_equal(owner_donate(&B, freed, 0, OWNER_HYP, OWNER_VM(0)), -EPERM);
	assert_int_equal(owner_donate(&B, hpa(0x1000), 0, OWNER_HYP, OWNER_VM(0)), -EPERM);
	assert_int_equal(page_owner(vm1), OWNER_VM(1));
	assert_int_equal(page_owner(freed), OWNER_FREE);
	/* Not a transition between hypervisor and VMs. */
	assert_int_equal(owner_donate(&B, hyp, 0, OWNER_HYP, OWNER_HYP), -EINVAL);
	assert_int_equal(owner_donate(&B, hyp, 0, OWNER_HYP, OWNER_FREE), -EINVAL);
	assert_int_equal(owner_donate(&B, hyp, 0, OWNER_HYP, OWNER_RESERVED), -EINVAL);
	assert_int_equal(owner_donate(&B, hyp, 0, OWNER_HYP, OWNER_SHARED(0)), -EINVAL);
	assert_int_equal(owner_donate(&B, hyp, 0, OWNER_SHARED(0), OWNER_VM(0)), -EINVAL);
	assert_int_equal(page_owner(hyp), OWNER_HYP);
}

static void test_donate_whole_blocks_only(void **state)
{
	hpa_t h = alloc(4, OWNER_HYP);

	/* Interior frame, wrong order: the block's owner matches but not its shape. */
	assert_int_equal(owner_donate(&B, hpa(h.v + PAGE_SIZE), 0, OWNER_HYP, OWNER_VM(0)),
			 -EINVAL);
	assert_int_equal(owner_donate(&B, h, 3, OWNER_HYP, OWNER_VM(0)), -EINVAL);
	assert_int_equal(owner_donate(&B, h, 5, OWNER_HYP, OWNER_VM(0)), -EINVAL);
	assert_int_equal(page_owner(h), OWNER_HYP);
	assert_int_equal(owner_donate(&B, h, 4, OWNER_HYP, OWNER_VM(0)), 0);
}

/* ---- shared regions ---- */

static void test_share_create(void **state)
{
	hpa_t shm, log, h;

	assert_int_equal(owner_share_create(&reg, &B, "shm0", 9, &shm), 0);
	assert_int_equal(page_owner(shm), OWNER_SHARED(0));
	assert_int_equal(page_owner(hpa(shm.v + 2 * MiB - PAGE_SIZE)), OWNER_SHARED(0));
	assert_int_equal(owner_share_create(&reg, &B, "shm0", 9, &h), -EEXIST);
	assert_int_equal(owner_share_create(&reg, &B, "nobody", 9, &h), -ENOENT);
	assert_int_equal(owner_share_create(&reg, &B, "", 9, &h), -EINVAL);
	assert_int_equal(owner_share_create(&reg, &B, NULL, 9, &h), -EINVAL);
	/* 64 KiB does not fit an order-3 (32 KiB) block; order 4 does. */
	assert_int_equal(owner_share_create(&reg, &B, "log", 3, &h), -EINVAL);
	assert_int_equal(owner_share_create(&reg, &B, "log", BUDDY_MAX_ORDER + 1, &h), -EINVAL);
	assert_int_equal(owner_share_create(&reg, &B, "log", 4, &log), 0);
	assert_int_equal(page_owner(log), OWNER_SHARED(1));

	const struct shared_region *r = owner_share_find(&reg, "log");
	assert_non_null(r);
	assert_string_equal(r->name, "log");
	assert_int_equal(r->hpa.v, log.v);
	assert_int_equal(r->order, 4);
	assert_int_equal(r->tag, OWNER_SHARED(1));
	assert_int_equal(r->nr_grants, 0);
	assert_ptr_equal(owner_share_by_tag(&reg, OWNER_SHARED(0)), owner_share_find(&reg, "shm0"));
	assert_null(owner_share_by_tag(&reg, OWNER_SHARED(2)));
	assert_null(owner_share_by_tag(&reg, OWNER_VM(0)));
	assert_null(owner_share_find(&reg, "nobody"));
	assert_int_equal(reg.nr, 2);
}

static void test_share_create_out_of_memory(void **state)
{
	hpa_t h;

	while (buddy_alloc(&B, 0, OWNER_HYP, &h) == 0)
		;
	assert_int_equal(owner_share_create(&reg, &B, "shm0", 9, &h), -ENOMEM);
	assert_null(owner_share_find(&reg, "shm0"));
	assert_int_equal(reg.nr, 0);
}

static void test_share_grant_rules(void **state)
{
	const struct shared_region *r;
	uint32_t rights = 0;
	hpa_t h;

	assert_int_equal(owner_share_grant(&reg, "shm0", 0, REGION_R), -ENOENT);
	assert_int_equal(owner_share_create(&reg, &B, "shm0", 9, &h), 0);
	assert_int_equal(owner_share_grant(&reg, "shm0", 0, REGION_R | REGION_W), 0);
	assert_int_equal(owner_share_grant(&reg, "shm0", 0, REGION_R), -EEXIST);
	/* vm 1 names it read-only at one GPA and read+execute at another: union r-x. */
	assert_int_equal(owner_share_grant(&reg, "shm0", 1, REGION_R | REGION_W), -EPERM);
	assert_int_equal(owner_share_grant(&reg, "shm0", 1, REGION_RWX), -EPERM);
	assert_int_equal(owner_share_grant(&reg, "shm0", 1, REGION_R | REGION_X), 0);
	/* vm 2 does not name it; vm 3 does not exist. */
	assert_int_equal(owner_share_grant(&reg, "shm0", 2, REGION_R), -EPERM);
	assert_int_equal(owner_share_grant(&reg, "shm0", 3, REGION_R), -EPERM);
	assert_int_equal(owner_share_grant(&reg, "shm0", 2, 0), -EINVAL);
	assert_int_equal(owner_share_grant(&reg, "shm0", 0, BIT(3)), -EINVAL);
	assert_int_equal(owner_share_grant(&reg, "other", 0, REGION_R), -ENOENT);

	r = owner_share_find(&reg, "shm0");
	assert_int_equal(r->nr_grants, 2);
	assert_true(owner_share_granted(r, 0, &rights));
	assert_int_equal(rights, REGION_R | REGION_W);
	assert_true(owner_share_granted(r, 1, &rights));
	assert_int_equal(rights, REGION_R | REGION_X);
	assert_false(owner_share_granted(r, 2, &rights));
}

static void test_may_map(void **state)
{
	hpa_t shm, own = alloc(0, OWNER_VM(1)), other = alloc(0, OWNER_VM(0));
	hpa_t hyp = alloc(0, OWNER_HYP), freed = alloc(0, OWNER_HYP);

	assert_int_equal(buddy_free(&B, freed, 0, OWNER_HYP), 0);
	assert_int_equal(owner_share_create(&reg, &B, "shm0", 9, &shm), 0);
	assert_int_equal(owner_share_grant(&reg, "shm0", 1, REGION_R), 0);

	assert_true(owner_may_map(&reg, 1, own, REGION_RWX));
	assert_true(owner_may_map(&reg, 1, own, 0));
	assert_true(owner_may_map(&reg, 1, shm, REGION_R));
	assert_true(owner_may_map(&reg, 1, hpa(shm.v + MiB), REGION_R));
	assert_false(owner_may_map(&reg, 1, shm, REGION_R | REGION_W));
	assert_false(owner_may_map(&reg, 1, shm, REGION_X));
	assert_false(owner_may_map(&reg, 0, shm, REGION_R)); /* named, but not granted */
	assert_false(owner_may_map(&reg, 2, shm, REGION_R));
	assert_false(owner_may_map(&reg, 1, other, REGION_R));
	assert_false(owner_may_map(&reg, 0, own, REGION_R));
	assert_false(owner_may_map(&reg, 1, hyp, REGION_R));
	assert_false(owner_may_map(&reg, 1, freed, REGION_R));
	assert_false(owner_may_map(&reg, 1, hpa(0xfe000000), REGION_R)); /* reserved */
	assert_false(owner_may_map(&reg, 7, own, REGION_R));		 /* no such VM */
}

/* ---- reclaim ---- */

static void test_reclaim(void **state)
{
	uint64_t before = buddy_free_frames(&B);
	struct owner_block blocks[] = {
	    {alloc(9, OWNER_VM(0)), 9}, {alloc(0, OWNER_VM(0)), 0}, {alloc(4, OWNER_VM(0)), 4}};
	hpa_t keep = alloc(0, OWNER_VM(1)), shm, log;
	const struct shared_region *r;

	assert_int_equal(owner_share_create(&reg, &B, "shm0", 9, &shm), 0);
	assert_int_equal(owner_share_create(&reg, &B, "log", 4, &log), 0);
	assert_int_equal(owner_share_grant(&reg, "shm0", 0, REGION_R | REGION_W), 0);
	assert_int_equal(owner_share_grant(&reg, "shm0", 1, REGION_R), 0);
	assert_int_equal(owner_share_grant(&reg, "log", 0, REGION_R), 0);

	assert_int_equal(owner_reclaim(&reg, &B, 0, blocks, 3), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(page_owner(blocks[i].hpa), OWNER_FREE);
	assert_int_equal(page_owner(keep), OWNER_VM(1));
	/* Shared blocks stay for the others; only vm 0's grants go. */
	assert_int_equal(page_owner(shm), OWNER_SHARED(0));
	assert_int_equal(page_owner(log), OWNER_SHARED(1));
	r = owner_share_find(&reg, "shm0");
	assert_int_equal(r->nr_grants, 1);
	assert_false(owner_share_granted(r, 0, NULL));
	assert_true(owner_share_granted(r, 1, NULL));
	assert_int_equal(owner_share_find(&reg, "log")->nr_grants, 0);
	/* Everything but keep and the two shared blocks is free again. */
	assert_int_equal(buddy_free_frames(&B), before - 1 - 512 - 16);
	/* A restarted VM may be granted again; a second reclaim finds nothing of its own. */
	assert_int_equal(owner_share_grant(&reg, "shm0", 0, REGION_R), 0);
	assert_int_equal(owner_reclaim(&reg, &B, 0, blocks, 1), -EPERM);
	assert_true(owner_share_granted(r, 0, NULL));
}

static struct owner_block mine[2]; /* vm 0's blocks in test_reclaim_all_or_nothing */

/* A failing reclaim changes nothing: not a block, wrong owner or listed twice. */
static void check_reclaim_fails(struct owner_block a, struct owner_block b, struct owner_block c,
				int err)
{
	struct owner_block list[] = {a, b, c};
	uint64_t before = buddy_free_frames(&B);

	assert_int_equal(owner_reclaim(&reg, &B, 0, list, 3), err);
	assert_int_equal(buddy_free_frames(&B), before);
	assert_int_equal(page_owner(mine[0].hpa), OWNER_VM(0));
	assert_int_equal(page_owner(mine[1].hpa), OWNER_VM(0));
	assert_true(owner_share_granted(owner_share_find(&reg, "shm0"), 0, NULL));
}

static void test_reclaim_all_or_nothing(void **state)
{
	hpa_t shm, other = alloc(0, OWNER_VM(1)), freed = alloc(0, OWNER_HYP);
	struct owner_block m0, m1;

	mine[0] = m0 = (struct owner_block){alloc(2, OWNER_VM(0)), 2};
	mine[1] = m1 = (struct owner_block){alloc(0, OWNER_VM(0)), 0};
	assert_int_equal(buddy_free(&B, freed, 0, OWNER_HYP), 0);
	assert_int_equal(owner_share_create(&reg, &B, "shm0", 9, &shm), 0);
	assert_int_equal(owner_share_grant(&reg, "shm0", 0, REGION_R), 0);

	/* The bad entry last, so the good ones were taken and must be given back. */
	check_reclaim_fails(m0, m1, (struct owner_block){other, 0}, -EPERM);
	assert_int_equal(page_owner(other), OWNER_VM(1));
	check_reclaim_fails(m0, m1, m0, -EPERM); /* listed twice */
	check_reclaim_fails(m0, m1, (struct owner_block){freed, 0}, -EPERM);
	check_reclaim_fails(m0, m1, (struct owner_block){shm, 9}, -EPERM);
	assert_int_equal(page_owner(shm), OWNER_SHARED(0));
	/* Wrong order, interior frame: the VM's frame but not one of its blocks. */
	check_reclaim_fails(m1, (struct owner_block){m0.hpa, 1}, m0, -EINVAL);
	check_reclaim_fails(m1, (struct owner_block){hpa(m0.hpa.v + PAGE_SIZE), 0}, m0, -EINVAL);
	assert_int_equal(owner_reclaim(&reg, &B, 5, mine, 2), -EINVAL);
	assert_int_equal(owner_reclaim(&reg, &B, 0, mine, 2), 0);
	assert_int_equal(page_owner(m0.hpa), OWNER_FREE);
	assert_int_equal(page_owner(m1.hpa), OWNER_FREE);
	assert_false(owner_share_granted(owner_share_find(&reg, "shm0"), 0, NULL));
}

static void test_describe(void **state)
{
	char buf[32];

	assert_int_equal(owner_describe(OWNER_FREE, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "free");
	owner_describe(OWNER_RESERVED, buf, sizeof(buf));
	assert_string_equal(buf, "reserved");
	owner_describe(OWNER_HYP, buf, sizeof(buf));
	assert_string_equal(buf, "hypervisor");
	owner_describe(OWNER_VM(17), buf, sizeof(buf));
	assert_string_equal(buf, "vm 17");
	owner_describe(OWNER_SHARED(3), buf, sizeof(buf));
	assert_string_equal(buf, "shared 3");
	owner_describe(0x42, buf, sizeof(buf));
	assert_string_equal(buf, "tag 0x42");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_donate_moves_and_checks_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_donate_wrong_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_donate_whole_blocks_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_share_create, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_share_create_out_of_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_share_grant_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_may_map, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reclaim, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reclaim_all_or_nothing, setup, teardown),
	    cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
