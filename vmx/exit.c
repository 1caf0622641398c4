/*
 * VM-exit handlers, one per basic exit reason, dispatched from a table.
 * Guest misbehaviour stops that VM (vm_stop) and never the hypervisor;
 * anything not in the table stops the VM with the reason's name.
 */
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "arch/x86/smp.h"
#include "lib/string.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

typedef void (*exit_handler_fn)(struct vcpu *v);

static const char *const reason_names[NR_EXIT_REASONS] = {
    [EXIT_EXCEPTION_NMI] = "exception-nmi",
    [EXIT_EXTERNAL_INTR] = "external-interrupt",
    [EXIT_TRIPLE_FAULT] = "triple-fault",
    [EXIT_INIT] = "init",
    [EXIT_SIPI] = "sipi",
    [EXIT_INTR_WINDOW] = "interrupt-window",
    [EXIT_CPUID] = "cpuid",
    [EXIT_HLT] = "hlt",
    [EXIT_GETSEC] = "getsec",
    [EXIT_INVD] = "invd",
    [EXIT_INVLPG] = "invlpg",
    [EXIT_RDTSC] = "rdtsc",
    [EXIT_VMCALL] = "vmcall",
    [EXIT_VMCLEAR] = "vmclear",
    [EXIT_VMLAUNCH] = "vmlaunch",
    [EXIT_VMPTRLD] = "vmptrld",
    [EXIT_VMPTRST] = "vmptrst",
    [EXIT_VMREAD] = "vmread",
    [EXIT_VMRESUME] = "vmresume",
    [EXIT_VMWRITE] = "vmwrite",
    [EXIT_VMXOFF] = "vmxoff",
    [EXIT_VMXON] = "vmxon",
    [EXIT_CR_ACCESS] = "cr-access",
    [EXIT_IO] = "io",
    [EXIT_RDMSR] = "rdmsr",
    [EXIT_WRMSR] = "wrmsr",
    [EXIT_BAD_GUEST_STATE] = "entry-fail-guest-state",
    [EXIT_BAD_MSR_LOAD] = "entry-fail-msr-load",
    [EXIT_EPT_VIOLATION] = "ept-violation",
    [EXIT_EPT_MISCONFIG] = "ept-misconfig",
    [EXIT_INVEPT] = "invept",
    [EXIT_PREEMPT_TIMER] = "preemption-timer",
    [EXIT_INVVPID] = "invvpid",
    [EXIT_XSETBV] = "xsetbv",
    [EXIT_INVPCID] = "invpcid",
    [EXIT_VMFUNC] = "vmfunc",
};

const char *exit_reason_name(uint32_t reason)
{
	return reason < NR_EXIT_REASONS && reason_names[reason] ? reason_names[reason] : "unknown";
}

/* What the guest reads from CR0/CR4: host-owned bits come from the read shadow. */
static uint64_t guest_visible(uint32_t real, uint32_t mask, uint32_t shadow)
{
	uint64_t m = __vmcs_read(mask);

	return (__vmcs_read(real) & ~m) | (__vmcs_read(shadow) & m);
}

static void handle_triple_fault(struct vcpu *v)
{
	pr_err("vm \"%s\": triple fault at RIP 0x%lx (CR0 0x%lx CR3 0x%lx CR4 0x%lx)\n",
	       v->vm->cfg->name, vmcs_readnat(GUEST_RIP),
	       guest_visible(GUEST_CR0, CR0_GUEST_HOST_MASK, CR0_READ_SHADOW),
	       vmcs_readnat(GUEST_CR3),
	       guest_visible(GUEST_CR4, CR4_GUEST_HOST_MASK, CR4_READ_SHADOW));
	vm_fault(v->vm, -1, "triple fault");
}

/*
 * The exception bitmap is 0, so this exit means an NMI arrived while the guest
 * ran (NMI exiting): on real machines a watchdog or a platform event. It is
 * the host's, not the guest's: nothing to do. Anything else would be a bug.
 */
#define INTR_INFO_TYPE(i) (((i) >> 8) & 7)
#define INTR_TYPE_NMI	  2

static void handle_exception_nmi(struct vcpu *v)
{
	uint32_t info = vmcs_read32(EXIT_INTR_INFO);

	if (INTR_INFO_TYPE(info) == INTR_TYPE_NMI)
		return;
	pr_err("vm \"%s\": unexpected exception exit, interruption info 0x%x at RIP 0x%lx\n",
	       v->vm->cfg->name, info, vmcs_readnat(GUEST_RIP));
	vm_fault(v->vm, -1, "unexpected exception");
}

#define SPURIOUS_VECTOR 0xff

static void handle_external_interrupt(struct vcpu *v)
{
	unsigned vector = vmcs_read32(EXIT_INTR_INFO) & 0xff;

	/* Acknowledged on exit; the local APIC still wants its EOI (the kick IPI included). */
	if (vector != SPURIOUS_VECTOR)
		smp_eoi();
}

static void handle_vmx_instruction(struct vcpu *v)
{
	/* Nested VMX is not offered: the guest sees #UD, as on a CPU without VMX. */
	vcpu_inject_exception(6, false, 0);
}

/* INVD would drop dirty cache lines the hypervisor and other VMs own: do WBINVD's part, nothing. */
static void handle_invd(struct vcpu *v)
{
	vcpu_advance_rip();
}

static void handle_invalid_guest_state(struct vcpu *v)
{
	pr_err("vm \"%s\": VM entry failed: invalid guest state (exit reason 33)\n",
	       v->vm->cfg->name);
	vmx_audit_entry_failure(v, false);
	vm_stop(v->vm, -1, "VM entry failed");
}

static void handle_ept_misconfig(struct vcpu *v)
{
	gpa_t a = gpa(vmcs_read64(GUEST_PHYSICAL_ADDRESS));

	vmx_mmio_emulate(v, a);
}

static const exit_handler_fn exit_handlers[NR_EXIT_REASONS] = {
    [EXIT_EXCEPTION_NMI] = handle_exception_nmi,
    [EXIT_EXTERNAL_INTR] = handle_external_interrupt,
    [EXIT_TRIPLE_FAULT] = handle_triple_fault,
    [EXIT_CPUID] = handle_cpuid,
    [EXIT_HLT] = handle_hlt,
    [EXIT_INTR_WINDOW] = handle_interrupt_window,
    [EXIT_PREEMPT_TIMER] = handle_preemption_timer,
    [EXIT_VMCALL] = handle_vmcall,
    [EXIT_GETSEC] = handle_vmx_instruction, /* no SMX for guests: #UD */
    [EXIT_INVD] = handle_invd,
    [EXIT_VMCLEAR] = handle_vmx_instruction,
    [EXIT_VMLAUNCH] = handle_vmx_instruction,
    [EXIT_VMPTRLD] = handle_vmx_instruction,
    [EXIT_VMPTRST] = handle_vmx_instruction,
    [EXIT_VMREAD] = handle_vmx_instruction,
    [EXIT_VMRESUME] = handle_vmx_instruction,
    [EXIT_VMWRITE] = handle_vmx_instruction,
    [EXIT_VMXOFF] = handle_vmx_instruction,
    [EXIT_VMXON] = handle_vmx_instruction,
    [EXIT_INVEPT] = handle_vmx_instruction,
    [EXIT_INVVPID] = handle_vmx_instruction,
    [EXIT_VMFUNC] = handle_vmx_instruction,
    [EXIT_CR_ACCESS] = handle_cr_access,
    [EXIT_IO] = handle_io,
    [EXIT_RDMSR] = handle_rdmsr,
    [EXIT_WRMSR] = handle_wrmsr,
    [EXIT_XSETBV] = handle_xsetbv,
    [EXIT_BAD_GUEST_STATE] = handle_invalid_guest_state,
    [EXIT_EPT_VIOLATION] = handle_ept_violation,
    [EXIT_EPT_MISCONFIG] = handle_ept_misconfig,
};

static __attribute__((noinline)) void handle_unknown(struct vcpu *v, uint32_t reason)
{
	pr_err("vm \"%s\": unhandled VM exit %u (%s) at RIP 0x%lx, qualification 0x%lx\n",
	       v->vm->cfg->name, reason, exit_reason_name(reason), vmcs_readnat(GUEST_RIP),
	       vmcs_readnat(EXIT_QUALIFICATION));
	vm_fault(v->vm, -1, "unhandled exit");
}

/*
 * Called from vmx/entry.S after every VM exit (regs is the vCPU's register
 * file); nonzero means resume the guest at once.
 */
int vmx_exit_dispatch(uint64_t *regs, uint32_t reason)
{
	struct vcpu *v = container_of(regs, struct vcpu, regs[0]);
	struct vm *vm = v->vm;
	exit_handler_fn fn;

	reason &= EXIT_REASON_BASIC;
	v->hw.launched = true;
	fn = likely(reason < NR_EXIT_REASONS) ? exit_handlers[reason] : NULL;
	if (likely(fn)) {
		vm->exits[reason]++;
		fn(v);
	} else {
		handle_unknown(v, reason);
	}
	if (unlikely(vm->state != VM_RUNNING))
		return 0;
	if (unlikely(vm->cfg->watchdog) && vm_watchdog_expired(vm, rdtsc()))
		return 0;
	if (unlikely(v->work))
		vmx_deliver_pending(v);
	return 1;
}
