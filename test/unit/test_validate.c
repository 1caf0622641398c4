/*
 * Unit tests for config/validate.c: a good baseline configuration passes; each row of the table
 * below mutates the baseline once and must fail with exactly the error code and line given.
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

#define NR_VMS	   4
#define NR_REGIONS 40

/* A mutable copy of the baseline; rows poke at it before validation. */
struct fx {
	struct hv_config cfg;
	struct vm_config vms[NR_VMS];
	struct vm_region regs[NR_VMS][NR_REGIONS];
	struct validate_env env;
	const char *modules[4];
	struct validate_range hv[1], ram[2];
	struct validate_platform plat[4];
};

static const struct vm_region rt0_regions[] = {
    {.gpa = 0x0, .size = 0x400000, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = 0xfff00000,
     .size = 0x100000,
     .kind = REGION_ROM,
     .rights = REGION_R | REGION_X,
     .name = "bios.bin"},
    {.gpa = 0xfee00000,
     .size = 0x1000,
     .kind = REGION_MMIO_EMUL,
     .rights = REGION_R | REGION_W,
     .name = "lapic"},
    {.gpa = 0x80000000,
     .size = 0x2000,
     .kind = REGION_SHARED,
     .rights = REGION_R | REGION_W,
     .name = "ring"},
};

static const struct vm_region linux_regions[] = {
    {.gpa = 0x0, .size = 0x1000000, .kind = REGION_RAM, .rights = REGION_RWX},
    {.gpa = 0xfebf0000,
     .size = 0x10000,
     .kind = REGION_MMIO_PASS,
     .rights = REGION_R | REGION_W,
     .hpa = 0xfebf0000},
    {.gpa = 0x90000000,
     .size = 0x2000,
     .kind = REGION_SHARED,
     .rights = REGION_R | REGION_W,
     .name = "ring"},
    {.gpa = 0xfec00000,
     .size = 0x1000,
     .kind = REGION_MMIO_EMUL,
     .rights = REGION_R | REGION_W,
     .name = "ioapic"},
};

/* Guest memory of the baseline: RAM 4 + 16 MiB, ROM 1 MiB, "ring" 8 KiB counted once. */
#define BASE_TOTAL 0x1502000ULL

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->regs[0], rt0_regions, sizeof(rt0_regions));
	memcpy(f->regs[1], linux_regions, sizeof(linux_regions));
	f->vms[0] = (struct vm_config){.name = "rt0",
				       .cpu = 0,
				       .regions = f->regs[0],
				       .nr_regions = 4,
				       .image = "rt0.elf",
				       .proto = BOOT_MULTIBOOT2,
				       .cmdline = "console=com1",
				       .policy = VM_POLICY_STOP,
				       .flags = VM_FLAG_PRIVILEGED};
	f->vms[1] = (struct vm_config){.name = "linux",
				       .cpu = 2,
				       .regions = f->regs[1],
				       .nr_regions = 4,
				       .image = "linux.elf",
				       .proto = BOOT_MULTIBOOT1,
				       .cmdline = "console=ttyS0",
				       .policy = VM_POLICY_RESTART};
	f->cfg = (struct hv_config){.name = "demo", .vms = f->vms, .nr_vms = 2};
	f->modules[0] = "rt0.elf";
	f->modules[1] = "linux.elf";
	f->modules[2] = "bios.bin";
	f->hv[0] = (struct validate_range){0x1000000, 0x1400000};
	f->ram[0] = (struct validate_range){0x0, 0x9f000};
	f->ram[1] = (struct validate_range){0x100000, 0xbff00000};
	f->env = (struct validate_env){.free_bytes = 64 * MiB,
				       .modules = f->modules,
				       .nr_modules = 3,
				       .nr_cpus = 4,
				       .max_gpa = BIT(48),
				       .hv_ranges = f->hv,
				       .nr_hv_ranges = 1,
				       .ram_ranges = f->ram,
				       .nr_ram_ranges = 2,
				       .platform = f->plat,
				       .nr_platform = 4};
	f->plat[0] = (struct validate_platform){0xfec00000, 0xfec01000, "IOAPIC"};
	f->plat[1] = (struct validate_platform){0xe0000000, 0xf0000000, "PCI ECAM"};
	f->plat[2] = (struct validate_platform){0xfffc0000, 0x100000000,
						"firmware-reserved range (reserved)"};
	f->plat[3] = (struct validate_platform){0xfed00000, 0xfed01000, NULL};
}

static int fx_validate(struct fx *f, char *err, size_t errlen)
{
	return vm_config_validate(&f->cfg, &f->env, err, errlen);
}

/* ---- the corpus: one mutation of the baseline per row ---- */

#define MUT(fn, ...)                                                                               \
	static void fn(struct fx *f)                                                               \
	{                                                                                          \
		__VA_ARGS__;                                                                       \
	}

static char long_cmdline[VALIDATE_CMDLINE_MAX + 1];

MUT(m_cfg_name, f->cfg.name = NULL)
MUT(m_no_vms, f->cfg.nr_vms = 0)
MUT(m_vms_null, f->cfg.vms = NULL)
MUT(m_too_many_vms, f->cfg.nr_vms = VALIDATE_MAX_RUN_VMS + 1)
MUT(m_name_empty, f->vms[1].name = "")
MUT(m_name_null, f->vms[1].name = NULL)
MUT(m_name_long, f->vms[1].name = "abcdefghijklmnopqrstuvwxyz012345")
MUT(m_name_dup, f->vms[1].name = "rt0")
MUT(m_cpu_absent, f->vms[1].cpu = 4)
MUT(m_cpu_shared, f->vms[1].cpu = 0)
/* several vCPUs (vm 1 runs on cpu 2 alone in the baseline; vm 0 on cpu 0) */
#define VCPUS(vm, n, ...)                                                                          \
	do {                                                                                       \
		const uint32_t list_[] = {__VA_ARGS__};                                            \
		memcpy(f->vms[vm].cpus, list_, sizeof(list_));                                     \
		f->vms[vm].nr_vcpus = (n);                                                         \
	} while (0)
MUT(m_vcpus_many, VCPUS(1, VM_MAX_VCPUS + 1, 2))
MUT(m_vcpus_twice, VCPUS(1, 3, 2, 3, 2))
MUT(m_vcpus_absent, VCPUS(1, 2, 2, 5))
MUT(m_vcpus_taken, f->vms[0].cpu = 1; VCPUS(1, 2, 2, 1))
MUT(m_vcpus_cpu_disagree, VCPUS(1, 2, 3, 1))
MUT(m_vcpus_minimal, VCPUS(1, 2, 2, 3))
MUT(m_proto, f->vms[0].proto = (enum boot_proto)7)
MUT(m_policy, f->vms[0].policy = (enum vm_policy)9)
MUT(m_flags, f->vms[0].flags = 0x19)
MUT(m_image_null, f->vms[0].image = NULL)
MUT(m_image_missing, f->vms[0].image = "rt1.elf")
static const char *const no_such_module[] = {"rt0.elf", "nosuch"};
MUT(m_guest_module_missing, f->vms[0].modules = no_such_module; f->vms[0].nr_modules = 2)
MUT(m_guest_modules_many, f->vms[0].modules = no_such_module; f->vms[0].nr_modules = 9)
MUT(m_image_newline, f->vms[1].image = "lin\nux.elf")
MUT(m_cmdline_long, memset(long_cmdline, 'a', VALIDATE_CMDLINE_MAX);
    f->vms[0].cmdline = long_cmdline)
MUT(m_watchdog_short, f->vms[0].watchdog_us = VALIDATE_WATCHDOG_MIN_US - 1)
MUT(m_watchdog_long, f->vms[0].watchdog_us = VALIDATE_WATCHDOG_MAX_US + 1)
/* checkpoints: vm 0 has 4 MiB of RAM, 1024 pages: 1024 + 2 x 64 state + 2 + 1 bitmap pages */
#define CKPT_NEED (1155 * PAGE_SIZE)
MUT(m_ckpt_rollback_bare, f->vms[0].policy = VM_POLICY_ROLLBACK)
MUT(m_ckpt_period_bare, f->vms[0].checkpoint_period_us = 100000)
MUT(m_ckpt_unaligned, f->vms[0].checkpoint_bytes = CKPT_NEED + 1)
MUT(m_ckpt_small, f->vms[0].checkpoint_bytes = CKPT_NEED - PAGE_SIZE)
MUT(m_ckpt_period_short, f->vms[0].checkpoint_bytes = CKPT_NEED;
    f->vms[0].checkpoint_period_us = VALIDATE_CKPT_MIN_PERIOD_US - 1)
MUT(m_ckpt_period_long, f->vms[0].checkpoint_bytes = CKPT_NEED;
    f->vms[0].checkpoint_period_us = VALIDATE_CKPT_MAX_PERIOD_US + 1)
MUT(m_ckpt_vcpus, VCPUS(1, 2, 2, 3); f->vms[1].platform = VM_PLATFORM_PC; f->vms[1].nr_regions = 3;
    f->vms[1].checkpoint_bytes = 64 * MiB)
MUT(m_ckpt_total, f->vms[0].checkpoint_bytes = 48 * MiB)
MUT(m_no_regions, f->vms[0].nr_regions = 0)
MUT(m_regions_null, f->vms[0].regions = NULL)
MUT(m_too_many_regions, f->vms[0].nr_regions = VALIDATE_MAX_REGIONS + 1)
MUT(m_kind, f->regs[0][2].kind = (enum region_kind)5)
MUT(m_size_zero, f->regs[0][2].size = 0)
MUT(m_gpa_unaligned, f->regs[0][2].gpa = 0xfee00800)
MUT(m_size_unaligned, f->regs[0][2].size = 0x1800)
MUT(m_wrap, f->regs[0][3].gpa = 0xfffffffffffff000)
MUT(m_above_max, f->regs[0][3].gpa = 0xffffffffe000; f->regs[0][3].size = 0x4000)
MUT(m_rights_none, f->regs[0][0].rights = 0)
MUT(m_rights_unknown, f->regs[0][0].rights = REGION_R | BIT(3))
MUT(m_w_without_r, f->regs[0][0].rights = REGION_W | REGION_X)
MUT(m_rom_w, f->regs[0][1].rights = REGION_RWX)
MUT(m_log_dirty_rom, f->regs[0][1].flags = REGION_F_LOG_DIRTY)
MUT(m_log_dirty_shared, f->regs[0][3].flags = REGION_F_LOG_DIRTY)
MUT(m_region_flags_unknown, f->regs[0][0].flags = REGION_F_LOG_DIRTY | BIT(7))
MUT(m_rom_unnamed, f->regs[0][1].name = NULL)
MUT(m_rom_missing, f->regs[0][1].name = "vgabios.bin")
MUT(m_emul_unnamed, f->regs[0][2].name = "")
MUT(m_pass_unaligned, f->regs[1][1].hpa = 0xfebf0100)
MUT(m_pass_wrap, f->regs[1][1].hpa = 0xfffffffffffff000)
MUT(m_pass_hv, f->regs[1][1].hpa = 0x13f8000)
MUT(m_pass_ram, f->regs[1][1].hpa = 0x90000)
MUT(m_pass_lapic, f->regs[1][1].hpa = 0xfedf8000)
MUT(m_pass_ioapic, f->regs[1][1].hpa = 0xfebf8000)
MUT(m_pass_ecam, f->regs[1][1].hpa = 0xefff8000)
MUT(m_pass_firmware, f->regs[1][1].hpa = 0xffff0000)
MUT(m_pass_unnamed, f->regs[1][1].hpa = 0xfecf8000)
MUT(m_pass_twice, f->vms[0].nr_regions = 5;
    f->regs[0][4] = (struct vm_region){.gpa = 0xc0000000,
				       .size = 0x1000,
				       .kind = REGION_MMIO_PASS,
				       .rights = REGION_R,
				       .hpa = 0xfebf8000})
MUT(m_shared_unnamed, f->regs[1][2].name = NULL)
MUT(m_shared_size, f->regs[1][2].size = 0x3000)
MUT(m_overlap, f->regs[0][3].gpa = 0x3ff000)
MUT(m_no_ram, f->regs[0][0].kind = REGION_MMIO_EMUL; f->regs[0][0].name = "vga")
MUT(m_no_boot_ram, f->regs[0][0].size = 0x100000)
MUT(m_no_memory, f->env.free_bytes = BASE_TOTAL - 1)
MUT(m_no_cpus, f->env.nr_cpus = 0)
MUT(m_peers_self, f->vms[0].peers = PEER(1); f->vms[1].peers = PEER(0) | PEER(1))
MUT(m_peers_absent, f->vms[0].peers = PEER(1) | PEER(2))
MUT(m_peers_last, f->vms[1].peers = PEER(VM_MAX_PEERS - 1))

struct row {
	const char *name;
	void (*mutate)(struct fx *f);
	int rc;
	const char *err;
};

static const struct row rows[] = {
    {"cfg_name", m_cfg_name, -EINVAL, "config: no name"},
    {"no_vms", m_no_vms, -EINVAL, "config \"demo\": no VMs"},
    {"vms_null", m_vms_null, -EINVAL, "config \"demo\": 2 VMs but no VM array"},
    {"too_many_vms", m_too_many_vms, -E2BIG, "config \"demo\": 5 VMs, limit 4"},
    {"name_empty", m_name_empty, -EINVAL, "vm 1: empty name"},
    {"name_null", m_name_null, -EINVAL, "vm 1: empty name"},
    {"name_long", m_name_long, -EINVAL,
     "vm 1: name \"abcdefghijklmnop...\" longer than 31 characters"},
    {"name_dup", m_name_dup, -EEXIST, "vm \"rt0\": name used by both vm 0 and vm 1"},
    {"cpu_absent", m_cpu_absent, -ENODEV, "vm \"linux\": cpu 4 not present (4 CPUs)"},
    {"no_cpus", m_no_cpus, -ENODEV, "vm \"rt0\": cpu 0 not present (0 CPUs)"},
    {"cpu_shared", m_cpu_shared, -EBUSY, "vm \"linux\": cpu 0 already runs vm \"rt0\""},
    {"vcpus_many", m_vcpus_many, -EINVAL, "vm \"linux\": 9 vCPUs: at most 8"},
    {"vcpus_twice", m_vcpus_twice, -EBUSY, "vm \"linux\": cpu 2 given twice (vCPUs 0 and 2)"},
    {"vcpus_absent", m_vcpus_absent, -ENODEV, "vm \"linux\": cpu 5 not present (4 CPUs)"},
    {"vcpus_taken", m_vcpus_taken, -EBUSY, "vm \"linux\": cpu 1 already runs vm \"rt0\""},
    {"vcpus_cpu_disagree", m_vcpus_cpu_disagree, -EINVAL,
     "vm \"linux\": cpu 2 and cpus[0] 3 disagree"},
    {"vcpus_minimal", m_vcpus_minimal, -EINVAL,
     "vm \"linux\": 2 vCPUs need platform=pc (APs start by INIT and SIPI through their local "
     "APIC)"},
    {"proto", m_proto, -EINVAL, "vm \"rt0\": unknown boot protocol 7"},
    {"policy", m_policy, -EINVAL, "vm \"rt0\": unknown restart policy 9"},
    {"flags", m_flags, -EINVAL, "vm \"rt0\": unknown flags 0x10"},
    {"image_null", m_image_null, -EINVAL, "vm \"rt0\": no guest image"},
    {"guest_module_missing", m_guest_module_missing, -ENOENT,
     "vm \"rt0\": guest module 1 \"nosuch\" is not a boot module"},
    {"guest_modules_many", m_guest_modules_many, -E2BIG, "vm \"rt0\": 9 guest modules, limit 8"},
    {"image_missing", m_image_missing, -ENOENT,
     "vm \"rt0\": guest image \"rt1.elf\" is not a boot module"},
    {"image_newline", m_image_newline, -ENOENT,
     "vm \"linux\": guest image \"lin?ux.elf\" is not a boot module"},
    {"cmdline_long", m_cmdline_long, -E2BIG, "vm \"rt0\": cmdline of 256 characters, limit 255"},
    {"watchdog_short", m_watchdog_short, -ERANGE,
     "vm \"rt0\": watchdog of 999 us, below the minimum of 1000 us"},
    {"watchdog_long", m_watchdog_long, -ERANGE,
     "vm \"rt0\": watchdog of 3600000001 us, above the limit of 3600000000 us (1 hour)"},
    {"ckpt_rollback_bare", m_ckpt_rollback_bare, -EINVAL,
     "vm \"rt0\": policy rollback without checkpoint memory"},
    {"ckpt_period_bare", m_ckpt_period_bare, -EINVAL,
     "vm \"rt0\": checkpoint period without checkpoint memory"},
    {"ckpt_unaligned", m_ckpt_unaligned, -EINVAL,
     "vm \"rt0\": checkpoint memory 0x483001 not 4 KiB aligned"},
    {"ckpt_small", m_ckpt_small, -ENOSPC,
     "vm \"rt0\": checkpoint memory 0x482000 is less than the 1155 pages its RAM (0x400000) "
     "and state need"},
    {"ckpt_period_short", m_ckpt_period_short, -ERANGE,
     "vm \"rt0\": checkpoint period of 9999 us, below the minimum of 10000 us"},
    {"ckpt_period_long", m_ckpt_period_long, -ERANGE,
     "vm \"rt0\": checkpoint period of 3600000001 us, above the limit of 3600000000 us (1 "
     "hour)"},
    {"ckpt_vcpus", m_ckpt_vcpus, -EOPNOTSUPP,
     "vm \"linux\": checkpoints of a VM of 2 vCPUs are not supported (one only)"},
    {"ckpt_total", m_ckpt_total, -ENOMEM,
     "config \"demo\": guest memory 0x4502000 (ram 0x1400000 + rom 0x100000 + shared 0x2000 + "
     "checkpoints 0x3000000) exceeds free RAM 0x4000000"},
    {"no_regions", m_no_regions, -EINVAL, "vm \"rt0\": no memory regions"},
    {"regions_null", m_regions_null, -EINVAL, "vm \"rt0\": 4 regions but no region array"},
    {"too_many_regions", m_too_many_regions, -E2BIG, "vm \"rt0\": 33 regions, limit 32"},
    {"kind", m_kind, -EINVAL, "vm \"rt0\": region 2 [0xfee00000..0xfee01000) has unknown kind 5"},
    {"size_zero", m_size_zero, -EINVAL, "vm \"rt0\": region 2 [0xfee00000..0xfee00000) has size 0"},
    {"gpa_unaligned", m_gpa_unaligned, -EINVAL,
     "vm \"rt0\": region 2 [0xfee00800..0xfee01800) gpa not 4 KiB aligned"},
    {"size_unaligned", m_size_unaligned, -EINVAL,
     "vm \"rt0\": region 2 [0xfee00000..0xfee01800) size not 4 KiB aligned"},
    {"wrap", m_wrap, -ERANGE,
     "vm \"rt0\": region 3 at 0xfffffffffffff000 size 0x2000 wraps around the address space"},
    {"above_max", m_above_max, -ERANGE,
     "vm \"rt0\": region 3 [0xffffffffe000..0x1000000002000) ends above the guest physical "
     "limit 0x1000000000000"},
    {"rights_none", m_rights_none, -EINVAL,
     "vm \"rt0\": region 0 [0x0..0x400000) has no access rights"},
    {"rights_unknown", m_rights_unknown, -EINVAL,
     "vm \"rt0\": region 0 [0x0..0x400000) has unknown rights 0x8"},
    {"w_without_r", m_w_without_r, -EINVAL,
     "vm \"rt0\": region 0 [0x0..0x400000) is writable but not readable"},
    {"rom_w", m_rom_w, -EINVAL,
     "vm \"rt0\": region 1 [0xfff00000..0x100000000) is rom but writable"},
    {"log_dirty_rom", m_log_dirty_rom, -EINVAL,
     "vm \"rt0\": region 1 [0xfff00000..0x100000000) is rom: log-dirty is for ram regions "
     "only"},
    {"log_dirty_shared", m_log_dirty_shared, -EINVAL,
     "vm \"rt0\": region 3 [0x80000000..0x80002000) is shared: log-dirty is for ram regions "
     "only"},
    {"region_flags_unknown", m_region_flags_unknown, -EINVAL,
     "vm \"rt0\": region 0 [0x0..0x400000) has unknown flags 0x80"},
    {"rom_unnamed", m_rom_unnamed, -EINVAL,
     "vm \"rt0\": region 1 [0xfff00000..0x100000000) rom names no module"},
    {"rom_missing", m_rom_missing, -ENOENT,
     "vm \"rt0\": region 1 [0xfff00000..0x100000000) rom module \"vgabios.bin\" is not a "
     "boot module"},
    {"emul_unnamed", m_emul_unnamed, -EINVAL,
     "vm \"rt0\": region 2 [0xfee00000..0xfee01000) mmio-emul names no device model"},
    {"pass_unaligned", m_pass_unaligned, -EINVAL,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) hpa 0xfebf0100 not 4 KiB aligned"},
    {"pass_wrap", m_pass_wrap, -ERANGE,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) hpa 0xfffffffffffff000 wraps around "
     "the address space"},
    {"pass_hv", m_pass_hv, -EPERM,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) hpa [0x13f8000..0x1408000) overlaps "
     "the hypervisor [0x1000000..0x1400000)"},
    {"pass_ram", m_pass_ram, -EPERM,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) hpa [0x90000..0xa0000) overlaps host "
     "RAM [0x0..0x9f000)"},
    {"pass_lapic", m_pass_lapic, -EPERM,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) passthrough [0xfedf8000..0xfee08000) "
     "covers the host's local APIC at 0xfee00000"},
    {"pass_ioapic", m_pass_ioapic, -EPERM,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) passthrough [0xfebf8000..0xfec08000) "
     "covers the host's IOAPIC at 0xfec00000"},
    {"pass_ecam", m_pass_ecam, -EPERM,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) passthrough [0xefff8000..0xf0008000) "
     "covers the host's PCI ECAM [0xe0000000..0xf0000000)"},
    {"pass_firmware", m_pass_firmware, -EPERM,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) passthrough [0xffff0000..0x100000000) "
     "covers the host's firmware-reserved range (reserved) [0xfffc0000..0x100000000)"},
    {"pass_unnamed", m_pass_unnamed, -EPERM,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) passthrough [0xfecf8000..0xfed08000) "
     "covers the host's device at 0xfed00000"},
    {"peers_self", m_peers_self, -EINVAL, "vm \"linux\": peers name the VM itself (vm 1)"},
    {"peers_absent", m_peers_absent, -ENOENT,
     "vm \"rt0\": peers name vm 2, but the configuration has 2 VM(s)"},
    {"peers_last", m_peers_last, -ENOENT,
     "vm \"linux\": peers name vm 63, but the configuration has 2 VM(s)"},
    {"pass_twice", m_pass_twice, -EBUSY,
     "vm \"linux\": region 1 [0xfebf0000..0xfec00000) hpa [0xfebf0000..0xfec00000) also "
     "passed through to vm \"rt0\" region 4"},
    {"shared_unnamed", m_shared_unnamed, -EINVAL,
     "vm \"linux\": region 2 [0x90000000..0x90002000) shared region has no name"},
    {"shared_size", m_shared_size, -EINVAL,
     "vm \"linux\": region 2 [0x90000000..0x90003000) shared \"ring\" is 0x3000 bytes but "
     "vm \"rt0\" region 3 has 0x2000"},
    {"overlap", m_overlap, -EINVAL,
     "vm \"rt0\": region 3 [0x3ff000..0x401000) overlaps region 0 [0x0..0x400000)"},
    {"no_ram", m_no_ram, -EINVAL, "vm \"rt0\": no RAM region"},
    {"no_boot_ram", m_no_boot_ram, -EINVAL,
     "vm \"rt0\": no RAM region contains GPA 0x100000 (multiboot load address)"},
    {"no_memory", m_no_memory, -ENOMEM,
     "config \"demo\": guest memory 0x1502000 (ram 0x1400000 + rom 0x100000 + shared "
     "0x2000) exceeds free RAM 0x1501fff"},
};

static void test_row(void **state)
{
	const struct row *row = *state;
	struct fx f;
	char err[VALIDATE_ERR_LEN];

	fx_init(&f);
	row->mutate(&f);
	memset(err, 'x', sizeof(err));
	assert_int_equal(fx_validate(&f, err, sizeof(err)), row->rc);
	assert_string_equal(err, row->err);
}

/* Each row's message is distinct: no two checks share an error line. */
static void test_rows_distinct(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(rows[i].name, "name_null") && !strcmp(rows[i].err, rows[j].err))
				fail_msg("rows %s and %s expect the same line", rows[i].name,
					 rows[j].name);
}

/* ---- the baseline and the edges just inside each rule ---- */

static void expect_ok(struct fx *f)
{
	char err[VALIDATE_ERR_LEN];

	memset(err, 'x', sizeof(err));
	assert_int_equal(fx_validate(f, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_baseline(void **state)
{
	struct fx f;

	fx_init(&f);
	expect_ok(&f);
}

static void test_edges(void **state)
{
	struct fx f;

	fx_init(&f); /* a region may end exactly at max_gpa */
	f.regs[0][3].gpa = 0xffffffffe000;
	expect_ok(&f);
	fx_init(&f); /* touching regions do not overlap */
	f.regs[0][3].gpa = 0x400000;
	expect_ok(&f);
	fx_init(&f); /* free RAM exactly enough, the shared region counted once */
	f.env.free_bytes = BASE_TOTAL;
	expect_ok(&f);
	fx_init(&f); /* one RAM page at 1 MiB is enough to boot */
	f.regs[0][0].gpa = 0x100000;
	f.regs[0][0].size = 0x1000;
	expect_ok(&f);
	fx_init(&f); /* a passthrough range touching, not overlapping, host RAM */
	f.regs[1][1].hpa = 0x9f000;
	expect_ok(&f);
	fx_init(&f); /* ... and between two platform ranges, touching both */
	f.regs[1][1].gpa = 0xa0000000;
	f.regs[1][1].hpa = 0xfec01000;
	f.regs[1][1].size = 0xff000;
	expect_ok(&f);
	fx_init(&f); /* ... and ending where the local APIC page starts, with no list at all */
	f.regs[1][1].hpa = 0xfedf0000;
	f.env.platform = NULL;
	expect_ok(&f);
	fx_init(&f); /* 255 characters of command line, 31 of name */
	memset(long_cmdline, 'a', VALIDATE_CMDLINE_MAX - 1);
	long_cmdline[VALIDATE_CMDLINE_MAX - 1] = '\0';
	f.vms[0].cmdline = long_cmdline;
	f.vms[1].name = "abcdefghijklmnopqrstuvwxyz01234";
	f.vms[1].cmdline = NULL;
	expect_ok(&f);
	fx_init(&f); /* dirty logging from boot on a RAM region */
	f.regs[0][0].flags = REGION_F_LOG_DIRTY;
	expect_ok(&f);
	fx_init(&f); /* two VMs naming each other */
	f.vms[0].peers = PEER(1);
	f.vms[1].peers = PEER(0);
	expect_ok(&f);
	fx_init(&f); /* the highest CPU present */
	f.vms[1].cpu = 3;
	expect_ok(&f);
	fx_init(&f); /* vm 1 on cpus 2, 1 and 3, cpu given as cpus[0] */
	f.vms[1].cpus[0] = 2;
	f.vms[1].cpus[1] = 1;
	f.vms[1].cpus[2] = 3;
	f.vms[1].nr_vcpus = 3;
	f.vms[1].platform = VM_PLATFORM_PC;
	f.vms[1].nr_regions = 3; /* not the MMIO region on the PC's IOAPIC page */
	expect_ok(&f);
	f.vms[1].cpu = 0; /* or left 0 */
	expect_ok(&f);
	f.vms[1].nr_vcpus = 1; /* one vCPU named by cpus[] */
	expect_ok(&f);
	fx_init(&f); /* checkpoints: exactly the memory needed, rollback, the shortest period */
	f.vms[0].checkpoint_bytes = CKPT_NEED;
	f.vms[0].policy = VM_POLICY_ROLLBACK;
	f.vms[0].checkpoint_period_us = VALIDATE_CKPT_MIN_PERIOD_US;
	expect_ok(&f);
	f.vms[0].checkpoint_period_us = VALIDATE_CKPT_MAX_PERIOD_US; /* the longest */
	f.env.free_bytes = BASE_TOTAL + CKPT_NEED;		     /* counted, and enough */
	expect_ok(&f);
	f.vms[0].policy = VM_POLICY_STOP; /* memory without rollback: checkpoints on request */
	expect_ok(&f);
}

static void test_max_regions(void **state)
{
	struct fx f;

	fx_init(&f);
	for (unsigned i = 4; i < VALIDATE_MAX_REGIONS; i++)
		f.regs[0][i] = (struct vm_region){.gpa = 0x40000000 + i * PAGE_SIZE,
						  .size = PAGE_SIZE,
						  .kind = REGION_RAM,
						  .rights = REGION_R};
	f.vms[0].nr_regions = VALIDATE_MAX_REGIONS;
	expect_ok(&f);
}

/* Only regions of the same VM conflict: another VM may use the same guest addresses. */
static void test_separate_spaces(void **state)
{
	struct fx f;

	fx_init(&f);
	f.regs[1][2].gpa = 0x80000000;
	f.regs[1][3].gpa = 0xfee00000;
	expect_ok(&f);
}

static void test_short_buffers(void **state)
{
	struct fx f;
	char err[16];

	fx_init(&f);
	f.vms[1].cpu = 0;
	memset(err, 'x', sizeof(err));
	assert_int_equal(fx_validate(&f, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "vm \"linux\": cpu");
	memset(err, 'x', sizeof(err));
	assert_int_equal(fx_validate(&f, err, 1), -EBUSY);
	assert_int_equal(err[0], '\0');
	assert_int_equal(err[1], 'x');
	assert_int_equal(fx_validate(&f, NULL, 0), -EBUSY);
	fx_init(&f);
	assert_int_equal(fx_validate(&f, NULL, 0), 0);
}

static void test_null_args(void **state)
{
	struct fx f;
	char err[VALIDATE_ERR_LEN];

	fx_init(&f);
	assert_int_equal(vm_config_validate(NULL, &f.env, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config: none given");
	assert_int_equal(vm_config_validate(&f.cfg, NULL, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config: no environment");
}

static void test_kind_names(void **state)
{
	assert_string_equal(region_kind_name(REGION_RAM), "ram");
	assert_string_equal(region_kind_name(REGION_ROM), "rom");
	assert_string_equal(region_kind_name(REGION_MMIO_EMUL), "mmio-emul");
	assert_string_equal(region_kind_name(REGION_MMIO_PASS), "mmio-pass");
	assert_string_equal(region_kind_name(REGION_SHARED), "shared");
	assert_string_equal(region_kind_name(REGION_KIND_COUNT), "unknown");
	assert_string_equal(region_kind_name((enum region_kind) - 1), "unknown");
}

#define NR_ROWS	 (sizeof(rows) / sizeof(rows[0]))
#define NR_FIXED 8

int main(void)
{
	struct CMUnitTest tests[NR_ROWS + NR_FIXED] = {
	    cmocka_unit_test(test_baseline),	  cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_max_regions),	  cmocka_unit_test(test_separate_spaces),
	    cmocka_unit_test(test_short_buffers), cmocka_unit_test(test_null_args),
	    cmocka_unit_test(test_kind_names),	  cmocka_unit_test(test_rows_distinct),
	};

	for (size_t i = 0; i < NR_ROWS; i++)
		tests[NR_FIXED + i] = (struct CMUnitTest){
		    .name = rows[i].name, .test_func = test_row, .initial_state = (void *)&rows[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
