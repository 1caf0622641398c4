/*
 * The PML path of dirty logging (vmx/pml.h): with EPT A/D on, the CPU writes the GPA
 * of each page whose EPT dirty flag it sets to the vCPU's 4 KiB log, from index 511
 * down; at index -1 the next logging write exits instead (PML full, exit 62, before
 * the write is done). Entries the CPU has not written hold VM_DIRTY_PML_EMPTY, so the
 * log is drained by scanning it (vm_dirty_pml_drain), on the exit here or by a harvest,
 * without the VMCS: only this vCPU's CPU resets the index.
 * Invariants: hw.pml is set only on a VM in EPT_DIRTY_PML mode, which has one vCPU.
 */
#include "lib/errno.h"
#include "vmx/caps.h"
#include "vmx/exit.h"
#include "vmx/pml.h"
#include "vmx/vmcs.h"

#define PML_FIRST_INDEX	    (VM_DIRTY_PML_SLOTS - 1)
#define EXITQ_NMI_UNBLOCKED BIT(12) /* "NMI unblocking due to IRET" */

static bool pml_available(void)
{
	return ((vmx_caps.proc2 >> 32) & PROC2_ENABLE_PML) && vmx_caps.ept_ad;
}

enum ept_dirty_mode vmx_dirty_mode(const struct vm *vm)
{
	if (!pml_available() || vm->nr_vcpus != 1)
		return EPT_DIRTY_WP;
	for (unsigned i = 0; i < vm->cfg->nr_regions; i++)
		if (vm->cfg->regions[i].flags & REGION_F_LOG_DIRTY)
			return EPT_DIRTY_PML;
	return EPT_DIRTY_WP;
}

uint32_t vmx_pml_control(const struct vcpu *v)
{
	return v->vm->dirty.mode == EPT_DIRTY_PML ? PROC2_ENABLE_PML : 0;
}

static void pml_restart(struct vcpu *v)
{
	vm_dirty_pml_drain(v->vm, v->hw.pml);
	vmcs_write16(GUEST_PML_INDEX, PML_FIRST_INDEX);
}

int vmx_pml_setup(struct vcpu *v)
{
	if (v->vm->dirty.mode != EPT_DIRTY_PML)
		return 0;
	if (!v->hw.pml) {
		v->hw.pml = page_alloc(0, OWNER_HYP, &v->hw.pml_hpa);
		if (!v->hw.pml)
			return -ENOMEM;
		for (unsigned i = 0; i < VM_DIRTY_PML_SLOTS; i++)
			v->hw.pml[i] = VM_DIRTY_PML_EMPTY;
	}
	vmcs_write64(PML_ADDRESS, v->hw.pml_hpa.v);
	pml_restart(v); /* a restart keeps what the last run logged */
	return 0;
}

void handle_pml_full(struct vcpu *v)
{
	struct vm *vm = v->vm;

	/*
	 * The exit may come while an IRET unblocked NMIs (SDM "Exit Qualification for
	 * Page-Modification Log-Full Events"): the IRET is redone, so block them again.
	 */
	if (v->hw.vnmi && (vmcs_readnat(EXIT_QUALIFICATION) & EXITQ_NMI_UNBLOCKED))
		vmcs_write32(GUEST_INTERRUPTIBILITY,
			     vmcs_read32(GUEST_INTERRUPTIBILITY) | INTERRUPTIBILITY_NMI);
	if (!v->hw.pml) {
		vm_fault(vm, -1, "PML-full exit without a log");
		return;
	}
	vm_dev_lock(v); /* the bitmaps, as the write-protect path */
	vm->dirty.pml_full++;
	pml_restart(v);
	vm_dev_unlock(v);
}
