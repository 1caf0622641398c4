/*
 * Unit tests for the validator's REGION_F_COALESCED rules (config/validate.c): a writable
 * emulated-MMIO region may coalesce its writes; every other kind, a region without the
 * write right, and the other flags still unadmitted are refused, each with its
 * own line naming the VM and region.
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

struct fx {
	struct hv_config cfg;
	struct vm_config vm;
	struct vm_region regs[3];
	struct validate_env env;
	const char *modules[2];
	char err[VALIDATE_ERR_LEN];
};

/* RAM at 0, a coalesced test device and a plain one (region 1 and 2). */
static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->regs[0] = (struct vm_region)RAM(0, 16 * MiB);
	f->regs[1] = (struct vm_region)MMIO(0xd0003000, 4 * KiB, "testdev");
	f->regs[1].flags = REGION_F_COALESCED;
	f->regs[2] = (struct vm_region)MMIO(0xd0000000, 4 * KiB, "testdev");
	f->vm = (struct vm_config){
	    .name = "co", .regions = f->regs, .nr_regions = 3, .image = "testguest"};
	f->cfg = (struct hv_config){.name = "coalesced", .vms = &f->vm, .nr_vms = 1};
	f->modules[0] = "testguest";
	f->modules[1] = "shm";
	f->env = (struct validate_env){.free_bytes = BIT(40),
				       .modules = f->modules,
				       .nr_modules = 2,
				       .nr_cpus = 2,
				       .max_gpa = BIT(48)};
}

static void expect(struct fx *f, int rc, const char *line)
{
	memset(f->err, 'x', sizeof(f->err));
	assert_int_equal(vm_config_validate(&f->cfg, &f->env, f->err, sizeof(f->err)), rc);
	assert_string_equal(f->err, line);
}

static void test_admitted(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	expect(&f, 0, "");
	f.regs[2].flags = REGION_F_COALESCED; /* both devices, one ring */
	expect(&f, 0, "");
}

static void test_other_kinds_refused(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	f.regs[0].flags = REGION_F_COALESCED;
	expect(&f, -EINVAL,
	       "vm \"co\": region 0 [0x0..0x1000000) is ram: only mmio-emul regions can coalesce "
	       "writes");
	fx_init(&f);
	f.regs[1] = (struct vm_region)PASSTHRU(0xd0003000, 4 * KiB, 0xfe000000);
	f.regs[1].flags = REGION_F_COALESCED;
	expect(&f, -EINVAL,
	       "vm \"co\": region 1 [0xd0003000..0xd0004000) is mmio-pass: only mmio-emul regions "
	       "can coalesce writes");
	fx_init(&f);
	f.regs[1] = (struct vm_region)SHARED(0xd0003000, 4 * KiB, "shm");
	f.regs[1].flags = REGION_F_COALESCED;
	expect(&f, -EINVAL,
	       "vm \"co\": region 1 [0xd0003000..0xd0004000) is shared: only mmio-emul regions can "
	       "coalesce writes");
	fx_init(&f);
	f.regs[1] = (struct vm_region)ROM(0xd0000000, 4 * KiB, "testguest");
	f.regs[2].gpa = 0xd0001000;
	f.regs[1].flags = REGION_F_COALESCED;
	expect(&f, -EINVAL,
	       "vm \"co\": region 1 [0xd0000000..0xd0001000) is rom: only mmio-emul regions can "
	       "coalesce writes");
}

static void test_not_writable_refused(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	f.regs[1].rights = REGION_R;
	expect(&f, -EINVAL,
	       "vm \"co\": region 1 [0xd0003000..0xd0004000) coalesces writes but is not writable");
}

/* The other flags are their own features' to admit; an unknown bit stays unknown. */
static void test_other_flags_still_refused(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f);
	f.regs[1].flags = REGION_F_COALESCED | BIT(31);
	expect(&f, -EINVAL,
	       "vm \"co\": region 1 [0xd0003000..0xd0004000) has unknown flags 0x80000000");
	fx_init(&f);
	f.regs[1].flags = REGION_F_COALESCED | REGION_F_DEMAND;
	assert_int_not_equal(vm_config_validate(&f.cfg, &f.env, f.err, sizeof(f.err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_admitted),
	    cmocka_unit_test(test_other_kinds_refused),
	    cmocka_unit_test(test_not_writable_refused),
	    cmocka_unit_test(test_other_flags_still_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
