/*
 * VMX root operation on this CPU: VMXON, VMCS load/clear, INVEPT/INVVPID,
 * and the world switch (vmx/entry.S). Called by the vCPU code (vmx/vcpu.c, vmx/run.c).
 */
#ifndef VMX_VMX_H
#define VMX_VMX_H

#include "lib/types.h"

/*
 * VMXON on the calling CPU with its own region (struct percpu). 0, -ENOTSUP (no VMX),
 * -EPERM (disabled by firmware), -ENOMEM or -EIO (VMXON failed).
 */
/*
 * VMX allowed on this CPU: CPUID, then IA32_FEATURE_CONTROL, locked with VMX on
 * here if firmware left it unlocked (*locked_now says so). 0, -ENOTSUP without
 * VMX, -EPERM when firmware locked VMX off.
 */
int vmx_allowed(bool *locked_now);
int vmx_on(void);
/* Allocate and VMCLEAR+VMPTRLD a fresh VMCS; 0 or -errno. */
int vmcs_alloc_load(hpa_t *out);
int vmcs_load(hpa_t vmcs);
/* VMCLEAR then VMPTRLD an existing VMCS, for a fresh launch (VM restart). */
int vmcs_clear_load(hpa_t vmcs);
/* On this CPU: INVEPT/INVVPID single-context, all-context where single is not supported. */
void vmx_invept_single(uint64_t eptp);
void vmx_invvpid_single(uint16_t vpid);

/*
 * Enter the guest: VMLAUNCH when !launched, else VMRESUME. Returns 0 after a
 * VM exit (guest registers saved into @regs), or 1 when the instruction
 * itself failed (VM_INSTRUCTION_ERROR says why).
 */
int vmx_enter(uint64_t *regs, int launched);
extern char vmx_exit_entry[];

uint32_t vmx_adjust_ctls(uint64_t cap_msr_value, uint32_t want);

#endif
