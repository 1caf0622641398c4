/*
 * RAM slots added and removed while a VM runs (KVM_SET_USER_MEMORY_REGION's idea):
 * the checks a request passes (as a boot-time region's: alignment, wrap, the
 * guest-physical limit, overlap, the slot and byte bounds), the frames behind it,
 * and the edits of the VM's slots and EPT. Host-buildable; vmx/slots.c runs it.
 *
 * Invariants: a run-time slot is slot[i] with size > 0 here and the run of mem_slots
 * (region MEMSLOT_RUNTIME, one per buddy block) covering [base, base + size) in the VM's
 * slots; bytes is the sum of the sizes. slotctl_insert, slotctl_detach and
 * slotctl_drop_all change a VM's slots and EPT: their callers make sure no vCPU of
 * that VM holds a slot pointer meanwhile (held by vmx_vm_hold, or parked for a
 * restart or a stop) and serialize them (vmx/slots.c's slots_lock).
 */
#ifndef VM_SLOTCTL_H
#define VM_SLOTCTL_H

#include "lib/types.h"
#include "mm/memslot.h"

#define SLOTCTL_MAX	  8	       /* run-time slots per VM */
#define SLOTCTL_MAX_BYTES (2ULL << 30) /* run-time RAM per VM: 2 GiB */

struct vm;

struct slotctl_slot {
	uint64_t base, size; /* size 0: entry free */
	uint32_t rights;
};

struct slotctl {
	struct slotctl_slot slot[SLOTCTL_MAX];
	uint64_t bytes; /* run-time RAM the VM has now */
	/* Since the VM was built, restarts included: */
	uint64_t added, removed, dropped; /* dropped: removed by a restart or the stop */
	uint64_t bytes_added, bytes_removed;
	uint64_t refused; /* requests for this VM refused by a check */
};

/* The buddy blocks behind one run-time slot, in GPA order. */
struct slotctl_blocks {
	unsigned n;
	hpa_t hpa[MEMSLOT_MAX];
	uint8_t order[MEMSLOT_MAX];
};

/*
 * May [base, base + size) with @rights (REGION_R/W/X in all 64 bits) become a RAM slot of
 * @t now? 0, or: -EINVAL (base or size not 4 KiB aligned, size 0), -ENOTSUP (rights: none
 * but R, R missing, unknown bits), -ERANGE (wraps, or ends above the guest-physical
 * limit: 2^48, or 2^MAXPHYADDR of the guest's CPUID when smaller), -EEXIST (overlaps a
 * slot: a configured region, a platform device page, a run-time slot), -ENOSPC
 * (SLOTCTL_MAX run-time slots, or MEMSLOT_MAX slots, already), -E2BIG (the VM's run-time
 * RAM would pass SLOTCTL_MAX_BYTES).
 */
int slotctl_check_add(const struct vm *t, uint64_t base, uint64_t size, uint64_t rights);

/*
 * May the slot at @base of @t be removed? 0 and *idx its entry, or: -EINVAL (not 4 KiB
 * aligned), -EFAULT (inside a configured region or platform page: never removed),
 * -ENOENT (no run-time slot starts at @base).
 */
int slotctl_check_remove(const struct vm *t, uint64_t base, unsigned *idx);

/*
 * Zeroed frames owned by @t for [base, base + size): the largest aligned blocks (so 2 MiB
 * and 1 GiB aligned ranges get large leaves), smaller ones where the buddy has none.
 * 0, -ENOMEM (the buddy cannot give them), -ENOSPC (more blocks than free slots).
 * Nothing is kept on error.
 */
int slotctl_alloc(const struct vm *t, uint64_t base, uint64_t size, struct slotctl_blocks *b);

/* Scrub (zero) and give back to the buddy every block of @b; b->n becomes 0. */
void slotctl_free(const struct vm *t, struct slotctl_blocks *b);

/*
 * Insert the slot (one mem_slot per block) and map it in the EPT, WB, with its rights.
 * @pre slotctl_check_add(t, base, size, rights) == 0, @b from slotctl_alloc for the range,
 * no vCPU of @t holds a slot pointer. 0, or the memslot_add / ept_map error with
 * nothing changed.
 */
int slotctl_insert(struct vm *t, uint64_t base, uint64_t size, uint32_t rights,
		   const struct slotctl_blocks *b);

/*
 * Unmap run-time slot @idx from the EPT and the slots (and the page-walk cache); its
 * blocks into @out. The caller flushes every vCPU's translations before it frees them.
 * @pre idx from slotctl_check_remove, no vCPU of @t holds a slot pointer.
 */
void slotctl_detach(struct vm *t, unsigned idx, struct slotctl_blocks *out);

/* Detach and free every run-time slot (restart, stop). @pre no vCPU of @t runs. */
void slotctl_drop_all(struct vm *t);

#endif
