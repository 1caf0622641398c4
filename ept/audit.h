/*
 * EPT ownership audit: every frame of every present leaf of a VM's EPT is
 * checked, one allocator block at a time, against the owner tags
 * (page_owner_run()) and the shared-region grants.
 * Read-only; host-buildable. Called after VM creation, in debug boots and tests.
 */
#ifndef EPT_AUDIT_H
#define EPT_AUDIT_H

#include "ept/ept.h"
#include "lib/types.h"
#include "mm/owner.h"

/* What is wrong with a run of frames (or a table page) the EPT reaches. */
enum audit_kind {
	AUDIT_OTHER_VM, /* RAM of another VM */
	AUDIT_HYP,	/* hypervisor frame */
	AUDIT_FREE,	/* frame the allocator holds free */
	AUDIT_RESERVED, /* not RAM (OWNER_RESERVED) mapped as memory, not UC passthrough */
	AUDIT_NO_GRANT, /* shared frame without a grant for this VM (or unregistered) */
	AUDIT_RIGHTS,	/* shared frame mapped with rights beyond the grant */
	AUDIT_UC_RAM,	/* UC (passthrough) leaf over a frame someone owns */
	AUDIT_TABLE,	/* a paging-structure page that is not OWNER_HYP: not walked */
	AUDIT_BAD_TAG,	/* an owner tag of no known kind */
	AUDIT_KIND_COUNT
};

/*
 * One violation: a maximal run of frames with the same owner and verdict,
 * contiguous in GPA and HPA, within one leaf or across adjacent leaves of one
 * level (size bytes from gpa/hpa). For AUDIT_TABLE: the table page at hpa and
 * the guest range [gpa, gpa + size) the entry pointing to it covers.
 */
struct audit_violation {
	gpa_t gpa;
	hpa_t hpa;
	uint64_t size;
	owner_t owner;	 /* the frame's tag */
	uint32_t rights; /* effective EPTE_R/W/X of the leaf */
	enum audit_kind kind;
	unsigned vm;	  /* the VM audited */
	unsigned level;	  /* 1 PTE, 2 PDE, 3 PDPTE, 4 PML4E */
	uint32_t granted; /* AUDIT_RIGHTS: the rights of the grant */
	const char *name; /* shared region name when registered, else NULL */
};

struct audit_stats {
	unsigned long leaves[EPT_LEAF_COUNT]; /* present leaves by size, markers excluded */
	unsigned long mmio_markers;	      /* skipped */
	unsigned long passthru_leaves;	      /* UC leaves */
	unsigned long apic_access_pages;      /* the recorded APIC-access page: accepted */
	unsigned long tables;		      /* paging-structure pages walked, PML4 included */
	uint64_t frames;		      /* 4 KiB frames checked */
	uint64_t lookups;		      /* owner look-ups for them: one per block per leaf */
	unsigned long violations;
	unsigned long by_kind[AUDIT_KIND_COUNT];
};

typedef void (*audit_report_fn)(void *ctx, const struct audit_violation *v);

/*
 * Audit the EPT of VM @vm (owner OWNER_VM(vm)) against @reg (NULL: no shared
 * regions). @report (may be NULL) is called once per violation, in GPA order;
 * @stats (may be NULL) is filled from zero. Frame owned by the VM: fine with
 * any rights. Shared: needs a grant for the VM covering the leaf's rights. UC
 * leaf: frames must be OWNER_RESERVED. The APIC-access page ept_map recorded
 * (EPT_MAP_APIC_ACCESS): accepted as a 4 KiB leaf without X at its recorded GPA,
 * counted in apic_access_pages. Anything else is a violation.
 * Returns the number of violations, or -EINVAL when ept->owner != OWNER_VM(vm).
 */
int ept_audit(const struct ept *ept, unsigned vm, const struct owner_registry *reg,
	      audit_report_fn report, void *ctx, struct audit_stats *stats);

/*
 * One line, no newline, naming the violation:
 * "audit: vm 1: GPA 0x200000 -> HPA 0x4000000 (2M, rw-) belongs to vm 0".
 * Returns the length the full text needs (ksnprintf semantics).
 */
int audit_format(const struct audit_violation *v, char *buf, size_t len);

/* "other-vm", "hypervisor", ...: a short name for @k. */
const char *audit_kind_name(enum audit_kind k);

#endif
