/*
 * The built-in configurations, as plain data. The hypervisor's command line
 * picks one with config=NAME (default "demo"). docs/config.md explains the fields.
 */
#include "config/builtin.h"

/* The test guest's devices (docs/abi.md): shared memory, the MMIO test device, an MMIO UART. */
#define TEST_DEVICES                                                                               \
	SHARED(0xc0000000, 2 * MiB, "shm0"), MMIO(0xd0000000, 4 * KiB, "testdev"),                 \
	    MMIO(0xd0001000, 4 * KiB, "testdev-slow"), MMIO(0xd0002000, 4 * KiB, "uart")

/* ---- one VM: the test VM of docs/abi.md, and a smaller demo ---- */

/*
 * Passthrough is for devices no one else uses, never platform hardware (docs/config.md):
 * the test VM reads the host's VGA option ROM at 0xC0000, read-only device memory
 * outside every firmware map entry on the PCs we test on.
 */
static const struct vm_region test_regions[] = {RAM(0, 128 * MiB),
						TEST_DEVICES,
						{.gpa = 0xd0100000,
						 .size = 4 * KiB,
						 .kind = REGION_MMIO_PASS,
						 .rights = REGION_R,
						 .hpa = 0xc0000},
						ROM(0xfff00000, 64 * KiB, "testrom")};

/* the demo fits a 128 MiB machine */
static const struct vm_region demo_regions[] = {RAM(0, 32 * MiB), TEST_DEVICES,
						ROM(0xfff00000, 64 * KiB, "testrom")};

static const struct vm_config test_vms[] = {{
    .name = "test",
    REGIONS(test_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .flags = VM_FLAG_PRIVILEGED,
}};

static const struct vm_config demo_vms[] = {{
    .name = "demo",
    REGIONS(demo_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .cmdline = "test=hello,cpuid,hypercall,mmio,rom,shared",
}};

/* ---- an unmodified multiboot (v1) kernel, with boot modules passed on ---- */

static const struct vm_region legacy_regions[] = {RAM(0, 64 * MiB)};
static const char *const legacy_modules[] = {"testrom", "testguest"};

static const struct vm_config mb1_vms[] = {{
    .name = "legacy",
    REGIONS(legacy_regions),
    .image = "mb1guest",
    .proto = BOOT_MULTIBOOT1,
    .cmdline = "hello from kestrel",
    .modules = legacy_modules,
    .nr_modules = ARRAY_SIZE(legacy_modules),
}};

/* ---- static partitioning: two VMs on two CPUs ---- */

static const struct vm_region part_regions[] = {RAM(0, 32 * MiB), TEST_DEVICES};

static const struct vm_config pair_vms[] = {
    {.name = "ping",
     .cpu = 0,
     REGIONS(part_regions),
     .image = "testguest",
     .flags = VM_FLAG_PRIVILEGED,
     .peers = PEER(1),
     .cmdline = "test=ring_producer peer=1 count=1000"},
    {.name = "pong",
     .cpu = 1,
     REGIONS(part_regions),
     .image = "testguest",
     .peers = PEER(0),
     .cmdline = "test=ring_consumer peer=0 count=1000"},
};

/*
 * A hostile guest next to a victim: the attacker restarts after every fatal attack. Neither
 * names a peer: the attacker's doorbell to the victim is refused (-EPERM).
 */
static const struct vm_region attacker_regions[] = {RAM(0, 16 * MiB),
						    MMIO(0xd0000000, 4 * KiB, "testdev")};

/* The hostile configurations' victim: it re-reads a checksummed region and reports. */
#define VICTIM_VM                                                                                  \
	{                                                                                          \
		.name = "victim", .cpu = 0, REGIONS(part_regions), .image = "testguest",           \
		.cmdline = "test=victim mib=1", .flags = VM_FLAG_PRIVILEGED | VM_FLAG_BACKGROUND   \
	}

static const struct vm_config hostile_vms[] = {
    VICTIM_VM,
    {.name = "attacker",
     .cpu = 1,
     REGIONS(attacker_regions),
     .image = "testguest",
     .cmdline = "test=hostile",
     .policy = VM_POLICY_RESTART,
     .max_restarts = 100,
     .watchdog_us = 2000000}, /* 2 s: 20M instructions in Bochs */
};

/* The same attacks from a VM of two vCPUs (its second one waits for a SIPI it never gets). */
static const struct vm_config hostile2_vms[] = {
    VICTIM_VM,
    {.name = "attacker",
     .cpus = {1, 2},
     .nr_vcpus = 2,
     REGIONS(attacker_regions),
     .image = "testguest",
     .cmdline = "test=hostile",
     .policy = VM_POLICY_RESTART,
     .max_restarts = 100,
     .platform = VM_PLATFORM_PC,
     .watchdog_us = 2000000}, /* 2 s: 20M instructions in Bochs */
};

/* One VM at a time: restart scrubs RAM; the watchdog catches a missing heartbeat. */
static const struct vm_config secret_vms[] = {{
    .name = "keeper",
    REGIONS(part_regions),
    .image = "testguest",
    .cmdline = "test=secret",
    .policy = VM_POLICY_RESTART,
}};
static const struct vm_config watchdog_vms[] = {{
    .name = "sleepy",
    REGIONS(part_regions),
    .image = "testguest",
    .cmdline = "test=spin",
    .flags = VM_FLAG_EXPECT_FAULT, /* the watchdog stopping it is the demonstration */
    .watchdog_us = 2000000,	   /* 2 s */
}};
static const struct vm_config heartbeat_vms[] = {{
    .name = "lively",
    REGIONS(part_regions),
    .image = "testguest",
    .cmdline = "test=heartbeat",
    .watchdog_us = 2000000, /* 2 s */
}};

/* ---- the PC platform (docs/platform.md): the devices a stock OS expects, all emulated ---- */

static const struct vm_region pc_regions[] = {RAM(0, 128 * MiB)};

static const struct vm_config platform_vms[] = {{
    .name = "pc",
    REGIONS(pc_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .platform = VM_PLATFORM_PC,
}};

/*
 * ---- several vCPUs (docs/smp.md): our test guest on the PC platform with 2 or 3 vCPUs,
 * its APs started by the guest with INIT-SIPI-SIPI; restarted on a fault so the
 * scenarios can check a whole-VM restart. "vcpus-pair" puts a 2-vCPU VM next to a
 * 1-vCPU one (3 CPUs). They need guestargs=test=NAME from the tests.
 */
/* The test guest's VM "smp": its vCPUs on the CPUs listed, restarted (at most 4 times). */
#define SMP_VM(n, ...)                                                                             \
	{                                                                                          \
		.name = "smp", .cpus = {__VA_ARGS__}, .nr_vcpus = (n), REGIONS(pc_regions),        \
		.image = "testguest", .proto = BOOT_MULTIBOOT2, .platform = VM_PLATFORM_PC,        \
		.policy = VM_POLICY_RESTART, .max_restarts = 4                                     \
	}

static const struct vm_config vcpus2_vms[] = {SMP_VM(2, 0, 1)};
static const struct vm_config vcpus3_vms[] = {SMP_VM(3, 0, 1, 2)};

static const struct vm_region small_pc_regions[] = {RAM(0, 32 * MiB)};

static const struct vm_config vcpus_pair_vms[] = {
    SMP_VM(2, 0, 1),
    {
	.name = "one",
	.cpu = 2,
	REGIONS(small_pc_regions),
	.image = "testguest",
	.proto = BOOT_MULTIBOOT2,
	.cmdline = "test=heartbeat",
	.platform = VM_PLATFORM_PC,
	.flags = VM_FLAG_BACKGROUND,
    },
};

/*
 * ---- Linux next to a small guest (docs/linux.md): a stock kernel on CPU 0 with the PC
 * platform and the console, our test guest on CPU 1 writing a pattern into a shared
 * region that Linux sees as reserved memory (busybox devmem reads it) ----
 */
#define BOARD_GPA 0xc0000000ULL

static const struct vm_region linux_regions[] = {RAM(0, 256 * MiB),
						 SHARED(BOARD_GPA, 2 * MiB, "board")};
static const struct vm_region board_regions[] = {RAM(0, 32 * MiB),
						 SHARED(BOARD_GPA, 2 * MiB, "board")};
static const char *const linux_modules[] = {"initrd"};

static const struct vm_config linux_pair_vms[] = {
    {.name = "linux",
     .cpu = 0,
     REGIONS(linux_regions),
     .image = "linux",
     .proto = BOOT_AUTO,
     .modules = linux_modules,
     .nr_modules = ARRAY_SIZE(linux_modules),
     .cmdline = "console=ttyS0 board=0xc0000000",
     .flags = VM_FLAG_CONSOLE,
     .platform = VM_PLATFORM_PC},
    {.name = "board",
     .cpu = 1,
     REGIONS(board_regions),
     .image = "testguest",
     .cmdline = "test=board_writer shm=0xc0000000",
     .flags = VM_FLAG_BACKGROUND},
};

/*
 * ---- coalesced MMIO (docs/emulation.md): the test VM's devices plus a second test device
 * at 0xD0003000 whose writes wait in the VM's ring; needs guestargs=test=coalesced ----
 */
static const struct vm_region coalesced_regions[] = {RAM(0, 32 * MiB),
						     TEST_DEVICES,
						     {.gpa = 0xd0003000,
						      .size = 4 * KiB,
						      .kind = REGION_MMIO_EMUL,
						      .rights = REGION_R | REGION_W,
						      .name = "testdev",
						      .flags = REGION_F_COALESCED}};

static const struct vm_config coalesced_vms[] = {{
    .name = "coal",
    REGIONS(coalesced_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
}};

/* The same VM restarted once: writes waiting in the ring at the restart are discarded. */
static const struct vm_config coalesced_restart_vms[] = {{
    .name = "coal",
    REGIONS(coalesced_regions),
    .image = "testguest",
    .proto = BOOT_MULTIBOOT2,
    .cmdline = "test=coalesced_restart",
    .policy = VM_POLICY_RESTART,
    .max_restarts = 1,
}};

/* ---- deliberately broken configurations, for the tests of boot-time validation ---- */

static const struct vm_region overlap_regions[] = {RAM(0, 2 * MiB), RAM(0x100000, 2 * MiB)};
static const struct vm_config bad_overlap_vms[] = {
    {.name = "rt0", REGIONS(overlap_regions), .image = "testguest"}};
static const struct vm_config bad_module_vms[] = {
    {.name = "lost", REGIONS(legacy_regions), .image = "nosuchkernel"}};
static const struct vm_config bad_image_vms[] = {
    {.name = "garbled", REGIONS(legacy_regions), .image = "testrom"}};
static const struct vm_region huge_regions[] = {RAM(0, 64 * GiB)};
static const struct vm_config bad_huge_vms[] = {
    {.name = "greedy", REGIONS(huge_regions), .image = "testguest"}};

/*
 * ---- dirty logging (issue 15): region 1 logged from boot, region 2 turned on by the guest;
 * one vCPU and a region logged from boot: PML where the CPU has it (vmx/pml.c) ----
 */
static const struct vm_region dirty_regions[] = {RAM(0, 32 * MiB),
						 {.gpa = 32 * MiB,
						  .size = 4 * MiB,
						  .kind = REGION_RAM,
						  .rights = REGION_R | REGION_W,
						  .flags = REGION_F_LOG_DIRTY},
						 RAM(36 * MiB, 4 * MiB)};
static const struct vm_config dirty_vms[] = {
    {.name = "dirty", REGIONS(dirty_regions), .image = "testguest", .cmdline = "test=dirty"}};
/* The same without REGION_F_LOG_DIRTY: the guest turns region 1 on, by write-protection. */
static const struct vm_region dirty_wp_regions[] = {
    RAM(0, 32 * MiB),
    {.gpa = 32 * MiB, .size = 4 * MiB, .kind = REGION_RAM, .rights = REGION_R | REGION_W},
    RAM(36 * MiB, 4 * MiB)};
static const struct vm_config dirty_wp_vms[] = {
    {.name = "dirty", REGIONS(dirty_wp_regions), .image = "testguest", .cmdline = "test=dirty"}};
/* make bench: a 64 MiB region 1, logged from boot (PML) or turned on by the guest */
static const struct vm_region dirty_bench_regions[] = {RAM(0, 32 * MiB),
						       {.gpa = 32 * MiB,
							.size = 64 * MiB,
							.kind = REGION_RAM,
							.rights = REGION_R | REGION_W,
							.flags = REGION_F_LOG_DIRTY}};
static const struct vm_region dirty_bench_wp_regions[] = {RAM(0, 32 * MiB),
							  RAM(32 * MiB, 64 * MiB)};
static const struct vm_config dirty_bench_vms[] = {{.name = "dirty",
						    REGIONS(dirty_bench_regions),
						    .image = "testguest",
						    .cmdline = "test=dirty_bench"}};
static const struct vm_config dirty_bench_wp_vms[] = {{.name = "dirty",
						       REGIONS(dirty_bench_wp_regions),
						       .image = "testguest",
						       .cmdline = "test=dirty_bench"}};

/*
 * Run-time RAM slots (issue 15): the privileged "slotctl" adds a slot to "slotee" while it
 * runs on the other CPU, then removes it; slotee's next access there is the fault it expects.
 */
static const struct vm_config slots_vms[] = {
    {.name = "slotctl",
     .cpu = 0,
     REGIONS(part_regions),
     .image = "testguest",
     .flags = VM_FLAG_PRIVILEGED,
     .cmdline = "test=slots role=ctl"},
    {.name = "slotee",
     .cpu = 1,
     REGIONS(part_regions),
     .image = "testguest",
     .flags = VM_FLAG_EXPECT_FAULT,
     .cmdline = "test=slots role=target"},
};

/* The same, but slotee faults with the slot present: its restart drops it (then it stops). */
static const struct vm_config slots_drop_vms[] = {
    {.name = "slotctl",
     .cpu = 0,
     REGIONS(part_regions),
     .image = "testguest",
     .flags = VM_FLAG_PRIVILEGED,
     .cmdline = "test=slots role=ctl drop=1"},
    {.name = "slotee",
     .cpu = 1,
     REGIONS(part_regions),
     .image = "testguest",
     .policy = VM_POLICY_RESTART,
     .max_restarts = 1,
     .flags = VM_FLAG_EXPECT_FAULT,
     .cmdline = "test=slots role=target drop=1"},
};

/* A VM of two vCPUs adds a slot to itself, then removes it while vCPU 1 spins in its guest. */
static const struct vm_config slots_smp_vms[] = {{
    .name = "slotsmp",
    .cpus = {0, 1},
    .nr_vcpus = 2,
    REGIONS(pc_regions),
    .image = "testguest",
    .platform = VM_PLATFORM_PC,
    .flags = VM_FLAG_PRIVILEGED | VM_FLAG_EXPECT_FAULT,
    .cmdline = "test=slots role=smp",
}};

/* bench/b_slots.py: add and remove 2 MiB and 1 GiB slots in itself (a 2 GiB machine). */
static const struct vm_config slots_bench_vms[] = {{
    .name = "slotbench",
    REGIONS(part_regions),
    .image = "testguest",
    .flags = VM_FLAG_PRIVILEGED,
    .cmdline = "test=slots role=bench",
}};

#define CONFIG(n, v)                                                                               \
	{                                                                                          \
		.name = n, .vms = v, .nr_vms = ARRAY_SIZE(v)                                       \
	}
#define TEST_CONFIG(n, v)                                                                          \
	{                                                                                          \
		.name = n, .vms = v, .nr_vms = ARRAY_SIZE(v), .test_only = true                    \
	}

/*
 * The GRUB menu (tools/mkimage.sh via tools/listconfigs.c) lists the user-facing ones in this
 * order, the first is the default. "test" and "platform" need guestargs=test=NAME from the
 * tests, the bad-* ones are broken on purpose (docs/config.md, "Which configurations are
 * listed").
 */
const struct hv_config hv_configs[] = {
    CONFIG("demo", demo_vms),
    TEST_CONFIG("test", test_vms),
    CONFIG("mb1", mb1_vms),
    CONFIG("pair", pair_vms),
    CONFIG("hostile", hostile_vms),
    CONFIG("secret", secret_vms),
    CONFIG("watchdog", watchdog_vms),
    CONFIG("heartbeat", heartbeat_vms),
    TEST_CONFIG("platform", platform_vms),
    TEST_CONFIG("linux-pair", linux_pair_vms),
    TEST_CONFIG("hostile2", hostile2_vms),
    TEST_CONFIG("vcpus2", vcpus2_vms),
    TEST_CONFIG("vcpus3", vcpus3_vms),
    TEST_CONFIG("vcpus-pair", vcpus_pair_vms),
    TEST_CONFIG("dirty", dirty_vms),
    TEST_CONFIG("dirty-wp", dirty_wp_vms),
    TEST_CONFIG("dirty-bench", dirty_bench_vms),
    TEST_CONFIG("dirty-bench-wp", dirty_bench_wp_vms),
    TEST_CONFIG("slots", slots_vms),
    TEST_CONFIG("slots-drop", slots_drop_vms),
    TEST_CONFIG("slots-smp", slots_smp_vms),
    TEST_CONFIG("slots-bench", slots_bench_vms),
    TEST_CONFIG("bad-overlap", bad_overlap_vms),
    TEST_CONFIG("bad-module", bad_module_vms),
    TEST_CONFIG("bad-huge", bad_huge_vms),
    TEST_CONFIG("bad-image", bad_image_vms),
    TEST_CONFIG("coalesced", coalesced_vms),
    TEST_CONFIG("coalesced-restart", coalesced_restart_vms),
};
const unsigned nr_hv_configs = ARRAY_SIZE(hv_configs);

bool hv_config_visible(const struct hv_config *cfg)
{
	return !cfg->test_only;
}
