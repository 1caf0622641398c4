/*
 * Lazy zeroing of a VM's RAM: boot and restart map none of it; each 2 MiB chunk
 * is zeroed the first time the guest touches it (an EPT violation) or the host
 * reads or writes it through gmem (the loader, hypercalls), and mapped in the EPT
 * when the guest touches it. The work is moved, not hidden: it is counted here.
 * Called by VM build and restart (hv/), the EPT-violation handler (vmx/), gmem.
 */
#ifndef VM_RAMZERO_H
#define VM_RAMZERO_H

#include "lib/spinlock.h"
#include "lib/types.h"

#define RAMZERO_CHUNK (2 * MiB)

struct vm;
struct vcpu;

/*
 * Invariants: chunk c covers GPA [c * 2 MiB, (c + 1) * 2 MiB) and the parts of
 * the VM's RAM slots in it. mapped[c] implies zeroed[c]; a RAM frame has an EPT
 * leaf only in a mapped chunk; zeroed[] is cleared only with every RAM leaf
 * removed (ramzero_reset), so nothing a boot wrote is readable by the next one.
 */
struct ramzero {
	uint64_t *zeroed; /* bitmaps over nr_chunks, in one page of the hypervisor's */
	uint64_t *mapped;
	uint64_t nr_chunks; /* 0: eager mode, ramzero_reset zeroes all RAM at once */
	spinlock_t lock;
	/* Since the VM was built, restarts included: */
	uint64_t guest_faults; /* chunks zeroed on the guest's first touch */
	uint64_t guest_maps;   /* EPT violations that mapped a chunk (zeroed or not) */
	uint64_t host_zeroed;  /* chunks zeroed because the host touched them first */
	uint64_t fault_tsc;    /* TSC spent in ramzero_fault */
};

/*
 * Set up @vm's lazy state over its RAM slots and hook gmem (vm->slots.prepare).
 * RAM beyond what one page of bitmaps covers (32 GiB of GPA) makes the VM eager.
 * Returns 0 or -ENOMEM.
 */
int ramzero_init(struct vm *vm);

/*
 * Forget every chunk: remove the RAM's EPT leaves (ROM and shared memory keep
 * theirs and their contents). Eager mode zeroes all RAM instead. The caller
 * flushes cached translations (INVEPT) before the guest runs again.
 * @pre no vCPU of @vm runs.
 */
void ramzero_reset(struct vm *vm);

/*
 * True when every chunk [a, a + len) touches (@len > 0) is zeroed, or @rz is
 * eager: host code that reads guest RAM straight through the direct map, not
 * through gmem, must check this first and otherwise go through gmem (which
 * zeroes). Lock-free: a chunk's zeroed bit is only set while the VM runs.
 */
static inline bool ramzero_ready(const struct ramzero *rz, uint64_t a, uint64_t len)
{
	for (uint64_t c = a / RAMZERO_CHUNK; rz->nr_chunks && c <= (a + len - 1) / RAMZERO_CHUNK;
	     c++)
		if (c < rz->nr_chunks &&
		    !(__atomic_load_n(&rz->zeroed[c / 64], __ATOMIC_ACQUIRE) & BIT(c % 64)))
			return false;
	return true;
}

/*
 * An EPT violation at @a in a RAM slot of vCPU @v's VM: zero the chunk if it is
 * not, and map it (inside the VM's device lock, which serializes its EPT edits;
 * a new leaf needs no shoot-down).
 * True when that was the cause (the guest resumes and retries the access);
 * false when the chunk was mapped already (a real violation) or cannot be.
 */
bool ramzero_fault(struct vcpu *v, gpa_t a);

#endif
