/*
 * The vCPU run loop on this CPU: load the vCPU's VMCS, enter the guest, and
 * keep entering until its VM leaves VM_RUNNING (exit handlers decide that);
 * hv/ then applies the VM's policy. A failed entry stops the VM with its audit.
 */
#include "arch/x86/cpu.h"
#include "lib/console.h"
#include "lib/string.h"
#include "vmx/caps.h"
#include "vmx/vcpu.h"
#include "vmx/vmx.h"

/*
 * Test hooks that break the VMCS on purpose, so the tests can see a failed
 * VM entry explained: an invalid guest state (RFLAGS bit 1 clear) or an
 * invalid control (a processor-based control the CPU requires, cleared).
 */
static void inject_fault(struct vcpu *v)
{
	const char *what = v->vm->inject;

	if (!what || v->vm->restarts)
		return;
	pr_info("vm \"%s\": test hook inject=%s\n", v->vm->cfg->name, what);
	if (!strcmp(what, "bad-guest-state"))
		vmcs_writenat(GUEST_RFLAGS, 0);
	else if (!strcmp(what, "bad-control"))
		vmcs_write32(PROC_BASED_CTLS,
			     vmcs_read32(PROC_BASED_CTLS) &
				 ~((uint32_t)vmx_caps.proc & -(uint32_t)vmx_caps.proc));
}

void vmx_vcpu_run(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (vmcs_load(v->hw.vmcs)) {
		vm_stop(vm, -1, "VMPTRLD failed");
		return;
	}
	inject_fault(v);
	vm_watchdog_kick(vm, rdtsc());
	while (vm->state == VM_RUNNING && v->mp == VCPU_MP_RUN) {
		if (vmx_enter(v->regs, v->hw.launched)) {
			pr_err("vm \"%s\": %s failed, VM-instruction error %u\n", vm->cfg->name,
			       v->hw.launched ? "VMRESUME" : "VMLAUNCH",
			       vmcs_read32(VM_INSTRUCTION_ERROR));
			vmx_audit_entry_failure(v, true);
			vm_stop(vm, -1, "VM entry failed");
		}
	}
}
