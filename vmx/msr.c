/*
 * MSRs of the virtual CPU itself (not of a device model on the VM's MSR bus): the few a
 * stock kernel reads without a fault handler early in its boot, answered as a CPU without
 * the feature behind them would. IA32_FEATURE_CONTROL stays #GP: it exists only on CPUs
 * with VMX or SMX, which the guest's CPUID does not show (Linux reads it with a handler). Everything here is read-only state of the vCPU's model;
 * writes that would change it are refused (#GP), writes a kernel makes routinely as no-ops
 * are accepted. Called by the RDMSR/WRMSR exit handlers before the bus.
 */
#include "vmx/exit.h"

#define MSR_IA32_PLATFORM_ID  0x17
#define MSR_IA32_BIOS_SIGN_ID 0x8b /* microcode revision */
#define MSR_IA32_MISC_ENABLE  0x1a0

#define MISC_FAST_STRINGS     BIT(0)
#define MISC_BTS_UNAVAILABLE  BIT(11)
#define MISC_PEBS_UNAVAILABLE BIT(12)
#define MISC_ENABLE_VALUE     (MISC_FAST_STRINGS | MISC_BTS_UNAVAILABLE | MISC_PEBS_UNAVAILABLE)

bool vcpu_msr_read(const struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_BIOS_SIGN_ID: /* no microcode to report: revision 0 */
		*val = 0;
		return true;
	case MSR_IA32_MISC_ENABLE: /* XD not disabled (bit 34 clear), no BTS/PEBS */
		*val = MISC_ENABLE_VALUE;
		return true;
	}
	return false;
}

/* 1: done; 0: not a vCPU MSR (ask the bus); -1: #GP. */
int vcpu_msr_write(const struct vcpu *v, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case MSR_IA32_BIOS_SIGN_ID: /* the microcode-revision read starts with a write of 0 */
		return 1;
	case MSR_IA32_MISC_ENABLE: /* the same value again (Linux clearing XD-disable) */
		return val == MISC_ENABLE_VALUE ? 1 : -1;
	case MSR_IA32_PLATFORM_ID:
		return -1;
	}
	return 0;
}
