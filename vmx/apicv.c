/*
 * APIC virtualization (SDM "APIC Virtualization and Virtual Interrupts") for a vCPU
 * whose interrupt controller hands over its register page: with a TPR shadow the
 * virtual-APIC page is that page, MOV to/from CR8 works on its TPR without exiting, and
 * the TPR threshold makes a TPR write exit only when it lets a held-back vector through.
 * Invariant: while the TPR shadow is on, TPR_THRESHOLD is rewritten before every entry
 * that follows a change of IRR or TPR (both set VCPU_WORK_IRQ), so it never exceeds
 * VTPR[7:4] at entry, as VM entry checks. Without the capability CR8 exits as before.
 */
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

/* The CR8 controls @proc asks for: a TPR shadow when the CPU and the controller allow it. */
void apicv_setup(struct vcpu *v, uint32_t *proc)
{
	const struct vcpu_intc *ic = &v->intc;

	v->hw.tpr_shadow = vmx_caps.tpr_shadow && ic->apic_page.v && ic->tpr_threshold;
	if (!v->hw.tpr_shadow) {
		*proc |= PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;
		return;
	}
	*proc |= PROC_USE_TPR_SHADOW;
}

/* After the controls are written: the page and a threshold that holds at the first entry. */
void apicv_write_fields(struct vcpu *v)
{
	if (!v->hw.tpr_shadow)
		return;
	vmcs_write64(VIRTUAL_APIC_PAGE_ADDR, v->intc.apic_page.v);
	vmcs_write32(TPR_THRESHOLD, v->intc.tpr_threshold(v->intc.ctx));
}

/* IRR or TPR changed (VCPU_WORK_IRQ): the threshold follows. */
void apicv_update(struct vcpu *v)
{
	if (v->hw.tpr_shadow)
		vmcs_write32(TPR_THRESHOLD, v->intc.tpr_threshold(v->intc.ctx));
}

/*
 * Trap-like: the guest's MOV to CR8 is done and lowered TPR below a held-back vector's
 * class. Injection looks again, and the threshold is rewritten before the next entry.
 */
void handle_tpr_below_threshold(struct vcpu *v)
{
	__atomic_fetch_or(&v->work, VCPU_WORK_IRQ, __ATOMIC_SEQ_CST);
}
