/*
 * Unit tests for demand-faulted RAM in the configuration: the validator admits
 * REGION_F_DEMAND (and REGION_F_DEMAND_4K with it) on RAM only, bounds the size and the
 * count, counts a demand region's block map (not its size) against free memory and no
 * buddy blocks against the VM's tables; the vm= words demand= and demand4k=.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config/cmdvm.h"
#include "config/validate.h"
#include "lib/errno.h"

static struct vm_region regs[8];
static struct vm_config vmc;
static struct hv_config cfg;
static struct validate_env env;
static const char *const mods[] = {"k"};
static char err[VALIDATE_ERR_LEN];

/* One VM "d": RAM [0, 4 MiB) and a 512 MiB demand region at 1 GiB; 8 MiB free. */
static void fx(void)
{
	memset(regs, 0, sizeof(regs));
	regs[0] = (struct vm_region)RAM(0, 4 * MiB);
	regs[1] = (struct vm_region)RAM(GiB, 512 * MiB);
	regs[1].flags = REGION_F_DEMAND;
	vmc = (struct vm_config){.name = "d", .regions = regs, .nr_regions = 2, .image = "k"};
	cfg = (struct hv_config){.name = "t", .vms = &vmc, .nr_vms = 1};
	env = (struct validate_env){.free_bytes = 8 * MiB,
				    .modules = mods,
				    .nr_modules = 1,
				    .nr_cpus = 1,
				    .max_gpa = BIT(48)};
}

static int check(void)
{
	memset(err, 'x', sizeof(err));
	return vm_config_validate(&cfg, &env, err, sizeof(err));
}

static void test_admitted(void **state)
{
	fx();
	assert_int_equal(check(), 0); /* 512 MiB bound, 8 MiB free: not a reservation */
	assert_string_equal(err, "");
	regs[1].flags |= REGION_F_DEMAND_4K;
	assert_int_equal(check(), 0);
	regs[1].size = VALIDATE_DEMAND_MAX_SIZE;
	assert_int_equal(check(), 0);
	/* the boot page may be demand RAM too: the loader's writes take its blocks */
	regs[0] = regs[1];
	regs[0].gpa = 0;
	regs[0].size = 64 * MiB;
	assert_int_equal(check(), 0);
}

static void test_refused(void **state)
{
	fx();
	regs[1].kind = REGION_ROM;
	regs[1].rights = REGION_R | REGION_X;
	regs[1].name = "k";
	assert_int_equal(check(), -EINVAL);
	assert_string_equal(err, "vm \"d\": region 1 [0x40000000..0x60000000) is rom: only ram "
				 "can be demand-faulted");
	fx();
	regs[1].kind = REGION_SHARED;
	regs[1].name = "s";
	assert_int_equal(check(), -EINVAL);
	assert_string_equal(err, "vm \"d\": region 1 [0x40000000..0x60000000) is shared: only "
				 "ram can be demand-faulted");
	fx();
	regs[1].kind = REGION_MMIO_EMUL;
	regs[1].name = "uart";
	assert_int_equal(check(), -EINVAL);
	assert_string_equal(err, "vm \"d\": region 1 [0x40000000..0x60000000) is mmio-emul: only "
				 "ram can be demand-faulted");
	fx();
	regs[1].flags = REGION_F_DEMAND_4K;
	assert_int_equal(check(), -EINVAL);
	assert_string_equal(err, "vm \"d\": region 1 [0x40000000..0x60000000) asks for 4 KiB "
				 "demand blocks but is not demand-faulted");
	fx();
	regs[1].size = VALIDATE_DEMAND_MAX_SIZE + PAGE_SIZE;
	assert_int_equal(check(), -E2BIG);
	assert_string_equal(err, "vm \"d\": region 1 [0x40000000..0x1040001000) demand-faulted "
				 "0x1000001000 bytes, limit 0x1000000000");
	fx();
	regs[1].flags |= BIT(31);
	assert_int_equal(check(), -EINVAL);
	assert_string_equal(
	    err, "vm \"d\": region 1 [0x40000000..0x60000000) has unknown flags 0x80000000");
	fx();
	regs[1].flags |= REGION_F_LOG_DIRTY;
	assert_int_equal(check(), -EINVAL);
	assert_string_equal(err, "vm \"d\": region 1 [0x40000000..0x60000000) is demand-faulted "
				 "and log-dirty: not both");
	fx();
	regs[1].flags |= REGION_F_COALESCED; /* coalesced writes are emulated MMIO's */
	assert_int_equal(check(), -EINVAL);
	assert_string_equal(err, "vm \"d\": region 1 [0x40000000..0x60000000) is ram: only "
				 "mmio-emul regions can coalesce writes");
}

static void test_count(void **state)
{
	fx();
	for (unsigned i = 1; i <= VALIDATE_MAX_DEMAND + 1; i++) {
		regs[i] = (struct vm_region)RAM(i * GiB, MiB);
		regs[i].flags = REGION_F_DEMAND;
	}
	vmc.nr_regions = VALIDATE_MAX_DEMAND + 1;
	assert_int_equal(check(), 0);
	vmc.nr_regions = VALIDATE_MAX_DEMAND + 2;
	assert_int_equal(check(), -E2BIG);
	assert_string_equal(err, "vm \"d\": region 5 [0x140000000..0x140100000) is demand region "
				 "number 5, limit 4");
}

/*
 * Free memory: RAM 4 MiB plus the demand region's map (256 chunks of 8 bytes: one page)
 * fits exactly; one byte less does not, and the message counts the map as RAM.
 */
static void test_total(void **state)
{
	fx();
	env.free_bytes = 4 * MiB + PAGE_SIZE;
	assert_int_equal(check(), 0);
	env.free_bytes--;
	assert_int_equal(check(), -ENOMEM);
	assert_string_equal(err, "config \"t\": guest memory 0x401000 (ram 0x401000 + rom 0x0 + "
				 "shared 0x0) exceeds free RAM 0x400fff");
	/* 64 GiB: 32768 chunks, a 256 KiB map; unaligned ends add a chunk, rounding to 512 KiB */
	fx();
	regs[1].size = VALIDATE_DEMAND_MAX_SIZE;
	env.free_bytes = 4 * MiB + 256 * KiB;
	assert_int_equal(check(), 0);
	env.free_bytes--;
	assert_int_equal(check(), -ENOMEM);
	fx();
	regs[1].gpa = GiB + PAGE_SIZE;
	regs[1].size = VALIDATE_DEMAND_MAX_SIZE;
	env.free_bytes = 4 * MiB + 512 * KiB;
	assert_int_equal(check(), 0);
	env.free_bytes--;
	assert_int_equal(check(), -ENOMEM);
}

/* Four badly aligned regions take more than 64 buddy blocks as RAM, none as demand RAM. */
static void test_tables(void **state)
{
	fx();
	env.free_bytes = 64 * GiB;
	for (unsigned i = 1; i <= 4; i++)
		regs[i] = (struct vm_region)RAM(i * 4 * GiB + PAGE_SIZE, 4 * GiB - 2 * PAGE_SIZE);
	vmc.nr_regions = 5;
	assert_int_equal(check(), -E2BIG);
	assert_string_equal(err, "vm \"d\": RAM and ROM take more than 64 buddy blocks by region 2 "
				 "(align regions to their size)");
	for (unsigned i = 1; i <= 4; i++)
		regs[i].flags = REGION_F_DEMAND;
	assert_int_equal(check(), 0);
}

/* ---- vm= words ---- */

static struct cmdvm_store st;

static void test_words(void **state)
{
	char e[160];
	const struct vm_config *v;

	assert_int_equal(cmdvm_parse("vm=a,ram=16M,demand=0x40000000:512M,demand4k=0x80000000:4M,"
				     "image=k",
				     &st, e, sizeof(e)),
			 1);
	v = &cmdvm_config(&st)->vms[0];
	assert_int_equal(v->nr_regions, 3);
	assert_int_equal(v->regions[0].flags, 0);
	assert_int_equal(v->regions[1].gpa, 0x40000000);
	assert_int_equal(v->regions[1].size, 512 * MiB);
	assert_int_equal(v->regions[1].kind, REGION_RAM);
	assert_int_equal(v->regions[1].rights, REGION_RWX);
	assert_int_equal(v->regions[1].flags, REGION_F_DEMAND);
	assert_int_equal(v->regions[2].flags, REGION_F_DEMAND | REGION_F_DEMAND_4K);
	assert_int_equal(cmdvm_parse("vm=a,demand=512M,image=k", &st, e, sizeof(e)), -EINVAL);
	assert_string_equal(e, "vm 0 (\"a\"): field \"demand=512M\": want GPA:SIZE");
	assert_int_equal(cmdvm_parse("vm=a,demand4k=1:2:3,image=k", &st, e, sizeof(e)), -EINVAL);
	assert_string_equal(e, "vm 0 (\"a\"): field \"demand4k=1:2:3\": want GPA:SIZE");
	assert_int_equal(cmdvm_parse("vm=a,demand=0x1000:12Q,image=k", &st, e, sizeof(e)), -EINVAL);
	assert_string_equal(e, "vm 0 (\"a\"): field \"demand=0x1000:12Q\": bad size \"12Q\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admitted), cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_count),    cmocka_unit_test(test_total),
	    cmocka_unit_test(test_tables),   cmocka_unit_test(test_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
