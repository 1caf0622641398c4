/*
 * A VM's several vCPUs on the VMX side (docs/smp.md): the SDM's MP start-up for
 * APs (INIT puts a vCPU in wait-for-SIPI, a SIPI starts it in real mode at the
 * vector's page; a SIPI to a running vCPU is ignored), emulated in root from the
 * signals its virtual local APIC latched (no physical INIT or SIPI is involved),
 * and the INVEPT shoot-down that makes an EPT change seen by every vCPU before it
 * is relied on.
 * Also the foreign shoot-down and hold a run-time slot edit (vmx/slots.c) uses on a
 * VM from a CPU that may not be one of its vCPUs.
 * Invariants: v->mp and the VMCS of a vCPU change only on its own CPU; every loop a
 * vCPU waits in (guest, HLT, wait-for-SIPI, shoot-down, restart parking) takes its
 * VCPU_WORK_FLUSH, so a shoot-down always completes, unless the VM stopped for good
 * (vm->finished), which a foreign shoot-down looks at.
 */
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "vmx/exit.h"
#include "vmx/slots.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"

/*
 * INVEPT for the shoot-down that asked, and say which generation it covers. The work
 * bit is cleared before the generation is read: a shoot-down whose generation comes
 * after that read sets the bit again after the clear, and is taken next time.
 */
static void flush_once(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t gen;

	__atomic_fetch_and(&v->work, ~(uint32_t)VCPU_WORK_FLUSH, __ATOMIC_SEQ_CST);
	gen = __atomic_load_n(&vm->ept_gen, __ATOMIC_SEQ_CST);
	vmx_invept_single(vm->hw.eptp);
	__atomic_store_n(&vm->ept_flushed[v->index], gen, __ATOMIC_RELEASE);
	v->stats.flushes++;
}

/*
 * Held by a run-time slot edit (vmx_vm_hold): wait in root. Each generation seen while
 * the hold lasts is acknowledged, so the holder's shoot-down completes whenever this
 * vCPU entered; one read before the hold ends is never acknowledged (its generation is
 * read before the flag), so the holder's release shoot-down waits for the INVEPT below.
 */
static void hold_here(struct vcpu *v)
{
	struct vm *vm = v->vm;

	for (;;) {
		uint64_t gen = __atomic_load_n(&vm->ept_gen, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&vm->slot_hold, __ATOMIC_SEQ_CST))
			break;
		__atomic_store_n(&vm->ept_flushed[v->index], gen, __ATOMIC_RELEASE);
		cpu_relax();
	}
	flush_once(v);
}

/*
 * Every caller is at a point where it holds no slot pointer and not the VM's device
 * lock (the run loop before an entry, HLT, wait-for-SIPI, a shoot-down's wait, restart
 * parking): where a run-time slot edit may hold the vCPU.
 */
void vmx_flush_take(struct vcpu *v)
{
	flush_once(v);
	if (__atomic_load_n(&v->vm->slot_hold, __ATOMIC_SEQ_CST))
		hold_here(v);
}

void vmx_ept_shootdown(struct vcpu *self)
{
	struct vm *vm = self->vm;
	uint64_t t0 = rdtsc(), gen = __atomic_add_fetch(&vm->ept_gen, 1, __ATOMIC_SEQ_CST);

	vmx_invept_single(vm->hw.eptp);
	__atomic_store_n(&vm->ept_flushed[self->index], gen, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (i != self->index)
			vcpu_wake(&vm->vcpus[i], VCPU_WORK_FLUSH, true);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		while (__atomic_load_n(&vm->ept_flushed[i], __ATOMIC_ACQUIRE) < gen) {
			if (__atomic_load_n(&self->work, __ATOMIC_SEQ_CST) & VCPU_WORK_FLUSH)
				vmx_flush_take(
				    self); /* another vCPU's shoot-down at the same time */
			cpu_relax();
		}
	if (vm->nr_vcpus > 1) { /* in the statistics (not printed here: a line takes ms) */
		uint64_t t = rdtsc() - t0;
		self->stats.shootdowns++;
		self->stats.shootdown_ticks += t;
		self->stats.shootdown_max = MAX(self->stats.shootdown_max, t);
	}
}

bool vmx_ept_shootdown_vm(struct vm *t, struct vcpu *self)
{
	uint64_t gen = __atomic_add_fetch(&t->ept_gen, 1, __ATOMIC_SEQ_CST);
	bool own = self && self->vm == t;

	for (unsigned i = 0; i < t->nr_vcpus; i++)
		if (own && i == self->index) {
			vmx_invept_single(t->hw.eptp);
			__atomic_store_n(&t->ept_flushed[i], gen, __ATOMIC_RELEASE);
		} else {
			vcpu_wake(&t->vcpus[i], VCPU_WORK_FLUSH, true);
		}
	for (unsigned i = 0; i < t->nr_vcpus; i++)
		while (__atomic_load_n(&t->ept_flushed[i], __ATOMIC_ACQUIRE) < gen) {
			if (__atomic_load_n(&t->finished, __ATOMIC_ACQUIRE))
				return false; /* its vCPUs are gone: nothing runs on the old entries */
			/* our own VM's shoot-downs meanwhile; never held: we may be the holder */
			if (self &&
			    (__atomic_load_n(&self->work, __ATOMIC_SEQ_CST) & VCPU_WORK_FLUSH))
				flush_once(self);
			cpu_relax();
		}
	return true;
}

int vmx_vm_hold(struct vm *t, struct vcpu *self)
{
	__atomic_store_n(&t->slot_hold, true, __ATOMIC_SEQ_CST);
	if (vmx_ept_shootdown_vm(t, self) && t->state == VM_RUNNING)
		return 0;
	vmx_vm_release(t, self);
	return -EBUSY;
}

void vmx_vm_release(struct vm *t, struct vcpu *self)
{
	__atomic_store_n(&t->slot_hold, false, __ATOMIC_SEQ_CST);
	vmx_ept_shootdown_vm(t, self);
}

/*
 * INIT and SIPI the vCPU's APIC latched: INIT resets an AP into wait-for-SIPI (the
 * boot vCPU has no firmware to restart in: an INIT to it resets the platform, as
 * vm_reboot); a SIPI starts a vCPU waiting for one, and is ignored by a running one.
 */
void vmx_take_mp_signals(struct vcpu *v)
{
	uint8_t vector = 0;
	bool init, sipi;

	__atomic_fetch_and(&v->work, ~(uint32_t)VCPU_WORK_INIT, __ATOMIC_SEQ_CST);
	if (!v->intc.take_init)
		return;
	vm_dev_lock(v);
	init = v->intc.take_init(v->intc.ctx);
	sipi = v->intc.take_sipi(v->intc.ctx, &vector);
	vm_dev_unlock(v);
	if (init) {
		v->stats.inits++;
		if (!v->index) {
			vm_reboot(v->vm, "INIT to the boot vCPU");
			return;
		}
		v->mp = VCPU_MP_WAIT_SIPI;
		v->sipi_ready = false;
	}
	if (!sipi)
		return;
	if (v->mp != VCPU_MP_WAIT_SIPI) {
		v->stats.sipis_ignored++;
		return;
	}
	v->stats.sipis++;
	v->sipi_vector = vector;
	v->sipi_ready = true;
}

/* Idle in root until a SIPI arrives (true) or the VM leaves VM_RUNNING (false). */
static bool wait_for_sipi(struct vcpu *v)
{
	struct vm *vm = v->vm;

	__atomic_store_n(&v->idle, true, __ATOMIC_SEQ_CST);
	while (!v->sipi_ready && vm->state == VM_RUNNING) {
		uint32_t work = __atomic_load_n(&v->work, __ATOMIC_SEQ_CST);
		if (work & VCPU_WORK_INIT)
			vmx_take_mp_signals(v);
		if (work & VCPU_WORK_FLUSH)
			vmx_flush_take(v);
		cpu_relax();
	}
	__atomic_store_n(&v->idle, false, __ATOMIC_SEQ_CST);
	return v->sipi_ready && vm->state == VM_RUNNING;
}

void vmx_ap_run(struct vcpu *v)
{
	struct vm *vm = v->vm;

	while (wait_for_sipi(v)) {
		uint64_t sipi_tsc = rdtsc();
		int ret;

		v->sipi_ready = false;
		ret = vcpu_setup(v, &(struct vcpu_boot){.real_mode = true,
							.entry = (uint64_t)v->sipi_vector << 12,
							.rdx = cpuid(1, 0).eax});
		if (ret) {
			pr_err("vm \"%s\": vCPU %u: cannot set up its VMCS (%d)\n", vm->cfg->name,
			       v->index, ret);
			vm_fault(vm, -1, "AP set-up failed");
			return;
		}
		v->stats.start_ticks = rdtsc() - sipi_tsc; /* printed with the statistics */
		v->mp = VCPU_MP_RUN;
		vmx_vcpu_run(v);
		if (vm->state != VM_RUNNING)
			return;
	}
}
