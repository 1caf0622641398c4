/*
 * The VMX backend's vCPU interface: what hv/ calls to set up and run a vCPU,
 * and the vcpu_ops the VM model uses (kick, RIP, clock). Exit handlers use the
 * inline helpers on the current VMCS, which is always the running vCPU's.
 */
#ifndef VMX_VCPU_H
#define VMX_VCPU_H

#include "vm/vm.h"
#include "vmx/vmcs.h"

extern const struct vcpu_ops vmx_vcpu_ops;

/* Per-VM VMX state (MSR bitmap). 0 or -ENOMEM. */
int vmx_vm_init(struct vm *vm);
/*
 * How a vCPU enters its guest: 32-bit protected mode, paging off, interrupts off, flat
 * 4 GiB code and data segments with these selectors, GDTR as given (the multiboot
 * protocols leave it undefined: 0/0xffff), and the registers the boot protocol names
 * (every other GPR 0).
 */
struct vcpu_boot {
	uint64_t entry;
	uint16_t cs, ds; /* ds also for ES, SS, FS, GS */
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint64_t rax, rbx, rsi, rdx;
	/*
	 * An AP's start by SIPI instead (SDM "MP Initialization"): real mode, CS selector
	 * entry >> 4 with base entry, IP 0, 64 KiB segments, EDX the processor signature.
	 */
	bool real_mode;
};

/* A fresh VMCS for @v entering as @b says; the CPU state outside the VMCS reset too. */
int vcpu_setup(struct vcpu *v, const struct vcpu_boot *b);
/* vmx/cpustate.c: MSRs the guest reaches directly, DR0-3/DR6, CR2, x87/SSE to power-on values. */
void vcpu_reset_cpu_state(void);
/* Run @v's guest on this CPU until its VM leaves VM_RUNNING or an INIT stops it. */
void vmx_vcpu_run(struct vcpu *v);

/* vmx/mp.c: several vCPUs */
/* An AP on its CPU: wait for SIPI, run, again after each INIT; until its VM leaves VM_RUNNING. */
void vmx_ap_run(struct vcpu *v);
/* Take the INIT and SIPI @v's APIC latched (VCPU_WORK_INIT), on @v's CPU. */
void vmx_take_mp_signals(struct vcpu *v);
/* Flush the VM's EPT on @v's CPU for the shoot-down that asked (VCPU_WORK_FLUSH). */
void vmx_flush_take(struct vcpu *v);
/*
 * The VM's EPT changed: INVEPT here and on every other vCPU's CPU before returning.
 * Never called holding the VM's device lock (the others may be waiting for it).
 */
void vmx_ept_shootdown(struct vcpu *self);
void vcpu_inject_exception(unsigned vector, bool has_error, uint32_t error);

/*
 * Skip the instruction the hypervisor just emulated. Like the CPU finishing
 * it, this ends any STI or MOV SS interrupt shadow (else `sti; hlt` would
 * keep interrupts blocked past the HLT).
 */
static inline void vcpu_advance_rip(void)
{
	uint32_t shadow = vmcs_read32(GUEST_INTERRUPTIBILITY);

	vmcs_writenat(GUEST_RIP, vmcs_readnat(GUEST_RIP) + vmcs_read32(EXIT_INSTR_LEN));
	if (unlikely(shadow & INTERRUPTIBILITY_BLOCKING))
		vmcs_write32(GUEST_INTERRUPTIBILITY, shadow & ~(uint32_t)INTERRUPTIBILITY_BLOCKING);
}

/* vmx/exit.c */
int vmx_exit_dispatch(uint64_t *regs, uint32_t reason);
const char *exit_reason_name(uint32_t reason);

/* vmx/audit.c: explain a failed VM entry */
void vmx_audit_entry_failure(struct vcpu *v, bool instruction_error);

/* vmx/mmio.c: emulated MMIO at @gpa for the instruction at the guest's RIP */
int vmx_mmio_emulate(struct vcpu *v, gpa_t gpa);
/* Up to 15 bytes at the guest's CS:RIP through its page tables; 0 or -errno. */
int vmx_guest_fetch(struct vcpu *v, uint8_t *buf, size_t *len);
/* The guest's code size for the decoder: 64 (IA-32e mode, CS.L), else CS.D: 32 or 16. */
static inline unsigned vmx_guest_mode(void)
{
	uint32_t ar = vmcs_read32(GUEST_CS_AR);

	if ((vmcs_read32(ENTRY_CTLS) & ENTRY_IA32E_GUEST) && (ar & BIT(13)))
		return 64;
	return (ar & BIT(14)) && !(vmcs_readnat(GUEST_RFLAGS) & BIT(17)) ? 32 : 16;
}

/* vmx/diag.c: a stopped guest's registers, segments and code at RIP, as error lines */
void vmx_dump_guest(struct vcpu *v);
/* A guest control register as the guest sees it (host-owned bits from the read shadow). */
uint64_t vmx_guest_cr(uint32_t real, uint32_t mask, uint32_t shadow);

/* vmx/intr.c: before each entry, a pending vector is injected or waits for a window */
void vmx_deliver_pending(struct vcpu *v);

#endif
