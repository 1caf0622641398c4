/*
 * What this CPU's VMX can do, read once from CPUID and the VMX capability
 * MSRs (SDM appendix "VMX Capability Reporting Facility"). Later stages
 * (EPT, VMCS setup) read the struct; nothing writes it after vmx_caps_probe.
 */
#ifndef VMX_CAPS_H
#define VMX_CAPS_H

#include "lib/types.h"

#define MSR_IA32_VMX_BASIC	     0x480
#define MSR_IA32_VMX_PINBASED_CTLS   0x481
#define MSR_IA32_VMX_PROCBASED_CTLS  0x482
#define MSR_IA32_VMX_EXIT_CTLS	     0x483
#define MSR_IA32_VMX_ENTRY_CTLS	     0x484
#define MSR_IA32_VMX_MISC	     0x485
#define MSR_IA32_VMX_CR0_FIXED0	     0x486
#define MSR_IA32_VMX_CR0_FIXED1	     0x487
#define MSR_IA32_VMX_CR4_FIXED0	     0x488
#define MSR_IA32_VMX_CR4_FIXED1	     0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP    0x48c
#define MSR_IA32_VMX_TRUE_PINBASED   0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED  0x48e
#define MSR_IA32_VMX_TRUE_EXIT	     0x48f
#define MSR_IA32_VMX_TRUE_ENTRY	     0x490

#define FEATURE_CONTROL_LOCK	  BIT(0)
#define FEATURE_CONTROL_VMX_NOSMX BIT(2)

#define VMX_BASIC_TRUE_CTLS	BIT(55)
#define PROC_ACTIVATE_SECONDARY BIT(31)
#define PROC2_EPT		BIT(1)
#define PROC2_VPID		BIT(5)
#define PROC2_UNRESTRICTED	BIT(7)
#define PIN_PREEMPTION_TIMER	BIT(6)
#define PIN_POSTED_INTR		BIT(7)
#define PROC_TPR_SHADOW		BIT(21)
#define PROC2_APIC_ACCESS	BIT(0)
#define PROC2_X2APIC_VIRT	BIT(4)
#define PROC2_APIC_REGS		BIT(8)
#define PROC2_VINTR		BIT(9)
#define EPT_CAP_WALK4		BIT(6)
#define EPT_CAP_WB		BIT(14)
#define EPT_CAP_2M		BIT(16)
#define EPT_CAP_1G		BIT(17)
#define EPT_CAP_INVEPT		BIT(20)
#define EPT_CAP_AD		BIT(21)
#define EPT_CAP_INVEPT_SINGLE	BIT(25)
#define EPT_CAP_INVEPT_ALL	BIT(26)
#define VPID_CAP_INVVPID	BIT(32)
#define VPID_CAP_SINGLE		BIT(41)
#define VPID_CAP_ALL		BIT(42)

struct vmx_caps {
	bool vmx;
	bool true_msrs;
	uint64_t basic;
	uint64_t pin, proc, proc2, exit, entry; /* allowed-0 in 31:0, allowed-1 in 63:32 */
	uint64_t ept_vpid;
	bool ept, ept_walk4, ept_wb, ept_2m, ept_1g, ept_ad, invept, vpid, invvpid;
	bool unrestricted, preemption_timer;
	/* APIC virtualization (SDM "APIC Virtualization and Virtual Interrupts"), each optional */
	bool tpr_shadow, apic_access, apic_regs, vintr, x2apic_virt, posted_intr;
};

extern struct vmx_caps vmx_caps;

/* The five control fields a VMCS holds (SDM "VM-Execution Control Fields" ...). */
enum vmx_ctl_kind { CTL_PIN, CTL_PROC, CTL_PROC2, CTL_EXIT, CTL_ENTRY, NR_CTL_KINDS };

/*
 * The value of control field @kind for @want: the CPU's allowed-0 bits forced on, and
 * each wanted bit the CPU lacks dropped only when kestrel has a documented fallback for
 * it (the table in vmx/caps.c). 0, or -ENOTSUP after one line naming the missing control.
 */
int vmx_ctls_pick(enum vmx_ctl_kind kind, uint32_t want, uint32_t *out);
/* Test hook (inject=missing-control): the CPU reports @bit of @kind as not allowed-1. */
void vmx_caps_hide_control(enum vmx_ctl_kind kind, uint32_t bit);
/* vmx/ctls.c: the first required control the CPU lacks, named in @why (-ENOTSUP), else 0. */
int vmx_ctls_check(char *why, size_t len);
/* One line per wanted control the CPU lacks and kestrel does without, and how. */
void vmx_ctls_print_fallbacks(void);

/*
 * Probe VMX and enable it in IA32_FEATURE_CONTROL if firmware left it
 * unlocked. Returns 0 when everything the hypervisor needs is there (every
 * control without a fallback, a preemption timer no erratum lists), else
 * -ENOTSUP with one line in @why naming what is missing.
 */
int vmx_caps_probe(char *why, size_t len);
void vmx_caps_print(void);

#endif
