/*
 * Unit tests for the validator's table limits (config/validate.h): every table the runtime
 * sizes by one of those constants (VMs, buddy blocks, memory slots, devices, shared names,
 * module names) refuses one entry too many with a named -E2BIG line and takes exactly the
 * limit. The counts are worked out here from the builder's rule, not from the validator.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "config/validate.h"

#define NR_REGIONS VALIDATE_MAX_REGIONS

struct fx {
	struct hv_config cfg;
	struct vm_config vms[VALIDATE_MAX_RUN_VMS + 1];
	struct vm_region regs[VALIDATE_MAX_RUN_VMS + 1][NR_REGIONS];
	char shm[VALIDATE_MAX_RUN_VMS + 1][NR_REGIONS][8];
	struct validate_env env;
	const char *modules[4];
	char err[VALIDATE_ERR_LEN];
};

static const char *const vm_names[] = {"a", "b", "c", "d", "e"};
#define LONG_NAME "abcdefghijklmnopqrstuvwxyz012345" /* 32 characters */
#define NAME_31	  "abcdefghijklmnopqrstuvwxyz01234"

/* Each VM: 4 MiB of RAM at 0 (one 1024-page block), on its own CPU, minimal platform. */
static void fx_init(struct fx *f, unsigned nr_vms)
{
	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < nr_vms; i++) {
		f->regs[i][0] = (struct vm_region){
		    .gpa = 0, .size = 4 * MiB, .kind = REGION_RAM, .rights = REGION_RWX};
		f->vms[i] = (struct vm_config){.name = vm_names[i],
					       .cpu = i,
					       .regions = f->regs[i],
					       .nr_regions = 1,
					       .image = "k.elf"};
	}
	f->cfg = (struct hv_config){.name = "lim", .vms = f->vms, .nr_vms = nr_vms};
	f->modules[0] = "k.elf";
	f->modules[1] = NAME_31;
	f->modules[2] = LONG_NAME;
	f->env = (struct validate_env){.free_bytes = BIT(47),
				       .modules = f->modules,
				       .nr_modules = 3,
				       .nr_cpus = 8,
				       .max_gpa = BIT(48)};
}

static int run(struct fx *f)
{
	memset(f->err, 'x', sizeof(f->err));
	return vm_config_validate(&f->cfg, &f->env, f->err, sizeof(f->err));
}

static void expect(struct fx *f, int rc, const char *line)
{
	assert_int_equal(run(f), rc);
	assert_string_equal(f->err, line);
}

static void test_run_vms(void **state)
{
	struct fx f;

	fx_init(&f, VALIDATE_MAX_RUN_VMS);
	expect(&f, 0, "");
	fx_init(&f, VALIDATE_MAX_RUN_VMS + 1); /* hv/vms.c used to run the first 4 of these */
	expect(&f, -E2BIG, "config \"lim\": 5 VMs, limit 4");
}

/*
 * RAM at guest frame 1: the builder's blocks are 1, 2, 4, ... 2^17 pages (18 blocks,
 * bringing the frame to 2^18), then 1 GiB blocks. 2^18 - 1 + m * 2^18 pages: 18 + m blocks.
 */
static void ram_from_frame1(struct fx *f, unsigned blocks)
{
	uint64_t pages = (1ULL << 18) - 1 + (uint64_t)(blocks - 18) * (1ULL << 18);

	f->regs[0][0] = (struct vm_region){
	    .gpa = 0x1000, .size = pages * 0x1000, .kind = REGION_RAM, .rights = REGION_RWX};
}

static void test_ram_blocks(void **state)
{
	struct fx f;

	fx_init(&f, 1);
	ram_from_frame1(&f, 64);
	expect(&f, 0, "");
	ram_from_frame1(&f, 65);
	expect(&f, -E2BIG,
	       "vm \"a\": RAM and ROM take more than 64 buddy blocks by region 0 (align regions "
	       "to their size)");
	/* The same memory aligned to its size: 48 GiB from 0 is 48 blocks of 1 GiB. */
	f.regs[0][0].gpa = 0;
	f.regs[0][0].size = 48 * GiB;
	expect(&f, 0, "");
}

static void add_region(struct fx *f, unsigned vi, struct vm_region r)
{
	f->regs[vi][f->vms[vi].nr_regions++] = r;
}

/*
 * The same count kept off the PC platform's pages (0xfec00000, 0xfee00000): 18 blocks up
 * to 1 GiB, [1 GiB, 3 GiB) in 2, then 1 GiB blocks from 4 GiB.
 */
static void ram_around_pc_pages(struct fx *f, unsigned blocks)
{
	ram_from_frame1(f, 18);
	f->regs[0][1] = (struct vm_region){
	    .gpa = GiB, .size = 2 * GiB, .kind = REGION_RAM, .rights = REGION_RWX};
	f->regs[0][2] = (struct vm_region){.gpa = 4 * GiB,
					   .size = (uint64_t)(blocks - 20) * GiB,
					   .kind = REGION_RAM,
					   .rights = REGION_RWX};
	f->vms[0].nr_regions = 3;
}

static void test_slots(void **state)
{
	struct fx f;

	fx_init(&f, 1); /* 64 blocks are 64 slots: one emulated device more is 65 */
	ram_from_frame1(&f, 64);
	add_region(&f, 0,
		   (struct vm_region){.gpa = 0x7f0000000000ULL,
				      .size = 0x1000,
				      .kind = REGION_MMIO_EMUL,
				      .rights = REGION_R | REGION_W,
				      .name = "uart"});
	expect(&f, -E2BIG, "vm \"a\": 65 memory slots, limit 64");
	fx_init(&f, 1); /* the PC platform's two device pages are slots too */
	ram_around_pc_pages(&f, 62);
	f.vms[0].platform = VM_PLATFORM_PC;
	expect(&f, 0, "");
	ram_around_pc_pages(&f, 63);
	expect(&f, -E2BIG, "vm \"a\": 65 memory slots, limit 64");
	f.vms[0].platform = VM_PLATFORM_MINIMAL;
	expect(&f, 0, "");
}

static void emul_regions(struct fx *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		add_region(f, 0,
			   (struct vm_region){.gpa = 0x80000000 + i * 0x1000,
					      .size = 0x1000,
					      .kind = REGION_MMIO_EMUL,
					      .rights = REGION_R | REGION_W,
					      .name = "uart"});
}

static void test_devices(void **state)
{
	struct fx f;

	fx_init(&f, 1); /* 8 instances, 2 of them the platform's (COM1, debug exit) */
	emul_regions(&f, 6);
	expect(&f, 0, "");
	fx_init(&f, 1);
	emul_regions(&f, 7);
	expect(&f, -E2BIG,
	       "vm \"a\": 7 emulated devices, limit 6 (8 per VM, 2 of them the platform's)");
}

static void shared_regions(struct fx *f, unsigned vi, unsigned first, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		snprintf(f->shm[vi][i], sizeof(f->shm[vi][i]), "s%u", first + i);
		add_region(f, vi,
			   (struct vm_region){.gpa = 0x100000000ULL + i * 0x1000,
					      .size = 0x1000,
					      .kind = REGION_SHARED,
					      .rights = REGION_R | REGION_W,
					      .name = f->shm[vi][i]});
	}
}

static void test_shared_names(void **state)
{
	struct fx f;

	fx_init(&f, 2); /* 31 names in "a", and "b" names s30 again and one new: 32 */
	shared_regions(&f, 0, 0, 31);
	shared_regions(&f, 1, 30, 2);
	expect(&f, 0, "");
	fx_init(&f, 2); /* ... or two new: 33 */
	shared_regions(&f, 0, 0, 31);
	shared_regions(&f, 1, 31, 2);
	expect(&f, -E2BIG,
	       "vm \"b\": region 2: shared \"s32\" is shared memory number 33, limit 32");
}

static void test_shared_block(void **state)
{
	struct fx f;

	fx_init(&f, 1);
	shared_regions(&f, 0, 0, 1);
	f.regs[0][1].size = 0x4000;
	expect(&f, 0, "");
	f.regs[0][1].size = 0x40000000; /* 1 GiB: the largest block */
	expect(&f, 0, "");
	f.regs[0][1].size = 0x3000;
	expect(&f, -EINVAL,
	       "vm \"a\": region 1 [0x100000000..0x100003000) shared \"s0\" of 0x3000 bytes is "
	       "not one buddy block (a power of two, at most 0x40000000)");
	f.regs[0][1].size = 0x80000000;
	expect(&f, -EINVAL,
	       "vm \"a\": region 1 [0x100000000..0x180000000) shared \"s0\" of 0x80000000 bytes "
	       "is not one buddy block (a power of two, at most 0x40000000)");
}

static void test_module_names(void **state)
{
	static const char *const mods[] = {LONG_NAME};
	static const char *const mods31[] = {NAME_31};
	struct fx f;

	fx_init(&f, 1);
	f.vms[0].image = NAME_31;
	f.vms[0].modules = mods31;
	f.vms[0].nr_modules = 1;
	expect(&f, 0, "");
	f.vms[0].image = LONG_NAME; /* a boot module of that name does not make it fit */
	expect(&f, -E2BIG,
	       "vm \"a\": guest image name \"abcdefghijklmnop...\" longer than 31 characters");
	f.vms[0].image = "k.elf";
	f.vms[0].modules = mods;
	expect(&f, -E2BIG,
	       "vm \"a\": guest module 0 name \"abcdefghijklmnop...\" longer than 31 characters");
	fx_init(&f, 1);
	add_region(&f, 0,
		   (struct vm_region){.gpa = 0xfff00000,
				      .size = 0x100000,
				      .kind = REGION_ROM,
				      .rights = REGION_R | REGION_X,
				      .name = LONG_NAME});
	expect(&f, -E2BIG,
	       "vm \"a\": region 1 [0xfff00000..0x100000000) rom module name "
	       "\"abcdefghijklmnop...\" longer than 31 characters");
}

/* The builder's rule itself: what hv/vmbuild.c allocates, block by block. */
static void test_block_order(void **state)
{
	assert_int_equal(validate_block_order(0, 1), 0);
	assert_int_equal(validate_block_order(0, 1024), 10);
	assert_int_equal(validate_block_order(0, 1023), 9);
	assert_int_equal(validate_block_order(0x100, 0x10000), 8);
	assert_int_equal(validate_block_order(0, 1ULL << 30), VALIDATE_BLOCK_MAX_ORDER);
	assert_int_equal(validate_block_order(1ULL << 18, 1ULL << 19), 18);
	assert_int_equal(validate_block_order(3, 1ULL << 20), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_vms),	 cmocka_unit_test(test_ram_blocks),
	    cmocka_unit_test(test_slots),	 cmocka_unit_test(test_devices),
	    cmocka_unit_test(test_shared_names), cmocka_unit_test(test_shared_block),
	    cmocka_unit_test(test_module_names), cmocka_unit_test(test_block_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
