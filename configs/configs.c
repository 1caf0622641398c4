/*
 * The built-in configurations, as plain data. The hypervisor's command line
 * picks one with config=NAME (default "demo"). docs/config.md explains the fields.
 */
#include "configs/configs.h"

#define TEST_REGIONS(ram)                                                                          \
	{.gpa = 0, .size = (ram), .kind = REGION_RAM, .rights = REGION_RWX},                       \
	    {.gpa = 0xc0000000,                                                                    \
	     .size = 2 * MiB,                                                                      \
	     .kind = REGION_SHARED,                                                                \
	     .rights = REGION_R | REGION_W,                                                        \
	     .name = "shm0"},                                                                      \
	    {.gpa = 0xd0000000,                                                                    \
	     .size = 4 * KiB,                                                                      \
	     .kind = REGION_MMIO_EMUL,                                                             \
	     .rights = REGION_R | REGION_W,                                                        \
	     .name = "testdev"},                                                                   \
	    {.gpa = 0xd0001000,                                                                    \
	     .size = 4 * KiB,                                                                      \
	     .kind = REGION_MMIO_EMUL,                                                             \
	     .rights = REGION_R | REGION_W,                                                        \
	     .name = "testdev-slow"},                                                              \
	    {.gpa = 0xd0002000,                                                                    \
	     .size = 4 * KiB,                                                                      \
	     .kind = REGION_MMIO_EMUL,                                                             \
	     .rights = REGION_R | REGION_W,                                                        \
	     .name = "uart"},                                                                      \
	    {.gpa = 0xfec00000,                                                                    \
	     .size = 4 * KiB,                                                                      \
	     .kind = REGION_MMIO_PASS,                                                             \
	     .rights = REGION_R | REGION_W,                                                        \
	     .hpa = 0xfec00000},                                                                   \
	{                                                                                          \
		.gpa = 0xfff00000, .size = 64 * KiB, .kind = REGION_ROM,                           \
		.rights = REGION_R | REGION_X, .name = "testrom"                                   \
	}

static const struct vm_region test_regions[] = {TEST_REGIONS(128 * MiB)};
/* the demo fits a 128 MiB machine */
static const struct vm_region demo_regions[] = {TEST_REGIONS(32 * MiB)};

static const struct vm_config test_vms[] = {{
    .name = "test",
    .cpu = 0,
    .regions = test_regions,
    .nr_regions = ARRAY_SIZE(test_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .cmdline = "",
    .policy = VM_POLICY_STOP,
    .flags = VM_FLAG_PRIVILEGED,
}};

static const struct vm_config demo_vms[] = {{
    .name = "demo",
    .cpu = 0,
    .regions = demo_regions,
    .nr_regions = ARRAY_SIZE(demo_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .cmdline = "test=hello,cpuid,hypercall,mmio,rom,shared",
    .policy = VM_POLICY_STOP,
}};

static const struct vm_region legacy_regions[] = {
    {.gpa = 0, .size = 64 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
};

static const char *const legacy_modules[] = {"testrom", "testguest"};

static const struct vm_config mb1_vms[] = {{
    .name = "legacy",
    .cpu = 0,
    .regions = legacy_regions,
    .nr_regions = ARRAY_SIZE(legacy_regions),
    .image = "mb1guest",
    .proto = BOOT_MULTIBOOT1,
    .cmdline = "hello from kestrel",
    .modules = legacy_modules,
    .nr_modules = ARRAY_SIZE(legacy_modules),
}};

/* Deliberately broken configurations, for the tests of boot-time validation. */
static const struct vm_region overlap_regions[] = {
    {.gpa = 0, .size = 2 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = 0x100000, .size = 2 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
};
static const struct vm_config bad_overlap_vms[] = {{
    .name = "rt0",
    .regions = overlap_regions,
    .nr_regions = ARRAY_SIZE(overlap_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
}};
static const struct vm_config bad_module_vms[] = {{
    .name = "lost",
    .regions = legacy_regions,
    .nr_regions = ARRAY_SIZE(legacy_regions),
    .image = "nosuchkernel",
    .proto = BOOT_MULTIBOOT2,
}};
static const struct vm_region huge_regions[] = {
    {.gpa = 0, .size = 64 * GiB, .kind = REGION_RAM, .rights = REGION_RWX},
};
static const struct vm_config bad_huge_vms[] = {{
    .name = "greedy",
    .regions = huge_regions,
    .nr_regions = ARRAY_SIZE(huge_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
}};

/* ---- static partitioning: two VMs on two CPUs ---- */

#define PART_REGIONS(ram)                                                                          \
	{.gpa = 0, .size = (ram), .kind = REGION_RAM, .rights = REGION_RWX},                       \
	    {.gpa = 0xc0000000,                                                                    \
	     .size = 2 * MiB,                                                                      \
	     .kind = REGION_SHARED,                                                                \
	     .rights = REGION_R | REGION_W,                                                        \
	     .name = "shm0"},                                                                      \
	    {.gpa = 0xd0000000,                                                                    \
	     .size = 4 * KiB,                                                                      \
	     .kind = REGION_MMIO_EMUL,                                                             \
	     .rights = REGION_R | REGION_W,                                                        \
	     .name = "testdev"},                                                                   \
	    {.gpa = 0xd0001000,                                                                    \
	     .size = 4 * KiB,                                                                      \
	     .kind = REGION_MMIO_EMUL,                                                             \
	     .rights = REGION_R | REGION_W,                                                        \
	     .name = "testdev-slow"},                                                              \
	{                                                                                          \
		.gpa = 0xd0002000, .size = 4 * KiB, .kind = REGION_MMIO_EMUL,                      \
		.rights = REGION_R | REGION_W, .name = "uart"                                      \
	}

static const struct vm_region part_regions[] = {PART_REGIONS(32 * MiB)};

static const struct vm_config pair_vms[] = {
    {.name = "ping",
     .cpu = 0,
     .regions = part_regions,
     .nr_regions = ARRAY_SIZE(part_regions),
     .image = "testguest",
     .proto = BOOT_MULTIBOOT2,
     .flags = VM_FLAG_PRIVILEGED,
     .cmdline = "test=ring_producer peer=1 count=1000"},
    {.name = "pong",
     .cpu = 1,
     .regions = part_regions,
     .nr_regions = ARRAY_SIZE(part_regions),
     .image = "testguest",
     .proto = BOOT_MULTIBOOT2,
     .cmdline = "test=ring_consumer peer=0 count=1000"},
};

/* A hostile guest next to a victim: the attacker restarts after every fatal attack. */
static const struct vm_region attacker_regions[] = {
    {.gpa = 0, .size = 16 * MiB, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = 0xd0000000,
     .size = 4 * KiB,
     .kind = REGION_MMIO_EMUL,
     .rights = REGION_R | REGION_W,
     .name = "testdev"},
};

static const struct vm_config hostile_vms[] = {
    {.name = "victim",
     .cpu = 0,
     .regions = part_regions,
     .nr_regions = ARRAY_SIZE(part_regions),
     .image = "testguest",
     .proto = BOOT_MULTIBOOT2,
     .cmdline = "test=victim mib=1",
     .flags = VM_FLAG_PRIVILEGED | VM_FLAG_BACKGROUND},
    {.name = "attacker",
     .cpu = 1,
     .regions = attacker_regions,
     .nr_regions = ARRAY_SIZE(attacker_regions),
     .image = "testguest",
     .proto = BOOT_MULTIBOOT2,
     .cmdline = "test=hostile",
     .policy = VM_POLICY_RESTART,
     .max_restarts = 100,
     .watchdog = 20000000},
};

/* One VM at a time: restart scrubs RAM; the watchdog catches a missing heartbeat. */
static const struct vm_config secret_vms[] = {{
    .name = "keeper",
    .regions = part_regions,
    .nr_regions = ARRAY_SIZE(part_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .cmdline = "test=secret",
    .policy = VM_POLICY_RESTART,
}};
static const struct vm_config watchdog_vms[] = {{
    .name = "sleepy",
    .regions = part_regions,
    .nr_regions = ARRAY_SIZE(part_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .cmdline = "test=spin",
    .watchdog = 20000000,
}};
static const struct vm_config heartbeat_vms[] = {{
    .name = "lively",
    .regions = part_regions,
    .nr_regions = ARRAY_SIZE(part_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .cmdline = "test=heartbeat",
    .watchdog = 20000000,
}};

#define CONFIG(n, v)                                                                               \
	{                                                                                          \
		.name = n, .vms = v, .nr_vms = ARRAY_SIZE(v)                                       \
	}

const struct hv_config hv_configs[] = {
    CONFIG("demo", demo_vms),
    CONFIG("test", test_vms),
    CONFIG("mb1", mb1_vms),
    CONFIG("pair", pair_vms),
    CONFIG("hostile", hostile_vms),
    CONFIG("secret", secret_vms),
    CONFIG("watchdog", watchdog_vms),
    CONFIG("heartbeat", heartbeat_vms),
    CONFIG("bad-overlap", bad_overlap_vms),
    CONFIG("bad-module", bad_module_vms),
    CONFIG("bad-huge", bad_huge_vms),
};
const unsigned nr_hv_configs = ARRAY_SIZE(hv_configs);
