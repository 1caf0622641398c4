/*
 * VM checkpoints (issue 15): a VM's vCPU and device state and its RAM, kept in memory
 * reserved at boot (vm_config.checkpoint_bytes, from the buddy, owned by the hypervisor),
 * and the rollback that puts them back. RAM is copied incrementally with the dirty log:
 * the first checkpoint copies every touched page, later ones only pages written since.
 * Built on the host; the VMX part of the vCPU state comes through struct ckpt_arch.
 *
 * Invariants: one vCPU (the validator refuses more); everything runs on that vCPU's
 * CPU with the vCPU out of its guest (an exit, or the restart path), so no lock is
 * needed. The committed checkpoint (valid, state slot cur, the mirror) is never
 * written until a new one is known to fit: a refused checkpoint leaves it whole.
 */
#ifndef VM_CKPT_H
#define VM_CKPT_H

#include "lib/types.h"
#include "mm/page.h"

struct vm;
struct vcpu;

#define CKPT_MAX_BLOCKS 64   /* buddy blocks of one reservation */
#define CKPT_ARCH_MAX	2048 /* bytes of backend vCPU state (VMCS fields, MSRs, FXSAVE) */

/* The backend's part of a vCPU's state: save into / restore from CKPT_ARCH_MAX bytes. */
struct ckpt_arch {
	void (*save)(struct vcpu *v, void *buf);
	void (*restore)(struct vcpu *v, const void *buf);
};

/* The dirty log (vm/dirty.h), as ckpt calls it; tests replace it. */
struct ckpt_dirty_ops {
	int (*enable)(struct vm *vm, struct vcpu *self, unsigned region, bool on);
	long (*harvest)(struct vm *vm, struct vcpu *self, unsigned region, uint64_t *bitmap,
			uint64_t nbits);
};

struct ckpt_stats {
	uint64_t taken, full, refused, rollbacks, cold; /* cold: rollback with none taken */
	uint64_t last_pages;				/* RAM pages copied by the last one */
	uint64_t last_tsc, full_tsc, incr_tsc, incr_n;	/* TSC spent */
	uint64_t rollback_tsc, rollback_pages;		/* the last rollback */
};

/*
 * Store layout, in pages of the reservation (blocks[] in order, largest first):
 * [0, meta) bitmaps: dirty (per RAM page), scratch (one region's harvest), mvalid
 * (per 2 MiB chunk); then the RAM mirror (RAM regions in configuration order); then
 * two state slots; the rest stages the RAM pages of an incremental checkpoint.
 */
struct ckpt {
	void *blk_va[CKPT_MAX_BLOCKS];
	unsigned blk_order[CKPT_MAX_BLOCKS];
	unsigned nr_blocks;
	uint64_t pages; /* reserved */
	uint64_t meta, ram_pages, state_pages, stage_pages;
	uint64_t nr_chunks;
	uint64_t *dirty; /* RAM page p written since the committed checkpoint (or unknown) */
	uint64_t *scratch;
	uint64_t *mvalid;  /* chunk c's mirror pages hold data; else they stand for zero */
	int cur;	   /* committed state slot, -1: no checkpoint */
	bool by_hypercall; /* the committed one was taken by HC_CHECKPOINT */
	bool logging;	   /* dirty logging enabled on every RAM region */
	bool cold;	   /* the pending restart is a guest reset: boot, not rollback */
	uint64_t gen;	   /* checkpoints committed since boot */
	uint64_t period_tsc, next_due;
	const struct ckpt_arch *arch;
	struct ckpt_dirty_ops dirty_ops;
	struct ckpt_stats stats;
};

/*
 * Pages a reservation needs for a VM of @ram_bytes RAM (page multiple) whose state is
 * @state_pages a slot: bitmaps, mirror, two state slots; the staging area is the rest.
 */
uint64_t ckpt_need_pages(uint64_t ram_bytes, uint64_t state_pages);

/*
 * Reserve @vm's checkpoint memory (after its slots and devices exist); nothing when its
 * configuration reserves none. 0; -ENOMEM (the buddy cannot give it); -ENOSPC (smaller
 * than ckpt_need_pages: the log names the VM and both sizes).
 */
int ckpt_init(struct vm *vm, const struct ckpt_arch *arch);

/*
 * Take a checkpoint of @v's VM (@hypercall: asked by HC_CHECKPOINT, whose RAX the caller
 * has set to 0). 0; -ENOSPC when the pages written since the last one and the state do not
 * fit the staging area (the log names the VM and the sizes; the last checkpoint stands);
 * -ENODEV when the VM reserved no checkpoint memory; or the dirty log's error.
 */
int ckpt_take(struct vcpu *v, bool hypercall);

/* The period's tick at TSC @now: a checkpoint when one is due. */
void ckpt_tick(struct vcpu *v, uint64_t now);

/* True when a committed checkpoint exists to roll back to. */
bool ckpt_valid(const struct vm *vm);

/*
 * Put the committed checkpoint back: RAM pages written since (harvested again), the
 * device and vCPU state; a checkpoint taken by HC_CHECKPOINT resumes with RAX =
 * KESTREL_CKPT_RESUMED. The caller flushes the EPT. 0, or -ENOENT with none taken.
 * @pre no vCPU of the VM runs.
 */
int ckpt_rollback(struct vcpu *v);

/* A cold restart: the checkpoints describe the previous boot, forget them. */
void ckpt_reset(struct vm *vm);

/* HC_CHECKPOINT for the VM named @id, asked by @v: see docs/abi.md. */
int64_t ckpt_hypercall(struct vcpu *v, uint64_t id);

#endif
