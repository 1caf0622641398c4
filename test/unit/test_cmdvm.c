/*
 * Unit tests for config/cmdvm.c: every field parsed into the store, defaults, capacities at
 * and past their limits, and one table row per malformed form with its exact error line; the
 * parsed configuration then goes through the ordinary validator.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errno.h"
#include "config/cmdvm.h"
#include "config/validate.h"

static struct cmdvm_store st;
static char err[VALIDATE_ERR_LEN];
static char line[4096];

static const char *const env_modules[] = {"kernel", "initrd", "bios"};
static const struct validate_range env_hv[] = {{0x200000, 0x400000}};
static const struct validate_range env_ram[] = {{0x0, 0x9f000}, {0x100000, 0x40000000}};
static const struct validate_env env = {
    .free_bytes = 0x30000000,
    .modules = env_modules,
    .nr_modules = 3,
    .nr_cpus = 4,
    .max_gpa = BIT(48),
    .hv_ranges = env_hv,
    .nr_hv_ranges = 1,
    .ram_ranges = env_ram,
    .nr_ram_ranges = 2,
};

static int parse(const char *s)
{
	return cmdvm_parse(s, &st, err, sizeof(err));
}

static int validate(void)
{
	return vm_config_validate(cmdvm_config(&st), &env, err, sizeof(err));
}

static void assert_region(const struct vm_region *r, enum region_kind kind, uint32_t rights,
			  uint64_t gpa, uint64_t size, const char *name, uint64_t hpa)
{
	assert_int_equal(r->kind, kind);
	assert_int_equal(r->rights, rights);
	assert_int_equal(r->gpa, gpa);
	assert_int_equal(r->size, size);
	if (name)
		assert_string_equal(r->name, name);
	else
		assert_null(r->name);
	assert_int_equal(r->hpa, hpa);
}

/* ---- what a good line gives ---- */

/* A VM from the command line gets the PC platform unless it asks otherwise; the
 * validator then refuses a region on the platform's own pages. */
static void test_platform(void **state)
{
	assert_int_equal(parse("vm=a,ram=16M,image=kernel"), 1);
	assert_int_equal(st.cfg.vms[0].platform, VM_PLATFORM_PC);
	assert_int_equal(parse("vm=a,ram=16M,image=kernel,platform=pc"), 1);
	assert_int_equal(st.cfg.vms[0].platform, VM_PLATFORM_PC);
	assert_int_equal(parse("vm=a,ram=16M,image=kernel,platform=amiga"), -EINVAL);
	assert_string_equal(err,
			    "vm 0 (\"a\"): field \"platform=amiga\": unknown platform \"amiga\" "
			    "(pc, minimal)");
	assert_int_equal(parse("vm=a,ram=16M,image=kernel,mmio=0xfee00000:4K:uart"), 1);
	assert_int_equal(validate(), -EEXIST);
	/* the host's local APIC is never passed through, on any platform */
	assert_int_equal(
	    parse("vm=a,ram=16M,image=kernel,platform=minimal,pass=0xfee00000:4K:0xfee00000"), 1);
	assert_int_equal(validate(), -EPERM);
	assert_string_equal(err, "vm \"a\": region 1 [0xfee00000..0xfee01000) passthrough "
				 "[0xfee00000..0xfee01000) covers the host's local APIC at "
				 "0xfee00000");
}

/* peers= names the VMs (by the order of the vm= words) one may ring; the validator checks. */
static void test_peers(void **state)
{
	assert_int_equal(parse("vm=a,ram=16M,image=kernel,peers=1+3 vm=b,ram=16M,image=kernel,"
			       "cpus=1,peers=0"),
			 2);
	assert_int_equal(st.cfg.vms[0].peers, PEER(1) | PEER(3));
	assert_int_equal(st.cfg.vms[1].peers, PEER(0));
	assert_int_equal(validate(), -ENOENT);
	assert_string_equal(err, "vm \"a\": peers name vm 3, but the configuration has 2 VM(s)");
	assert_int_equal(parse("vm=a,ram=16M,image=kernel,peers=1 vm=b,ram=16M,image=kernel,"
			       "cpus=1,peers=0+63"),
			 2);
	assert_int_equal(st.cfg.vms[1].peers, PEER(0) | PEER(63));
	assert_int_equal(parse("vm=a,ram=16M,image=kernel,peers=1 vm=b,ram=16M,image=kernel,"
			       "cpus=1,peers=0"),
			 2);
	assert_int_equal(validate(), 0);
	assert_int_equal(parse("vm=a,ram=16M,image=kernel,peers=0"), 1);
	assert_int_equal(validate(), -EINVAL);
	assert_string_equal(err, "vm \"a\": peers name the VM itself (vm 0)");
	assert_int_equal(parse("vm=a,ram=16M,image=kernel"), 1);
	assert_int_equal(st.cfg.vms[0].peers, 0); /* none by default */
}

static void test_every_field(void **state)
{
	const struct vm_config *vm;

	assert_int_equal(parse("loglevel=debug vm=rt,cpus=1,ram=16M,ram=0x10000000:4K,image=kernel,"
			       "proto=multiboot,rom=0xfff00000:64K:bios,mmio=0xd0000000:4k:uart,"
			       "pass=0xfebf0000:4K:0xfebf0000,shm=0xc0000000:2M:ring,"
			       "module=initrd,module=bios,policy=restart,restarts=5,"
			       "flags=privileged+background,platform=minimal,"
			       "cmdline=console=ttyS0,115200 root=/dev/ram0  quiet"),
			 1);
	assert_string_equal(err, "");
	assert_int_equal(st.cfg.vms[0].platform, VM_PLATFORM_MINIMAL);
	assert_ptr_equal(cmdvm_config(&st), &st.cfg);
	assert_string_equal(st.cfg.name, "cmdline");
	assert_int_equal(st.cfg.nr_vms, 1);
	vm = &st.cfg.vms[0];
	assert_string_equal(vm->name, "rt");
	assert_int_equal(vm->cpu, 1);
	assert_string_equal(vm->image, "kernel");
	assert_int_equal(vm->proto, BOOT_MULTIBOOT1);
	assert_int_equal(vm->policy, VM_POLICY_RESTART);
	assert_int_equal(vm->max_restarts, 5);
	assert_int_equal(vm->flags, VM_FLAG_PRIVILEGED | VM_FLAG_BACKGROUND);
	assert_string_equal(vm->cmdline, "console=ttyS0,115200 root=/dev/ram0  quiet");
	assert_int_equal(vm->nr_modules, 2);
	assert_string_equal(vm->modules[0], "initrd");
	assert_string_equal(vm->modules[1], "bios");
	assert_int_equal(vm->nr_regions, 6);
	assert_region(&vm->regions[0], REGION_RAM, REGION_RWX, 0, 16 * MiB, NULL, 0);
	assert_region(&vm->regions[1], REGION_RAM, REGION_RWX, 0x10000000, 4 * KiB, NULL, 0);
	assert_region(&vm->regions[2], REGION_ROM, REGION_R | REGION_X, 0xfff00000, 64 * KiB,
		      "bios", 0);
	assert_region(&vm->regions[3], REGION_MMIO_EMUL, REGION_R | REGION_W, 0xd0000000, 4 * KiB,
		      "uart", 0);
	assert_region(&vm->regions[4], REGION_MMIO_PASS, REGION_R | REGION_W, 0xfebf0000, 4 * KiB,
		      NULL, 0xfebf0000);
	assert_region(&vm->regions[5], REGION_SHARED, REGION_R | REGION_W, 0xc0000000, 2 * MiB,
		      "ring", 0);
	assert_int_equal(validate(), 0);
}

static void test_defaults(void **state)
{
	const struct vm_config *vm = &st.vms[0];

	assert_int_equal(parse("vm=a,ram=32M,image=kernel"), 1);
	assert_int_equal(vm->cpu, 0);
	assert_int_equal(vm->proto, BOOT_AUTO);
	assert_int_equal(vm->policy, VM_POLICY_STOP);
	assert_int_equal(vm->flags, 0);
	assert_int_equal(vm->max_restarts, 0);
	assert_int_equal(vm->watchdog_us, 0);
	assert_int_equal(vm->nr_modules, 0);
	assert_string_equal(vm->cmdline, "");
	assert_int_equal(validate(), 0); /* BOOT_AUTO is a known protocol */
}

static void test_protocols_and_policies(void **state)
{
	assert_int_equal(parse("vm=a,image=k,proto=multiboot2,policy=stop"), 1);
	assert_int_equal(st.vms[0].proto, BOOT_MULTIBOOT2);
	assert_int_equal(st.vms[0].policy, VM_POLICY_STOP);
	assert_int_equal(parse("vm=a,image=k,proto=linux"), 1);
	assert_int_equal(st.vms[0].proto, BOOT_LINUX);
	assert_int_equal(parse("vm=a,image=k,proto=auto,flags=background"), 1);
	assert_int_equal(st.vms[0].proto, BOOT_AUTO);
	assert_int_equal(st.vms[0].flags, VM_FLAG_BACKGROUND);
	assert_int_equal(parse("vm=a,image=k,flags=privileged"), 1);
	assert_int_equal(st.vms[0].flags, VM_FLAG_PRIVILEGED);
	assert_int_equal(parse("vm=a,image=k,flags=console+background"), 1);
	assert_int_equal(st.vms[0].flags, VM_FLAG_CONSOLE | VM_FLAG_BACKGROUND);
}

static void test_sizes(void **state)
{
	assert_int_equal(parse("vm=a,image=k,ram=4096,ram=0x2000:0x1000,ram=1K:1k,ram=3m:2G,"
			       "ram=0x10G:0x4M,ram=0:0,ram=0XABCDEFk:18446744073709551615"),
			 1);
	assert_int_equal(st.vms[0].regions[0].gpa, 0);
	assert_int_equal(st.vms[0].regions[0].size, 4096);
	assert_int_equal(st.vms[0].regions[1].gpa, 0x2000);
	assert_int_equal(st.vms[0].regions[1].size, 0x1000);
	assert_int_equal(st.vms[0].regions[2].gpa, 1024);
	assert_int_equal(st.vms[0].regions[2].size, 1024);
	assert_int_equal(st.vms[0].regions[3].gpa, 3 * MiB);
	assert_int_equal(st.vms[0].regions[3].size, 2 * GiB);
	assert_int_equal(st.vms[0].regions[4].gpa, 16 * GiB);
	assert_int_equal(st.vms[0].regions[4].size, 4 * MiB);
	assert_int_equal(st.vms[0].regions[5].size, 0); /* the validator refuses it */
	assert_int_equal(st.vms[0].regions[6].gpa, 0xabcdefULL << 10);
	assert_int_equal(st.vms[0].regions[6].size, UINT64_MAX);
	assert_int_equal(parse("vm=a,image=k,ram=16777215G,cpus=4294967295,restarts=4294967295"),
			 1);
	assert_int_equal(st.vms[0].regions[0].size, 16777215ULL << 30);
	assert_int_equal(st.vms[0].cpu, UINT32_MAX);
	assert_int_equal(st.vms[0].max_restarts, UINT32_MAX);
}

/* watchdog= is kept in microseconds whatever the unit; 0 means none. */
static void test_watchdog_units(void **state)
{
	static const struct {
		const char *word;
		uint64_t us;
	} cases[] = {{"vm=a,image=k,watchdog=2000ms", 2000000},
		     {"vm=a,image=k,watchdog=2s", 2000000},
		     {"vm=a,image=k,watchdog=1500us", 1500},
		     {"vm=a,image=k,watchdog=0s", 0},
		     {"vm=a,image=k,watchdog=18446744073709s", 18446744073709000000ULL}};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].word), 1);
		assert_int_equal(st.vms[0].watchdog_us, cases[i].us);
	}
}

/* checkpoint=SIZE and checkpoint-period=TIME, policy=rollback (vm/ckpt.h). */
static void test_checkpoint_words(void **state)
{
	assert_int_equal(
	    parse("vm=a,image=k,policy=rollback,checkpoint=64M,checkpoint-period=500ms"), 1);
	assert_int_equal(st.vms[0].policy, VM_POLICY_ROLLBACK);
	assert_int_equal(st.vms[0].checkpoint_bytes, 64 * MiB);
	assert_int_equal(st.vms[0].checkpoint_period_us, 500000);
	assert_int_equal(parse("vm=a,image=k,checkpoint=0x5000"), 1);
	assert_int_equal(st.vms[0].checkpoint_bytes, 0x5000);
	assert_int_equal(st.vms[0].checkpoint_period_us, 0);
	assert_int_equal(st.vms[0].policy, VM_POLICY_STOP);
}

static void test_two_vms(void **state)
{
	assert_int_equal(parse("config=x vm=a,ram=32M,image=kernel,cmdline=one two, three  "
			       "vm=b,ram=32M,image=kernel,module=initrd"),
			 2);
	assert_string_equal(st.vms[0].name, "a");
	assert_string_equal(st.vms[0].cmdline, "one two, three"); /* trailing spaces dropped */
	assert_int_equal(st.vms[0].cpu, 0);
	assert_string_equal(st.vms[1].name, "b");
	assert_int_equal(st.vms[1].cpu, 1); /* default: the VM's index */
	assert_string_equal(st.vms[1].modules[0], "initrd");
	assert_ptr_not_equal(st.vms[0].regions, st.vms[1].regions);
	assert_int_equal(validate(), 0);
}

static void test_cmdline_verbatim(void **state)
{
	/* cmdline= takes the rest: what looks like fields belongs to the guest */
	assert_int_equal(parse("vm=a,image=k,cmdline=x,image=j,ram=12Q vm=b,image=k,cmdline="), 2);
	assert_string_equal(st.vms[0].cmdline, "x,image=j,ram=12Q");
	assert_string_equal(st.vms[0].image, "k");
	assert_int_equal(st.vms[0].nr_regions, 0);
	assert_string_equal(st.vms[1].cmdline, "");
	/* "vm=" inside a word is not a VM; a control character stays verbatim */
	assert_int_equal(parse("vm=a,image=k,cmdline=kvm=1 xvm=2,vm=3\t"), 1);
	assert_string_equal(st.vms[0].cmdline, "kvm=1 xvm=2,vm=3\t");
}

static void test_no_vm(void **state)
{
	assert_int_equal(parse(""), 0);
	assert_null(cmdvm_config(&st));
	assert_int_equal(parse("config=demo loglevel=debug kvm=a xvm=b,image=k"), 0);
	assert_null(cmdvm_config(&st));
	assert_string_equal(err, "");
}

static void test_options_len(void **state)
{
	assert_int_equal(cmdvm_options_len(""), 0);
	assert_int_equal(cmdvm_options_len("loglevel=debug"), 14);
	assert_int_equal(cmdvm_options_len("vm=a,image=k"), 0);
	assert_int_equal(cmdvm_options_len("loglevel=debug vm=a,image=k,cmdline=loglevel=x"), 15);
	assert_int_equal(cmdvm_options_len("kvm=1 vm=a"), 6);
}

static void test_cpu_range_of_one(void **state)
{
	assert_int_equal(parse("vm=a,image=k,cpus=2-2"), 1);
	assert_int_equal(st.vms[0].cpu, 2);
}

/* Several vCPUs: vCPU i on the i-th CPU named, ranges and lists mixed, in the order given. */
static void test_cpu_lists(void **state)
{
	static const uint32_t want[] = {3, 0, 1, 2, 7};

	assert_int_equal(parse("vm=a,image=k,cpus=0-1"), 1);
	assert_int_equal(st.vms[0].nr_vcpus, 2);
	assert_int_equal(st.vms[0].cpus[0], 0);
	assert_int_equal(st.vms[0].cpus[1], 1);
	assert_int_equal(vm_cfg_vcpus(&st.vms[0]), 2);
	assert_int_equal(parse("vm=a,image=k,cpus=3+0-2+7"), 1);
	assert_int_equal(st.vms[0].nr_vcpus, 5);
	assert_int_equal(st.vms[0].cpu, 3);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(vm_cfg_cpu(&st.vms[0], i), want[i]);
	assert_int_equal(parse("vm=a,image=k,cpus=0-7"), 1);
	assert_int_equal(vm_cfg_vcpus(&st.vms[0]), VM_MAX_VCPUS);
	assert_int_equal(parse("vm=a,image=k,cpus=5"), 1);
	assert_int_equal(vm_cfg_vcpus(&st.vms[0]), 1);
	assert_int_equal(vm_cfg_cpu(&st.vms[0], 0), 5);
}

/* ---- the validator sees the parsed configuration like any other ---- */

static void test_validator_overlap(void **state)
{
	assert_int_equal(parse("vm=rt,ram=2M,ram=0x100000:2M,image=kernel"), 1);
	assert_int_equal(validate(), -EINVAL);
	assert_string_equal(err, "vm \"rt\": region 1 [0x100000..0x300000) overlaps region 0 "
				 "[0x0..0x200000)");
}

static void test_validator_module(void **state)
{
	assert_int_equal(parse("vm=a,ram=32M,image=kernel,module=nosuch"), 1);
	assert_int_equal(validate(), -ENOENT);
	assert_string_equal(err, "vm \"a\": guest module 0 \"nosuch\" is not a boot module");
	assert_int_equal(parse("vm=a,ram=32M,image=kernel,cpus=4"), 1);
	assert_int_equal(validate(), -ENODEV);
	assert_string_equal(err, "vm \"a\": cpu 4 not present (4 CPUs)");
	assert_int_equal(parse("vm=a,ram=32M,image=kernel vm=b,cpus=0,ram=32M,image=kernel"), 2);
	assert_int_equal(validate(), -EBUSY);
	assert_string_equal(err, "vm \"b\": cpu 0 already runs vm \"a\"");
}

/* ---- capacities: the limit holds, one more is refused by name ---- */

static char *repeat(const char *head, const char *item, unsigned n, const char *tail)
{
	size_t len = (size_t)snprintf(line, sizeof(line), "%s", head);

	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, item, i);
	snprintf(line + len, sizeof(line) - len, "%s", tail);
	return line;
}

static void test_max_regions(void **state)
{
	assert_int_equal(parse(repeat("vm=a,image=k", ",ram=0x%x000:4K", VALIDATE_MAX_REGIONS, "")),
			 1);
	assert_int_equal(st.vms[0].nr_regions, VALIDATE_MAX_REGIONS);
	assert_int_equal(st.vms[0].regions[31].gpa, 0x1f000);
	assert_int_equal(
	    parse(repeat("vm=a,image=k", ",ram=0x%x000:4K", VALIDATE_MAX_REGIONS + 1, "")), -E2BIG);
	assert_string_equal(err, "vm 0 (\"a\"): field \"ram=0x20000:4K\": more than 32 regions");
	assert_null(cmdvm_config(&st));
	assert_int_equal(
	    parse(repeat("vm=a,image=k", ",shm=0x%x000:4K:s", VALIDATE_MAX_REGIONS + 1, "")),
	    -E2BIG);
	assert_string_equal(err, "vm 0 (\"a\"): field \"shm=0x20000:4K:s\": more than 32 regions");
}

static void test_max_modules(void **state)
{
	assert_int_equal(
	    parse(repeat("vm=a,image=k", ",module=m%u", VALIDATE_MAX_GUEST_MODULES, "")), 1);
	assert_int_equal(st.vms[0].nr_modules, VALIDATE_MAX_GUEST_MODULES);
	assert_string_equal(st.vms[0].modules[7], "m7");
	assert_int_equal(
	    parse(repeat("vm=a,image=k", ",module=m%u", VALIDATE_MAX_GUEST_MODULES + 1, "")),
	    -E2BIG);
	assert_string_equal(err, "vm 0 (\"a\"): field \"module=m8\": more than 8 modules");
}

static void test_max_vms(void **state)
{
	assert_int_equal(parse(repeat("", "vm=v%u,image=k ", VALIDATE_MAX_RUN_VMS, "")),
			 VALIDATE_MAX_RUN_VMS);
	assert_int_equal(parse(repeat("", "vm=v%u,image=k ", VALIDATE_MAX_RUN_VMS + 1, "")),
			 -E2BIG);
	assert_string_equal(err, "vm 4: more than 4 VMs on the command line");
	assert_null(cmdvm_config(&st));
}

static void test_max_strings(void **state)
{
	char name[VALIDATE_NAME_MAX + 1] = {0}, cmd[VALIDATE_CMDLINE_MAX + 1] = {0};
	char big[sizeof(line)];

	memset(name, 'n', VALIDATE_NAME_MAX - 1);
	snprintf(big, sizeof(big), "vm=%s,image=%s", name, name);
	assert_int_equal(parse(big), 1);
	assert_string_equal(st.vms[0].name, name);
	assert_string_equal(st.vms[0].image, name);
	name[VALIDATE_NAME_MAX - 1] = 'n';
	snprintf(big, sizeof(big), "vm=%s,image=k", name);
	assert_int_equal(parse(big), -EINVAL);
	assert_string_equal(err, "vm 0: name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\" longer than 31 "
				 "characters");
	snprintf(big, sizeof(big), "vm=a,image=%s", name);
	assert_int_equal(parse(big), -EINVAL);
	assert_string_equal(err, "vm 0 (\"a\"): field \"image=nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\": "
				 "module name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\" longer than 31 "
				 "characters");

	memset(cmd, 'c', VALIDATE_CMDLINE_MAX - 1);
	snprintf(big, sizeof(big), "vm=a,image=k,cmdline=%s", cmd);
	assert_int_equal(parse(big), 1);
	assert_int_equal(strlen(st.vms[0].cmdline), VALIDATE_CMDLINE_MAX - 1);
	cmd[VALIDATE_CMDLINE_MAX - 1] = 'c';
	snprintf(big, sizeof(big), "vm=a,image=k,cmdline=%s", cmd);
	assert_int_equal(parse(big), -E2BIG);
	assert_string_equal(err,
			    "vm 0 (\"a\"): field \"cmdline=cccccccccccccccccccccccccccccccc...\": "
			    "cmdline of 256 characters, limit 255");
}

static void test_short_buffers(void **state)
{
	char small[12];

	memset(small, '#', sizeof(small));
	assert_int_equal(cmdvm_parse("vm=a,ram=12Q", &st, small, sizeof(small)), -EINVAL);
	assert_string_equal(small, "vm 0 (\"a\"):");
	assert_int_equal(cmdvm_parse("vm=a,ram=12Q", &st, NULL, 0), -EINVAL);
	assert_int_equal(cmdvm_parse("vm=a,image=k", &st, NULL, 0), 1);
}

/* ---- malformed forms: exact error lines ---- */

struct row {
	const char *name;
	const char *line;
	int rc;
	const char *err;
};

#define F(vm, field) "vm 0 (\"" vm "\"): field \"" field "\": "

static const struct row rows[] = {
    {"bad-size", "vm=a,ram=1M,image=k vm=rt,ram=12Q", -EINVAL,
     "vm 1 (\"rt\"): field \"ram=12Q\": bad size \"12Q\""},
    {"unknown-field", "vm=a,colour=red,image=k", -EINVAL,
     F("a", "colour=red") "unknown field \"colour\""},
    {"unknown-field-case", "vm=a,Image=k", -EINVAL, F("a", "Image=k") "unknown field \"Image\""},
    {"no-equals", "vm=a,image", -EINVAL, F("a", "image") "no '=' (fields are key=value)"},
    {"empty-key", "vm=a,=k", -EINVAL, F("a", "=k") "unknown field \"\""},
    {"empty-value", "vm=a,image=", -EINVAL, F("a", "image=") "empty value"},
    {"empty-ram", "vm=a,image=k,ram=", -EINVAL, F("a", "ram=") "empty value"},
    {"empty-field", "vm=a,,image=k", -EINVAL, F("a", "") "empty field"},
    {"trailing-comma", "vm=a,image=k,", -EINVAL, F("a", "") "empty field"},
    {"trailing-comma-space", "vm=a,image=k, vm=b,image=k", -EINVAL, F("a", "") "empty field"},
    {"no-image", "vm=a,ram=32M", -EINVAL,
     "vm 0 (\"a\"): no image= field (the guest kernel's module)"},
    {"cmdline-swallows-image", "vm=a,cmdline=x,image=k", -EINVAL,
     "vm 0 (\"a\"): no image= field (the guest kernel's module)"},
    {"size-suffix-only", "vm=a,ram=M", -EINVAL, F("a", "ram=M") "bad size \"M\""},
    {"size-hex-empty", "vm=a,ram=0x", -EINVAL, F("a", "ram=0x") "bad size \"0x\""},
    {"size-negative", "vm=a,ram=-1", -EINVAL, F("a", "ram=-1") "bad size \"-1\""},
    {"size-two-suffixes", "vm=a,ram=1KM", -EINVAL, F("a", "ram=1KM") "bad size \"1KM\""},
    {"size-overflow", "vm=a,ram=18446744073709551616", -EINVAL,
     F("a", "ram=18446744073709551616") "size \"18446744073709551616\" too large"},
    {"size-overflow-hex", "vm=a,ram=0x10000000000000000", -EINVAL,
     F("a", "ram=0x10000000000000000") "size \"0x10000000000000000\" too large"},
    {"size-overflow-suffix", "vm=a,ram=17179869184G", -EINVAL,
     F("a", "ram=17179869184G") "size \"17179869184G\" too large"},
    {"bad-gpa", "vm=a,ram=0xg:4K", -EINVAL, F("a", "ram=0xg:4K") "bad address \"0xg\""},
    {"ram-three-parts", "vm=a,ram=1:2:3", -EINVAL, F("a", "ram=1:2:3") "want SIZE or GPA:SIZE"},
    {"ram-empty-size", "vm=a,ram=0x1000:", -EINVAL, F("a", "ram=0x1000:") "bad size \"\""},
    {"rom-two-parts", "vm=a,rom=0xfff00000:64K", -EINVAL,
     F("a", "rom=0xfff00000:64K") "want GPA:SIZE:MODULE"},
    {"rom-four-parts", "vm=a,rom=1:2:b:c", -EINVAL, F("a", "rom=1:2:b:c") "want GPA:SIZE:MODULE"},
    {"rom-bad-size", "vm=a,rom=0:1T:bios", -EINVAL, F("a", "rom=0:1T:bios") "bad size \"1T\""},
    {"rom-no-module", "vm=a,rom=0:4K:", -EINVAL, F("a", "rom=0:4K:") "empty module name"},
    {"mmio-one-part", "vm=a,mmio=0xd0000000", -EINVAL,
     F("a", "mmio=0xd0000000") "want GPA:SIZE:DEVICE"},
    {"mmio-bad-device", "vm=a,mmio=0:4K:ua/rt", -EINVAL,
     F("a", "mmio=0:4K:ua/rt") "device name \"ua/rt\": only letters, digits, '_', '-', '.' "
			       "allowed"},
    {"pass-bad-hpa", "vm=a,pass=0:4K:zz", -EINVAL, F("a", "pass=0:4K:zz") "bad address \"zz\""},
    {"pass-two-parts", "vm=a,pass=0:4K", -EINVAL, F("a", "pass=0:4K") "want GPA:SIZE:HPA"},
    {"shm-no-name", "vm=a,shm=0xc0000000:4K:", -EINVAL,
     F("a", "shm=0xc0000000:4K:") "empty shared memory name"},
    {"dup-image", "vm=a,image=k,image=j", -EINVAL, F("a", "image=j") "\"image\" given twice"},
    {"dup-cpus", "vm=a,cpus=1,image=k,cpus=1", -EINVAL, F("a", "cpus=1") "\"cpus\" given twice"},
    {"dup-proto", "vm=a,proto=auto,proto=auto", -EINVAL,
     F("a", "proto=auto") "\"proto\" given twice"},
    {"dup-policy", "vm=a,policy=stop,policy=restart", -EINVAL,
     F("a", "policy=restart") "\"policy\" given twice"},
    {"dup-restarts", "vm=a,restarts=1,restarts=2", -EINVAL,
     F("a", "restarts=2") "\"restarts\" given twice"},
    {"dup-flags", "vm=a,flags=privileged,flags=background", -EINVAL,
     F("a", "flags=background") "\"flags\" given twice"},
    {"cpus-word", "vm=a,cpus=x", -EINVAL, F("a", "cpus=x") "bad number \"x\""},
    {"cpus-suffix", "vm=a,cpus=1K", -EINVAL, F("a", "cpus=1K") "bad number \"1K\""},
    {"cpus-overflow", "vm=a,cpus=4294967296", -EINVAL,
     F("a", "cpus=4294967296") "number \"4294967296\" too large"},
    {"cpus-nine", "vm=a,cpus=0-8,image=k", -E2BIG, F("a", "cpus=0-8") "more than 8 vCPUs"},
    {"cpus-nine-list", "vm=a,cpus=0+1+2+3+4+5+6+7+8,image=k", -E2BIG,
     F("a", "cpus=0+1+2+3+4+5+6+7+8") "more than 8 vCPUs"},
    {"cpus-nine-mixed", "vm=a,cpus=0-6+7-8,image=k", -E2BIG,
     F("a", "cpus=0-6+7-8") "more than 8 vCPUs"},
    {"cpus-empty-item", "vm=a,cpus=1++2", -EINVAL, F("a", "cpus=1++2") "bad number \"\""},
    {"cpus-list-backwards", "vm=a,cpus=1+3-2", -EINVAL,
     F("a", "cpus=1+3-2") "bad CPU range \"3-2\""},
    {"cpus-backwards", "vm=a,cpus=2-1", -EINVAL, F("a", "cpus=2-1") "bad CPU range \"2-1\""},
    {"cpus-three", "vm=a,cpus=1-2-3", -EINVAL, F("a", "cpus=1-2-3") "bad CPU range \"1-2-3\""},
    {"cpus-open", "vm=a,cpus=1-", -EINVAL, F("a", "cpus=1-") "bad number \"\""},
    {"cpus-list", "vm=a,cpus=1,2", -EINVAL, F("a", "2") "no '=' (fields are key=value)"},
    {"restarts-negative", "vm=a,restarts=-1", -EINVAL, F("a", "restarts=-1") "bad number \"-1\""},
    {"restarts-overflow", "vm=a,restarts=99999999999999999999", -EINVAL,
     F("a", "restarts=99999999999999999999") "number \"99999999999999999999\" too large"},
    {"watchdog-no-unit", "vm=a,watchdog=2000", -EINVAL,
     F("a", "watchdog=2000") "bad time \"2000\" (a number then us, ms or s: 2000ms)"},
    {"watchdog-bad-unit", "vm=a,watchdog=2m", -EINVAL,
     F("a", "watchdog=2m") "bad time \"2m\" (a number then us, ms or s: 2000ms)"},
    {"watchdog-no-number", "vm=a,watchdog=ms", -EINVAL, F("a", "watchdog=ms") "bad time \"\""},
    {"watchdog-negative", "vm=a,watchdog=-1ms", -EINVAL,
     F("a", "watchdog=-1ms") "bad time \"-1ms\" (a number then us, ms or s: 2000ms)"},
    {"watchdog-overflow", "vm=a,watchdog=18446744073709552s", -EINVAL,
     F("a", "watchdog=18446744073709552s") "time \"18446744073709552\" too large"},
    {"checkpoint-bad", "vm=a,checkpoint=lots", -EINVAL,
     F("a", "checkpoint=lots") "bad size \"lots\""},
    {"checkpoint-period-no-unit", "vm=a,checkpoint-period=20", -EINVAL,
     F("a", "checkpoint-period=20") "bad time \"20\" (a number then us, ms or s: 2000ms)"},
    {"dup-watchdog", "vm=a,watchdog=1s,watchdog=2s", -EINVAL,
     F("a", "watchdog=2s") "\"watchdog\" given twice"},
    {"proto-unknown", "vm=a,proto=elf", -EINVAL,
     F("a", "proto=elf") "unknown protocol \"elf\" (auto, multiboot, multiboot2, linux)"},
    {"policy-unknown", "vm=a,policy=reboot", -EINVAL,
     F("a", "policy=reboot") "unknown policy \"reboot\" (stop, restart, rollback)"},
    {"flag-unknown", "vm=a,flags=privileged+loud", -EINVAL,
     F("a", "flags=privileged+loud") "unknown flag \"loud\" (privileged, background, console)"},
    {"flag-empty", "vm=a,flags=privileged+", -EINVAL, F("a", "flags=privileged+") "empty flag"},
    {"peer-empty", "vm=a,peers=1+", -EINVAL, F("a", "peers=1+") "empty peer"},
    {"peer-first-empty", "vm=a,peers=+1", -EINVAL, F("a", "peers=+1") "empty peer"},
    {"peer-bad", "vm=a,peers=b", -EINVAL, F("a", "peers=b") "bad peer \"b\""},
    {"peer-large", "vm=a,peers=1+64", -EINVAL, F("a", "peers=1+64") "peer \"64\" too large"},
    {"dup-peers", "vm=a,peers=1,peers=2", -EINVAL, F("a", "peers=2") "\"peers\" given twice"},
    {"name-empty", "vm=,image=k", -EINVAL, "vm 0: empty name"},
    {"name-only-word", "vm=", -EINVAL, "vm 0: empty name"},
    {"name-dot", "vm=a.b,image=k", -EINVAL,
     "vm 0: name \"a.b\": only letters, digits, '_', '-' allowed"},
    {"name-space", "vm=a loglevel=debug", -EINVAL,
     "vm 0: name \"a loglevel=debug\": only letters, digits, '_', '-' allowed"},
    {"name-control", "vm=a\x01,image=k", -EINVAL,
     "vm 0: name \"a?\": only letters, digits, '_', '-' allowed"},
    {"second-vm-bad-name", "vm=a,image=k vm=b!", -EINVAL,
     "vm 1: name \"b!\": only letters, digits, '_', '-' allowed"},
    {"image-control", "vm=a,image=k\x7f", -EINVAL,
     F("a", "image=k?") "module name \"k?\": only letters, digits, '_', '-', '.' allowed"},
    {"module-empty", "vm=a,module=", -EINVAL, F("a", "module=") "empty value"},
    {"module-slash", "vm=a,module=/boot/x", -EINVAL,
     F("a", "module=/boot/x") "module name \"/boot/x\": only letters, digits, '_', '-', '.' "
			      "allowed"},
    {"option-after-vm", "vm=a,ram=1M,image=k loglevel=debug vm=b,image=k", -EINVAL,
     F("a", "image=k loglevel=debug") "space outside cmdline= (hypervisor options go before "
				      "the first vm=)"},
    {"long-culprit-cut", "vm=a,ram=12345678901234567890123456789012345678901234567890", -EINVAL,
     F("a", "ram=123456789012345678901234567890123456...") "size "
							   "\"12345678901234567890123456789012345"
							   "67890...\" too large"},
};

static void test_row(void **state)
{
	const struct row *r = *state;
	int rc = parse(r->line);

	if (rc != r->rc || strcmp(err, r->err) != 0)
		print_message("line: %s\n", r->line);
	assert_int_equal(rc, r->rc);
	assert_string_equal(err, r->err);
	assert_null(cmdvm_config(&st));
}

/* Every row tests something the others do not. */
static void test_rows_distinct(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		for (size_t j = 0; j < i; j++) {
			assert_true(strcmp(rows[i].name, rows[j].name) != 0);
			assert_true(strcmp(rows[i].line, rows[j].line) != 0);
		}
}

#define NR_ROWS	 ARRAY_SIZE(rows)
#define NR_FIXED 17

int main(void)
{
	struct CMUnitTest tests[NR_ROWS + NR_FIXED] = {
	    cmocka_unit_test(test_every_field),
	    cmocka_unit_test(test_platform),
	    cmocka_unit_test(test_peers),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_protocols_and_policies),
	    cmocka_unit_test(test_sizes),
	    cmocka_unit_test(test_watchdog_units),
	    cmocka_unit_test(test_checkpoint_words),
	    cmocka_unit_test(test_two_vms),
	    cmocka_unit_test(test_cmdline_verbatim),
	    cmocka_unit_test(test_no_vm),
	    cmocka_unit_test(test_options_len),
	    cmocka_unit_test(test_cpu_range_of_one),
	    cmocka_unit_test(test_cpu_lists),
	    cmocka_unit_test(test_validator_overlap),
	    cmocka_unit_test(test_validator_module),
	    cmocka_unit_test(test_max_regions),
	    cmocka_unit_test(test_max_modules),
	    cmocka_unit_test(test_max_vms),
	    cmocka_unit_test(test_max_strings),
	    cmocka_unit_test(test_short_buffers),
	    cmocka_unit_test(test_rows_distinct),
	};

	for (size_t i = 0; i < NR_ROWS; i++)
		tests[NR_FIXED + i] = (struct CMUnitTest){
		    .name = rows[i].name, .test_func = test_row, .initial_state = (void *)&rows[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
