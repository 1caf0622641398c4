/*
 * CPU check: VMX present and allowed, then the capabilities the hypervisor
 * relies on (EPT 4-level WB with 2 MiB leaves, INVEPT, VPID with single- or
 * all-context INVVPID, unrestricted guest, a preemption timer no erratum lists,
 * every control vmx/ctls.c names without a fallback). 1 GiB EPT leaves and the
 * APIC-virtualization controls are used when present.
 */
#include "vmx/caps.h"
#include "vmx/vmx.h"
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "fw/cpu_errata.h"

struct vmx_caps vmx_caps;

#define CPUID1_ECX_VMX BIT(5)

static bool allowed1(uint64_t ctl_msr_value, uint64_t bit)
{
	return (ctl_msr_value >> 32) & bit;
}

static int feature_control(char *why, size_t len)
{
	bool locked_now;
	int ret = vmx_allowed(&locked_now);

	if (locked_now)
		pr_info("vmx: IA32_FEATURE_CONTROL was unlocked: locked with VMX enabled\n");
	if (ret == -EPERM) {
		ksnprintf(why, len,
			  "VMX disabled by firmware (IA32_FEATURE_CONTROL locked without VMX; "
			  "enable VT-x in the firmware setup)");
		return -ENOTSUP;
	}
	return ret;
}

static void read_msrs(struct vmx_caps *c)
{
	c->basic = rdmsr(MSR_IA32_VMX_BASIC);
	c->true_msrs = c->basic & VMX_BASIC_TRUE_CTLS;
	c->pin = rdmsr(c->true_msrs ? MSR_IA32_VMX_TRUE_PINBASED : MSR_IA32_VMX_PINBASED_CTLS);
	c->proc = rdmsr(c->true_msrs ? MSR_IA32_VMX_TRUE_PROCBASED : MSR_IA32_VMX_PROCBASED_CTLS);
	c->exit = rdmsr(c->true_msrs ? MSR_IA32_VMX_TRUE_EXIT : MSR_IA32_VMX_EXIT_CTLS);
	c->entry = rdmsr(c->true_msrs ? MSR_IA32_VMX_TRUE_ENTRY : MSR_IA32_VMX_ENTRY_CTLS);
	c->proc2 =
	    allowed1(c->proc, PROC_ACTIVATE_SECONDARY) ? rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2) : 0;
	c->ept = allowed1(c->proc2, PROC2_EPT);
	c->vpid = allowed1(c->proc2, PROC2_VPID);
	c->unrestricted = allowed1(c->proc2, PROC2_UNRESTRICTED);
	c->preemption_timer = allowed1(c->pin, PIN_PREEMPTION_TIMER);
	c->tpr_shadow = allowed1(c->proc, PROC_TPR_SHADOW);
	c->apic_access = allowed1(c->proc2, PROC2_APIC_ACCESS);
	c->x2apic_virt = allowed1(c->proc2, PROC2_X2APIC_VIRT);
	c->apic_regs = allowed1(c->proc2, PROC2_APIC_REGS);
	c->vintr = allowed1(c->proc2, PROC2_VINTR);
	c->posted_intr = allowed1(c->pin, PIN_POSTED_INTR);
	c->ept_vpid = (c->ept || c->vpid) ? rdmsr(MSR_IA32_VMX_EPT_VPID_CAP) : 0;
	c->ept_walk4 = c->ept_vpid & EPT_CAP_WALK4;
	c->ept_wb = c->ept_vpid & EPT_CAP_WB;
	c->ept_2m = c->ept_vpid & EPT_CAP_2M;
	c->ept_1g = c->ept_vpid & EPT_CAP_1G;
	c->ept_ad = c->ept_vpid & EPT_CAP_AD;
	c->invept = (c->ept_vpid & EPT_CAP_INVEPT) &&
		    (c->ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL));
	c->invvpid =
	    (c->ept_vpid & VPID_CAP_INVVPID) && (c->ept_vpid & (VPID_CAP_SINGLE | VPID_CAP_ALL));
}

/* The first missing requirement, or NULL when all are there. */
static const char *first_missing(const struct vmx_caps *c)
{
	if (!c->ept)
		return "EPT (IA32_VMX_PROCBASED_CTLS2 does not allow 'enable EPT')";
	if (!c->ept_walk4)
		return "EPT 4-level page walk";
	if (!c->ept_wb)
		return "EPT write-back memory type";
	if (!c->ept_2m)
		return "EPT 2 MiB pages";
	if (!c->invept)
		return "INVEPT";
	if (!c->vpid || !c->invvpid)
		return "VPID/INVVPID (single- or all-context)";
	if (!c->unrestricted)
		return "unrestricted guest";
	if (!c->preemption_timer)
		return "VMX preemption timer";
	return NULL;
}

static int check_controls(char *why, size_t len)
{
	char what[140];

	if (!vmx_ctls_check(what, sizeof(what)))
		return 0;
	ksnprintf(why, len, "CPU lacks %s", what);
	return -ENOTSUP;
}

/* SDM "VMX-Preemption Timer": a listed part's timer may not count at the reported rate. */
static int check_errata(char *why, size_t len)
{
	uint32_t sig = cpuid(1, 0).eax;
	const char *erratum = errata_preemption_timer(sig);

	if (!erratum)
		return 0;
	ksnprintf(why, len,
		  "CPU signature 0x%x has a broken VMX-preemption timer (%s): kestrel's tick "
		  "and watchdog rely on it",
		  sig & CPU_SIGNATURE_MASK, erratum);
	return -ENOTSUP;
}

int vmx_caps_probe(char *why, size_t len)
{
	const char *missing;
	int ret;

	if (!(cpuid(1, 0).ecx & CPUID1_ECX_VMX)) {
		ksnprintf(why, len,
			  "CPU lacks VMX (CPUID.1:ECX bit 5 is clear): not an Intel VT-x CPU, or "
			  "VT-x not exposed to this VM");
		return -ENOTSUP;
	}
	vmx_caps.vmx = true;
	ret = feature_control(why, len);
	if (ret)
		return ret;
	read_msrs(&vmx_caps);
	missing = first_missing(&vmx_caps);
	if (missing) {
		ksnprintf(why, len, "CPU lacks %s", missing);
		return -ENOTSUP;
	}
	return check_controls(why, len) ?: check_errata(why, len);
}

static const char *yn(bool b)
{
	return b ? "yes" : "no";
}

void vmx_caps_print(void)
{
	const struct vmx_caps *c = &vmx_caps;

	pr_info(
	    "vmx: VMX %s, EPT %s (4-level %s, WB %s, 2M %s, 1G %s, A/D %s), INVEPT %s, VPID %s, "
	    "unrestricted guest %s, preemption timer %s, TRUE MSRs %s\n",
	    yn(c->vmx), yn(c->ept), yn(c->ept_walk4), yn(c->ept_wb), yn(c->ept_2m), yn(c->ept_1g),
	    yn(c->ept_ad), yn(c->invept), yn(c->vpid), yn(c->unrestricted), yn(c->preemption_timer),
	    yn(c->true_msrs));
	pr_info("vmx: APIC virtualization: TPR shadow %s, APIC accesses %s, APIC registers %s, "
		"virtual interrupts %s, x2APIC mode %s, posted interrupts %s\n",
		yn(c->tpr_shadow), yn(c->apic_access), yn(c->apic_regs), yn(c->vintr),
		yn(c->x2apic_virt), yn(c->posted_intr));
	vmx_ctls_print_fallbacks();
}
