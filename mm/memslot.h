/*
 * Per-VM memory slots (KVM's idea): each slot maps a run of guest frames to a
 * run of host frames and carries the region kind and rights it came from.
 * Invariants: slots are sorted by base_gfn and never overlap. Built by the VM
 * creator, read by the EPT builder and the exit handlers; changed at run time only
 * while every vCPU of the VM is held where it holds no slot pointer (vm/slotctl.h).
 */
#ifndef VM_MEMSLOT_H
#define VM_MEMSLOT_H

#include "lib/types.h"
#include "config/config.h"
#include "config/validate.h"

#define MEMSLOT_MAX	  VALIDATE_MAX_SLOTS /* what the validator counts a VM's slots against */
#define MEMSLOT_NO_REGION 0xffff	     /* a platform device's page, not a configured region */
#define MEMSLOT_RUNTIME	  0xfffe /* RAM added at run time (vm/slotctl.c), not configured */

/*
 * One RAM region may be backed by several slots (several buddy blocks).
 * Emulated-MMIO ranges are slots too (kind REGION_MMIO_EMUL) whose hpa means
 * nothing, so an exit handler finds the region of a faulting GPA in one lookup.
 */
struct mem_slot {
	gfn_t base_gfn;
	uint64_t npages;
	hpa_t hpa; /* host address of base_gfn; unused for REGION_MMIO_EMUL */
	enum region_kind kind;
	uint32_t rights; /* REGION_R/W/X */
	uint16_t region; /* index in the VM's configuration, or MEMSLOT_NO_REGION */
};

/*
 * A demand-faulted RAM region (vm/demand.h) is one RAM slot with this hpa: no frames of
 * its own (no real frame has it: above any MAXPHYADDR), gmem goes through ->demand.
 */
#define MEMSLOT_HPA_DEMAND (~0ULL)

static inline bool memslot_is_demand(const struct mem_slot *s)
{
	return s->kind == REGION_RAM && s->hpa.v == MEMSLOT_HPA_DEMAND;
}

struct memslots {
	struct mem_slot slot[MEMSLOT_MAX];
	unsigned nr;
	/*
	 * Optional (NULL after memslots_init): called by gmem before the host reads or
	 * writes [a, a + len) of a RAM slot, so that RAM zeroed lazily (vm/ramzero.c)
	 * is zeroed before anyone sees it.
	 */
	void (*prepare)(void *ctx, gpa_t a, uint64_t len);
	void *prepare_ctx;
	/*
	 * Needed by gmem for demand slots (NULL: gmem refuses them): the host address of
	 * @a in *out and in *len the bytes from @a to the end of its block; with @write a
	 * block is taken when none is. -ENOENT (nothing there; a read sees zeros for the
	 * *len bytes set then too), -ENOMEM.
	 */
	int (*demand)(void *ctx, gpa_t a, bool write, hpa_t *out, uint64_t *len);
	void *demand_ctx;
};

void memslots_init(struct memslots *ms);

/*
 * Insert a copy of @s keeping the array sorted.
 * Returns 0, -EINVAL (no pages, frame range overflows, bad kind),
 * -EEXIST (overlaps a slot), -ENOSPC (MEMSLOT_MAX slots already).
 */
int memslot_add(struct memslots *ms, const struct mem_slot *s);

/*
 * Remove the slot whose first frame is @base, keeping the rest sorted.
 * Returns 0, or -ENOENT when no slot starts at @base.
 */
int memslot_remove(struct memslots *ms, gfn_t base);

/* The slot containing @a, or NULL. O(log nr). */
const struct mem_slot *memslot_find(const struct memslots *ms, gpa_t a);

static inline gpa_t memslot_gpa(const struct mem_slot *s)
{
	return gfn_to_gpa(s->base_gfn);
}

static inline uint64_t memslot_size(const struct mem_slot *s)
{
	return s->npages << PAGE_SHIFT;
}

static inline bool memslot_contains(const struct mem_slot *s, gpa_t a)
{
	gfn_t f = gpa_to_gfn(a);

	return f.v >= s->base_gfn.v && f.v - s->base_gfn.v < s->npages;
}

static inline bool memslot_has_hpa(const struct mem_slot *s)
{
	return s->kind != REGION_MMIO_EMUL && !memslot_is_demand(s);
}

/*
 * Host address of @a through @s: the unchecked fast form of memslot_gpa_to_hpa(),
 * for a caller that has just found @s by @a and checked its kind.
 * @pre memslot_contains(s, a) && memslot_has_hpa(s)
 */
static inline hpa_t memslot_hpa(const struct mem_slot *s, gpa_t a)
{
	return hpa(s->hpa.v + (a.v - memslot_gpa(s).v));
}

/*
 * Translate @a through @s into *out.
 * Returns 0, or -ENOENT when @a is outside @s or @s has no host frames.
 */
int memslot_gpa_to_hpa(const struct mem_slot *s, gpa_t a, hpa_t *out);

#endif
