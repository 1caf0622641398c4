/*
 * The VMX controls kestrel asks for, by their SDM names, and for each one the CPU may
 * lack, the fallback that makes running without it correct. A wanted control the CPU
 * lacks and that has no fallback here is refused with its name, never dropped silently.
 * Invariant: every bit setup_controls (vmx/vcpu.c), vmx/intr.c and vmx/apicv.c set in
 * a control field is either listed here or checked against vmx_caps before it is set.
 */
#include "lib/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "vmx/caps.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

struct vmx_ctl {
	enum vmx_ctl_kind kind;
	uint32_t bit;
	const char *name;
	const char *fallback; /* NULL: required */
};

static const struct vmx_ctl vmx_ctls[] = {
    {CTL_PIN, PIN_EXTINT_EXITING, "external-interrupt exiting", NULL},
    {CTL_PIN, PIN_NMI_EXITING, "NMI exiting", NULL},
    {CTL_PIN, PIN_VIRTUAL_NMIS, "virtual NMIs", "vmx/intr.c tracks the guest's NMI blocking"},
    {CTL_PIN, PIN_PREEMPT_TIMER, "activate VMX-preemption timer", NULL},
    {CTL_PROC, PROC_INTR_WINDOW_EXITING, "interrupt-window exiting", NULL},
    {CTL_PROC, PROC_HLT_EXITING, "HLT exiting", NULL},
    {CTL_PROC, PROC_MWAIT_EXITING, "MWAIT exiting", NULL},
    {CTL_PROC, PROC_RDPMC_EXITING, "RDPMC exiting", NULL},
    {CTL_PROC, PROC_CR8_LOAD_EXITING, "CR8-load exiting", NULL},
    {CTL_PROC, PROC_CR8_STORE_EXITING, "CR8-store exiting", NULL},
    {CTL_PROC, PROC_USE_TPR_SHADOW, "use TPR shadow", "CR8 accesses exit (vmx/apicv.c)"},
    {CTL_PROC, PROC_UNCOND_IO_EXITING, "unconditional I/O exiting", NULL},
    {CTL_PROC, PROC_MONITOR_EXITING, "MONITOR exiting", NULL},
    {CTL_PROC, PROC_USE_MSR_BITMAPS, "use MSR bitmaps", NULL},
    {CTL_PROC, PROC_SECONDARY, "activate secondary controls", NULL},
    {CTL_PROC2, PROC2_ENABLE_EPT, "enable EPT", NULL},
    {CTL_PROC2, PROC2_RDTSCP, "enable RDTSCP", "RDTSCP raises #UD, as on a CPU without it"},
    {CTL_PROC2, PROC2_ENABLE_VPID, "enable VPID", NULL},
    {CTL_PROC2, PROC2_UNRESTRICTED_GUEST, "unrestricted guest", NULL},
    {CTL_PROC2, PROC2_INVPCID, "enable INVPCID", "INVPCID raises #UD, as on a CPU without it"},
    {CTL_PROC2, PROC2_XSAVES, "enable XSAVES/XRSTORS", "XSAVES raises #UD; CPUID hides XSAVE"},
    {CTL_EXIT, EXIT_HOST_64BIT, "host address-space size", NULL},
    {CTL_EXIT, EXIT_ACK_INTR, "acknowledge interrupt on exit", NULL},
    {CTL_EXIT, EXIT_SAVE_PAT, "save IA32_PAT", NULL},
    {CTL_EXIT, EXIT_LOAD_PAT, "load IA32_PAT", NULL},
    {CTL_EXIT, EXIT_SAVE_EFER, "save IA32_EFER", NULL},
    {CTL_EXIT, EXIT_LOAD_EFER, "load IA32_EFER", NULL},
    {CTL_EXIT, EXIT_SAVE_PREEMPT_TIMER, "save VMX-preemption timer value",
     "the timer is re-armed before every entry (vmx/intr.c)"},
    {CTL_ENTRY, ENTRY_IA32E_GUEST, "IA-32e mode guest", NULL},
    {CTL_ENTRY, ENTRY_LOAD_PAT, "load IA32_PAT", NULL},
    {CTL_ENTRY, ENTRY_LOAD_EFER, "load IA32_EFER", NULL},
};

static const char *const kind_names[NR_CTL_KINDS] = {
    [CTL_PIN] = "pin-based VM-execution",
    [CTL_PROC] = "primary processor-based VM-execution",
    [CTL_PROC2] = "secondary processor-based VM-execution",
    [CTL_EXIT] = "VM-exit",
    [CTL_ENTRY] = "VM-entry",
};

static uint32_t hidden[NR_CTL_KINDS];

void vmx_caps_hide_control(enum vmx_ctl_kind kind, uint32_t bit)
{
	hidden[kind] |= bit;
}

/* The capability MSR of @kind (allowed-0 in 31:0, allowed-1 in 63:32), less hidden bits. */
static uint64_t cap_of(enum vmx_ctl_kind kind)
{
	const struct vmx_caps *c = &vmx_caps;
	uint64_t cap = kind == CTL_PIN	   ? c->pin
		       : kind == CTL_PROC  ? c->proc
		       : kind == CTL_PROC2 ? c->proc2
		       : kind == CTL_EXIT  ? c->exit
					   : c->entry;

	return cap & ~((uint64_t)hidden[kind] << 32);
}

static const struct vmx_ctl *find(enum vmx_ctl_kind kind, uint32_t bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(vmx_ctls); i++)
		if (vmx_ctls[i].kind == kind && vmx_ctls[i].bit == bit)
			return &vmx_ctls[i];
	return NULL;
}

static void describe(char *buf, size_t len, enum vmx_ctl_kind kind, uint32_t bit)
{
	const struct vmx_ctl *c = find(kind, bit);

	ksnprintf(buf, len, "the %s control \"%s\" (bit %u; its capability MSR does not allow 1)",
		  kind_names[kind], c ? c->name : "?", (unsigned)__builtin_ctz(bit));
}

int vmx_ctls_pick(enum vmx_ctl_kind kind, uint32_t want, uint32_t *out)
{
	uint64_t cap = cap_of(kind);
	uint32_t lacking = want & ~(uint32_t)(cap >> 32);
	char why[160];

	for (uint32_t rest = lacking; rest; rest &= rest - 1) {
		uint32_t bit = rest & -rest;
		const struct vmx_ctl *c = find(kind, bit);

		if (c && c->fallback)
			continue;
		describe(why, sizeof(why), kind, bit);
		pr_err("vmx: CPU lacks %s\n", why);
		return -ENOTSUP;
	}
	*out = vmx_adjust_ctls(cap, want & ~lacking);
	return 0;
}

/* The first required control the CPU lacks, described in @why: -ENOTSUP, else 0. */
int vmx_ctls_check(char *why, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(vmx_ctls); i++) {
		const struct vmx_ctl *c = &vmx_ctls[i];

		if (c->fallback || (cap_of(c->kind) >> 32) & c->bit)
			continue;
		describe(why, len, c->kind, c->bit);
		return -ENOTSUP;
	}
	return 0;
}

/* One line per wanted control the CPU lacks and kestrel does without. */
void vmx_ctls_print_fallbacks(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(vmx_ctls); i++) {
		const struct vmx_ctl *c = &vmx_ctls[i];

		if (c->fallback && !((cap_of(c->kind) >> 32) & c->bit))
			pr_info("vmx: no %s control \"%s\": %s\n", kind_names[c->kind], c->name,
				c->fallback);
	}
}
