/*
 * APIC virtualization (SDM "APIC Virtualization and Virtual Interrupts") for a vCPU
 * whose interrupt controller hands over its register page: with a TPR shadow the
 * virtual-APIC page is that page, MOV to/from CR8 works on its TPR without exiting, and
 * the TPR threshold makes a TPR write exit only when it lets a held-back vector through.
 * While the guest's APIC is in x2APIC mode, "virtualize x2APIC mode" with APIC-register
 * virtualization lets RDMSR of the x2APIC registers the page holds current read the page.
 * Invariants: while the TPR shadow is on, TPR_THRESHOLD is rewritten before every entry
 * that follows a change of IRR or TPR (both set VCPU_WORK_IRQ), so it never exceeds
 * VTPR[7:4] at entry, as VM entry checks. The MSR bitmap lets x2APIC reads through only
 * while "virtualize x2APIC mode" is on (else RDMSR would read the host's own APIC); the
 * bitmap is per VM, so only a VM with one vCPU uses it (with several, a vCPU still in
 * xAPIC mode would read the host's APIC through the cleared bits). Without a
 * capability its path exits as before.
 */
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "vmx/vmcs.h"

/*
 * x2APIC registers (MSR - 0x800) whose RDMSR may read the page: those the model keeps
 * current there, 32 bits wide with zeros above (EDX reads offset + 4). Not PPR (a MOV to
 * CR8 changes TPR behind it), the ICR (its high half is at 0x310, not 0x304), the timer's
 * current count (computed on read), nor any register x2APIC mode lacks (#GP from the model).
 */
#define X2APIC_READ_PAGE                                                                           \
	(BIT(0x02) | BIT(0x03) | BIT(0x08) | BIT(0x0D) | BIT(0x0F) | GENMASK(0x27, 0x10) |         \
	 BIT(0x28) | BIT(0x2F) | GENMASK(0x38, 0x32) | BIT(0x3E))
#define X2APIC_MSR_BASE	   0x800
#define PROC2_X2APIC_READS (PROC2_VIRT_X2APIC | PROC2_APIC_REG_VIRT)

/* The CR8 controls @proc asks for: a TPR shadow when the CPU and the controller allow it. */
void apicv_setup(struct vcpu *v, uint32_t *proc)
{
	const struct vcpu_intc *ic = &v->intc;

	v->hw.tpr_shadow = vmx_caps.tpr_shadow && ic->apic_page.v && ic->tpr_threshold;
	v->hw.x2apic_reads = false;
	if (!v->hw.tpr_shadow) {
		*proc |= PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;
		return;
	}
	*proc |= PROC_USE_TPR_SHADOW;
}

/* RDMSR of the page's x2APIC registers: exits (@through false) or reads the page. */
static void x2apic_read_bits(struct vcpu *v, bool through)
{
	uint8_t *bm = v->vm->hw.msr_bitmap; /* read bitmap for MSRs 0-0x1FFF: bytes 0-1023 */

	for (unsigned r = 0; r < 64; r++) {
		unsigned msr = X2APIC_MSR_BASE + r;
		uint8_t bit = (uint8_t)(1u << (msr % 8));

		if (!(X2APIC_READ_PAGE & BIT(r)))
			continue;
		bm[msr / 8] =
		    through ? (uint8_t)(bm[msr / 8] & ~bit) : (uint8_t)(bm[msr / 8] | bit);
	}
}

/*
 * The guest's APIC mode (after IA32_APIC_BASE writes and at set-up): x2APIC reads from
 * the page while it is in x2APIC mode and the CPU can virtualize them, exits otherwise.
 */
void apicv_sync_mode(struct vcpu *v)
{
	bool on = v->hw.tpr_shadow && vmx_caps.x2apic_virt && vmx_caps.apic_regs &&
		  v->vm->nr_vcpus == 1 && v->intc.x2apic && v->intc.x2apic(v->intc.ctx);
	uint32_t proc2;

	if (on == v->hw.x2apic_reads)
		return;
	if (on) /* the control first: bitmap bits clear without it read the host's APIC */
		proc2 = vmcs_read32(PROC_BASED_CTLS2) | PROC2_X2APIC_READS;
	else
		proc2 = vmcs_read32(PROC_BASED_CTLS2) & ~(uint32_t)PROC2_X2APIC_READS;
	vmcs_write32(PROC_BASED_CTLS2, proc2);
	x2apic_read_bits(v, on);
	v->hw.x2apic_reads = on;
}

/* After the controls are written: the page, a threshold that holds at the first entry. */
void apicv_write_fields(struct vcpu *v)
{
	if (!v->hw.tpr_shadow)
		return;
	vmcs_write64(VIRTUAL_APIC_PAGE_ADDR, v->intc.apic_page.v);
	vmcs_write32(TPR_THRESHOLD, v->intc.tpr_threshold(v->intc.ctx));
	x2apic_read_bits(v, false); /* a restart: the bitmap may still let them through */
	apicv_sync_mode(v);
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
