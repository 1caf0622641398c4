/*
 * Explain a failed VM entry: the VM-instruction error by name, then the
 * guest-state and control checks (SDM "Checks on VMX Controls and Host-State
 * Area", "Checking and Loading Guest State") that the current VMCS breaks.
 */
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "vmx/caps.h"
#include "vmx/vcpu.h"
#include "vmx/vmcs.h"

static const char *const insn_errors[] = {
    [1] = "VMCALL in VMX root",
    [2] = "VMCLEAR with invalid address",
    [3] = "VMCLEAR with VMXON pointer",
    [4] = "VMLAUNCH with non-clear VMCS",
    [5] = "VMRESUME with non-launched VMCS",
    [6] = "VMRESUME after VMXOFF",
    [7] = "VM entry with invalid control field(s)",
    [8] = "VM entry with invalid host-state field(s)",
    [9] = "VMPTRLD with invalid address",
    [10] = "VMPTRLD with VMXON pointer",
    [11] = "VMPTRLD with incorrect revision",
    [12] = "unsupported VMCS component",
    [13] = "VMWRITE to read-only component",
    [15] = "VMXON in VMX root",
    [16] = "VM entry with invalid executive-VMCS pointer",
    [26] = "VM entry with events blocked by MOV SS",
    [28] = "invalid operand to INVEPT/INVVPID",
};

/* One audit, on the failing vCPU's CPU: on the caller's stack, so two CPUs auditing at once
 * each count their own problems. */
struct audit {
	struct vm *vm;
	unsigned problems;
};

static void check(struct audit *a, bool ok, const char *what)
{
	if (ok)
		return;
	a->problems++;
	pr_err("vm \"%s\":   audit: %s\n", a->vm->cfg->name, what);
}

static bool ctl_ok(uint64_t cap, uint32_t v)
{
	return (v & (uint32_t)cap) == (uint32_t)cap && (v & ~(uint32_t)(cap >> 32)) == 0;
}

static void audit_controls(struct audit *a)
{
	const struct vmx_caps *c = &vmx_caps;

	check(a, ctl_ok(c->pin, vmcs_read32(PIN_BASED_CTLS)),
	      "pin-based controls violate IA32_VMX_(TRUE_)PINBASED_CTLS");
	check(a, ctl_ok(c->proc, vmcs_read32(PROC_BASED_CTLS)),
	      "processor-based controls violate their capability MSR");
	check(a, ctl_ok(c->proc2 & 0xffffffff00000000ULL, vmcs_read32(PROC_BASED_CTLS2)),
	      "secondary controls not allowed by IA32_VMX_PROCBASED_CTLS2");
	check(a, ctl_ok(c->exit, vmcs_read32(EXIT_CTLS)),
	      "VM-exit controls violate their capability MSR");
	check(a, ctl_ok(c->entry, vmcs_read32(ENTRY_CTLS)),
	      "VM-entry controls violate their capability MSR");
	check(a, (vmcs_read64(EPT_POINTER) & 7) == 6 && ((vmcs_read64(EPT_POINTER) >> 3) & 7) == 3,
	      "EPT pointer: memory type must be WB (6) and walk length 4 (3)");
}

static void audit_guest(struct audit *a)
{
	uint64_t cr0 = vmcs_readnat(GUEST_CR0), cr4 = vmcs_readnat(GUEST_CR4);
	uint64_t fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0) & ~(CR0_PE | CR0_PG);
	uint64_t rflags = vmcs_readnat(GUEST_RFLAGS);
	bool ia32e = vmcs_read32(ENTRY_CTLS) & ENTRY_IA32E_GUEST;

	check(a, (cr0 & fixed0) == fixed0, "guest CR0 lacks bits IA32_VMX_CR0_FIXED0 requires");
	check(a, (cr0 & ~rdmsr(MSR_IA32_VMX_CR0_FIXED1)) == 0,
	      "guest CR0 sets bits IA32_VMX_CR0_FIXED1 forbids");
	check(a, !(cr0 & CR0_PG) || (cr0 & CR0_PE), "guest CR0.PG set without CR0.PE");
	check(a, (cr4 & rdmsr(MSR_IA32_VMX_CR4_FIXED0)) == rdmsr(MSR_IA32_VMX_CR4_FIXED0),
	      "guest CR4 lacks bits IA32_VMX_CR4_FIXED0 requires (e.g. VMXE)");
	check(a, (cr4 & ~rdmsr(MSR_IA32_VMX_CR4_FIXED1)) == 0,
	      "guest CR4 sets bits IA32_VMX_CR4_FIXED1 forbids");
	check(a, (rflags & BIT(1)) && !(rflags & (BIT(3) | BIT(5) | BIT(15) | GENMASK(63, 22))),
	      "guest RFLAGS: bit 1 must be 1, bits 3, 5, 15 and 63:22 must be 0");
	check(a, !ia32e || ((cr0 & CR0_PG) && (cr4 & CR4_PAE)),
	      "IA-32e mode guest without CR0.PG and CR4.PAE");
	check(a, !!(vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) == ia32e,
	      "guest EFER.LMA differs from the IA-32e mode guest control");
	check(a,
	      (vmcs_read32(GUEST_TR_AR) & 0x1f) == 0xb || (vmcs_read32(GUEST_TR_AR) & 0x1f) == 0x3,
	      "guest TR must be a busy TSS");
	check(a, !(vmcs_read32(GUEST_CS_AR) & BIT(16)), "guest CS is marked unusable");
	check(a, vmcs_read64(VMCS_LINK_POINTER) == ~0ULL, "VMCS link pointer must be all ones");
	check(a, vmcs_read32(GUEST_ACTIVITY_STATE) <= 3, "guest activity state out of range");
}

void vmx_audit_entry_failure(struct vcpu *v, bool instruction_error)
{
	struct vm *vm = v->vm;
	struct audit a = {vm, 0};

	if (instruction_error) {
		uint32_t e = vmcs_read32(VM_INSTRUCTION_ERROR);
		pr_err("vm \"%s\":   VM-instruction error %u: %s\n", vm->cfg->name, e,
		       e < ARRAY_SIZE(insn_errors) && insn_errors[e]
			   ? insn_errors[e]
			   : "see the SDM's table of VM-instruction errors");
	}
	audit_controls(&a);
	audit_guest(&a);
	pr_err("vm \"%s\":   audit: %u problem(s) found; guest RIP 0x%lx CR0 0x%lx CR4 0x%lx "
	       "RFLAGS 0x%lx\n",
	       vm->cfg->name, a.problems, vmcs_readnat(GUEST_RIP), vmcs_readnat(GUEST_CR0),
	       vmcs_readnat(GUEST_CR4), vmcs_readnat(GUEST_RFLAGS));
}
