/*
 * HC_SLOT_ADD and HC_SLOT_REMOVE (docs/abi.md): a privileged VM adds a RAM slot to a
 * running VM, or removes one it added, while that VM's vCPUs run on other CPUs.
 * Invariants: one slot edit at a time in the whole machine (slots_lock); the target's
 * slots and EPT change only while every vCPU of it is held in root (vmx_vm_hold) or
 * parked for its restart or stop, so no vCPU uses a slot entry that moves or goes;
 * removed frames are freed only after every vCPU of the target did INVEPT.
 */
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "vm/slotctl.h"
#include "vmx/slots.h"
#include "vmx/vcpu.h"

static spinlock_t slots_lock = SPINLOCK_INIT;

/* Spinning, take our own VM's shoot-downs (and holds: we hold nothing a holder needs). */
static void slots_lock_take(struct vcpu *self)
{
	while (!spin_trylock(&slots_lock)) {
		if (__atomic_load_n(&self->work, __ATOMIC_SEQ_CST) & VCPU_WORK_FLUSH)
			vmx_flush_take(self);
		cpu_relax();
	}
}

/* The target by id (all 64 bits), for a privileged caller: 0, -EPERM, -ENODEV. */
static int target_of(const struct vcpu *v, uint64_t id, struct vm **t)
{
	if (!(v->vm->cfg->flags & VM_FLAG_PRIVILEGED))
		return -EPERM;
	*t = id <= UINT32_MAX ? vm_by_id((unsigned)id) : NULL;
	return *t ? 0 : -ENODEV;
}

static int slot_add(struct vcpu *v, struct vm *t, uint64_t gpa, uint64_t size, uint64_t rights)
{
	struct slotctl_blocks b;
	int ret = t->state == VM_RUNNING ? slotctl_check_add(t, gpa, size, rights) : -EBUSY;

	if (!ret)
		ret = slotctl_alloc(t, gpa, size, &b);
	if (ret)
		return ret;
	ret = vmx_vm_hold(t, v);
	if (!ret) {
		ret = slotctl_insert(t, gpa, size, (uint32_t)rights, &b);
		vmx_vm_release(t, v); /* a new leaf needs no flush; the release does one anyway */
	}
	if (ret)
		slotctl_free(t, &b);
	return ret;
}

int64_t vmx_hc_slot_add(struct vcpu *v, uint64_t id, uint64_t gpa, uint64_t size, uint64_t rights)
{
	struct vm *t;
	int ret = target_of(v, id, &t);

	if (ret)
		return ret;
	slots_lock_take(v);
	ret = slot_add(v, t, gpa, size, rights);
	if (ret)
		t->slotctl.refused++;
	spin_unlock(&slots_lock);
	return ret;
}

static int slot_remove(struct vcpu *v, struct vm *t, uint64_t gpa)
{
	struct slotctl_blocks b;
	unsigned idx = 0;
	int ret = t->state == VM_RUNNING ? slotctl_check_remove(t, gpa, &idx) : -EBUSY;

	if (!ret)
		ret = vmx_vm_hold(t, v);
	if (ret)
		return ret;
	slotctl_detach(t, idx, &b);
	vmx_vm_release(t, v); /* every vCPU of @t did INVEPT: nothing reaches the frames */
	slotctl_free(t, &b);
	return 0;
}

int64_t vmx_hc_slot_remove(struct vcpu *v, uint64_t id, uint64_t gpa)
{
	struct vm *t;
	int ret = target_of(v, id, &t);

	if (ret)
		return ret;
	slots_lock_take(v);
	ret = slot_remove(v, t, gpa);
	if (ret)
		t->slotctl.refused++;
	spin_unlock(&slots_lock);
	return ret;
}

void vmx_slots_drop(struct vcpu *v0)
{
	struct vm *vm = v0->vm;

	if (!vm->slotctl.bytes)
		return; /* nothing added: no lock (an edit in progress finds the VM not running) */
	slots_lock_take(v0);
	slotctl_drop_all(vm);
	spin_unlock(&slots_lock);
}
