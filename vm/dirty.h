/*
 * Dirty logging per configured RAM region (issue 15; docs/ept.md "Dirty logging"):
 * a bitmap per logged region in hypervisor pages, filled by write faults on
 * write-protected pages or by draining the CPU's page-modification log, harvested
 * get-and-clear. Called by VM build (REGION_F_LOG_DIRTY), the EPT-violation and
 * PML-full handlers (vmx/), HC_DIRTY_LOG and the checkpoint code. Host-buildable.
 *
 * Locking: with @self (a vCPU of the VM, in root) every bitmap and EPT edit holds the
 * VM's device lock, as the fault path does; with @self NULL no vCPU of the VM runs,
 * so nothing else edits them. The INVEPT that follows a removal of rights is a
 * shoot-down through @self (vcpu_ops.shootdown, never under the lock), or with @self
 * NULL a VCPU_WORK_FLUSH left on every vCPU for its next entry.
 */
#ifndef VM_DIRTY_H
#define VM_DIRTY_H

#include "config/validate.h"
#include "ept/dirty.h"
#include "lib/types.h"

struct vm;
struct vcpu;
struct mem_slot;

#define VM_DIRTY_OPS_ENABLE  0 /* HC_DIRTY_LOG's RDI */
#define VM_DIRTY_OPS_DISABLE 1
#define VM_DIRTY_OPS_HARVEST 2

/* A PML entry the CPU has not written (a logged GPA has bits 11:0 clear). */
#define VM_DIRTY_PML_EMPTY (~0ULL)
#define VM_DIRTY_PML_SLOTS 512

/* Invariants: bitmap != NULL iff the region is logged; its bit i is page gpa + i * 4 KiB. */
struct vm_dirty_log {
	uint64_t *bitmap; /* 2^order hypervisor pages */
	unsigned order;
	uint64_t gpa, pages;
};

struct vm_dirty {
	struct vm_dirty_log log[VALIDATE_MAX_REGIONS];
	enum ept_dirty_mode mode; /* one path per VM, chosen at build */
	uint64_t bitmap_bytes;	  /* hypervisor memory the bitmaps hold now */
	/* Since the VM was built, restarts included: */
	uint64_t wp_faults;			  /* writes that took a write-protect fault */
	uint64_t pml_full;			  /* PML-full exits */
	uint64_t pml_logged, harvests, harvested; /* PML entries drained; harvests, pages */
};

/*
 * Turn logging of configured RAM region @region of @vm on or off. On: bitmap cleared and
 * every mapped page write-protected (or its D bit cleared under PML), flushed with INVEPT
 * on every vCPU via @self (a vCPU of @vm in root; NULL when no vCPU of @vm runs).
 * Turning on a logged region (or off one that is not) changes nothing. Off gives W back
 * and merges full 2 MiB spans into one leaf again, and frees the bitmap.
 * Returns 0, -EINVAL (no such region, or not RAM), -ENOMEM (bitmap or split tables).
 */
int vm_dirty_enable(struct vm *vm, struct vcpu *self, unsigned region, bool on);

/*
 * Get-and-clear: @bitmap (nbits >= region pages, bit i = page i of the region, 4 KiB)
 * gets the pages written since enable or the last harvest; exactly those are
 * re-protected, with the right INVEPT before it returns. Same @self rule. Writes
 * (pages + 63) / 64 words, bits past the region's pages clear.
 * Returns pages set or -errno: -EINVAL (no such region, not logged, NULL @bitmap),
 * -ENOSPC (@nbits below the region's pages).
 */
long vm_dirty_harvest(struct vm *vm, struct vcpu *self, unsigned region, uint64_t *bitmap,
		      uint64_t nbits);

/* ---- hooks ---- */

/* VM build: choose the path, turn on the REGION_F_LOG_DIRTY regions. 0 or -errno. */
int vm_dirty_init(struct vm *vm, enum ept_dirty_mode mode);

/*
 * A write EPT violation at @a in RAM slot @s (write-protect path): when the page is
 * logged, set its bit, give W back and return true (the guest retries the write).
 */
bool vm_dirty_fault(struct vcpu *v, const struct mem_slot *s, gpa_t a);

/*
 * Map [a, a + len) of RAM slot @s on first touch (vm/ramzero.c, under the device lock):
 * ept_map, or 4 KiB leaves already waiting for a write when the region is logged.
 */
int vm_dirty_map(struct vm *vm, const struct mem_slot *s, gpa_t a, uint64_t len);

/*
 * Move the entries of a PML page (VM_DIRTY_PML_SLOTS of them) into the bitmaps and
 * mark them empty again; GPAs outside logged regions are dropped. The page's vCPU is
 * not running. Returns the entries taken.
 */
unsigned vm_dirty_pml_drain(struct vm *vm, uint64_t *pml);

/* HC_DIRTY_LOG: @op (VM_DIRTY_OPS_*), @region, the bitmap buffer's GPA and byte size. */
long vm_dirty_hypercall(struct vm *vm, struct vcpu *self, uint64_t op, uint64_t region,
			uint64_t buf, uint64_t bytes);

/* The statistics line, with the VM's (nothing when it never logged). */
void vm_dirty_print(const struct vm *vm);

#endif
