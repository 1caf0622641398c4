/*
 * Validation of a static configuration (config/config.h) before anything is allocated for it.
 * Pure function of the configuration and a description of the machine: no allocation, no
 * hardware access, builds freestanding and on the host. Called once at boot by the VM builder.
 */
#ifndef VM_VALIDATE_H
#define VM_VALIDATE_H

#include "lib/types.h"
#include "config/config.h"

/*
 * One source of truth for table sizes: the runtime's tables are sized by these (or
 * static_assert against them), and the validator refuses a configuration beyond any
 * of them with a named error, so nothing is ever cut short after validation.
 */
#define VALIDATE_NAME_MAX	   32  /* a VM name is 1..31 characters (fits 32 bytes with NUL) */
#define VALIDATE_CMDLINE_MAX	   256 /* a command line is at most 255 characters */
#define VALIDATE_MAX_REGIONS	   32  /* regions per VM */
#define VALIDATE_MAX_GUEST_MODULES 8   /* boot modules passed on to one guest */
#define VALIDATE_MAX_VMS	   256 /* VMs per configuration: one OWNER_VM(n) tag each */
#define VALIDATE_MAX_RUN_VMS	   4   /* VMs the hypervisor runs at once (hv/vms.c MAX_VMS) */
#define VALIDATE_MODULE_NAME_MAX   32  /* a module's first word, as kept: 31 characters */
#define VALIDATE_MAX_RAM_BLOCKS	   64  /* buddy blocks backing one VM's RAM and ROM (vm/vm.h) */
#define VALIDATE_MAX_SLOTS	   64  /* memory slots of one VM (mm/memslot.h MEMSLOT_MAX) */
#define VALIDATE_BLOCK_MAX_ORDER   18  /* the largest buddy block, 2^18 pages (mm/buddy.h) */
#define VALIDATE_MAX_DEVS	   8   /* device instances of one VM (vm/vm.h VM_MAX_DEVS) */
#define VALIDATE_PLATFORM_DEVS	   2   /* every VM's own: COM1 or the PC, and the debug exit */
#define VALIDATE_PC_SLOTS	   2   /* the PC platform's LAPIC and IOAPIC pages are slots */
#define VALIDATE_MAX_SHARED	   32  /* shared-memory names in a configuration (mm/owner.h) */
#define VALIDATE_MAX_DEMAND	   4   /* demand-faulted RAM regions of one VM (vm/demand.h) */
/* A demand region's bound: its map of 2 MiB chunks (8 bytes each) is 256 KiB at most. */
#define VALIDATE_DEMAND_MAX_SIZE (64 * GiB)
#define VALIDATE_BOOT_GPA	 0x100000ULL /* multiboot load address: must be RAM */
#define VALIDATE_ERR_LEN	 256 /* room for any message whose names are < 32 characters */
/* 1 ms: a watchdog is 0 (none) or at least this; 1 hour at most */
#define VALIDATE_WATCHDOG_MIN_US ((uint64_t)1000)
#define VALIDATE_WATCHDOG_MAX_US ((uint64_t)3600000000)
static_assert(VALIDATE_MAX_RUN_VMS <= VALIDATE_MAX_VMS, "a run is one configuration");

/*
 * The order of the buddy block that backs guest frame @gfn of a RAM or ROM region with
 * @left pages still to back: the largest that fits and keeps @gfn aligned (the VM
 * builder, hv/vmbuild.c, allocates exactly these when memory is not fragmented).
 */
static inline unsigned validate_block_order(uint64_t gfn, uint64_t left)
{
	unsigned k = VALIDATE_BLOCK_MAX_ORDER;

	while (k && ((1ULL << k) > left || (gfn & ((1ULL << k) - 1))))
		k--;
	return k;
}

/*
 * Checkpoints (vm/ckpt.h): the shortest period (one checkpoint copies at least the state,
 * and the period is looked at on the VM's tick), and the state one checkpoint may hold in
 * pages (vCPU, backend, devices; the builder checks the real size against the reservation).
 */
#define VALIDATE_CKPT_MIN_PERIOD_US ((uint64_t)10000)
#define VALIDATE_CKPT_MAX_PERIOD_US VALIDATE_WATCHDOG_MAX_US
#define VALIDATE_CKPT_STATE_PAGES   64

/*
 * Pages a checkpoint reservation needs for @ram_pages of RAM and @state_pages of state a
 * slot: its bitmaps (dirty pages, a harvest, mirrored 2 MiB chunks), the RAM mirror and two
 * state slots. Whatever is left over stages incremental checkpoints.
 */
static inline uint64_t validate_ckpt_need_pages(uint64_t ram_pages, uint64_t state_pages)
{
	uint64_t bitmap = ((ram_pages + 7) / 8 + 4095) / 4096, chunks = (ram_pages + 511) / 512;

	return 2 * bitmap + ((chunks + 7) / 8 + 4095) / 4096 + ram_pages + 2 * state_pages;
}

/* A host-physical range [start, end); end > start. */
struct validate_range {
	uint64_t start, end;
};

/*
 * A host range no guest may be given by passthrough, and what it is: a platform device's
 * registers ("IOAPIC", "PCI ECAM", ...) or a firmware-reserved range of the memory map.
 */
struct validate_platform {
	uint64_t start, end; /* [start, end), end > start */
	const char *what;
};

/* The architectural local APIC page: refused whatever the environment lists. */
#define VALIDATE_LAPIC_PAGE 0xfee00000ULL

/* What the configuration is checked against: the machine as the hypervisor found it. */
struct validate_env {
	uint64_t free_bytes;	    /* free RAM the buddy allocator has */
	const char *const *modules; /* boot modules' strings, first word only */
	unsigned nr_modules;
	unsigned nr_cpus; /* physical CPUs present */
	uint64_t max_gpa; /* 1 << guest physical address width (EPT: 48 bits) */
	const struct validate_range *hv_ranges; /* hypervisor image and data */
	unsigned nr_hv_ranges;
	const struct validate_range *ram_ranges; /* all host RAM */
	unsigned nr_ram_ranges;
	const struct validate_platform *platform; /* devices and firmware ranges (hv/vms.c) */
	unsigned nr_platform;
};

/*
 * Check every rule of docs/config.md, stopping at the first violation.
 * Returns 0, or a -errno with exactly one line (no newline) in @err naming the configuration,
 * VM and region at fault. @err may be NULL when @errlen is 0; it is always NUL-terminated
 * when @errlen > 0 (set to "" on success).
 * @pre the strings the configuration and @env point to are NUL-terminated.
 */
int vm_config_validate(const struct hv_config *cfg, const struct validate_env *env, char *err,
		       size_t errlen);

/* "ram", "rom", "mmio-emul", "mmio-pass", "shared", or "unknown" for anything else. */
const char *region_kind_name(enum region_kind kind);

#endif
