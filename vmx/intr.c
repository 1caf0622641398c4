/*
 * Interrupt delivery and waiting: a vector pending on the vCPU is injected as
 * soon as the guest can take one (interrupt-window exiting until then), the
 * VMX-preemption timer gives each vCPU a periodic tick (watchdog, end of the
 * run), and HLT idles in root until there is something to wake the guest.
 */
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"
#include "vm/conin.h"

static bool can_inject(void)
{
	return (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_BLOCKING) &&
	       !(vmcs_read32(ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

static void set_exiting(uint32_t ctl, bool on)
{
	uint32_t proc = vmcs_read32(PROC_BASED_CTLS);
	uint32_t want = on ? proc | ctl : proc & ~ctl;

	if (want != proc)
		vmcs_write32(PROC_BASED_CTLS, want);
}

static void set_window_exiting(bool on)
{
	set_exiting(PROC_INTR_WINDOW_EXITING, on);
}

/*
 * An NMI goes in unless the guest is still in its NMI handler (blocking by NMI, which
 * the CPU tracks with virtual NMIs until the handler's IRET), in a MOV-SS or STI shadow
 * (VM entry refuses an NMI there on some CPUs), or another event is being injected;
 * NMI-window exiting says when that ends. RFLAGS.IF does not matter.
 */
static void inject_nmi(struct vcpu *v)
{
	uint32_t block = vmcs_read32(GUEST_INTERRUPTIBILITY);

	if ((block & (INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_BLOCKING)) ||
	    (vmcs_read32(ENTRY_INTR_INFO) & INTR_INFO_VALID)) {
		if (v->hw.vnmi)
			set_exiting(PROC_NMI_WINDOW_EXITING, true);
		return; /* without virtual NMIs: tried again at the next exit (work stays set) */
	}
	v->intc.nmi(v->intc.ctx, true);
	vmcs_write32(ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_NMI_INTR | 2);
	set_exiting(PROC_NMI_WINDOW_EXITING, false);
}

/* What a vCPU's interrupt controller would have the CPU take now, or -1. */
static int intc_pending(const struct vcpu *v)
{
	return v->intc.pending ? v->intc.pending(v->intc.ctx) : -1;
}

/*
 * The preemption timer's next expiry: the periodic tick or the VM's devices'
 * next event, whichever comes first. It counts TSC >> timer_rate; exits that
 * touch a device re-arm it from the absolute deadline (devices/pc.h, pc_wake),
 * so nothing rests on its count carrying across a run of exits.
 */
static void arm_timer(struct vcpu *v, uint64_t now, uint64_t next_event)
{
	uint64_t due = MIN(v->hw.tick_due, next_event), ticks;

	ticks = due > now ? (due - now) >> v->hw.timer_rate : 0;
	vmcs_write32(GUEST_PREEMPTION_TIMER, (uint32_t)MIN(MAX(ticks, 1), UINT32_MAX));
}

/*
 * Bring the VM's devices to @now when one of them is due (they raise their lines), and
 * return their next event after that (UINT64_MAX: none): asked once when nothing is due.
 */
static uint64_t run_devices(struct vcpu *v, uint64_t now)
{
	const struct vm_timer *t = &v->vm->timer;
	uint64_t next;

	if (!t->next_event)
		return UINT64_MAX;
	vm_dev_lock(v);
	next = t->next_event(t->ctx, v->index);
	if (t->advance && next <= now) {
		t->advance(t->ctx, now, v->index);
		next = t->next_event(t->ctx, v->index);
	}
	vm_dev_unlock(v);
	return next;
}

/* Inject the highest vector, the controller's or the plain pending set's, if the guest can take one. */
static void inject_pending(struct vcpu *v)
{
	int plain, ctl, vector;
	bool nmi = v->intc.nmi && v->intc.nmi(v->intc.ctx, false);

	if (nmi)
		inject_nmi(v);
	plain = vcpu_irq_highest(v);
	ctl = intc_pending(v);
	if (v->hw.vintr && ctl >= 0 && ctl < VCPU_INTC_EXTINT)
		ctl = -1; /* the APIC's fixed vector: the CPU delivers it from RVI (vmx/apicv.c) */
	if (plain < 0 && ctl < 0) {
		if (nmi) /* look again after the next exit: the NMI may still wait */
			return;
		__atomic_fetch_and(&v->work, ~(uint32_t)VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
		if (vcpu_irq_any(v))
			__atomic_fetch_or(&v->work, VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
		return;
	}
	if (!can_inject()) {
		set_window_exiting(true);
		return;
	}
	if (ctl > plain) {
		vector = v->intc.ack(v->intc.ctx, ctl);
	} else {
		vector = plain;
		vcpu_irq_ack(v, (uint8_t)plain);
		if (plain == VEC_DOORBELL)
			v->vm->doorbells_received++;
	}
	vmcs_write32(ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (uint32_t)vector);
	set_window_exiting(false);
	if (v->intc.pending || nmi) /* look again after the next exit: more may be pending */
		__atomic_fetch_or(&v->work, VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
}

/* Before an entry with work pending: re-arm the timer, inject what the guest can take. */
void vmx_deliver_pending(struct vcpu *v)
{
	if (unlikely(v->work & (VCPU_WORK_INIT | VCPU_WORK_FLUSH))) {
		if (v->work & VCPU_WORK_FLUSH)
			vmx_flush_take(v);
		if (v->work & VCPU_WORK_INIT)
			vmx_take_mp_signals(v);
		if (v->mp != VCPU_MP_RUN)
			return; /* INIT: the vCPU leaves its guest and waits for a SIPI */
	}
	if (v->work & VCPU_WORK_TIMER) {
		uint64_t now = rdtsc();
		__atomic_fetch_and(&v->work, ~(uint32_t)VCPU_WORK_TIMER, __ATOMIC_SEQ_CST);
		/*
		 * A device already due runs now: a guest that polls a device exits before a
		 * one-tick preemption timer could, and would otherwise never let it expire.
		 */
		arm_timer(v, now, run_devices(v, now));
	}
	if (v->work & VCPU_WORK_IRQ) {
		vm_dev_lock(v);
		inject_pending(v);
		apicv_update(v);
		vm_dev_unlock(v);
	}
}

void handle_interrupt_window(struct vcpu *v)
{
	set_window_exiting(false); /* vmx_deliver_pending turns it back on if still blocked */
}

void handle_nmi_window(struct vcpu *v)
{
	set_exiting(PROC_NMI_WINDOW_EXITING, false);
	__atomic_fetch_or(&v->work, VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
}

/*
 * An event injected at an entry the timer ended at once is not delivered yet
 * (SDM "Information for VM Exits That Occur During Event Delivery"): it goes in
 * again, or it would be lost (an interrupt the APIC already put in service would
 * then block its priority class for good).
 */
void vmx_redeliver(void)
{
	uint32_t idt = vmcs_read32(IDT_VECTORING_INFO);

	if (!(idt & INTR_INFO_VALID))
		return;
	vmcs_write32(ENTRY_INTR_INFO,
		     idt & ~(uint32_t)BIT(12)); /* bit 12: NMI unblocking, not an entry bit */
	if (idt & INTR_INFO_DELIVER_EC)
		vmcs_write32(ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	vmcs_write32(ENTRY_INSTR_LEN, vmcs_read32(EXIT_INSTR_LEN));
}

/* The periodic tick (watchdog, end of the run) and the devices' due events. */
void handle_preemption_timer(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t now = rdtsc(), next;

	vmx_redeliver();
	next = run_devices(v, now);
	if (now >= v->hw.tick_due) {
		v->hw.tick_due = now + ((uint64_t)v->hw.timer_reload << v->hw.timer_rate);
		vm_dev_lock(v);
		conin_poll(vm);
		vm_dev_unlock(v);
		if (vm_watchdog_expired(vm, now))
			return;
		ckpt_tick(v, now); /* a periodic checkpoint, when one is due */
		if (vms_ending && (vm->cfg->flags & VM_FLAG_BACKGROUND)) {
			vm_stop(vm, 0, "run ended");
			return;
		}
	}
	arm_timer(v, now, next);
	if (v->work)
		vmx_deliver_pending(v);
}

/*
 * Something could wake the halted vCPU: a pending vector, a device timer, another VM, a
 * key on the console it has the input of.
 */
static bool can_wake(struct vcpu *v)
{
	const struct vm_timer *t = &v->vm->timer;
	bool timer = false;

	if (v->work || vm_count() > 1 || v->vm->nr_vcpus > 1 || conin_mine(v->vm))
		return true;
	if (t->next_event) {
		vm_dev_lock(v);
		timer = t->next_event(t->ctx, v->index) != UINT64_MAX;
		vm_dev_unlock(v);
	}
	return timer;
}

/*
 * An event that ends this HLT: an NMI, or with interrupts on (@intr) a vector the guest
 * could take now (its controller's priorities allowing).
 */
static bool deliverable_locked(struct vcpu *v, bool intr)
{
	bool nmi = v->intc.nmi && v->intc.nmi(v->intc.ctx, false);

	if (nmi || (intr && (vcpu_irq_any(v) || intc_pending(v) >= 0)))
		return true;
	__atomic_fetch_and(&v->work, ~(uint32_t)VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
	return (intr && (vcpu_irq_any(v) || intc_pending(v) >= 0)) ||
	       (v->intc.nmi && v->intc.nmi(v->intc.ctx, false));
}

static bool deliverable(struct vcpu *v, bool intr)
{
	bool r;

	vm_dev_lock(v);
	r = deliverable_locked(v, intr);
	vm_dev_unlock(v);
	return r;
}

/*
 * HLT: the CPU is this vCPU's alone, so it idles in root until an interrupt it
 * can take, the watchdog or the end of the run, running its device time
 * meanwhile. A boot vCPU that halts with interrupts off, or with nothing that
 * could ever wake it, has ended its guest; an AP halted with interrupts off waits
 * for an NMI or INIT (SDM "HLT"), or for its VM to stop.
 */
void handle_hlt(struct vcpu *v)
{
	struct vm *vm = v->vm;
	bool intr = vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF;

	vcpu_advance_rip();
	if (!v->index && (!intr || !can_wake(v))) {
		pr_info("vm \"%s\": halted at RIP 0x%lx with nothing to wake it\n", vm->cfg->name,
			vmcs_readnat(GUEST_RIP));
		vm_stop(vm, 0, "halted");
		return;
	}
	__atomic_store_n(&v->idle, true, __ATOMIC_SEQ_CST);
	for (;;) {
		uint64_t now;
		uint32_t work = __atomic_load_n(&v->work, __ATOMIC_SEQ_CST);
		if ((work & VCPU_WORK_IRQ) && deliverable(v, intr))
			break;
		if ((work & VCPU_WORK_INIT) || vm->state != VM_RUNNING)
			break;
		if (work & VCPU_WORK_FLUSH)
			vmx_flush_take(v);
		now = rdtsc();
		vm_dev_lock(v);
		conin_poll(vm); /* a shell waiting for a key idles here */
		vm_dev_unlock(v);
		run_devices(v, now);
		if (vm_watchdog_expired(vm, now))
			break;
		if (vms_ending) {
			vm_stop(vm, 0, "run ended");
			break;
		}
		cpu_relax();
	}
	__atomic_store_n(&v->idle, false, __ATOMIC_SEQ_CST); /* pairs with vcpu_irq_raise */
	if (vm->timer.next_event) /* device time moved on: re-arm for its next event */
		__atomic_fetch_or(&v->work, VCPU_WORK_TIMER, __ATOMIC_RELAXED);
}
