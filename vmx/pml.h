/*
 * Page-modification logging (SDM "Page-Modification Logging"): which dirty-log path
 * a VM takes, and the VMX side of the PML path (the per-vCPU log page, its VMCS
 * fields, the PML-full exit). The bitmaps are vm/dirty.c's.
 */
#ifndef VMX_PML_H
#define VMX_PML_H

#include "vm/vm.h"

/*
 * PML for a VM of one vCPU whose configuration logs a region from boot
 * (REGION_F_LOG_DIRTY), when IA32_VMX_PROCBASED_CTLS2 allows "enable PML" and
 * IA32_VMX_EPT_VPID_CAP reports EPT A/D flags; write-protection otherwise (several
 * vCPUs: another vCPU's log can only be read on its own CPU; docs/ept.md).
 */
enum ept_dirty_mode vmx_dirty_mode(const struct vm *vm);

/* vcpu_setup: the secondary control to add (0: none). */
uint32_t vmx_pml_control(const struct vcpu *v);
/* vcpu_setup, after the controls: the log page (allocated once), index 511. 0 or -ENOMEM. */
int vmx_pml_setup(struct vcpu *v);
/* Exit 62: the log is full: drain it into the bitmaps, start again at 511. */
void handle_pml_full(struct vcpu *v);

#endif
