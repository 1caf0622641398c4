/* Exit reasons (SDM appendix "VMX Basic Exit Reasons") and the handlers in vmx/exit*.c. */
#ifndef VMX_EXIT_H
#define VMX_EXIT_H

#include "vmx/vcpu.h"

enum exit_reason {
	EXIT_EXCEPTION_NMI = 0,
	EXIT_EXTERNAL_INTR = 1,
	EXIT_TRIPLE_FAULT = 2,
	EXIT_INIT = 3,
	EXIT_SIPI = 4,
	EXIT_IO_SMI = 5,
	EXIT_OTHER_SMI = 6,
	EXIT_INTR_WINDOW = 7,
	EXIT_NMI_WINDOW = 8,
	EXIT_TASK_SWITCH = 9,
	EXIT_CPUID = 10,
	EXIT_GETSEC = 11,
	EXIT_HLT = 12,
	EXIT_INVD = 13,
	EXIT_INVLPG = 14,
	EXIT_RDPMC = 15,
	EXIT_RDTSC = 16,
	EXIT_RSM = 17,
	EXIT_VMCALL = 18,
	EXIT_VMCLEAR = 19,
	EXIT_VMLAUNCH = 20,
	EXIT_VMPTRLD = 21,
	EXIT_VMPTRST = 22,
	EXIT_VMREAD = 23,
	EXIT_VMRESUME = 24,
	EXIT_VMWRITE = 25,
	EXIT_VMXOFF = 26,
	EXIT_VMXON = 27,
	EXIT_CR_ACCESS = 28,
	EXIT_MOV_DR = 29,
	EXIT_IO = 30,
	EXIT_RDMSR = 31,
	EXIT_WRMSR = 32,
	EXIT_BAD_GUEST_STATE = 33,
	EXIT_BAD_MSR_LOAD = 34,
	EXIT_MWAIT = 36,
	EXIT_MTF = 37,
	EXIT_MONITOR = 39,
	EXIT_PAUSE = 40,
	EXIT_BAD_MCE = 41,
	EXIT_TPR_BELOW_THRESHOLD = 43,
	EXIT_APIC_ACCESS = 44,
	EXIT_VIRTUALIZED_EOI = 45,
	EXIT_GDTR_IDTR = 46,
	EXIT_LDTR_TR = 47,
	EXIT_EPT_VIOLATION = 48,
	EXIT_EPT_MISCONFIG = 49,
	EXIT_INVEPT = 50,
	EXIT_RDTSCP = 51,
	EXIT_PREEMPT_TIMER = 52,
	EXIT_INVVPID = 53,
	EXIT_WBINVD = 54,
	EXIT_XSETBV = 55,
	EXIT_APIC_WRITE = 56,
	EXIT_RDRAND = 57,
	EXIT_INVPCID = 58,
	EXIT_VMFUNC = 59,
	EXIT_ENCLS = 60,
	EXIT_RDSEED = 61,
	EXIT_PML_FULL = 62,
	EXIT_XSAVES = 63,
	EXIT_XRSTORS = 64,
	EXIT_PCONFIG = 65,
	EXIT_SPP = 66,
	EXIT_UMWAIT = 67,
	EXIT_TPAUSE = 68,
	EXIT_LOADIWKEY = 69,
};
#define NR_EXIT_REASONS VM_NR_EXIT_COUNTERS
static_assert(EXIT_LOADIWKEY < NR_EXIT_REASONS, "exit table size");

#define EXIT_REASON_BASIC GENMASK(15, 0)

/*
 * What vmx_exit_dispatch tells vmx/entry.S: stop (vmx_enter returns 0), or resume. C code
 * keeps RBX RBP R12-R15 (callee-saved), so they still hold the guest's values unless the
 * handler wrote regs[]: EXIT_RESUME reloads only the registers C may clobber plus RBX
 * (CPUID's), EXIT_RESUME_ALL every GPR. Values known to entry.S.
 */
#define EXIT_STOP	0
#define EXIT_RESUME	1
#define EXIT_RESUME_ALL 2

/*
 * VMREAD/VMWRITE on the exit path, unchecked: the current VMCS is the running vCPU's
 * and the fields used with these (exit information, guest state, the basic controls)
 * exist on every VMX CPU, so the instruction cannot fail (SDM "VMREAD": it fails only
 * with no current VMCS or an unsupported field). Everything else uses vmcs_read*().
 */
static inline uint64_t __exit_vmread(uint32_t field)
{
	uint64_t v;

	__asm__ volatile("vmread %1, %0" : "=r"(v) : "r"((uint64_t)field) : "cc");
	return v;
}

static inline void __exit_vmwrite(uint32_t field, uint64_t v)
{
	__asm__ volatile("vmwrite %1, %0" : : "r"((uint64_t)field), "r"(v) : "cc");
}

#define exit_read32(f)	    ((uint32_t)__exit_vmread(VMCS_CHECKED(f, VMCS_W32)))
#define exit_read64(f)	    (__exit_vmread(VMCS_CHECKED(f, VMCS_W64)))
#define exit_readnat(f)	    (__exit_vmread(VMCS_CHECKED(f, VMCS_WNAT)))
#define exit_write32(f, v)  __exit_vmwrite(VMCS_CHECKED(f, VMCS_W32), (uint32_t)(v))
#define exit_writenat(f, v) __exit_vmwrite(VMCS_CHECKED(f, VMCS_WNAT), (uint64_t)(v))

/*
 * vcpu_advance_rip() with the unchecked accessors, for the hot exits. The length is read
 * straight into 64 bits: VMREAD of a field narrower than its destination clears the upper
 * bits (SDM "VMREAD"), so no extension is needed.
 */
static inline void exit_advance_rip(void)
{
	uint32_t shadow = exit_read32(GUEST_INTERRUPTIBILITY);

	exit_writenat(GUEST_RIP, exit_readnat(GUEST_RIP) +
				     __exit_vmread(VMCS_CHECKED(EXIT_INSTR_LEN, VMCS_W32)));
	if (unlikely(shadow & INTERRUPTIBILITY_BLOCKING))
		exit_write32(GUEST_INTERRUPTIBILITY, shadow & ~(uint32_t)INTERRUPTIBILITY_BLOCKING);
}

#include "abi/kestrel.h" /* hypercall numbers */

/*
 * What a vCPU must see to before it re-enters: nonzero when its VM left VM_RUNNING (a
 * handler or another vCPU stopped it) or work is pending for it (v->work). The one test
 * per exit.
 */
static inline uint32_t exit_pending(const struct vcpu *v)
{
	static_assert(VM_RUNNING == 0, "one test covers the VM's state and the vCPU's work");
	return (uint32_t)v->vm->state | v->work;
}

/*
 * The hot exits, called by vmx/entry.S straight after the reason test with the vCPU
 * (its register file, regs[] being its first member): each counts its exit, handles it
 * and returns exit_pending(). CPUID, VMCALL and I/O write no guest GPR but RAX RBX RCX
 * RDX (RBX: not I/O), which is all entry.S reloads for them besides the registers C may
 * clobber; after the EPT exits (MMIO emulation) it reloads every GPR.
 * A hypercall (the switch in vmx/exit_insn.c) answers in those registers only.
 */
static_assert(offsetof(struct vcpu, regs) == 0, "entry.S passes the register file as the vCPU");
uint32_t vmx_exit_cpuid(struct vcpu *v);
uint32_t vmx_exit_vmcall(struct vcpu *v);
uint32_t vmx_exit_io(struct vcpu *v);
uint32_t vmx_exit_ept_misconfig(struct vcpu *v);
uint32_t vmx_exit_ept_violation(struct vcpu *v);
/* entry.S: a hot exit returned pending work (EXIT_STOP or EXIT_RESUME_ALL); a VMRESUME
 * after an exit failed (vmx_enter then returns 1). */
int vmx_exit_pending(uint64_t *regs);
void vmx_exit_resume_failed(uint64_t *regs);
void handle_cr_access(struct vcpu *v);
void handle_rdmsr(struct vcpu *v);
void handle_wrmsr(struct vcpu *v);
void handle_xsetbv(struct vcpu *v);
void handle_monitor_mwait(struct vcpu *v);
void handle_rdpmc(struct vcpu *v);
void handle_ept_violation(struct vcpu *v);
void handle_hlt(struct vcpu *v);
void handle_interrupt_window(struct vcpu *v);
void handle_nmi_window(struct vcpu *v);
/* vmx/msr.c: the virtual CPU's own MSRs (RDMSR: true when answered; WRMSR: 1 done, 0 not
 * ours, -1 #GP). */
bool vcpu_msr_read(const struct vcpu *v, uint32_t msr, uint64_t *val);
int vcpu_msr_write(const struct vcpu *v, uint32_t msr, uint64_t val);
/* Put back an event whose delivery the exit interrupted (IDT-vectoring information). */
void vmx_redeliver(void);
void handle_preemption_timer(struct vcpu *v);
/* vmx/apicv.c: APIC virtualization (TPR shadow, x2APIC register reads) */
void apicv_setup(struct vcpu *v, uint32_t *proc);
void apicv_write_fields(struct vcpu *v);
void apicv_sync_mode(struct vcpu *v);
void apicv_update(struct vcpu *v);
void handle_tpr_below_threshold(struct vcpu *v);
void handle_apic_access(struct vcpu *v);
void handle_apic_write(struct vcpu *v);
void handle_virtualized_eoi(struct vcpu *v);

#endif
