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

static bool can_inject(void)
{
	return (vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY) & INTERRUPTIBILITY_BLOCKING) &&
	       !(vmcs_read32(ENTRY_INTR_INFO) & INTR_INFO_VALID);
}

static void set_window_exiting(bool on)
{
	uint32_t proc = vmcs_read32(PROC_BASED_CTLS);
	uint32_t want = on ? proc | PROC_INTR_WINDOW_EXITING : proc & ~PROC_INTR_WINDOW_EXITING;

	if (want != proc)
		vmcs_write32(PROC_BASED_CTLS, want);
}

/* Before an entry with work pending: the highest vector goes in as soon as the guest takes one. */
void vmx_deliver_pending(struct vcpu *v)
{
	int vector = vcpu_irq_highest(v);

	if (vector < 0)
		return;
	if (!can_inject()) {
		set_window_exiting(true);
		return;
	}
	vcpu_irq_ack(v, (uint8_t)vector);
	vmcs_write32(ENTRY_INTR_INFO, INTR_INFO_VALID | INTR_TYPE_EXT_INTR | (uint32_t)vector);
	set_window_exiting(false);
	if (vector == VEC_DOORBELL)
		v->vm->doorbells_received++;
}

void handle_interrupt_window(struct vcpu *v)
{
	set_window_exiting(false); /* vmx_deliver_pending turns it back on if still blocked */
}

void handle_preemption_timer(struct vcpu *v)
{
	struct vm *vm = v->vm;

	/* A periodic tick: watchdog, shutdown of background VMs. */
	vmcs_write32(GUEST_PREEMPTION_TIMER, v->hw.timer_reload);
	if (vm_watchdog_expired(vm, rdtsc()))
		return;
	if (vms_ending && (vm->cfg->flags & VM_FLAG_BACKGROUND))
		vm_stop(vm, 0, "run ended");
}

/*
 * HLT: the CPU is this vCPU's alone, so it idles in root until an interrupt,
 * the watchdog or the end of the run. A guest that halts with interrupts off,
 * or with no other VM that could ring it, has ended.
 */
void handle_hlt(struct vcpu *v)
{
	struct vm *vm = v->vm;

	vcpu_advance_rip();
	if (!(vmcs_readnat(GUEST_RFLAGS) & RFLAGS_IF) || (vm_count() < 2 && !v->work)) {
		pr_info("vm \"%s\": halted at RIP 0x%lx with nothing to wake it\n", vm->cfg->name,
			vmcs_readnat(GUEST_RIP));
		vm_stop(vm, 0, "halted");
		return;
	}
	__atomic_store_n(&v->idle, true, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&v->work, __ATOMIC_SEQ_CST)) {
		if (vm_watchdog_expired(vm, rdtsc()))
			break;
		if (vms_ending) {
			vm_stop(vm, 0, "run ended");
			break;
		}
		cpu_relax();
	}
	__atomic_store_n(&v->idle, false, __ATOMIC_SEQ_CST); /* pairs with vcpu_irq_raise */
}
