/*
 * Demand-faulted RAM (KVM's handle_ept_violation -> direct_page_fault -> __direct_map):
 * a RAM region with REGION_F_DEMAND gets no frames at VM build; each 2 MiB or 4 KiB
 * block is taken from the buddy (tagged the VM's), zeroed and recorded on first touch,
 * by the guest (an EPT violation, which also maps it) or by a host write through gmem.
 * Called by VM build, restart and stop (hv/), the EPT-violation handler (vmx/), gmem.
 * Host-buildable; the allocator comes in as struct demand_ops.
 */
#ifndef VM_DEMAND_H
#define VM_DEMAND_H

#include "config/validate.h"
#include "lib/spinlock.h"
#include "lib/types.h"
#include "mm/page.h"

#define DEMAND_MAX_REGIONS VALIDATE_MAX_DEMAND /* per VM: the validator counts them */
#define DEMAND_CHUNK	   (2 * MiB)
#define DEMAND_ORDER_2M	   9 /* a 2 MiB block: 2^9 frames */

struct vm;
struct vcpu;
struct ept;

/* Where blocks come from: the buddy allocator under its lock (hv/), a test's own buddy. */
struct demand_ops {
	/* 2^order frames tagged @owner, NOT zeroed: 0 and *out, or -ENOMEM. */
	int (*alloc)(unsigned order, owner_t owner, hpa_t *out);
	void (*free)(hpa_t a, unsigned order, owner_t owner);
};

/*
 * Invariants: chunk[i] describes GPA [(first_chunk + i) * 2 MiB, +2 MiB) clipped to the
 * region: 0 (nothing held), DEMAND_E_2M | the 2 MiB block's HPA (only when that whole
 * aligned 2 MiB lies in the region), or DEMAND_E_TABLE | the HPA of a hypervisor page of
 * 512 entries, one per 4 KiB frame (0, or its HPA | DEMAND_E_4K). A frame is recorded
 * once, so held <= size. A block is in the EPT only if it is recorded here.
 */
#define DEMAND_E_2M    BIT(0)
#define DEMAND_E_TABLE BIT(1)
#define DEMAND_E_4K    BIT(0)

struct demand_region {
	uint64_t gpa, size;
	uint32_t flags;	 /* REGION_F_DEMAND, maybe REGION_F_DEMAND_4K */
	uint16_t region; /* index in the VM's configuration */
	uint32_t rights; /* REGION_R/W/X, as mapped */
	uint64_t first_chunk, nr_chunks;
	uint64_t *chunk; /* nr_chunks entries, in hypervisor pages */
	unsigned chunk_order;
	uint64_t held; /* bytes of blocks recorded now */
};

/* Counted since the VM was built, restarts included, unless "now". */
struct demand_stats {
	uint64_t faults;      /* EPT violations that mapped demand memory */
	uint64_t host_allocs; /* blocks taken because the host wrote first (the loader) */
	uint64_t allocs[2];   /* blocks taken: [0] 4 KiB, [1] 2 MiB */
	uint64_t fallbacks;   /* a 2 MiB block was allowed but the buddy had none */
	uint64_t held[2];     /* blocks held now, by size */
	uint64_t tables;      /* 4 KiB map pages held now */
	uint64_t peak_bytes;  /* most bytes held at once */
	uint64_t released;    /* blocks given back (restart, stop) */
	uint64_t fault_tsc;   /* TSC spent in demand_fault, zeroing included */
	uint64_t oom;	      /* blocks the buddy could not give */
};

struct demand {
	struct demand_region r[DEMAND_MAX_REGIONS];
	unsigned nr;
	owner_t owner;
	const struct demand_ops *ops;
	spinlock_t lock; /* the maps and the statistics; inside vm_dev_lock when both */
	struct demand_stats st;
};

/* Empty state for a VM whose frames are tagged @owner. */
void demand_init(struct demand *d, owner_t owner, const struct demand_ops *ops);

/*
 * Add a demand region [gpa, gpa + size) (4 KiB aligned, validated) with its map.
 * Returns 0, -ENOSPC (DEMAND_MAX_REGIONS already), -EINVAL (empty, unaligned), -ENOMEM.
 */
int demand_add(struct demand *d, uint64_t gpa, uint64_t size, uint32_t flags, uint32_t rights,
	       uint16_t region);

/* The region holding @a, or NULL. */
struct demand_region *demand_find(struct demand *d, uint64_t a);

/*
 * The mapping-size decision for a block at @a of @r whose chunk entry is @e: 9 (2 MiB)
 * when @r allows it (no REGION_F_DEMAND_4K), the chunk holds nothing yet and the aligned
 * 2 MiB around @a lies inside @r; else 0 (4 KiB). Pure.
 */
unsigned demand_order(const struct demand_region *r, uint64_t a, uint64_t e);

/* What demand_get found or took. */
struct demand_block {
	uint64_t gpa; /* the block's first GPA */
	hpa_t hpa;    /* ... and its frames */
	unsigned order;
	bool fresh; /* taken (and zeroed) by this call */
};

/*
 * The block holding @a (in a demand region of @d); with @take, one is allocated, zeroed
 * and recorded when there is none: 2 MiB per demand_order when the buddy has one, else
 * 4 KiB. @pre d->lock held.
 * Returns 0; -EFAULT (@a in no demand region), -ENOENT (none held, !@take), -ENOMEM.
 */
int demand_get(struct demand *d, uint64_t a, bool take, struct demand_block *b);

/*
 * Remove every recorded block's EPT leaves from @ept (a restart or stop; the caller then
 * flushes every vCPU, and only then calls demand_release). @pre no vCPU runs the guest.
 */
void demand_unmap_all(struct demand *d, struct ept *ept);

/* Give every block and map page back (frames zeroed on next allocation); maps emptied. */
void demand_release(struct demand *d);

/* demand_release, and the regions' maps too (tests, a VM build that failed). */
void demand_destroy(struct demand *d);

/*
 * Set up vm->demand (owner vm->owner) and hook gmem (vm->slots.demand: slots with hpa MEMSLOT_HPA_DEMAND): host reads of
 * an untouched page see zeros and take nothing, host writes take a block (not mapped:
 * the guest's first touch maps it). The caller adds the regions with demand_add.
 */
void demand_vm_init(struct vm *vm, const struct demand_ops *ops);

/*
 * An EPT violation at @a, which lies in a demand region of vCPU @v's VM with the
 * region's rights allowing the access: take the block if none is held and map it
 * (under the VM's device lock, which serializes its EPT edits; a new leaf needs no
 * shoot-down). A block mapped already (another vCPU was first) just resumes.
 * True: the guest resumes; false: the VM was stopped (out of memory, named).
 */
bool demand_fault(struct vcpu *v, gpa_t a);

/* One line of statistics (no newline) into @buf; returns ksnprintf's length. */
int demand_format(const struct demand *d, char *buf, size_t len);

#endif
