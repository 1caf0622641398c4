/*
 * VM-exit handlers, one per basic exit reason, dispatched from a table.
 * Guest misbehaviour stops that VM (vm_stop) and never the hypervisor;
 * anything not in the table stops the VM with the reason's name.
 */
#include "arch/x86/cpu.h"
#include "arch/x86/nmi.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "arch/x86/smp.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "vmx/exit.h"
#include "vmx/pml.h"
#include "vmx/vmcs.h"

typedef void (*exit_handler_fn)(struct vcpu *v);

/* Every basic exit reason of the SDM's table ("VMX Basic Exit Reasons"), 0..69. */
static const char *const reason_names[NR_EXIT_REASONS] = {
    [EXIT_EXCEPTION_NMI] = "exception-nmi",
    [EXIT_EXTERNAL_INTR] = "external-interrupt",
    [EXIT_TRIPLE_FAULT] = "triple-fault",
    [EXIT_INIT] = "init",
    [EXIT_SIPI] = "sipi",
    [EXIT_IO_SMI] = "io-smi",
    [EXIT_OTHER_SMI] = "other-smi",
    [EXIT_INTR_WINDOW] = "interrupt-window",
    [EXIT_NMI_WINDOW] = "nmi-window",
    [EXIT_TASK_SWITCH] = "task-switch",
    [EXIT_CPUID] = "cpuid",
    [EXIT_GETSEC] = "getsec",
    [EXIT_HLT] = "hlt",
    [EXIT_INVD] = "invd",
    [EXIT_INVLPG] = "invlpg",
    [EXIT_RDPMC] = "rdpmc",
    [EXIT_RDTSC] = "rdtsc",
    [EXIT_RSM] = "rsm",
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
    [EXIT_MOV_DR] = "mov-dr",
    [EXIT_IO] = "io",
    [EXIT_RDMSR] = "rdmsr",
    [EXIT_WRMSR] = "wrmsr",
    [EXIT_BAD_GUEST_STATE] = "entry-fail-guest-state",
    [EXIT_BAD_MSR_LOAD] = "entry-fail-msr-load",
    [35] = "reserved-35",
    [EXIT_MWAIT] = "mwait",
    [EXIT_MTF] = "monitor-trap-flag",
    [38] = "reserved-38",
    [EXIT_MONITOR] = "monitor",
    [EXIT_PAUSE] = "pause",
    [EXIT_BAD_MCE] = "entry-fail-machine-check",
    [42] = "reserved-42",
    [EXIT_TPR_BELOW_THRESHOLD] = "tpr-below-threshold",
    [EXIT_APIC_ACCESS] = "apic-access",
    [EXIT_VIRTUALIZED_EOI] = "virtualized-eoi",
    [EXIT_GDTR_IDTR] = "gdtr-idtr-access",
    [EXIT_LDTR_TR] = "ldtr-tr-access",
    [EXIT_EPT_VIOLATION] = "ept-violation",
    [EXIT_EPT_MISCONFIG] = "ept-misconfig",
    [EXIT_INVEPT] = "invept",
    [EXIT_RDTSCP] = "rdtscp",
    [EXIT_PREEMPT_TIMER] = "preemption-timer",
    [EXIT_INVVPID] = "invvpid",
    [EXIT_WBINVD] = "wbinvd",
    [EXIT_XSETBV] = "xsetbv",
    [EXIT_APIC_WRITE] = "apic-write",
    [EXIT_RDRAND] = "rdrand",
    [EXIT_INVPCID] = "invpcid",
    [EXIT_VMFUNC] = "vmfunc",
    [EXIT_ENCLS] = "encls",
    [EXIT_RDSEED] = "rdseed",
    [EXIT_PML_FULL] = "pml-full",
    [EXIT_XSAVES] = "xsaves",
    [EXIT_XRSTORS] = "xrstors",
    [EXIT_PCONFIG] = "pconfig",
    [EXIT_SPP] = "spp-event",
    [EXIT_UMWAIT] = "umwait",
    [EXIT_TPAUSE] = "tpause",
    [EXIT_LOADIWKEY] = "loadiwkey",
};

const char *exit_reason_name(uint32_t reason)
{
	return reason < NR_EXIT_REASONS && reason_names[reason] ? reason_names[reason] : "unknown";
}

#define INTR_INFO_TYPE(i) (((i) >> 8) & 7)
#define INTR_TYPE_NMI	  2

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
    "#NP", "#SS", "#GP", "#PF", "15",  "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* "#PF (vector 14)", "external interrupt 0x40", ...: an interruption-information word. */
static const char *event_name(uint32_t info, char *buf, size_t len)
{
	unsigned vector = info & 0xff, type = INTR_INFO_TYPE(info);

	if (type == INTR_TYPE_HW_EXCEPTION >> 8 && vector < 32 && exc_names[vector])
		ksnprintf(buf, len, "%s (vector %u)", exc_names[vector], vector);
	else
		ksnprintf(buf, len, "%s 0x%x", type == 0 ? "external interrupt" : "event", vector);
	return buf;
}

/*
 * A triple fault is a fault while delivering #DF; #DF is intercepted (the
 * exception bitmap has only it), so the event whose delivery raised it is known.
 */
static void handle_triple_fault(struct vcpu *v)
{
	char cause[40];

	pr_err("vm \"%s\": triple fault at RIP 0x%lx (CR0 0x%lx CR3 0x%lx CR4 0x%lx)\n",
	       v->vm->cfg->name, vmcs_readnat(GUEST_RIP),
	       vmx_guest_cr(GUEST_CR0, CR0_GUEST_HOST_MASK, CR0_READ_SHADOW),
	       vmcs_readnat(GUEST_CR3),
	       vmx_guest_cr(GUEST_CR4, CR4_GUEST_HOST_MASK, CR4_READ_SHADOW));
	if (v->hw.df_cause & INTR_INFO_VALID)
		pr_err("vm \"%s\": exception chain: %s, then #DF (vector 8) while delivering it, "
		       "then a fault while delivering #DF\n",
		       v->vm->cfg->name, event_name(v->hw.df_cause, cause, sizeof(cause)));
	else if (v->hw.df_cause)
		pr_err("vm \"%s\": exception chain: #DF (vector 8), then a fault while delivering "
		       "it\n",
		       v->vm->cfg->name);
	else
		pr_err("vm \"%s\": exception chain: not reported (the fault happened with no #DF "
		       "first, e.g. while the IDT was unusable)\n",
		       v->vm->cfg->name);
	vm_fault(v->vm, -1, "triple fault");
}

/*
 * NMI exiting is on, so an NMI that arrives while the guest runs exits here:
 * on real machines a watchdog or a platform event. It is the host's, not the
 * guest's (an NMI meant for the guest is a virtual one, injected by vmx/intr.c,
 * and never exits): counted with those taken in root (arch/x86/nmi.h), the
 * guest resumes. With virtual NMIs on, the next VM entry leaves physical NMIs
 * unblocked (SDM "Blocking of Non-Maskable Interrupts" on VM entry), so no
 * IRET in root is needed. #DF is the one exception intercepted: note what was
 * being delivered when it arose (the IDT-vectoring information), then give the
 * guest its #DF as the CPU would have.
 */
#define VECTOR_DF 8

static void handle_exception_nmi(struct vcpu *v)
{
	uint32_t info = vmcs_read32(EXIT_INTR_INFO);

	if (INTR_INFO_TYPE(info) == INTR_TYPE_NMI) {
		nmi_note();
		vmx_redeliver();
		return;
	}
	if ((info & 0xff) == VECTOR_DF && INTR_INFO_TYPE(info) == INTR_TYPE_HW_EXCEPTION >> 8) {
		uint32_t idt = vmcs_read32(IDT_VECTORING_INFO);
		v->hw.df_cause = idt & INTR_INFO_VALID ? idt : 1;
		/* Real mode pushes no error code (and VM entry refuses one there). */
		vcpu_inject_exception(VECTOR_DF, vmcs_readnat(GUEST_CR0) & CR0_PE, 0);
		return;
	}
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
	vmx_redeliver(); /* a kick may land while the guest takes an interrupt */
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

/*
 * An INIT signal in VMX non-root operation causes a VM exit and does not reset
 * the CPU (SDM "INIT Signals", "Other Causes of VM Exits"); in root it stays
 * blocked until the next entry, which then exits here. Nothing legitimate
 * sends this CPU an INIT while a VM runs: a VM's own APs get theirs through
 * its virtual APIC, emulated in root. Ignored: the guest resumes as it was,
 * and the exit counter (init:N in the statistics) is the record of it.
 */
static void handle_init(struct vcpu *v) {}

/*
 * A SIPI exits only in the wait-for-SIPI activity state (SDM "Other Causes of
 * VM Exits"), which no vCPU of ours is ever given: one here is a stray, ignored
 * and counted (sipi:N) like INIT.
 */
static void handle_sipi(struct vcpu *v) {}

static void handle_invalid_guest_state(struct vcpu *v)
{
	pr_err("vm \"%s\": VM entry failed: invalid guest state (exit reason 33)\n",
	       v->vm->cfg->name);
	vmx_audit_entry_failure(v, false);
	vm_stop(v->vm, -1, "VM entry failed");
}

/* The EPT-violation exit, called by vmx/entry.S (the misconfiguration's is in vmx/mmio.c). */
uint32_t vmx_exit_ept_violation(struct vcpu *v)
{
	v->stats.exits[EXIT_EPT_VIOLATION]++;
	handle_ept_violation(v);
	return exit_pending(v);
}

/*
 * CPUID, VMCALL, I/O and the EPT exits are not here: vmx/entry.S calls their handlers
 * directly (vmx_exit_cpuid, vmx_exit_vmcall, vmx_exit_io in vmx/exit_insn.c,
 * vmx_exit_ept_misconfig in vmx/mmio.c, vmx_exit_ept_violation below).
 */
static const exit_handler_fn exit_handlers[NR_EXIT_REASONS] = {
    [EXIT_EXCEPTION_NMI] = handle_exception_nmi,
    [EXIT_EXTERNAL_INTR] = handle_external_interrupt,
    [EXIT_TRIPLE_FAULT] = handle_triple_fault,
    [EXIT_INIT] = handle_init,
    [EXIT_SIPI] = handle_sipi,
    [EXIT_HLT] = handle_hlt,
    [EXIT_INTR_WINDOW] = handle_interrupt_window,
    [EXIT_NMI_WINDOW] = handle_nmi_window,
    [EXIT_PREEMPT_TIMER] = handle_preemption_timer,
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
    [EXIT_RDMSR] = handle_rdmsr,
    [EXIT_WRMSR] = handle_wrmsr,
    [EXIT_XSETBV] = handle_xsetbv,
    [EXIT_MONITOR] = handle_monitor_mwait,
    [EXIT_RDPMC] = handle_rdpmc,
    [EXIT_MWAIT] = handle_monitor_mwait,
    [EXIT_BAD_GUEST_STATE] = handle_invalid_guest_state,
    [EXIT_TPR_BELOW_THRESHOLD] = handle_tpr_below_threshold,
    [EXIT_APIC_ACCESS] = handle_apic_access,
    [EXIT_VIRTUALIZED_EOI] = handle_virtualized_eoi,
    [EXIT_APIC_WRITE] = handle_apic_write,
    [EXIT_PML_FULL] = handle_pml_full,
};

/*
 * Exits whose handlers write no guest GPR but RAX RBX RCX RDX RSI RDI R8-R11: entry.S
 * reloads only those (EXIT_RESUME). Every other exit reloads all of them.
 */
static const bool exit_light_restore[NR_EXIT_REASONS] = {
    [EXIT_EXTERNAL_INTR] = true, [EXIT_HLT] = true,   [EXIT_INTR_WINDOW] = true,
    [EXIT_RDMSR] = true,	 [EXIT_WRMSR] = true, [EXIT_PREEMPT_TIMER] = true,
};

static int exit_slow(struct vcpu *v, uint32_t reason);

/*
 * Every reason without a handler: those our controls never enable (MOV DR,
 * PAUSE, ...), SMI exits (5, 6: SMM VM exits, delivered only to an SMM monitor
 * under the dual-monitor treatment, never to us), a task switch (unconditional:
 * not emulated), an entry failed on a machine check, reserved and newer numbers.
 * The VM stops or restarts by its policy, named with the reason; no other VM and
 * not the hypervisor is touched.
 */
static __attribute__((noinline)) int handle_unknown(struct vcpu *v, uint32_t reason)
{
	pr_err("vm \"%s\": unhandled VM exit %u (%s) at RIP 0x%lx, qualification 0x%lx\n",
	       v->vm->cfg->name, reason, exit_reason_name(reason), vmcs_readnat(GUEST_RIP),
	       vmcs_readnat(EXIT_QUALIFICATION));
	vm_fault(v->vm, -1, "unhandled exit");
	return exit_slow(v, reason);
}

/*
 * The VM left VM_RUNNING (a handler here or another vCPU stopped it), or work is pending
 * for this vCPU. Pending work may touch any of its state: every GPR is reloaded. Every
 * EXIT_STOP comes from here, so this is where the VMCS is noted launched (the next entry
 * of this vCPU is a VMRESUME); the exits that resume at once need not note it.
 */
static __attribute__((noinline)) int exit_slow(struct vcpu *v, uint32_t reason)
{
	v->hw.launched = true;
	if (v->vm->state == VM_RUNNING) {
		vmx_deliver_pending(v);
		if (likely(v->mp == VCPU_MP_RUN && v->vm->state == VM_RUNNING))
			return EXIT_RESUME_ALL;
		return EXIT_STOP; /* an INIT: back to the AP's loop (vmx/mp.c) */
	}
	/* A fault gets the guest's state printed, but not on a vCPU that only took the kick
	 * of another vCPU's fault (an external-interrupt exit). */
	if (v->vm->exit_status < 0 && reason != EXIT_EXTERNAL_INTR)
		vmx_dump_guest(v);
	return EXIT_STOP;
}

int vmx_exit_pending(uint64_t *regs)
{
	struct vcpu *v = container_of(regs, struct vcpu, regs[0]);

	return exit_slow(v, exit_read32(EXIT_REASON) & EXIT_REASON_BASIC);
}

void vmx_exit_resume_failed(uint64_t *regs)
{
	container_of(regs, struct vcpu, regs[0])->hw.launched = true;
}

/*
 * Called from vmx/entry.S after every VM exit but the hot ones (regs is the vCPU's
 * register file, reason the basic exit reason); returns EXIT_STOP or how to resume. The
 * watchdog is not looked at here: the preemption timer's tick and HLT do that
 * (vmx/intr.c).
 */
int vmx_exit_dispatch(uint64_t *regs, uint32_t reason)
{
	struct vcpu *v = container_of(regs, struct vcpu, regs[0]);
	exit_handler_fn fn = likely(reason < NR_EXIT_REASONS) ? exit_handlers[reason] : NULL;
	int resume;

	if (unlikely(!fn))
		return handle_unknown(v, reason);
	v->stats.exits[reason]++;
	resume = exit_light_restore[reason] ? EXIT_RESUME : EXIT_RESUME_ALL;
	fn(v);
	if (unlikely(exit_pending(v)))
		return exit_slow(v, reason);
	return resume;
}
