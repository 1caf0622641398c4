/*
 * Static VM configuration, as plain C data: a VM is a name, a CPU, a memory map
 * of regions and a guest image. Configurations are validated (config/validate.c)
 * before anything is allocated for them.
 */
#ifndef VM_CONFIG_H
#define VM_CONFIG_H

#include "lib/types.h"

enum region_kind {
	REGION_RAM,	  /* backed by buddy frames owned by the VM, zeroed */
	REGION_ROM,	  /* read+execute, filled from a module named by .name */
	REGION_MMIO_EMUL, /* left out of EPT: traps to the device model named by .name */
	REGION_MMIO_PASS, /* host range [.hpa, .hpa+.size) mapped uncached */
	REGION_SHARED,	  /* named shared memory (.name), same frames in every VM naming it */
	REGION_KIND_COUNT
};

#define REGION_R   BIT(0)
#define REGION_W   BIT(1)
#define REGION_X   BIT(2)
#define REGION_RWX (REGION_R | REGION_W | REGION_X)

struct vm_region {
	uint64_t gpa;
	uint64_t size;
	enum region_kind kind;
	uint32_t rights;  /* REGION_R/W/X; ROM must not have W */
	const char *name; /* device model, module string or shared region name */
	uint64_t hpa;	  /* passthrough MMIO only */
	uint32_t flags;	  /* REGION_F_* */
};

/* Region flags (issue 15): each is refused by the validator until its feature lands. */
#define REGION_F_DEMAND	   BIT(0) /* RAM: no frames until the guest first touches them */
#define REGION_F_COALESCED BIT(1) /* emulated MMIO: writes go to the VM's coalesced ring */
#define REGION_F_LOG_DIRTY BIT(2) /* RAM: dirty logging on from boot */
#define REGION_F_DEMAND_4K BIT(3) /* with REGION_F_DEMAND: 4 KiB blocks only, never 2 MiB */

enum boot_proto {
	BOOT_MULTIBOOT2, /* our guests: 32-bit entry, EAX magic, EBX info */
	BOOT_MULTIBOOT1, /* unmodified multiboot v1 kernels */
	BOOT_LINUX,	 /* a Linux bzImage, by the 32-bit boot protocol (loader/linux.h) */
	BOOT_AUTO,	 /* the VM builder reads the image headers (vm= words) */
};

/*
 * The devices a VM gets besides its regions. VM_PLATFORM_MINIMAL: a transmit-only
 * COM1 and the debug-exit port (our test guest's world). VM_PLATFORM_PC: what a
 * stock OS expects of a PC: a local APIC per vCPU at 0xFEE00000 (xAPIC and
 * x2APIC, TSC-deadline timer), an IOAPIC at 0xFEC00000, the 8259A pair with
 * ELCR, the 8254 PIT and port 0x61, the MC146818 RTC/CMOS, a 16550A COM1 on
 * IRQ 4, and the debug-exit port (docs/platform.md).
 */
enum vm_platform { VM_PLATFORM_MINIMAL, VM_PLATFORM_PC };

/* Restart policy on triple fault, fatal EPT violation or debug-exit. */
enum vm_policy {
	VM_POLICY_STOP,
	VM_POLICY_RESTART,
	VM_POLICY_ROLLBACK /* to the last checkpoint */
};

#define VM_FLAG_PRIVILEGED BIT(0) /* may ask for hypervisor statistics */
#define VM_FLAG_BACKGROUND BIT(1) /* the run ends when every VM without this flag stopped */
#define VM_FLAG_EXPECT_FAULT                                                                       \
	BIT(2) /* a fault that stops it is the point (demos, tests): exit status 0 */
#define VM_FLAG_CONSOLE BIT(3) /* gets the host console's input first (vm/conin.h) */

/*
 * vCPUs a VM may have (one per physical CPU, pinned); the one limit the validator,
 * the VM model and the device models all size by.
 */
#define VM_MAX_VCPUS 8

struct vm_config {
	const char *name;
	uint32_t cpu; /* physical CPU index of the VM's one vCPU (when nr_vcpus is 0 or 1) */
	/*
	 * Several vCPUs: vCPU i runs on physical CPU cpus[i] (cpus[0] boots, the others wait
	 * for INIT and SIPI from the guest). nr_vcpus 0 means one vCPU on .cpu; with nr_vcpus
	 * given, .cpu must be 0 or cpus[0].
	 */
	uint32_t cpus[VM_MAX_VCPUS];
	unsigned nr_vcpus;
	const struct vm_region *regions;
	unsigned nr_regions;
	const char *image; /* multiboot2 module string of the guest kernel */
	enum boot_proto proto;
	const char *cmdline;	    /* guest command line */
	const char *const *modules; /* boot modules (first word) passed on to the guest */
	unsigned nr_modules;
	enum vm_policy policy;
	uint32_t flags;
	uint64_t watchdog_us;  /* microseconds allowed between heartbeat hypercalls; 0: none */
	unsigned max_restarts; /* with VM_POLICY_RESTART; 0 means the default (64) */
	enum vm_platform platform;
	uint64_t peers; /* bit n: may ring VM n (its index here) with HC_DOORBELL; 0: none */
	uint64_t checkpoint_bytes;     /* memory reserved at boot for checkpoints; 0: none */
	uint64_t checkpoint_period_us; /* take one this often; 0: only on HC_CHECKPOINT */
};

/* vCPUs of @c, and the physical CPU of vCPU @i (< vm_cfg_vcpus(c)). */
static inline unsigned vm_cfg_vcpus(const struct vm_config *c)
{
	return c->nr_vcpus ? c->nr_vcpus : 1;
}

static inline uint32_t vm_cfg_cpu(const struct vm_config *c, unsigned i)
{
	return c->nr_vcpus ? c->cpus[i] : c->cpu;
}

#define VM_MAX_PEERS 64 /* a VM index a peers mask can name */
#define PEER(n)	     BIT(n)

/* A named set of VMs the hypervisor's command line can pick ("config=NAME"). */
struct hv_config {
	const char *name;
	const struct vm_config *vms;
	unsigned nr_vms;
	bool test_only; /* broken on purpose, or needs the tests' harness: listed nowhere */
};

/* Region shorthands for configurations (config/builtin.c). */
#define RAM(base, sz)                                                                              \
	{                                                                                          \
		.gpa = (base), .size = (sz), .kind = REGION_RAM, .rights = REGION_RWX              \
	}
#define ROM(base, sz, module)                                                                      \
	{                                                                                          \
		.gpa = (base), .size = (sz), .kind = REGION_ROM, .rights = REGION_R | REGION_X,    \
		.name = (module)                                                                   \
	}
#define MMIO(base, sz, device)                                                                     \
	{                                                                                          \
		.gpa = (base), .size = (sz), .kind = REGION_MMIO_EMUL,                             \
		.rights = REGION_R | REGION_W, .name = (device)                                    \
	}
#define PASSTHRU(base, sz, host)                                                                   \
	{                                                                                          \
		.gpa = (base), .size = (sz), .kind = REGION_MMIO_PASS,                             \
		.rights = REGION_R | REGION_W, .hpa = (host)                                       \
	}
#define SHARED(base, sz, shm)                                                                      \
	{                                                                                          \
		.gpa = (base), .size = (sz), .kind = REGION_SHARED, .rights = REGION_R | REGION_W, \
		.name = (shm)                                                                      \
	}
#define REGIONS(r) .regions = (r), .nr_regions = ARRAY_SIZE(r)

#define REGION_KIND_NAMES                                                                          \
	{                                                                                          \
		"ram", "rom", "mmio-emul", "mmio-pass", "shared"                                   \
	}

#endif
