/*
 * VMXON and the VMX instructions the VM runtime needs. A failing VMREAD or
 * VMWRITE means a broken hypervisor invariant (wrong field or no current
 * VMCS) and panics; VMXON/VMPTRLD failures are returned.
 */
#include "vmx/vmx.h"
#include "vmx/caps.h"
#include "vmx/vmcs.h"
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "lib/console.h"
#include "lib/errno.h"
#include "mm/page.h"

#define VMX_BASIC_REVISION GENMASK(30, 0)

/* CF or ZF set after a VMX instruction means VMfailInvalid / VMfailValid. */
#define VMX_OK(insn, ...)                                                                          \
	({                                                                                         \
		uint8_t ok;                                                                        \
		__asm__ volatile(insn "; seta %0" : "=qm"(ok) : __VA_ARGS__ : "cc", "memory");     \
		ok;                                                                                \
	})

__noreturn void vmcs_fail(const char *op, uint32_t field, uint64_t value)
{
	uint64_t err = 0;

	__asm__ volatile("vmread %1, %0" : "=rm"(err) : "r"((uint64_t)VM_INSTRUCTION_ERROR) : "cc");
	panic("%s of VMCS field 0x%x (value 0x%lx) failed, VM-instruction error %lu", op, field,
	      value, err);
}

static void set_vmx_fixed_bits(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();

	cr0 |= rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	cr0 &= rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	cr4 |= rdmsr(MSR_IA32_VMX_CR4_FIXED0) | CR4_VMXE;
	cr4 &= rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	write_cr0(cr0);
	write_cr4(cr4);
}

static void *vmx_region(hpa_t *out)
{
	uint32_t *p = page_alloc(0, OWNER_HYP, out);

	if (p)
		*p = (uint32_t)(vmx_caps.basic & VMX_BASIC_REVISION);
	return p;
}

int vmx_allowed(bool *locked_now)
{
	uint64_t fc;

	if (locked_now)
		*locked_now = false;
	if (!(cpuid(1, 0).ecx & BIT(5)))
		return -ENOTSUP;
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_VMX_NOSMX | FEATURE_CONTROL_LOCK);
		if (locked_now)
			*locked_now = true;
	} else if (!(fc & FEATURE_CONTROL_VMX_NOSMX)) {
		return -EPERM;
	}
	return 0;
}

/* Each CPU has its own VMXON region (struct percpu); smp_init allocates the APs' beforehand. */
int vmx_on(void)
{
	struct percpu *pc = this_cpu();
	int ret = vmx_allowed(NULL);

	if (ret)
		return ret;
	if (!pc->vmxon.v && !page_alloc(0, OWNER_HYP, &pc->vmxon))
		return -ENOMEM;
	*(uint32_t *)hpa_to_va(pc->vmxon) =
	    (uint32_t)(rdmsr(MSR_IA32_VMX_BASIC) & VMX_BASIC_REVISION);
	set_vmx_fixed_bits();
	if (!VMX_OK("vmxon %1", "m"(pc->vmxon.v))) {
		pr_err("vmx: VMXON failed on CPU %u\n", pc->index);
		return -EIO;
	}
	pc->vmx_root = true;
	return 0;
}

int vmcs_load(hpa_t vmcs)
{
	return VMX_OK("vmptrld %1", "m"(vmcs.v)) ? 0 : -EIO;
}

int vmcs_clear_load(hpa_t vmcs)
{
	if (!VMX_OK("vmclear %1", "m"(vmcs.v)))
		return -EIO;
	return vmcs_load(vmcs);
}

int vmcs_alloc_load(hpa_t *out)
{
	if (!vmx_region(out))
		return -ENOMEM;
	return vmcs_clear_load(*out);
}

void vmx_invept_single(uint64_t eptp)
{
	struct {
		uint64_t eptp, zero;
	} desc = {eptp, 0};
	uint64_t type = vmx_caps.ept_vpid & EPT_CAP_INVEPT_SINGLE ? 1 : 2;

	if (!VMX_OK("invept %1, %2", "m"(desc), "r"(type)))
		panic("INVEPT failed");
}

/* Single-context when the CPU has it, else all-context (vmx_caps_probe requires one). */
void vmx_invvpid_single(uint16_t vpid)
{
	struct {
		uint64_t vpid, addr;
	} desc = {vpid, 0};
	uint64_t type = vmx_caps.ept_vpid & VPID_CAP_SINGLE ? 1 : 2;

	if (!VMX_OK("invvpid %1, %2", "m"(desc), "r"(type)))
		panic("INVVPID failed");
}

/* Allowed-0 settings (bits 31:0) must be 1; allowed-1 (63:32) may be 1. */
uint32_t vmx_adjust_ctls(uint64_t cap, uint32_t want)
{
	return (uint32_t)((want | (uint32_t)cap) & (uint32_t)(cap >> 32));
}
