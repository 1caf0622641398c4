/*
 * Validation of a static configuration (config/config.h) before anything is allocated for it.
 * Pure function of the configuration and a description of the machine: no allocation, no
 * hardware access, builds freestanding and on the host. Called once at boot by the VM builder.
 */
#ifndef VM_VALIDATE_H
#define VM_VALIDATE_H

#include "lib/types.h"
#include "config/config.h"

#define VALIDATE_NAME_MAX	   32  /* a VM name is 1..31 characters (fits 32 bytes with NUL) */
#define VALIDATE_CMDLINE_MAX	   256 /* a command line is at most 255 characters */
#define VALIDATE_MAX_REGIONS	   32  /* regions per VM */
#define VALIDATE_MAX_GUEST_MODULES 8   /* boot modules passed on to one guest */
#define VALIDATE_MAX_VMS	   256 /* VMs per configuration: one OWNER_VM(n) tag each */
#define VALIDATE_MAX_RUN_VMS	   4   /* VMs the hypervisor runs at once (boot/vms.c) */
#define VALIDATE_MODULE_NAME_MAX   32  /* a module's first word, as kept: 31 characters */
#define VALIDATE_BOOT_GPA	   0x100000ULL /* multiboot load address: must be RAM */
#define VALIDATE_ERR_LEN	   256 /* room for any message whose names are < 32 characters */

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
