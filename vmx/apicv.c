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
#include "ept/ept.h"
#include "lib/console.h"
#include "lib/string.h"
#include "mm/page.h"
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

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
#define LAPIC_MSR_EOI	   0x80B
#define PROC2_X2APIC_READS (PROC2_VIRT_X2APIC | PROC2_APIC_REG_VIRT)

/*
 * The per-VM parts (the MSR bitmap's x2APIC bits, the one APIC-access mapping) and the
 * page's IRR/ISR the CPU moves under virtual-interrupt delivery (another vCPU's IPI would
 * write them from its CPU) serve a VM with one vCPU only; with several, each vCPU keeps its
 * TPR shadow and everything else exits to the model (docs/platform.md).
 */
static bool apicv_one_vcpu(const struct vcpu *v)
{
	return v->vm->nr_vcpus == 1;
}

/* The CR8 controls @proc asks for: a TPR shadow when the CPU and the controller allow it. */
void apicv_setup(struct vcpu *v, uint32_t *proc)
{
	const struct vcpu_intc *ic = &v->intc;

	v->hw.tpr_shadow = vmx_caps.tpr_shadow && ic->apic_page.v && ic->tpr_threshold;
	v->hw.x2apic_reads = false;
	v->hw.apic_access = false;
	v->hw.apic_gpa = 0;
	v->hw.vintr = v->hw.tpr_shadow && vmx_caps.vintr && apicv_one_vcpu(v) && ic->vintr &&
		      ic->intr_status && ic->virtual_eoi;
	if (!v->hw.tpr_shadow) {
		*proc |= PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;
		return;
	}
	*proc |= PROC_USE_TPR_SHADOW;
}

/*
 * WRMSR of x2APIC EOI (0x80B): exits, or (@through, with "virtualize x2APIC mode" and
 * virtual-interrupt delivery) is the CPU's EOI virtualization. The write bitmap for MSRs
 * 0-0x1FFF is bytes 2048-3071.
 */
static void x2apic_eoi_bit(struct vcpu *v, bool through)
{
	uint8_t *b = (uint8_t *)v->vm->hw.msr_bitmap + 2048 + LAPIC_MSR_EOI / 8;
	uint8_t bit = (uint8_t)(1u << (LAPIC_MSR_EOI % 8));

	*b = through ? (uint8_t)(*b & ~bit) : (uint8_t)(*b | bit);
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
 * Virtual-interrupt delivery: RVI/SVI from the page's IRR/ISR (the CPU keeps them between
 * exits; the model changed them), the EOI-exit bitmap from TMR, written where they differ
 * from the VMCS (@all: every field).
 */
static void write_intr_state(struct vcpu *v, bool all)
{
	uint64_t bm[4];
	uint16_t st = v->intc.intr_status(v->intc.ctx, bm);

	if (all || st != vmcs_read16(GUEST_INTR_STATUS))
		vmcs_write16(GUEST_INTR_STATUS, st);
#define EOI_EXIT(i, field)                                                                         \
	do {                                                                                       \
		if (all || bm[i] != v->hw.eoi_exit[i])                                             \
			vmcs_write64(field, bm[i]);                                                \
		v->hw.eoi_exit[i] = bm[i];                                                         \
	} while (0)
	EOI_EXIT(0, EOI_EXIT_BITMAP0);
	EOI_EXIT(1, EOI_EXIT_BITMAP1);
	EOI_EXIT(2, EOI_EXIT_BITMAP2);
	EOI_EXIT(3, EOI_EXIT_BITMAP3);
#undef EOI_EXIT
}

/* The VM's APIC-access page (one hypervisor frame, never read or written by anyone). */
static hpa_t apic_access_page(struct vm *vm)
{
	void *p;

	if (vm->hw.apic_access_hpa.v)
		return vm->hw.apic_access_hpa;
	p = page_alloc(0, OWNER_HYP, &vm->hw.apic_access_hpa);
	if (p)
		memset(p, 0, PAGE_SIZE);
	return vm->hw.apic_access_hpa;
}

/* The guest's xAPIC registers are a page the CPU can virtualize, at *gpa. */
static bool xapic_virtualizable(const struct vcpu *v, uint64_t *gpa)
{
	const struct vcpu_intc *ic = &v->intc;

	return v->hw.tpr_shadow && vmx_caps.apic_access && vmx_caps.apic_regs &&
	       apicv_one_vcpu(v) && v->vm->hw.apic_access_hpa.v && ic->xapic_page &&
	       ic->apic_write && ic->xapic_page(ic->ctx, gpa);
}

/*
 * The APIC-access page in the EPT at @g (@on), or the xAPIC page back to emulated MMIO
 * (the next access faults and gets the MMIO marker, vmx/mmio.c). False when it could not
 * be mapped: the xAPIC page then stays emulated.
 */
static bool map_apic_access(struct vcpu *v, uint64_t g, bool on)
{
	struct vm *vm = v->vm;
	int err = ept_unmap(&vm->ept, gpa(g), PAGE_SIZE);

	if (!err && on)
		err = ept_map(&vm->ept, gpa(g), vm->hw.apic_access_hpa, PAGE_SIZE,
			      EPTE_R | EPTE_W | EPTE_MT_WB | EPT_MAP_APIC_ACCESS);
	vmx_invept_single(vm->hw.eptp);
	if (err)
		pr_err("vm \"%s\": APIC-access page at GPA 0x%lx: %d, the xAPIC page stays "
		       "emulated\n",
		       vm->cfg->name, g, err);
	return !err;
}

/*
 * The guest's APIC mode (after IA32_APIC_BASE writes and at set-up). In xAPIC mode at
 * the base the bus serves, "virtualize APIC accesses" with APIC-register virtualization
 * and the APIC-access page mapped there; in x2APIC mode x2APIC reads from the page. The
 * SDM forbids both at once, so a mode change switches one off and the other on before
 * the next entry; disabled, moved or without the capabilities, the exits of before.
 */
void apicv_sync_mode(struct vcpu *v)
{
	bool x2 = v->hw.tpr_shadow && vmx_caps.x2apic_virt && vmx_caps.apic_regs &&
		  apicv_one_vcpu(v) && v->intc.x2apic && v->intc.x2apic(v->intc.ctx);
	uint64_t g = 0;
	bool xa = !x2 && xapic_virtualizable(v, &g);
	uint32_t proc2;

	if (x2 == v->hw.x2apic_reads && xa == v->hw.apic_access && (!xa || g == v->hw.apic_gpa))
		return;
	if (v->hw.apic_access && (!xa || g != v->hw.apic_gpa))
		map_apic_access(v, v->hw.apic_gpa, false);
	if (xa && (!v->hw.apic_access || g != v->hw.apic_gpa))
		xa = map_apic_access(v, g, true);
	proc2 = vmcs_read32(PROC_BASED_CTLS2) &
		~(uint32_t)(PROC2_X2APIC_READS | PROC2_VIRT_APIC_ACCESS);
	if (x2) /* the control first: bitmap bits clear without it read the host's APIC */
		proc2 |= PROC2_X2APIC_READS;
	if (xa)
		proc2 |= PROC2_VIRT_APIC_ACCESS | PROC2_APIC_REG_VIRT;
	vmcs_write32(PROC_BASED_CTLS2, proc2);
	if (x2 != v->hw.x2apic_reads) {
		x2apic_read_bits(v, x2);
		x2apic_eoi_bit(v, x2 && v->hw.vintr);
	}
	v->hw.x2apic_reads = x2;
	v->hw.apic_access = xa;
	v->hw.apic_gpa = xa ? g : 0;
}

/* After the controls are written: the pages, a threshold that holds at the first entry. */
void apicv_write_fields(struct vcpu *v)
{
	if (!v->hw.tpr_shadow)
		return;
	vmcs_write64(VIRTUAL_APIC_PAGE_ADDR, v->intc.apic_page.v);
	x2apic_read_bits(v, false); /* a restart: the bitmap may still let them through */
	x2apic_eoi_bit(v, false);
	if (v->intc.vintr)
		v->intc.vintr(v->intc.ctx, v->hw.vintr);
	if (v->hw.vintr) {
		vmcs_write32(PROC_BASED_CTLS2,
			     vmcs_read32(PROC_BASED_CTLS2) | PROC2_VIRT_INTR_DELIVERY);
		vmcs_write32(TPR_THRESHOLD, 0); /* not used with virtual-interrupt delivery */
		write_intr_state(v, true);
	} else {
		vmcs_write32(TPR_THRESHOLD, v->intc.tpr_threshold(v->intc.ctx));
	}
	if (vmx_caps.apic_access && vmx_caps.apic_regs && v->intc.xapic_page &&
	    apic_access_page(v->vm).v) {
		vmcs_write64(APIC_ACCESS_ADDR, v->vm->hw.apic_access_hpa.v);
		if (v->intc.xapic_page(v->intc.ctx, &v->hw.apic_gpa)) /* a restart: no stale page */
			map_apic_access(v, v->hw.apic_gpa, false);
	}
	apicv_sync_mode(v);
}

/* IRR, ISR, TMR or TPR changed (VCPU_WORK_IRQ): the threshold, or RVI/SVI and the bitmap. */
void apicv_update(struct vcpu *v)
{
	if (v->hw.vintr)
		write_intr_state(v, false);
	else if (v->hw.tpr_shadow)
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

/* Exit qualification of an APIC-access exit (SDM "Exit Qualification for APIC-Access"). */
#define APIC_ACCESS_OFFSET	 GENMASK(11, 0)
#define APIC_ACCESS_TYPE_SHIFT	 12
#define APIC_ACCESS_LINEAR_READ	 0
#define APIC_ACCESS_LINEAR_WRITE 1

/*
 * Fault-like: an access the CPU does not virtualize (PPR, the timer's current count,
 * APR, RRD, reserved offsets, reads of registers' upper bytes, any width crossing a
 * register) is emulated through the xAPIC page's MMIO handler, as without the page. A
 * fetch or an event delivery through the page stops the VM, as on emulated MMIO.
 */
void handle_apic_access(struct vcpu *v)
{
	uint64_t q = vmcs_readnat(EXIT_QUALIFICATION);
	unsigned type = (unsigned)(q >> APIC_ACCESS_TYPE_SHIFT) & 0xF;
	uint64_t a = v->hw.apic_gpa + (q & APIC_ACCESS_OFFSET);

	if (type != APIC_ACCESS_LINEAR_READ && type != APIC_ACCESS_LINEAR_WRITE) {
		pr_err("vm \"%s\": APIC-access page at GPA 0x%lx, RIP 0x%lx: access type %u "
		       "(not a data read or write)\n",
		       v->vm->cfg->name, a, vmcs_readnat(GUEST_RIP), type);
		vm_fault(v->vm, -1, "fetch or event delivery through the APIC page");
		return;
	}
	vm_dev_lock(v);
	vmx_mmio_emulate(v, gpa(a));
	vm_dev_unlock(v);
}

/*
 * Trap-like: the guest's EOI of a vector the EOI-exit bitmap names (level-triggered); the
 * CPU has retired it from ISR and SVI, the model tells the IOAPIC and the LINT pins.
 */
void handle_virtualized_eoi(struct vcpu *v)
{
	vm_dev_lock(v);
	v->intc.virtual_eoi(v->intc.ctx, (uint8_t)vmcs_readnat(EXIT_QUALIFICATION));
	vm_dev_unlock(v);
}

/* Trap-like: the write is in the register page; the model completes it (the RIP moved on). */
void handle_apic_write(struct vcpu *v)
{
	vm_dev_lock(v);
	v->intc.apic_write(v->intc.ctx, (uint32_t)vmcs_readnat(EXIT_QUALIFICATION) & 0xFFF);
	vm_dev_unlock(v);
}
