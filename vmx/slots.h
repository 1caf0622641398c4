/*
 * HC_SLOT_ADD and HC_SLOT_REMOVE on the VMX side (vmx/slots.c), and the foreign
 * shoot-down and hold they use (vmx/mp.c): a CPU that need not be one of the target
 * VM's vCPUs stops those vCPUs where they hold no slot pointer, edits, and has each
 * flush its EPT translations before the hypercall returns. docs/smp.md has the protocol.
 */
#ifndef VMX_SLOTS_H
#define VMX_SLOTS_H

#include "vm/vm.h"

/*
 * Every vCPU of @t does INVEPT (or, while @t is held, waits held in root) before this
 * returns; @self is the calling vCPU (any VM's, @t's included) or NULL, and takes its own
 * VM's shoot-downs meanwhile. False when @t stopped for good instead (nothing of it runs).
 * @pre the caller holds no device lock and no slot pointer.
 */
bool vmx_ept_shootdown_vm(struct vm *t, struct vcpu *self);

/*
 * Hold every vCPU of @t (but @self) in root, in vmx_flush_take, where none holds a slot
 * pointer: 0, or -EBUSY (the VM is not running: stopped, or restarting) and nothing held.
 * vmx_vm_release lets them go and waits until each has done INVEPT.
 * @pre slots_lock (vmx/slots.c): one holder at a time.
 */
int vmx_vm_hold(struct vm *t, struct vcpu *self);
void vmx_vm_release(struct vm *t, struct vcpu *self);

/* The hypercalls, for vCPU @v (docs/abi.md): the value RAX returns. */
int64_t vmx_hc_slot_add(struct vcpu *v, uint64_t id, uint64_t gpa, uint64_t size, uint64_t rights);
int64_t vmx_hc_slot_remove(struct vcpu *v, uint64_t id, uint64_t gpa);

/*
 * Restart or stop of @vm by its boot vCPU @v0, the APs parked: every run-time slot is
 * removed and its frames scrubbed and freed (the caller's shoot-down follows).
 */
void vmx_slots_drop(struct vcpu *v0);

#endif
